//! The CSQ sub-fields custom sources add after VEP's own, as
//! `Bio::EnsEMBL::VEP::OutputFactory` writes them: per source `<short_name>` (the matched
//! records' names) then `<short_name>_<FIELD>` per requested field
//! (`get_custom_headers`), each a list joined with `&` (`OutputFactory::VCF`'s
//! `convert_arrayref`). A CSQ entry carries the records that matched its own allele
//! (`type=exact`) and those matched by position (`type=overlap`), as
//! `VariationFeatureOverlapAllele_to_output_hash` and `VariationFeature_to_output_hash` add
//! them.

use super::push_escaped;
use crate::annotation::{CustomAnnotation, CustomAnnotations};
use crate::custom::{MatchType, SourceSpec};

/// One source's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomColumn {
    pub short_name: String,
    /// The file's name (no directory), for the header's description.
    pub file_name: String,
    pub match_type: MatchType,
    pub fields: Vec<String>,
}

/// The custom columns of an output, in the order the sources were configured; empty when
/// none is (every output then is exactly what it was without custom sources).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomColumns {
    pub sources: Vec<CustomColumn>,
}

impl CustomColumns {
    pub fn from_specs(specs: &[SourceSpec]) -> Self {
        Self {
            sources: specs
                .iter()
                .map(|s| CustomColumn {
                    short_name: s.short_name.clone(),
                    file_name: s.file_name().to_owned(),
                    match_type: s.match_type,
                    fields: s.fields.clone(),
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Every column name with its header description, in CSQ order: `ClinVar` ("clinvar.vcf.gz
    /// (exact)"), `ClinVar_CLNSIG` ("CLNSIG field from clinvar.vcf.gz"), ...
    pub fn names(&self) -> Vec<(String, String)> {
        let mut names = Vec::new();
        for s in &self.sources {
            names.push((
                s.short_name.clone(),
                format!("{} ({})", s.file_name, s.match_type),
            ));
            for f in &s.fields {
                names.push((
                    format!("{}_{f}", s.short_name),
                    format!("{f} field from {}", s.file_name),
                ));
            }
        }
        names
    }
}

/// The records of `short_name` a CSQ entry for `allele` carries.
fn for_entry<'a>(
    custom: &'a CustomAnnotations,
    short_name: &str,
    allele: &'a str,
) -> impl Iterator<Item = &'a CustomAnnotation> + Clone {
    custom
        .get(short_name)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(move |r| r.allele.as_deref().is_none_or(|a| a == allele))
}

/// What a CSQ column needs of a matched record: its name and its fields' text. Implemented
/// by the typed [`CustomAnnotation`] and by the engine's borrowed matches (its VCF hot path
/// writes straight from the source's lines), so both write through [`push_column`].
pub trait RecordView {
    /// Appends the record's name (unescaped).
    fn push_name(&self, out: &mut String);
    /// Appends field `key`'s value (unescaped); `false` when the record has none.
    fn push_field(&self, key: &str, out: &mut String) -> bool;
}

impl RecordView for &CustomAnnotation {
    fn push_name(&self, out: &mut String) {
        out.push_str(&self.name);
    }

    fn push_field(&self, key: &str, out: &mut String) -> bool {
        match self.fields.get(key) {
            Some(v) => {
                out.push_str(v);
                true
            }
            None => false,
        }
    }
}

/// Appends one source's columns, `|<names>|<field>...`, each list escaped and joined with
/// `&`; `scratch` is a reused buffer.
pub fn push_column<R: RecordView>(
    out: &mut String,
    records: impl Iterator<Item = R> + Clone,
    fields: &[String],
    scratch: &mut String,
) {
    out.push('|');
    for (i, r) in records.clone().enumerate() {
        if i > 0 {
            out.push('&');
        }
        scratch.clear();
        r.push_name(scratch);
        push_escaped(out, scratch);
    }
    for field in fields {
        out.push('|');
        let mut first = true;
        for r in records.clone() {
            scratch.clear();
            if r.push_field(field, scratch) {
                if !first {
                    out.push('&');
                }
                first = false;
                push_escaped(out, scratch);
            }
        }
    }
}

/// Appends `|<names>|<field>...` for every custom column to a CSQ entry of `allele`.
pub fn push_custom_fields(
    out: &mut String,
    custom: &CustomAnnotations,
    allele: &str,
    columns: &CustomColumns,
) {
    let mut scratch = String::new();
    for column in &columns.sources {
        let records = for_entry(custom, &column.short_name, allele);
        push_column(out, records, &column.fields, &mut scratch);
    }
}

/// The same values as `KEY=VALUE` pairs for the TSV `Extra` column, lists joined with `,`
/// (VEP's tab output); empty ones left out.
pub fn custom_extra(
    custom: &CustomAnnotations,
    allele: &str,
    columns: &CustomColumns,
) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for column in &columns.sources {
        let records = for_entry(custom, &column.short_name, allele);
        let names: Vec<&str> = records.clone().map(|r| r.name.as_str()).collect();
        if names.is_empty() {
            continue;
        }
        pairs.push((column.short_name.clone(), names.join(",")));
        for field in &column.fields {
            let values: Vec<&str> = records
                .clone()
                .filter_map(|r| r.fields.get(field).map(String::as_str))
                .collect();
            if !values.is_empty() {
                pairs.push((format!("{}_{field}", column.short_name), values.join(",")));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn columns() -> CustomColumns {
        let specs = [
            "file=/x/clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG%CLNDN",
            "file=/x/regions.vcf.gz,short_name=Regions,format=vcf,type=overlap",
        ]
        .map(|s| s.parse::<SourceSpec>().unwrap());
        CustomColumns::from_specs(&specs)
    }

    fn record(name: &str, allele: Option<&str>, fields: &[(&str, &str)]) -> CustomAnnotation {
        CustomAnnotation {
            name: name.into(),
            allele: allele.map(String::from),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn custom() -> CustomAnnotations {
        BTreeMap::from([
            (
                "ClinVar".to_string(),
                vec![
                    record(
                        "11236",
                        Some("T"),
                        &[
                            ("CLNSIG", "Pathogenic"),
                            ("CLNDN", "Duchenne_muscular_dystrophy|not provided"),
                        ],
                    ),
                    record("99", Some("G"), &[("CLNSIG", "Benign")]),
                    record("7", Some("T"), &[("CLNSIG", "Likely_pathogenic")]),
                ],
            ),
            ("Regions".to_string(), vec![record("21:1-9", None, &[])]),
        ])
    }

    #[test]
    fn header_names_follow_the_configured_order() {
        let names: Vec<String> = columns().names().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["ClinVar", "ClinVar_CLNSIG", "ClinVar_CLNDN", "Regions"]
        );
        assert_eq!(columns().names()[0].1, "clinvar.vcf.gz (exact)");
        assert_eq!(columns().names()[1].1, "CLNSIG field from clinvar.vcf.gz");
    }

    #[test]
    fn an_entry_carries_its_allele_s_records_and_position_matches() {
        let mut out = String::new();
        push_custom_fields(&mut out, &custom(), "T", &columns());
        assert_eq!(
            out,
            "|11236&7|Pathogenic&Likely_pathogenic|Duchenne_muscular_dystrophy%7Cnot%20provided|21:1-9"
        );
        out.clear();
        push_custom_fields(&mut out, &custom(), "A", &columns());
        assert_eq!(out, "||||21:1-9");
        out.clear();
        push_custom_fields(&mut out, &custom(), "T", &CustomColumns::default());
        assert_eq!(out, "");
    }

    #[test]
    fn tsv_extra_lists_only_what_is_there() {
        assert_eq!(
            custom_extra(&custom(), "G", &columns()),
            [
                ("ClinVar".to_string(), "99".to_string()),
                ("ClinVar_CLNSIG".to_string(), "Benign".to_string()),
                ("Regions".to_string(), "21:1-9".to_string()),
            ]
        );
    }
}
