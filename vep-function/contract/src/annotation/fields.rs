//! The JSON fields of each annotation type, listed once ([`json_fields!`]): their names, their
//! order as the engine writes them, how each is written and how it is read back. Both
//! renderings go through this list (serde's `Serialize`, sorted keys, and the streaming
//! writer in `output::json`), and so do the lenient reading (`lenient`) and the compact
//! encoding events carry (`crate::wire`).

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::lenient::{custom, fits_field, list, Lenient, MissingField, Take};
use super::{
    CalledFromSequence, CustomAnnotations, Extra, IntergenicConsequence, ModelScore,
    TranscriptConsequence, VariantAnnotation,
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
    Custom(&'a CustomAnnotations),
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

/// The wire format's presence bit of an object's `extra` map (field bits count from 0).
const EXTRA_BIT: u64 = 1 << 63;

/// Implements [`Fields`], sorted-key `Serialize`, the compact wire form (`crate::wire`) and the
/// lenient reading from one list of
/// `name: how it is read => |s| its value when written`, where "how it is read" is `req` (every
/// VEP answer has it), `opt`, `nonempty` (a list of strings written only when not empty),
/// `list` (of nested objects, written only when not empty) or `custom` (`custom_annotations`,
/// written only when not empty).
macro_rules! json_fields {
    ($ty:ty { $($name:ident: $read:ident => |$s:ident| $get:expr),* $(,)? }) => {
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

        impl<'a> crate::wire::WireObject<'a> for $ty {
            #[allow(unused_assignments)]
            fn put_object(&'a self, e: &mut crate::wire::Encoder<'a>) {
                // Presence is "written" in the JSON sense: the same rule as `field`.
                let mut bits = 0u64;
                let mut k = 0;
                $(
                    {
                        let $s: &$ty = self;
                        if ($get).is_some() {
                            bits |= 1 << k;
                        }
                    }
                    k += 1;
                )*
                if !self.extra.is_empty() {
                    bits |= EXTRA_BIT;
                }
                e.u64(bits);
                k = 0;
                $(
                    if bits & (1 << k) != 0 {
                        const TEXT: crate::wire::Text = crate::wire::text_policy(stringify!($name));
                        crate::wire::Wire::put(&self.$name, e, TEXT);
                    }
                    k += 1;
                )*
                if bits & EXTRA_BIT != 0 {
                    crate::wire::Wire::put(&self.extra, e, crate::wire::Text::Inline);
                }
            }

            #[allow(unused_assignments)]
            fn get_object(
                d: &mut crate::wire::Decoder<'_>,
            ) -> Result<Self, crate::wire::WireError> {
                let at = d.position();
                let bits = d.u64()?;
                let known = (1u64 << <Self as Fields>::NAMES.len()) - 1;
                if bits & !(known | EXTRA_BIT) != 0 {
                    return Err(crate::wire::WireError::UnknownFields { at, bits });
                }
                let mut out = Self::default();
                let mut k = 0;
                $(
                    if bits & (1 << k) != 0 {
                        const TEXT: crate::wire::Text = crate::wire::text_policy(stringify!($name));
                        out.$name = crate::wire::Wire::get(d, TEXT)?;
                    }
                    k += 1;
                )*
                if bits & EXTRA_BIT != 0 {
                    out.extra = crate::wire::Wire::get(d, crate::wire::Text::Inline)?;
                }
                Ok(out)
            }

            #[allow(unused_assignments)]
            fn get_object_into(
                &mut self,
                d: &mut crate::wire::Decoder<'_>,
            ) -> Result<(), crate::wire::WireError> {
                let at = d.position();
                let bits = d.u64()?;
                let known = (1u64 << <Self as Fields>::NAMES.len()) - 1;
                if bits & !(known | EXTRA_BIT) != 0 {
                    return Err(crate::wire::WireError::UnknownFields { at, bits });
                }
                let mut k = 0;
                $(
                    if bits & (1 << k) != 0 {
                        const TEXT: crate::wire::Text = crate::wire::text_policy(stringify!($name));
                        crate::wire::Wire::get_into(&mut self.$name, d, TEXT)?;
                    } else {
                        crate::wire::Wire::reset(&mut self.$name);
                    }
                    k += 1;
                )*
                if bits & EXTRA_BIT != 0 {
                    self.extra = crate::wire::Wire::get(d, crate::wire::Text::Inline)?;
                } else {
                    self.extra.clear();
                }
                Ok(())
            }

            #[allow(unused_assignments)]
            fn skip_object(
                d: &mut crate::wire::Decoder<'_>,
            ) -> Result<Option<u64>, crate::wire::WireError> {
                let at = d.position();
                let bits = d.u64()?;
                let known = (1u64 << <Self as Fields>::NAMES.len()) - 1;
                if bits & !(known | EXTRA_BIT) != 0 {
                    return Err(crate::wire::WireError::UnknownFields { at, bits });
                }
                let mut index = None;
                let mut k = 0;
                $(
                    if bits & (1 << k) != 0 {
                        const TEXT: crate::wire::Text = crate::wire::text_policy(stringify!($name));
                        if stringify!($name) == "input_index" {
                            index = Some(d.u64()?);
                        } else {
                            crate::wire::skip_field(|s: &$ty| &s.$name, d, TEXT)?;
                        }
                    }
                    k += 1;
                )*
                if bits & EXTRA_BIT != 0 {
                    d.skip_inline()?;
                }
                Ok(index)
            }
        }

        impl Lenient for $ty {
            fn readable<'a>(
                get: impl Fn(&str) -> Option<&'a Value>,
            ) -> Result<(), MissingField> {
                $( json_fields!(@check $read, $ty, $name, get); )*
                Ok(())
            }
            fn take(t: &mut Take) -> Self {
                Self {
                    $( $name: json_fields!(@take $read, t, $name), )*
                    extra: t.rest(),
                }
            }
        }
    };
    (@check req, $ty:ty, $name:ident, $get:ident) => {
        if !$get(stringify!($name)).is_some_and(|v| fits_field(|s: &$ty| &s.$name, v)) {
            return Err(MissingField(stringify!($name)));
        }
    };
    (@check $other:ident, $ty:ty, $name:ident, $get:ident) => {};
    (@take req, $t:ident, $name:ident) => { $t.req(stringify!($name)) };
    (@take opt, $t:ident, $name:ident) => { $t.opt(stringify!($name)) };
    (@take nonempty, $t:ident, $name:ident) => { $t.nonempty(stringify!($name)) };
    (@take list, $t:ident, $name:ident) => {
        $t.with(stringify!($name), list).unwrap_or_default()
    };
    (@take custom, $t:ident, $name:ident) => {
        $t.with(stringify!($name), custom).unwrap_or_default()
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
    input: req => |a| Some(FieldValue::Str(&a.input)),
    id: opt => |a| text(&a.id),
    seq_region_name: req => |a| Some(FieldValue::Str(&a.seq_region_name)),
    start: req => |a| Some(FieldValue::U64(a.start)),
    end: req => |a| Some(FieldValue::U64(a.end)),
    strand: opt => |a| signed(a.strand),
    allele_string: req => |a| Some(FieldValue::Str(&a.allele_string)),
    assembly_name: opt => |a| text(&a.assembly_name),
    most_severe_consequence: req => |a| Some(FieldValue::Str(&a.most_severe_consequence)),
    transcript_consequences: list => |a| (!a.transcript_consequences.is_empty())
        .then_some(FieldValue::Transcripts(&a.transcript_consequences)),
    intergenic_consequences: list => |a| (!a.intergenic_consequences.is_empty())
        .then_some(FieldValue::Intergenic(&a.intergenic_consequences)),
    custom_annotations: custom => |a| (!a.custom_annotations.is_empty())
        .then_some(FieldValue::Custom(&a.custom_annotations)),
    input_index: opt => |a| unsigned(a.input_index),
    called_from_sequence: opt => |a| a.called_from_sequence.as_ref().map(FieldValue::Sequence),
});

json_fields!(TranscriptConsequence {
    transcript_id: req => |t| Some(FieldValue::Str(&t.transcript_id)),
    gene_id: req => |t| Some(FieldValue::Str(&t.gene_id)),
    gene_symbol: opt => |t| text(&t.gene_symbol),
    gene_symbol_source: opt => |t| text(&t.gene_symbol_source),
    hgnc_id: opt => |t| text(&t.hgnc_id),
    biotype: req => |t| Some(FieldValue::Str(&t.biotype)),
    strand: req => |t| signed(Some(t.strand)),
    consequence_terms: req => |t| Some(FieldValue::Strs(&t.consequence_terms)),
    impact: req => |t| Some(FieldValue::Str(&t.impact)),
    variant_allele: req => |t| Some(FieldValue::Str(&t.variant_allele)),
    cdna_start: opt => |t| unsigned(t.cdna_start),
    cdna_end: opt => |t| unsigned(t.cdna_end),
    cds_start: opt => |t| unsigned(t.cds_start),
    cds_end: opt => |t| unsigned(t.cds_end),
    protein_start: opt => |t| unsigned(t.protein_start),
    protein_end: opt => |t| unsigned(t.protein_end),
    amino_acids: opt => |t| text(&t.amino_acids),
    codons: opt => |t| text(&t.codons),
    exon: opt => |t| text(&t.exon),
    intron: opt => |t| text(&t.intron),
    distance: opt => |t| unsigned(t.distance),
    hgvsc: opt => |t| text(&t.hgvsc),
    hgvsp: opt => |t| text(&t.hgvsp),
    hgvs_offset: opt => |t| signed(t.hgvs_offset),
    protein_id: opt => |t| text(&t.protein_id),
    canonical: opt => |t| unsigned(t.canonical.map(u64::from)),
    mane_select: opt => |t| text(&t.mane_select),
    mane_plus_clinical: opt => |t| text(&t.mane_plus_clinical),
    flags: nonempty => |t| (!t.flags.is_empty()).then_some(FieldValue::Strs(&t.flags)),
    sift_score: opt => |t| t.sift_score.as_ref().map(FieldValue::Number),
    polyphen_score: opt => |t| t.polyphen_score.as_ref().map(FieldValue::Number),
    polyphen_prediction: opt => |t| text(&t.polyphen_prediction),
    blosum62: opt => |t| signed(t.blosum62),
    grantham: opt => |t| signed(t.grantham),
    condel: opt => |t| t.condel.as_ref().map(FieldValue::Score),
    ml_scores: opt => |t| t.ml_scores.as_deref().map(FieldValue::Scores),
});

json_fields!(IntergenicConsequence {
    consequence_terms: req => |i| Some(FieldValue::Strs(&i.consequence_terms)),
    impact: req => |i| Some(FieldValue::Str(&i.impact)),
    variant_allele: req => |i| Some(FieldValue::Str(&i.variant_allele)),
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
            FieldValue::Custom(c) => c.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sorted<T: Fields>() {
        assert!(
            T::NAMES.len() < 64,
            "Declared order tracks at most 64 fields, the wire's bitmask 63 (bit 63 is `extra`)"
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
