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
use serde_json::{json, Value};

/// The mirror's files, built once per test binary (a fixed place in the target directory,
/// replaced by each run, so runs leave nothing behind elsewhere).
fn mirror_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = bin_dir().with_file_name("e2e-reference-mirror");
        tree::build(&root).expect("mirror tree");
        root
    })
}

/// One test's own mirror server (faults are per server) and target directory `parent/ref`.
struct Case {
    mirror: Mirror,
    parent: PathBuf,
    out: PathBuf,
}

impl Case {
    async fn new(name: &str) -> Self {
        let mirror = Mirror::serve(mirror_root(), 0).await.expect("mirror");
        let parent =
            std::env::temp_dir().join(format!("e2e-reference-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        std::fs::create_dir_all(&parent).expect("scratch dir");
        let out = parent.join("ref");
        Self {
            mirror,
            parent,
            out,
        }
    }

    /// `reference fetch` of the mirrored Ensembl release into `out`.
    async fn ensembl(&self, extra: &[&str]) -> Output {
        let base = self.mirror.url("ensembl/");
        self.fetch("ensembl", &base, tree::ENSEMBL_RELEASE, extra)
            .await
    }

    /// `reference clinvar` from the mirror's NCBI tree into `out`.
    async fn clinvar(&self, extra: &[&str]) -> Output {
        let base = self.mirror.url("ncbi/");
        let out = self.out.to_string_lossy();
        let mut args = vec!["reference", "clinvar", "--out", &out, "--base-url", &base];
        args.extend_from_slice(extra);
        vep_function(&args).await
    }

    /// `reference fetch` of the mirrored RefSeq release into `out`.
    async fn refseq(&self, extra: &[&str]) -> Output {
        let base = self.mirror.url("ncbi/");
        self.fetch("refseq", &base, tree::REFSEQ_RELEASE, extra)
            .await
    }

    async fn fetch(&self, source: &str, base: &str, release: &str, extra: &[&str]) -> Output {
        let out = self.out.to_string_lossy();
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

    /// Nothing under `parent` is a loadable reference: no `out`, no index anywhere, and the
    /// work directory says it is incomplete.
    fn assert_no_usable_reference(&self) {
        assert!(
            !self.out.exists(),
            "{} must not exist after a failure",
            self.out.display()
        );
        let mut stack = vec![self.parent.clone()];
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
        let marker = std::fs::read_to_string(self.parent.join(".ref.partial/INCOMPLETE"))
            .expect("INCOMPLETE marker");
        assert!(marker.contains("fetch failed"), "{marker}");
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.parent);
    }
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

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_ok(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
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

fn refseq_fasta_path() -> String {
    format!("{}/{}", tree::refseq_dir(), tree::refseq_fasta_name())
}

fn file_len(path: &str) -> u64 {
    std::fs::metadata(mirror_root().join(path))
        .expect("mirrored file")
        .len()
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("reference.json")).expect("reference.json"))
        .expect("manifest JSON")
}

#[tokio::test]
async fn ensembl_reference_from_the_mirror_annotates_every_chromosome_through_the_gateway() {
    let case = Case::new("ensembl").await;
    assert_ok(&case.ensembl(&[]).await);
    let out = &case.out;
    let manifest = manifest(out);
    assert_eq!(manifest["source"], "ensembl");
    assert_eq!(manifest["assembly"], "GRCh38");
    assert_eq!(manifest["release"], tree::ENSEMBL_RELEASE);
    assert_eq!(manifest["transcripts"], 128);
    assert_eq!(manifest["genome"]["contigs"], tree::CHROMOSOMES.len());
    for file in manifest["files"].as_array().unwrap() {
        assert_eq!(file["checksum"]["algorithm"], "bsd_sum", "{file}");
    }
    let built = [
        "genome.fa.gz",
        "genome.fa.gz.fai",
        "genome.fa.gz.gzi",
        "index.vepidx",
    ];
    for name in built {
        assert!(out.join(name).is_file(), "{name}");
    }
    assert!(
        out.join(tree::ensembl_gff3_name()).is_file(),
        "gene models kept as downloaded"
    );
    assert!(!case.parent.join(".ref.partial").exists());

    // A second run finds the release there and downloads nothing.
    let before = case.mirror.requests().len();
    assert_ok(&case.ensembl(&[]).await);
    assert_eq!(case.mirror.requests().len(), before);

    // ClinVar into the same directory, recorded in its manifest.
    assert_ok(&case.clinvar(&[]).await);
    assert!(out.join("clinvar.vcf.gz").is_file() && out.join("clinvar.vcf.gz.tbi").is_file());
    assert!(!out.join(".clinvar.partial").exists());
    let fetched = self::manifest(out);
    let clinvar = &fetched["custom"][0];
    assert_eq!(clinvar["short_name"], "ClinVar");
    assert_eq!(clinvar["file"]["checksum"]["algorithm"], "md5");
    assert_eq!(clinvar["file"]["name"], "clinvar.vcf.gz");
    assert_eq!(clinvar["file_date"], "2026-11-28");

    // The directory moves whole: the index finds its genome relative to itself.
    let moved = case.parent.join("moved");
    std::fs::rename(out, &moved).unwrap();
    let env = vep_function(&["reference", "env", &moved.to_string_lossy()]).await;
    assert_ok(&env);
    let settings: Vec<(String, String)> = String::from_utf8_lossy(&env.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect();
    let gateway_env: Vec<(&str, String)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let custom = settings
        .iter()
        .find(|(k, _)| k == "VEP_CUSTOM")
        .map(|(_, v)| v.clone())
        .expect("reference env names the ClinVar source");
    assert!(
        custom.contains(&format!("file={}/clinvar.vcf.gz,", moved.display())),
        "{custom}"
    );
    let function_env = [
        ("VEP_INDEX", moved.to_string_lossy().into_owned()),
        ("VEP_CUSTOM", custom),
    ];
    let (gateway, _function) = start_pipeline_with(&function_env, &gateway_env).await;

    let hello = first_frame(&gateway.ws_url()).await;
    let expected =
        json!({"assembly": "GRCh38", "source": "ensembl", "release": "115", "transcripts": 128});
    assert_eq!(hello["reference"], expected, "{hello}");

    let mut client = Client::connect(&gateway.ws_url()).await;
    // One known variant per mirrored chromosome (MRPL39 and BRCA1 missense), and one outside.
    let variants = [
        "21 25585733 . C T",
        "17 43106487 . A C",
        "7 140753336 . A T",
    ];
    let frames = client.analyze("every-chromosome", &variants).await;
    let results: Vec<&Value> = frames.iter().filter(|f| f["type"] == "result").collect();
    let all = |field: &str| -> Vec<Value> {
        results
            .iter()
            .flat_map(|r| r[field].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let annotations = all("annotations");
    for (chrom, gene) in [("21", "MRPL39"), ("17", "BRCA1")] {
        let hit = annotations
            .iter()
            .find(|a| a["seq_region_name"] == chrom)
            .unwrap_or_else(|| panic!("no annotation on {chrom}: {frames:?}"));
        assert_eq!(hit["most_severe_consequence"], "missense_variant", "{hit}");
        assert!(hit.to_string().contains(gene), "{gene} in {hit}");
    }
    // The mirrored ClinVar record of the MRPL39 missense (a test record: SOURCE.md).
    let mrpl39 = annotations
        .iter()
        .find(|a| a["seq_region_name"] == "21")
        .unwrap();
    assert_eq!(
        mrpl39["custom_annotations"]["ClinVar"][0]["fields"]["CLNSIG"], "Pathogenic",
        "{mrpl39}"
    );
    let brca1 = annotations
        .iter()
        .find(|a| a["seq_region_name"] == "17")
        .unwrap();
    assert!(brca1.get("custom_annotations").is_none(), "{brca1}");
    let errors = all("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["code"], "unknown_contig");
    let message = errors[0]["message"].as_str().unwrap();
    let loaded = "ensembl release 115 (GRCh38, 128 transcripts)";
    assert!(message.contains(loaded), "{message}");
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
    use tokio::io::AsyncWriteExt;
    let case = Case::new("refseq").await;
    assert_ok(&case.refseq(&[]).await);
    let manifest = manifest(&case.out);
    assert_eq!(manifest["source"], "refseq");
    for file in manifest["files"].as_array().unwrap() {
        assert_eq!(file["checksum"]["algorithm"], "md5", "{file}");
    }

    let mut child = tokio::process::Command::new(bin_dir().join("vep-function"))
        .args(["annotate", "--format", "json", "--index"])
        .arg(case.out.join("index.vepidx"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
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
}

#[tokio::test]
async fn a_corrupted_download_is_a_checksum_mismatch_and_leaves_no_reference() {
    let case = Case::new("corrupt").await;
    let gff3 = format!("{}/{}", tree::ensembl_gff3_dir(), tree::ensembl_gff3_name());
    case.mirror.set_fault(&gff3, Fault::Corrupt { at: 1000 });
    let fetched = case.ensembl(&[]).await;
    assert_fails_with(&fetched, "checksum_mismatch");
    assert!(stderr(&fetched).contains(&tree::ensembl_gff3_name()));
    case.assert_no_usable_reference();
    // The bad file is not kept for resuming: the next run fetches it whole and succeeds.
    case.mirror.clear_faults();
    assert_ok(&case.ensembl(&[]).await);
    let last = case.mirror.requests_for(&gff3).pop().unwrap();
    assert_eq!(last.range, None);
}

#[tokio::test]
async fn a_corrupted_clinvar_download_is_a_checksum_mismatch_and_places_nothing() {
    let case = Case::new("clinvar-corrupt").await;
    std::fs::create_dir_all(&case.out).unwrap();
    let latest = format!("{}/clinvar.vcf.gz", tree::CLINVAR_DIR);
    case.mirror.set_fault(&latest, Fault::Corrupt { at: 100 });
    assert_fails_with(&case.clinvar(&[]).await, "checksum_mismatch");
    assert!(!case.out.join("clinvar.vcf.gz").exists());
    assert!(!case.out.join("clinvar.vcf.gz.tbi").exists());
    // A dated release the mirror has is found; one it has not is not_found.
    case.mirror.clear_faults();
    assert_ok(&case.clinvar(&["--release", tree::CLINVAR_RELEASE]).await);
    assert!(case.out.join("clinvar.vcf.gz").is_file());
    assert_fails_with(&case.clinvar(&["--release", "20000101"]).await, "not_found");
}

#[tokio::test]
async fn a_download_cut_midway_is_resumed_with_a_range_request() {
    let case = Case::new("cut").await;
    let fasta = refseq_fasta_path();
    let cut = file_len(&fasta) / 2;
    let fault = Fault::CutAfter {
        bytes: cut,
        times: 1,
    };
    case.mirror.set_fault(&fasta, fault);
    let fetched = case.refseq(&[]).await;
    assert_ok(&fetched);
    let requests = case.mirror.requests_for(&fasta);
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[1].range, Some(format!("bytes={cut}-")));
    assert!(
        stderr(&fetched).contains("[truncated]"),
        "{}",
        stderr(&fetched)
    );
    assert!(case.out.join("index.vepidx").is_file());
}

#[tokio::test]
async fn an_interrupted_run_resumes_from_its_part_file_on_the_next_run() {
    let case = Case::new("resume").await;
    let fasta = refseq_fasta_path();
    let cut = file_len(&fasta) / 3;
    let fault = Fault::CutAfter {
        bytes: cut,
        times: usize::MAX,
    };
    case.mirror.set_fault(&fasta, fault);
    let once = ["--attempts", "1"];
    assert_fails_with(&case.refseq(&once).await, "truncated");
    case.assert_no_usable_reference();
    let part = case
        .parent
        .join(".ref.partial/downloads")
        .join(format!("{}.part", tree::refseq_fasta_name()));
    assert_eq!(std::fs::metadata(&part).unwrap().len(), cut);

    case.mirror.clear_faults();
    assert_ok(&case.refseq(&once).await);
    let last = case.mirror.requests_for(&fasta).pop().unwrap();
    assert_eq!(last.range, Some(format!("bytes={cut}-")));
    assert!(case.out.join("index.vepidx").is_file());
}

#[tokio::test]
async fn a_server_that_ignores_range_is_read_again_from_the_start() {
    let case = Case::new("ignore-range").await;
    let fasta = refseq_fasta_path();
    let fault = Fault::CutAfter {
        bytes: 4096,
        times: 1,
    };
    case.mirror.set_fault(&fasta, fault);
    let once = ["--attempts", "1"];
    assert_fails_with(&case.refseq(&once).await, "truncated");

    case.mirror.set_fault(&fasta, Fault::IgnoreRange);
    let again = case.refseq(&once).await;
    assert_ok(&again);
    assert!(
        stderr(&again).contains("ignored the range request"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn a_release_the_mirror_does_not_have_is_not_found() {
    let case = Case::new("missing").await;
    let base = case.mirror.url("ensembl/");
    let fetched = case.fetch("ensembl", &base, "114", &[]).await;
    assert_fails_with(&fetched, "not_found");
    assert!(
        stderr(&fetched).contains("release-114/"),
        "{}",
        stderr(&fetched)
    );
    case.assert_no_usable_reference();
}

#[tokio::test]
async fn a_stalled_server_is_a_typed_error_after_the_stall_timeout() {
    let case = Case::new("stalled").await;
    let fasta = refseq_fasta_path();
    case.mirror
        .set_fault(&fasta, Fault::StallAfter { bytes: 1000 });
    let started = Instant::now();
    let fetched = case
        .refseq(&["--stall-timeout-secs", "1", "--attempts", "2"])
        .await;
    assert_fails_with(&fetched, "stalled");
    // Two attempts of 1 s each plus the pause between them: well under the test's timeout.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(case.mirror.requests_for(&fasta).len(), 2);
    case.assert_no_usable_reference();
}

#[tokio::test]
async fn a_slow_but_steady_server_is_waited_for() {
    let case = Case::new("slow").await;
    let gff3 = format!("{}/{}", tree::refseq_dir(), tree::refseq_gff3_name());
    let pause = Duration::from_millis(40);
    case.mirror
        .set_fault(&gff3, Fault::Trickle { chunk: 2048, pause });
    assert_ok(&case.refseq(&["--stall-timeout-secs", "1"]).await);
    assert_eq!(case.mirror.requests_for(&gff3).len(), 1, "no retry needed");
}

#[tokio::test]
async fn a_full_disk_is_disk_full() {
    let case = Case::new("full").await;
    // The download's .part file is /dev/full: every write fails with ENOSPC.
    let downloads = case.parent.join(".ref.partial/downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let part = downloads.join(format!("{}.part", tree::refseq_gff3_name()));
    std::os::unix::fs::symlink("/dev/full", &part).unwrap();
    assert_fails_with(&case.refseq(&[]).await, "disk_full");
    case.assert_no_usable_reference();
}

#[tokio::test]
async fn another_reference_in_the_target_is_kept_unless_forced() {
    let case = Case::new("exists").await;
    std::fs::create_dir_all(&case.out).unwrap();
    std::fs::write(case.out.join("notes.txt"), "mine").unwrap();
    assert_fails_with(&case.refseq(&[]).await, "exists");
    assert_eq!(
        std::fs::read_to_string(case.out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_ok(&case.refseq(&["--force"]).await);
    assert!(!case.out.join("notes.txt").exists());
    assert!(case.out.join("index.vepidx").is_file());
}
