//! The JSON fields of each annotation type, listed once ([`json_fields!`]): their names, their
//! order as the engine writes them, and how each is read. Both renderings go through this
//! list: serde (`Serialize`, sorted keys) and the streaming writer in `output::json`.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{
    CalledFromSequence, Extra, IntergenicConsequence, ModelScore, TranscriptConsequence,
    VariantAnnotation,
};

/// The order in which an object's keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// The engine's field order, then `extra` (sorted): what `annotate --format json` prints.
    Declared,
    /// Every key sorted, `extra` merged in: the form events and downloads carry (what a
    /// `serde_json::Value` object gives).
    Sorted,
}

/// One typed field's value, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum FieldValue<'a> {
    Str(&'a str),
    U64(u64),
    I64(i64),
    Strs(&'a [String]),
    Number(&'a serde_json::Number),
    Transcripts(&'a [TranscriptConsequence]),
    Intergenic(&'a [IntergenicConsequence]),
    Score(&'a ModelScore),
    Scores(&'a [ModelScore]),
    Sequence(&'a CalledFromSequence),
}

/// One key of an object as written: a typed field or a pass-through one.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Typed(FieldValue<'a>),
    Extra(&'a serde_json::Value),
}

/// A JSON object with typed fields and an `extra` map.
pub trait Fields {
    /// Typed field names, in declared order.
    const NAMES: &'static [&'static str];
    /// Indexes into `NAMES`, in byte order of the names.
    const SORTED: &'static [usize];
    /// The value of field `i` of `NAMES`; `None` when it is not written.
    fn field(&self, i: usize) -> Option<FieldValue<'_>>;
    fn extra(&self) -> &Extra;

    /// Hands every key and value to `each`, in `order`. An `extra` key that is also a typed
    /// field is written only when the typed field is absent (it then holds what did not fit
    /// the type).
    fn visit<E>(
        &self,
        order: KeyOrder,
        mut each: impl FnMut(&str, Field<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let extra = self.extra();
        match order {
            KeyOrder::Declared => {
                let mut written = [false; 64];
                for (i, name) in Self::NAMES.iter().enumerate() {
                    if let Some(v) = self.field(i) {
                        written[i] = true;
                        each(name, Field::Typed(v))?;
                    }
                }
                for (k, v) in extra {
                    let shadowed = Self::NAMES
                        .iter()
                        .position(|n| n == k)
                        .is_some_and(|i| written[i]);
                    if !shadowed {
                        each(k, Field::Extra(v))?;
                    }
                }
            }
            KeyOrder::Sorted => {
                let mut rest = extra.iter().peekable();
                for &i in Self::SORTED {
                    let name = Self::NAMES[i];
                    while let Some((k, v)) = rest.next_if(|(k, _)| k.as_str() < name) {
                        each(k, Field::Extra(v))?;
                    }
                    if let Some(v) = self.field(i) {
                        each(name, Field::Typed(v))?;
                        rest.next_if(|(k, _)| k.as_str() == name);
                    }
                }
                for (k, v) in rest {
                    each(k, Field::Extra(v))?;
                }
            }
        }
        Ok(())
    }
}

/// Indexes of `names` in byte order (the order of a `BTreeMap<String, _>`).
const fn sorted<const N: usize>(names: [&str; N]) -> [usize; N] {
    let mut order = [0; N];
    let mut i = 0;
    while i < N {
        order[i] = i;
        i += 1;
    }
    // Insertion sort: a few dozen names, at compile time.
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && less(names[order[j]].as_bytes(), names[order[j - 1]].as_bytes()) {
            let t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
            j -= 1;
        }
        i += 1;
    }
    order
}

const fn less(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// Implements [`Fields`] (and sorted-key `Serialize`) from one list of `name => |s| value`.
macro_rules! json_fields {
    ($ty:ty { $($name:ident => |$s:ident| $get:expr),* $(,)? }) => {
        impl Fields for $ty {
            const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];
            const SORTED: &'static [usize] = &{
                const N: usize = [$(stringify!($name)),*].len();
                sorted::<N>([$(stringify!($name)),*])
            };
            #[allow(unused_assignments)]
            fn field(&self, i: usize) -> Option<FieldValue<'_>> {
                let mut k = 0;
                $(
                    if i == k {
                        let $s: &$ty = self;
                        return $get;
                    }
                    k += 1;
                )*
                None
            }
            fn extra(&self) -> &Extra {
                &self.extra
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                self.visit(KeyOrder::Sorted, |k, v| map.serialize_entry(k, &v))?;
                map.end()
            }
        }
    };
}

fn text(s: &Option<String>) -> Option<FieldValue<'_>> {
    s.as_deref().map(FieldValue::Str)
}

fn unsigned(n: Option<u64>) -> Option<FieldValue<'static>> {
    n.map(FieldValue::U64)
}

fn signed(n: Option<impl Into<i64>>) -> Option<FieldValue<'static>> {
    n.map(|n| FieldValue::I64(n.into()))
}

json_fields!(VariantAnnotation {
    input => |a| Some(FieldValue::Str(&a.input)),
    id => |a| text(&a.id),
    seq_region_name => |a| Some(FieldValue::Str(&a.seq_region_name)),
    start => |a| Some(FieldValue::U64(a.start)),
    end => |a| Some(FieldValue::U64(a.end)),
    strand => |a| signed(a.strand),
    allele_string => |a| Some(FieldValue::Str(&a.allele_string)),
    assembly_name => |a| text(&a.assembly_name),
    most_severe_consequence => |a| Some(FieldValue::Str(&a.most_severe_consequence)),
    transcript_consequences => |a| (!a.transcript_consequences.is_empty())
        .then_some(FieldValue::Transcripts(&a.transcript_consequences)),
    intergenic_consequences => |a| (!a.intergenic_consequences.is_empty())
        .then_some(FieldValue::Intergenic(&a.intergenic_consequences)),
    input_index => |a| unsigned(a.input_index),
    called_from_sequence => |a| a.called_from_sequence.as_ref().map(FieldValue::Sequence),
});

json_fields!(TranscriptConsequence {
    transcript_id => |t| Some(FieldValue::Str(&t.transcript_id)),
    gene_id => |t| Some(FieldValue::Str(&t.gene_id)),
    gene_symbol => |t| text(&t.gene_symbol),
    gene_symbol_source => |t| text(&t.gene_symbol_source),
    hgnc_id => |t| text(&t.hgnc_id),
    biotype => |t| Some(FieldValue::Str(&t.biotype)),
    strand => |t| signed(Some(t.strand)),
    consequence_terms => |t| Some(FieldValue::Strs(&t.consequence_terms)),
    impact => |t| Some(FieldValue::Str(&t.impact)),
    variant_allele => |t| Some(FieldValue::Str(&t.variant_allele)),
    cdna_start => |t| unsigned(t.cdna_start),
    cdna_end => |t| unsigned(t.cdna_end),
    cds_start => |t| unsigned(t.cds_start),
    cds_end => |t| unsigned(t.cds_end),
    protein_start => |t| unsigned(t.protein_start),
    protein_end => |t| unsigned(t.protein_end),
    amino_acids => |t| text(&t.amino_acids),
    codons => |t| text(&t.codons),
    exon => |t| text(&t.exon),
    intron => |t| text(&t.intron),
    distance => |t| unsigned(t.distance),
    hgvsc => |t| text(&t.hgvsc),
    hgvsp => |t| text(&t.hgvsp),
    hgvs_offset => |t| signed(t.hgvs_offset),
    protein_id => |t| text(&t.protein_id),
    canonical => |t| unsigned(t.canonical.map(u64::from)),
    mane_select => |t| text(&t.mane_select),
    mane_plus_clinical => |t| text(&t.mane_plus_clinical),
    flags => |t| (!t.flags.is_empty()).then_some(FieldValue::Strs(&t.flags)),
    sift_score => |t| t.sift_score.as_ref().map(FieldValue::Number),
    polyphen_score => |t| t.polyphen_score.as_ref().map(FieldValue::Number),
    polyphen_prediction => |t| text(&t.polyphen_prediction),
    blosum62 => |t| signed(t.blosum62),
    grantham => |t| signed(t.grantham),
    condel => |t| t.condel.as_ref().map(FieldValue::Score),
    ml_scores => |t| t.ml_scores.as_deref().map(FieldValue::Scores),
});

json_fields!(IntergenicConsequence {
    consequence_terms => |i| Some(FieldValue::Strs(&i.consequence_terms)),
    impact => |i| Some(FieldValue::Str(&i.impact)),
    variant_allele => |i| Some(FieldValue::Str(&i.variant_allele)),
});

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Typed(v) => v.serialize(serializer),
            Field::Extra(v) => v.serialize(serializer),
        }
    }
}

impl Serialize for FieldValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn seq<S: Serializer, T: Serialize>(s: S, items: &[T]) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(items.len()))?;
            for item in items {
                seq.serialize_element(item)?;
            }
            seq.end()
        }
        match *self {
            FieldValue::Str(s) => serializer.serialize_str(s),
            FieldValue::U64(n) => serializer.serialize_u64(n),
            FieldValue::I64(n) => serializer.serialize_i64(n),
            FieldValue::Strs(items) => seq(serializer, items),
            FieldValue::Number(n) => n.serialize(serializer),
            FieldValue::Transcripts(items) => seq(serializer, items),
            FieldValue::Intergenic(items) => seq(serializer, items),
            FieldValue::Score(s) => s.serialize(serializer),
            FieldValue::Scores(items) => seq(serializer, items),
            FieldValue::Sequence(s) => s.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sorted<T: Fields>() {
        assert!(
            T::NAMES.len() <= 64,
            "Declared order tracks at most 64 fields"
        );
        let names: Vec<&str> = T::SORTED.iter().map(|&i| T::NAMES[i]).collect();
        let mut expected = T::NAMES.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    #[test]
    fn sorted_orders_are_the_names_in_byte_order() {
        check_sorted::<VariantAnnotation>();
        check_sorted::<TranscriptConsequence>();
        check_sorted::<IntergenicConsequence>();
    }
}
