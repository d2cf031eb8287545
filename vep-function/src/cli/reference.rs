//! `vep-function reference fetch|clinvar|env`: get a whole-genome reference ready to serve,
//! add ClinVar's VCF to it, and print the settings that describe one to the gateway (and
//! its custom sources to both services).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::reference::clinvar::{fetch_clinvar, ClinvarRequest, Release as ClinvarRelease};
use crate::reference::fetch::{base_url, fetch, FetchRequest, Outcome};
use crate::reference::layout::{Assembly, Release, Source};
use crate::reference::manifest::{custom_env, describe, gateway_env};
use crate::reference::DownloadSettings;

#[derive(Debug, clap::Args)]
pub struct ReferenceArgs {
    #[command(subcommand)]
    pub command: ReferenceCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ReferenceCommand {
    /// Download a release's gene models and genome, check them against the published
    /// checksums, and build an indexed reference directory (resumes an interrupted run).
    Fetch(FetchArgs),
    /// Download ClinVar's VCF and index into a reference directory (checked against
    /// ClinVar's md5; resumes an interrupted run), served as the custom source `ClinVar`.
    Clinvar(ClinvarArgs),
    /// Print the gateway's REFERENCE_* settings for a reference directory (or, without one,
    /// for the bundled regions), and VEP_CUSTOM for the sources it holds (both services),
    /// one KEY=value per line.
    Env(EnvArgs),
}

#[derive(Debug, clap::Args)]
pub struct ClinvarArgs {
    /// The directory to put `clinvar.vcf.gz` (+ `.tbi`) in; its reference.json, if any,
    /// records them.
    #[arg(long)]
    pub out: PathBuf,
    /// GRCh38 or GRCh37.
    #[arg(long, default_value = "GRCh38")]
    pub assembly: Assembly,
    /// `latest` or a weekly release date, YYYYMMDD.
    #[arg(long, default_value = "latest")]
    pub release: ClinvarRelease,
    /// Root of NCBI's tree, for mirrors [default: https://ftp.ncbi.nlm.nih.gov/].
    #[arg(long)]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// How downloads wait and retry (both `fetch` and `clinvar`).
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// Seconds to wait for a connection.
    #[arg(long, default_value_t = 30)]
    pub connect_timeout_secs: u64,
    /// Seconds without a byte from the server before it counts as stalled.
    #[arg(long, default_value_t = 60)]
    pub stall_timeout_secs: u64,
    /// Tries per file; each retry resumes the download where it stopped.
    #[arg(long, default_value_t = 5)]
    pub attempts: u32,
}

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// ensembl or refseq.
    #[arg(long)]
    pub source: Source,
    /// GRCh38 or GRCh37 (RefSeq: GRCh38 only).
    #[arg(long, default_value = "GRCh38")]
    pub assembly: Assembly,
    /// Ensembl release number (e.g. 115), or RefSeq annotation release (110, RS_2024_08).
    #[arg(long)]
    pub release: String,
    /// The reference directory to create (serve it with VEP_INDEX=DIR).
    #[arg(long)]
    pub out: PathBuf,
    /// Root of the publisher's tree, for mirrors and air-gapped sites
    /// [default: https://ftp.ensembl.org/pub/ or https://ftp.ncbi.nlm.nih.gov/].
    #[arg(long)]
    pub base_url: Option<String>,
    /// Replace what DIR holds (by default a different reference there is an error).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub transfer: TransferArgs,
}

#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    /// A reference directory; without it, the bundled regions.
    pub dir: Option<PathBuf>,
}

pub fn run(args: ReferenceArgs) -> anyhow::Result<()> {
    match args.command {
        ReferenceCommand::Fetch(args) => run_fetch(args),
        ReferenceCommand::Clinvar(args) => run_clinvar(args),
        ReferenceCommand::Env(args) => run_env(args),
    }
}

fn run_fetch(args: FetchArgs) -> anyhow::Result<()> {
    // The code goes with the message so scripts (and the cluster Job's logs) can tell
    // failures apart.
    let typed = |e: crate::reference::FetchError| anyhow::anyhow!("{e} [{}]", e.code());
    let release =
        Release::new(args.source, args.assembly, &args.release).map_err(|e| typed(e.into()))?;
    let base = args
        .base_url
        .as_deref()
        .unwrap_or(args.source.default_base_url());
    let request = FetchRequest {
        release,
        base_url: base_url(base).map_err(typed)?,
        out: args.out,
        force: args.force,
        download: download_settings(&args.transfer),
    };
    let manifest = match fetch(&request).map_err(typed)? {
        Outcome::Fetched(m) | Outcome::AlreadyPresent(m) => m,
    };
    eprintln!(
        "{}: serve it with `make run REFERENCE={}` or VEP_INDEX={}",
        describe(&manifest.reference_info()),
        request.out.display(),
        request.out.display()
    );
    Ok(())
}

fn run_clinvar(args: ClinvarArgs) -> anyhow::Result<()> {
    let typed = |e: crate::reference::FetchError| anyhow::anyhow!("{e} [{}]", e.code());
    let base = args
        .base_url
        .as_deref()
        .unwrap_or(Source::Refseq.default_base_url());
    let request = ClinvarRequest {
        assembly: args.assembly,
        release: args.release,
        base_url: base_url(base).map_err(typed)?,
        out: args.out,
        download: download_settings(&args.transfer),
    };
    let spec = fetch_clinvar(&request).map_err(typed)?;
    eprintln!(
        "ClinVar ready in {}: serve it with VEP_CUSTOM='{spec}' (`reference env` prints it for a reference directory)",
        request.out.display()
    );
    Ok(())
}

fn download_settings(t: &TransferArgs) -> DownloadSettings {
    DownloadSettings {
        connect_timeout: Duration::from_secs(t.connect_timeout_secs.max(1)),
        stall_timeout: Duration::from_secs(t.stall_timeout_secs.max(1)),
        attempts: t.attempts.max(1),
        ..DownloadSettings::default()
    }
}

fn run_env(args: EnvArgs) -> anyhow::Result<()> {
    let (info, custom) = match &args.dir {
        Some(dir) => {
            let manifest = crate::reference::manifest::Manifest::read(dir)
                .with_context(|| format!("reading the reference in {}", dir.display()))?;
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            (manifest.reference_info(), custom_env(&manifest, &dir))
        }
        None => (
            crate::backend::bundled_reference(&crate::config::default_data_dir())?,
            None,
        ),
    };
    for (key, value) in gateway_env(&info).into_iter().chain(custom) {
        println!("{key}={}", shell_quote(&value));
    }
    Ok(())
}

/// Single-quoted for `sh`, so run-local.sh can `eval` the lines.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("GRCh38"), "'GRCh38'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
