//! The hops a test plays by hand: the function annotating a recorded submission (replying
//! inline, as without K_SINK) and a Trigger delivering the result to one gateway replica.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::process::{Gateway, Service};
use crate::recorder::Received;

/// A binary-mode CloudEvent as it crosses HTTP: its headers and body.
pub type Event = (BTreeMap<String, String>, Vec<u8>);

const TIMEOUT: Duration = Duration::from_secs(30);

/// The headers of a submitted-style event of session `s-1`, analysis `a-1`, chunk 0 as the
/// gateway sends it (unsigned), with this id and type.
pub fn submitted_headers<'a>(id: &'a str, ty: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ce-specversion", "1.0"),
        ("ce-id", id),
        ("ce-type", ty),
        ("ce-source", "urn:genomics:gateway"),
        ("ce-subject", "s-1"),
        ("ce-sessionid", "s-1"),
        ("ce-analysisid", "a-1"),
        ("ce-partitionkey", "a-1:0"),
        (
            "ce-dataschema",
            "urn:genomics:schemas:variants-submitted:v1",
        ),
        ("content-type", "application/json"),
    ]
}

/// Copies the CloudEvent headers (`ce-*`, content type) of a recorded event onto a request.
pub fn with_event_headers<'a>(
    mut req: reqwest::RequestBuilder,
    headers: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> reqwest::RequestBuilder {
    for (k, v) in headers {
        if k.starts_with("ce-") || k == "content-type" {
            req = req.header(k, v);
        }
    }
    req
}

/// Has the real function annotate a recorded submission, replying inline (no K_SINK).
pub async fn annotate(function: &Service, submitted: &Received) -> Event {
    let req = reqwest::Client::new()
        .post(function.url("/"))
        .timeout(TIMEOUT);
    let resp = with_event_headers(req, &submitted.headers)
        .body(submitted.body.clone())
        .send()
        .await
        .expect("function answers");
    assert_eq!(resp.status(), 200, "inline reply expected");
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    (headers, resp.bytes().await.expect("body").to_vec())
}

/// POSTs a recorded submission to a function (with K_SINK: its results go there); the
/// status it answers.
pub async fn deliver_to(function: &Service, submitted: &Received) -> u16 {
    let req = reqwest::Client::new()
        .post(function.url("/"))
        .timeout(TIMEOUT);
    with_event_headers(req, &submitted.headers)
        .body(submitted.body.clone())
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// POSTs an event to a replica's internal port, as a Trigger delivers it. The status code,
/// or 0 when the request itself failed (e.g. the replica is down).
pub async fn deliver(gateway: &Gateway, event: &Event) -> u16 {
    let req = reqwest::Client::new()
        .post(gateway.events_url())
        .timeout(TIMEOUT);
    match with_event_headers(req, &event.0)
        .body(event.1.clone())
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            if status == 400 {
                eprintln!("event refused: {}", r.text().await.unwrap_or_default());
            }
            status
        }
        Err(_) => 0,
    }
}
