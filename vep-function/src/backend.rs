//! Annotation backends behind the `service::Annotator` trait, chosen by configuration.

mod local;

pub use local::LocalAnnotator;

use crate::config::{Backend, Config};
use crate::service::Annotator;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("loading the built-in engine's data: {0}")]
    Local(String),
}

pub fn build(config: &Config) -> Result<Box<dyn Annotator>, BackendError> {
    match config.backend {
        Backend::Local => Ok(Box::new(LocalAnnotator::load(&config.data)?)),
    }
}
