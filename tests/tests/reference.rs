//! `vep-function reference fetch` against a loopback mirror of the Ensembl and NCBI download
//! trees serving the bundled regions (tests/src/mirror), then the real function and gateway
//! serving what it built. Failures (corrupt file, cut download, 404, stalled server, full disk)
//! must each give their typed error and leave nothing `VEP_INDEX` could load.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use e2e::bin_dir;
use e2e::mirror::{tree, Fault, Mirror};
use e2e::process::start_pipeline_with;
use e2e::ws::Client;
use serde_json::Value;

/// The mirror's files, built once per test binary.
fn mirror_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("e2e-mirror-{}", std::process::id()));
        tree::build(&root).expect("mirror tree");
        root
    })
}

async fn mirror() -> Mirror {
    Mirror::serve(mirror_root(), 0).await.expect("mirror")
}

/// A fresh parent directory for one test's reference.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("e2e-reference-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

async fn vep_function(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(bin_dir().join("vep-function"))
        .args(args)
        .env_remove("VEP_INDEX")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("vep-function finished in time")
        .expect("vep-function ran")
}

async fn fetch(source: &str, base: &str, release: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_string_lossy();
    let mut args = vec![
        "reference",
        "fetch",
        "--source",
        source,
        "--release",
        release,
        "--out",
        &out,
        "--base-url",
        base,
    ];
    args.extend_from_slice(extra);
    vep_function(&args).await
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_fails_with(output: &Output, code: &str) {
    let text = stderr(output);
    assert!(
        !output.status.success(),
        "expected [{code}], but it succeeded:\n{text}"
    );
    assert!(
        text.contains(&format!("[{code}]")),
        "expected [{code}] in:\n{text}"
    );
}

/// Nothing under `parent` is a loadable reference: no DIR, no index anywhere, and the work
/// directory says it is incomplete.
fn assert_no_usable_reference(parent: &Path, out: &Path) {
    assert!(
        !out.exists(),
        "{} must not exist after a failure",
        out.display()
    );
    let mut stack = vec![parent.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            assert!(
                !path.ends_with("index.vepidx") && !path.ends_with("reference.json"),
                "{} left behind",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    let work = parent.join(format!(
        ".{}.partial",
        out.file_name().unwrap().to_string_lossy()
    ));
    let marker = std::fs::read_to_string(work.join("INCOMPLETE")).expect("INCOMPLETE marker");
    assert!(marker.contains("fetch failed"), "{marker}");
}

fn refseq_fasta_path() -> String {
    format!("{}/{}", tree::refseq_dir(), tree::refseq_fasta_name())
}

fn file_len(path: &str) -> u64 {
    std::fs::metadata(mirror_root().join(path))
        .expect("mirrored file")
        .len()
}

#[tokio::test]
async fn ensembl_reference_from_the_mirror_annotates_every_chromosome_through_the_gateway() {
    let mirror = mirror().await;
    let parent = scratch("ensembl");
    let out = parent.join("GRCh38-ensembl-115");
    let fetched = fetch(
        "ensembl",
        &mirror.url("ensembl/"),
        tree::ENSEMBL_RELEASE,
        &out,
        &[],
    )
    .await;
    assert!(fetched.status.success(), "{}", stderr(&fetched));

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("reference.json")).unwrap()).unwrap();
    assert_eq!(manifest["source"], "ensembl");
    assert_eq!(manifest["assembly"], "GRCh38");
    assert_eq!(manifest["release"], tree::ENSEMBL_RELEASE);
    assert_eq!(manifest["transcripts"], 128);
    assert_eq!(manifest["genome"]["contigs"], tree::CHROMOSOMES.len());
    for file in manifest["files"].as_array().unwrap() {
        assert_eq!(file["checksum"]["algorithm"], "bsd_sum", "{file}");
    }
    for name in [
        "genome.fa.gz",
        "genome.fa.gz.fai",
        "genome.fa.gz.gzi",
        "index.vepidx",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    assert!(
        out.join(tree::ensembl_gff3_name()).is_file(),
        "gene models kept as downloaded"
    );
    assert!(!parent.join(".GRCh38-ensembl-115.partial").exists());

    // A second run finds the release there and downloads nothing.
    let before = mirror.requests().len();
    let again = fetch(
        "ensembl",
        &mirror.url("ensembl/"),
        tree::ENSEMBL_RELEASE,
        &out,
        &[],
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(mirror.requests().len(), before);

    // The directory moves whole: the index finds its genome relative to itself.
    let moved = parent.join("moved");
    std::fs::rename(&out, &moved).unwrap();

    let env = vep_function(&["reference", "env", &moved.to_string_lossy()]).await;
    assert!(env.status.success(), "{}", stderr(&env));
    let settings: Vec<(String, String)> = String::from_utf8_lossy(&env.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect();
    let gateway_env: Vec<(&str, String)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let function_env = [("VEP_INDEX", moved.to_string_lossy().into_owned())];
    let (gateway, _function) = start_pipeline_with(&function_env, &gateway_env).await;

    let hello = first_frame(&gateway.ws_url()).await;
    assert_eq!(
        hello["reference"],
        serde_json::json!({"assembly": "GRCh38", "source": "ensembl", "release": "115", "transcripts": 128}),
        "{hello}"
    );

    let mut client = Client::connect(&gateway.ws_url()).await;
    // One known variant per mirrored chromosome (MRPL39 and BRCA1 missense), and one outside.
    let variants = [
        "21 25585733 . C T",
        "17 43106487 . A C",
        "7 140753336 . A T",
    ];
    let frames = client.analyze("every-chromosome", &variants).await;
    let results: Vec<&Value> = frames.iter().filter(|f| f["type"] == "result").collect();
    let annotations: Vec<&Value> = results
        .iter()
        .flat_map(|r| r["annotations"].as_array().unwrap())
        .collect();
    for (chrom, gene) in [("21", "MRPL39"), ("17", "BRCA1")] {
        let hit = annotations
            .iter()
            .find(|a| a["seq_region_name"] == chrom)
            .unwrap_or_else(|| panic!("no annotation on {chrom}: {frames:?}"));
        assert_eq!(hit["most_severe_consequence"], "missense_variant", "{hit}");
        assert!(hit.to_string().contains(gene), "{gene} in {hit}");
    }
    let errors: Vec<&Value> = results
        .iter()
        .flat_map(|r| r["errors"].as_array().unwrap())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["code"], "unknown_contig");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("ensembl release 115 (GRCh38, 128 transcripts)"),
        "{message}"
    );
    std::fs::remove_dir_all(parent).unwrap();
}

async fn first_frame(url: &str) -> Value {
    use futures_util::StreamExt;
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("session frame in time")
        .expect("a frame")
        .expect("no socket error");
    serde_json::from_str(frame.to_text().unwrap()).unwrap()
}

#[tokio::test]
async fn refseq_reference_is_checked_with_md5_and_annotates_through_the_cli() {
    let mirror = mirror().await;
    let parent = scratch("refseq");
    let out = parent.join("refseq-110");
    let fetched = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &[],
    )
    .await;
    assert!(fetched.status.success(), "{}", stderr(&fetched));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("reference.json")).unwrap()).unwrap();
    assert_eq!(manifest["source"], "refseq");
    for file in manifest["files"].as_array().unwrap() {
        assert_eq!(file["checksum"]["algorithm"], "md5", "{file}");
    }

    let mut child = tokio::process::Command::new(bin_dir().join("vep-function"))
        .args(["annotate", "--format", "json", "--index"])
        .arg(out.join("index.vepidx"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"NC_000021.9:g.25585733C>T\n")
        .await
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    // MRPL39's RefSeq transcript carries the missense change.
    assert!(text.contains("\"missense_variant\""), "{text}");
    assert!(text.contains("NM_"), "RefSeq transcripts: {text}");
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_corrupted_download_is_a_checksum_mismatch_and_leaves_no_reference() {
    let mirror = mirror().await;
    let gff3 = format!("{}/{}", tree::ensembl_gff3_dir(), tree::ensembl_gff3_name());
    mirror.set_fault(&gff3, Fault::Corrupt { at: 1000 });
    let parent = scratch("corrupt");
    let out = parent.join("ref");
    let fetched = fetch(
        "ensembl",
        &mirror.url("ensembl/"),
        tree::ENSEMBL_RELEASE,
        &out,
        &[],
    )
    .await;
    assert_fails_with(&fetched, "checksum_mismatch");
    assert!(stderr(&fetched).contains(&tree::ensembl_gff3_name()));
    assert_no_usable_reference(&parent, &out);
    // The bad file is not kept for resuming: the next run fetches it whole and succeeds.
    mirror.clear_faults();
    let again = fetch(
        "ensembl",
        &mirror.url("ensembl/"),
        tree::ENSEMBL_RELEASE,
        &out,
        &[],
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    let gff3_requests = mirror.requests_for(&gff3);
    assert_eq!(
        gff3_requests.last().unwrap().range,
        None,
        "{gff3_requests:?}"
    );
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_download_cut_midway_is_resumed_with_a_range_request() {
    let mirror = mirror().await;
    let fasta = refseq_fasta_path();
    let cut = file_len(&fasta) / 2;
    mirror.set_fault(
        &fasta,
        Fault::CutAfter {
            bytes: cut,
            times: 1,
        },
    );
    let parent = scratch("cut");
    let out = parent.join("ref");
    let fetched = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &[],
    )
    .await;
    assert!(fetched.status.success(), "{}", stderr(&fetched));
    let requests = mirror.requests_for(&fasta);
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(
        requests[1].range.as_deref(),
        Some(format!("bytes={cut}-").as_str())
    );
    assert!(
        stderr(&fetched).contains("[truncated]"),
        "{}",
        stderr(&fetched)
    );
    assert!(out.join("index.vepidx").is_file());
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn an_interrupted_run_resumes_from_its_part_file_on_the_next_run() {
    let mirror = mirror().await;
    let fasta = refseq_fasta_path();
    let cut = file_len(&fasta) / 3;
    mirror.set_fault(
        &fasta,
        Fault::CutAfter {
            bytes: cut,
            times: usize::MAX,
        },
    );
    let parent = scratch("resume");
    let out = parent.join("ref");
    let once = ["--attempts", "1"];
    let failed = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &once,
    )
    .await;
    assert_fails_with(&failed, "truncated");
    assert_no_usable_reference(&parent, &out);
    let part = parent
        .join(".ref.partial/downloads")
        .join(format!("{}.part", tree::refseq_fasta_name()));
    assert_eq!(std::fs::metadata(&part).unwrap().len(), cut);

    mirror.clear_faults();
    let resumed = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &once,
    )
    .await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let last = mirror.requests_for(&fasta).pop().unwrap();
    assert_eq!(last.range, Some(format!("bytes={cut}-")));
    assert!(out.join("index.vepidx").is_file());
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_server_that_ignores_range_is_read_again_from_the_start() {
    let mirror = mirror().await;
    let fasta = refseq_fasta_path();
    mirror.set_fault(
        &fasta,
        Fault::CutAfter {
            bytes: 4096,
            times: 1,
        },
    );
    let parent = scratch("ignore-range");
    let out = parent.join("ref");
    let once = ["--attempts", "1"];
    let failed = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &once,
    )
    .await;
    assert_fails_with(&failed, "truncated");

    mirror.set_fault(&fasta, Fault::IgnoreRange);
    let again = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &once,
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("ignored the range request"),
        "{}",
        stderr(&again)
    );
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_release_the_mirror_does_not_have_is_not_found() {
    let mirror = mirror().await;
    let parent = scratch("missing");
    let out = parent.join("ref");
    let fetched = fetch("ensembl", &mirror.url("ensembl/"), "114", &out, &[]).await;
    assert_fails_with(&fetched, "not_found");
    assert!(
        stderr(&fetched).contains("release-114/"),
        "{}",
        stderr(&fetched)
    );
    assert_no_usable_reference(&parent, &out);
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_stalled_server_is_a_typed_error_after_the_stall_timeout() {
    let mirror = mirror().await;
    let fasta = refseq_fasta_path();
    mirror.set_fault(&fasta, Fault::StallAfter { bytes: 1000 });
    let parent = scratch("stalled");
    let out = parent.join("ref");
    let started = Instant::now();
    let args = ["--stall-timeout-secs", "1", "--attempts", "2"];
    let fetched = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &args,
    )
    .await;
    assert_fails_with(&fetched, "stalled");
    // Two attempts of 1 s each plus the pause between them: well under the test's timeout.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(mirror.requests_for(&fasta).len(), 2);
    assert_no_usable_reference(&parent, &out);
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_slow_but_steady_server_is_waited_for() {
    let mirror = mirror().await;
    let gff3 = format!("{}/{}", tree::refseq_dir(), tree::refseq_gff3_name());
    mirror.set_fault(
        &gff3,
        Fault::Trickle {
            chunk: 2048,
            pause: Duration::from_millis(40),
        },
    );
    let parent = scratch("slow");
    let out = parent.join("ref");
    let args = ["--stall-timeout-secs", "1"];
    let fetched = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &args,
    )
    .await;
    assert!(fetched.status.success(), "{}", stderr(&fetched));
    assert_eq!(mirror.requests_for(&gff3).len(), 1, "no retry needed");
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn a_full_disk_is_disk_full() {
    let mirror = mirror().await;
    let parent = scratch("full");
    let out = parent.join("ref");
    // The download's .part file is /dev/full: every write fails with ENOSPC.
    let downloads = parent.join(".ref.partial/downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let part = downloads.join(format!("{}.part", tree::refseq_gff3_name()));
    std::os::unix::fs::symlink("/dev/full", &part).unwrap();
    let fetched = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &[],
    )
    .await;
    assert_fails_with(&fetched, "disk_full");
    assert_no_usable_reference(&parent, &out);
    std::fs::remove_dir_all(parent).unwrap();
}

#[tokio::test]
async fn another_reference_in_the_target_is_kept_unless_forced() {
    let mirror = mirror().await;
    let parent = scratch("exists");
    let out = parent.join("ref");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let fetched = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &[],
    )
    .await;
    assert_fails_with(&fetched, "exists");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let forced = fetch(
        "refseq",
        &mirror.url("ncbi/"),
        tree::REFSEQ_RELEASE,
        &out,
        &["--force"],
    )
    .await;
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(!out.join("notes.txt").exists());
    assert!(out.join("index.vepidx").is_file());
    std::fs::remove_dir_all(parent).unwrap();
}
