//! The function's business logic: one submitted chunk in, one result out. Pure: no HTTP, no
//! CloudEvents SDK, no I/O beyond what the annotator does.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::engine::output::VariantAnnotation;
use crate::events::{Annotated, AnnotatorInfo, Chunk, Failed, Outcome, Submitted, VariantError};

/// Why one submitted variant has no annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFailure {
    /// Stable snake_case code, e.g. `reference_mismatch`.
    pub code: String,
    pub message: String,
}

/// A remote backend's answer for one submitted string: one annotation per allele it
/// describes, or why it could not be annotated.
pub type VariantOutcome = Result<Vec<VariantAnnotation>, VariantFailure>;

/// One ALT of a multi-allelic input that could not be annotated while others were (issue
/// #17.6): reported as an error of that allele, the input counting as annotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlleleFailure {
    /// The ALT as submitted.
    pub allele: String,
    pub failure: VariantFailure,
}

/// What the annotator made of one submitted string: at least one annotation, and the ALTs
/// that failed beside them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub annotations: Vec<VariantAnnotation>,
    pub failed_alleles: Vec<AlleleFailure>,
}

impl From<Vec<VariantAnnotation>> for Answer {
    fn from(annotations: Vec<VariantAnnotation>) -> Self {
        Self {
            annotations,
            failed_alleles: Vec::new(),
        }
    }
}

/// The answer for one submitted string, or why it could not be annotated at all.
pub type AnswerOutcome = Result<Answer, VariantFailure>;

/// A chunk's answers, in input order (one per input).
pub type ChunkFuture<'a> = Pin<Box<dyn Future<Output = Vec<AnswerOutcome>> + Send + 'a>>;

/// A CPU-bound backend that answers one submitted string at a time (the built-in engine).
/// Served through [`Blocking`].
pub trait Annotator: Send + Sync {
    fn info(&self) -> AnnotatorInfo;
    fn annotate(&self, input: &str) -> AnswerOutcome;
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
fn annotate_guarded(annotator: &dyn Annotator, input: &str) -> AnswerOutcome {
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
        let outcome = answer.and_then(|answer| {
            if answer.annotations.is_empty() {
                // A backend that answers nothing must not make the variant vanish; its
                // failed ALTs, if any, say why.
                Err(answer
                    .failed_alleles
                    .into_iter()
                    .next()
                    .map(|a| a.failure)
                    .unwrap_or_else(|| VariantFailure {
                        code: "not_annotated".into(),
                        message: "the annotator returned no annotation for this variant".into(),
                    }))
            } else {
                Ok(answer)
            }
        });
        match outcome {
            Ok(answer) => {
                for mut annotation in answer.annotations {
                    annotation.input_index = Some(index);
                    annotations.push(annotation);
                }
                for failed in answer.failed_alleles {
                    errors.push(VariantError {
                        allele: Some(failed.allele),
                        code: failed.failure.code,
                        input: input.clone(),
                        input_index: index,
                        message: failed.failure.message,
                    });
                }
            }
            Err(f) => errors.push(VariantError {
                allele: None,
                code: f.code,
                input: input.clone(),
                input_index: index,
                message: f.message,
            }),
        }
    }
    Annotated {
        analysis_id: submitted.analysis_id.clone(),
        annotations,
        annotator: annotator.info(),
        chunk_count: submitted.chunk_count,
        chunk_index: submitted.chunk_index,
        errors,
        first_index: first,
        part_count: 1,
        part_index: 0,
        session_id: submitted.session_id.clone(),
        variant_count: submitted.variants.len() as u64,
    }
}

/// Inputs of `annotated` without any annotation (what the user sees as failed).
pub fn failed_inputs(annotated: &Annotated) -> u64 {
    let with_annotation: std::collections::HashSet<u64> = annotated
        .annotations
        .iter()
        .filter_map(|a| a.input_index)
        .collect();
    let failed: std::collections::HashSet<u64> = annotated
        .errors
        .iter()
        .map(|e| e.input_index)
        .filter(|i| !with_annotation.contains(i))
        .collect();
    failed.len() as u64
}

/// A chunk that failed as a whole, reported to the user rather than dropped.
pub fn failed(chunk: Chunk, code: &str, message: String, retryable: bool) -> Outcome {
    Outcome::Failed(Failed::of(chunk, code, message, retryable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Backend;

    fn allele(allele_string: &str) -> VariantAnnotation {
        VariantAnnotation {
            allele_string: allele_string.into(),
            ..Default::default()
        }
    }

    /// A real (if tiny) backend for the contract: it knows one allele string per input.
    struct Literal;

    impl Annotator for Literal {
        fn info(&self) -> AnnotatorInfo {
            AnnotatorInfo {
                backend: Backend::Local,
                version: "test".into(),
                assembly: None,
                gene_models: None,
                reference: None,
            }
        }
        fn annotate(&self, input: &str) -> AnswerOutcome {
            match input {
                "panic" => panic!("a defect on one variant"),
                "multi" => Ok(vec![allele("C/T"), allele("C/G")].into()),
                "none" => Ok(Answer::default()),
                "ok" => Ok(vec![allele("C/T")].into()),
                "one-bad-alt" => Ok(Answer {
                    annotations: vec![allele("C/T")],
                    failed_alleles: vec![AlleleFailure {
                        allele: "<script>".into(),
                        failure: VariantFailure {
                            code: "unsupported_allele".into(),
                            message: "symbolic".into(),
                        },
                    }],
                }),
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
            chunk_count: 1,
            chunk_index: 0,
            first_index,
            request_id: "r".into(),
            session_id: "s".into(),
            variants: variants.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn a_bad_alt_beside_good_ones_is_an_allele_error_and_the_input_counts_as_annotated() {
        let out = process(
            &submitted(&["one-bad-alt", "bad"], Some(0)),
            &Blocking(Arc::new(Literal)),
        )
        .await;
        assert_eq!(out.annotations.len(), 1);
        let allele_errors: Vec<(u64, Option<&str>)> = out
            .errors
            .iter()
            .map(|e| (e.input_index, e.allele.as_deref()))
            .collect();
        assert_eq!(allele_errors, vec![(0, Some("<script>")), (1, None)]);
        assert_eq!(failed_inputs(&out), 1, "input 0 is annotated");
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
            .map(|a| a.input_index.unwrap())
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
