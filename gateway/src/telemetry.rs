//! Prometheus metrics (served by the internal listener's `/metrics`) and their names, and
//! how logs name sessions and analyses.
//!
//! The recorder is process-global; installing it twice (several gateways in one test
//! process) reuses the first one.
//!
//! Session and analysis ids let their holder read results (a session id plus its secret,
//! an analysis id plus its token), and they name patient data: logs at INFO and above carry
//! [`redact`]ed ids instead, a short keyed hash. With `LOG_ID_KEY` set, every replica hashes
//! an id alike, so one analysis can be followed across replicas; otherwise the key is random
//! per process.

use std::fmt;
use std::sync::OnceLock;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const SESSIONS: &str = "gateway_sessions";
pub const SESSIONS_OPENED: &str = "gateway_sessions_opened_total";
pub const SESSIONS_RESUMED: &str = "gateway_sessions_resumed_total";
pub const MESSAGES_IN: &str = "gateway_ws_messages_in_total";
pub const MESSAGES_OUT: &str = "gateway_ws_messages_out_total";
pub const EVENTS_SENT: &str = "gateway_events_sent_total";
pub const BROKER_ERRORS: &str = "gateway_broker_errors_total";
pub const EVENTS_RECEIVED: &str = "gateway_events_received_total";
pub const STORE_ERRORS: &str = "gateway_store_errors_total";
pub const LIMIT_REJECTIONS: &str = "gateway_limit_rejections_total";
pub const SESSIONS_CLOSED: &str = "gateway_sessions_closed_total";
/// Refused credentials (session secrets, download tokens, event tokens), by `code`.
pub const AUTH_FAILURES: &str = "gateway_auth_failures_total";
/// Uploads and downloads refused because their pool was full.
pub const BUSY_REJECTIONS: &str = "gateway_busy_rejections_total";
/// Entries a session found waiting in its stream when it read: its queue depth.
pub const QUEUE_DEPTH: &str = "gateway_session_queue_depth";
pub const BROKER_SEND_SECONDS: &str = "gateway_broker_send_seconds";
pub const INGEST_SECONDS: &str = "gateway_event_ingest_seconds";
pub const WS_SEND_SECONDS: &str = "gateway_ws_send_seconds";

/// Latency buckets (seconds) shared by the histograms: 0.5 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Queue depth buckets (entries).
const DEPTH_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static LOG_KEY: OnceLock<hmac::Key> = OnceLock::new();

/// Sets the key of [`redact`] from configuration; the first call wins (tests start several
/// gateways in one process). Without a call the key is random.
pub fn set_log_key(configured: Option<&str>) {
    LOG_KEY.get_or_init(|| match configured {
        Some(k) => hmac::Key::new(hmac::HMAC_SHA256, k.as_bytes()),
        None => random_key(),
    });
}

fn random_key() -> hmac::Key {
    let mut bytes = [0u8; 32];
    // Should the system RNG fail, ids still never appear in logs: the key is just weaker.
    let _ = SystemRandom::new().fill(&mut bytes);
    hmac::Key::new(hmac::HMAC_SHA256, &bytes)
}

/// An id as logs may show it: the first 8 bytes of HMAC-SHA256(key, id), in hex.
pub struct Redacted<'a>(&'a str);

/// Wraps an id for a log field: `tracing::info!(session = %redact(&id), ..)`.
pub fn redact(id: &str) -> Redacted<'_> {
    Redacted(id)
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = LOG_KEY.get_or_init(random_key);
        let tag = hmac::sign(key, self.0.as_bytes());
        for b in &tag.as_ref()[..8] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Installs the global recorder once. `None` if another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(BUCKETS).and_then(|b| {
                b.set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(QUEUE_DEPTH.to_owned()),
                    DEPTH_BUCKETS,
                )
            });
            let builder = match builder {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "metrics buckets rejected");
                    return None;
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "metrics recorder already installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    match HANDLE.get().and_then(Option::as_ref) {
        Some(h) => {
            h.run_upkeep();
            h.render()
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_ids_are_short_stable_and_do_not_contain_the_id() {
        let id = "5d1c2f4e-8a7b-4c3d-9e0f-1a2b3c4d5e6f";
        let shown = redact(id).to_string();
        assert_eq!(shown.len(), 16);
        assert!(shown.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(shown, redact(id).to_string());
        assert_ne!(
            shown,
            redact("5d1c2f4e-8a7b-4c3d-9e0f-1a2b3c4d5e6e").to_string()
        );
        assert!(!id.contains(&shown));
    }
}
