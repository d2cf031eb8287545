//! The built-in engine as an `Annotator`.

use crate::config::EngineData;
use crate::events::AnnotatorInfo;
use crate::service::{Annotator, VariantFailure};

use super::BackendError;

pub struct LocalAnnotator {}

impl LocalAnnotator {
    pub fn load(_data: &EngineData) -> Result<Self, BackendError> {
        Err(BackendError::Local(
            "the built-in engine is not wired yet".into(),
        ))
    }
}

impl Annotator for LocalAnnotator {
    fn info(&self) -> AnnotatorInfo {
        AnnotatorInfo {
            backend: "local".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            assembly: Some("GRCh38".into()),
            gene_models: None,
        }
    }

    fn annotate(&self, _input: &str) -> Result<Vec<serde_json::Value>, VariantFailure> {
        Err(VariantFailure {
            code: "not_annotated".into(),
            message: "the built-in engine is not wired yet".into(),
        })
    }
}
