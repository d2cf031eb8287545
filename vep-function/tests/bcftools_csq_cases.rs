//! bcftools' consequence edge cases (partial CDS, frameshifted models, odd biotypes, symbolic
//! alleles, multi-allelic sites) through the built-in engine: no case may panic, and every VCF
//! record must be answered with an annotation or a typed error.

use std::fs;
use std::io::{BufRead, BufReader};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use vep::engine::input::parse_input;
use vep::engine::models::gene_models::GeneModels;
use vep::engine::models::genome::Genome;
use vep::engine::models::loaders::gff3;
use vep::engine::predict::Engine;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bcftools-csq/cases")
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    found.sort();
    found
}

#[derive(Default, Debug)]
struct Tally {
    records: usize,
    annotated: usize,
    input_errors: usize,
    annotate_errors: usize,
    consequences: usize,
}

/// Annotates every record of `vcf`; each must yield annotations or a typed error.
fn annotate_vcf(engine: &Engine, vcf: &Path, tally: &mut Tally) {
    let reader = BufReader::new(fs::File::open(vcf).unwrap());
    for line in reader.lines() {
        let line = line.unwrap();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        tally.records += 1;
        match parse_input(&line, engine) {
            Err(e) => {
                assert!(!e.code().is_empty() && !e.to_string().is_empty());
                tally.input_errors += 1;
            }
            Ok(variants) => {
                assert!(
                    !variants.is_empty(),
                    "{}: no variant from {line}",
                    vcf.display()
                );
                for v in variants {
                    match engine.annotate(&v) {
                        Ok(a) => {
                            assert!(!a.most_severe_consequence.is_empty(), "{line}");
                            tally.annotated += 1;
                            tally.consequences += a.transcript_consequences.len();
                        }
                        Err(e) => {
                            assert!(!e.to_string().is_empty());
                            tally.annotate_errors += 1;
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_case_loads_and_every_record_is_answered_without_panic() {
    let mut tally = Tally::default();
    let mut model_errors = Vec::new();
    let mut panics = Vec::new();
    let mut cases = 0;
    for entry in fs::read_dir(cases_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        cases += 1;
        let fastas = files(&dir, "fa");
        let vcfs = files(&dir, "vcf");
        for gff in files(&dir, "gff") {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let transcripts = match gff3::read_path(&gff) {
                    Ok(t) => t,
                    Err(e) => {
                        model_errors.push(format!("{}: {e}", gff.display()));
                        return;
                    }
                };
                let mut genome = Genome::new();
                for fa in &fastas {
                    genome.add_fasta(fa).unwrap();
                }
                let engine = Engine::new(GeneModels::new(transcripts), genome, "GRCh38");
                for vcf in &vcfs {
                    annotate_vcf(&engine, vcf, &mut tally);
                }
            }));
            if outcome.is_err() {
                panics.push(gff.display().to_string());
            }
        }
    }
    assert!(panics.is_empty(), "panicked on: {panics:#?}");
    assert_eq!(cases, 63);
    // CDS-only models and unescaped tabs in column 9 included, every model must load.
    assert!(
        model_errors.is_empty(),
        "gene models refused: {model_errors:#?}"
    );
    // Symbolic and `*` alleles are refused by design; the rest must be annotated.
    assert!(tally.annotated * 10 >= tally.records * 8, "{tally:?}");
    assert!(tally.consequences > 0, "{tally:?}");
    eprintln!("{tally:?}");
}
