//! In-process scenarios (kept in the lib so `cargo test --lib` runs them): the real gateway servers, a real WebSocket client, a real HTTP
//! stand-in for the broker that records what it receives, and real CloudEvents posted back.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Gateway, Stopper};
use crate::config::Config;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use contract::event::{
    Annotated as Part, CONTENT_TYPE_ANNOTATED, CONTENT_TYPE_JSON, TYPE_ANNOTATED, TYPE_FAILED,
};
use contract::signing::{Signed, SigningKey, EXT_SIGNATURE, KEY_FILE};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// The key both the gateway under test and the function stand-in (these tests) sign with.
const KEY: [u8; 32] = [9; 32];

fn key_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("gw-app-key-{}", std::process::id()));
    std::fs::write(&path, KEY).expect("key file");
    path
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the broker stand-in received: the `ce-*` headers and the JSON body of each event.
#[derive(Default)]
struct Received {
    events: Mutex<Vec<(HashMap<String, String>, Value)>>,
}

async fn broker_endpoint(
    req: HttpRequest,
    body: web::Bytes,
    received: web::Data<Received>,
    status: web::Data<u16>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("ce-"))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    received
        .events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((headers, body));
    let code = actix_web::http::StatusCode::from_u16(*status.get_ref())
        .unwrap_or(actix_web::http::StatusCode::IM_A_TEAPOT);
    HttpResponse::build(code).finish()
}

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

struct Harness {
    public_port: u16,
    events_port: u16,
    received: Arc<Received>,
    stopper: Stopper,
}

async fn start(broker_status: u16, extra: &[(&str, &str)]) -> Harness {
    let received = web::Data::new(Received::default());
    let data = received.clone();
    let status = web::Data::new(broker_status);
    let (broker_listener, broker_port) = listener();
    let broker = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(status.clone())
            .default_service(web::to(broker_endpoint))
    })
    .workers(1)
    .disable_signals()
    .listen(broker_listener)
    .expect("broker listens")
    .run();
    actix_web::rt::spawn(broker);

    let mut env: HashMap<String, String> = HashMap::from([
        (
            "BROKER_URL".into(),
            format!("http://127.0.0.1:{broker_port}/"),
        ),
        ("BROKER_RETRIES".into(), "0".into()),
        ("BROKER_TIMEOUT_MS".into(), "2000".into()),
        (KEY_FILE.into(), key_file().to_string_lossy().into_owned()),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let config = Config::from_source(&env).expect("config");
    let (public, public_port) = listener();
    let (internal, events_port) = listener();
    let gateway = Gateway::build(&config, public, internal).expect("gateway builds");
    let stopper = gateway.stopper();
    actix_web::rt::spawn(gateway.public);
    actix_web::rt::spawn(gateway.internal);
    Harness {
        public_port,
        events_port,
        received: received.into_inner(),
        stopper,
    }
}

async fn connect(h: &Harness) -> (Ws, String) {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/ws", h.public_port))
            .await
            .expect("websocket connects");
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "session");
    assert_eq!(hello["protocol"], 1);
    let sid = hello["session_id"].as_str().expect("session id").to_owned();
    (ws, sid)
}

/// The next text frame as JSON, skipping transport pings.
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("stream open")
            .expect("frame ok");
        match frame {
            Message::Text(t) => return serde_json::from_str(&t).expect("server sends JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.expect("send");
}

/// Posts a binary-mode event to the events port, signed as the function signs, and returns
/// the status. `key`: `None` sends it unsigned.
async fn post_signed(
    h: &Harness,
    id: &str,
    (ty, content_type): (&str, &str),
    (session, analysis): (&str, &str),
    body: Vec<u8>,
    key: Option<&SigningKey>,
) -> u16 {
    let partition = format!("{analysis}:0");
    let mut req = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/", h.events_port))
        .header("ce-specversion", "1.0")
        .header("ce-id", id)
        .header("ce-source", "urn:genomics:vep-function")
        .header("ce-type", ty)
        .header("ce-subject", session)
        .header("ce-sessionid", session)
        .header("ce-analysisid", analysis)
        .header("ce-partitionkey", &partition)
        .header("content-type", content_type);
    if let Some(key) = key {
        let signature = key.sign(&Signed {
            ty,
            id,
            source: "urn:genomics:vep-function",
            session,
            analysis,
            partition: &partition,
            content_type,
            data: &body,
        });
        req = req.header(format!("ce-{EXT_SIGNATURE}"), signature);
    }
    req.body(body)
        .send()
        .await
        .expect("events port answers")
        .status()
        .as_u16()
}

fn the_key() -> SigningKey {
    SigningKey::from_bytes(&KEY, std::path::Path::new("test")).expect("key")
}

/// A signed annotated part.
async fn post_part(h: &Harness, id: &str, part: &Part) -> u16 {
    post_signed(
        h,
        id,
        (TYPE_ANNOTATED, CONTENT_TYPE_ANNOTATED),
        (&part.session_id, &part.analysis_id),
        contract::wire::encode(part),
        Some(&the_key()),
    )
    .await
}

/// A signed failure.
async fn post_failed(h: &Harness, id: &str, session: &str, analysis: &str, data: Value) -> u16 {
    post_signed(
        h,
        id,
        (TYPE_FAILED, CONTENT_TYPE_JSON),
        (session, analysis),
        data.to_string().into_bytes(),
        Some(&the_key()),
    )
    .await
}

/// The whole result of a one-chunk analysis of two variants: one annotated, one failed.
fn annotated(session: &str, analysis: &str) -> Part {
    serde_json::from_value(json!({
        "analysis_id": analysis, "session_id": session, "chunk_index": 0, "chunk_count": 1,
        "first_index": 0, "variant_count": 2, "part_index": 0, "part_count": 1,
        "annotations": [{"input": "21 25585733 . C T", "input_index": 0, "seq_region_name": "21",
            "start": 25585733, "end": 25585733, "allele_string": "C/T",
            "most_severe_consequence": "missense_variant"}],
        "errors": [{"input": "17:g.43094077C>T", "input_index": 1, "code": "outside_gene_models",
            "message": "no gene model covers 17:43094077"}],
        "annotator": {"backend": "local", "version": "test"}
    }))
    .expect("a part")
}

#[actix_rt::test]
async fn submission_is_sent_as_a_cloudevent_and_results_reach_the_session_once() {
    let h = start(202, &[]).await;
    let (mut ws, sid) = connect(&h).await;
    send(
        &mut ws,
        json!({"type":"analyze","request_id":"r1","variants":["21 25585733 . C T","17:g.43094077C>T"]}),
    )
    .await;
    let accepted = next_json(&mut ws).await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    assert_eq!(accepted["request_id"], "r1");
    let aid = accepted["analysis_id"]
        .as_str()
        .expect("analysis id")
        .to_owned();

    let (headers, body) = h.received.events.lock().expect("lock")[0].clone();
    assert_eq!(headers["ce-type"], "dev.genomics.variants.submitted.v1");
    assert_eq!(headers["ce-sessionid"], sid);
    assert_eq!(headers["ce-subject"], sid);
    assert_eq!(headers["ce-analysisid"], aid);
    assert_eq!(headers["ce-partitionkey"], format!("{aid}:0"));
    assert!(headers[&format!("ce-{EXT_SIGNATURE}")].starts_with("v1="));
    assert_eq!(body["variants"][1], "17:g.43094077C>T");

    // Unsigned, or signed with another key: refused, and nothing reaches the session.
    let part = annotated(&sid, &aid);
    let forged = SigningKey::from_bytes(&[1; 32], std::path::Path::new("x")).expect("key");
    for (key, status) in [(None, 401), (Some(&forged), 403)] {
        let got = post_signed(
            &h,
            "forged",
            (TYPE_ANNOTATED, CONTENT_TYPE_ANNOTATED),
            (&sid, &aid),
            contract::wire::encode(&part),
            key,
        )
        .await;
        assert_eq!(got, status);
    }

    let status = post_part(&h, "e1", &part).await;
    assert_eq!(status, 202);
    let result = next_json(&mut ws).await;
    assert_eq!(result["type"], "result");
    assert_eq!(
        result["annotations"][0]["most_severe_consequence"],
        "missense_variant"
    );
    assert_eq!(result["errors"][0]["code"], "outside_gene_models");
    let mut complete = next_json(&mut ws).await;
    // Cursors are opaque; they only have to differ and be present.
    let cursor = complete
        .as_object_mut()
        .and_then(|m| m.remove("cursor"))
        .expect("complete has a cursor");
    assert_ne!(Some(&cursor), result.get("cursor"));
    assert_eq!(
        complete,
        json!({"type":"complete","analysis_id":aid,"request_id":"r1","annotated":1,"failed":1})
    );

    // Redelivery of the same (source, id): accepted, nothing sent again.
    let again = post_part(&h, "e1", &part).await;
    assert_eq!(again, 202);
    send(&mut ws, json!({"type":"ping"})).await;
    assert_eq!(next_json(&mut ws).await, json!({"type":"pong"}));
}

#[actix_rt::test]
async fn failed_chunk_is_reported_and_counted_in_complete() {
    let h = start(202, &[]).await;
    let (mut ws, sid) = connect(&h).await;
    send(
        &mut ws,
        json!({"type":"analyze","request_id":"r2","variants":["1 100 . A T","1 200 . G C","1 300 . T A"]}),
    )
    .await;
    let accepted = next_json(&mut ws).await;
    let aid = accepted["analysis_id"]
        .as_str()
        .expect("analysis id")
        .to_owned();
    let failed = json!({"analysis_id": aid, "session_id": sid, "chunk_index": 0, "chunk_count": 1,
        "variant_count": 3, "code": "backend_unavailable", "message": "annotation backend down",
        "retryable": false});
    let status = post_failed(&h, "f1", &sid, &aid, failed).await;
    assert_eq!(status, 202);
    let error = next_json(&mut ws).await;
    assert_eq!(
        (
            error["type"].clone(),
            error["code"].clone(),
            error["chunk_index"].clone()
        ),
        (json!("error"), json!("backend_unavailable"), json!(0))
    );
    let complete = next_json(&mut ws).await;
    assert_eq!(
        (complete["annotated"].clone(), complete["failed"].clone()),
        (json!(0), json!(3))
    );
}

#[actix_rt::test]
async fn requests_split_into_chunks_complete_after_the_last_one() {
    let h = start(202, &[("CHUNK_SIZE", "2")]).await;
    let (mut ws, sid) = connect(&h).await;
    send(
        &mut ws,
        json!({"type":"analyze","request_id":"r3","variants":["1 100 . A T","1 200 . G C","1 300 . T A"]}),
    )
    .await;
    let accepted = next_json(&mut ws).await;
    assert_eq!(accepted["chunk_count"], 2, "{accepted}");
    let aid = accepted["analysis_id"]
        .as_str()
        .expect("analysis id")
        .to_owned();
    let bodies: Vec<Value> = h
        .received
        .events
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        (
            bodies[1]["chunk_index"].clone(),
            bodies[1]["first_index"].clone()
        ),
        (json!(1), json!(2))
    );

    let failed = |index: u64, count: u64| {
        json!({"analysis_id": aid, "session_id": sid,
        "chunk_index": index, "chunk_count": 2, "variant_count": count, "code": "poison",
        "message": "x", "retryable": false})
    };
    assert_eq!(post_failed(&h, "c1", &sid, &aid, failed(1, 1)).await, 202);
    assert_eq!(next_json(&mut ws).await["chunk_index"], 1);
    assert_eq!(next_json(&mut ws).await["type"], "progress");
    assert_eq!(post_failed(&h, "c0", &sid, &aid, failed(0, 2)).await, 202);
    assert_eq!(next_json(&mut ws).await["chunk_index"], 0);
    let complete = next_json(&mut ws).await;
    assert_eq!(
        (complete["type"].clone(), complete["failed"].clone()),
        (json!("complete"), json!(3))
    );
}

#[actix_rt::test]
async fn bad_frames_get_typed_errors_and_the_connection_stays_open() {
    let h = start(
        202,
        &[
            ("MAX_VARIANTS_PER_REQUEST", "2"),
            ("MAX_FRAME_BYTES", "300"),
        ],
    )
    .await;
    let (mut ws, _) = connect(&h).await;
    ws.send(Message::text("{nope")).await.expect("send");
    assert_eq!(next_json(&mut ws).await["code"], "malformed_json");
    send(&mut ws, json!({"type":"annotate","request_id":"x"})).await;
    let e = next_json(&mut ws).await;
    assert_eq!(
        (e["code"].clone(), e["request_id"].clone()),
        (json!("unknown_type"), json!("x"))
    );
    send(
        &mut ws,
        json!({"type":"analyze","request_id":"r","variants":["1 1 . A T","1 2 . A T","1 3 . A T"]}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["code"], "too_many_variants");
    send(
        &mut ws,
        json!({"type":"analyze","request_id":"r","variants":["A".repeat(400)]}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["code"], "frame_too_large");
    ws.send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("send");
    assert_eq!(next_json(&mut ws).await["code"], "binary_not_supported");
    send(&mut ws, json!({"type":"ping"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    assert!(
        h.received.events.lock().expect("lock").is_empty(),
        "nothing was submitted"
    );
}

#[actix_rt::test]
async fn broker_failure_is_reported_to_the_client_not_accepted() {
    let h = start(503, &[]).await;
    let (mut ws, _) = connect(&h).await;
    send(
        &mut ws,
        json!({"type":"analyze","request_id":"r7","variants":["1 100 . A T"]}),
    )
    .await;
    let e = next_json(&mut ws).await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["request_id"], "r7");
    assert_eq!(e["code"], "broker_unavailable");
}

#[actix_rt::test]
async fn malformed_and_unknown_events_get_400() {
    let h = start(202, &[]).await;
    let (_ws, sid) = connect(&h).await;
    let unknown = post_signed(
        &h,
        "e1",
        ("dev.genomics.other.v1", CONTENT_TYPE_ANNOTATED),
        (&sid, "a1"),
        contract::wire::encode(&annotated(&sid, "a1")),
        Some(&the_key()),
    )
    .await;
    assert_eq!(unknown, 400);
    let bad = post_signed(
        &h,
        "e2",
        (TYPE_ANNOTATED, CONTENT_TYPE_ANNOTATED),
        (&sid, "a1"),
        b"{\"x\": 1}".to_vec(),
        Some(&the_key()),
    )
    .await;
    assert_eq!(bad, 400);
    // Well-formed but for a session this replica does not hold: accepted, not an error.
    let elsewhere = post_part(&h, "e3", &annotated("other", "a1")).await;
    assert_eq!(elsewhere, 202);
}

#[actix_rt::test]
async fn shutdown_closes_sessions_with_1012() {
    let h = start(202, &[]).await;
    let (mut ws, _) = connect(&h).await;
    h.stopper.stop().await;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s");
        match frame {
            Some(Ok(Message::Close(Some(c)))) => {
                assert_eq!(u16::from(c.code), 1012);
                break;
            }
            Some(Ok(Message::Ping(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
