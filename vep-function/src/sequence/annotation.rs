//! Called variants through the engine: one VEP JSON object per variant, each carrying the
//! submitted sequence notation as `input` and the alignment summary as `called_from_sequence`.

use serde_json::Value;

use crate::engine::annotate::Engine;
use crate::engine::variant::Variant;
use crate::service::{VariantFailure, VariantOutcome};

use super::SequenceCaller;

fn failure(code: &str, message: String) -> VariantFailure {
    VariantFailure {
        code: code.into(),
        message,
    }
}

/// Places `input`, calls its variants and annotates each; a sequence identical to the
/// reference is answered with `no_variants` (naming where it matched), not with silence.
pub fn annotate_sequence(engine: &Engine, caller: &SequenceCaller, input: &str) -> VariantOutcome {
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
    let summary_json = serde_json::to_value(summary)
        .map_err(|e| failure("internal", format!("alignment summary: {e}")))?;
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
            let annotation = engine.annotate(&variant).map_err(|e| {
                failure(
                    "sequence_variant_not_annotated",
                    format!(
                        "variant {} {} {}>{} called from the sequence: {e}",
                        variant.chrom, variant.pos, variant.reference, variant.alternate
                    ),
                )
            })?;
            let mut value = serde_json::to_value(annotation)
                .map_err(|e| failure("internal", format!("annotation: {e}")))?;
            let mut from_sequence = summary_json.clone();
            if let Some(map) = from_sequence.as_object_mut() {
                map.insert(
                    "variant".into(),
                    Value::String(format!(
                        "{} {} . {} {}",
                        variant.chrom, variant.pos, variant.reference, variant.alternate
                    )),
                );
                if let Ok(excerpt) = serde_json::to_value(&called_variant.excerpt) {
                    map.insert("excerpt".into(), excerpt);
                }
                if let Some(genotype) = called_variant.genotype {
                    map.insert("genotype".into(), Value::String(genotype.into()));
                }
            }
            if let Some(map) = value.as_object_mut() {
                map.insert("called_from_sequence".into(), from_sequence);
            }
            Ok(value)
        })
        .collect()
}
