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
use contract::output::csq::RecordView;

use super::record::Record;
use crate::engine::annotate::Allele;

/// An allele pair minimised like VEP's `trim_sequences` (`-` for an emptied allele).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Minimal<'a> {
    reference: &'a [u8],
    alternate: &'a [u8],
    pos: u64,
}

impl Minimal<'_> {
    /// A placeholder no trimmed pair equals (positions start at 1).
    const NONE: Minimal<'static> = Minimal {
        reference: b"",
        alternate: b"",
        pos: 0,
    };
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

/// Whether record ALT `alt` matches `ours` (the allele's minimised forms).
fn alternate_matches(ours: &[Minimal<'_>], record: &Record, alt: &str) -> bool {
    forms(record.reference().as_bytes(), alt.as_bytes(), record.pos).any(|m| ours.contains(&m))
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

fn field_value(raw: &str, alt_count: usize, clinvar: bool) -> Value<'_> {
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

/// One record matched to an allele, borrowed from the source's line: what VEP reports of it
/// is written from here, into a `CustomAnnotation` or straight into CSQ.
#[derive(Clone, Copy)]
pub(super) struct Match<'r> {
    pub record: &'r Record,
    /// The matched ALT (`type=exact`); `None` for an overlap.
    pub alt: Option<usize>,
    pub spec: &'r SourceSpec,
    pub clinvar: bool,
    alt_count: usize,
    /// The INFO value of each requested field (`spec.fields` order), read in one pass, for
    /// the first [`INLINE_FIELDS`] fields; more are looked up one by one.
    values: [Option<&'r str>; INLINE_FIELDS],
}

/// Requested fields whose values a match holds (a source rarely asks for more).
const INLINE_FIELDS: usize = 8;

impl<'r> Match<'r> {
    fn new(spec: &'r SourceSpec, clinvar: bool, record: &'r Record, alt: Option<usize>) -> Self {
        let mut values = [None; INLINE_FIELDS];
        let inline = spec.fields.len().min(INLINE_FIELDS);
        if inline > 0 {
            record.info_values(&spec.fields[..inline], &mut values[..inline]);
        }
        Self {
            record,
            alt,
            spec,
            clinvar,
            alt_count: record.alternates().count(),
            values,
        }
    }

    /// Appends field `key` as VEP stores it for this match; `false` when the record has
    /// none. `FILTER` is the record's FILTER column (`;` as `,`), after any INFO value of
    /// that name, whenever fields are requested.
    fn push_text(&self, key: &str, out: &mut String) -> bool {
        let info = match self.spec.fields.iter().position(|f| f == key) {
            Some(i) if i < INLINE_FIELDS => self.values[i],
            Some(_) => self.record.info(key),
            None => None,
        };
        if let Some(raw) = info {
            match (field_value(raw, self.alt_count, self.clinvar), self.alt) {
                (Value::Whole(v), _) => out.push_str(v),
                (Value::PerAlt(items), Some(i)) => out.push_str(items[i]),
                (Value::PerAlt(items), None) => {
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            out.push(',');
                        }
                        out.push_str(item);
                    }
                }
            }
        }
        if key == "FILTER" && !self.spec.fields.is_empty() {
            for c in self.record.filter().chars() {
                out.push(if c == ';' { ',' } else { c });
            }
            return true;
        }
        info.is_some()
    }

    /// The match as the typed annotation carries it.
    pub fn to_annotation(self, variant_allele: &str) -> CustomAnnotation {
        let mut name = String::new();
        self.record.push_name(self.spec.report_coords, &mut name);
        let mut fields = BTreeMap::new();
        let keys = self.spec.fields.iter().map(String::as_str);
        for key in keys.chain((!self.spec.fields.is_empty()).then_some("FILTER")) {
            let mut text = String::new();
            if !fields.contains_key(key) && self.push_text(key, &mut text) {
                fields.insert(key.to_owned(), text);
            }
        }
        CustomAnnotation {
            name,
            allele: self.alt.map(|_| variant_allele.to_owned()),
            fields,
        }
    }
}

impl RecordView for &Match<'_> {
    fn push_name(&self, out: &mut String) {
        self.record.push_name(self.spec.report_coords, out);
    }

    fn push_field(&self, key: &str, out: &mut String) -> bool {
        self.push_text(key, out)
    }
}

/// The allele's minimised forms (at most two), which exact matching compares records to.
pub(super) struct Forms<'a> {
    forms: [Minimal<'a>; 2],
    n: usize,
}

impl<'a> Forms<'a> {
    pub fn of(allele: &'a Allele) -> Self {
        let (vr, va) = (dash(&allele.reference), dash(&allele.alternate));
        let mut minimal = [Minimal::NONE, Minimal::NONE];
        let mut n = 0;
        for m in forms(vr, va, allele.start) {
            minimal[n] = m;
            n += 1;
        }
        Self { forms: minimal, n }
    }
}

/// Appends the matches of `record` for `allele` (minimised as `ours`) to `out`: none when it
/// does not match.
pub(super) fn find<'r>(
    spec: &'r SourceSpec,
    clinvar: bool,
    record: &'r Record,
    allele: &Allele,
    ours: &Forms<'_>,
    out: &mut Vec<Match<'r>>,
) {
    match spec.match_type {
        MatchType::Exact => {
            // A record's trimmed alleles start within its REF or right after it: records
            // elsewhere cannot match (most of the records near a variant).
            let reachable = ours.forms[..ours.n]
                .iter()
                .any(|m| m.pos >= record.pos && m.pos <= record.end + 1);
            if !reachable {
                return;
            }
            let first = out.len();
            for (i, alt) in record.alternates().enumerate() {
                if alternate_matches(&ours.forms[..ours.n], record, alt) {
                    // The INFO values are read once per record, whatever ALTs match.
                    let found = match out.get(first) {
                        Some(m) => Match { alt: Some(i), ..*m },
                        None => Match::new(spec, clinvar, record, Some(i)),
                    };
                    out.push(found);
                }
            }
        }
        MatchType::Overlap => {
            if overlaps(allele, record) {
                out.push(Match::new(spec, clinvar, record, None));
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
        let (spec, record) = (spec(spec_text), record(line));
        let mut found = Vec::new();
        find(
            &spec,
            clinvar,
            &record,
            &allele,
            &Forms::of(&allele),
            &mut found,
        );
        found
            .iter()
            .map(|m| m.to_annotation(&allele.variant_allele()))
            .collect()
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
