//! The scoring stage, after annotation: per missense transcript consequence, substitution
//! features (BLOSUM62, Grantham), Condel where SIFT and PolyPhen-2 scores are present, and the
//! outputs of configured remote models (Open Inference Protocol V2). Every score records its
//! model, version and inputs and is labelled a computational prediction. A model that is down
//! or slow yields "unavailable" with the reason: this stage never fails or drops a result.
//! Field names are documented in `SCORING.md`.

pub mod condel;
pub mod features;
pub mod remote;
pub mod settings;
pub mod substitution;
pub mod v2;

use std::sync::Arc;
use std::time::Duration;

use contract::annotation::{ModelScore, ScoreStatus, TranscriptConsequence};
use tokio::task::JoinSet;

use crate::events::{Annotated, Backend};
use condel::{Condel, CondelError};
use features::Features;
use remote::{RemoteModel, Scored};
use settings::ScoringConfig;
use substitution::{Missense, Substitution};

/// Printed beside every score.
pub const LABEL: &str = "computational prediction, not a clinical classification";

pub const CONDEL_MODEL: &str = "Condel";

#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error("bundled scoring table {table}: {reason}")]
    Table { table: &'static str, reason: String },
    #[error("model {model}: {reason}")]
    Model { model: String, reason: String },
    #[error("reading the CA bundle {path}: {reason}")]
    Ca { path: String, reason: String },
}

pub struct Scoring {
    condel: Condel,
    substitution: Substitution,
    models: Vec<Arc<RemoteModel>>,
    deadline: Duration,
}

/// One missense consequence awaiting remote scores: where it is and what it offers.
struct Slot {
    annotation: usize,
    consequence: usize,
    features: Features,
}

impl Scoring {
    pub fn from_config(config: &ScoringConfig) -> Result<Self, ScoringError> {
        let ca_pem = match &config.ca_file {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|e| ScoringError::Ca {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?),
        };
        let models = config
            .models
            .iter()
            .map(|spec| RemoteModel::new(spec.clone(), config, ca_pem.clone()).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            condel: Condel::bundled(config.condel_formula)?,
            substitution: Substitution::bundled()?,
            models,
            deadline: config.deadline,
        })
    }

    pub fn models(&self) -> &[Arc<RemoteModel>] {
        &self.models
    }

    /// Scores every missense transcript consequence of the chunk in place. Bounded by the
    /// configured deadline; never removes or fails an annotation.
    pub async fn apply(&self, annotated: &mut Annotated) {
        let local_engine = annotated.annotator.backend == Backend::Local;
        let mut slots = Vec::new();
        for (a, annotation) in annotated.annotations.iter_mut().enumerate() {
            for (c, consequence) in annotation.transcript_consequences.iter_mut().enumerate() {
                if let Some(features) = self.score_locally(consequence, local_engine) {
                    slots.push(Slot {
                        annotation: a,
                        consequence: c,
                        features,
                    });
                }
            }
        }
        if slots.is_empty() || self.models.is_empty() {
            return;
        }
        let entries = self.score_remotely(&slots).await;
        for (slot, entries) in slots.iter().zip(entries) {
            if let Some(consequence) = annotated
                .annotations
                .get_mut(slot.annotation)
                .and_then(|a| a.transcript_consequences.get_mut(slot.consequence))
            {
                consequence.ml_scores = Some(entries);
            }
        }
    }

    /// The in-process part for one consequence; `None` where it is not a missense change.
    fn score_locally(
        &self,
        tc: &mut TranscriptConsequence,
        local_engine: bool,
    ) -> Option<Features> {
        let change = tc.amino_acids.as_deref().and_then(Missense::parse)?;
        let mut features = Features {
            blosum62: self.substitution.blosum62.score(change),
            grantham: self.substitution.grantham.score(change),
            sift_score: tc.sift_score.as_ref().and_then(serde_json::Number::as_f64),
            polyphen_score: tc
                .polyphen_score
                .as_ref()
                .and_then(serde_json::Number::as_f64),
            condel_score: None,
        };
        if features.blosum62.is_some() {
            tc.blosum62 = features.blosum62;
        }
        if features.grantham.is_some() {
            tc.grantham = features.grantham;
        }
        let condel = self.condel_of(tc, &features, local_engine);
        // What a JSON number can hold (a non-finite score would be written as null).
        features.condel_score = condel.score.filter(|s| s.is_finite());
        tc.condel = Some(condel);
        Some(features)
    }

    fn condel_of(
        &self,
        tc: &TranscriptConsequence,
        f: &Features,
        local_engine: bool,
    ) -> ModelScore {
        let version = format!(
            "2011 HumVar tables, formula {}",
            self.condel.formula().number()
        );
        let not_applicable = |reason: String| ModelScore {
            inputs: None,
            label: None,
            model: CONDEL_MODEL.into(),
            output: None,
            output_name: None,
            prediction: None,
            reason: Some(reason),
            score: None,
            status: ScoreStatus::NotApplicable,
            version: Some(version.clone()),
        };
        let (Some(sift), Some(polyphen)) = (f.sift_score, f.polyphen_score) else {
            let missing = match (f.sift_score, f.polyphen_score) {
                (None, None) => "SIFT and PolyPhen-2 scores",
                (None, _) => "a SIFT score",
                _ => "a PolyPhen-2 score",
            };
            let why = if local_engine {
                " (the built-in engine does not compute them; the Ensembl backend reports them)"
            } else {
                ""
            };
            return not_applicable(format!(
                "Condel needs {missing}; this consequence has none{why}"
            ));
        };
        if tc.polyphen_prediction.as_deref() == Some("unknown") {
            return not_applicable("the PolyPhen-2 prediction is \"unknown\"".into());
        }
        match self.condel.score(sift, polyphen) {
            Ok(s) => ModelScore {
                inputs: Some(serde_json::json!({"sift_score": sift, "polyphen_score": polyphen})),
                label: Some(LABEL.into()),
                model: CONDEL_MODEL.into(),
                output: None,
                output_name: None,
                prediction: Some(s.prediction.as_str().into()),
                reason: None,
                score: Some(s.score),
                status: ScoreStatus::Ok,
                version: Some(version),
            },
            Err(e @ (CondelError::OutOfRange { .. } | CondelError::NotComputable)) => {
                not_applicable(e.to_string())
            }
        }
    }

    /// One entry per model for every slot, in model order.
    async fn score_remotely(&self, slots: &[Slot]) -> Vec<Vec<ModelScore>> {
        let mut per_slot: Vec<Vec<ModelScore>> =
            vec![Vec::with_capacity(self.models.len()); slots.len()];
        let mut tasks = JoinSet::new();
        let mut results: Vec<Option<Result<Scored, String>>> = vec![None; self.models.len()];
        let mut rows_of: Vec<Vec<usize>> = Vec::with_capacity(self.models.len());
        for (m, model) in self.models.iter().enumerate() {
            let mut rows = Vec::new();
            let mut slot_ids = Vec::new();
            for (s, slot) in slots.iter().enumerate() {
                if let Ok(row) = slot.features.row(&model.spec.inputs) {
                    rows.push(row);
                    slot_ids.push(s);
                }
            }
            rows_of.push(slot_ids);
            if rows.is_empty() {
                continue;
            }
            let model = Arc::clone(model);
            let deadline = self.deadline;
            tasks.spawn(async move {
                let outcome = match tokio::time::timeout(deadline, model.score(&rows)).await {
                    Ok(Ok(scored)) => Ok(scored),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!(
                        "no answer within the scoring deadline ({deadline:?})"
                    )),
                };
                (m, outcome)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((m, outcome)) => {
                    if let (Err(reason), Some(model)) = (&outcome, self.models.get(m)) {
                        tracing::warn!(model = %model.spec.name, "model scores unavailable");
                        tracing::debug!(model = %model.spec.name, %reason, "model failure");
                    }
                    if let Some(r) = results.get_mut(m) {
                        *r = Some(outcome);
                    }
                }
                // A panicking task is a defect; its model's entries say so below.
                Err(e) => tracing::error!(error = %e, "scoring task failed"),
            }
        }
        for (m, model) in self.models.iter().enumerate() {
            let spec = &model.spec;
            let scored_rows = &rows_of[m];
            let mut next = 0;
            for (s, slot) in slots.iter().enumerate() {
                let mut entry = ModelScore {
                    inputs: Some(slot.features.record(&spec.inputs)),
                    label: None,
                    model: spec.name.clone(),
                    output: None,
                    output_name: None,
                    prediction: None,
                    reason: None,
                    score: None,
                    status: ScoreStatus::NotApplicable,
                    version: spec.version.clone(),
                };
                match slot.features.row(&spec.inputs) {
                    Err(missing) => {
                        entry.reason =
                            Some(format!("missing input features: {}", missing.join(", ")));
                    }
                    Ok(_) => {
                        let row = scored_rows.get(next).filter(|&&r| r == s).map(|_| next);
                        next += 1;
                        match (&results[m], row) {
                            (Some(Ok(scored)), Some(i)) => match scored.outputs.get(i) {
                                Some(output) => {
                                    entry.version = scored.version.clone();
                                    entry.output_name = Some(scored.output_name.clone());
                                    entry.output = Some(output.clone());
                                    entry.status = ScoreStatus::Ok;
                                    entry.label = Some(LABEL.into());
                                }
                                None => unavailable(&mut entry, "the model answered fewer rows"),
                            },
                            (Some(Err(reason)), _) => unavailable(&mut entry, reason),
                            _ => unavailable(&mut entry, "the scoring task failed"),
                        }
                    }
                }
                metrics::counter!(
                    "vep_scores_total",
                    "model" => spec.name.clone(),
                    "status" => entry.status.as_str()
                )
                .increment(1);
                per_slot[s].push(entry);
            }
        }
        per_slot
    }
}

fn unavailable(entry: &mut ModelScore, reason: &str) {
    entry.status = ScoreStatus::Unavailable;
    entry.reason = Some(format!("score unavailable: {reason}"));
}
