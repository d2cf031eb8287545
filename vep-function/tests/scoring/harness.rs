//! Shared by the scoring tests: a real MLServer on loopback, started and stopped by the test,
//! serving the model `tests/mlserver/setup.sh` builds.
#![allow(dead_code)] // each test crate that includes this uses a different part

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use vep::scoring::v2::{ClientOptions, Endpoint, V2Client};

pub const MODEL: &str = "missense-lr";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("vep-function sits in the repository")
        .to_path_buf()
}

/// A client for `name` on the test's MLServer: short timeouts, one attempt (the server is
/// local and already started).
pub fn client(base: &url::Url, name: &str, version: Option<&str>) -> V2Client {
    V2Client::new(
        Endpoint {
            base: base.clone(),
            name: name.to_owned(),
            version: version.map(str::to_owned),
        },
        ClientOptions {
            token: None,
            ca_pem: None,
            timeout: Duration::from_secs(5),
            first_timeout: Duration::from_secs(5),
            attempts: 1,
            backoff: Duration::from_millis(10),
        },
    )
    .expect("a V2 client for the test server")
}

/// The venv `tests/mlserver/setup.sh` made, or `None` (loudly) when it has not been run.
/// Under CI a missing venv is a failure: `make test` runs the set-up first.
pub fn venv() -> Option<PathBuf> {
    let venv = std::env::var_os("MLSERVER_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".artifacts/mlserver-venv"));
    if venv.join("bin/mlserver").is_file() && venv.join("model/model.joblib").is_file() {
        return Some(venv);
    }
    let message = format!(
        "MLServer venv missing at {}: run `bash tests/mlserver/setup.sh` (make test does)",
        venv.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("\n!!!!! SKIPPING the real-MLServer test: {message} !!!!!\n");
    None
}

pub fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `N` distinct free loopback ports: the listeners are held until all are chosen, so the
/// OS cannot hand the same port out twice (MLServer's HTTP, gRPC and metrics ports once
/// collided that way).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().expect("bound").port())
}

/// A running `mlserver start`, stopped (its whole process group) when dropped.
pub struct MlServer {
    child: Child,
    pub base: url::Url,
    log: PathBuf,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl MlServer {
    pub fn start(venv: &std::path::Path) -> Self {
        use std::os::unix::process::CommandExt;
        let dir = std::env::temp_dir().join(format!("vep-mlserver-{}", uuid::Uuid::new_v4()));
        let model_dir = dir.join(MODEL);
        std::fs::create_dir_all(&model_dir).unwrap();
        let [port, grpc_port, metrics_port] = free_ports();
        let settings = json!({
            "host": "127.0.0.1",
            "http_port": port,
            "grpc_port": grpc_port,
            "metrics_port": metrics_port,
            // 1.7.1's parallel inference workers crash with current uvloop.
            "parallel_workers": 0,
            "debug": false,
        });
        std::fs::write(dir.join("settings.json"), settings.to_string()).unwrap();
        let model_settings = json!({
            "name": MODEL,
            "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {
                "uri": venv.join("model/model.joblib"),
                "version": "v1",
            },
        });
        std::fs::write(
            model_dir.join("model-settings.json"),
            model_settings.to_string(),
        )
        .unwrap();
        let log = dir.join("mlserver.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(venv.join("bin/mlserver"))
            .arg("start")
            .arg(&dir)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("mlserver starts");
        Self {
            child,
            base: url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            log,
            _dir: TempDir(dir),
        }
    }

    pub async fn wait_ready(&mut self, client: &V2Client) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mlserver exited ({status}):\n{}", self.log_text());
            }
            if let Ok(true) = client.ready().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("mlserver not ready in 120 s:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        // The group holds mlserver and any worker it forked; it is ours alone.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for MlServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}
