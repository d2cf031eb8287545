//! Which source records match a variant allele, and what VEP reports of each.
//!
//! - `type=exact`: `Bio::EnsEMBL::Variation::Utils::Sequence::get_matched_variant_alleles`.
//!   Each REF/ALT pair (the variant's, in VEP's trimmed form with `-` for no bases, and each
//!   ALT of the record, as written) is minimised by `trim_sequences` (shared leading bases,
//!   then trailing ones; and the other way round too when an allele has more than one base);
//!   a record ALT matches when one of its minimised forms equals one of the variant's,
//!   position included. So `CTTTTT>C` at 100 matches the variant `TTTTT/-` at 101, and a
//!   multi-allelic record is split into its ALTs.
//! - `type=overlap`: the record's reference span (`POS` to `POS + len(REF) - 1`) overlaps the
//!   variant's (an insertion's flanking bases), `AnnotationSource::File::VCF::_record_overlaps_VF`.
//!
//! Fields (`AnnotationSource::File::VCF::_create_records`): each requested INFO key the record
//! has (a flag as `1`); a value with commas is per ALT when it has one item per ALT (or one
//! more, REF's, which is dropped), unless the file says `##source=ClinVar` (VEP keeps
//! ClinVar's lists whole); an exact match takes the item of its ALT. `FILTER` is added (`;`
//! as `,`) whenever fields are requested.

use std::collections::BTreeMap;

use contract::annotation::CustomAnnotation;
use contract::custom::{MatchType, SourceSpec};

use super::record::Record;
use crate::engine::annotate::Allele;

/// An allele pair minimised like VEP's `trim_sequences` (`-` for an emptied allele).
#[derive(Debug, PartialEq, Eq)]
struct Minimal<'a> {
    reference: &'a [u8],
    alternate: &'a [u8],
    pos: u64,
}

fn dash(bases: &[u8]) -> &[u8] {
    if bases.is_empty() {
        b"-"
    } else {
        bases
    }
}

/// `trim_sequences($ref, $alt, $pos, undef, 1, $end_first)`.
fn trim<'a>(mut r: &'a [u8], mut a: &'a [u8], mut pos: u64, end_first: bool) -> Minimal<'a> {
    let leading = |r: &mut &'a [u8], a: &mut &'a [u8], pos: &mut u64| {
        while !r.is_empty() && !a.is_empty() && r[0] == a[0] {
            *r = &r[1..];
            *a = &a[1..];
            *pos += 1;
        }
    };
    let trailing = |r: &mut &'a [u8], a: &mut &'a [u8]| {
        while !r.is_empty() && !a.is_empty() && r[r.len() - 1] == a[a.len() - 1] {
            *r = &r[..r.len() - 1];
            *a = &a[..a.len() - 1];
        }
    };
    if end_first {
        trailing(&mut r, &mut a);
        leading(&mut r, &mut a, &mut pos);
    } else {
        leading(&mut r, &mut a, &mut pos);
        trailing(&mut r, &mut a);
    }
    Minimal {
        reference: dash(r),
        alternate: dash(a),
        pos,
    }
}

/// The minimised forms of a pair: trimmed from the start first, and from the end first when
/// either allele has more than one base (`_get_trim_directions`).
fn forms<'a>(r: &'a [u8], a: &'a [u8], pos: u64) -> impl Iterator<Item = Minimal<'a>> {
    let both = r.len() > 1 || a.len() > 1;
    [false, true]
        .into_iter()
        .filter(move |&end_first| !end_first || both)
        .map(move |end_first| trim(r, a, pos, end_first))
}

/// Indexes of the record's ALTs that match `allele`.
fn matched_alternates(allele: &Allele, record: &Record) -> Vec<usize> {
    let (vr, va) = (dash(&allele.reference), dash(&allele.alternate));
    let ours: Vec<Minimal<'_>> = forms(vr, va, allele.start).collect();
    let reference = record.reference().as_bytes();
    record
        .alternates()
        .enumerate()
        .filter(|(_, alt)| forms(reference, alt.as_bytes(), record.pos).any(|m| ours.contains(&m)))
        .map(|(i, _)| i)
        .collect()
}

/// Whether the record's reference span overlaps the allele's (an insertion's flanks).
fn overlaps(allele: &Allele, record: &Record) -> bool {
    let (lo, hi) = allele.span();
    record.pos <= hi && record.end >= lo
}

/// A field's value as VEP stores it: whole, or one item per ALT.
enum Value<'a> {
    Whole(&'a str),
    PerAlt(Vec<&'a str>),
}

fn field_value<'a>(raw: &'a str, alt_count: usize, clinvar: bool) -> Value<'a> {
    // A key without a value gets 1: "VEP needs something to write out".
    let raw = if raw.is_empty() { "1" } else { raw };
    if clinvar || !raw.contains(',') {
        return Value::Whole(raw);
    }
    // Perl's split drops trailing empty items.
    let mut items: Vec<&str> = raw.split(',').collect();
    while items.last() == Some(&"") {
        items.pop();
    }
    if items.len() == alt_count + 1 {
        items.remove(0);
    }
    if items.len() == alt_count {
        Value::PerAlt(items)
    } else {
        Value::Whole(raw)
    }
}

/// The requested fields of `record` (and `FILTER`), for the ALT `alt` (exact) or all of
/// them (overlap: per-ALT items joined with `,` again).
fn fields(
    spec: &SourceSpec,
    record: &Record,
    alt: Option<usize>,
    clinvar: bool,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if spec.fields.is_empty() {
        return out;
    }
    let alt_count = record.alternates().count();
    for key in &spec.fields {
        let Some(raw) = record.info(key) else {
            continue;
        };
        let text = match (field_value(raw, alt_count, clinvar), alt) {
            (Value::Whole(v), _) => v.to_owned(),
            (Value::PerAlt(items), Some(i)) => items[i].to_owned(),
            (Value::PerAlt(items), None) => items.join(","),
        };
        out.insert(key.clone(), text);
    }
    out.insert("FILTER".into(), record.filter().replace(';', ","));
    out
}

/// Appends what `record` contributes for `allele` to `out` (nothing when it does not match).
pub(super) fn annotate(
    spec: &SourceSpec,
    clinvar: bool,
    record: &Record,
    allele: &Allele,
    variant_allele: &str,
    out: &mut Vec<CustomAnnotation>,
) {
    match spec.match_type {
        MatchType::Exact => {
            for alt in matched_alternates(allele, record) {
                out.push(CustomAnnotation {
                    name: record.name(spec.report_coords),
                    allele: Some(variant_allele.to_owned()),
                    fields: fields(spec, record, Some(alt), clinvar),
                });
            }
        }
        MatchType::Overlap => {
            if overlaps(allele, record) {
                out.push(CustomAnnotation {
                    name: record.name(spec.report_coords),
                    allele: None,
                    fields: fields(spec, record, None, clinvar),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> Record {
        Record::parse(line.as_bytes().to_vec()).unwrap()
    }

    fn spec(text: &str) -> SourceSpec {
        text.parse().unwrap()
    }

    fn run(
        spec_text: &str,
        clinvar: bool,
        line: &str,
        (pos, r, a): (u64, &str, &str),
    ) -> Vec<CustomAnnotation> {
        let allele = Allele::from_vcf(pos, r.as_bytes(), a.as_bytes());
        let mut out = Vec::new();
        annotate(
            &spec(spec_text),
            clinvar,
            &record(line),
            &allele,
            &allele.variant_allele(),
            &mut out,
        );
        out
    }

    const EXACT: &str = "file=c.vcf.gz,short_name=C,format=vcf,type=exact,fields=AF%CLNSIG";
    const OVERLAP: &str = "file=c.vcf.gz,short_name=C,format=vcf,type=overlap,fields=AF";

    #[test]
    fn exact_matches_position_and_allele_after_trimming_both_sides() {
        let line = "16\t89284129\trs886039902\tCTTTTT\tC,CT,CTTTT\t.\t.\tAF=0.1,0.2,0.3";
        // The record's second ALT is the variant's deletion of four Ts, written with another
        // anchor and length.
        let got = run(EXACT, false, line, (89284130, "TTTTT", "T"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "rs886039902");
        assert_eq!(got[0].allele.as_deref(), Some("-"));
        assert_eq!(got[0].fields["AF"], "0.2");
        assert_eq!(got[0].fields["FILTER"], ".");
        // The same deletion as the user wrote it, with the record's own anchor.
        assert_eq!(
            run(EXACT, false, line, (89284129, "CTTTTT", "C"))[0].fields["AF"],
            "0.1"
        );
        // Same place, another allele: nothing.
        assert!(run(EXACT, false, line, (89284130, "T", "G")).is_empty());
    }

    #[test]
    fn snvs_match_only_their_own_base() {
        let line = "X\t31180437\t11236\tC\tT\t.\t.\tCLNSIG=Pathogenic";
        assert_eq!(
            run(EXACT, true, line, (31180437, "C", "T"))[0].fields["CLNSIG"],
            "Pathogenic"
        );
        assert!(run(EXACT, true, line, (31180437, "C", "G")).is_empty());
        assert!(run(EXACT, true, line, (31180438, "A", "T")).is_empty());
    }

    #[test]
    fn insertions_match_across_anchor_conventions() {
        let line = "1\t156114920\trs1\tG\tGA\t.\t.\t.";
        let got = run(EXACT, false, line, (156114920, "G", "GA"));
        assert_eq!(got[0].allele.as_deref(), Some("A"));
        assert!(run(EXACT, false, line, (156114920, "G", "GT")).is_empty());
    }

    #[test]
    fn overlap_matches_by_span_and_keeps_lists_whole_without_ref_items() {
        let line = "21\t100\trsD\tACGT\tA,AC\t.\tPASS;LowQual\tAF=0.5,0.1,0.2";
        let got = run(OVERLAP, false, line, (102, "G", "T"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].allele, None);
        assert_eq!(got[0].fields["AF"], "0.1,0.2");
        assert_eq!(got[0].fields["FILTER"], "PASS,LowQual");
        assert!(run(OVERLAP, false, line, (104, "A", "T")).is_empty());
    }

    #[test]
    fn clinvar_lists_stay_whole_and_flags_read_as_one() {
        let line = "17\t43045712\t55\tG\tA,C\t.\t.\tAF=0.1,0.2;DB";
        let spec = "file=c.vcf.gz,short_name=C,format=vcf,type=exact,fields=AF%DB";
        let got = run(spec, true, line, (43045712, "G", "C"));
        assert_eq!(got[0].fields["AF"], "0.1,0.2");
        assert_eq!(got[0].fields["DB"], "1");
        let got = run(spec, false, line, (43045712, "G", "C"));
        assert_eq!(got[0].fields["AF"], "0.2");
    }

    #[test]
    fn without_fields_a_record_is_its_name() {
        let spec = "file=c.vcf.gz,short_name=C,format=vcf,type=exact,coords=1";
        let got = run(
            spec,
            false,
            "21\t100\trs1\tC\tT\t.\t.\tAF=1",
            (100, "C", "T"),
        );
        assert_eq!(got[0].name, "21:100-100");
        assert!(got[0].fields.is_empty());
    }
}
