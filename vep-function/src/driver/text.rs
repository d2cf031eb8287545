//! One submitted text through the engine: a sequence (`seq:...`, FASTA, bare letters) is
//! placed, its variants called and annotated; anything else is parsed as a variant notation
//! (VCF line, Ensembl format, HGVS), each ALT of it annotated on its own.

use contract::annotation::VariantAnnotation;

use crate::engine::input::{parse_alleles, InputError, Variant};
use crate::engine::predict::{AnnotateError, Engine};
use crate::sequence::{annotate_sequence, looks_like_sequence, SequenceCaller};
use crate::service::VariantFailure;

/// Why one variant (one ALT) of a text has no annotation.
#[derive(Debug, thiserror::Error)]
pub enum VariantError {
    /// The parser placed the variant but refused it (e.g. REF disagrees with the reference).
    #[error(transparent)]
    Rejected(InputError),
    /// The engine could not annotate it.
    #[error(transparent)]
    Annotate(#[from] AnnotateError),
}

impl VariantError {
    pub fn code(&self) -> &'static str {
        match self {
            VariantError::Rejected(e) => e.code(),
            VariantError::Annotate(e) => e.code(),
        }
    }
}

/// What became of one submitted text.
#[derive(Debug)]
pub enum Outcome {
    /// Not a notation the parser can read: no variant.
    Unparsable(InputError),
    /// Each variant of the text (each ALT) with its annotation or why it has none: an ALT may
    /// fail while others are annotated.
    Variants(Vec<(Variant, Result<VariantAnnotation, VariantError>)>),
    /// A sequence: every called variant annotated (each carrying `called_from_sequence`), or
    /// why the sequence gave none (not placed, identical to the reference, a called variant
    /// not annotated).
    Sequence(Result<Vec<(Variant, VariantAnnotation)>, VariantFailure>),
}

/// Parses and annotates one text.
pub fn annotate_text(engine: &Engine, sequence: &SequenceCaller, text: &str) -> Outcome {
    if looks_like_sequence(text) {
        return Outcome::Sequence(annotate_sequence(engine, sequence, text));
    }
    match parse_alleles(text, engine) {
        Err(e) => Outcome::Unparsable(e),
        Ok(alleles) => Outcome::Variants(
            alleles
                .into_iter()
                .map(|allele| match allele {
                    Ok(v) => {
                        let result = engine.annotate(&v).map_err(VariantError::from);
                        (v, result)
                    }
                    Err(rejected) => (
                        rejected.variant,
                        Err(VariantError::Rejected(rejected.error)),
                    ),
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_data_dir;

    fn engine() -> Engine {
        Engine::load_bundled(&default_data_dir()).unwrap()
    }

    #[test]
    fn each_alt_of_a_line_is_annotated_or_refused_on_its_own() {
        let e = engine();
        let outcome = annotate_text(&e, &SequenceCaller::default(), "21 25585733 . C T,G,X");
        let Outcome::Variants(results) = outcome else {
            panic!("a VCF line gives variants: {outcome:?}")
        };
        let alts: Vec<(&str, Result<(), &str>)> = results
            .iter()
            .map(|(v, r)| {
                (
                    v.alternate.as_str(),
                    r.as_ref().map(|_| ()).map_err(|e| e.code()),
                )
            })
            .collect();
        assert_eq!(alts[..2], [("T", Ok(())), ("G", Ok(()))]);
        assert_eq!(alts.len(), 3, "{alts:?}");
        assert!(alts[2].1.is_err(), "{alts:?}");
    }

    #[test]
    fn a_mismatching_reference_is_refused_by_name() {
        let e = engine();
        let outcome = annotate_text(&e, &SequenceCaller::default(), "21 25585733 . G T");
        let Outcome::Unparsable(err) = outcome else {
            panic!("the parser checks REF against the reference: {outcome:?}")
        };
        assert_eq!(err.code(), "reference_mismatch");
    }

    #[test]
    fn garbage_is_unparsable_and_a_sequence_goes_to_the_sequence_caller() {
        let e = engine();
        let caller = SequenceCaller::default();
        assert!(matches!(
            annotate_text(&e, &caller, "garbage"),
            Outcome::Unparsable(_)
        ));
        // 60 reference bases of chr21 with one substitution in the middle.
        let mut bases = e.genome().sequence("21", 25_585_704, 25_585_763).unwrap();
        bases[29] = if bases[29] == b'C' { b'T' } else { b'C' };
        let text = format!("seq:{}", String::from_utf8(bases).unwrap());
        let Outcome::Sequence(Ok(called)) = annotate_text(&e, &caller, &text) else {
            panic!("a sequence with one change gives one called variant")
        };
        assert_eq!(called.len(), 1);
        let (variant, annotation) = &called[0];
        assert_eq!((variant.chrom.as_str(), variant.pos), ("21", 25_585_733));
        assert!(annotation.called_from_sequence.is_some());
    }
}
