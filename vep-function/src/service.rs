//! The function's business logic: one submitted chunk in, one result out. Pure: no HTTP, no
//! CloudEvents SDK, no I/O beyond what the annotator does.

use crate::events::{Annotated, AnnotatorInfo, Chunk, Failed, Outcome, Submitted, VariantError};

/// Why one submitted variant has no annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFailure {
    /// Stable snake_case code, e.g. `reference_mismatch`.
    pub code: String,
    pub message: String,
}

/// An annotation backend. `annotate` answers one submitted string: one VEP JSON object per
/// allele it describes, or why it could not be annotated.
pub trait Annotator: Send + Sync {
    fn info(&self) -> AnnotatorInfo;
    fn annotate(&self, input: &str) -> Result<Vec<serde_json::Value>, VariantFailure>;
}

/// Annotates every variant of a submitted chunk. Every input index ends up exactly once in
/// `errors` or at least once in `annotations` (one object per ALT allele).
pub fn process(submitted: &Submitted, annotator: &dyn Annotator) -> Annotated {
    let first = submitted.first_index.unwrap_or(0);
    let mut annotations = Vec::with_capacity(submitted.variants.len());
    let mut errors = Vec::new();
    for (offset, input) in submitted.variants.iter().enumerate() {
        let index = first + offset as u64;
        let outcome = annotator.annotate(input).and_then(|objects| {
            if objects.is_empty() {
                // A backend that answers nothing must not make the variant vanish.
                Err(VariantFailure {
                    code: "not_annotated".into(),
                    message: "the annotator returned no annotation for this variant".into(),
                })
            } else {
                Ok(objects)
            }
        });
        match outcome {
            Ok(objects) => {
                for mut object in objects {
                    if let Some(map) = object.as_object_mut() {
                        map.insert("input_index".into(), index.into());
                    }
                    annotations.push(object);
                }
            }
            Err(f) => errors.push(VariantError {
                input: input.clone(),
                input_index: index,
                code: f.code,
                message: f.message,
            }),
        }
    }
    Annotated {
        analysis_id: submitted.analysis_id.clone(),
        session_id: submitted.session_id.clone(),
        chunk_index: submitted.chunk_index,
        chunk_count: submitted.chunk_count,
        variant_count: submitted.variants.len(),
        annotations,
        errors,
        annotator: annotator.info(),
    }
}

/// A chunk that failed as a whole, reported to the user rather than dropped.
pub fn failed(chunk: Chunk, code: &str, message: String, retryable: bool) -> Outcome {
    Outcome::Failed(Failed {
        analysis_id: chunk.analysis_id,
        session_id: chunk.session_id,
        chunk_index: chunk.chunk_index,
        chunk_count: chunk.chunk_count,
        variant_count: chunk.variant_count,
        code: code.into(),
        message,
        retryable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A real (if tiny) backend for the contract: it knows one allele string per input.
    struct Literal;

    impl Annotator for Literal {
        fn info(&self) -> AnnotatorInfo {
            AnnotatorInfo {
                backend: "local".into(),
                version: "test".into(),
                assembly: None,
                gene_models: None,
            }
        }
        fn annotate(&self, input: &str) -> Result<Vec<serde_json::Value>, VariantFailure> {
            match input {
                "multi" => Ok(vec![
                    json!({"allele_string":"C/T"}),
                    json!({"allele_string":"C/G"}),
                ]),
                "none" => Ok(vec![]),
                "ok" => Ok(vec![json!({"allele_string":"C/T"})]),
                _ => Err(VariantFailure {
                    code: "unparsable".into(),
                    message: format!("cannot parse {input}"),
                }),
            }
        }
    }

    fn submitted(variants: &[&str], first_index: Option<u64>) -> Submitted {
        Submitted {
            analysis_id: "a".into(),
            session_id: "s".into(),
            request_id: "r".into(),
            chunk_index: 0,
            chunk_count: 1,
            first_index,
            variants: variants.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn every_input_index_is_accounted_for() {
        let out = process(
            &submitted(&["ok", "bad", "multi", "none"], Some(10)),
            &Literal,
        );
        let annotated: Vec<u64> = out
            .annotations
            .iter()
            .map(|a| a["input_index"].as_u64().unwrap())
            .collect();
        assert_eq!(annotated, vec![10, 12, 12]);
        let failed: Vec<(u64, &str)> = out
            .errors
            .iter()
            .map(|e| (e.input_index, e.code.as_str()))
            .collect();
        assert_eq!(failed, vec![(11, "unparsable"), (13, "not_annotated")]);
        assert_eq!(out.variant_count, 4);
    }
}
