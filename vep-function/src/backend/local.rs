//! The built-in engine as an `Annotator`: parse the submitted text (VCF line, Ensembl format or
//! HGVS), then annotate each allele against the loaded gene models and reference.

use crate::config::EngineData;
use crate::engine::annotate::{AnnotateError, Engine};
use crate::engine::notation::{parse_alleles, InputError};
use crate::events::{AnnotatorInfo, Backend, ReferenceInfo};
use crate::reference::manifest::describe;
use crate::sequence::{annotate_sequence, looks_like_sequence, SequenceCaller};
use crate::service::{AlleleFailure, Annotator, Answer, AnswerOutcome, VariantFailure};

use super::BackendError;

/// What the bundled data covers (`data/*/covered_regions.bed`, main stretches, GRCh38).
pub const BUNDLED_REGIONS: &str = "21:24.99-26.00 Mb, 21:43.76-43.89 Mb, 17:42.43-43.60 Mb";

/// Error codes that mean "not in the loaded data" (the variant may be fine, the reference
/// does not reach it). The combined backend asks Ensembl about these; messages name what is
/// loaded.
pub(crate) const NOT_COVERED: &[&str] = &[
    "unknown_contig",
    "unknown_transcript",
    "transcript_version_mismatch",
    "unknown_gene",
    "outside_reference",
    "out_of_bounds",
];

pub struct LocalAnnotator {
    engine: Engine,
    gene_models: String,
    reference: ReferenceInfo,
    /// Appended to errors about variants the loaded reference does not cover.
    coverage_note: String,
    /// Sequence inputs (`seq:...`, FASTA): placed, called, then annotated like variants.
    sequence: SequenceCaller,
}

/// Describes the bundled data: the regions it covers and its transcript count.
pub fn bundled_reference(dir: &std::path::Path) -> Result<ReferenceInfo, BackendError> {
    let engine = Engine::load_bundled(dir).map_err(|e| BackendError::Local(e.to_string()))?;
    Ok(bundled_info(&engine))
}

fn bundled_info(engine: &Engine) -> ReferenceInfo {
    ReferenceInfo {
        assembly: engine.assembly().to_string(),
        source: "bundled".into(),
        release: None,
        transcripts: engine.models().len() as u64,
        regions: Some(BUNDLED_REGIONS.into()),
    }
}

impl LocalAnnotator {
    pub fn load(data: &EngineData) -> Result<Self, BackendError> {
        match data {
            EngineData::Bundled(dir) => {
                let engine =
                    Engine::load_bundled(dir).map_err(|e| BackendError::Local(e.to_string()))?;
                let reference = bundled_info(&engine);
                let models = "bundled: Ensembl 84 chr21 region, RefSeq BRCA1".to_string();
                Ok(Self::new(engine, models).with_reference(reference))
            }
            EngineData::Files { gff, fasta } => {
                let engine =
                    Engine::load(gff, fasta).map_err(|e| BackendError::Local(e.to_string()))?;
                let names = gff
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(",");
                Ok(Self::new(engine, names))
            }
            EngineData::Index(path) => {
                let (engine, reference) =
                    crate::reference::open(path).map_err(|e| BackendError::Local(e.to_string()))?;
                Ok(
                    Self::new(engine, format!("index {}", path.display()))
                        .with_reference(reference),
                )
            }
        }
    }

    /// An engine described as `custom` until [`Self::with_reference`] says otherwise.
    pub fn new(engine: Engine, gene_models: String) -> Self {
        let reference = ReferenceInfo {
            assembly: engine.assembly().to_string(),
            source: "custom".into(),
            release: None,
            transcripts: engine.models().len() as u64,
            regions: None,
        };
        Self {
            engine,
            gene_models,
            coverage_note: coverage_note(&reference),
            reference,
            sequence: SequenceCaller::default(),
        }
    }

    /// The most bases one variant may span (`MAX_VARIANT_SPAN`); longer ones get `too_large`.
    pub fn with_max_variant_span(mut self, limit: u64) -> Self {
        self.engine.set_max_variant_span(limit);
        self
    }

    pub fn with_reference(mut self, reference: ReferenceInfo) -> Self {
        self.coverage_note = coverage_note(&reference);
        self.reference = reference;
        self
    }

    /// Opens the custom annotation sources (`VEP_CUSTOM`): a missing or unreadable one is an
    /// error now, before the function reports ready.
    pub fn with_custom_sources(
        mut self,
        specs: &[contract::custom::SourceSpec],
    ) -> Result<Self, BackendError> {
        self.engine
            .set_custom_sources(crate::engine::custom::CustomSources::open(specs)?);
        Ok(self)
    }

    /// Sequence-input limits other than the defaults (length limit, identity, index bound).
    pub fn with_sequence_settings(mut self, settings: crate::sequence::Settings) -> Self {
        self.sequence = SequenceCaller::new(settings);
        self
    }

    /// `failure`, with what is loaded (and how to get more) when the variant lies outside it.
    fn failure(&self, code: &str, message: String, no_sequence_there: bool) -> VariantFailure {
        let message = if NOT_COVERED.contains(&code) || no_sequence_there {
            format!("{message}{}", self.coverage_note)
        } else {
            message
        };
        VariantFailure {
            code: code.into(),
            message,
        }
    }
}

/// `; loaded: ...` and, unless a whole genome is loaded, how to fetch one.
fn coverage_note(reference: &ReferenceInfo) -> String {
    let loaded = format!("; loaded reference: {}", describe(reference));
    if matches!(reference.source.as_str(), "ensembl" | "refseq") {
        return loaded;
    }
    format!(
        "{loaded}. For the whole genome run `make reference` (or `vep-function reference fetch \
         --source ensembl --release 115 --out DIR`), then `make run REFERENCE=DIR` (VEP_INDEX=DIR)"
    )
}

/// The reference has only `N` at the variant: the bundled regions pad the rest of the
/// chromosome with `N`, so such a mismatch means "outside the loaded regions".
fn unsequenced(bases: &str) -> bool {
    !bases.is_empty() && bases.bytes().all(|b| b == b'N')
}

impl Annotator for LocalAnnotator {
    fn info(&self) -> AnnotatorInfo {
        AnnotatorInfo {
            assembly: Some(self.engine.assembly().to_owned()),
            backend: Backend::Local,
            gene_models: Some(self.gene_models.clone()),
            reference: Some(self.reference.clone()),
            version: concat!("vep-function ", env!("CARGO_PKG_VERSION")).into(),
        }
    }

    /// Each ALT of a multi-allelic line on its own: the usable ones annotated, the others
    /// reported beside them (`Answer::failed_alleles`); the input fails as a whole only when
    /// none is annotated (with the first ALT's reason).
    fn annotate(&self, input: &str) -> AnswerOutcome {
        if looks_like_sequence(input) {
            return annotate_sequence(&self.engine, &self.sequence, input).map(Answer::from);
        }
        let alleles = parse_alleles(input, &self.engine).map_err(|e| {
            let no_sequence = matches!(&e, InputError::ReferenceMismatch { reference, .. } if unsequenced(reference));
            self.failure(e.code(), e.to_string(), no_sequence)
        })?;
        let mut answer = Answer::default();
        for allele in alleles {
            let failure = match allele {
                Ok(variant) => match self.engine.annotate(&variant) {
                    Ok(annotation) => {
                        answer.annotations.push(annotation);
                        continue;
                    }
                    Err(e) => {
                        let no_sequence = matches!(&e, AnnotateError::ReferenceMismatch { found, .. } if unsequenced(found));
                        let failure = self.failure(e.code(), e.to_string(), no_sequence);
                        (variant.alternate, failure)
                    }
                },
                Err(rejected) => (
                    rejected.variant.alternate,
                    self.failure(rejected.error.code(), rejected.error.to_string(), false),
                ),
            };
            answer.failed_alleles.push(AlleleFailure {
                allele: failure.0,
                failure: failure.1,
            });
        }
        if answer.annotations.is_empty() {
            // One allele, or none usable: the input fails, as a single-ALT line would.
            return Err(answer
                .failed_alleles
                .into_iter()
                .next()
                .map(|a| a.failure)
                .unwrap_or_else(|| self.failure("not_annotated", "no allele".into(), false)));
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_data_dir;

    fn bundled() -> LocalAnnotator {
        LocalAnnotator::load(&EngineData::Bundled(default_data_dir())).unwrap()
    }

    #[test]
    fn variants_outside_the_bundled_regions_name_them_and_how_to_get_the_genome() {
        let annotator = bundled();
        for (input, code) in [
            ("7 140753336 . A T", "unknown_contig"),
            ("BRAF:c.1799T>A", "unknown_gene"),
            // Chromosome 21 is there, but only N outside the bundled stretches.
            ("21 10000000 . A T", "reference_mismatch"),
        ] {
            let err = annotator.annotate(input).unwrap_err();
            assert_eq!(err.code, code, "{input}");
            assert!(
                err.message
                    .contains(&format!("bundled regions: {BUNDLED_REGIONS}")),
                "{input}: {}",
                err.message
            );
            assert!(err.message.contains("make reference"), "{}", err.message);
            assert!(
                err.message.contains("vep-function reference fetch"),
                "{}",
                err.message
            );
        }
    }

    fn test_source(name: &str, rest: &str) -> contract::custom::SourceSpec {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/custom")
            .join(name);
        format!("file={},format=vcf,{rest}", file.display())
            .parse()
            .unwrap()
    }

    #[test]
    fn custom_sources_answer_with_the_annotation_and_fail_typed() {
        let annotator = bundled()
            .with_custom_sources(&[test_source(
                "broken.vcf.gz",
                "short_name=ClinVar,type=exact,fields=CLNSIG",
            )])
            .unwrap();
        let found = annotator.annotate("21 25585733 . C T").unwrap();
        assert_eq!(
            found.annotations[0].custom_annotations["ClinVar"][0].fields["CLNSIG"],
            "Pathogenic"
        );
        let err = annotator.annotate("21 25600000 . G A").unwrap_err();
        assert_eq!(err.code, "custom_source_unreadable");
        let missing = bundled()
            .with_custom_sources(&[test_source("absent.vcf.gz", "short_name=X")])
            .err()
            .expect("a missing source is refused");
        assert!(
            missing.to_string().ends_with("[custom_source_unavailable]"),
            "{missing}"
        );
    }

    #[test]
    fn a_multi_allelic_line_with_one_bad_alt_annotates_the_others() {
        let answer = bundled().annotate("21 25585733 . C T,G,<script>").unwrap();
        let alleles: Vec<&str> = answer
            .annotations
            .iter()
            .map(|a| a.allele_string.as_str())
            .collect();
        assert_eq!(alleles, ["C/T", "C/G"]);
        assert_eq!(answer.failed_alleles.len(), 1);
        assert_eq!(answer.failed_alleles[0].allele, "<script>");
        assert_eq!(answer.failed_alleles[0].failure.code, "unsupported_allele");
        // Every ALT bad: the input fails as a whole.
        let err = bundled().annotate("21 25585733 . C <DEL>").unwrap_err();
        assert_eq!(err.code, "unsupported_allele");
    }

    #[test]
    fn errors_about_the_input_itself_carry_no_coverage_note() {
        // MRPL39 region: a real base that is not T.
        let err = bundled().annotate("21 25585733 . T A").unwrap_err();
        assert_eq!(err.code, "reference_mismatch");
        assert!(!err.message.contains("loaded reference"), "{}", err.message);
    }

    #[test]
    fn a_whole_genome_reference_is_named_without_the_fetch_advice() {
        let annotator = bundled().with_reference(ReferenceInfo {
            assembly: "GRCh38".into(),
            source: "ensembl".into(),
            release: Some("115".into()),
            transcripts: 252_913,
            regions: None,
        });
        let err = annotator.annotate("chrUn_KI270302v1 10 . A T").unwrap_err();
        assert_eq!(err.code, "unknown_contig");
        assert!(
            err.message
                .ends_with("; loaded reference: ensembl release 115 (GRCh38, 252913 transcripts)"),
            "{}",
            err.message
        );
        let info = annotator.info();
        assert_eq!(info.reference.unwrap().release.as_deref(), Some("115"));
    }

    #[test]
    fn bundled_regions_match_the_covered_regions_of_the_bundled_data() {
        // Each stated stretch starts and ends within 10 kb of a covered interval's edge.
        let mut edges: Vec<(String, u64)> = Vec::new();
        for set in ["chr21", "brca1"] {
            let bed =
                std::fs::read_to_string(default_data_dir().join(set).join("covered_regions.bed"))
                    .unwrap();
            for line in bed.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                edges.push((f[0].into(), f[1].parse().unwrap()));
                edges.push((f[0].into(), f[2].parse().unwrap()));
            }
        }
        for stretch in BUNDLED_REGIONS.split(", ") {
            let (chrom, span) = stretch.trim_end_matches(" Mb").split_once(':').unwrap();
            for mb in span.split('-') {
                let pos = (mb.parse::<f64>().unwrap() * 1e6) as u64;
                assert!(
                    edges
                        .iter()
                        .any(|(c, e)| c == chrom && e.abs_diff(pos) <= 10_000),
                    "{stretch}: {mb} Mb is no covered edge"
                );
            }
        }
        assert_eq!(bundled().info().reference.unwrap().transcripts, 128);
    }
}
