//! The count check of the fault tests: every submitted variant ends exactly once, as a
//! result (an annotation) or as a typed error (a per-variant error, a failed range or chunk,
//! or the refusal of the whole request), whichever part of its chunk it came in; every
//! accepted analysis gets exactly one `complete` whose counts add up.
//!
//! A [`Ledger`] is told what was submitted and fed every frame the client received; its
//! [`Tally`] says what ended how.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

#[derive(Debug, Default)]
struct Request {
    variants: usize,
    chunk_size: usize,
    /// How many times each input index ended: (as a result, as a typed error).
    endings: BTreeMap<u64, (usize, usize)>,
    accepted: usize,
    refused: usize,
    completes: Vec<(u64, u64)>,
}

impl Request {
    fn end(&mut self, index: u64, as_result: bool) {
        let e = self.endings.entry(index).or_default();
        if as_result {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }

    fn chunk_range(&self, chunk: u64) -> std::ops::Range<u64> {
        let size = self.chunk_size.max(1) as u64;
        let start = chunk.saturating_mul(size);
        start..(start + size).min(self.variants as u64)
    }

    /// Accepted with its `complete`, or refused as a whole.
    fn settled(&self) -> bool {
        self.refused > 0 || !self.completes.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct Ledger {
    requests: BTreeMap<String, Request>,
    /// Frames that name no known request (should not happen).
    pub strays: Vec<Value>,
    cursors: Vec<String>,
}

/// The outcome of a fault run, one row of the chaos summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub submitted: usize,
    pub results: usize,
    pub errors: usize,
    pub lost: usize,
    pub duplicated: usize,
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "submitted {} results {} typed errors {} lost {} duplicated {}",
            self.submitted, self.results, self.errors, self.lost, self.duplicated
        )
    }
}

impl Ledger {
    /// Records an `analyze` of `variants` variants, chunked by the gateway's `CHUNK_SIZE`.
    pub fn submit(&mut self, request_id: &str, variants: usize, chunk_size: usize) {
        self.requests.insert(
            request_id.to_owned(),
            Request {
                variants,
                chunk_size,
                ..Request::default()
            },
        );
    }

    /// Feeds one frame the client received.
    pub fn see(&mut self, frame: &Value) {
        let kind = frame["type"].as_str().unwrap_or_default();
        if matches!(kind, "session" | "resumed" | "pong") {
            return;
        }
        if let Some(c) = frame["cursor"].as_str() {
            self.cursors.push(c.to_owned());
        }
        let Some(req) = frame["request_id"]
            .as_str()
            .and_then(|id| self.requests.get_mut(id))
        else {
            self.strays.push(frame.clone());
            return;
        };
        match kind {
            "accepted" => req.accepted += 1,
            "result" => {
                let indices = |field: &str| -> Vec<u64> {
                    frame[field]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v["input_index"].as_u64()).collect())
                        .unwrap_or_default()
                };
                let mut annotated = indices("annotations");
                annotated.sort_unstable();
                annotated.dedup();
                let mut failed = indices("errors");
                failed.sort_unstable();
                failed.dedup();
                failed.retain(|i| annotated.binary_search(i).is_err());
                for i in annotated {
                    req.end(i, true);
                }
                for i in failed {
                    req.end(i, false);
                }
            }
            "error" => match frame["chunk_index"].as_u64() {
                // A failed range, or what of the chunk no result answered before.
                Some(chunk) => match (
                    frame["first_index"].as_u64(),
                    frame["variant_count"].as_u64(),
                ) {
                    (Some(first), Some(count)) => {
                        for i in first..first + count {
                            req.end(i, false);
                        }
                    }
                    _ => {
                        for i in req.chunk_range(chunk) {
                            if !req.endings.contains_key(&i) {
                                req.end(i, false);
                            }
                        }
                    }
                },
                None if frame["analysis_id"].is_null() => {
                    req.refused += 1;
                    for i in 0..req.variants as u64 {
                        req.end(i, false);
                    }
                }
                None => self.strays.push(frame.clone()),
            },
            // Between chunks; `complete` carries the final counts this ledger checks.
            "progress" => {}
            "complete" => req.completes.push((
                frame["annotated"].as_u64().unwrap_or(0),
                frame["failed"].as_u64().unwrap_or(0),
            )),
            _ => self.strays.push(frame.clone()),
        }
    }

    /// Every request is settled: refused, or accepted and complete.
    pub fn settled(&self) -> bool {
        self.requests.values().all(Request::settled)
    }

    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for req in self.requests.values() {
            t.submitted += req.variants;
            for i in 0..req.variants as u64 {
                match req.endings.get(&i).copied().unwrap_or_default() {
                    (0, 0) => t.lost += 1,
                    (1, 0) => t.results += 1,
                    (0, 1) => t.errors += 1,
                    _ => t.duplicated += 1,
                }
            }
        }
        t
    }

    /// Panics with the details unless nothing was lost, duplicated or left hanging.
    pub fn assert_exactly_once(&self) {
        let tally = self.tally();
        let mut problems = Vec::new();
        if tally.lost > 0 || tally.duplicated > 0 {
            problems.push(format!("{tally}"));
        }
        for (id, req) in &self.requests {
            let twice: Vec<_> = req.endings.iter().filter(|(_, e)| e.0 + e.1 > 1).collect();
            if !twice.is_empty() {
                problems.push(format!(
                    "{id}: inputs ended more than once (result, error): {twice:?}"
                ));
            }
            if !req.settled() {
                problems.push(format!("{id}: neither complete nor refused"));
            }
            if req.accepted > 1 || req.refused > 1 || (req.accepted > 0 && req.refused > 0) {
                problems.push(format!(
                    "{id}: accepted {} times, refused {} times",
                    req.accepted, req.refused
                ));
            }
            if req.completes.len() > 1 {
                problems.push(format!("{id}: {} complete frames", req.completes.len()));
            }
            if let Some(&(annotated, failed)) = req.completes.first() {
                if (annotated + failed) as usize != req.variants {
                    problems.push(format!(
                        "{id}: complete says {annotated}+{failed}, submitted {}",
                        req.variants
                    ));
                }
            }
        }
        let mut unique = self.cursors.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != self.cursors.len() {
            problems.push("a cursor was delivered twice".to_owned());
        }
        if !self.strays.is_empty() {
            problems.push(format!("frames of no request: {:?}", self.strays));
        }
        assert!(problems.is_empty(), "count check failed: {problems:#?}");
    }

    /// Prints the row `scripts/chaos.sh` collects into its summary table.
    pub fn report(&self, fault: &str) {
        let t = self.tally();
        println!(
            "CHAOS-TALLY\t{fault}\t{}\t{}\t{}\t{}\t{}",
            t.submitted, t.results, t.errors, t.lost, t.duplicated
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_variant_seen_as_result_and_chunk_error_is_duplicated() {
        let mut l = Ledger::default();
        l.submit("r", 2, 1);
        l.see(&json!({"type": "accepted", "request_id": "r", "analysis_id": "a"}));
        l.see(
            &json!({"type": "result", "request_id": "r", "chunk_index": 0,
                      "annotations": [{"input_index": 0}], "errors": [], "cursor": "0-1"}),
        );
        l.see(
            &json!({"type": "error", "request_id": "r", "analysis_id": "a",
                      "chunk_index": 0, "first_index": 0, "variant_count": 1, "code": "x",
                      "cursor": "0-2"}),
        );
        let t = l.tally();
        assert_eq!((t.duplicated, t.lost), (1, 1));
    }

    #[test]
    fn a_chunk_error_after_a_part_fails_only_what_no_result_answered() {
        let mut l = Ledger::default();
        l.submit("r", 3, 3);
        l.see(&json!({"type": "accepted", "request_id": "r", "analysis_id": "a"}));
        l.see(
            &json!({"type": "result", "request_id": "r", "chunk_index": 0,
                      "annotations": [{"input_index": 1}], "errors": [], "cursor": "0-1"}),
        );
        l.see(
            &json!({"type": "error", "request_id": "r", "analysis_id": "a",
                      "chunk_index": 0, "code": "chunk_timeout", "cursor": "0-2"}),
        );
        l.see(
            &json!({"type": "complete", "request_id": "r", "annotated": 1, "failed": 2,
                      "cursor": "0-3"}),
        );
        assert_eq!((l.tally().results, l.tally().errors), (1, 2));
        l.assert_exactly_once();
    }

    #[test]
    fn a_refused_request_counts_every_variant_as_a_typed_error() {
        let mut l = Ledger::default();
        l.submit("r", 3, 3);
        l.see(&json!({"type": "error", "request_id": "r", "code": "broker_timeout"}));
        assert!(l.settled());
        assert_eq!(l.tally().errors, 3);
        l.assert_exactly_once();
    }

    #[test]
    fn an_accepted_analysis_without_complete_is_not_settled() {
        let mut l = Ledger::default();
        l.submit("r", 1, 1);
        l.see(&json!({"type": "accepted", "request_id": "r", "analysis_id": "a"}));
        l.see(
            &json!({"type": "result", "request_id": "r", "chunk_index": 0,
                      "annotations": [], "errors": [{"input_index": 0}], "cursor": "0-1"}),
        );
        assert!(!l.settled());
        assert_eq!(l.tally().errors, 1);
    }
}
