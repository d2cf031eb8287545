//! Child processes of the system under test, killed when dropped.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::{bin_dir, free_port};

pub struct Service {
    pub name: &'static str,
    pub port: u16,
    pub child: Child,
}

impl Service {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Sends SIGKILL and waits for the process to go.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// Peak resident memory of the process so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// Resident memory now (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let pid = self.child.id().expect("the process is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn command(binary: &str, env: &[(&str, String)]) -> Command {
    let path = bin_dir().join(binary);
    assert!(
        path.exists(),
        "{} is not built; run `make build` (or cargo build for both crates) first",
        path.display()
    );
    let mut cmd = Command::new(path);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Both services of a test share one key (a test may override it in `env`).
        .env(
            contract::signing::KEY_FILE,
            crate::signing::key_file().as_os_str(),
        )
        .env(
            "RUST_LOG",
            std::env::var("E2E_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Sends the child's stdout and stderr to the file `log`, when given.
fn log_to(cmd: &mut Command, log: Option<&std::path::Path>) {
    if let Some(path) = log {
        let file = std::fs::File::create(path).expect("log file");
        cmd.stdout(file.try_clone().expect("log file")).stderr(file);
    }
}

/// How often a start is retried when the process exits before it is ready: a port taken
/// from `free_port` can be grabbed by another test's connection before the child binds it.
const START_ATTEMPTS: usize = 5;

/// Waits until `url` answers 200 while the child runs. `Err` when the child exited first
/// (e.g. its port was taken meanwhile); panics after `timeout`.
async fn ready_or_exited(svc: &mut Service, url: &str, timeout: Duration) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .expect("http client");
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = svc.child.try_wait() {
            return Err(format!("{} exited before it was ready: {status}", svc.name));
        }
        if let Ok(resp) = client.get(url).send().await {
            if resp.status().is_success() {
                return Ok(());
            }
        }
        assert!(
            Instant::now() < deadline,
            "{url} not ready after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts vep-function on a free port with its bundled data. `sink`: its K_SINK.
pub async fn start_function(sink: Option<&str>, extra: &[(&str, String)]) -> Service {
    start_function_until(sink, extra, "/health/readiness", None).await
}

/// Like [`start_function`], but returns once it is live: for a function that must not become
/// ready (e.g. under Knative without K_SINK).
pub async fn start_function_live(sink: Option<&str>, extra: &[(&str, String)]) -> Service {
    start_function_until(sink, extra, "/health/liveness", None).await
}

/// Like [`start_function`], its stdout and stderr going to the file `log` when given.
pub async fn start_function_logging(
    sink: Option<&str>,
    extra: &[(&str, String)],
    log: Option<&std::path::Path>,
) -> Service {
    start_function_until(sink, extra, "/health/readiness", log).await
}

async fn start_function_until(
    sink: Option<&str>,
    extra: &[(&str, String)],
    health: &str,
    log: Option<&std::path::Path>,
) -> Service {
    let mut last = String::new();
    for _ in 0..START_ATTEMPTS {
        let port = free_port();
        let mut env = vec![("PORT", port.to_string())];
        if let Some(s) = sink {
            env.push(("K_SINK", s.to_string()));
        }
        env.extend(extra.iter().cloned());
        let mut cmd = command("vep-function", &env);
        log_to(&mut cmd, log);
        let child = cmd.spawn().expect("start vep-function");
        let mut svc = Service {
            name: "vep-function",
            port,
            child,
        };
        let url = svc.url(health);
        match ready_or_exited(&mut svc, &url, Duration::from_secs(30)).await {
            Ok(()) => return svc,
            Err(e) => last = e,
        }
    }
    panic!("vep-function did not start: {last}");
}

/// A started gateway: public port (`port`) and internal CloudEvents port.
pub struct Gateway {
    pub service: Service,
    pub events_port: u16,
}

impl Gateway {
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.service.port)
    }

    pub fn events_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.events_port)
    }

    pub fn url(&self, path: &str) -> String {
        self.service.url(path)
    }
}

/// Starts the gateway on free ports, sending submissions to `broker`.
pub async fn start_gateway(broker: &str, extra: &[(&str, String)]) -> Gateway {
    start_gateway_logging(broker, extra, None).await
}

/// Like [`start_gateway`], its stdout and stderr going to the file `log` when given.
pub async fn start_gateway_logging(
    broker: &str,
    extra: &[(&str, String)],
    log: Option<&std::path::Path>,
) -> Gateway {
    let mut last = String::new();
    for _ in 0..START_ATTEMPTS {
        match try_start_gateway(free_port(), free_port(), broker, extra, log).await {
            Ok(g) => return g,
            Err(e) => last = e,
        }
    }
    panic!("gateway did not start: {last}");
}

async fn try_start_gateway(
    port: u16,
    events_port: u16,
    broker: &str,
    extra: &[(&str, String)],
    log: Option<&std::path::Path>,
) -> Result<Gateway, String> {
    let mut env = vec![
        ("PORT", port.to_string()),
        ("EVENTS_PORT", events_port.to_string()),
        ("BROKER_URL", broker.to_string()),
    ];
    env.extend(extra.iter().cloned());
    let mut cmd = command("gateway", &env);
    log_to(&mut cmd, log);
    let child = cmd.spawn().expect("start gateway");
    let mut service = Service {
        name: "gateway",
        port,
        child,
    };
    let url = service.url("/q/health/ready");
    ready_or_exited(&mut service, &url, Duration::from_secs(30)).await?;
    Ok(Gateway {
        service,
        events_port,
    })
}

/// The local wiring of `make run`: gateway -> function -> gateway's events port.
pub async fn start_pipeline() -> (Gateway, Service) {
    start_pipeline_with(&[], &[]).await
}

/// [`start_pipeline`] with extra settings for the function and for the gateway.
pub async fn start_pipeline_with(
    function_env: &[(&str, String)],
    gateway_env: &[(&str, String)],
) -> (Gateway, Service) {
    let mut last = String::new();
    for _ in 0..START_ATTEMPTS {
        let events_port = free_port();
        let sink = format!("http://127.0.0.1:{events_port}/");
        let function = start_function(Some(&sink), function_env).await;
        match try_start_gateway(
            free_port(),
            events_port,
            &function.url("/"),
            gateway_env,
            None,
        )
        .await
        {
            Ok(gateway) => return (gateway, function),
            Err(e) => last = e,
        }
    }
    panic!("pipeline did not start: {last}");
}
