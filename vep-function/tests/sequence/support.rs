//! Shared by the sequence tests: the bundled engine, edits applied to real reference stretches,
//! and `bcftools norm -f` on the same edits, the reference normaliser the calls must agree with.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use vep::backend::LocalAnnotator;
use vep::config::EngineData;
use vep::engine::predict::Engine;

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::load_bundled(&data_dir()).expect("bundled data loads"))
}

pub fn annotator() -> &'static LocalAnnotator {
    static ANNOTATOR: OnceLock<LocalAnnotator> = OnceLock::new();
    ANNOTATOR.get_or_init(|| {
        LocalAnnotator::load(&EngineData::Bundled(data_dir())).expect("bundled data loads")
    })
}

/// The bundled FASTA holding `chrom`.
pub fn fasta(chrom: &str) -> PathBuf {
    match chrom {
        "17" => data_dir().join("brca1/GRCh38.chr17.brca1_region.fa.gz"),
        "21" => data_dir().join("chr21/GRCh38.chr21.vep_test_region.fa.gz"),
        other => panic!("no bundled FASTA for {other}"),
    }
}

/// A VCF-style edit (1-based, anchor base included for indels).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub pos: u64,
    pub reference: String,
    pub alternate: String,
}

fn reference(chrom: &str, start: u64, end: u64) -> String {
    String::from_utf8(
        engine()
            .genome()
            .sequence(chrom, start, end)
            .expect("reference"),
    )
    .unwrap()
}

/// A substitution to a base other than the reference one.
pub fn snv(chrom: &str, pos: u64) -> Edit {
    let r = reference(chrom, pos, pos);
    let alt = match r.as_str() {
        "A" => "G",
        "C" => "T",
        "G" => "A",
        _ => "C",
    };
    Edit {
        pos,
        reference: r,
        alternate: alt.into(),
    }
}

/// Deletes `len` bases after the anchor at `pos`.
pub fn del(chrom: &str, pos: u64, len: u64) -> Edit {
    let r = reference(chrom, pos, pos + len);
    Edit {
        pos,
        alternate: r[..1].to_string(),
        reference: r,
    }
}

/// Inserts `bases` after the anchor at `pos`.
pub fn ins(chrom: &str, pos: u64, bases: &str) -> Edit {
    let r = reference(chrom, pos, pos);
    Edit {
        pos,
        alternate: format!("{r}{bases}"),
        reference: r,
    }
}

/// The reference `lo..=hi` of `chrom` with `edits` applied (non-overlapping, any order).
pub fn mutate(chrom: &str, lo: u64, hi: u64, edits: &[Edit]) -> String {
    let mut seq = reference(chrom, lo, hi);
    let mut sorted = edits.to_vec();
    sorted.sort();
    for e in sorted.iter().rev() {
        let at = (e.pos - lo) as usize;
        assert_eq!(&seq[at..at + e.reference.len()], e.reference, "edit {e:?}");
        seq.replace_range(at..at + e.reference.len(), &e.alternate);
    }
    seq
}

pub fn reverse_complement(seq: &str) -> String {
    seq.bytes()
        .rev()
        .map(|b| match b {
            b'A' => 'T',
            b'C' => 'G',
            b'G' => 'C',
            b'T' => 'A',
            other => other as char,
        })
        .collect()
}

/// FASTA text with 60-letter lines.
pub fn as_fasta(name: &str, seq: &str) -> String {
    let mut out = format!(">{name}\n");
    for line in seq.as_bytes().chunks(60) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out
}

/// `bcftools norm -f FASTA` on `edits`, as sorted `(pos, ref, alt)`.
pub fn bcftools_norm(chrom: &str, edits: &[Edit]) -> Vec<(u64, String, String)> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vep-sequence-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let length = engine().genome().contig_length(chrom).unwrap();
    let mut vcf = format!(
        "##fileformat=VCFv4.2\n##contig=<ID={chrom},length={length}>\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    );
    let mut sorted = edits.to_vec();
    sorted.sort();
    for e in &sorted {
        vcf.push_str(&format!(
            "{chrom}\t{}\t.\t{}\t{}\t.\t.\t.\n",
            e.pos, e.reference, e.alternate
        ));
    }
    let path = dir.join("edits.vcf");
    std::fs::write(&path, vcf).unwrap();
    let output = Command::new("bcftools")
        .args(["norm", "--no-version", "-c", "e", "-f"])
        .arg(fasta(chrom))
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("bcftools is needed for this test ({e}): run tests/sequence/setup.sh")
        });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "bcftools norm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut records: Vec<(u64, String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1].parse().unwrap(), f[3].to_string(), f[4].to_string())
        })
        .collect();
    records.sort();
    records
}

pub use crate::lcg::Lcg;
