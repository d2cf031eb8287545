//! What a session holds only while it has analyses: submissions waiting for the broker and
//! the variants in flight. Created by the first `analyze` and dropped when nothing is left,
//! so an idle session carries one null pointer instead of a futures queue and a map.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::task::Poll;

use futures_util::stream::{FuturesOrdered, StreamExt};

use super::submit::{Pending, SubmitOutcome};

const PENDING_PREFIX: &str = "pending-";

#[derive(Default)]
pub struct Work(Option<Box<Active>>);

#[derive(Default)]
struct Active {
    pending: FuturesOrdered<Pending>,
    /// Variants of the analyses this connection started and has not seen complete.
    inflight: HashMap<String, usize>,
    /// Numbers the placeholders of submissions still pending (keys sort in order).
    pending_seq: u64,
}

impl Work {
    fn active(&mut self) -> &mut Active {
        self.0.get_or_insert_with(Box::default)
    }

    /// Frees the state once no submission is pending and no analysis is in flight.
    fn tidy(&mut self) {
        if self
            .0
            .as_ref()
            .is_some_and(|a| a.pending.is_empty() && a.inflight.is_empty())
        {
            self.0 = None;
        }
    }

    /// Anything submitted or in flight on this connection.
    pub fn is_busy(&self) -> bool {
        self.0.is_some()
    }

    pub fn has_pending(&self) -> bool {
        self.0.as_ref().is_some_and(|a| !a.pending.is_empty())
    }

    /// Analyses in progress, pending submissions included.
    pub fn analyses(&self) -> usize {
        self.0.as_ref().map_or(0, |a| a.inflight.len())
    }

    /// Variants in progress, pending submissions included.
    pub fn variants(&self) -> usize {
        self.0.as_ref().map_or(0, |a| a.inflight.values().sum())
    }

    /// Queues a submission; its variants count against the limits at once, so requests
    /// sent back to back respect them.
    pub fn submit(&mut self, submission: Pending, variant_count: usize) {
        let active = self.active();
        active.pending.push_back(submission);
        active.pending_seq += 1;
        let key = format!("{PENDING_PREFIX}{:020}", active.pending_seq);
        active.inflight.insert(key, variant_count);
    }

    /// The next finished submission, in submission order; `None` at once when none is
    /// pending (the caller's select disables the branch then anyway).
    pub fn next_submitted(&mut self) -> impl Future<Output = Option<SubmitOutcome>> + '_ {
        poll_fn(move |cx| match self.0.as_mut() {
            Some(active) if !active.pending.is_empty() => active.pending.poll_next_unpin(cx),
            _ => Poll::Ready(None),
        })
    }

    /// Removes the placeholder of the oldest pending submission (the one that just
    /// finished) and returns the variant count it held.
    pub fn take_placeholder(&mut self, fallback: usize) -> usize {
        let Some(active) = self.0.as_mut() else {
            return fallback;
        };
        let placeholder = active
            .inflight
            .keys()
            .filter(|k| k.starts_with(PENDING_PREFIX))
            .min()
            .cloned();
        let count = placeholder
            .and_then(|k| active.inflight.remove(&k))
            .unwrap_or(fallback);
        self.tidy();
        count
    }

    /// The broker took the analysis: it is in flight until its `complete` is read.
    pub fn accepted(&mut self, analysis_id: String, variant_count: usize) {
        self.active().inflight.insert(analysis_id, variant_count);
    }

    pub fn completed(&mut self, analysis_id: &str) {
        if let Some(active) = self.0.as_mut() {
            active.inflight.remove(analysis_id);
            self.tidy();
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::future::FutureExt;

    use super::*;

    fn never() -> Pending {
        std::future::pending().boxed_local()
    }

    #[test]
    fn an_idle_session_holds_no_analysis_state() {
        let mut work = Work::default();
        assert!(!work.is_busy());
        work.submit(never(), 3);
        assert!(work.is_busy() && work.has_pending());
        assert_eq!((work.analyses(), work.variants()), (1, 3));
        // The submission finished: its placeholder becomes the accepted analysis.
        let count = work.take_placeholder(0);
        assert_eq!(count, 3);
        work.accepted("a1".to_owned(), count);
        assert_eq!((work.analyses(), work.variants()), (1, 3));
        work.completed("a1");
        // The queue still holds the never-finishing future, so the state stays.
        assert!(work.is_busy());
        if let Some(active) = work.0.as_mut() {
            active.pending = FuturesOrdered::new();
        }
        work.tidy();
        assert!(!work.is_busy());
    }

    #[test]
    fn placeholders_are_taken_oldest_first_and_counts_kept() {
        let mut work = Work::default();
        work.submit(never(), 2);
        work.submit(never(), 5);
        assert_eq!(work.variants(), 7);
        assert_eq!(work.take_placeholder(99), 2);
        assert_eq!(work.take_placeholder(99), 5);
        assert_eq!(work.take_placeholder(99), 99);
    }

    #[tokio::test]
    async fn next_submitted_is_none_without_pending_work() {
        let mut work = Work::default();
        assert!(work.next_submitted().await.is_none());
    }
}
