//! Prometheus metrics (served by the internal listener's `/metrics`) and their names.
//!
//! The recorder is process-global; installing it twice (several gateways in one test
//! process) reuses the first one.

use std::sync::OnceLock;

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
