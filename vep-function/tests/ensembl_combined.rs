//! `local+ensembl` against the bundled gene models and a loopback server serving the real
//! recorded Ensembl answers: the engine answers what it covers, Ensembl the rest.

#[path = "ensembl/recordings.rs"]
mod recordings;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use recordings::recordings;
use vep::backend::ensembl::Combined;
use vep::backend::{EnsemblAnnotator, LocalAnnotator};
use vep::config::{Config, EngineData};
use vep::events::Backend;
use vep::service::ChunkAnnotator;

const MISSENSE_X: &str = "X 31180437 31180437 C/T 1";

#[tokio::test]
async fn the_engine_answers_what_it_covers_and_ensembl_the_rest() {
    let server = MockServer::start().await;
    let store = recordings();
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(move |r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            let found: Vec<Value> = body["variants"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().and_then(|s| store.get(s)).cloned())
                .collect();
            ResponseTemplate::new(200).set_body_json(found)
        })
        .mount(&server)
        .await;
    let url = server.uri();
    let env = HashMap::from([
        ("VEP_BACKEND", "local+ensembl"),
        ("VEP_API_URL", url.as_str()),
        // The backend under test does not serve events.
        ("EVENT_SIGNING_INSECURE", "true"),
    ]);
    let config = Config::from_env(&env, "data".into()).expect("config");
    let data = EngineData::Bundled(Path::new(env!("CARGO_MANIFEST_DIR")).join("data"));
    let local = LocalAnnotator::load(&data).expect("bundled engine");
    let combined = Combined::new(
        Arc::new(local),
        EnsemblAnnotator::new(&config.ensembl).expect("client"),
    );
    assert_eq!(combined.info().backend, Backend::LocalEnsembl);

    // chr21 is in the bundled models (the engine's answer); chrX is not (Ensembl's).
    let chr21 = "21 25585733 . C T";
    let inputs = vec![chr21.to_string(), MISSENSE_X.to_string()];
    let answers = combined.annotate_chunk(&inputs).await;

    let ours = &answers[0].as_ref().expect("engine annotation").annotations;
    assert_eq!(ours[0].input, chr21);
    assert_eq!(ours[0].seq_region_name, "21");
    // Ensembl knew nothing about it: no extra was made up.
    assert!(ours[0].extra.is_empty());

    let theirs = &answers[1].as_ref().expect("Ensembl annotation").annotations;
    assert_eq!(
        theirs[0].most_severe_consequence,
        recordings()[MISSENSE_X]["most_severe_consequence"]
    );
    assert!(theirs[0]
        .transcript_consequences
        .iter()
        .any(|t| t.sift_score.is_some()));
}
