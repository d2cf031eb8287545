//! Annotation backends behind the `service::ChunkAnnotator` seam, chosen by configuration.

pub mod ensembl;
mod local;

pub use ensembl::EnsemblAnnotator;
pub use local::{bundled_reference, LocalAnnotator, BUNDLED_REGIONS};

use std::sync::Arc;

use crate::config::{Backend, Config};
use crate::service::{Blocking, ChunkAnnotator};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("loading the built-in engine's data: {0}")]
    Local(String),
    #[error("setting up the Ensembl client: {0}")]
    Ensembl(#[from] ensembl::ClientError),
    #[error("VEP_CUSTOM needs the built-in engine (VEP_BACKEND=local or local+ensembl): the Ensembl REST backend cannot read the site's VCFs")]
    CustomWithoutEngine,
    /// A custom source (`VEP_CUSTOM`) is missing or unreadable.
    #[error("opening the custom annotation sources: {0} [{code}]", code = .0.code())]
    Custom(#[from] crate::engine::custom::CustomError),
}

fn local(config: &Config) -> Result<LocalAnnotator, BackendError> {
    LocalAnnotator::load(&config.data)?
        .with_sequence_settings(config.sequence.clone())
        .with_max_variant_span(config.max_variant_span)
        .with_custom_sources(&config.custom)
}

/// Builds the configured backend. Never contacts Ensembl: readiness must not depend on it.
pub fn build(config: &Config) -> Result<Box<dyn ChunkAnnotator>, BackendError> {
    match config.backend {
        Backend::Local => Ok(Box::new(Blocking(Arc::new(local(config)?)))),
        Backend::Ensembl if !config.custom.is_empty() => Err(BackendError::CustomWithoutEngine),
        Backend::Ensembl => Ok(Box::new(EnsemblAnnotator::new(&config.ensembl)?)),
        Backend::LocalEnsembl => Ok(Box::new(ensembl::Combined::new(
            Arc::new(local(config)?),
            EnsemblAnnotator::new(&config.ensembl)?,
        ))),
    }
}
