//! `VEP_BACKEND=local+ensembl`: the built-in engine annotates what its gene models and
//! reference cover; Ensembl annotates the rest, and adds to the engine's annotations the fields
//! only it has (SIFT/PolyPhen, colocated variants with frequencies and ClinVar, plugin fields),
//! matched by transcript and allele. When Ensembl cannot help, the engine's own annotation
//! stands unchanged: an extra is never guessed.

use std::sync::Arc;

use contract::annotation::AddMissing;

use super::{with_input, EnsemblAnnotator, Query};
use crate::engine::output::VariantAnnotation;
use crate::events::{AnnotatorInfo, Backend};
use crate::service::{Annotator, Answer, AnswerOutcome, Blocking, ChunkAnnotator, ChunkFuture};

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
            assembly: local.assembly,
            backend: Backend::LocalEnsembl,
            gene_models: Some(format!(
                "{} + {}",
                local.gene_models.unwrap_or_default(),
                ensembl.gene_models.unwrap_or_default()
            )),
            reference: local.reference,
            version: format!("{} + {}", local.version, ensembl.version),
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
                        (Ok(ours), Some(Ok(extra))) => Ok(Answer {
                            annotations: merge(ours.annotations, extra),
                            failed_alleles: ours.failed_alleles,
                        }),
                        (answer, _) => answer,
                    },
                    Need::Answer(slot) => match remote.get(slot) {
                        Some(Ok(objects)) => Ok(with_input(objects.clone(), input).into()),
                        // Ensembl's error says more than "not in the loaded gene models" only
                        // when it is about the variant; otherwise keep the engine's.
                        Some(Err(f)) if f.code != super::codes::NOT_ANNOTATED => Err(f.clone()),
                        _ => answer,
                    },
                })
                .collect::<Vec<AnswerOutcome>>()
        })
    }
}

fn stable_id(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// Adds Ensembl's fields the engine lacks: variant-level ones (colocated variants...) and, per
/// transcript consequence, those of Ensembl's consequence for the same transcript (version
/// ignored) and allele. The engine's own fields always win.
fn merge(mut ours: Vec<VariantAnnotation>, extra: &[VariantAnnotation]) -> Vec<VariantAnnotation> {
    let Some(theirs) = extra.first() else {
        return ours;
    };
    for annotation in &mut ours {
        for t in &mut annotation.transcript_consequences {
            let id = stable_id(&t.transcript_id);
            let same = theirs.transcript_consequences.iter().find(|e| {
                stable_id(&e.transcript_id) == id && e.variant_allele == t.variant_allele
            });
            if let Some(same) = same {
                t.add_missing(same, &[]);
            }
        }
        // Variant level: what the engine never gives (its own keys always win).
        annotation.add_missing(theirs, &["transcript_consequences"]);
    }
    ours
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn annotation(v: serde_json::Value) -> VariantAnnotation {
        VariantAnnotation::try_from(v).unwrap()
    }

    fn transcript(id: &str, allele: &str, more: serde_json::Value) -> serde_json::Value {
        let mut t = json!({"transcript_id": id, "gene_id": "ENSG1", "biotype": "protein_coding",
                           "strand": 1, "consequence_terms": ["missense_variant"],
                           "impact": "MODERATE", "variant_allele": allele});
        for (k, v) in more.as_object().into_iter().flatten() {
            t[k] = v.clone();
        }
        t
    }

    fn variant(input: &str, most_severe: &str, more: serde_json::Value) -> serde_json::Value {
        let mut a = json!({"input": input, "seq_region_name": "1", "start": 1, "end": 1,
                           "allele_string": "C/T", "most_severe_consequence": most_severe});
        for (k, v) in more.as_object().into_iter().flatten() {
            a[k] = v.clone();
        }
        a
    }

    #[test]
    fn ensembl_fields_are_added_by_transcript_and_allele_never_overriding_the_engine() {
        let ours = vec![annotation(variant(
            "x",
            "missense_variant",
            json!({"transcript_consequences": [
                transcript("ENST1.4", "T", json!({})),
                transcript("ENST2.1", "T", json!({"impact": "LOW"}))
            ]}),
        ))];
        let theirs = vec![annotation(variant(
            "other",
            "stop_gained",
            json!({"colocated_variants": [{"id": "rs1"}],
                   "transcript_consequences": [
                transcript("ENST1.5", "T", json!({"impact": "HIGH", "sift_score": 0,
                                                  "polyphen_prediction": "benign"})),
                transcript("ENST2.1", "G", json!({"sift_score": 1}))
            ]}),
        ))];
        let merged = merge(ours, &theirs);
        let m = &merged[0];
        assert_eq!(m.input, "x");
        assert_eq!(m.most_severe_consequence, "missense_variant");
        assert_eq!(m.extra["colocated_variants"][0]["id"], "rs1");
        let t = &m.transcript_consequences;
        assert_eq!(t[0].impact, "MODERATE");
        assert_eq!(t[0].sift_score, Some(0.into()));
        assert_eq!(t[0].polyphen_prediction.as_deref(), Some("benign"));
        assert_eq!(t[1].sift_score, None, "another allele's score");
    }
}
