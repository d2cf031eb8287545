//! A per-session token bucket for `analyze` requests.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimit {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            capacity: f64::from(burst.max(1)),
            per_second: f64::from(per_minute) / 60.0,
            tokens: f64::from(burst.max(1)),
            last: Instant::now(),
        }
    }

    /// Takes one token at `now`; `Err(wait)` says when the next one is due.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(
                missing / self.per_second.max(f64::MIN_POSITIVE),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_allowed_then_refused_until_refilled() {
        let start = Instant::now();
        let mut r = RateLimit::new(60, 2);
        assert!(r.take(start).is_ok());
        assert!(r.take(start).is_ok());
        let wait = r.take(start).expect_err("bucket empty");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(r.take(start + Duration::from_millis(1100)).is_ok());
    }
}
