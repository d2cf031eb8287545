//! A client of the gateway's REST API (gateway/API.md) for tests: uploads, status, downloads.
//! It keeps each upload's download token (from the 202), as a real client would, and
//! presents it on status and downloads.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::Gateway;

/// Download tokens of the analyses this test process uploaded, by analysis id.
static TOKENS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("http client")
}

/// The download token the gateway returned for `analysis_id`.
pub fn token_of(analysis_id: &str) -> String {
    TOKENS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(analysis_id)
        .cloned()
        .unwrap_or_else(|| panic!("no download token was returned for {analysis_id}"))
}

/// POSTs `body` to `/api/analyses{query}`; returns the status and the JSON reply.
pub async fn upload(gateway: &Gateway, query: &str, body: Vec<u8>) -> (u16, Value) {
    upload_for(gateway, query, body, None).await
}

/// Like [`upload`], presenting `session_secret` (needed when `query` names a session).
pub async fn upload_for(
    gateway: &Gateway,
    query: &str,
    body: Vec<u8>,
    session_secret: Option<&str>,
) -> (u16, Value) {
    let mut req = http()
        .post(gateway.url(&format!("/api/analyses{query}")))
        .body(body);
    if let Some(s) = session_secret {
        req = req.header("x-session-secret", s);
    }
    let resp = req.send().await.expect("gateway answers");
    let status = resp.status().as_u16();
    let reply: Value = resp.json().await.expect("JSON reply");
    if let (Some(id), Some(token)) = (
        reply["analysis_id"].as_str(),
        reply["download_token"].as_str(),
    ) {
        TOKENS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), token.to_owned());
    }
    (status, reply)
}

/// The status of an analysis this process uploaded (asserts 200).
pub async fn status_of(gateway: &Gateway, id: &str) -> Value {
    let resp = http()
        .get(gateway.url(&format!("/api/analyses/{id}")))
        .header("x-download-token", token_of(id))
        .send()
        .await
        .expect("status");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("status JSON")
}

/// The whole download of an analysis this process uploaded (asserts 200).
pub async fn download(gateway: &Gateway, id: &str, format: &str) -> String {
    let resp = http()
        .get(gateway.url(&format!("/api/analyses/{id}/results?format={format}")))
        .header("x-download-token", token_of(id))
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), 200, "{format}");
    resp.text().await.expect("download body")
}

/// Polls the status until complete; returns it and every `done` seen, in order.
pub async fn poll_until_complete(
    gateway: &Gateway,
    id: &str,
    limit: Duration,
) -> (Value, Vec<u64>) {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let s = status_of(gateway, id).await;
        seen.push(s["done"].as_u64().expect("done"));
        if s["state"] == "complete" {
            return (s, seen);
        }
        assert_eq!(s["state"], "running", "{s}");
        assert!(Instant::now() < deadline, "not complete in {limit:?}: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
