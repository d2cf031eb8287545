//! `make mirror`: serves the bundled regions laid out like the Ensembl and NCBI download trees
//! (and ClinVar's, with test records) on loopback, so `make reference BASE_URL=...` and `make
//! reference-clinvar` work offline on a fresh clone.
//!
//! Usage: `mirror [--dir DIR] [--port PORT]` (defaults: target/mirror, 8070).

use std::path::PathBuf;

use e2e::mirror::{tree, Mirror};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut dir = e2e::repo_root().join("target/mirror");
    let mut port = 8070u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = PathBuf::from(args.next().unwrap_or_default()),
            "--port" => port = args.next().unwrap_or_default().parse()?,
            other => {
                anyhow::bail!("unknown argument {other:?}; usage: mirror [--dir DIR] [--port PORT]")
            }
        }
    }
    tree::build(&dir)?;
    let mirror = Mirror::serve(&dir, port).await?;
    let ensembl = mirror.url("ensembl/");
    let ncbi = mirror.url("ncbi/");
    println!(
        "mirror of the bundled regions at {} (files in {})",
        mirror.url(""),
        dir.display()
    );
    println!();
    println!(
        "  make reference BASE_URL={ensembl} RELEASE={}",
        tree::ENSEMBL_RELEASE
    );
    println!(
        "  make reference SOURCE=refseq BASE_URL={ncbi} RELEASE={}",
        tree::REFSEQ_RELEASE
    );
    println!("  make reference-clinvar REFERENCE=DIR BASE_URL={ncbi}   (test records, see vep-function/tests/data/custom/SOURCE.md)");
    println!();
    println!("Ctrl-C stops it.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
