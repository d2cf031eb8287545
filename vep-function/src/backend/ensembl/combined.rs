//! `VEP_BACKEND=local+ensembl`: the built-in engine annotates what its gene models and
//! reference cover; Ensembl annotates the rest, and adds to the engine's annotations the fields
//! only it has (SIFT/PolyPhen, colocated variants with frequencies and ClinVar, plugin fields),
//! matched by transcript and allele. When Ensembl cannot help, the engine's own annotation
//! stands unchanged: an extra is never guessed.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{with_input, EnsemblAnnotator, Query};
use crate::events::AnnotatorInfo;
use crate::service::{Annotator, Blocking, ChunkAnnotator, ChunkFuture, VariantOutcome};

// Engine error codes that mean "not in the loaded data", so Ensembl may know better. Others
// (reference mismatch, unparsable...) are answers about the input itself and stand.
use super::super::local::NOT_COVERED;

pub struct Combined {
    local: Blocking,
    ensembl: EnsemblAnnotator,
}

impl Combined {
    pub fn new(local: Arc<dyn Annotator>, ensembl: EnsemblAnnotator) -> Self {
        Self {
            local: Blocking(local),
            ensembl,
        }
    }
}

/// What Ensembl is asked for one input.
enum Need {
    /// The engine's answer stands; Ensembl's extras are merged in when it has them.
    Extras(usize),
    /// The engine does not cover it: Ensembl's answer replaces the engine's error.
    Answer(usize),
    Nothing,
}

impl ChunkAnnotator for Combined {
    fn info(&self) -> AnnotatorInfo {
        let local = self.local.info();
        let ensembl = self.ensembl.info();
        AnnotatorInfo {
            backend: "local+ensembl".into(),
            version: format!("{} + {}", local.version, ensembl.version),
            assembly: local.assembly,
            gene_models: Some(format!(
                "{} + {}",
                local.gene_models.unwrap_or_default(),
                ensembl.gene_models.unwrap_or_default()
            )),
            reference: local.reference,
        }
    }

    fn annotate_chunk<'a>(&'a self, inputs: &'a [String]) -> ChunkFuture<'a> {
        Box::pin(async move {
            let local = self.local.annotate_chunk(inputs).await;
            let mut queries = Vec::new();
            let needs: Vec<Need> = local
                .iter()
                .zip(inputs)
                .map(|(answer, input)| {
                    let covered = match answer {
                        Ok(_) => true,
                        Err(f) if NOT_COVERED.contains(&f.code.as_str()) => false,
                        Err(_) => return Need::Nothing,
                    };
                    let Ok(query) = input.parse::<Query>() else {
                        return Need::Nothing;
                    };
                    queries.push(query);
                    let slot = queries.len() - 1;
                    if covered {
                        Need::Extras(slot)
                    } else {
                        Need::Answer(slot)
                    }
                })
                .collect();
            let remote = self.ensembl.annotate_queries(&queries).await;
            local
                .into_iter()
                .zip(needs)
                .zip(inputs)
                .map(|((answer, need), input)| match need {
                    Need::Nothing => answer,
                    Need::Extras(slot) => match (answer, remote.get(slot)) {
                        (Ok(objects), Some(Ok(extra))) => Ok(merge(objects, extra)),
                        (answer, _) => answer,
                    },
                    Need::Answer(slot) => match remote.get(slot) {
                        Some(Ok(objects)) => Ok(with_input(objects.clone(), input)),
                        // Ensembl's error says more than "not in the loaded gene models" only
                        // when it is about the variant; otherwise keep the engine's.
                        Some(Err(f)) if f.code != super::codes::NOT_ANNOTATED => Err(f.clone()),
                        _ => answer,
                    },
                })
                .collect::<Vec<VariantOutcome>>()
        })
    }
}

fn stable_id(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// Copies into `to` the keys it lacks.
fn add_missing(to: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        if !to.contains_key(k) {
            to.insert(k.clone(), v.clone());
        }
    }
}

/// Adds Ensembl's fields the engine lacks: variant-level ones (colocated variants...) and, per
/// transcript consequence, those of Ensembl's consequence for the same transcript (version
/// ignored) and allele.
fn merge(mut objects: Vec<Value>, extra: &[Value]) -> Vec<Value> {
    let Some(theirs) = extra.first().and_then(Value::as_object) else {
        return objects;
    };
    let their_transcripts: Vec<&Map<String, Value>> = theirs
        .get("transcript_consequences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    for ours in objects.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(transcripts) = ours
            .get_mut("transcript_consequences")
            .and_then(Value::as_array_mut)
        {
            for t in transcripts.iter_mut().filter_map(Value::as_object_mut) {
                let id = t
                    .get("transcript_id")
                    .and_then(Value::as_str)
                    .map(stable_id);
                let allele = t.get("variant_allele").cloned();
                let same = their_transcripts.iter().find(|e| {
                    id.is_some()
                        && e.get("transcript_id")
                            .and_then(Value::as_str)
                            .map(stable_id)
                            == id
                        && e.get("variant_allele").cloned() == allele
                });
                if let Some(same) = same {
                    add_missing(t, same);
                }
            }
        }
        // Variant level: what the engine never gives (its own keys always win).
        let variant_level: Map<String, Value> = theirs
            .iter()
            .filter(|(k, _)| *k != "transcript_consequences")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        add_missing(ours, &variant_level);
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ensembl_fields_are_added_by_transcript_and_allele_never_overriding_the_engine() {
        let ours = vec![json!({
            "input": "x", "most_severe_consequence": "missense_variant",
            "transcript_consequences": [
                {"transcript_id": "ENST1.4", "variant_allele": "T", "impact": "MODERATE"},
                {"transcript_id": "ENST2.1", "variant_allele": "T"}
            ]
        })];
        let theirs = vec![json!({
            "input": "other", "most_severe_consequence": "stop_gained",
            "colocated_variants": [{"id": "rs1"}],
            "transcript_consequences": [
                {"transcript_id": "ENST1.5", "variant_allele": "T", "impact": "HIGH",
                 "sift_score": 0, "polyphen_prediction": "benign"},
                {"transcript_id": "ENST2.1", "variant_allele": "G", "sift_score": 1}
            ]
        })];
        let merged = merge(ours, &theirs);
        let m = &merged[0];
        assert_eq!(m["input"], "x");
        assert_eq!(m["most_severe_consequence"], "missense_variant");
        assert_eq!(m["colocated_variants"][0]["id"], "rs1");
        let t = &m["transcript_consequences"];
        assert_eq!(t[0]["impact"], "MODERATE");
        assert_eq!(t[0]["sift_score"], 0);
        assert_eq!(t[0]["polyphen_prediction"], "benign");
        assert!(t[1].get("sift_score").is_none(), "another allele's score");
    }
}
