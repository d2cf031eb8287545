//! Multi-replica harness: a real `redis-server` on a free loopback port (restartable, for
//! fault tests) and gateway replicas sharing it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::free_port;
use crate::process::{start_gateway, Gateway, Service};

pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    /// With an append-only file here (fsync on every write), a restart keeps the data.
    aof_dir: Option<std::path::PathBuf>,
}

impl RedisServer {
    /// Starts `redis-server` (installed by `scripts/setup-redis.sh`), without persistence.
    pub async fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            child: None,
            aof_dir: None,
        };
        server.spawn().await;
        server
    }

    /// Starts `redis-server` with an append-only file fsynced on every write, as a managed
    /// Redis with persistence: a restart (even SIGKILL) loses nothing acknowledged.
    pub async fn start_persistent() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("e2e-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("redis data dir");
        let mut server = Self {
            port,
            child: None,
            aof_dir: Some(dir),
        };
        server.spawn().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn spawn(&mut self) {
        let port = self.port.to_string();
        let mut args = vec!["--port", &port, "--bind", "127.0.0.1", "--save", ""];
        args.extend(["--protected-mode", "yes"]);
        let dir = self
            .aof_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned());
        match &dir {
            Some(d) => args.extend(["--dir", d, "--appendonly", "yes", "--appendfsync", "always"]),
            None => args.extend(["--appendonly", "no"]),
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server on PATH (run scripts/setup-redis.sh)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.ping().await {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Answers PING with PONG.
    pub async fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        if s.write_all(b"PING\r\n").await.is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        matches!(
            tokio::time::timeout(Duration::from_secs(1), s.read_exact(&mut buf)).await,
            Ok(Ok(_))
        ) && &buf == b"+PONG\r\n"
    }

    /// SIGKILL: all data is lost, clients see their connections drop.
    pub async fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// Kills and starts again on the same port (empty: no persistence).
    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(dir) = &self.aof_dir {
            // The server is killed right after (kill_on_drop); its files are not needed.
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Starts a gateway replica using `redis` as its shared store.
pub async fn start_replica(broker: &str, redis: &RedisServer, extra: &[(&str, String)]) -> Gateway {
    let mut env = vec![("REDIS_URL", redis.url())];
    env.extend(extra.iter().cloned());
    start_gateway(broker, &env).await
}

/// Sends SIGTERM (a rolling update's first step).
pub fn terminate(service: &Service) {
    if let Some(pid) = service.child.id() {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill(1) available");
        assert!(status.success(), "kill -TERM {pid} failed");
    }
}
