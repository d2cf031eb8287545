//! A minimal HTTP/1.1 server that records binary-mode CloudEvents and answers with a status
//! chosen by the test: a stand-in for a Knative sink or broker endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received request, with its CloudEvent attributes (`ce-*` headers) and body.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    /// The event as a structured-mode JSON object: attributes plus `data` (an annotated
    /// part's compact data decoded).
    pub fn event(&self) -> Value {
        let mut obj = Map::new();
        for (k, v) in &self.headers {
            if let Some(attr) = k.strip_prefix("ce-") {
                obj.insert(attr.to_string(), Value::String(v.clone()));
            }
        }
        if let Some(ct) = self.headers.get("content-type") {
            obj.insert("datacontenttype".into(), Value::String(ct.clone()));
        }
        let compact = self.headers.get("content-type").map(String::as_str)
            == Some(contract::event::CONTENT_TYPE_ANNOTATED);
        let data = if compact {
            // The compact encoding, decoded: the form the v2 schema describes.
            contract::wire::decode(&self.body)
                .ok()
                .and_then(|d| serde_json::to_value(d).ok())
                .unwrap_or(Value::Null)
        } else {
            serde_json::from_slice(&self.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into()))
        };
        obj.insert("data".into(), data);
        Value::Object(obj)
    }
}

#[derive(Clone)]
pub struct Recorder {
    pub port: u16,
    status: Arc<AtomicU16>,
    /// A body larger than this many bytes gets `large_status` (0: no limit).
    large_limit: Arc<AtomicUsize>,
    large_status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    /// Starts recording on a free loopback port, answering `status` (e.g. 202).
    pub async fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind recorder");
        let port = listener.local_addr().expect("addr").port();
        let rec = Recorder {
            port,
            status: Arc::new(AtomicU16::new(status)),
            large_limit: Arc::default(),
            large_status: Arc::default(),
            received: Arc::default(),
        };
        let r = rec.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let r = r.clone();
                tokio::spawn(async move {
                    let _ = r.serve(stream).await;
                });
            }
        });
        rec
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Answers `status` to every request whose body is over `limit` bytes (as a sink with a
    /// smaller record limit answers 413).
    pub fn refuse_larger_than(&self, limit: usize, status: u16) {
        self.large_status.store(status, Ordering::SeqCst);
        self.large_limit.store(limit, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` requests arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "recorder got {} of {n} requests in {timeout:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn serve(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream);
        while let Some(head) = read_head(&mut reader).await? {
            let len: usize = head
                .headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).await?;
            let limit = self.large_limit.load(Ordering::SeqCst);
            let too_large = limit > 0 && body.len() > limit;
            if let Ok(mut v) = self.received.lock() {
                v.push(Received {
                    method: head.method,
                    path: head.path,
                    headers: head.headers,
                    body,
                });
            }
            let status = if too_large {
                self.large_status.load(Ordering::SeqCst)
            } else {
                self.status.load(Ordering::SeqCst)
            };
            let reply = format!("HTTP/1.1 {status} Recorded\r\ncontent-length: 0\r\n\r\n");
            reader.get_mut().write_all(reply.as_bytes()).await?;
        }
        Ok(())
    }
}

/// A request line and its headers (names lowercased).
pub struct Head {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
}

/// Reads one request head; `None` when the peer closed the connection first.
pub async fn read_head(
    reader: &mut BufReader<tokio::net::TcpStream>,
) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).await?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Ok(Some(Head {
        method,
        path,
        headers,
    }))
}
