//! Sends submitted events to the Knative Broker: the contract's one sender
//! (`contract::delivery`, which vep-function uses for `K_SINK`), under the gateway's names.
//! Binary mode, a per-attempt timeout, bounded backed-off retries on 5xx, 408, 429, timeouts
//! and connection errors; its error codes are the `broker_*` codes users see.

use std::sync::Arc;
use std::time::Duration;

use contract::budget::Budget;
use contract::signing::Signing;

pub use contract::delivery::{Delivery as Broker, DeliveryError as BrokerError};

/// Where submitted events go and how hard to try (`Config::broker`).
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// `BROKER_URL`, or `K_SINK` when a SinkBinding injects it.
    pub url: url::Url,
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first, on retryable failures.
    pub retries: u32,
    /// The CloudEvents `source` submitted events name (`CE_SOURCE`).
    pub source: String,
}

/// What every submission leaves the gateway with: the Broker it goes to, the CloudEvents
/// `source` it names, the key it is signed with and the byte budget its events keep to.
#[derive(Clone)]
pub struct Publisher {
    pub broker: Broker,
    pub source: String,
    pub signing: Arc<Signing>,
    pub budget: Budget,
}
