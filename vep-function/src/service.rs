//! The function's business logic: one submitted chunk in, one result out. Pure: no HTTP, no
//! CloudEvents SDK, no I/O beyond what the annotator does.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::events::{Annotated, AnnotatorInfo, Chunk, Failed, Outcome, Submitted, VariantError};

/// Why one submitted variant has no annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFailure {
    /// Stable snake_case code, e.g. `reference_mismatch`.
    pub code: String,
    pub message: String,
}

/// The answer for one submitted string: one VEP JSON object per allele it describes, or why it
/// could not be annotated.
pub type VariantOutcome = Result<Vec<serde_json::Value>, VariantFailure>;

/// A chunk's answers, in input order (one per input).
pub type ChunkFuture<'a> = Pin<Box<dyn Future<Output = Vec<VariantOutcome>> + Send + 'a>>;

/// A CPU-bound backend that answers one submitted string at a time (the built-in engine).
/// Served through [`Blocking`].
pub trait Annotator: Send + Sync {
    fn info(&self) -> AnnotatorInfo;
    fn annotate(&self, input: &str) -> VariantOutcome;
}

/// The seam `process` uses: a whole chunk at once, asynchronously, because remote backends
/// (Ensembl REST) batch many variants per request and wait on the network.
pub trait ChunkAnnotator: Send + Sync {
    fn info(&self) -> AnnotatorInfo;
    /// Exactly one answer per input, in input order.
    fn annotate_chunk<'a>(&'a self, inputs: &'a [String]) -> ChunkFuture<'a>;
}

/// Runs a per-variant [`Annotator`] on the blocking thread pool, so CPU work never stalls the
/// server's event loop.
pub struct Blocking(pub Arc<dyn Annotator>);

impl ChunkAnnotator for Blocking {
    fn info(&self) -> AnnotatorInfo {
        self.0.info()
    }

    fn annotate_chunk<'a>(&'a self, inputs: &'a [String]) -> ChunkFuture<'a> {
        let annotator = self.0.clone();
        let owned = inputs.to_vec();
        Box::pin(async move {
            let n = owned.len();
            let done = tokio::task::spawn_blocking(move || {
                owned
                    .iter()
                    .map(|input| annotate_guarded(annotator.as_ref(), input))
                    .collect::<Vec<_>>()
            })
            .await;
            done.unwrap_or_else(|e| {
                tracing::error!(error = %e, "annotation worker failed");
                (0..n)
                    .map(|_| Err(internal("annotation worker failed")))
                    .collect()
            })
        })
    }
}

/// A panic on one variant is a defect; it must not take the chunk's other variants with it.
fn annotate_guarded(annotator: &dyn Annotator, input: &str) -> VariantOutcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| annotator.annotate(input)))
        .unwrap_or_else(|_| Err(internal("the annotator failed on this variant")))
}

fn internal(message: &str) -> VariantFailure {
    VariantFailure {
        code: "internal".into(),
        message: message.into(),
    }
}

/// Annotates every variant of a submitted chunk. Every input index ends up exactly once in
/// `errors` or at least once in `annotations` (one object per ALT allele).
pub async fn process(submitted: &Submitted, annotator: &dyn ChunkAnnotator) -> Annotated {
    let first = submitted.first_index.unwrap_or(0);
    let mut annotations = Vec::with_capacity(submitted.variants.len());
    let mut errors = Vec::new();
    let answers = annotator.annotate_chunk(&submitted.variants).await;
    if answers.len() != submitted.variants.len() {
        tracing::error!(
            inputs = submitted.variants.len(),
            answers = answers.len(),
            "the annotator broke its one-answer-per-input contract"
        );
    }
    let mut answers = answers.into_iter();
    for (offset, input) in submitted.variants.iter().enumerate() {
        let index = first + offset as u64;
        let answer = answers
            .next()
            .unwrap_or_else(|| Err(internal("the annotator gave no answer for this variant")));
        let outcome = answer.and_then(|objects| {
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
                reference: None,
            }
        }
        fn annotate(&self, input: &str) -> VariantOutcome {
            match input {
                "panic" => panic!("a defect on one variant"),
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

    #[tokio::test]
    async fn every_input_index_is_accounted_for() {
        let out = process(
            &submitted(&["ok", "bad", "multi", "none", "panic"], Some(10)),
            &Blocking(Arc::new(Literal)),
        )
        .await;
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
        assert_eq!(
            failed,
            vec![(11, "unparsable"), (13, "not_annotated"), (14, "internal")]
        );
        assert_eq!(out.variant_count, 5);
    }
}
