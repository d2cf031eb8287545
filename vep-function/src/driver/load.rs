//! Engine loading, written once for the CLI (`annotate --gff/--gtf/--refseq/--fasta`,
//! `--index`, the bundled data) and the service (`VEP_GFF3`/`VEP_FASTA`, `VEP_INDEX`, the
//! bundled data): which files, how they are described in results (`gene_models`,
//! `reference`), and the per-engine settings (variant span limit, custom sources).

use std::path::{Path, PathBuf};

use contract::custom::SourceSpec;

use crate::config::EngineData;
use crate::engine::predict::custom::{CustomError, CustomSources};
use crate::engine::predict::{Engine, LoadError, ModelFile};
use crate::events::ReferenceInfo;
use crate::reference::OpenError as ReferenceOpenError;

/// What the bundled data covers (`data/*/covered_regions.bed`, main stretches, GRCh38).
pub const BUNDLED_REGIONS: &str = "21:24.99-26.00 Mb, 21:43.76-43.89 Mb, 17:42.43-43.60 Mb";

/// How results name the bundled gene models.
const BUNDLED_MODELS: &str = "bundled: Ensembl 84 chr21 region, RefSeq BRCA1";

/// Where the gene models and the reference come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineSource {
    /// The data sets bundled under `data/` (`predict::BUNDLED_SETS`).
    Bundled(PathBuf),
    /// Gene model files in any dialect and indexed FASTA files.
    Files {
        models: Vec<ModelFile>,
        fasta: Vec<PathBuf>,
    },
    /// A reference directory (`vep-function reference fetch`) or a prebuilt index file.
    Index(PathBuf),
}

impl From<&EngineData> for EngineSource {
    fn from(data: &EngineData) -> Self {
        match data {
            EngineData::Bundled(dir) => EngineSource::Bundled(dir.clone()),
            EngineData::Files { gff, fasta } => EngineSource::Files {
                models: gff.iter().cloned().map(ModelFile::Gff3).collect(),
                fasta: fasta.clone(),
            },
            EngineData::Index(path) => EngineSource::Index(path.clone()),
        }
    }
}

/// Why no engine could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("loading bundled data from {dir}: {source}")]
    Bundled { dir: PathBuf, source: LoadError },
    #[error("loading gene models and reference: {0}")]
    Files(LoadError),
    #[error("loading index {path}: {source}")]
    Index {
        path: PathBuf,
        source: ReferenceOpenError,
    },
    #[error("opening the custom annotation sources: {0} [{code}]", code = .0.code())]
    Custom(#[from] CustomError),
}

impl OpenError {
    /// Stable snake_case code, as start-up errors name it.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::Bundled { .. } => "bundled_data_unavailable",
            OpenError::Files(_) => "gene_models_unreadable",
            OpenError::Index { .. } => "index_unreadable",
            OpenError::Custom(e) => e.code(),
        }
    }
}

/// An engine and how results describe what it loaded.
#[derive(Debug)]
pub struct LoadedEngine {
    pub engine: Engine,
    /// `annotator.gene_models` of results: the files, `index PATH` or the bundled sets.
    pub gene_models: String,
    /// `annotator.reference` of results.
    pub reference: ReferenceInfo,
}

/// Per-engine settings both front ends take from their flags or environment.
#[derive(Debug, Clone, Default)]
pub struct EngineSettings {
    /// `MAX_VARIANT_SPAN`; `None` keeps the engine's default.
    pub max_variant_span: Option<u64>,
    /// `--custom` / `VEP_CUSTOM`.
    pub custom: Vec<SourceSpec>,
}

impl LoadedEngine {
    /// Applies `settings`: a missing or unreadable custom source is an error now, before any
    /// variant is annotated (or the function reports ready).
    pub fn configure(mut self, settings: &EngineSettings) -> Result<Self, OpenError> {
        if let Some(limit) = settings.max_variant_span {
            self.engine.set_max_variant_span(limit);
        }
        if !settings.custom.is_empty() {
            self.engine
                .set_custom_sources(CustomSources::open(&settings.custom)?);
        }
        Ok(self)
    }
}

/// Loads the engine `source` names.
pub fn open(source: &EngineSource) -> Result<LoadedEngine, OpenError> {
    match source {
        EngineSource::Bundled(dir) => {
            let engine = Engine::load_bundled(dir).map_err(|source| OpenError::Bundled {
                dir: dir.clone(),
                source,
            })?;
            Ok(LoadedEngine {
                reference: bundled_info(&engine),
                engine,
                gene_models: BUNDLED_MODELS.into(),
            })
        }
        EngineSource::Files { models, fasta } => {
            let engine = Engine::load_files(models, fasta).map_err(OpenError::Files)?;
            let names = models
                .iter()
                .filter_map(|m| m.path().file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",");
            Ok(LoadedEngine {
                reference: custom_info(&engine),
                engine,
                gene_models: names,
            })
        }
        EngineSource::Index(path) => {
            let (engine, reference) =
                crate::reference::open(path).map_err(|source| OpenError::Index {
                    path: path.clone(),
                    source,
                })?;
            Ok(LoadedEngine {
                engine,
                gene_models: format!("index {}", path.display()),
                reference,
            })
        }
    }
}

/// Describes the bundled data: the regions it covers and its transcript count.
pub fn bundled_info(engine: &Engine) -> ReferenceInfo {
    ReferenceInfo {
        source: "bundled".into(),
        regions: Some(BUNDLED_REGIONS.into()),
        ..custom_info(engine)
    }
}

/// Gene models and a reference given by hand: described as `custom`.
pub fn custom_info(engine: &Engine) -> ReferenceInfo {
    ReferenceInfo {
        assembly: engine.assembly().to_string(),
        source: "custom".into(),
        release: None,
        transcripts: engine.models().len() as u64,
        regions: None,
    }
}

/// The bundled data's description without keeping its engine.
pub fn bundled_reference(dir: &Path) -> Result<ReferenceInfo, OpenError> {
    open(&EngineSource::Bundled(dir.to_path_buf())).map(|loaded| loaded.reference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_data_dir;

    #[test]
    fn the_bundled_data_is_described_by_its_regions_and_transcripts() {
        let loaded = open(&EngineSource::Bundled(default_data_dir())).unwrap();
        assert_eq!(loaded.gene_models, BUNDLED_MODELS);
        assert_eq!(loaded.reference.source, "bundled");
        assert_eq!(loaded.reference.regions.as_deref(), Some(BUNDLED_REGIONS));
        assert_eq!(
            loaded.reference.transcripts,
            loaded.engine.models().len() as u64
        );
        assert!(loaded.reference.transcripts > 0);
    }

    #[test]
    fn files_are_named_by_their_file_names_and_described_as_custom() {
        let data = default_data_dir();
        let source = EngineSource::Files {
            models: vec![ModelFile::Gff3(
                data.join("chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"),
            )],
            fasta: vec![data.join("chr21/GRCh38.chr21.vep_test_region.fa.gz")],
        };
        let loaded = open(&source).unwrap();
        assert_eq!(
            loaded.gene_models,
            "Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"
        );
        assert_eq!(loaded.reference.source, "custom");
        assert_eq!(loaded.reference.assembly, "GRCh38");
    }

    #[test]
    fn a_missing_index_or_custom_source_is_a_typed_error() {
        let err = open(&EngineSource::Index("/nonexistent/index.vepidx".into())).unwrap_err();
        assert_eq!(err.code(), "index_unreadable");
        assert!(
            err.to_string().contains("/nonexistent/index.vepidx"),
            "{err}"
        );
        let loaded = open(&EngineSource::Bundled(default_data_dir())).unwrap();
        let settings = EngineSettings {
            max_variant_span: Some(7),
            custom: vec!["file=/nonexistent.vcf.gz,short_name=X,format=vcf"
                .parse()
                .unwrap()],
        };
        let err = loaded.configure(&settings).unwrap_err();
        assert!(matches!(err, OpenError::Custom(_)), "{err}");
    }
}
