//! A token bucket of depth one shared by every request of the instance: requests leave at
//! most `rate` per second, evenly spaced, so no one-second window exceeds the server's
//! per-second limit (a deeper bucket would allow bursts of twice the rate). A 429 pauses all
//! requests for the server's `Retry-After`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub struct Limiter {
    interval: Duration,
    /// When the next request may leave.
    next: Mutex<Instant>,
}

/// The request could not leave before the caller's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastDeadline;

impl Limiter {
    pub fn new(rate_per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / rate_per_second),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this request's slot. A slot past `deadline` is not taken.
    pub async fn acquire(&self, deadline: Instant) -> Result<(), PastDeadline> {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            if slot > deadline {
                return Err(PastDeadline);
            }
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    /// Holds every request back until `until` (the server asked us to slow down).
    pub fn pause_until(&self, until: Instant) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next = (*next).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_spaced_by_the_rate() {
        let limiter = Limiter::new(20.0);
        let far = Instant::now() + Duration::from_secs(10);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire(far).await.unwrap();
        }
        // The first leaves at once, the next four 50 ms apart.
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_pause_delays_the_next_request_and_deadlines_are_kept() {
        let limiter = Limiter::new(100.0);
        let start = Instant::now();
        limiter.pause_until(start + Duration::from_millis(150));
        assert_eq!(
            limiter.acquire(start + Duration::from_millis(50)).await,
            Err(PastDeadline)
        );
        limiter
            .acquire(start + Duration::from_secs(5))
            .await
            .unwrap();
        assert!(start.elapsed() >= Duration::from_millis(150));
    }
}
