//! A WebSocket client for fault tests: it never panics when the server goes away, and feeds
//! every frame it receives to a [`Ledger`].

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ledger::Ledger;

/// What the server sent next.
#[derive(Debug)]
pub enum Next {
    Json(Value),
    /// Close frame (code) or the connection ended.
    Closed(Option<u16>),
    /// Nothing within the wait.
    Quiet,
}

pub struct Observer {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub session_id: String,
    /// The session's credential from the `session` frame (resume needs it).
    pub resume_secret: String,
    /// Cursor of the last frame that carried one (for `resume`).
    pub last_cursor: Option<String>,
}

impl Observer {
    /// Connects and reads the `session` greeting.
    pub async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        let mut o = Observer {
            socket,
            session_id: String::new(),
            resume_secret: String::new(),
            last_cursor: None,
        };
        match o.next(Duration::from_secs(10)).await {
            Next::Json(hello) if hello["type"] == "session" => {
                o.session_id = hello["session_id"].as_str().unwrap_or_default().to_owned();
                o.resume_secret = hello["resume_secret"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
            }
            other => panic!("expected the session greeting, got {other:?}"),
        }
        o
    }

    /// Connects to `url` and resumes `session_id` (with its secret) after `last_seen`;
    /// returns once `resumed` arrived.
    pub async fn resume(
        url: &str,
        session_id: &str,
        resume_secret: &str,
        last_seen: Option<&str>,
    ) -> Self {
        let mut o = Self::connect(url).await;
        let mut msg = json!({"type": "resume", "session_id": session_id,
                             "resume_secret": resume_secret});
        if let Some(c) = last_seen {
            msg["last_seen"] = json!(c);
        }
        o.send(&msg).await;
        match o.next(Duration::from_secs(10)).await {
            Next::Json(f) if f["type"] == "resumed" => {}
            other => panic!("expected resumed, got {other:?}"),
        }
        o.session_id = session_id.to_owned();
        o.resume_secret = resume_secret.to_owned();
        o.last_cursor = last_seen.map(str::to_owned);
        o
    }

    pub async fn send(&mut self, v: &Value) {
        self.send_text(&v.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send frame");
    }

    /// Sends an `analyze` of `variants` and records it in `ledger`.
    pub async fn analyze(
        &mut self,
        ledger: &mut Ledger,
        request_id: &str,
        variants: &[String],
        chunk_size: usize,
    ) {
        ledger.submit(request_id, variants.len(), chunk_size);
        self.send(&json!({"type": "analyze", "request_id": request_id, "variants": variants}))
            .await;
    }

    pub async fn next(&mut self, wait: Duration) -> Next {
        loop {
            let msg = match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => return Next::Quiet,
                Ok(None) | Ok(Some(Err(_))) => return Next::Closed(None),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("server sent JSON");
                    if let Some(c) = v["cursor"].as_str() {
                        self.last_cursor = Some(c.to_owned());
                    }
                    return Next::Json(v);
                }
                Message::Close(c) => return Next::Closed(c.map(|c| u16::from(c.code))),
                _ => continue,
            }
        }
    }

    /// Reads frames into `ledger` until `stop` says so, the connection ends, or `timeout`.
    /// Returns false when the connection ended.
    pub async fn read_until(
        &mut self,
        ledger: &mut Ledger,
        timeout: Duration,
        mut stop: impl FnMut(&Ledger, &Value) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "nothing settled within {timeout:?}");
            match self.next(left).await {
                Next::Json(f) => {
                    ledger.see(&f);
                    if stop(ledger, &f) {
                        return true;
                    }
                }
                Next::Closed(_) => return false,
                Next::Quiet => {}
            }
        }
    }

    /// [`Observer::settle`], keeping every frame read for assertions.
    pub async fn settle_keep(
        &mut self,
        ledger: &mut Ledger,
        timeout: Duration,
        quiet: Duration,
    ) -> Vec<Value> {
        let mut frames = Vec::new();
        self.read_until(ledger, timeout, |l, f| {
            frames.push(f.clone());
            l.settled()
        })
        .await;
        while let Next::Json(f) = self.next(quiet).await {
            ledger.see(&f);
            frames.push(f);
        }
        frames
    }

    /// Reads until every request in `ledger` is settled, then keeps listening for `quiet`
    /// so late duplicates would be caught too.
    pub async fn settle(&mut self, ledger: &mut Ledger, timeout: Duration, quiet: Duration) {
        if !ledger.settled() {
            let open = self.read_until(ledger, timeout, |l, _| l.settled()).await;
            assert!(open, "the connection ended before every request settled");
        }
        while let Next::Json(f) = self.next(quiet).await {
            ledger.see(&f);
        }
    }
}
