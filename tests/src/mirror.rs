//! A loopback HTTP file server for the mirror tree ([`tree`]): real TCP, `GET` with `Range`
//! (206 / 416), 404 for what is not there, and faults a test sets per file: a corrupted byte,
//! a connection cut mid-body, a stall, a slow trickle, `Range` ignored. It records every
//! request (path and `Range`) for tests to check what the client asked for.

pub mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does wrong for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The byte at this offset of the body is flipped (sizes stay right).
    Corrupt { at: u64 },
    /// The connection closes after this many body bytes, for the next `times` requests.
    CutAfter { bytes: u64, times: usize },
    /// The head and this many body bytes are sent, then nothing, ever.
    StallAfter { bytes: u64 },
    /// The body comes `chunk` bytes at a time, `pause` apart.
    Trickle { chunk: usize, pause: Duration },
    /// `Range` is ignored: always 200 and the whole file.
    IgnoreRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub path: String,
    pub range: Option<String>,
}

#[derive(Default)]
struct State {
    faults: HashMap<String, Fault>,
    requests: Vec<Request>,
}

pub struct Mirror {
    pub port: u16,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Mirror {
    /// Serves `root` on a free loopback port (`port` 0) or the given one.
    pub async fn serve(root: &Path, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State::default()));
        let root = root.to_path_buf();
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_one(stream, root.clone(), shared.clone()));
            }
        });
        Ok(Self { port, state, task })
    }

    /// `http://127.0.0.1:PORT/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// Sets the fault for the file at `path` (relative to the root, e.g. `ensembl/...`).
    pub fn set_fault(&self, path: &str, fault: Fault) {
        self.lock().faults.insert(path.to_string(), fault);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    pub fn requests_for(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_one(mut stream: TcpStream, root: PathBuf, state: Arc<Mutex<State>>) {
    let Some(request) = read_head(&mut stream).await else {
        return;
    };
    let fault = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        state.requests.push(request.clone());
        let fault = state.faults.get(&request.path).cloned();
        if let Some(Fault::CutAfter { bytes, times }) = fault {
            let left = times.saturating_sub(1);
            if left == 0 {
                state.faults.remove(&request.path);
            } else {
                state
                    .faults
                    .insert(request.path.clone(), Fault::CutAfter { bytes, times: left });
            }
        }
        fault
    };
    let _ = respond(&mut stream, &root, &request, fault).await;
}

/// Reads the request head; `None` for anything but a sane `GET`.
async fn read_head(stream: &mut TcpStream) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let mut first = lines.next()?.split_whitespace();
    let (method, target) = (first.next()?, first.next()?);
    if method != "GET" {
        return None;
    }
    let range = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("range")
            .then(|| value.trim().to_string())
    });
    Some(Request {
        path: target.trim_start_matches('/').to_string(),
        range,
    })
}

async fn respond(
    stream: &mut TcpStream,
    root: &Path,
    request: &Request,
    fault: Option<Fault>,
) -> std::io::Result<()> {
    let path = root.join(&request.path);
    let safe = !request.path.split('/').any(|part| part == "..");
    let Some(len) = (if safe {
        tokio::fs::metadata(&path).await.ok()
    } else {
        None
    })
    .filter(|m| m.is_file())
    .map(|m| m.len()) else {
        let body = "not found\n";
        let head = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return stream.write_all(head.as_bytes()).await;
    };
    let start = match (&fault, &request.range) {
        (Some(Fault::IgnoreRange), _) | (_, None) => None,
        (_, Some(range)) => range
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|r| r.parse::<u64>().ok()),
    };
    if start.is_some_and(|s| s >= len) {
        let head = format!(
            "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return stream.write_all(head.as_bytes()).await;
    }
    let from = start.unwrap_or(0);
    let head = match start {
        Some(s) => format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {s}-{}/{len}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            len - 1,
            len - s
        ),
        None => format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"),
    };
    stream.write_all(head.as_bytes()).await?;

    let mut file = tokio::fs::File::open(&path).await?;
    file.seek(std::io::SeekFrom::Start(from)).await?;
    let mut sent = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let want = match &fault {
            Some(Fault::Trickle { chunk, .. }) => (*chunk).min(buf.len()),
            Some(Fault::CutAfter { bytes, .. }) | Some(Fault::StallAfter { bytes }) => {
                let left = bytes.saturating_sub(sent);
                if left == 0 {
                    break;
                }
                buf.len().min(left as usize)
            }
            _ => buf.len(),
        };
        let n = file.read(&mut buf[..want]).await?;
        if n == 0 {
            break;
        }
        if let Some(Fault::Corrupt { at }) = fault {
            let offset = from + sent;
            if (offset..offset + n as u64).contains(&at) {
                buf[(at - offset) as usize] ^= 0xff;
            }
        }
        stream.write_all(&buf[..n]).await?;
        sent += n as u64;
        if let Some(Fault::Trickle { pause, .. }) = fault {
            stream.flush().await?;
            tokio::time::sleep(pause).await;
        }
    }
    stream.flush().await?;
    if let Some(Fault::StallAfter { .. }) = fault {
        // Hold the connection open and silent until the client gives up.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    Ok(())
}
