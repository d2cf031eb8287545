//! The gateway at scale, with real processes: gateway replicas sharing a real `redis-server`,
//! the real `vep-function` annotating (called inline, so the test decides which replica each
//! annotated event reaches, as a Knative Trigger without sticky routing would).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::cluster::{start_replica, terminate, RedisServer};
use e2e::process::{start_function, start_gateway, Gateway};
use e2e::recorder::{Received, Recorder};
use e2e::trigger::{annotate, deliver};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(10);
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// What the server sent: a JSON frame, or the end of the connection.
#[derive(Debug)]
enum Frame {
    Json(Value),
    Close(Option<(u16, String)>),
}

struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    session_id: String,
    resume_secret: String,
}

impl Ws {
    async fn connect(gateway: &Gateway) -> Self {
        Self::connect_with(gateway, &[])
            .await
            .expect("upgrade accepted")
    }

    /// Connects with extra request headers; `Err(status)` when the upgrade is refused.
    async fn connect_with(gateway: &Gateway, headers: &[(&str, &str)]) -> Result<Self, u16> {
        let mut request = gateway.ws_url().into_client_request().expect("request");
        for (k, v) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes())
                    .expect("header name"),
                v.parse().expect("header value"),
            );
        }
        let socket = match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => socket,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                return Err(resp.status().as_u16())
            }
            Err(e) => panic!("websocket connect failed: {e}"),
        };
        let mut ws = Self {
            socket,
            session_id: String::new(),
            resume_secret: String::new(),
        };
        let hello = ws.json().await;
        assert_eq!(hello["type"], "session", "{hello}");
        ws.session_id = hello["session_id"].as_str().expect("session_id").to_owned();
        ws.resume_secret = hello["resume_secret"]
            .as_str()
            .expect("resume_secret")
            .to_owned();
        Ok(ws)
    }

    /// The `resume` frame for this session (with its secret) after `last_seen`.
    fn resume_frame(&self, last_seen: Option<&str>) -> Value {
        let mut v = json!({"type": "resume", "session_id": self.session_id,
                           "resume_secret": self.resume_secret});
        if let Some(c) = last_seen {
            v["last_seen"] = json!(c);
        }
        v
    }

    async fn send(&mut self, v: Value) {
        self.socket
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    async fn next(&mut self, timeout: Duration) -> Option<Frame> {
        loop {
            let msg = match tokio::time::timeout(timeout, self.socket.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return Some(Frame::Close(None)),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("json frame");
                    // Progress frames (between a multi-chunk analysis' results) are not
                    // what these scale tests count.
                    if v["type"] != "progress" {
                        return Some(Frame::Json(v));
                    }
                }
                Message::Close(c) => {
                    return Some(Frame::Close(
                        c.map(|c| (u16::from(c.code), c.reason.to_string())),
                    ))
                }
                _ => continue,
            }
        }
    }

    async fn json(&mut self) -> Value {
        match self.next(WAIT).await {
            Some(Frame::Json(v)) => v,
            other => panic!("expected a JSON frame, got {other:?}"),
        }
    }

    async fn analyze(&mut self, request_id: &str, variants: &[&str]) -> Value {
        self.send(json!({"type": "analyze", "request_id": request_id, "variants": variants}))
            .await;
        self.json().await
    }

    /// Reads frames until `complete` (inclusive).
    async fn until_complete(&mut self) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let f = self.json().await;
            let done = f["type"] == "complete";
            frames.push(f);
            if done {
                return frames;
            }
        }
    }
}

fn chunk_index(submitted: &Received) -> u64 {
    submitted.event()["data"]["chunk_index"]
        .as_u64()
        .expect("chunk_index")
}

/// The submissions the broker stand-in received, ordered by chunk.
async fn submissions(broker: &Recorder, n: usize) -> Vec<Received> {
    let mut got = broker.wait_for(n, WAIT).await;
    got.sort_by_key(chunk_index);
    got
}

async fn metrics(gateway: &Gateway) -> String {
    reqwest::get(format!("http://127.0.0.1:{}/metrics", gateway.events_port))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text")
}

#[tokio::test]
async fn a_result_posted_to_replica_b_reaches_the_client_on_replica_a_with_its_trace() {
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let a = start_replica(&broker.url(), &redis, &[]).await;
    let b = start_replica(&broker.url(), &redis, &[]).await;

    let mut client = Ws::connect(&a).await;
    client
        .send(json!({"type": "analyze", "request_id": "r1",
                     "variants": ["21 25585733 . C T,G"], "traceparent": TRACEPARENT}))
        .await;
    let accepted = client.json().await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    let submitted = submissions(&broker, 1).await;
    assert_eq!(
        submitted[0]
            .headers
            .get("ce-traceparent")
            .map(String::as_str),
        Some(TRACEPARENT),
        "the browser's trace context travels in the CloudEvent"
    );
    let annotated = annotate(&function, &submitted[0]).await;
    assert_eq!(deliver(&b, &annotated).await, 202);

    let frames = client.until_complete().await;
    assert_eq!(frames.len(), 2, "{frames:?}");
    let (result, complete) = (&frames[0], &frames[1]);
    assert_eq!(result["type"], "result");
    assert_eq!(result["request_id"], "r1");
    assert_eq!(result["traceparent"], TRACEPARENT);
    assert!(result["cursor"].is_string(), "{result}");
    // One multi-allelic line: two annotations, one variant.
    assert_eq!(result["annotations"].as_array().map(Vec::len), Some(2));
    assert_eq!(complete["annotated"], 1, "{complete}");
    assert_eq!(complete["failed"], 0);
    // Redelivery to the other replica changes nothing.
    assert_eq!(deliver(&a, &annotated).await, 202);
    assert!(client.next(Duration::from_millis(500)).await.is_none());
}

#[tokio::test]
async fn killing_a_replica_mid_analysis_loses_and_duplicates_nothing_after_resume() {
    const CHUNKS: usize = 12;
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let one_per_chunk = [("CHUNK_SIZE", "1".to_owned())];
    let mut a = start_replica(&broker.url(), &redis, &one_per_chunk).await;
    let b = start_replica(&broker.url(), &redis, &one_per_chunk).await;

    let variants: Vec<String> = (0..CHUNKS)
        .map(|i| format!("21 {} . C T", 25585733 + i))
        .collect();
    let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
    let mut client = Ws::connect(&a).await;
    let accepted = client.analyze("big", &refs).await;
    assert_eq!(accepted["chunk_count"], CHUNKS, "{accepted}");
    let submitted = submissions(&broker, CHUNKS).await;
    let mut annotated = Vec::new();
    for s in &submitted {
        annotated.push(annotate(&function, s).await);
    }

    // First half: the Trigger spreads events over both replicas.
    for (i, event) in annotated.iter().take(CHUNKS / 2).enumerate() {
        let target = if i % 2 == 0 { &a } else { &b };
        assert_eq!(deliver(target, event).await, 202);
    }
    let mut seen: Vec<Value> = Vec::new();
    for _ in 0..3 {
        let f = client.json().await;
        assert_eq!(f["type"], "result", "{f}");
        seen.push(f);
    }
    let last_seen = seen[2]["cursor"].as_str().expect("cursor").to_owned();

    a.service.kill().await;
    // Second half, and a redelivery of an early chunk, all to the surviving replica.
    for event in annotated.iter().skip(CHUNKS / 2) {
        assert_eq!(deliver(&b, event).await, 202);
    }
    assert_eq!(deliver(&b, &annotated[0]).await, 202);

    let mut resumed = Ws::connect(&b).await;
    resumed.send(client.resume_frame(Some(&last_seen))).await;
    let ack = resumed.json().await;
    assert_eq!(ack["type"], "resumed", "{ack}");
    seen.extend(resumed.until_complete().await);
    assert!(
        resumed.next(Duration::from_millis(500)).await.is_none(),
        "nothing after complete"
    );

    let mut chunks: Vec<u64> = seen
        .iter()
        .filter(|f| f["type"] == "result")
        .map(|f| f["chunk_index"].as_u64().expect("chunk_index"))
        .collect();
    chunks.sort_unstable();
    assert_eq!(
        chunks,
        (0..CHUNKS as u64).collect::<Vec<_>>(),
        "each result exactly once"
    );
    let completes: Vec<&Value> = seen.iter().filter(|f| f["type"] == "complete").collect();
    assert_eq!(completes.len(), 1);
    assert_eq!(
        completes[0]["annotated"].as_u64().unwrap_or(0)
            + completes[0]["failed"].as_u64().unwrap_or(0),
        CHUNKS as u64
    );
    let cursors: Vec<&str> = seen.iter().filter_map(|f| f["cursor"].as_str()).collect();
    let mut unique = cursors.clone();
    unique.dedup();
    assert_eq!(unique.len(), cursors.len(), "cursors strictly advance");
}

#[tokio::test]
async fn sigterm_closes_sessions_with_1012_and_the_client_resumes_on_another_replica() {
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let a = start_replica(&broker.url(), &redis, &[]).await;
    let b = start_replica(&broker.url(), &redis, &[]).await;

    let mut client = Ws::connect(&a).await;
    assert_eq!(
        client.analyze("r", &["21 25585733 . C T"]).await["type"],
        "accepted"
    );
    let submitted = submissions(&broker, 1).await;
    let annotated = annotate(&function, &submitted[0]).await;

    terminate(&a.service);
    match client.next(WAIT).await {
        Some(Frame::Close(Some((code, _)))) => assert_eq!(code, 1012),
        other => panic!("expected close 1012, got {other:?}"),
    }
    // The result arrives while the client is away.
    assert_eq!(deliver(&b, &annotated).await, 202);
    let mut resumed = Ws::connect(&b).await;
    resumed.send(client.resume_frame(Some("0"))).await;
    assert_eq!(resumed.json().await["type"], "resumed");
    let frames = resumed.until_complete().await;
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0]["type"], "result");
}

#[tokio::test]
async fn results_flow_again_after_redis_restarts() {
    let mut redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let a = start_replica(&broker.url(), &redis, &[]).await;
    let b = start_replica(&broker.url(), &redis, &[]).await;
    let mut client = Ws::connect(&a).await;

    redis.restart().await;
    // The gateways reconnect on their own (no persistence here: state starts empty).
    let deadline = Instant::now() + Duration::from_secs(20);
    let accepted = loop {
        let reply = client
            .analyze("after-restart", &["21 25585733 . C T"])
            .await;
        if reply["type"] == "accepted" {
            break reply;
        }
        assert_eq!(reply["code"], "store_unavailable", "{reply}");
        assert!(Instant::now() < deadline, "store never came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(accepted["request_id"], "after-restart");
    let submitted = submissions(&broker, 1).await;
    let annotated = annotate(&function, &submitted[0]).await;
    assert_eq!(deliver(&b, &annotated).await, 202);
    // Woken by the resubscribed listener, or at worst by the session's poll.
    let frames = client.until_complete().await;
    assert_eq!(frames[0]["type"], "result");

    // While Redis is down, events are refused with 503 (the Trigger retries), not dropped.
    redis.kill().await;
    assert_eq!(deliver(&b, &annotated).await, 503);
}

/// One annotated event of `size` bytes for `chunk` of the analysis, built from the
/// gateway's own submission (the test stands in for the function).
fn big_result(submitted: &Received, size: usize) -> (BTreeMap<String, String>, Vec<u8>) {
    let s = submitted.event();
    let data = &s["data"];
    let input = data["variants"][0].as_str().expect("variant").to_owned();
    let filler = "A".repeat(9_000);
    let annotations: Vec<Value> = (0..size / 9_000 + 1)
        .map(|_| {
            json!({"input": input, "input_index": data["first_index"], "seq_region_name": "21",
                   "start": 1, "end": 1, "allele_string": "C/T",
                   "most_severe_consequence": "intron_variant", "note": filler})
        })
        .collect();
    let part: contract::event::Annotated = serde_json::from_value(json!({
        "analysis_id": data["analysis_id"], "session_id": data["session_id"],
        "chunk_index": data["chunk_index"], "chunk_count": data["chunk_count"],
        "first_index": data["first_index"], "variant_count": 1,
        "part_index": 0, "part_count": 1, "annotations": annotations, "errors": [],
        "annotator": {"backend": "local", "version": "0"}
    }))
    .expect("a part");
    let mut headers = BTreeMap::new();
    for (k, v) in [
        ("ce-specversion", "1.0".to_owned()),
        ("ce-id", format!("big-{}", data["chunk_index"])),
        ("ce-source", "urn:test:slow-consumer".to_owned()),
        ("ce-type", contract::event::TYPE_ANNOTATED.to_owned()),
        (
            "ce-sessionid",
            data["session_id"].as_str().unwrap_or_default().to_owned(),
        ),
        (
            "ce-analysisid",
            data["analysis_id"].as_str().unwrap_or_default().to_owned(),
        ),
        (
            "content-type",
            contract::event::CONTENT_TYPE_ANNOTATED.to_owned(),
        ),
    ] {
        headers.insert(k.to_owned(), v);
    }
    let mut event = (headers, contract::wire::encode(&part));
    e2e::signing::sign(&mut event);
    event
}

#[tokio::test]
async fn a_slow_consumer_is_disconnected_and_memory_stays_bounded() {
    // More frames than actix-ws buffers (32) plus what the kernel takes, so writes stall.
    const CHUNKS: usize = 120;
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("CHUNK_SIZE", "1".to_owned()),
            ("STREAM_MAX_LEN", "8".to_owned()),
            ("SEND_TIMEOUT_MS", "500".to_owned()),
        ],
    )
    .await;
    // A client with a tiny receive window that stops reading after `accepted`.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let stream = socket
        .connect(([127, 0, 0, 1], gateway.service.port).into())
        .await
        .expect("connect");
    let (socket, _) =
        tokio_tungstenite::client_async(gateway.ws_url(), MaybeTlsStream::Plain(stream))
            .await
            .expect("upgrade");
    let mut client = Ws {
        socket,
        session_id: String::new(),
        resume_secret: String::new(),
    };
    let hello = client.json().await;
    assert_eq!(hello["type"], "session");
    let variants: Vec<String> = (0..CHUNKS)
        .map(|i| format!("21 {} . C T", 100 + i))
        .collect();
    let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
    assert_eq!(client.analyze("flood", &refs).await["type"], "accepted");
    let submitted = submissions(&broker, CHUNKS).await;
    for s in &submitted {
        // Every event is taken at once: the stream is bounded, not the sender's problem.
        assert_eq!(deliver(&gateway, &big_result(s, 256 * 1024)).await, 202);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = metrics(&gateway).await;
        if m.contains("gateway_sessions_closed_total{reason=\"slow_consumer\"} 1")
            || m.contains("gateway_sessions_closed_total{reason=\"results_dropped\"} 1")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "slow consumer never closed:\n{m}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Reading now: what was buffered, then the end, with the reason when it got through.
    let mut results = 0;
    loop {
        match client.next(WAIT).await {
            Some(Frame::Json(f)) if f["type"] == "result" => results += 1,
            Some(Frame::Json(f)) => assert_eq!(f["code"], "results_dropped", "{f}"),
            Some(Frame::Close(Some((code, reason)))) => {
                assert_eq!(code, 4008, "{reason}");
                break;
            }
            Some(Frame::Close(None)) => break,
            None => panic!("connection neither closed nor ended"),
        }
    }
    assert!(
        results < CHUNKS,
        "a slow consumer cannot have received all {CHUNKS} results"
    );
}

#[tokio::test]
async fn every_limit_answers_with_its_typed_error() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("MAX_FRAME_BYTES", "2000".to_owned()),
            ("MAX_VARIANTS_PER_REQUEST", "5".to_owned()),
            ("MAX_INFLIGHT_VARIANTS", "6".to_owned()),
            ("RATE_LIMIT_PER_MINUTE", "1".to_owned()),
            ("RATE_LIMIT_BURST", "4".to_owned()),
            ("MAX_SESSIONS", "2".to_owned()),
        ],
    )
    .await;
    let mut client = Ws::connect(&gateway).await;
    let v = "21 25585733 . C T";

    client
        .send(json!({"type": "analyze", "request_id": "big", "variants": ["x".repeat(2500)]}))
        .await;
    assert_eq!(client.json().await["code"], "frame_too_large");
    assert_eq!(
        client.analyze("six", &[v; 6]).await["code"],
        "too_many_variants"
    );
    assert_eq!(client.analyze("five", &[v; 5]).await["type"], "accepted");
    assert_eq!(
        client.analyze("two", &[v; 2]).await["code"],
        "too_many_variants_in_flight"
    );
    assert_eq!(client.analyze("one", &[v]).await["type"], "accepted");
    assert_eq!(
        client.analyze("more", &[v]).await["code"],
        "too_many_variants_in_flight"
    );
    let limited = client.analyze("again", &[v]).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
    assert_eq!(limited["request_id"], "again");

    let _second = Ws::connect(&gateway).await;
    assert_eq!(Ws::connect_with(&gateway, &[]).await.err(), Some(503));
    let m = metrics(&gateway).await;
    assert!(
        m.contains("gateway_limit_rejections_total{code=\"rate_limited\"} 1"),
        "{m}"
    );
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[("PUBLIC_ORIGINS", "https://ui.example".to_owned())],
    )
    .await;
    assert_eq!(
        Ws::connect_with(&gateway, &[("origin", "https://evil.example")])
            .await
            .err(),
        Some(403)
    );
    assert!(
        Ws::connect_with(&gateway, &[("origin", "https://ui.example")])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn upgrades_without_valid_credentials_are_refused_when_auth_is_configured() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("AUTH_TOKEN", "s3cret-token".to_owned()),
            ("TRUSTED_IDENTITY_HEADER", "X-Forwarded-User".to_owned()),
        ],
    )
    .await;
    assert_eq!(Ws::connect_with(&gateway, &[]).await.err(), Some(401));
    assert_eq!(
        Ws::connect_with(
            &gateway,
            &[
                ("authorization", "Bearer wrong"),
                ("x-forwarded-user", "alice")
            ]
        )
        .await
        .err(),
        Some(401)
    );
    assert_eq!(
        Ws::connect_with(&gateway, &[("authorization", "Bearer s3cret-token")])
            .await
            .err(),
        Some(401),
        "the proxy's identity header is required too"
    );
    assert!(Ws::connect_with(
        &gateway,
        &[
            ("authorization", "Bearer s3cret-token"),
            ("x-forwarded-user", "alice")
        ]
    )
    .await
    .is_ok());
}

#[tokio::test]
async fn metrics_and_events_are_served_on_the_internal_port_only() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let _client = Ws::connect(&gateway).await;
    let m = metrics(&gateway).await;
    for name in [
        "gateway_sessions 1",
        "gateway_sessions_opened_total",
        "gateway_ws_messages_out_total",
    ] {
        assert!(m.contains(name), "{name} missing from:\n{m}");
    }
    let http = reqwest::Client::new();
    let public_metrics = http
        .get(gateway.url("/metrics"))
        .send()
        .await
        .expect("answer");
    assert_eq!(public_metrics.status(), 404);
    let public_post = http
        .post(gateway.url("/"))
        .header("ce-type", "dev.genomics.variants.annotated.v2")
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert!(
        public_post.status().is_client_error(),
        "{}",
        public_post.status()
    );
    let page = http.get(gateway.url("/")).send().await.expect("page");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn without_redis_a_session_resumes_within_the_same_process() {
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let mut first = Ws::connect(&gateway).await;
    assert_eq!(
        first.analyze("r", &["21 25585733 . C T"]).await["type"],
        "accepted"
    );
    let resume = first.resume_frame(None);
    drop(first.socket);
    let submitted = submissions(&broker, 1).await;
    assert_eq!(
        deliver(&gateway, &annotate(&function, &submitted[0]).await).await,
        202
    );
    let mut again = Ws::connect(&gateway).await;
    again.send(resume).await;
    assert_eq!(again.json().await["type"], "resumed");
    let frames = again.until_complete().await;
    assert_eq!(frames.len(), 2, "{frames:?}");
}
