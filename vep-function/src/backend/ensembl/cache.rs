//! Answers of Ensembl are deterministic for one server release, so they are kept in memory,
//! bounded by their size, keyed by (server, assembly, options, endpoint, normalised notation).
//! Only annotations are cached: failures may be transient.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use moka::future::Cache;

use super::input::Endpoint;
use crate::engine::output::VariantAnnotation;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// Server URL, species, assembly and options: what makes an answer differ.
    scope: Arc<str>,
    endpoint: Endpoint,
    text: String,
}

pub struct AnswerCache {
    scope: Arc<str>,
    entries: Cache<Key, Arc<Vec<VariantAnnotation>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Hits and misses since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

impl AnswerCache {
    pub fn new(scope: String, max_bytes: u64) -> Self {
        let entries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &Key, v: &Arc<Vec<VariantAnnotation>>| {
                let bytes = k.text.len()
                    + v.iter()
                        .map(|a| serde_json::to_vec(a).map_or(0, |j| j.len()))
                        .sum::<usize>();
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
        Self {
            scope: scope.into(),
            entries,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn key(&self, endpoint: Endpoint, text: &str) -> Key {
        Key {
            scope: self.scope.clone(),
            endpoint,
            text: text.to_string(),
        }
    }

    pub async fn get(&self, endpoint: Endpoint, text: &str) -> Option<Arc<Vec<VariantAnnotation>>> {
        let found = self.entries.get(&self.key(endpoint, text)).await;
        let (counter, result) = match found {
            Some(_) => (&self.hits, "hit"),
            None => (&self.misses, "miss"),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("vep_ensembl_cache_total", "result" => result).increment(1);
        found
    }

    pub async fn insert(
        &self,
        endpoint: Endpoint,
        text: &str,
        answer: Arc<Vec<VariantAnnotation>>,
    ) {
        self.entries.insert(self.key(endpoint, text), answer).await;
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}
