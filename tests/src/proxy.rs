//! A loopback TCP proxy that injects network faults between two real processes: delay,
//! black hole, connection reset, or an HTTP error status in place of the upstream's answer.
//! Its upstream can be switched while it runs, so a restarted process on a new port is
//! reachable at the same address (as behind a Kubernetes Service).
//!
//! Faults are decided per HTTP request: a client chunk that starts with a request line
//! (`POST `, `GET `, ...) begins a new request. Our clients (reqwest, hyper) send each small
//! request's head in one write, which makes this reliable enough for tests.

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward as is.
    Pass,
    /// Hold each request this long before forwarding it (a slow network or a slow peer).
    DelayRequest(Duration),
    /// Forward at once but hold the answer this long (the peer did the work; its ack is late).
    DelayReply(Duration),
    /// Swallow the request; never answer (a hung peer).
    Blackhole,
    /// Reset the connection (RST) when a request arrives.
    Reset,
    /// Answer with this HTTP status without forwarding.
    Status(u16),
    /// Forward, let the peer do the work, then reset the connection instead of passing its
    /// answer on (the connection died after delivery, before the ack).
    ResetReply,
}

#[derive(Debug)]
struct Plan {
    /// Requests still passed through before `fault` applies.
    pass_first: usize,
    fault: Fault,
}

#[derive(Clone)]
pub struct Proxy {
    pub port: u16,
    upstream: Arc<AtomicU16>,
    plan: Arc<Mutex<Plan>>,
    requests: Arc<AtomicUsize>,
}

const HTTP_METHODS: [&[u8]; 5] = [b"POST ", b"GET ", b"PUT ", b"HEAD ", b"DELETE "];

impl Proxy {
    /// Listens on a free loopback port, forwarding to `127.0.0.1:upstream`.
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let proxy = Proxy {
            port: listener.local_addr().expect("proxy addr").port(),
            upstream: Arc::new(AtomicU16::new(upstream)),
            plan: Arc::new(Mutex::new(Plan {
                pass_first: 0,
                fault: Fault::Pass,
            })),
            requests: Arc::default(),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move { p.serve(client).await });
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// New connections go to this port from now on.
    pub fn set_upstream(&self, port: u16) {
        self.upstream.store(port, Ordering::SeqCst);
    }

    /// Applies `fault` to every request from now on.
    pub fn set_fault(&self, fault: Fault) {
        self.fault_after(0, fault);
    }

    /// Lets the next `n` requests through, then applies `fault`.
    pub fn fault_after(&self, n: usize, fault: Fault) {
        if let Ok(mut plan) = self.plan.lock() {
            *plan = Plan {
                pass_first: n,
                fault,
            };
        }
    }

    /// Requests seen so far (whatever happened to them).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` requests were seen; panics after `timeout`.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.requests() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "proxy saw {} of {n} requests in {timeout:?}",
                self.requests()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn next_fault(&self) -> Fault {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let Ok(mut plan) = self.plan.lock() else {
            return Fault::Pass;
        };
        if plan.pass_first > 0 {
            plan.pass_first -= 1;
            Fault::Pass
        } else {
            plan.fault
        }
    }

    async fn serve(&self, client: TcpStream) {
        let port = self.upstream.load(Ordering::SeqCst);
        let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
            // Upstream down: the client sees its connection reset, as with a dead pod.
            let _ = client.set_zero_linger();
            return;
        };
        let (client_rx, client_tx) = client.into_split();
        let client_tx = Arc::new(tokio::sync::Mutex::new(client_tx));
        let (up_rx, up_tx) = upstream.into_split();
        // The fault of the request currently on this connection, shared by both directions.
        let current = Arc::new(Mutex::new(Fault::Pass));
        // Whichever direction ends first ends the connection (both halves dropped).
        tokio::select! {
            _ = pump_replies(up_rx, client_tx.clone(), current.clone()) => {}
            _ = self.pump_requests(client_rx, up_tx, client_tx, current) => {}
        }
    }

    async fn pump_requests(
        &self,
        mut client: OwnedReadHalf,
        mut upstream: OwnedWriteHalf,
        client_tx: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
        current: Arc<Mutex<Fault>>,
    ) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let data = &buf[..n];
            let fault = if HTTP_METHODS.iter().any(|m| data.starts_with(m)) {
                let f = self.next_fault();
                if let Ok(mut c) = current.lock() {
                    *c = f;
                }
                f
            } else {
                let f = current.lock().map(|c| *c).unwrap_or(Fault::Pass);
                f
            };
            match fault {
                Fault::Pass | Fault::DelayReply(_) | Fault::ResetReply => {}
                Fault::DelayRequest(d) => tokio::time::sleep(d).await,
                Fault::Blackhole => continue,
                Fault::Reset => {
                    // Zero linger: closing sends RST instead of FIN.
                    let _ = client_tx.lock().await.as_ref().set_zero_linger();
                    return;
                }
                Fault::Status(status) => {
                    let reply = format!(
                        "HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\n\
                         content-length: 2\r\nconnection: close\r\n\r\n{{}}"
                    );
                    let mut tx = client_tx.lock().await;
                    let _ = tx.write_all(reply.as_bytes()).await;
                    let _ = tx.shutdown().await;
                    return;
                }
            }
            if upstream.write_all(data).await.is_err() {
                return;
            }
        }
    }
}

async fn pump_replies(
    mut upstream: OwnedReadHalf,
    client: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    current: Arc<Mutex<Fault>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match upstream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let fault = current.lock().map(|c| *c).unwrap_or(Fault::Pass);
        match fault {
            Fault::DelayReply(d) => tokio::time::sleep(d).await,
            Fault::ResetReply => {
                let _ = client.lock().await.as_ref().set_zero_linger();
                return;
            }
            _ => {}
        }
        if client.lock().await.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = client.lock().await.shutdown().await;
}
