//! Called variants through the engine: one annotation per variant, each carrying the
//! submitted sequence notation as `input` and the alignment summary as `called_from_sequence`.

use contract::annotation::{CalledFromSequence, SequenceExcerpt, Unresolved, VariantAnnotation};

use crate::engine::input::Variant;
use crate::engine::predict::Engine;
use crate::service::VariantFailure;

use super::{AlignmentSummary, CalledVariant, SequenceCaller};

fn failure(code: &str, message: String) -> VariantFailure {
    VariantFailure {
        code: code.into(),
        message,
    }
}

/// Places `input`, calls its variants and annotates each (with the variant, for writers that
/// print it); a sequence identical to the reference is answered with `no_variants` (naming
/// where it matched), not with silence.
pub fn annotate_sequence(
    engine: &Engine,
    caller: &SequenceCaller,
    input: &str,
) -> Result<Vec<(Variant, VariantAnnotation)>, VariantFailure> {
    let called = caller
        .call(engine, input)
        .map_err(|e| failure(e.code(), e.to_string()))?;
    let summary = &called.summary;
    if called.variants.is_empty() {
        let unresolved = if summary.unresolved.is_empty() {
            String::new()
        } else {
            format!(
                "; {} difference(s) left unresolved",
                summary.unresolved.len()
            )
        };
        return Err(failure(
            "no_variants",
            format!(
                "the sequence matches the reference at {} ({} strand, identity {:.4}): \
                 no variant to annotate{unresolved}",
                summary.covered,
                if summary.strand == 1 { "+" } else { "-" },
                summary.identity
            ),
        ));
    }
    let input = input.trim();
    called
        .variants
        .iter()
        .map(|called_variant| {
            let variant = Variant {
                input: input.to_string(),
                id: None,
                chrom: called_variant.chrom.clone(),
                pos: called_variant.pos,
                reference: called_variant.reference.clone(),
                alternate: called_variant.alternate.clone(),
            };
            let mut annotation = engine.annotate(&variant).map_err(|e| {
                failure(
                    "sequence_variant_not_annotated",
                    format!(
                        "variant {} {} {}>{} called from the sequence: {e}",
                        variant.chrom, variant.pos, variant.reference, variant.alternate
                    ),
                )
            })?;
            annotation.called_from_sequence = Some(called_from(summary, called_variant));
            Ok((variant, annotation))
        })
        .collect()
}

/// The alignment summary with the called variant and the alignment around it.
fn called_from(summary: &AlignmentSummary, called: &CalledVariant) -> CalledFromSequence {
    CalledFromSequence {
        cigar: summary.cigar.clone(),
        covered: summary.covered.clone(),
        excerpt: SequenceExcerpt {
            reference: called.excerpt.reference.clone(),
            sequence: called.excerpt.sequence.clone(),
            start: called.excerpt.start,
        },
        genotype: called.genotype.map(str::to_owned),
        identity: summary.identity,
        masked_columns: summary.masked_columns as u64,
        placed_by: summary.placed_by.to_owned(),
        query_length: summary.query_length as u64,
        strand: summary.strand,
        unresolved: summary
            .unresolved
            .iter()
            .map(|u| Unresolved {
                at: u.at.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
        variant: format!(
            "{} {} . {} {}",
            called.chrom, called.pos, called.reference, called.alternate
        ),
    }
}
