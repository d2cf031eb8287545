//! Sends submitted events to the Knative Broker: the contract's one sender
//! (`contract::delivery`, which vep-function uses for `K_SINK`), under the gateway's names.
//! Binary mode, a per-attempt timeout, bounded backed-off retries on 5xx, 408, 429, timeouts
//! and connection errors; its error codes are the `broker_*` codes users see.

pub use contract::delivery::{Delivery as Broker, DeliveryError as BrokerError};
