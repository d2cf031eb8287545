//! A per-session token bucket for `analyze` requests.

use std::time::{Duration, Instant};

/// Only the bucket's state: capacity and refill rate are the same for every session, so
/// they come with each call instead of being stored once per connection.
#[derive(Debug)]
pub struct RateLimit {
    tokens: f64,
    last: Instant,
}

/// The bucket's shape: `burst` tokens, refilled at `per_minute`.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    fn capacity(self) -> f64 {
        f64::from(self.burst.max(1))
    }

    fn per_second(self) -> f64 {
        f64::from(self.per_minute) / 60.0
    }
}

impl RateLimit {
    pub fn new(rate: Rate) -> Self {
        Self {
            tokens: rate.capacity(),
            last: Instant::now(),
        }
    }

    /// Takes one token at `now`; `Err(wait)` says when the next one is due.
    pub fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rate.per_second()).min(rate.capacity());
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(
                missing / rate.per_second().max(f64::MIN_POSITIVE),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_allowed_then_refused_until_refilled() {
        let rate = Rate {
            per_minute: 60,
            burst: 2,
        };
        let start = Instant::now();
        let mut r = RateLimit::new(rate);
        assert!(r.take(rate, start).is_ok());
        assert!(r.take(rate, start).is_ok());
        let wait = r.take(rate, start).expect_err("bucket empty");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(r.take(rate, start + Duration::from_millis(1100)).is_ok());
    }
}
