//! A stand-in for the Ensembl VEP REST server on loopback: a minimal HTTP/1.1 server that
//! answers POSTs like Ensembl does, from the real recorded answers in
//! `vep-function/tests/data/ensembl-rest` (one object per posted notation it knows, unknown ones
//! left out), rejects a chosen notation with Ensembl's 400 body, and can be switched to
//! answering 503 as a down server does.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct Stub {
    pub url: String,
    down: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

impl Stub {
    /// Starts serving; a batch containing `rejected` is answered with a 400.
    pub async fn start(rejected: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind stub");
        let url = format!("http://{}", listener.local_addr().expect("stub address"));
        let store = Arc::new(recordings());
        let down = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (d, r) = (down.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (store, d, r) = (store.clone(), d.clone(), r.clone());
                tokio::spawn(async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    let _ = answer(stream, &store, d.load(Ordering::SeqCst), rejected).await;
                });
            }
        });
        Stub {
            url,
            down,
            requests,
            _task: task,
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Every recorded VEP object, by the `input` it echoes.
pub fn recordings() -> HashMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vep-function/tests/data/ensembl-rest");
    let mut by_input = HashMap::new();
    for entry in std::fs::read_dir(&dir).expect("recordings directory") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("recording");
        let objects = match serde_json::from_str(&text).expect("recorded JSON") {
            Value::Array(items) => items,
            one => vec![one],
        };
        for o in objects {
            let input = o["input"].as_str().expect("recorded input").to_string();
            by_input.insert(input, o);
        }
    }
    by_input
}

async fn answer(
    mut stream: TcpStream,
    store: &HashMap<String, Value>,
    down: bool,
    rejected: &str,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Value = serde_json::from_slice(&buf[head_end..]).unwrap_or(Value::Null);
    let posted: Vec<&str> = ["variants", "hgvs_notations", "ids"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let (status, content) = if down {
        ("503 Service Unavailable", "Service Unavailable".to_string())
    } else if posted.contains(&rejected) {
        (
            "400 Bad Request",
            json!({"error": format!("Unable to parse variant '{rejected}': Reference allele does not match")})
                .to_string(),
        )
    } else {
        let found: Vec<&Value> = posted.iter().filter_map(|p| store.get(*p)).collect();
        ("200 OK", serde_json::to_string(&found).unwrap_or_default())
    };
    let kind = if status.starts_with("200") || status.starts_with("400") {
        "application/json"
    } else {
        "text/plain"
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{content}",
        content.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}
