//! A configured remote model: rows of features in, one output per row, in batches.

use std::time::Duration;

use serde_json::Value;

use super::settings::{ModelSpec, ScoringConfig};
use super::v2::{Batch, ClientOptions, Endpoint, V2Client, V2Error};
use super::ScoringError;

pub struct RemoteModel {
    pub spec: ModelSpec,
    client: V2Client,
}

/// What a model answered for a list of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The version the server reported, else the configured one.
    pub version: Option<String>,
    pub output_name: String,
    pub outputs: Vec<Value>,
}

impl RemoteModel {
    pub fn new(
        spec: ModelSpec,
        config: &ScoringConfig,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, ScoringError> {
        let base = spec.url.clone().ok_or_else(|| ScoringError::Model {
            model: spec.name.clone(),
            reason: "no base URL".into(),
        })?;
        let client = V2Client::new(
            Endpoint {
                base,
                name: spec.name.clone(),
                version: spec.version.clone(),
            },
            ClientOptions {
                token: config.token.clone(),
                ca_pem,
                timeout: config.timeout,
                first_timeout: config.first_timeout,
                attempts: config.attempts,
                backoff: Duration::from_millis(250),
            },
        )
        .map_err(|e| ScoringError::Model {
            model: spec.name.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self { spec, client })
    }

    pub fn client(&self) -> &V2Client {
        &self.client
    }

    /// Scores every row, `max_batch` rows per request; the first failure fails them all, so
    /// no row is reported with a score from a partial answer.
    pub async fn score(&self, rows: &[Vec<f64>]) -> Result<Scored, V2Error> {
        let mut scored = Scored {
            version: self.spec.version.clone(),
            output_name: self.spec.output.clone().unwrap_or_default(),
            outputs: Vec::with_capacity(rows.len()),
        };
        for batch in rows.chunks(self.spec.max_batch) {
            let answer = self
                .client
                .infer(&Batch {
                    input_name: &self.spec.input_name,
                    datatype: self.spec.datatype,
                    rows: batch,
                    output: self.spec.output.as_deref(),
                })
                .await?;
            let output = answer.output(self.spec.output.as_deref())?;
            scored.outputs.extend(output.rows(batch.len())?);
            scored.output_name.clone_from(&output.name);
            if answer.model_version.is_some() {
                scored.version = answer.model_version.clone();
            }
        }
        Ok(scored)
    }
}
