//! Harness for cross-process tests: starts the real `gateway` and `vep-function` binaries on
//! free loopback ports, a WebSocket client, and a small HTTP recorder that stands in for a
//! Knative sink or broker (it records real CloudEvents and answers with a chosen status), and a
//! mirror of the Ensembl/NCBI download trees serving the bundled regions.

pub mod cluster;
pub mod ledger;
pub mod mirror;
pub mod observer;
pub mod oidc;
pub mod process;
pub mod proxy;
pub mod recorder;
pub mod rest;
pub mod schema;
pub mod signal;
pub mod signing;
pub mod trigger;
pub mod variants;
pub mod ws;

use std::path::PathBuf;

/// Repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The directory holding the built binaries: `$CARGO_TARGET_DIR/debug` or `target/debug`
/// (`E2E_PROFILE=release`: the release build, to measure what ships).
pub fn bin_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let target = if target.is_relative() {
        repo_root().join(target)
    } else {
        target
    };
    target.join(std::env::var("E2E_PROFILE").unwrap_or_else(|_| "debug".to_owned()))
}

/// A free TCP port on loopback (bound then released; the race is acceptable in tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}
