//! Pure retry policy, then the real sender against a real local HTTP server.

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use super::*;
use cloudevents::{EventBuilder, EventBuilderV10};

#[test]
fn server_errors_408_and_429_are_retried_other_4xx_are_not() {
    assert_eq!(classify(StatusCode::ACCEPTED), Verdict::Accepted);
    assert_eq!(classify(StatusCode::SERVICE_UNAVAILABLE), Verdict::Retry);
    assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS), Verdict::Retry);
    assert_eq!(classify(StatusCode::REQUEST_TIMEOUT), Verdict::Retry);
    assert_eq!(classify(StatusCode::BAD_REQUEST), Verdict::Fail);
    assert_eq!(classify(StatusCode::NOT_FOUND), Verdict::Fail);
    assert_eq!(classify(StatusCode::UNAUTHORIZED), Verdict::Unauthorized);
    assert_eq!(classify(StatusCode::FORBIDDEN), Verdict::Unauthorized);
}

#[test]
fn backoff_doubles_and_is_capped() {
    assert_eq!(backoff(1), Duration::from_millis(100));
    assert_eq!(backoff(2), Duration::from_millis(200));
    assert_eq!(backoff(3), Duration::from_millis(400));
    assert_eq!(backoff(10), BACKOFF_CAP);
    assert_eq!(backoff(u32::MAX), BACKOFF_CAP);
}

/// A destination stand-in: answers the scripted statuses in order (the last one repeats) and
/// records the `ce-type` and `Authorization` headers of every request; `rotate` (a token file
/// and its next content) is written after the first request, as the kubelet refreshes a
/// projected token.
struct Script {
    statuses: Vec<u16>,
    delay: Duration,
    seen: Mutex<Vec<String>>,
    auth: Mutex<Vec<String>>,
    rotate: Mutex<Option<(std::path::PathBuf, String)>>,
}

async fn scripted(req: HttpRequest, script: web::Data<Script>) -> HttpResponse {
    let n = {
        let mut seen = script.seen.lock().unwrap_or_else(|p| p.into_inner());
        let ty = req
            .headers()
            .get("ce-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        seen.push(ty);
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        script
            .auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(auth);
        if let Some((path, next)) = script
            .rotate
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            std::fs::write(path, next).expect("rotate the token");
        }
        seen.len()
    };
    tokio::time::sleep(script.delay).await;
    let code = script.statuses[(n - 1).min(script.statuses.len() - 1)];
    let status = actix_web::http::StatusCode::from_u16(code)
        .unwrap_or(actix_web::http::StatusCode::IM_A_TEAPOT);
    HttpResponse::build(status).finish()
}

async fn start(statuses: Vec<u16>, delay: Duration) -> (Url, Arc<Script>) {
    let script = web::Data::new(Script {
        statuses,
        delay,
        seen: Mutex::new(Vec::new()),
        auth: Mutex::new(Vec::new()),
        rotate: Mutex::new(None),
    });
    let data = script.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(scripted))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    actix_web::rt::spawn(server);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
    (url, script.into_inner())
}

fn event() -> Event {
    EventBuilderV10::new()
        .id("e-1")
        .ty(crate::event::TYPE_SUBMITTED)
        .source("urn:genomics:gateway")
        .data(
            "application/json",
            serde_json::json!({"variants": ["1 100 . A T"]}),
        )
        .build()
        .expect("event")
}

fn attempts(script: &Script) -> Vec<String> {
    script
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

#[actix_rt::test]
async fn retries_until_the_destination_accepts() {
    let (url, script) = start(vec![503, 429, 202], Duration::ZERO).await;
    let delivery = Delivery::new(url, Duration::from_secs(2), 3).expect("client");
    assert_eq!(delivery.send(&event()).await, Ok(()));
    assert_eq!(
        attempts(&script),
        vec!["dev.genomics.variants.submitted.v1"; 3]
    );
}

#[actix_rt::test]
async fn gives_up_after_the_configured_retries() {
    let (url, script) = start(vec![503], Duration::ZERO).await;
    let delivery = Delivery::new(url, Duration::from_secs(2), 1).expect("client");
    assert_eq!(
        delivery.send(&event()).await,
        Err(DeliveryError::Unavailable {
            status: 503,
            attempts: 2
        })
    );
    assert_eq!(attempts(&script).len(), 2);
}

#[actix_rt::test]
async fn client_error_is_not_retried() {
    let (url, script) = start(vec![400, 202], Duration::ZERO).await;
    let delivery = Delivery::new(url, Duration::from_secs(2), 3).expect("client");
    assert_eq!(
        delivery.send(&event()).await,
        Err(DeliveryError::Rejected(400))
    );
    assert_eq!(attempts(&script).len(), 1);
}

#[actix_rt::test]
async fn a_slow_destination_times_out() {
    let (url, _script) = start(vec![202], Duration::from_millis(800)).await;
    let delivery = Delivery::new(url, Duration::from_millis(100), 0).expect("client");
    assert_eq!(
        delivery.send(&event()).await,
        Err(DeliveryError::Timeout { attempts: 1 })
    );
}

#[actix_rt::test]
async fn closed_port_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
    let delivery = Delivery::new(url, Duration::from_millis(500), 0).expect("client");
    let err = delivery.send(&event()).await.expect_err("nothing listens");
    assert_eq!(err.code(), "broker_unreachable");
    // A refused connect proves the event never left.
    assert!(!err.may_have_been_delivered(), "{err:?}");
}

#[test]
fn refusals_are_told_apart_from_outages() {
    assert!(DeliveryError::Rejected(413).is_refusal());
    assert!(DeliveryError::Encode("x".into()).is_refusal());
    let after_a_timeout = DeliveryError::Rejected(400).after(true);
    assert!(after_a_timeout.is_refusal() && after_a_timeout.may_have_been_delivered());
    assert_eq!(after_a_timeout.code(), "broker_rejected");
    assert!(!DeliveryError::Timeout { attempts: 2 }.is_refusal());
    assert!(!DeliveryError::Unavailable {
        status: 503,
        attempts: 3
    }
    .is_refusal());
}

fn token_file(name: &str, content: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("delivery-{name}-{}", std::process::id()));
    std::fs::write(&path, content).expect("token file");
    path
}

#[actix_rt::test]
async fn the_token_is_sent_as_bearer_and_read_again_after_a_401() {
    let (url, script) = start(vec![401, 202], Duration::ZERO).await;
    let path = token_file("rotated", "old-token\n");
    *script.rotate.lock().unwrap() = Some((path.clone(), "new-token".into()));
    let delivery = Delivery::new(url, Duration::from_secs(2), 3)
        .expect("client")
        .with_token_file(path.clone());
    assert_eq!(delivery.send(&event()).await, Ok(()));
    assert_eq!(
        *script.auth.lock().unwrap(),
        ["Bearer old-token", "Bearer new-token"]
    );
    let _ = std::fs::remove_file(path);
}

#[actix_rt::test]
async fn a_lasting_401_or_403_is_an_identity_failure_never_a_refusal_of_the_event() {
    let path = token_file("lasting", "a-token");
    for status in [401, 403] {
        let (url, script) = start(vec![status], Duration::ZERO).await;
        let delivery = Delivery::new(url, Duration::from_secs(2), 1)
            .expect("client")
            .with_token_file(path.clone());
        let err = delivery.send(&event()).await.expect_err("refused");
        assert_eq!(
            err,
            DeliveryError::Unauthorized {
                status,
                attempts: 2
            }
        );
        assert_eq!(err.code(), "broker_unauthorized");
        // The function answers an outage (503, redelivered), not a refused event.
        assert!(!err.is_refusal() && err.refused_status().is_none());
        assert_eq!(
            script.auth.lock().unwrap().as_slice(),
            ["Bearer a-token", "Bearer a-token"]
        );
    }
    let _ = std::fs::remove_file(path);
}

#[actix_rt::test]
async fn without_a_token_401_and_403_are_final_refusals_of_the_event() {
    for status in [401, 403] {
        let (url, script) = start(vec![status, 202], Duration::ZERO).await;
        let delivery = Delivery::new(url, Duration::from_secs(2), 3).expect("client");
        let err = delivery.send(&event()).await.expect_err("refused");
        assert_eq!(err, DeliveryError::Rejected(status));
        assert!(err.is_refusal());
        assert_eq!(attempts(&script).len(), 1, "not retried");
    }
}

#[actix_rt::test]
async fn a_missing_or_empty_token_file_is_a_typed_error_and_nothing_is_sent() {
    let (url, script) = start(vec![202], Duration::ZERO).await;
    let empty = token_file("empty", " \n");
    for path in [
        std::path::PathBuf::from("/nonexistent/token"),
        empty.clone(),
    ] {
        let delivery = Delivery::new(url.clone(), Duration::from_secs(2), 2)
            .expect("client")
            .with_token_file(path);
        let err = delivery.send(&event()).await.expect_err("no token");
        assert_eq!(err.code(), "sender_token_unavailable", "{err}");
        assert!(!err.is_refusal());
    }
    assert!(attempts(&script).is_empty());
    let _ = std::fs::remove_file(empty);
}
