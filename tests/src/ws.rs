//! A WebSocket client speaking the gateway's protocol v1.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub session_id: String,
    /// The session's credential from the `session` frame: resume and REST uploads need it.
    pub resume_secret: String,
}

impl Client {
    /// Connects and reads the `session` greeting.
    pub async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        let mut client = Client {
            socket,
            session_id: String::new(),
            resume_secret: String::new(),
        };
        let hello = client.next_json(Duration::from_secs(5)).await;
        assert_eq!(hello["type"], "session", "first frame: {hello}");
        client.session_id = hello["session_id"]
            .as_str()
            .expect("session_id")
            .to_string();
        client.resume_secret = hello["resume_secret"]
            .as_str()
            .expect("resume_secret")
            .to_string();
        client
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send frame");
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string()).await;
    }

    /// The next JSON text frame, skipping pings; panics after `timeout`.
    pub async fn next_json(&mut self, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("socket closed")
                .expect("socket error");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).expect("server sent JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Waits `quiet` and returns every JSON frame that arrived meanwhile.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(quiet, self.socket.next()).await {
            if let Message::Text(t) = msg {
                out.push(serde_json::from_str(&t).expect("server sent JSON"));
            }
        }
        out
    }

    /// Sends an `analyze` request and collects frames until `complete` (or an error for it).
    pub async fn analyze(&mut self, request_id: &str, variants: &[&str]) -> Vec<Value> {
        self.send_json(&serde_json::json!({
            "type": "analyze", "request_id": request_id, "variants": variants
        }))
        .await;
        let mut frames = Vec::new();
        loop {
            let f = self.next_json(Duration::from_secs(30)).await;
            let done =
                f["type"] == "complete" || (f["type"] == "error" && f["request_id"] == request_id);
            frames.push(f);
            if done {
                return frames;
            }
        }
    }
}
