//! The Ensembl VEP REST API as a backend (`VEP_BACKEND=ensembl`): a chunk's variants are
//! normalised, served from the cache where possible, and the rest sent in batches to the
//! POST endpoints. Failures are typed per variant; nothing is ever made up for a variant
//! Ensembl did not annotate.

mod breaker;
mod cache;
mod client;
mod combined;
mod input;
mod limiter;
mod response;

pub use cache::CacheStats;
pub use client::ClientError;
pub use combined::Combined;
pub use input::{Endpoint, Query, QueryError};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::time::Instant;

use crate::config::EnsemblSettings;
use crate::engine::output::VariantAnnotation;
use crate::events::{AnnotatorInfo, Backend};
use crate::service::{ChunkAnnotator, ChunkFuture, VariantFailure, VariantOutcome};

use cache::AnswerCache;
use client::Client;

/// Error codes of this backend (see BACKENDS.md).
pub mod codes {
    /// Ensembl is down, overloaded, timed out or the circuit is open: retry later.
    pub const UNAVAILABLE: &str = "backend_unavailable";
    /// Ensembl answered 400 for this variant: permanent.
    pub const REJECTED: &str = "backend_rejected";
    /// Ensembl answered, but without this variant.
    pub const NOT_ANNOTATED: &str = "not_annotated";
    /// Ensembl answered with an object that is not a VEP annotation (a field every VEP
    /// answer has is missing): nothing is guessed.
    pub const INVALID_ANSWER: &str = "backend_invalid_answer";
}

pub(crate) fn failure(code: &str, message: &str) -> VariantFailure {
    VariantFailure {
        code: code.into(),
        message: message.into(),
    }
}

pub struct EnsemblAnnotator {
    client: Client,
    cache: AnswerCache,
    settings: EnsemblSettings,
}

impl EnsemblAnnotator {
    pub fn new(settings: &EnsemblSettings) -> Result<Self, ClientError> {
        let scope = format!(
            "{} {} {} {}",
            settings.url, settings.species, settings.assembly, settings.options
        );
        Ok(Self {
            client: Client::new(settings)?,
            cache: AnswerCache::new(scope, settings.cache_bytes),
            settings: settings.clone(),
        })
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    pub fn circuit_open(&self) -> bool {
        self.client.circuit_open()
    }

    /// Annotates parsed queries; one answer per query, in order.
    pub async fn annotate_queries(&self, queries: &[Query]) -> Vec<VariantOutcome> {
        let deadline = Instant::now() + self.settings.chunk_deadline;
        let mut answers: Vec<Option<VariantOutcome>> = vec![None; queries.len()];
        // Duplicates within a chunk are sent once.
        let mut wanted: HashMap<&Query, Vec<usize>> = HashMap::new();
        for (i, q) in queries.iter().enumerate() {
            wanted.entry(q).or_default().push(i);
        }
        let mut to_send: BTreeMap<Endpoint, Vec<String>> = BTreeMap::new();
        for (q, indexes) in &wanted {
            match self.cache.get(q.endpoint, &q.text).await {
                Some(hit) => fill(&mut answers, indexes, Ok(hit.as_ref().clone())),
                None => to_send.entry(q.endpoint).or_default().push(q.text.clone()),
            }
        }
        let batches = to_send.into_iter().flat_map(|(endpoint, texts)| {
            texts
                .chunks(self.settings.batch_size)
                .map(|b| (endpoint, b.to_vec()))
                .collect::<Vec<_>>()
        });
        // Every batch runs concurrently; the client's semaphore and rate limit pace them.
        let done = futures_util::future::join_all(batches.map(|(endpoint, texts)| async move {
            (
                endpoint,
                self.client.annotate(endpoint, texts, deadline).await,
            )
        }))
        .await;
        for (endpoint, results) in done {
            for (text, answer) in results {
                if let Ok(objects) = &answer {
                    self.cache
                        .insert(endpoint, &text, Arc::new(objects.clone()))
                        .await;
                }
                let query = Query { endpoint, text };
                if let Some(indexes) = wanted.get(&query) {
                    fill(&mut answers, indexes, answer);
                }
            }
        }
        answers
            .into_iter()
            .map(|a| {
                a.unwrap_or_else(|| {
                    Err(failure(
                        "internal",
                        "the Ensembl client gave no answer for this variant",
                    ))
                })
            })
            .collect()
    }
}

/// Ensembl echoes the normalised text it was sent; the user should see what they submitted.
pub(crate) fn with_input(
    mut annotations: Vec<VariantAnnotation>,
    original: &str,
) -> Vec<VariantAnnotation> {
    for a in &mut annotations {
        original.clone_into(&mut a.input);
    }
    annotations
}

fn fill(answers: &mut [Option<VariantOutcome>], indexes: &[usize], answer: VariantOutcome) {
    for &i in indexes {
        if let Some(slot) = answers.get_mut(i) {
            *slot = Some(answer.clone());
        }
    }
}

impl ChunkAnnotator for EnsemblAnnotator {
    fn info(&self) -> AnnotatorInfo {
        let host = self.settings.url.host_str().unwrap_or("?");
        AnnotatorInfo {
            assembly: Some(self.settings.assembly.clone()),
            backend: Backend::Ensembl,
            gene_models: Some(format!("Ensembl VEP REST at {host}")),
            reference: None,
            version: format!("Ensembl VEP REST ({host})"),
        }
    }

    fn annotate_chunk<'a>(&'a self, inputs: &'a [String]) -> ChunkFuture<'a> {
        Box::pin(async move {
            let parsed: Vec<Result<Query, QueryError>> = inputs.iter().map(|s| s.parse()).collect();
            let queries: Vec<Query> = parsed.iter().filter_map(|p| p.clone().ok()).collect();
            let mut sent = self.annotate_queries(&queries).await.into_iter();
            parsed
                .into_iter()
                .zip(inputs)
                .map(|(p, original)| match p {
                    Ok(_) => sent
                        .next()
                        .unwrap_or_else(|| {
                            Err(failure("internal", "the Ensembl client lost this variant"))
                        })
                        .map(|objects| with_input(objects, original).into()),
                    Err(e) => Err(failure(e.code(), &e.to_string())),
                })
                .collect()
        })
    }
}
