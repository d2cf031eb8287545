//! The mirror's files: the bundled regions (vep-function/data, plus the NCBI RefSeq GFF3 of the
//! chr21 region from vep-function/tests/data) laid out like the Ensembl and NCBI download
//! trees, with the publishers' checksum listings made the way the publishers make them: the
//! real `sum` for Ensembl's `CHECKSUMS`, the real `md5sum` for NCBI's `md5checksums.txt`, the
//! real `gzip` for the plain-gzip FASTA (not BGZF, as published). The content is the bundled
//! regions, not the named release: only the layout is the publisher's.
//!
//! ```text
//! ensembl/release-R/gff3/homo_sapiens/Homo_sapiens.GRCh38.R.gff3.gz   chr21 + BRCA1 models
//! ensembl/release-R/fasta/homo_sapiens/dna/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz
//! ncbi/refseq/H_sapiens/annotation/annotation_releases/110/GCF_000001405.40_GRCh38.p14/...
//! ncbi/pub/clinvar/vcf_GRCh38/clinvar_20261128.vcf.gz (+ .md5, .tbi), clinvar.vcf.gz (+ ...)
//! ```
//!
//! The ClinVar files are the test source of `vep-function/tests/data/custom` (ClinVar's
//! conventions, values of recorded Ensembl answers at test positions: see its SOURCE.md),
//! laid out as `reference::clinvar` documents ClinVar's tree: the week's dated file with
//! `md5sum` output beside it, and `clinvar.vcf.gz` as a copy of it (a link on NCBI's site)
//! whose `.md5` is the dated file's listing (naming the dated file).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::repo_root;

/// The Ensembl release number the mirror's tree is named for.
pub const ENSEMBL_RELEASE: &str = "115";
/// The RefSeq annotation release the mirror's tree is named for.
pub const REFSEQ_RELEASE: &str = "110";
pub const REFSEQ_ASSEMBLY: &str = "GCF_000001405.40_GRCh38.p14";

pub fn ensembl_gff3_dir() -> String {
    format!("ensembl/release-{ENSEMBL_RELEASE}/gff3/homo_sapiens")
}

pub fn ensembl_gff3_name() -> String {
    format!("Homo_sapiens.GRCh38.{ENSEMBL_RELEASE}.gff3.gz")
}

pub fn ensembl_fasta_dir() -> String {
    format!("ensembl/release-{ENSEMBL_RELEASE}/fasta/homo_sapiens/dna")
}

pub const ENSEMBL_FASTA_NAME: &str = "Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz";

/// The ClinVar weekly release the mirror's tree holds.
pub const CLINVAR_RELEASE: &str = "20261128";
pub const CLINVAR_DIR: &str = "ncbi/pub/clinvar/vcf_GRCh38";

pub fn refseq_dir() -> String {
    format!(
        "ncbi/refseq/H_sapiens/annotation/annotation_releases/{REFSEQ_RELEASE}/{REFSEQ_ASSEMBLY}"
    )
}

pub fn refseq_gff3_name() -> String {
    format!("{REFSEQ_ASSEMBLY}_genomic.gff.gz")
}

pub fn refseq_fasta_name() -> String {
    format!("{REFSEQ_ASSEMBLY}_genomic.fna.gz")
}

/// The chromosomes the Ensembl tree covers (the NCBI tree has only the first).
pub const CHROMOSOMES: [&str; 2] = ["21", "17"];

fn data() -> PathBuf {
    repo_root().join("vep-function/data")
}

/// Builds the tree under `root` (replacing what is there).
pub fn build(root: &Path) -> io::Result<()> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    let chr21_fasta = data().join("chr21/GRCh38.chr21.vep_test_region.fa.gz");
    let chr17_fasta = data().join("brca1/GRCh38.chr17.brca1_region.fa.gz");

    let gff3 = root.join(ensembl_gff3_dir());
    std::fs::create_dir_all(&gff3)?;
    let mut models =
        gunzip(&data().join("chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"))?;
    let brca1 = gunzip(&data().join("brca1/BRCA1.GRCh38.refseq_cdot.gff3.gz"))?;
    // One file, one header: the second file's directives would sit mid-file.
    for line in brca1.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b"##gff-version") {
            models.extend_from_slice(line);
        }
    }
    gzip(&models[..], &gff3.join(ensembl_gff3_name()))?;
    sum_listing(&gff3)?;

    let fasta = root.join(ensembl_fasta_dir());
    std::fs::create_dir_all(&fasta)?;
    let ensembl_header = |chrom: &str, length: u64| {
        format!(">{chrom} dna:chromosome chromosome:GRCh38:{chrom}:1:{length}:1 REF")
    };
    let mut genome = renamed(&chr21_fasta, &ensembl_header("21", 46_709_983))?;
    genome.extend(renamed(&chr17_fasta, &ensembl_header("17", 83_257_441))?);
    gzip(&genome[..], &fasta.join(ENSEMBL_FASTA_NAME))?;
    sum_listing(&fasta)?;

    let ncbi = root.join(refseq_dir());
    std::fs::create_dir_all(&ncbi)?;
    std::fs::copy(
        repo_root().join("vep-function/tests/data/ensembl-vep-chr21/refseq.gff.gz"),
        ncbi.join(refseq_gff3_name()),
    )?;
    let header = ">NC_000021.9 Homo sapiens chromosome 21, GRCh38.p14 Primary Assembly";
    gzip(
        &renamed(&chr21_fasta, header)?[..],
        &ncbi.join(refseq_fasta_name()),
    )?;
    md5_listing(&ncbi)?;
    clinvar(root)
}

/// ClinVar's `vcf_GRCh38` directory (see the module doc).
fn clinvar(root: &Path) -> io::Result<()> {
    let dir = root.join(CLINVAR_DIR);
    std::fs::create_dir_all(&dir)?;
    let test_data = repo_root().join("vep-function/tests/data/custom");
    let dated = format!("clinvar_{CLINVAR_RELEASE}.vcf.gz");
    for (from, to) in [
        ("clinvar.vcf.gz", dated.clone()),
        ("clinvar.vcf.gz.tbi", format!("{dated}.tbi")),
        ("clinvar.vcf.gz", "clinvar.vcf.gz".to_owned()),
        ("clinvar.vcf.gz.tbi", "clinvar.vcf.gz.tbi".to_owned()),
    ] {
        std::fs::copy(test_data.join(from), dir.join(to))?;
    }
    let output = Command::new("md5sum")
        .arg(&dated)
        .current_dir(&dir)
        .output()?;
    check(output.status, "md5sum")?;
    for listing in [format!("{dated}.md5"), "clinvar.vcf.gz.md5".to_owned()] {
        std::fs::write(dir.join(listing), &output.stdout)?;
    }
    Ok(())
}

fn gunzip(path: &Path) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(File::open(path)?).read_to_end(&mut out)?;
    Ok(out)
}

/// The sequence of a one-record FASTA under another header line.
fn renamed(path: &Path, header: &str) -> io::Result<Vec<u8>> {
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(File::open(path)?));
    let mut out = format!("{header}\n").into_bytes();
    for line in reader.lines().skip(1) {
        out.extend_from_slice(line?.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// `gzip -n` (plain gzip, as the publishers serve it).
fn gzip(mut data: &[u8], to: &Path) -> io::Result<()> {
    let mut child = Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(Stdio::piped())
        .stdout(File::create(to)?)
        .spawn()?;
    io::copy(&mut data, child.stdin.as_mut().expect("gzip stdin"))?;
    drop(child.stdin.take());
    check(child.wait()?, "gzip")
}

/// Ensembl's `CHECKSUMS`: per file, the output of `sum <file>` then the file name, as its
/// production pipeline writes it (ensembl-production `ChksumGenerator.pm`).
fn sum_listing(dir: &Path) -> io::Result<()> {
    listing(dir, "CHECKSUMS", "sum", |name, out| {
        format!("{} {name}\n", out.trim_end())
    })
}

/// NCBI's `md5checksums.txt`: `md5sum ./<file>` output.
fn md5_listing(dir: &Path) -> io::Result<()> {
    listing(dir, "md5checksums.txt", "md5sum", |_, out| out.to_string())
}

fn listing(
    dir: &Path,
    listing: &str,
    tool: &str,
    line: impl Fn(&str, &str) -> String,
) -> io::Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != listing)
        .collect();
    names.sort();
    let mut out = File::create(dir.join(listing))?;
    for name in names {
        let output = Command::new(tool)
            .arg(format!("./{name}"))
            .current_dir(dir)
            .output()?;
        check(output.status, tool)?;
        out.write_all(line(&name, &String::from_utf8_lossy(&output.stdout)).as_bytes())?;
    }
    Ok(())
}

fn check(status: std::process::ExitStatus, tool: &str) -> io::Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{tool} failed: {status}")))
    }
}
