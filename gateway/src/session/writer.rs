//! The WebSocket writer of one session: every write has a deadline, so a peer that stops
//! reading cannot pin its session task; it is closed as a slow consumer instead.

use std::time::{Duration, Instant};

use actix_ws::Closed;
use serde_json::Value;

use crate::protocol::ServerMessage;
use crate::telemetry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The peer is gone.
    Closed,
    /// The peer did not take the frame in time.
    TooSlow,
}

pub struct Writer {
    pub ws: actix_ws::Session,
    pub timeout: Duration,
}

impl Writer {
    async fn timed<F>(&self, f: F) -> Result<(), SendError>
    where
        F: std::future::Future<Output = Result<(), Closed>>,
    {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Closed)) => Err(SendError::Closed),
            Err(_) => Err(SendError::TooSlow),
        }
    }

    async fn text(&mut self, text: String) -> Result<(), SendError> {
        let started = Instant::now();
        let mut ws = self.ws.clone();
        self.timed(ws.text(text)).await?;
        metrics::counter!(telemetry::MESSAGES_OUT).increment(1);
        metrics::histogram!(telemetry::WS_SEND_SECONDS).record(started.elapsed().as_secs_f64());
        Ok(())
    }

    pub async fn send(&mut self, msg: &ServerMessage) -> Result<(), SendError> {
        self.text(msg.to_json()).await
    }

    pub async fn send_value(&mut self, msg: &Value) -> Result<(), SendError> {
        self.text(msg.to_string()).await
    }

    pub async fn send_all(&mut self, msgs: &[ServerMessage]) -> Result<(), SendError> {
        for msg in msgs {
            self.send(msg).await?;
        }
        Ok(())
    }

    pub async fn pong(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        let mut ws = self.ws.clone();
        self.timed(ws.pong(bytes)).await
    }

    pub async fn ping(&mut self) -> Result<(), SendError> {
        let mut ws = self.ws.clone();
        self.timed(ws.ping(b"")).await
    }
}
