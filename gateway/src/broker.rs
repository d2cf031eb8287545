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
    /// `BROKER_TOKEN_FILE`: submissions carry this file's token (sender identity); none by
    /// default.
    pub token_file: Option<std::path::PathBuf>,
    /// The CloudEvents `source` submitted events name (`CE_SOURCE`).
    pub source: String,
}

impl BrokerSettings {
    /// The sender for these settings; its token file, if any, is read once now.
    pub fn sender(&self) -> Result<Broker, SenderError> {
        let broker = Broker::new(self.url.clone(), self.timeout, self.retries)?;
        Ok(match &self.token_file {
            Some(path) => {
                contract::delivery::check_token_file(path)?;
                broker.with_token_file(path.clone())
            }
            None => broker,
        })
    }
}

/// Why the Broker's sender could not be built at start.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("building the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("BROKER_TOKEN_FILE: {0}")]
    Token(#[from] BrokerError),
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
