//! The Ensembl backend against a real HTTP server on loopback (wiremock) that serves the real
//! recorded Ensembl answers in `tests/data/ensembl-rest`, and Ensembl's failure answers
//! (400, 429 with Retry-After, 503, 504, slow). The server answers like Ensembl's POST
//! endpoints: one recorded object per posted notation it knows, the unknown ones left out.

#[path = "ensembl/recordings.rs"]
mod recordings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use recordings::recordings;
use vep::backend::ensembl::codes;
use vep::backend::EnsemblAnnotator;
use vep::config::Config;
use vep::events::{Backend, Submitted};
use vep::service::{self, ChunkAnnotator, VariantOutcome};

/// Recorded inputs (Ensembl default format and HGVS), as the recordings echo them.
const STOP_GAINED: &str = "16 89279135 89279135 G/C 1";
const FRAMESHIFT: &str = "16 89284129 89284134 CTTTTT/C 1";
const MISSENSE_X: &str = "X 31180437 31180437 C/T 1";
const INFRAME_DEL: &str = "1 156115215 156115218 CGCC/C 1";
const INSERTION: &str = "1 156114921 156114920 -/A 1";
const AGT_HGVS: &str = "AGT:c.803T>C";
/// Not in the recordings: the server leaves it out, as Ensembl does with what it cannot place.
const UNKNOWN: &str = "7 100 100 A/T 1";

/// One request the server saw: when it arrived, and the notations posted.
type Seen = (Instant, Vec<String>);

/// What the server saw.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    fn record(&self, request: &Request) -> Vec<String> {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let posted: Vec<String> = ["variants", "hgvs_notations", "ids"]
            .iter()
            .filter_map(|k| body.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        self.0
            .lock()
            .unwrap()
            .push((Instant::now(), posted.clone()));
        posted
    }

    fn requests(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}

/// Answers like Ensembl from the recordings.
fn recorded(request: &Request, log: &Log, store: &HashMap<String, Value>) -> ResponseTemplate {
    let posted = log.record(request);
    let answer: Vec<Value> = posted
        .iter()
        .filter_map(|p| store.get(p))
        .cloned()
        .collect();
    ResponseTemplate::new(200).set_body_json(answer)
}

async fn serve_recordings(server: &MockServer, log: &Log) {
    let store = recordings();
    let log = log.clone();
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| recorded(r, &log, &store))
        .mount(server)
        .await;
}

fn annotator(server: &MockServer, extra: &[(&'static str, &str)]) -> EnsemblAnnotator {
    let url = server.uri();
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("VEP_BACKEND", "ensembl"),
        ("VEP_API_URL", url.as_str()),
        ("VEP_API_RATE", "200"),
        ("VEP_API_TIMEOUT_MS", "2000"),
        ("VEP_API_CHUNK_DEADLINE_MS", "20000"),
        // The backend under test does not serve events.
        ("EVENT_SIGNING_INSECURE", "true"),
    ]);
    env.extend(extra.iter().copied());
    let config = Config::from_env(&env, "data".into()).expect("config");
    EnsemblAnnotator::new(&config.ensembl).expect("client")
}

async fn annotate(a: &EnsemblAnnotator, inputs: &[&str]) -> Vec<VariantOutcome> {
    let owned: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
    a.annotate_chunk(&owned)
        .await
        .into_iter()
        .map(|answer| answer.map(|a| a.annotations))
        .collect()
}

fn code(answer: &VariantOutcome) -> &str {
    match answer {
        Ok(_) => "ok",
        Err(f) => &f.code,
    }
}

#[tokio::test]
async fn recorded_answers_reach_their_inputs_and_missing_ones_are_typed_errors() {
    let server = MockServer::start().await;
    let log = Log::default();
    serve_recordings(&server, &log).await;
    let a = annotator(&server, &[]);
    let store = recordings();

    let inputs = [MISSENSE_X, UNKNOWN, AGT_HGVS, "not a variant", STOP_GAINED];
    let submitted = Submitted {
        analysis_id: "a".into(),
        chunk_count: 1,
        chunk_index: 0,
        first_index: Some(100),
        request_id: "r".into(),
        session_id: "s".into(),
        variants: inputs.iter().map(|s| s.to_string()).collect(),
    };
    let out = service::process(&submitted, &a).await;

    assert_eq!(out.annotator.backend, Backend::Ensembl);
    // As consumers see them: the JSON the event carries.
    let json: Vec<Value> = out
        .annotations
        .iter()
        .map(|a| serde_json::to_value(a).unwrap())
        .collect();
    let by_index: HashMap<u64, &Value> = json
        .iter()
        .map(|o| (o["input_index"].as_u64().unwrap(), o))
        .collect();
    assert_eq!(by_index.len(), 3);
    for (index, input) in [(100, MISSENSE_X), (102, AGT_HGVS), (104, STOP_GAINED)] {
        let got = by_index[&index];
        let want = &store[input];
        assert_eq!(got["input"], want["input"]);
        assert_eq!(
            got["most_severe_consequence"],
            want["most_severe_consequence"]
        );
        assert_eq!(
            got["transcript_consequences"].as_array().map(Vec::len),
            want["transcript_consequences"].as_array().map(Vec::len)
        );
    }
    // Ensembl's extra fields come through: SIFT/PolyPhen and colocated variants.
    let x = &by_index[&100]["transcript_consequences"];
    assert!(x
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["sift_prediction"].is_string() && t["polyphen_score"].is_number()));
    assert!(by_index[&104]["colocated_variants"].is_array());

    let errors: Vec<(u64, &str)> = out
        .errors
        .iter()
        .map(|e| (e.input_index, e.code.as_str()))
        .collect();
    assert_eq!(
        errors,
        vec![(101, codes::NOT_ANNOTATED), (103, "unparsable")]
    );
    // One request per endpoint; the unparsable input was never sent.
    let requests = log.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests
        .iter()
        .all(|(_, p)| !p.contains(&"not a variant".into())));
}

#[tokio::test]
async fn variants_are_sent_in_batches_of_the_configured_size() {
    let server = MockServer::start().await;
    let log = Log::default();
    serve_recordings(&server, &log).await;
    let a = annotator(&server, &[("VEP_API_BATCH_SIZE", "2")]);

    let inputs = [STOP_GAINED, FRAMESHIFT, MISSENSE_X, INFRAME_DEL, INSERTION];
    let answers = annotate(&a, &inputs).await;
    assert!(answers.iter().all(|r| r.is_ok()), "{answers:?}");
    let mut sizes: Vec<usize> = log.requests().iter().map(|(_, p)| p.len()).collect();
    sizes.sort();
    assert_eq!(sizes, vec![1, 2, 2]);
}

#[tokio::test]
async fn requests_never_exceed_the_rate_limit() {
    let server = MockServer::start().await;
    let log = Log::default();
    serve_recordings(&server, &log).await;
    let a = annotator(
        &server,
        &[
            ("VEP_API_BATCH_SIZE", "1"),
            ("VEP_API_RATE", "5"),
            ("VEP_API_CONCURRENCY", "8"),
        ],
    );
    let inputs: Vec<String> = (1..=12).map(|i| format!("7 {i} {i} A/T 1")).collect();
    let answers = a.annotate_chunk(&inputs).await;
    assert_eq!(answers.len(), 12);

    let times: Vec<Instant> = log.requests().iter().map(|(t, _)| *t).collect();
    assert_eq!(times.len(), 12);
    // At 5 per second, no one-second window holds more than 5 (+1 for the window's edge).
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .filter(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 6, "{in_window} requests within one second");
    }
    let span = times[11].duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(2000),
        "12 requests in {span:?}"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_the_servers_retry_after() {
    let server = MockServer::start().await;
    let log = Log::default();
    let limited = log.clone();
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| {
            limited.record(r);
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0.6")
                .set_body_string(
                    "You have exceeded the limit of 15 requests per second; please reduce \
                     your concurrent connections",
                )
        })
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_recordings(&server, &log).await;
    let a = annotator(&server, &[]);

    let answers = annotate(&a, &[MISSENSE_X]).await;
    assert_eq!(code(&answers[0]), "ok", "{answers:?}");
    let times: Vec<Instant> = log.requests().iter().map(|(t, _)| *t).collect();
    assert_eq!(times.len(), 2);
    assert!(times[1].duration_since(times[0]) >= Duration::from_millis(600));
}

#[tokio::test]
async fn a_503_is_retried_and_the_answer_is_kept() {
    let server = MockServer::start().await;
    let log = Log::default();
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_recordings(&server, &log).await;
    let a = annotator(&server, &[]);

    let answers = annotate(&a, &[STOP_GAINED, AGT_HGVS]).await;
    assert!(answers.iter().all(|r| r.is_ok()), "{answers:?}");
    assert!(!a.circuit_open());
}

#[tokio::test]
async fn a_batch_that_keeps_timing_out_is_split_until_it_goes_through() {
    let server = MockServer::start().await;
    let log = Log::default();
    let store = recordings();
    let seen = log.clone();
    // Large batches are too slow for the client's timeout; small ones are answered.
    Mock::given(method("POST"))
        .and(path("/vep/human/region"))
        .respond_with(move |r: &Request| {
            let template = recorded(r, &seen, &store);
            let posted: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            let n = posted["variants"].as_array().map_or(0, Vec::len);
            if n > 2 {
                template.set_delay(Duration::from_secs(4))
            } else {
                template
            }
        })
        .mount(&server)
        .await;
    let a = annotator(&server, &[("VEP_API_TIMEOUT_MS", "1000")]);

    let inputs = [STOP_GAINED, FRAMESHIFT, MISSENSE_X, INFRAME_DEL];
    let answers = annotate(&a, &inputs).await;
    assert!(answers.iter().all(|r| r.is_ok()), "{answers:?}");
    let sizes: Vec<usize> = log.requests().iter().map(|(_, p)| p.len()).collect();
    assert_eq!(sizes, vec![4, 4, 2, 2]);
}

#[tokio::test]
async fn a_batch_rejected_with_400_is_narrowed_to_the_bad_variant() {
    let server = MockServer::start().await;
    let log = Log::default();
    let store = recordings();
    let seen = log.clone();
    let bad = "21 5000 5000 G/C 1";
    let message = "Unable to parse HGVS notation: Reference allele extracted does not match";
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| {
            let template = recorded(r, &seen, &store);
            let posted: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            if posted.to_string().contains(bad) {
                ResponseTemplate::new(400).set_body_json(json!({ "error": message }))
            } else {
                template
            }
        })
        .mount(&server)
        .await;
    let a = annotator(&server, &[]);

    let answers = annotate(&a, &[STOP_GAINED, bad, MISSENSE_X]).await;
    assert_eq!(code(&answers[0]), "ok");
    assert_eq!(code(&answers[2]), "ok");
    match &answers[1] {
        Err(f) => {
            assert_eq!(f.code, codes::REJECTED);
            assert!(f.message.contains(message), "{}", f.message);
        }
        Ok(v) => panic!("a rejected variant was annotated: {v:?}"),
    }
    assert!(!a.circuit_open(), "a 400 shows Ensembl is up");
}

#[tokio::test]
async fn when_ensembl_is_down_the_circuit_opens_and_chunks_fail_fast() {
    let server = MockServer::start().await;
    let log = Log::default();
    let seen = log.clone();
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| {
            seen.record(r);
            ResponseTemplate::new(503)
        })
        .mount(&server)
        .await;
    let a = annotator(
        &server,
        &[
            ("VEP_API_ATTEMPTS", "2"),
            ("VEP_API_BREAKER_FAILURES", "2"),
            ("VEP_API_BREAKER_COOLDOWN_MS", "800"),
        ],
    );

    let first = annotate(&a, &[STOP_GAINED]).await;
    assert_eq!(code(&first[0]), codes::UNAVAILABLE);
    assert!(a.circuit_open());
    let sent = log.requests().len();
    assert_eq!(sent, 2);

    let started = Instant::now();
    let second = annotate(&a, &[MISSENSE_X, "7 1 1 A/T 1"]).await;
    // No request, no backoff: only local work (generous for loaded CI machines).
    assert!(started.elapsed() < Duration::from_secs(1), "not fast");
    for answer in &second {
        match answer {
            Err(f) => {
                assert_eq!(f.code, codes::UNAVAILABLE);
                assert!(f.message.contains("retry later"), "{}", f.message);
            }
            Ok(v) => panic!("annotation invented while Ensembl is down: {v:?}"),
        }
    }
    assert_eq!(log.requests().len(), sent, "an open circuit sends nothing");

    // Ensembl recovers: after the cooldown one probe goes through and closes the circuit.
    server.reset().await;
    serve_recordings(&server, &log).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let third = annotate(&a, &[MISSENSE_X]).await;
    assert_eq!(code(&third[0]), "ok", "{third:?}");
    assert!(!a.circuit_open());
}

#[tokio::test]
async fn answers_are_cached_per_normalised_variant() {
    let server = MockServer::start().await;
    let log = Log::default();
    serve_recordings(&server, &log).await;
    let a = annotator(&server, &[]);

    let first = annotate(&a, &[MISSENSE_X, AGT_HGVS, UNKNOWN]).await;
    assert_eq!(log.requests().len(), 2);
    // Same variants, spelled with other spacing; the unknown one is asked again (failures
    // are not cached).
    let respelled = "X  31180437 31180437 C/T 1";
    let second = annotate(&a, &[respelled, AGT_HGVS, UNKNOWN]).await;
    assert_eq!(first[1], second[1]);
    // The cached answer, shown with the spelling the user submitted this time.
    let (Ok(cached), Ok(fresh)) = (&second[0], &first[0]) else {
        panic!("both annotated: {:?}", (code(&first[0]), code(&second[0])));
    };
    assert_eq!(cached[0].input, respelled);
    let mut cached = cached[0].clone();
    cached.input = fresh[0].input.clone();
    assert!(
        cached == fresh[0],
        "the cached answer differs from the fetched one"
    );
    assert_eq!(code(&second[2]), codes::NOT_ANNOTATED);
    let requests = log.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].1, vec![UNKNOWN.to_string()]);
    let stats = a.cache_stats();
    assert_eq!((stats.hits, stats.misses), (2, 4));
}

#[tokio::test]
async fn a_chunk_past_its_deadline_reports_the_unanswered_variants() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let a = annotator(
        &server,
        &[
            ("VEP_API_TIMEOUT_MS", "5000"),
            ("VEP_API_CHUNK_DEADLINE_MS", "500"),
        ],
    );
    let started = Instant::now();
    let answers = annotate(&a, &[MISSENSE_X, STOP_GAINED]).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        answers.iter().all(|r| code(r) == codes::UNAVAILABLE),
        "{answers:?}"
    );
}
