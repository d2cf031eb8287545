//! The built-in engine as an `Annotator`: parse the submitted text (VCF line, Ensembl format or
//! HGVS), then annotate each allele against the loaded gene models and reference.

use crate::config::EngineData;
use crate::engine::annotate::{AnnotateError, Engine};
use crate::engine::notation::parse_input;
use crate::events::AnnotatorInfo;
use crate::sequence::{annotate_sequence, looks_like_sequence, SequenceCaller};
use crate::service::{Annotator, VariantFailure};

use super::BackendError;

pub struct LocalAnnotator {
    engine: Engine,
    gene_models: String,
    /// Sequence inputs (`seq:...`, FASTA): placed, called, then annotated like variants.
    sequence: SequenceCaller,
}

impl LocalAnnotator {
    pub fn load(data: &EngineData) -> Result<Self, BackendError> {
        let (engine, gene_models) = match data {
            EngineData::Bundled(dir) => (
                Engine::load_bundled(dir),
                "bundled: Ensembl 84 chr21 region, RefSeq BRCA1".to_string(),
            ),
            EngineData::Files { gff, fasta } => (
                Engine::load(gff, fasta),
                gff.iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            EngineData::Index(path) => {
                let engine = crate::engine::index::load_index(path)
                    .map_err(|e| BackendError::Local(format!("index {}: {e}", path.display())))?;
                return Ok(Self::new(engine, format!("index {}", path.display())));
            }
        };
        let engine = engine.map_err(|e| BackendError::Local(e.to_string()))?;
        Ok(Self::new(engine, gene_models))
    }

    pub fn new(engine: Engine, gene_models: String) -> Self {
        Self {
            engine,
            gene_models,
            sequence: SequenceCaller::default(),
        }
    }

    /// Sequence-input limits other than the defaults (length limit, identity, index bound).
    pub fn with_sequence_settings(mut self, settings: crate::sequence::Settings) -> Self {
        self.sequence = SequenceCaller::new(settings);
        self
    }
}

fn annotate_error_code(e: &AnnotateError) -> &'static str {
    match e {
        AnnotateError::UnknownContig(_) => "unknown_contig",
        AnnotateError::ReferenceMismatch { .. } => "reference_mismatch",
        AnnotateError::InvalidAllele(_) => "invalid_allele",
        AnnotateError::NoChange(_) => "no_change",
        AnnotateError::OutOfBounds { .. } => "out_of_bounds",
        AnnotateError::Genome(_) => "reference_unavailable",
        AnnotateError::GeneModels(_) => "gene_models_unavailable",
    }
}

impl Annotator for LocalAnnotator {
    fn info(&self) -> AnnotatorInfo {
        AnnotatorInfo {
            backend: "local".into(),
            version: concat!("vep-function ", env!("CARGO_PKG_VERSION")).into(),
            assembly: Some("GRCh38".into()),
            gene_models: Some(self.gene_models.clone()),
        }
    }

    fn annotate(&self, input: &str) -> Result<Vec<serde_json::Value>, VariantFailure> {
        if looks_like_sequence(input) {
            return annotate_sequence(&self.engine, &self.sequence, input);
        }
        let variants = parse_input(input, &self.engine).map_err(|e| VariantFailure {
            code: e.code().into(),
            message: e.to_string(),
        })?;
        variants
            .iter()
            .map(|v| {
                let annotation = self.engine.annotate(v).map_err(|e| VariantFailure {
                    code: annotate_error_code(&e).into(),
                    message: e.to_string(),
                })?;
                serde_json::to_value(annotation).map_err(|e| VariantFailure {
                    code: "internal".into(),
                    message: format!("annotation could not be serialized: {e}"),
                })
            })
            .collect()
    }
}
