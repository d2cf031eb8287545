//! A circuit breaker: after `threshold` consecutive failed requests Ensembl is considered down
//! for `cooldown`, and chunks fail fast instead of queueing behind timeouts. After the
//! cooldown one probe request is let through; its outcome closes or re-opens the circuit.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is out; another is allowed if it never reports back within the cooldown.
    HalfOpen {
        probe_since: Instant,
    },
}

pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a request may be sent now.
    pub fn allow(&self) -> bool {
        let mut state = self.lock();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now < until => false,
            State::HalfOpen { probe_since } if now < probe_since + self.cooldown => false,
            State::Open { .. } | State::HalfOpen { .. } => {
                *state = State::HalfOpen { probe_since: now };
                true
            }
        }
    }

    /// Ensembl answered (any answer that shows it is up, including a 400).
    pub fn success(&self) {
        let mut state = self.lock();
        if !matches!(*state, State::Closed { .. }) {
            tracing::info!("Ensembl answered again: circuit closed");
            metrics::gauge!("vep_ensembl_circuit_open").set(0.0);
        }
        *state = State::Closed { failures: 0 };
    }

    /// Ensembl failed to answer (timeout, connection error, 5xx).
    pub fn failure(&self) {
        let mut state = self.lock();
        let open = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            State::Closed { .. } | State::HalfOpen { .. } => true,
            // Late failures of requests sent before the circuit opened change nothing.
            State::Open { .. } => false,
        };
        if open {
            *state = State::Open {
                until: Instant::now() + self.cooldown,
            };
            tracing::warn!(
                cooldown_ms = self.cooldown.as_millis() as u64,
                "Ensembl keeps failing: circuit open, chunks fail fast until it answers again"
            );
            metrics::counter!("vep_ensembl_circuit_opened_total").increment(1);
            metrics::gauge!("vep_ensembl_circuit_open").set(1.0);
        }
    }

    pub fn is_open(&self) -> bool {
        !matches!(*self.lock(), State::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_after_consecutive_failures_and_probes_after_the_cooldown() {
        let b = Breaker::new(2, Duration::from_millis(100));
        b.failure();
        assert!(b.allow());
        b.success();
        b.failure();
        assert!(b.allow(), "failures must be consecutive");
        b.failure();
        assert!(!b.allow());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(b.allow(), "one probe after the cooldown");
        assert!(!b.allow(), "only one probe at a time");
        b.failure();
        assert!(!b.allow(), "a failed probe re-opens");
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(b.allow());
        b.success();
        assert!(b.allow() && b.allow());
        assert!(!b.is_open());
    }
}
