//! The scoring stage against a real MLServer (PyPI `mlserver` + `mlserver-sklearn`) on
//! loopback, started and stopped by the test, serving the small scikit-learn model that
//! `tests/mlserver/setup.sh` builds. Input: recorded Ensembl VEP REST answers (real SIFT and
//! PolyPhen-2 scores). Also: a model that is down or silent leaves results flowing, marked
//! "score unavailable".

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vep::engine::output::VariantAnnotation;
use vep::events::{Annotated, AnnotatorInfo, Backend};
use vep::scoring::features::Feature;
use vep::scoring::settings::{Datatype, ModelSpec, ScoringConfig};
use vep::scoring::{Scoring, LABEL};

#[path = "scoring/harness.rs"]
mod harness;

use harness::{client, venv, MlServer, MODEL};

fn spec(base: &url::Url) -> ModelSpec {
    ModelSpec {
        name: MODEL.into(),
        version: Some("v1".into()),
        url: Some(base.clone()),
        inputs: vec![Feature::Blosum62, Feature::Grantham],
        input_name: "input-0".into(),
        datatype: Datatype::Fp64,
        output: Some("predict_proba".into()),
        max_batch: 8,
    }
}

fn config(models: Vec<ModelSpec>, timeout: Duration) -> ScoringConfig {
    let mut c = ScoringConfig::from_env(&std::collections::HashMap::<&str, &str>::new()).unwrap();
    c.models = models;
    c.timeout = timeout;
    c.first_timeout = timeout;
    c.deadline = timeout * 4;
    c
}

fn recorded(name: &str) -> Value {
    let path = format!(
        "{}/tests/scoring/ensembl-rest/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The DMD missense (RefSeq, GRCh38) and the two GRCh37 POST answers, as one chunk.
fn ensembl_chunk() -> Annotated {
    let mut recorded_answers = vec![recorded(
        "grch38_region_get_X-31180437-C-T_missense_refseq_first_element",
    )];
    if let Value::Array(more) = recorded("grch37_hgvs_post_AGT-c.803T-C_and_9-g.22125503G-C") {
        recorded_answers.extend(more);
    }
    let annotations: Vec<VariantAnnotation> = recorded_answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let mut a = VariantAnnotation::try_from(a).expect("a VEP answer");
            a.input_index = Some(i as u64);
            a
        })
        .collect();
    Annotated {
        analysis_id: "a".into(),
        annotator: AnnotatorInfo {
            assembly: None,
            backend: Backend::Ensembl,
            gene_models: None,
            reference: None,
            version: "recorded".into(),
        },
        chunk_count: 1,
        chunk_index: 0,
        errors: vec![],
        first_index: 0,
        part_count: 1,
        part_index: 0,
        session_id: "s".into(),
        variant_count: annotations.len() as u64,
        annotations,
    }
}

/// A transcript consequence as the event carries it (JSON).
fn consequence(chunk: &Annotated, annotation: usize, transcript: &str) -> Value {
    chunk.annotations[annotation]
        .transcript_consequences
        .iter()
        .find(|t| t.transcript_id == transcript)
        .map(|t| serde_json::to_value(t).expect("serialises"))
        .unwrap_or_else(|| panic!("{transcript}"))
}

fn damaging_probability(tc: &Value) -> f64 {
    let entry = &tc["ml_scores"][0];
    assert_eq!(entry["status"], "ok", "{entry}");
    let p = entry["output"].as_array().expect("predict_proba row");
    assert_eq!(p.len(), 2);
    let sum: f64 = p.iter().filter_map(Value::as_f64).sum();
    assert!((sum - 1.0).abs() < 1e-6, "{entry}");
    p[1].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missense_scores_come_from_condel_the_matrices_and_a_real_mlserver_then_survive_its_stop() {
    let Some(venv) = venv() else { return };
    let mut server = MlServer::start(&venv);
    let probe = client(&server.base, MODEL, Some("v1"));
    server.wait_ready(&probe).await;
    let unknown = client(&server.base, "no-such-model", None);
    assert!(
        !unknown.ready().await.unwrap(),
        "readiness is the status code"
    );

    let scoring =
        Scoring::from_config(&config(vec![spec(&server.base)], Duration::from_secs(30))).unwrap();
    let mut chunk = ensembl_chunk();
    let before = chunk.annotations.len();
    scoring.apply(&mut chunk).await;
    assert_eq!(chunk.annotations.len(), before);

    // DMD C/Y with SIFT 0 and PolyPhen-2 1: Condel deleterious, with its inputs recorded.
    let dmd = consequence(&chunk, 0, "NM_000109.4");
    assert_eq!(dmd["condel"]["status"], "ok", "{}", dmd["condel"]);
    assert_eq!(dmd["condel"]["prediction"], "deleterious");
    assert_eq!(
        dmd["condel"]["inputs"],
        json!({"sift_score": 0.0, "polyphen_score": 1.0})
    );
    assert_eq!(dmd["condel"]["label"], LABEL);
    assert_eq!(
        (dmd["blosum62"].clone(), dmd["grantham"].clone()),
        (json!(-2), json!(194))
    );
    let entry = &dmd["ml_scores"][0];
    assert_eq!(entry["model"], MODEL);
    assert_eq!(entry["version"], "v1");
    assert_eq!(entry["inputs"], json!({"blosum62": -2, "grantham": 194}));
    assert_eq!(entry["output_name"], "predict_proba");
    assert_eq!(entry["label"], LABEL);
    let radical = damaging_probability(&dmd);

    // A transcript Ensembl gave no SIFT/PolyPhen for: Condel says why; the model still scores.
    let bare = consequence(&chunk, 0, "NM_004009.3");
    assert_eq!(bare["condel"]["status"], "not_applicable");
    assert!(bare["condel"]["reason"].as_str().unwrap().contains("SIFT"));
    assert_eq!(damaging_probability(&bare), radical);

    // AGT M/T (SIFT 1, PolyPhen-2 0): Condel neutral; the conservative change (Grantham 81)
    // gets a lower damaging probability from the model than C/Y (194).
    let agt = consequence(&chunk, 1, "ENST00000366667");
    assert_eq!(agt["condel"]["prediction"], "neutral", "{}", agt["condel"]);
    assert_eq!(agt["grantham"], 81);
    assert!(damaging_probability(&agt) < radical);

    // Non-coding consequences get no scores at all.
    let other = consequence(&chunk, 1, "ENST00000412344");
    assert!(other.get("condel").is_none() && other.get("ml_scores").is_none());

    // MLServer stops: the same chunk is still fully annotated, scores say why they are absent.
    server.stop();
    let mut chunk = ensembl_chunk();
    let started = Instant::now();
    scoring.apply(&mut chunk).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(chunk.annotations.len(), before);
    let dmd = consequence(&chunk, 0, "NM_000109.4");
    assert_eq!(dmd["condel"]["status"], "ok");
    let entry = &dmd["ml_scores"][0];
    assert_eq!(entry["status"], "unavailable", "{entry}");
    let reason = entry["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("score unavailable: cannot connect"),
        "{reason}"
    );
    assert!(entry.get("output").is_none());
}

/// A server that accepts connections and never answers: the deadline, not the server,
/// decides when the chunk moves on.
#[tokio::test]
async fn a_silent_model_server_is_reported_unavailable_within_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let scoring =
        Scoring::from_config(&config(vec![spec(&base)], Duration::from_millis(300))).unwrap();
    let mut chunk = ensembl_chunk();
    let started = Instant::now();
    scoring.apply(&mut chunk).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let entry = &consequence(&chunk, 0, "NM_000109.4")["ml_scores"][0];
    assert_eq!(entry["status"], "unavailable");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .contains("did not answer within"),
        "{entry}"
    );
    held.abort();
}
