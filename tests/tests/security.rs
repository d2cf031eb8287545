//! Hostile input against the real binaries on loopback: oversize frames and bodies, deeply
//! nested JSON, invalid UTF-8, slowloris connections, forged CloudEvents on the public port,
//! cross-origin upgrades. Each attack gets a typed refusal or a bounded close, and a normal
//! client on the same gateway keeps working meanwhile.

use std::time::{Duration, Instant};

use e2e::ledger::Ledger;
use e2e::observer::{Next, Observer};
use e2e::process::{start_function, start_gateway, start_pipeline, Gateway};
use e2e::recorder::Recorder;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
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
/// data itself is what gets decoded.
async fn post_nested(url: &str, ty: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("client")
        .post(url)
        .header("ce-specversion", "1.0")
        .header("ce-id", "nested")
        .header("ce-type", ty)
        .header("ce-source", "urn:attacker")
        .header("ce-sessionid", "s-1")
        .header("ce-analysisid", "a-1")
        .header("ce-partitionkey", "a-1")
        .header("content-type", "application/json")
        .body("[".repeat(100_000))
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn deeply_nested_event_data_is_refused_by_the_gateway_and_failed_by_the_function() {
    let (gateway, _pipeline_function) = start_pipeline().await;
    let resp = post_nested(&gateway.events_url(), "dev.genomics.variants.annotated.v1").await;
    assert_eq!(resp.status(), 400);
    // The function turns a poison event that names its session into a typed failure for
    // that session (here its inline reply), instead of crashing or dropping it.
    let function = start_function(None, &[]).await;
    let resp = post_nested(&function.url("/"), "dev.genomics.variants.submitted.v1").await;
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
    let function = start_function(None, &[("MAX_BODY_BYTES", "100000".into())]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // The gateway's internal port takes up to 32 MiB; the function its MAX_BODY_BYTES.
    for (url, size) in [
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
                .header("ce-type", "dev.genomics.variants.annotated.v1")
                .header("ce-source", "urn:attacker")
                .header("ce-sessionid", client.session_id.as_str())
                .header(
                    "ce-analysisid",
                    accepted["analysis_id"].as_str().unwrap_or_default(),
                );
            let body = if structured {
                req = req.header("content-type", "application/cloudevents+json");
                json!({"specversion": "1.0", "id": "forged2", "source": "urn:attacker",
                       "type": "dev.genomics.variants.annotated.v1", "data": data})
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

#[tokio::test]
async fn a_cross_origin_upgrade_is_refused_by_default() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let upgrade = |origin: &'static str| {
        let url = gateway.ws_url();
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut req = url.into_client_request().expect("request");
            req.headers_mut()
                .insert("origin", origin.parse().expect("header"));
            match tokio_tungstenite::connect_async(req).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        }
    };
    assert_eq!(upgrade("https://evil.example").await, 403);
    assert_eq!(upgrade("null").await, 403);
    let same: &'static str =
        Box::leak(format!("http://127.0.0.1:{}", gateway.service.port).into_boxed_str());
    assert_eq!(upgrade(same).await, 101);
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
    let resp = reqwest::Client::new()
        .post(function.url("/"))
        .timeout(Duration::from_secs(120))
        .header("ce-specversion", "1.0")
        .header("ce-id", "big-deletions")
        .header("ce-type", "dev.genomics.variants.submitted.v1")
        .header("ce-source", "urn:attacker")
        .header("ce-sessionid", "s-big")
        .header("ce-analysisid", "a-big")
        .header("content-type", "application/json")
        .body(data.to_string())
        .send()
        .await
        .expect("function answers");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["ce-type"],
        "dev.genomics.variants.annotated.v1"
    );
    let result: serde_json::Value = resp.json().await.expect("annotated event data");
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
