//! Custom annotation sources as VEP ≥ 110 names them (`--custom file=PATH,short_name=ClinVar,
//! format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN`), parsed once for both
//! services: vep-function opens the files (`annotate --custom`, `VEP_CUSTOM`), the gateway
//! only needs their names and fields for the CSQ columns of its downloads (`VEP_CUSTOM`).
//!
//! The syntax follows `Bio::EnsEMBL::VEP::AnnotationSourceAdaptor::get_all_custom`: a list of
//! `key=value` pairs split at `,` (or VEP's older positional form `PATH,SHORT_NAME,FORMAT,TYPE,
//! COORDS,FIELD,...`), `fields` split at `%`, `type` defaulting to `overlap`, `short_name` to
//! the file's name. Of VEP's formats only `vcf` is read here; of its types `exact` and
//! `overlap`. VEP's other keys (`overlap_cutoff`, `distance`, `num_records`...) are refused by
//! name rather than ignored, so an output never silently differs from what was asked.

use std::fmt;
use std::str::FromStr;

/// How a source record is matched to a variant (`type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// Same position and allele, after VEP's trimming of both sides.
    Exact,
    /// Any record whose reference span overlaps the variant.
    Overlap,
}

impl MatchType {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Exact => "exact",
            MatchType::Overlap => "overlap",
        }
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One custom source as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// The bgzipped VCF, as given (its `.tbi` or `.csi` beside it).
    pub file: String,
    /// The key in `custom_annotations` and the CSQ column name.
    pub short_name: String,
    pub match_type: MatchType,
    /// `coords=1`: records are named `CHROM:START-END` even when they have an ID.
    pub report_coords: bool,
    /// INFO fields to report, in the order given.
    pub fields: Vec<String>,
}

/// Why a custom source setting cannot be used. One code for all: the message names the
/// part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("custom source {0:?}: expected key=value pairs such as file=clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG")]
    NotKeyValue(String),
    #[error("custom source {spec:?}: unknown option {key:?} (known: file, short_name, format, type, coords, fields)")]
    UnknownKey { spec: String, key: String },
    #[error("custom source {spec:?}: VEP's option {key:?} is not supported by this annotator")]
    UnsupportedKey { spec: String, key: String },
    #[error("custom source {spec:?}: no file given (file=PATH)")]
    MissingFile { spec: String },
    #[error("custom source {spec:?}: no format given (format=vcf)")]
    MissingFormat { spec: String },
    #[error("custom source {spec:?}: format {format:?} is not supported (only vcf: a bgzipped VCF with a .tbi or .csi index)")]
    UnsupportedFormat { spec: String, format: String },
    #[error("custom source {spec:?}: type {value:?} is not supported (exact or overlap)")]
    UnsupportedType { spec: String, value: String },
    #[error("custom source {spec:?}: coords must be 0 or 1, not {value:?}")]
    InvalidCoords { spec: String, value: String },
    #[error("custom source {spec:?}: {what} {value:?} may not be empty or hold spaces or any of , ; = | % & \" < >")]
    InvalidName {
        spec: String,
        what: &'static str,
        value: String,
    },
    #[error("two custom sources are named {0:?}: give each its own short_name")]
    DuplicateShortName(String),
}

impl SpecError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        "invalid_custom_source"
    }
}

/// VEP options this annotator does not implement.
const UNSUPPORTED_KEYS: [&str; 7] = [
    "overlap_cutoff",
    "reciprocal",
    "distance",
    "same_type",
    "num_records",
    "summary_stats",
    "gff_type",
];

/// Names become JSON keys, CSQ sub-field names and INFO IDs: nothing that breaks those.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| {
            c.is_whitespace() || matches!(c, ',' | ';' | '=' | '|' | '%' | '&' | '"' | '<' | '>')
        })
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, SpecError> {
        let spec = text.trim();
        let owned = || spec.to_owned();
        let (mut file, mut short_name, mut format, mut kind, mut coords) =
            (None, None, None, None, None);
        let mut fields = Vec::new();
        if spec.contains('=') {
            for pair in spec.split(',') {
                let Some((key, text)) = pair.split_once('=') else {
                    return Err(SpecError::NotKeyValue(owned()));
                };
                let value = Some(text.to_owned());
                match key {
                    "file" => file = value,
                    "short_name" => short_name = value,
                    "format" => format = value,
                    "type" => kind = value,
                    "coords" => coords = value,
                    "fields" => fields = text.split('%').map(String::from).collect(),
                    k if UNSUPPORTED_KEYS.contains(&k) => {
                        return Err(SpecError::UnsupportedKey {
                            spec: owned(),
                            key: k.to_owned(),
                        })
                    }
                    k => {
                        return Err(SpecError::UnknownKey {
                            spec: owned(),
                            key: k.to_owned(),
                        })
                    }
                }
            }
        } else {
            // VEP's positional form: file, short name, format, type, coords, fields...
            let mut parts = spec
                .split(',')
                .map(|p| Some(p.to_owned()).filter(|p| !p.is_empty()));
            file = parts.next().flatten();
            short_name = parts.next().flatten();
            format = parts.next().flatten();
            kind = parts.next().flatten();
            coords = parts.next().flatten();
            fields = parts.flatten().collect();
        }
        let file = file
            .filter(|f| !f.is_empty())
            .ok_or_else(|| SpecError::MissingFile { spec: owned() })?;
        match format.as_deref() {
            None | Some("") => return Err(SpecError::MissingFormat { spec: owned() }),
            Some(f) if f.eq_ignore_ascii_case("vcf") => {}
            Some(f) => {
                return Err(SpecError::UnsupportedFormat {
                    spec: owned(),
                    format: f.to_owned(),
                })
            }
        }
        let match_type = match kind.as_deref() {
            None | Some("") | Some("overlap") => MatchType::Overlap,
            Some("exact") => MatchType::Exact,
            Some(other) => {
                return Err(SpecError::UnsupportedType {
                    spec: owned(),
                    value: other.to_owned(),
                })
            }
        };
        let report_coords = match coords.as_deref() {
            None | Some("") | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(SpecError::InvalidCoords {
                    spec: owned(),
                    value: other.to_owned(),
                })
            }
        };
        // VEP: the short name defaults to the file's name.
        let short_name = short_name
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| file.rsplit('/').next().unwrap_or(&file).to_owned());
        let invalid = |what, value: &str| SpecError::InvalidName {
            spec: owned(),
            what,
            value: value.to_owned(),
        };
        if !valid_name(&short_name) {
            return Err(invalid("short_name", &short_name));
        }
        if let Some(bad) = fields.iter().find(|f| !valid_name(f)) {
            return Err(invalid("field", bad));
        }
        Ok(Self {
            file,
            short_name,
            match_type,
            report_coords,
            fields,
        })
    }
}

impl SourceSpec {
    /// The file's name without its directory (what the VCF header and the page show).
    pub fn file_name(&self) -> &str {
        self.file.rsplit('/').next().unwrap_or(&self.file)
    }
}

/// The VEP ≥ 110 form, which [`SourceSpec::from_str`] reads back.
impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "file={},short_name={},format=vcf,type={},coords={}",
            self.file,
            self.short_name,
            self.match_type,
            u8::from(self.report_coords)
        )?;
        if !self.fields.is_empty() {
            write!(f, ",fields={}", self.fields.join("%"))?;
        }
        Ok(())
    }
}

/// `VEP_CUSTOM`: one source per line (blank lines and `#` comments skipped), short names
/// unique.
pub fn parse_list(text: &str) -> Result<Vec<SourceSpec>, SpecError> {
    let mut specs: Vec<SourceSpec> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let spec: SourceSpec = line.parse()?;
        if specs.iter().any(|s| s.short_name == spec.short_name) {
            return Err(SpecError::DuplicateShortName(spec.short_name));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Checks that the short names of `specs` are unique (`--custom` given several times).
pub fn check_unique(specs: &[SourceSpec]) -> Result<(), SpecError> {
    for (i, spec) in specs.iter().enumerate() {
        if specs[..i].iter().any(|s| s.short_name == spec.short_name) {
            return Err(SpecError::DuplicateShortName(spec.short_name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vep_110_key_value_form_is_read() {
        let spec: SourceSpec =
            "file=/data/clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN"
                .parse()
                .unwrap();
        assert_eq!(
            spec,
            SourceSpec {
                file: "/data/clinvar.vcf.gz".into(),
                short_name: "ClinVar".into(),
                match_type: MatchType::Exact,
                report_coords: false,
                fields: vec!["CLNSIG".into(), "CLNREVSTAT".into(), "CLNDN".into()],
            }
        );
        assert_eq!(spec.file_name(), "clinvar.vcf.gz");
        assert_eq!(spec.to_string().parse::<SourceSpec>().unwrap(), spec);
    }

    #[test]
    fn defaults_and_the_positional_form_follow_vep() {
        let spec: SourceSpec = "file=data/gnomad.vcf.gz,format=vcf".parse().unwrap();
        assert_eq!(spec.short_name, "gnomad.vcf.gz");
        assert_eq!(spec.match_type, MatchType::Overlap);
        assert!(spec.fields.is_empty());
        let old: SourceSpec = "gnomad.vcf.gz,gnomAD,vcf,exact,1,AF,AF_afr"
            .parse()
            .unwrap();
        assert_eq!(old.short_name, "gnomAD");
        assert!(old.report_coords);
        assert_eq!(old.fields, ["AF", "AF_afr"]);
    }

    #[test]
    fn what_cannot_be_honoured_is_refused_by_name() {
        let err = |s: &str| s.parse::<SourceSpec>().unwrap_err();
        assert!(matches!(
            err("file=x.vcf.gz,format=bed"),
            SpecError::UnsupportedFormat { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz"),
            SpecError::MissingFormat { .. }
        ));
        assert!(matches!(
            err("format=vcf,type=exact"),
            SpecError::MissingFile { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz,format=vcf,type=within"),
            SpecError::UnsupportedType { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz,format=vcf,overlap_cutoff=80"),
            SpecError::UnsupportedKey { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz,format=vcf,colour=red"),
            SpecError::UnknownKey { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz,format=vcf,short_name=a b"),
            SpecError::InvalidName { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz,format=vcf,fields=AF%%AC"),
            SpecError::InvalidName { .. }
        ));
        assert!(matches!(
            err("file=x.vcf.gz,vcf"),
            SpecError::NotKeyValue(_)
        ));
        assert_eq!(err("file=x.vcf.gz").code(), "invalid_custom_source");
    }

    #[test]
    fn a_list_has_one_source_per_line_and_unique_names() {
        let specs = parse_list(
            "# ClinVar and gnomAD\nfile=a.vcf.gz,short_name=ClinVar,format=vcf\n\n  file=b.vcf.gz,short_name=gnomAD,format=vcf\n",
        )
        .unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].short_name, "gnomAD");
        assert_eq!(
            parse_list(
                "file=a.vcf.gz,short_name=X,format=vcf\nfile=b.vcf.gz,short_name=X,format=vcf"
            ),
            Err(SpecError::DuplicateShortName("X".into()))
        );
        assert!(check_unique(&specs).is_ok());
    }
}
