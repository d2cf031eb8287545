//! The bundled engine, loaded once, and the one transcript consequence a case is about.

use std::{path::Path, sync::OnceLock};

use vep::engine::{input::parse_input, output::TranscriptConsequence, predict::Engine};

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
            .expect("bundled data loads")
    })
}

/// The consequence on `transcript` (id without version) of the one variant `input` describes
/// (a VCF line or HGVS).
pub fn on(input: &str, transcript: &str) -> TranscriptConsequence {
    let mut variants = parse_input(input, engine()).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(variants.len(), 1, "{input}: one variant expected");
    let annotation = engine()
        .annotate(&variants.remove(0))
        .unwrap_or_else(|e| panic!("{input}: {e}"));
    annotation
        .transcript_consequences
        .into_iter()
        .find(|tc| tc.transcript_id.split('.').next() == Some(transcript))
        .unwrap_or_else(|| panic!("{input}: no consequence on {transcript}"))
}

/// The terms of a consequence, sorted, comma-separated (VEP's order does not matter).
pub fn terms(tc: &TranscriptConsequence) -> String {
    let mut terms = tc.consequence_terms.clone();
    terms.sort();
    terms.join(",")
}

/// HGVSp without its protein accession (`p.Tyr16Cys`), `-` when there is none.
pub fn protein(tc: &TranscriptConsequence) -> String {
    tc.hgvsp
        .as_deref()
        .and_then(|p| p.split_once(':'))
        .map_or("-".to_string(), |(_, p)| p.to_string())
}

/// HGVSc without its transcript accession (`c.47_48inv`), `-` when there is none.
pub fn coding(tc: &TranscriptConsequence) -> String {
    tc.hgvsc
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .map_or("-".to_string(), |(_, c)| c.to_string())
}
