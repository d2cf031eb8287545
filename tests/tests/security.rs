//! Hostile input against the real binaries on loopback: oversize frames and bodies, deeply
//! nested JSON, invalid UTF-8, slowloris connections, forged CloudEvents on the public port,
//! cross-origin upgrades; and the attacks of issue #17: session theft by id, REST injection
//! into a victim's session, reading someone's upload, stalled uploads, a gzip header bomb,
//! result memory growth without Redis, DNS rebinding, deliveries without an OIDC token, a
//! reachable events port, patient data in the function's warnings. Each attack gets a typed
//! refusal or a bounded close, and a normal client on the same gateway keeps working
//! meanwhile. Measured figures are printed as `SECURITY-FIGURE` lines (`make chaos` lists
//! them; RELIABILITY.md records them).

use std::time::{Duration, Instant};

use e2e::ledger::Ledger;
use e2e::observer::{Next, Observer};
use e2e::process::{start_function, start_gateway, start_pipeline, start_pipeline_with, Gateway};
use e2e::recorder::Recorder;
use e2e::rest::{download, http, poll_until_complete, status_of, upload, upload_for};
use e2e::trigger::annotate;
use e2e::variants::generate_variants;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(10);

/// A normal client still gets its analysis through: the attack did not take the gateway down.
async fn still_serves(gateway: &Gateway) {
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    let variants = vec!["21 25585733 . C T".to_owned()];
    client.analyze(&mut ledger, "bystander", &variants, 1).await;
    client.settle(&mut ledger, WAIT, Duration::ZERO).await;
    ledger.assert_exactly_once();
}

/// Opens a raw TCP connection and completes a WebSocket upgrade by hand, so the test can
/// write frames no WebSocket library would produce.
async fn raw_upgrade(gateway: &Gateway) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", gateway.service.port))
        .await
        .expect("connect");
    let req = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        gateway.service.port
    );
    s.write_all(req.as_bytes()).await.expect("write upgrade");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.expect("read upgrade reply");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// A client frame (masked, zero key) with `opcode` and `payload`.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    let len = payload.len();
    if len < 126 {
        f.push(0x80 | len as u8);
    } else if len <= usize::from(u16::MAX) {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// The close code the server ends with, skipping data frames; panics unless it closes
/// within `wait`.
async fn close_code(ws: &mut WebSocketStream<TcpStream>, wait: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => panic!("the server did not close within {wait:?}"),
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Close(c)))) => return c.map(|c| u16::from(c.code)),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

#[tokio::test]
async fn a_frame_far_over_the_limit_closes_with_1009_and_others_are_unaffected() {
    let (gateway, _function) = start_pipeline().await;
    let mut s = raw_upgrade(&gateway).await;
    // 4 MiB + 1: over four times MAX_FRAME_BYTES (1 MiB), refused by the transport.
    let big = vec![b' '; 4 * 1024 * 1024 + 1];
    // The server may close before taking it all.
    let _ = s.write_all(&client_frame(0x1, &big)).await;
    let mut ws = WebSocketStream::from_raw_socket(s, Role::Client, None).await;
    assert_eq!(close_code(&mut ws, WAIT).await, Some(1009));
    still_serves(&gateway).await;
}

#[tokio::test]
async fn a_frame_over_the_protocol_limit_gets_a_typed_error_and_the_connection_stays() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[("MAX_FRAME_BYTES", "1000".into())]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    client
        .send(&json!({"type": "ping", "pad": "x".repeat(2000)}))
        .await;
    match client.next(WAIT).await {
        Next::Json(f) => assert_eq!(f["code"], "frame_too_large", "{f}"),
        other => panic!("{other:?}"),
    }
    client.send(&json!({"type": "ping"})).await;
    match client.next(WAIT).await {
        Next::Json(f) => assert_eq!(f["type"], "pong", "{f}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn deeply_nested_json_in_a_frame_is_malformed_json_not_a_crash() {
    let (gateway, _function) = start_pipeline().await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    for nested in [
        "[".repeat(100_000),
        format!("{}{}", "{\"a\":".repeat(50_000), "1"),
    ] {
        client.send_text(&nested).await;
        match client.next(WAIT).await {
            Next::Json(f) => assert_eq!(f["code"], "malformed_json", "{f}"),
            other => panic!("{other:?}"),
        }
    }
    still_serves(&gateway).await;
}

/// A CloudEvent whose data is 100 000 nested `[`, with the routing attributes present so the
/// data itself is what gets decoded: signed with the key of the processes under test (a
/// defective sender, not an attacker: an unsigned one is refused before its data is read).
async fn post_nested(url: &str, ty: &str, content_type: &str) -> reqwest::Response {
    let req = reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("client")
        .post(url);
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "nested"),
        ("ce-type", ty),
        ("ce-source", "urn:attacker"),
        ("ce-sessionid", "s-1"),
        ("ce-analysisid", "a-1"),
        ("ce-partitionkey", "a-1:0"),
        ("content-type", content_type),
    ];
    e2e::signing::signed_request(req, &headers, "[".repeat(100_000).into_bytes())
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn deeply_nested_event_data_is_refused_by_the_gateway_and_failed_by_the_function() {
    let (gateway, _pipeline_function) = start_pipeline().await;
    for (ty, content_type) in [
        (
            "dev.genomics.variants.annotated.v2",
            "application/vnd.genomics.variants-annotated.v2",
        ),
        ("dev.genomics.analysis.failed.v1", "application/json"),
    ] {
        let resp = post_nested(&gateway.events_url(), ty, content_type).await;
        assert_eq!(resp.status(), 400, "{ty}");
    }
    // The function turns a poison event that names its session into a typed failure for
    // that session (here its inline reply), instead of crashing or dropping it.
    let function = start_function(None, &[]).await;
    let resp = post_nested(
        &function.url("/"),
        "dev.genomics.variants.submitted.v1",
        "application/json",
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["ce-type"],
        "dev.genomics.analysis.failed.v1",
        "{:?}",
        resp.headers()
    );
    still_serves_function(&function).await;
    still_serves(&gateway).await;
}

#[tokio::test]
async fn oversize_http_bodies_are_refused_with_413() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let function = start_function(None, &[("EVENT_MAX_BYTES", "100000".into())]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // Both take events up to EVENT_MAX_BYTES (1,000,000 by default): no bigger one can come
    // through the Kafka hops, and none is read, signed or not.
    for (url, size) in [
        (gateway.events_url(), 1_000_001),
        (gateway.events_url(), 32 * 1024 * 1024 + 1),
        (function.url("/"), 100_001),
    ] {
        let resp = http
            .post(&url)
            .header("ce-specversion", "1.0")
            .header("ce-id", "big")
            .header("ce-type", "dev.genomics.variants.submitted.v1")
            .header("ce-source", "urn:attacker")
            .header("content-type", "application/json")
            .body(vec![b' '; size])
            .send()
            .await;
        // Refused with 413, or the connection cut while the rest was still being sent.
        if let Ok(resp) = resp {
            assert_eq!(resp.status(), 413, "{url}");
        }
    }
    still_serves_function(&function).await;
    let gateway_live = http
        .get(format!(
            "http://127.0.0.1:{}/q/health/live",
            gateway.events_port
        ))
        .send()
        .await
        .expect("internal port still answers");
    assert_eq!(gateway_live.status(), 200);
}

async fn still_serves_function(function: &e2e::process::Service) {
    let resp = reqwest::get(function.url("/health/readiness"))
        .await
        .expect("function answers");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_closes_the_connection_and_others_are_unaffected() {
    let (gateway, _function) = start_pipeline().await;
    let mut s = raw_upgrade(&gateway).await;
    s.write_all(&client_frame(0x1, &[b'{', 0xff, 0xfe, b'}']))
        .await
        .expect("write frame");
    let mut ws = WebSocketStream::from_raw_socket(s, Role::Client, None).await;
    // The session greeting may come first; then a protocol-error close (1002 or 1007).
    let code = close_code(&mut ws, WAIT).await;
    assert!(matches!(code, Some(1002) | Some(1007)), "{code:?}");
    still_serves(&gateway).await;
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_in_bounded_time_and_others_are_unaffected() {
    let (gateway, _function) = start_pipeline().await;
    // Slowloris: many connections that never finish their request head.
    let mut lorises = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(("127.0.0.1", gateway.service.port))
            .await
            .expect("connect");
        s.write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
            .await
            .expect("write");
        lorises.push(s);
    }
    still_serves(&gateway).await;
    let started = Instant::now();
    for mut s in lorises {
        let mut buf = [0u8; 1024];
        // The server answers 408 and closes, or just closes: either way it ends.
        loop {
            match tokio::time::timeout(Duration::from_secs(15), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(_)) => continue,
                Err(_) => panic!("a half-sent request was kept open for 15 s"),
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn an_upgraded_socket_that_never_answers_pings_is_closed() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    // Upgraded, then silent: reads nothing, answers no ping (the kernel still ACKs).
    let silent = raw_upgrade(&gateway).await;
    let mut ws = WebSocketStream::from_raw_socket(silent, Role::Client, None).await;
    // The server pings every 20 s and gives up after 60 s of silence (checked at a tick).
    // tungstenite would answer pings on the next read, so read only once the time is up.
    tokio::time::sleep(Duration::from_secs(82)).await;
    let mut raw = ws.get_mut();
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), raw.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the idle socket is still open after 87 s"),
        }
        raw = ws.get_mut();
    }
    // The close frame (opcode 0x88) with 1001 "idle timeout" is in what was sent.
    let close = seen
        .windows(4)
        .any(|w| w[0] == 0x88 && w[2..4] == 1001u16.to_be_bytes());
    assert!(close, "no 1001 close frame among {} bytes", seen.len());
}

#[tokio::test]
async fn a_forged_result_on_the_public_port_is_refused_and_never_reaches_the_session() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "target", &["21 25585733 . C T".to_owned()], 1)
        .await;
    let accepted = match client.next(WAIT).await {
        Next::Json(f) if f["type"] == "accepted" => f,
        other => panic!("{other:?}"),
    };
    ledger.see(&accepted);
    // A well-formed result naming the live session and analysis: only its port is wrong.
    let data = json!({
        "analysis_id": accepted["analysis_id"], "session_id": client.session_id,
        "chunk_index": 0, "chunk_count": 1, "variant_count": 1,
        "annotations": [{"input": "forged", "input_index": 0, "most_severe_consequence": "stop_gained"}],
        "errors": [], "annotator": {"backend": "forged", "version": "0"}
    });
    let http = reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("client");
    for path in ["/", "/ws", "/events", "/q/health/ready", "/assets/app.js"] {
        for structured in [false, true] {
            let mut req = http
                .post(gateway.url(path))
                .header("ce-specversion", "1.0")
                .header("ce-id", "forged")
                .header("ce-type", "dev.genomics.variants.annotated.v2")
                .header("ce-source", "urn:attacker")
                .header("ce-sessionid", client.session_id.as_str())
                .header(
                    "ce-analysisid",
                    accepted["analysis_id"].as_str().unwrap_or_default(),
                );
            let body = if structured {
                req = req.header("content-type", "application/cloudevents+json");
                json!({"specversion": "1.0", "id": "forged2", "source": "urn:attacker",
                       "type": "dev.genomics.variants.annotated.v2", "data": data})
                .to_string()
            } else {
                req = req.header("content-type", "application/json");
                data.to_string()
            };
            let status = req.body(body).send().await.expect("answer").status();
            assert!(status.is_client_error(), "{path}: {status}");
        }
    }
    assert!(
        matches!(client.next(Duration::from_secs(3)).await, Next::Quiet),
        "nothing may reach the session"
    );
    assert!(!ledger.settled(), "the forged result was not taken");
}

/// The HTTP status a WebSocket upgrade to `url` gets (101 when taken), sent with `Origin:
/// origin` and, when given, `Host: host` (a DNS-rebinding page sends its own name there).
async fn upgrade_status(url: String, host: Option<String>, origin: String) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().expect("request");
    if let Some(host) = host {
        req.headers_mut()
            .insert("host", host.parse().expect("header"));
    }
    req.headers_mut()
        .insert("origin", origin.parse().expect("header"));
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn a_cross_origin_upgrade_is_refused_by_default() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let upgrade = |origin: &str| upgrade_status(gateway.ws_url(), None, origin.to_owned());
    assert_eq!(upgrade("https://evil.example").await, 403);
    assert_eq!(upgrade("null").await, 403);
    let same = format!("http://127.0.0.1:{}", gateway.service.port);
    assert_eq!(upgrade(&same).await, 101);
}

#[tokio::test]
async fn a_binary_frame_gets_a_typed_error() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(gateway.ws_url())
        .await
        .expect("connect");
    let _hello = ws.next().await;
    ws.send(Message::Binary(vec![0u8; 16].into()))
        .await
        .expect("send");
    match tokio::time::timeout(WAIT, ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => assert!(t.contains("binary_not_supported"), "{t}"),
        other => panic!("{other:?}"),
    }
}

/// The cluster's memory limit of the gateway (config/base/gateway.yaml).
const GATEWAY_LIMIT_KIB: u64 = 256 * 1024;

fn figure(attack: &str, what: &str) {
    println!("SECURITY-FIGURE\t{attack}\t{what}");
}

/// One `variants` frame worth of VCF lines on the bundled chr21 region.
fn variants(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("21 {} . C T", 25_585_733 + i))
        .collect()
}

#[tokio::test]
async fn a_client_knowing_only_a_session_id_can_neither_resume_it_nor_kick_its_owner() {
    let (gateway, _function) = start_pipeline().await;
    let mut victim = Observer::connect(&gateway.ws_url()).await;
    assert_eq!(victim.resume_secret.len(), 43, "a 256-bit secret");
    let mut ledger = Ledger::default();
    victim
        .analyze(&mut ledger, "private", &variants(2), 1000)
        .await;
    victim.settle(&mut ledger, WAIT, Duration::ZERO).await;
    ledger.assert_exactly_once();

    let mut thief = Observer::connect(&gateway.ws_url()).await;
    let own_secret = thief.resume_secret.clone();
    for (secret, code) in [
        (None, "session_secret_required"),
        (Some("guessed"), "session_secret_invalid"),
        // A valid secret of another session is just as wrong.
        (Some(own_secret.as_str()), "session_secret_invalid"),
    ] {
        let mut msg = json!({"type": "resume", "session_id": victim.session_id, "last_seen": "0"});
        if let Some(s) = secret {
            msg["resume_secret"] = json!(s);
        }
        thief.send(&msg).await;
        match thief.next(WAIT).await {
            Next::Json(f) => {
                assert_eq!(f["type"], "error", "{f}");
                assert_eq!(f["code"], code, "{f}");
            }
            other => panic!("{other:?}"),
        }
    }
    // The thief learned nothing: no replayed frame follows.
    assert!(matches!(
        thief.next(Duration::from_secs(1)).await,
        Next::Quiet
    ));
    // The victim is still connected (no 4009) and its session still works.
    victim.send(&json!({"type": "ping"})).await;
    match victim.next(WAIT).await {
        Next::Json(f) => assert_eq!(f["type"], "pong", "{f}"),
        other => panic!("the victim lost its connection: {other:?}"),
    }
    // With the secret, the owner resumes from another connection and gets its results.
    let mut back = Observer::resume(
        &gateway.ws_url(),
        &victim.session_id,
        &victim.resume_secret,
        None,
    )
    .await;
    let mut replay = Ledger::default();
    replay.submit("private", 2, 1000);
    back.settle(&mut replay, WAIT, Duration::ZERO).await;
    assert_eq!(replay.tally().results + replay.tally().errors, 2);
    still_serves(&gateway).await;
}

#[tokio::test]
async fn a_rest_upload_naming_a_victims_session_needs_its_secret_and_reaches_nothing_without() {
    let (gateway, _function) = start_pipeline().await;
    let mut victim = Observer::connect(&gateway.ws_url()).await;
    let body = || b"##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n".to_vec();
    let query = format!(
        "?session={}&request_id=injected-by-attacker",
        victim.session_id
    );
    for (secret, status, code) in [
        (None, 401, "session_secret_required"),
        (Some("guessed"), 403, "session_secret_invalid"),
    ] {
        let (got, reply) = upload_for(&gateway, &query, body(), secret).await;
        assert_eq!(
            (got, reply["code"].as_str()),
            (status, Some(code)),
            "{reply}"
        );
    }
    assert!(
        matches!(victim.next(Duration::from_secs(2)).await, Next::Quiet),
        "nothing may reach the victim's page"
    );
    // The owner's own upload is attached: its frames arrive on the session.
    let (got, reply) = upload_for(&gateway, &query, body(), Some(&victim.resume_secret)).await;
    assert_eq!(got, 202, "{reply}");
    match victim.next(WAIT).await {
        Next::Json(f) => assert_eq!(f["request_id"], "injected-by-attacker", "{f}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_uploads_status_and_results_need_its_download_token() {
    let (gateway, _function) = start_pipeline().await;
    let (code, accepted) = upload(
        &gateway,
        "",
        b"##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n".to_vec(),
    )
    .await;
    assert_eq!(code, 202, "{accepted}");
    let id = accepted["analysis_id"].as_str().expect("id").to_owned();
    let token = accepted["download_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(token.len(), 43);
    poll_until_complete(&gateway, &id, WAIT).await;
    let get = |path: String, header: Option<(&'static str, String)>| {
        let mut req = http().get(gateway.url(&path));
        if let Some((k, v)) = header {
            req = req.header(k, v);
        }
        async move {
            let resp = req.send().await.expect("answer");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }
    };
    for path in [
        format!("/api/analyses/{id}"),
        format!("/api/analyses/{id}/results?format=jsonl"),
    ] {
        assert_eq!(
            get(path.clone(), None).await,
            (401, "download_token_required".into()),
            "{path}"
        );
        assert_eq!(
            get(path.clone(), Some(("x-download-token", "guessed".into()))).await,
            (403, "download_token_invalid".into()),
            "{path}"
        );
        // Another upload's token opens nothing else.
        assert_eq!(
            get(path.clone(), Some(("x-session-secret", token.clone()))).await,
            (403, "download_token_invalid".into()),
            "{path}"
        );
    }
    // A link carries the token in its query.
    let link = http()
        .get(gateway.url(&format!(
            "/api/analyses/{id}/results?format=vcf&token={token}"
        )))
        .send()
        .await
        .expect("answer");
    assert_eq!(link.status(), 200);
}

/// Sends a POST head announcing a 1 MB body, then 30 bytes of it, then nothing.
async fn stall_upload(gateway: &Gateway) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", gateway.service.port))
        .await
        .expect("connect");
    let head = format!(
        "POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 1000000\r\n\
         Content-Type: application/octet-stream\r\n\r\n##fileformat=VCFv4.2\n21\t25585",
        gateway.service.port
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s
}

/// Reads what the server sends until it closes; `None` if it is still open after `wait`.
async fn until_closed(s: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn six_hundred_stalled_uploads_neither_block_the_api_nor_stay_open() {
    const STALLED: usize = 600;
    const IDLE_SECS: u64 = 5;
    let (gateway, _function) =
        start_pipeline_with(&[], &[("UPLOAD_IDLE_TIMEOUT_SECS", IDLE_SECS.to_string())]).await;
    // An analysis done before the attack, whose status and results must stay reachable.
    let (code, accepted) = upload(
        &gateway,
        "",
        b"##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n".to_vec(),
    )
    .await;
    assert_eq!(code, 202, "{accepted}");
    let id = accepted["analysis_id"].as_str().expect("id").to_owned();
    poll_until_complete(&gateway, &id, WAIT).await;

    let started = Instant::now();
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        stalled.push(stall_upload(&gateway).await);
    }
    let opened = started.elapsed();
    // Meanwhile: status, a download, a new WebSocket analysis and a new upload.
    // Status and download: the median of three probes (one scheduler hiccup on a loaded
    // 2-core machine is not the API blocking; blocking would cost the 5 s idle timeout).
    let mut status_ms = [0; 3];
    let mut download_ms = [0; 3];
    for probe in 0..3 {
        let t = Instant::now();
        let s = status_of(&gateway, &id).await;
        status_ms[probe] = t.elapsed().as_millis();
        assert_eq!(s["state"], "complete");
        let t = Instant::now();
        let body = download(&gateway, &id, "jsonl").await;
        download_ms[probe] = t.elapsed().as_millis();
        assert_eq!(body.lines().count(), 1);
    }
    eprintln!("during the attack: status {status_ms:?} ms, download {download_ms:?} ms");
    status_ms.sort_unstable();
    download_ms.sort_unstable();
    let (status_ms, download_ms) = (status_ms[1], download_ms[1]);
    let t = Instant::now();
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "during", &variants(1), 1000)
        .await;
    let accepted_ms = match client.next(WAIT).await {
        Next::Json(f) if f["type"] == "accepted" => {
            ledger.see(&f);
            t.elapsed().as_millis()
        }
        other => panic!("{other:?}"),
    };
    client.settle(&mut ledger, WAIT, Duration::ZERO).await;
    ledger.assert_exactly_once();
    let complete_ms = t.elapsed().as_millis();
    let t = Instant::now();
    let busy = http()
        .post(gateway.url("/api/analyses"))
        .body(b"##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n".to_vec())
        .send()
        .await
        .expect("answer");
    let busy_ms = t.elapsed().as_millis();
    assert_eq!(
        busy.status(),
        503,
        "every upload slot is held by a stalled socket"
    );
    assert_eq!(busy.headers()["retry-after"], "2");
    for (what, ms) in [
        ("status", status_ms),
        ("download", download_ms),
        ("ws accepted", accepted_ms),
        ("upload 503", busy_ms),
    ] {
        assert!(ms < 1000, "{what} took {ms} ms during the attack");
    }

    // Every stalled socket is closed: at once with 503, or after the idle timeout with 408.
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    let closing = Instant::now();
    for s in &mut stalled {
        let reply = until_closed(s, Duration::from_secs(IDLE_SECS + 10))
            .await
            .expect("a stalled upload was still open after the idle timeout");
        let status = reply.split_whitespace().nth(1).unwrap_or("none").to_owned();
        *answers.entry(status).or_default() += 1;
    }
    let closed_after = closing.elapsed();
    let timed_out = answers.get("408").copied().unwrap_or_default();
    assert!(timed_out >= 1, "{answers:?}");
    assert_eq!(answers.values().sum::<usize>(), STALLED, "{answers:?}");
    assert!(
        answers.keys().all(|k| k == "408" || k == "503"),
        "{answers:?}"
    );
    let peak = gateway.service.peak_rss_kib();
    assert!(peak < GATEWAY_LIMIT_KIB, "peak RSS {peak} KiB");
    figure(
        "600 stalled uploads",
        &format!(
            "opened in {} ms; status {status_ms} ms, download {download_ms} ms, ws accepted {accepted_ms} ms, ws complete {complete_ms} ms, new upload 503 in {busy_ms} ms; closed: {answers:?} within {} ms after the attack; gateway peak RSS {peak} KiB",
            opened.as_millis(),
            (closed_after + opened).as_millis()
        ),
    );
    still_serves(&gateway).await;
}

/// A gzip of `lines` header lines of 1000 bytes each.
fn header_bomb(lines: usize) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let line = format!("##{}\n", "A".repeat(998));
    for _ in 0..lines {
        gz.write_all(line.as_bytes()).expect("gzip");
    }
    gz.write_all(b"21\t25585733\t.\tC\tT\n").expect("gzip");
    gz.finish().expect("gzip")
}

#[tokio::test]
async fn a_gzip_header_bomb_is_refused_naming_the_limit_and_headers_stream_on_download() {
    let results = std::env::temp_dir().join(format!("security-bomb-{}", std::process::id()));
    let (gateway, _function) =
        start_pipeline_with(&[], &[("RESULTS_DIR", results.display().to_string())]).await;
    let before = gateway.service.rss_kib();
    // The issue's bomb: ~510 KB of gzip, 501 MB of `##` lines once decompressed.
    let bomb = header_bomb(501_000);
    let t = Instant::now();
    let (code, reply) = upload(&gateway, "", bomb.clone()).await;
    let refused_ms = t.elapsed().as_millis();
    assert_eq!(code, 413, "{reply}");
    assert_eq!(reply["code"], "header_too_large");
    assert_eq!(
        reply["message"],
        "the VCF header is larger than 8388608 bytes"
    );
    let spooled: u64 = walk_bytes(&results);
    assert_eq!(spooled, 0, "a refused upload leaves nothing on disk");

    // A header just under the limit is accepted, and four VCF downloads at once stream it.
    let (code, accepted) = upload(&gateway, "", header_bomb(8_000)).await;
    assert_eq!(code, 202, "{accepted}");
    let id = accepted["analysis_id"].as_str().expect("id").to_owned();
    poll_until_complete(&gateway, &id, WAIT).await;
    let downloads = futures_util::future::join_all((0..4).map(|_| download(&gateway, &id, "vcf")));
    for vcf in downloads.await {
        assert_eq!(
            vcf.lines().filter(|l| l.starts_with("##AAA")).count(),
            8_000
        );
    }
    let peak = gateway.service.peak_rss_kib();
    assert!(peak < GATEWAY_LIMIT_KIB, "peak RSS {peak} KiB");
    figure(
        "gzip header bomb",
        &format!(
            "{} KB gzip of 501 MB header refused in {refused_ms} ms, 0 bytes spooled; 4 concurrent downloads of an 8 MB header; gateway RSS {before} KiB before, peak {peak} KiB",
            bomb.len() / 1000
        ),
    );
    let _ = std::fs::remove_dir_all(results);
}

fn walk_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => walk_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[tokio::test]
async fn without_redis_result_memory_is_bounded_and_an_evicted_session_is_told_expired() {
    const BUDGET: u64 = 8 << 20;
    let (gateway, _function) =
        start_pipeline_with(&[], &[("MEMORY_STORE_MAX_BYTES", BUDGET.to_string())]).await;
    let before = gateway.service.rss_kib();
    // A session with a complete analysis, then away.
    let mut early = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    early
        .analyze(&mut ledger, "early", &variants(3), 1000)
        .await;
    early.settle(&mut ledger, WAIT, Duration::ZERO).await;
    let (session, secret) = (early.session_id.clone(), early.resume_secret.clone());
    drop(early);
    // Flood: four sessions, each with four analyses of 1000 annotatable variants. A flood
    // reader that falls behind the budget loses its oldest frames too: it must then be told
    // (`expired`, close 4008), never shown a stream with a hole.
    let pool = generate_variants(16_000, 17);
    let t = Instant::now();
    let flood = (0..4u64).map(|s| {
        let url = gateway.ws_url();
        let pool = &pool;
        async move {
            let mut c = Observer::connect(&url).await;
            let mut l = Ledger::default();
            for i in 0..4u64 {
                let first = ((s * 4 + i) * 1000) as usize;
                c.analyze(
                    &mut l,
                    &format!("f{s}-{i}"),
                    &pool[first..first + 1000],
                    1000,
                )
                .await;
            }
            let open = c
                .read_until(&mut l, Duration::from_secs(120), |l, _| l.settled())
                .await;
            if open {
                l.assert_exactly_once();
                "complete"
            } else {
                let told: Vec<&Value> = l.strays.iter().collect();
                assert!(
                    matches!(told.as_slice(), [f] if f["code"] == "expired"),
                    "a flood reader was cut without being told why: {told:?}"
                );
                "expired"
            }
        }
    });
    let endings = futures_util::future::join_all(flood).await;
    let flooded = 16_000;
    let flood_ms = t.elapsed().as_millis();
    let peak = gateway.service.peak_rss_kib();
    let after = gateway.service.rss_kib();
    // The early session's frames were evicted first: its owner is told, not shown a hole.
    let mut back = Observer::connect(&gateway.ws_url()).await;
    back.send(&json!({"type": "resume", "session_id": session, "resume_secret": secret}))
        .await;
    let mut codes = Vec::new();
    loop {
        match back.next(WAIT).await {
            Next::Json(f) => codes.push(
                f["code"]
                    .as_str()
                    .unwrap_or(f["type"].as_str().unwrap_or(""))
                    .to_owned(),
            ),
            Next::Closed(code) => {
                assert_eq!(code, Some(4008));
                break;
            }
            Next::Quiet => panic!("no answer to the resume: {codes:?}"),
        }
    }
    assert_eq!(codes, ["resumed", "expired"]);
    assert!(peak < GATEWAY_LIMIT_KIB, "peak RSS {peak} KiB");
    figure(
        "result flood without Redis",
        &format!(
            "{flooded} variants in 16 analyses over 4 sessions in {flood_ms} ms (flood readers: {endings:?}), MEMORY_STORE_MAX_BYTES {} MiB; gateway RSS {before} KiB before, {after} KiB after, peak {peak} KiB; evicted session resumed: expired, close 4008",
            BUDGET >> 20
        ),
    );
}

#[tokio::test]
async fn a_dns_rebinding_page_is_refused_although_its_origin_matches_the_host_it_sent() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let port = gateway.service.port;
    let rebound = format!("evil.example:{port}");
    let origin = format!("http://{rebound}");
    let upgrade =
        |host: String, origin: String| upgrade_status(gateway.ws_url(), Some(host), origin);
    assert_eq!(upgrade(rebound.clone(), origin.clone()).await, 403);
    let post = http()
        .post(gateway.url("/api/analyses"))
        .header("host", &rebound)
        .header("origin", &origin)
        .body(b"##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n".to_vec())
        .send()
        .await
        .expect("answer");
    assert_eq!(post.status(), 403);
    // The local defaults (no PUBLIC_ORIGINS configured) still open.
    for local in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        assert_eq!(upgrade(format!("127.0.0.1:{port}"), local).await, 101);
    }
    // A configured public origin replaces the local ones.
    let public = start_gateway(
        &broker.url(),
        &[("PUBLIC_ORIGINS", "https://variants.example".into())],
    )
    .await;
    let upgrade_public = |origin: &str| upgrade_status(public.ws_url(), None, origin.to_owned());
    assert_eq!(upgrade_public("https://variants.example").await, 101);
    assert_eq!(upgrade_public("http://localhost:8080").await, 403);
}

/// A gateway that verifies OIDC tokens from `issuer` for audience `AUDIENCE` and subject
/// `SUBJECT`, and a session with one accepted analysis; returns the annotated event.
const AUDIENCE: &str = "genomics/gateway-events";
const SUBJECT: &str =
    "system:serviceaccount:genomics:analysis-results-to-gateway-oidc-eventing.knative.dev-trigger";

async fn deliver_with(
    gateway: &Gateway,
    event: &e2e::trigger::Event,
    token: Option<&str>,
) -> (u16, String) {
    let mut req = http().post(gateway.events_url());
    for (k, v) in &event.0 {
        if k.starts_with("ce-") || k == "content-type" {
            req = req.header(k, v);
        }
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = req.body(event.1.clone()).send().await.expect("answer");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn with_oidc_on_a_delivery_without_a_valid_token_gets_401_and_changes_nothing() {
    let issuer = e2e::oidc::Issuer::start().await;
    let key = e2e::oidc::Key::generate("k1");
    issuer.publish(&key);
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("EVENTS_OIDC_ISSUER", issuer.url.clone()),
            ("EVENTS_OIDC_AUDIENCE", AUDIENCE.into()),
            ("EVENTS_OIDC_SUBJECTS", SUBJECT.into()),
        ],
    )
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client.analyze(&mut ledger, "r", &variants(2), 1000).await;
    let submitted = broker.wait_for(1, WAIT).await;
    let event = annotate(&function, &submitted[0]).await;

    let attacker = e2e::oidc::Key::generate("k1");
    let good = issuer.claims(SUBJECT, AUDIENCE, 600);
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, "token_missing"),
        ("not a JWT", Some("garbage".into()), "token_malformed"),
        (
            "signed by another key with the same kid",
            Some(attacker.sign(&good)),
            "token_signature",
        ),
        (
            "unsigned (alg none)",
            Some(format!(
                "{}.{}.",
                b64(r#"{"alg":"none","kid":"k1"}"#),
                b64(&good.to_string())
            )),
            "token_algorithm",
        ),
        (
            "other audience",
            Some(key.sign(&with("aud", json!(["other"])))),
            "token_audience",
        ),
        (
            "other issuer",
            Some(key.sign(&with("iss", json!("https://evil.example")))),
            "token_issuer",
        ),
        (
            "expired",
            Some(key.sign(&with("exp", json!(1_000_000)))),
            "token_expired",
        ),
        (
            "other subject",
            Some(key.sign(&with(
                "sub",
                json!("system:serviceaccount:genomics:default"),
            ))),
            "token_subject",
        ),
        (
            "unknown key id",
            Some(e2e::oidc::Key::generate("k9").sign(&good)),
            "token_key_unknown",
        ),
    ];
    for (what, token, code) in &cases {
        assert_eq!(
            deliver_with(&gateway, &event, token.as_deref()).await,
            (401, (*code).to_owned()),
            "{what}"
        );
    }
    match client.next(WAIT).await {
        Next::Json(f) if f["type"] == "accepted" => ledger.see(&f),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.next(Duration::from_secs(1)).await,
        Next::Quiet
    ));
    // A rotated key (a new kid) is fetched on first sight; the chunk is still open.
    let fetches = issuer.jwks_fetches();
    let rotated = e2e::oidc::Key::generate("k2");
    issuer.publish(&rotated);
    tokio::time::sleep(Duration::from_millis(5_100)).await; // past MIN_REFETCH after the k9 probe
    assert_eq!(
        deliver_with(&gateway, &event, Some(&rotated.sign(&good))).await,
        (202, String::new())
    );
    assert!(issuer.jwks_fetches() > fetches);
    client.settle(&mut ledger, WAIT, Duration::ZERO).await;
    ledger.assert_exactly_once();
    figure(
        "deliveries with OIDC on",
        &format!(
            "{} forged or invalid deliveries: 401 each, nothing delivered; a valid token for a rotated key: 202; JWKS fetched {} times",
            cases.len(),
            issuer.jwks_fetches()
        ),
    );
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn the_events_port_listens_on_loopback_only_unless_events_host_says_otherwise() {
    let broker = Recorder::start(202).await;
    let local = start_gateway(&broker.url(), &[]).await;
    // 127.0.0.2 is this host too, but not the address the port is bound to.
    let refused = TcpStream::connect(("127.0.0.2", local.events_port)).await;
    assert!(refused.is_err(), "the events port answers beyond 127.0.0.1");
    assert!(TcpStream::connect(("127.0.0.1", local.events_port))
        .await
        .is_ok());
    let cluster = start_gateway(&broker.url(), &[("EVENTS_HOST", "0.0.0.0".into())]).await;
    assert!(TcpStream::connect(("127.0.0.2", cluster.events_port))
        .await
        .is_ok());
}

#[tokio::test]
async fn the_functions_warnings_never_quote_the_variants() {
    let log = std::env::temp_dir().join(format!("security-function-{}.log", std::process::id()));
    let function = e2e::process::start_function_logging(None, &[], Some(&log)).await;
    // `variants` as a string: serde's error would quote it.
    let secret = "21 25585733 . C PATIENT-SECRET-ALLELE";
    let data = json!({"analysis_id": "a-1", "session_id": "s-1", "request_id": "r-1",
                      "chunk_index": 0, "chunk_count": 1, "variants": secret});
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "poison"),
        ("ce-type", "dev.genomics.variants.submitted.v1"),
        ("ce-source", "urn:test"),
        ("ce-sessionid", "s-1"),
        ("ce-analysisid", "a-1"),
        ("ce-partitionkey", "a-1:0"),
        ("content-type", "application/json"),
    ];
    let resp = e2e::signing::signed_request(
        http().post(function.url("/")),
        &headers,
        data.to_string().into_bytes(),
    )
    .send()
    .await
    .expect("answer");
    assert_eq!(resp.status(), 200, "failed inline for its session");
    drop(function);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("submitted event rejected"), "{text}");
    assert!(text.contains("invalid_data"), "{text}");
    assert!(!text.contains("PATIENT-SECRET"), "{text}");
    let _ = std::fs::remove_file(log);
}

#[tokio::test]
async fn the_gateways_info_logs_carry_no_ids_secrets_or_variants() {
    let log = std::env::temp_dir().join(format!("security-gateway-{}.log", std::process::id()));
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let gateway = e2e::process::start_gateway_logging(
        &broker.url(),
        &[("RUST_LOG", "info".into())],
        Some(&log),
    )
    .await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    let secret_variant = "21 25585733 . C T";
    client
        .analyze(&mut ledger, "r", &[secret_variant.to_owned()], 1000)
        .await;
    let submitted = broker.wait_for(1, WAIT).await;
    assert_eq!(
        e2e::trigger::deliver(&gateway, &annotate(&function, &submitted[0]).await).await,
        202
    );
    client.settle(&mut ledger, WAIT, Duration::ZERO).await;
    let (code, accepted) = upload_for(
        &gateway,
        &format!("?session={}", client.session_id),
        b"##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n".to_vec(),
        Some(&client.resume_secret),
    )
    .await;
    assert_eq!(code, 202, "{accepted}");
    let analysis = submitted[0].event()["data"]["analysis_id"]
        .as_str()
        .expect("analysis id")
        .to_owned();
    let resume_secret = client.resume_secret.clone();
    drop(client);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("session opened"), "{text}");
    assert!(text.contains("result stored for delivery"), "{text}");
    for (what, value) in [
        ("session id", client_session(&submitted[0])),
        ("analysis id", analysis),
        (
            "upload id",
            accepted["analysis_id"].as_str().expect("id").to_owned(),
        ),
        (
            "download token",
            accepted["download_token"].as_str().expect("t").to_owned(),
        ),
        ("variant", secret_variant.to_owned()),
        ("resume secret", resume_secret),
    ] {
        assert!(!text.contains(&value), "the {what} is in the log:\n{text}");
    }
    let _ = std::fs::remove_file(log);
}

/// The session id a submitted event names.
fn client_session(submitted: &e2e::recorder::Received) -> String {
    submitted.event()["data"]["session_id"]
        .as_str()
        .expect("session id")
        .to_owned()
}

/// Peak resident memory of a child process so far (`VmHWM`), in bytes.
fn peak_rss(service: &e2e::process::Service) -> u64 {
    let pid = service.child.id().expect("the process runs");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib * 1024
}

#[tokio::test]
async fn a_frame_of_900_kb_deletions_gets_too_large_errors_in_bounded_memory() {
    // Issue #17: 1000 deletions of 900 kb in a 29 KB frame took the function to 4.9-6.5 GB.
    // Every 100th variant is an ordinary one; each input must be answered exactly once.
    let function = start_function(None, &[]).await;
    let variants: Vec<&str> = (0..1000)
        .map(|i| {
            if i % 100 == 0 {
                "21 25585733 . C T"
            } else {
                "21:g.25000000_25900000del"
            }
        })
        .collect();
    let data = json!({
        "analysis_id": "a-big", "session_id": "s-big", "request_id": "r-big",
        "chunk_index": 0, "chunk_count": 1, "variants": variants
    });
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "big-deletions"),
        ("ce-type", "dev.genomics.variants.submitted.v1"),
        ("ce-source", "urn:attacker"),
        ("ce-sessionid", "s-big"),
        ("ce-analysisid", "a-big"),
        ("ce-partitionkey", "a-big:0"),
        ("content-type", "application/json"),
    ];
    let req = reqwest::Client::new()
        .post(function.url("/"))
        .timeout(Duration::from_secs(120));
    let resp = e2e::signing::signed_request(req, &headers, data.to_string().into_bytes())
        .send()
        .await
        .expect("function answers");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["ce-type"],
        "dev.genomics.variants.annotated.v2"
    );
    let bytes = resp.bytes().await.expect("annotated event data");
    let decoded = contract::wire::decode(&bytes).expect("a v2 part");
    let result = serde_json::to_value(decoded).expect("json");
    let mut answered = vec![0; variants.len()];
    for annotation in result["annotations"].as_array().expect("annotations") {
        answered[annotation["input_index"].as_u64().expect("input_index") as usize] += 1;
    }
    for error in result["errors"].as_array().expect("errors") {
        let index = error["input_index"].as_u64().expect("input_index") as usize;
        answered[index] += 1;
        assert_eq!(variants[index], "21:g.25000000_25900000del");
        assert_eq!(error["code"], "too_large", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("900001") && message.contains("10000"),
            "the message names the span and the limit: {message}"
        );
    }
    assert!(answered.iter().all(|&n| n == 1), "each input exactly once");
    assert_eq!(result["annotations"].as_array().map(Vec::len), Some(10));
    // The debug build idles near 40 MB; the attack used to need gigabytes.
    let peak = peak_rss(&function);
    assert!(peak < 256 * 1024 * 1024, "peak RSS {} MiB", peak >> 20);
    still_serves_function(&function).await;
}

/// Issue #17.2 at the events port: a result for a live session and analysis, as an attacker
/// who can reach the port (or post to the Broker) would send it. Unsigned: 401. Signed with
/// another key, or a genuine event with its data changed, or a forged count (10^15) signed
/// with another key: 403. None of them reaches the session or the counts; the genuine
/// event then does, once, and its replay changes nothing.
#[tokio::test]
async fn forged_unsigned_tampered_and_replayed_results_on_the_events_port_change_nothing() {
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let mut client = Observer::connect(&gateway.ws_url()).await;
    let mut ledger = Ledger::default();
    client
        .analyze(&mut ledger, "victim", &variants(3), 1000)
        .await;
    let submitted = broker.wait_for(1, WAIT).await;
    let genuine = annotate(&function, &submitted[0]).await;
    let attacker =
        contract::signing::SigningKey::from_bytes(&[0x5a; 48], std::path::Path::new("attacker"))
            .expect("key");
    let resign = |event: &e2e::trigger::Event, key: Option<&contract::signing::SigningKey>| {
        let mut e = event.clone();
        e.0.retain(|k, _| k != "ce-signature");
        if let Some(key) = key {
            let (k, v) = e2e::signing::signature_with(
                key,
                e.0.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                &e.1,
            );
            e.0.insert(k, v);
        }
        e
    };
    let mut tampered = genuine.clone();
    let last = tampered.1.len() - 1;
    tampered.1[last] ^= 1;
    // The attacker's own part: 10^15 inputs for the victim's chunk.
    let mut forged_part = contract::wire::decode(&genuine.1).expect("genuine part");
    forged_part.variant_count = 1_000_000_000_000_000;
    let mut forged_count = genuine.clone();
    forged_count.1 = contract::wire::encode(&forged_part);
    let attempts = [
        ("unsigned", resign(&genuine, None), 401),
        ("another key", resign(&genuine, Some(&attacker)), 403),
        ("tampered data", tampered, 403),
        ("forged count", resign(&forged_count, Some(&attacker)), 403),
    ];
    for (what, event, status) in &attempts {
        assert_eq!(
            e2e::trigger::deliver(&gateway, event).await,
            *status,
            "{what}"
        );
    }
    // Nothing reached the session but its acceptance.
    while let Next::Json(f) = client.next(Duration::from_millis(500)).await {
        assert_eq!(f["type"], "accepted", "{what}: {f}", what = "forgery");
        ledger.see(&f);
    }
    assert!(!ledger.settled());
    assert_eq!(e2e::trigger::deliver(&gateway, &genuine).await, 202);
    client.settle(&mut ledger, WAIT, Duration::ZERO).await;
    // Replayed, whole or after a forgery attempt: accepted as a duplicate, nothing new.
    assert_eq!(e2e::trigger::deliver(&gateway, &genuine).await, 202);
    client
        .settle(&mut ledger, WAIT, Duration::from_secs(1))
        .await;
    ledger.assert_exactly_once();
    figure(
        "forged result on the events port",
        &format!(
            "{} forged/unsigned/tampered deliveries refused (401/403), nothing counted; the genuine result once, its replay a no-op",
            attempts.len()
        ),
    );
}

/// Issue #17.3: a 15 MB submitted event used to take the function from ~200 MB to ~900 MB.
/// Over `EVENT_MAX_BYTES` it is refused (413 `event_too_large`) before it is read, so its
/// size costs nothing.
#[tokio::test]
async fn a_15_mb_submitted_event_is_refused_unread_in_flat_memory() {
    let function = start_function(None, &[]).await;
    let before = peak_rss(&function);
    let variants: Vec<String> = (0..15_000)
        .map(|i| format!("21 {} . {} T", 25_000_000 + i, "C".repeat(990)))
        .collect();
    let data = json!({"analysis_id": "a-15", "session_id": "s-15", "request_id": "r",
                      "chunk_index": 0, "chunk_count": 1, "variants": variants})
    .to_string()
    .into_bytes();
    assert!(data.len() > 15_000_000);
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "fifteen"),
        ("ce-type", "dev.genomics.variants.submitted.v1"),
        ("ce-source", "urn:genomics:gateway"),
        ("ce-sessionid", "s-15"),
        ("ce-analysisid", "a-15"),
        ("ce-partitionkey", "a-15:0"),
        ("content-type", "application/json"),
    ];
    let started = Instant::now();
    let sent = e2e::signing::signed_request(http().post(function.url("/")), &headers, data)
        .send()
        .await;
    let took = started.elapsed();
    // Refused with 413, or the connection cut while the rest was still being sent.
    if let Ok(resp) = sent {
        assert_eq!(resp.status(), 413);
        let body: Value = resp.json().await.expect("typed error");
        assert_eq!(body["code"], "event_too_large");
    }
    still_serves_function(&function).await;
    let peak = peak_rss(&function);
    assert!(
        peak < before + 32 * 1024 * 1024,
        "peak RSS {} MiB from {} MiB",
        peak >> 20,
        before >> 20
    );
    figure(
        "15 MB submitted event",
        &format!(
            "413 event_too_large in {} ms; function peak RSS {} MiB before, {} MiB after (limit EVENT_MAX_BYTES 1,000,000)",
            took.as_millis(),
            before >> 20,
            peak >> 20
        ),
    );
}
