//! The gateway: browser WebSocket sessions in, CloudEvents to the broker out, annotated
//! CloudEvents back to the right session.

pub mod analysis;
pub mod app;
pub mod broker;
pub mod config;
pub mod credential;
pub mod events;
pub mod frames;
pub mod http;
pub mod pipeline;
pub mod protocol;
pub mod registry;
pub mod session;
pub mod store;
pub mod telemetry;
