//! Large inputs through the real binaries on loopback: chunk deadlines (a function that
//! never answers), and the REST upload path (API.md) end to end with 100k variants.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::cluster::{start_replica, RedisServer};
use e2e::process::{start_function, start_gateway, start_pipeline};
use e2e::recorder::Recorder;
use e2e::rest::{download, http, poll_until_complete, status_of, upload, upload_for};
use e2e::trigger::{annotate, deliver};
use e2e::variants::generate_vcf;
use e2e::ws::Client;
use serde_json::{json, Value};

/// Collects frames until `complete`; chunk errors carry the request id, so `Client::analyze`
/// (which stops at the first error) is not enough here.
async fn until_complete(client: &mut Client, timeout: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let f = client.next_json(timeout).await;
        let done = f["type"] == "complete";
        frames.push(f);
        if done {
            return frames;
        }
    }
}

fn of_type<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == ty).collect()
}

/// The recorder stands in for a broker that accepts every chunk and never delivers a
/// result: only the deadline can end the analysis.
#[tokio::test]
async fn chunks_that_never_return_time_out_into_typed_errors_and_the_analysis_completes() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("CHUNK_SIZE", "2".into()),
            ("CHUNK_TIMEOUT_SECS", "1".into()),
        ],
    )
    .await;
    let mut client = Client::connect(&gateway.ws_url()).await;
    client
        .send_json(&json!({"type": "analyze", "request_id": "r1",
            "variants": ["21 25585733 . C T", "21 25585734 . G A", "21 25585735 . A G"]}))
        .await;
    let frames = until_complete(&mut client, Duration::from_secs(15)).await;
    assert_eq!(frames[0]["type"], "accepted", "{frames:?}");
    let errors = of_type(&frames, "error");
    let mut chunks: Vec<u64> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["code"], "chunk_timeout", "{e}");
            e["chunk_index"]
                .as_u64()
                .expect("chunk error names its chunk")
        })
        .collect();
    chunks.sort_unstable();
    assert_eq!(chunks, vec![0, 1]);
    let complete = frames.last().expect("complete");
    assert_eq!(
        (complete["annotated"].as_u64(), complete["failed"].as_u64()),
        (Some(0), Some(3))
    );
    // Nothing more follows: each chunk timed out once.
    assert!(client.drain(Duration::from_millis(1500)).await.is_empty());
}

/// Two replicas watch the same deadlines in Redis; the store's bookkeeping lets exactly one
/// timeout record per chunk through, whichever replica notices first.
#[tokio::test]
async fn with_two_replicas_each_chunk_times_out_exactly_once() {
    let redis = RedisServer::start().await;
    let broker = Recorder::start(202).await;
    let extra = [
        ("CHUNK_SIZE", "1".to_owned()),
        ("CHUNK_TIMEOUT_SECS", "1".to_owned()),
    ];
    let a = start_replica(&broker.url(), &redis, &extra).await;
    let _b = start_replica(&broker.url(), &redis, &extra).await;
    let mut client = Client::connect(&a.ws_url()).await;
    let variants: Vec<String> = (0..6)
        .map(|i| format!("21 {} . C T", 25585733 + i))
        .collect();
    client
        .send_json(&json!({"type": "analyze", "request_id": "r1", "variants": variants}))
        .await;
    let frames = until_complete(&mut client, Duration::from_secs(15)).await;
    let mut chunks: Vec<u64> = of_type(&frames, "error")
        .iter()
        .map(|e| e["chunk_index"].as_u64().expect("chunk index"))
        .collect();
    chunks.sort_unstable();
    assert_eq!(chunks, (0..6).collect::<Vec<u64>>(), "{frames:?}");
    let complete = frames.last().expect("complete");
    assert_eq!(complete["failed"], 6);
    assert!(client.drain(Duration::from_millis(1500)).await.is_empty());
}

const WAIT: Duration = Duration::from_secs(30);

/// Input indexes of a JSON Lines download, each with how many lines carry it and whether it
/// is an error line.
fn jsonl_indexes(text: &str) -> BTreeMap<u64, (usize, bool)> {
    let mut seen: BTreeMap<u64, (usize, bool)> = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("JSON line");
        let i = v["input_index"].as_u64().expect("input_index");
        let e = seen.entry(i).or_default();
        e.0 += 1;
        e.1 |= v.get("code").is_some();
    }
    seen
}

#[tokio::test]
async fn a_100k_variant_vcf_uploaded_over_rest_is_annotated_once_per_variant_with_bounded_memory() {
    const N: usize = 100_000;
    let vcf = generate_vcf(N, 7);
    let input_bytes = vcf.len();
    let (gateway, function) = start_pipeline().await;
    let started = Instant::now();
    let (code, accepted) = upload(&gateway, "", vcf).await;
    assert_eq!(code, 202, "{accepted}");
    assert_eq!(accepted["variant_count"], N as u64);
    let id = accepted["analysis_id"]
        .as_str()
        .expect("analysis id")
        .to_owned();

    let (status, seen) = poll_until_complete(&gateway, &id, Duration::from_secs(600)).await;
    let wall = started.elapsed();
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress went back: {seen:?}"
    );
    assert_eq!(status["total"], N as u64);
    assert_eq!(status["done"], N as u64, "{status}");

    let jsonl = download(&gateway, &id, "jsonl").await;
    let indexes = jsonl_indexes(&jsonl);
    assert_eq!(indexes.len(), N, "every variant accounted for");
    assert_eq!(*indexes.keys().next().expect("first"), 0);
    assert_eq!(*indexes.keys().last().expect("last"), N as u64 - 1);
    // One ALT per generated record: one line each, annotation or error, never both.
    assert!(
        indexes.values().all(|(n, _)| *n == 1),
        "a variant appears twice"
    );
    let failed = indexes.values().filter(|(_, e)| *e).count() as u64;
    assert_eq!(status["failed"].as_u64(), Some(failed));
    assert!(failed < N as u64 / 100, "{failed} of {N} failed");

    let vcf_out = download(&gateway, &id, "vcf").await;
    assert!(vcf_out.starts_with("##fileformat=VCFv4.2\n"));
    assert!(vcf_out.contains("\n##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|CANONICAL|MANE_SELECT\">\n"));
    let records: Vec<&str> = vcf_out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(records.len(), N);
    assert!(records.iter().all(|r| r
        .split('\t')
        .nth(7)
        .is_some_and(|i| i.contains("CSQ=") || i.contains("VEP_ERROR="))));
    assert!(records[0].starts_with("21\t"));

    let tsv = download(&gateway, &id, "tsv").await;
    let mut rows = tsv.lines();
    assert!(rows
        .next()
        .expect("header")
        .starts_with("#Uploaded_variation\tLocation\tAllele\tGene"));
    let rows: Vec<&str> = rows.collect();
    assert!(rows.len() >= N - failed as usize, "{} rows", rows.len());
    assert!(rows.iter().all(|r| r.split('\t').count() == 14));

    let gateway_kib = gateway.service.peak_rss_kib();
    let function_kib = function.peak_rss_kib();
    eprintln!(
        "100k upload: wall {wall:?} to complete, input {input_bytes} B, JSON Lines {} B, peak RSS gateway {gateway_kib} KiB, function {function_kib} KiB",
        jsonl.len()
    );
    // The results as JSON text are > 100 MiB (as parsed values several times that): a
    // gateway holding them, or a function holding the whole file's, would exceed these.
    let results_kib = jsonl.len() as u64 / 1024;
    assert!(
        results_kib > 100 * 1024,
        "results are only {results_kib} KiB"
    );
    assert!(
        gateway_kib < 96 * 1024,
        "gateway peak RSS {gateway_kib} KiB"
    );
    assert!(
        function_kib < 160 * 1024,
        "function peak RSS {function_kib} KiB"
    );
}

/// The gateway rebuilds VCF and TSV downloads from the function's JSON; the engine's CLI
/// writes them directly. On the same input both must say the same, byte for byte, records and
/// CSQ header alike (the layouts live in two crates that do not link each other).
#[tokio::test]
async fn downloads_match_what_the_engine_cli_writes_for_the_same_file() {
    let mut vcf = generate_vcf(3_000, 11);
    // Issue #17.6: a multi-allelic record with a bad ALT between good ones: the CSQ of the
    // good ones and the bad one's error, the same in both.
    vcf.extend_from_slice(b"21\t25585733\trs9\tC\tT,<script>,G\t.\t.\t.\n");
    let input = std::env::temp_dir().join(format!("e2e-cli-compare-{}.vcf", std::process::id()));
    std::fs::write(&input, &vcf).expect("write input");
    let (gateway, _function) = start_pipeline().await;
    let (code, accepted) = upload(&gateway, "", vcf).await;
    assert_eq!(code, 202, "{accepted}");
    let id = accepted["analysis_id"].as_str().expect("id").to_owned();
    poll_until_complete(&gateway, &id, Duration::from_secs(300)).await;

    for format in ["vcf", "tsv"] {
        let cli = std::process::Command::new(e2e::bin_dir().join("vep-function"))
            .args(["annotate", "--format", format, "--input"])
            .arg(&input)
            .output()
            .expect("vep-function annotate runs");
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let cli = String::from_utf8(cli.stdout).expect("UTF-8");
        let served = download(&gateway, &id, format).await;
        // Header lines that name the program or the run may differ; the layout may not.
        let comparable = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with("##") || l.starts_with("##INFO=<ID=CSQ"))
                .map(str::to_owned)
                .collect()
        };
        let (cli, served) = (comparable(&cli), comparable(&served));
        let partial = served
            .iter()
            .filter(|l| {
                l.contains("<script>: unsupported_allele")
                    || l.contains("<script>:%20unsupported_allele")
            })
            .count();
        assert_eq!(partial, 1, "{format}: the bad ALT is reported once");
        assert!(
            cli.len() > 3_000,
            "{format}: {} lines from the CLI",
            cli.len()
        );
        assert_eq!(cli.len(), served.len(), "{format}: line counts");
        for (i, (c, s)) in cli.iter().zip(&served).enumerate() {
            assert_eq!(c, s, "{format}: line {i} differs");
        }
    }
    let _ = std::fs::remove_file(&input);
}

#[tokio::test]
async fn an_invalid_line_is_refused_with_its_line_number_and_nothing_is_submitted() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[]).await;
    let body = "##fileformat=VCFv4.2\n21\t100\t.\tC\tT\n21\tabc\t.\tC\tT\n"
        .as_bytes()
        .to_vec();
    let (code, reply) = upload(&gateway, "", body).await;
    assert_eq!(code, 400, "{reply}");
    assert_eq!(reply["code"], "invalid_vcf");
    assert_eq!(
        reply["message"],
        "line 3: POS \"abc\" is not a positive integer"
    );
    let (code, reply) = upload(&gateway, "", b"##fileformat=VCFv4.2\n".to_vec()).await;
    assert_eq!((code, reply["code"].as_str()), (400, Some("empty_upload")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(broker.received().is_empty(), "nothing may be submitted");
}

#[tokio::test]
async fn upload_limits_are_typed_errors() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("MAX_UPLOAD_VARIANTS", "10".into()),
            ("MAX_UPLOAD_BYTES", "100000".into()),
        ],
    )
    .await;
    let (code, reply) = upload(&gateway, "", generate_vcf(11, 1)).await;
    assert_eq!(
        (code, reply["code"].as_str()),
        (413, Some("too_many_variants")),
        "{reply}"
    );
    let (code, reply) = upload(&gateway, "", vec![b'#'; 200_000]).await;
    assert_eq!(
        (code, reply["code"].as_str()),
        (413, Some("upload_too_large")),
        "{reply}"
    );
}

/// Chunks that never come back time out; the status completes and the download lists each
/// variant once with `chunk_timeout`.
#[tokio::test]
async fn uploaded_chunks_that_never_return_time_out_in_status_and_download() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(
        &broker.url(),
        &[
            ("UPLOAD_CHUNK_SIZE", "3".into()),
            ("CHUNK_TIMEOUT_SECS", "1".into()),
        ],
    )
    .await;
    let (code, accepted) = upload(&gateway, "", generate_vcf(7, 3)).await;
    assert_eq!(code, 202, "{accepted}");
    assert_eq!(accepted["chunk_count"], 3);
    let id = accepted["analysis_id"].as_str().expect("id");
    let (status, _) = poll_until_complete(&gateway, id, WAIT).await;
    assert_eq!(
        (status["annotated"].as_u64(), status["failed"].as_u64()),
        (Some(0), Some(7))
    );
    let jsonl = download(&gateway, id, "jsonl").await;
    let codes: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(codes, vec!["chunk_timeout"; 7]);
}

/// One chunk is annotated by the real function, the other fails in the function (an
/// `analysis.failed` event): the session sees result, progress, chunk error and complete;
/// the download has the annotations of one chunk and the failed chunk's code for the other.
#[tokio::test]
async fn a_failed_chunk_is_reported_to_the_session_and_in_the_download() {
    let broker = Recorder::start(202).await;
    let function = start_function(None, &[]).await;
    let gateway = start_gateway(&broker.url(), &[("UPLOAD_CHUNK_SIZE", "2".into())]).await;
    let mut client = Client::connect(&gateway.ws_url()).await;
    let (code, accepted) = upload_for(
        &gateway,
        &format!("?session={}&request_id=up-1", client.session_id),
        generate_vcf(4, 5),
        Some(&client.resume_secret),
    )
    .await;
    assert_eq!(code, 202, "{accepted}");
    let id = accepted["analysis_id"].as_str().expect("id").to_owned();
    let submitted = broker.wait_for(2, WAIT).await;
    let by_chunk = |i: u64| {
        submitted
            .iter()
            .find(|r| r.event()["data"]["chunk_index"] == i)
            .expect("chunk submitted")
    };
    assert_eq!(
        deliver(&gateway, &annotate(&function, by_chunk(0)).await).await,
        202
    );
    let failed = by_chunk(1).event();
    let data = json!({"analysis_id": id, "session_id": client.session_id, "chunk_index": 1,
        "chunk_count": 2, "variant_count": 2, "code": "annotator_crashed",
        "message": "the engine failed", "retryable": false});
    let headers = BTreeMap::from([
        ("ce-specversion".to_owned(), "1.0".to_owned()),
        ("ce-id".to_owned(), "failed-1".to_owned()),
        ("ce-source".to_owned(), "urn:test:function".to_owned()),
        (
            "ce-type".to_owned(),
            "dev.genomics.analysis.failed.v1".to_owned(),
        ),
        ("ce-sessionid".to_owned(), client.session_id.clone()),
        ("ce-analysisid".to_owned(), id.clone()),
        ("ce-partitionkey".to_owned(), format!("{id}:1")),
        ("content-type".to_owned(), "application/json".to_owned()),
    ]);
    assert_eq!(failed["analysisid"], id.as_str());
    let mut event = (headers, data.to_string().into_bytes());
    e2e::signing::sign(&mut event);
    assert_eq!(deliver(&gateway, &event).await, 202);

    let frames = until_complete(&mut client, WAIT).await;
    let types: Vec<&str> = frames
        .iter()
        .map(|f| f["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        ["result", "progress", "error", "complete"],
        "{frames:?}"
    );
    assert_eq!(frames[1]["done"], 2);
    assert_eq!(frames[1]["total"], 4);
    assert!(frames.iter().all(|f| f["request_id"] == "up-1"));
    assert_eq!(frames[2]["code"], "annotator_crashed");
    assert_eq!(frames[3]["failed"], 2);

    let jsonl = download(&gateway, &id, "jsonl").await;
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[..2]
        .iter()
        .all(|l| l.get("transcript_consequences").is_some()
            || l.get("most_severe_consequence").is_some()));
    assert!(lines[2..].iter().all(|l| l["code"] == "annotator_crashed"));
    let vcf = download(&gateway, &id, "vcf").await;
    assert_eq!(
        vcf.lines()
            .filter(|l| l.contains("VEP_ERROR=annotator_crashed"))
            .count(),
        2
    );
}

/// The API follows the WebSocket's rules: the bearer token when configured, and a browser
/// POST only from an allowed origin.
#[tokio::test]
async fn uploads_need_the_configured_token_and_an_allowed_origin() {
    let broker = Recorder::start(202).await;
    let gateway = start_gateway(&broker.url(), &[("AUTH_TOKEN", "s3cret".into())]).await;
    let body = generate_vcf(2, 9);
    let post = |auth: Option<&str>, origin: Option<&str>| {
        let mut req = http().post(gateway.url("/api/analyses")).body(body.clone());
        if let Some(a) = auth {
            req = req.header("authorization", format!("Bearer {a}"));
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(post(None, None).await.expect("reply")), 401);
    assert_eq!(status(post(Some("wrong"), None).await.expect("reply")), 401);
    let foreign = post(Some("s3cret"), Some("https://evil.example"))
        .await
        .expect("reply");
    assert_eq!(status(foreign), 403);
    let ok = post(Some("s3cret"), None).await.expect("reply");
    assert_eq!(status(ok), 202);
    let status_without_token = http()
        .get(gateway.url("/api/analyses/x"))
        .send()
        .await
        .expect("reply");
    assert_eq!(status_without_token.status().as_u16(), 401);
}

/// Two replicas sharing Redis and a RESULTS_DIR (as a shared volume would be): the upload
/// goes to replica A, the function delivers every result to replica B, and the session on A
/// gets only the summary frames it asked for; status and download work from either replica.
#[tokio::test]
async fn with_two_replicas_an_upload_completes_and_downloads_from_either_replica() {
    let redis = RedisServer::start().await;
    let results = std::env::temp_dir().join(format!("large-inputs-shared-{}", std::process::id()));
    let extra = [
        ("RESULTS_DIR", results.display().to_string()),
        ("UPLOAD_CHUNK_SIZE", "50".to_owned()),
    ];
    let idle = Recorder::start(202).await;
    let b = start_replica(&idle.url(), &redis, &extra).await;
    let function = start_function(Some(&b.events_url()), &[]).await;
    let a = start_replica(&function.url("/"), &redis, &extra).await;
    let mut client = Client::connect(&a.ws_url()).await;
    let (code, accepted) = upload_for(
        &a,
        &format!(
            "?session={}&request_id=big&frames=progress",
            client.session_id
        ),
        generate_vcf(500, 13),
        Some(&client.resume_secret),
    )
    .await;
    assert_eq!(code, 202, "{accepted}");
    let id = accepted["analysis_id"].as_str().expect("id").to_owned();
    let frames = until_complete(&mut client, WAIT).await;
    assert!(
        frames
            .iter()
            .all(|f| f["type"] == "progress" || f["type"] == "complete"),
        "{frames:?}"
    );
    let done: Vec<u64> = frames
        .iter()
        .filter(|f| f["type"] == "progress")
        .map(|f| f["done"].as_u64().expect("done"))
        .collect();
    assert_eq!(done.len(), 9, "one per chunk but the last");
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
    assert_eq!(
        frames
            .last()
            .map(|f| f["annotated"].as_u64().unwrap_or(0) + f["failed"].as_u64().unwrap_or(0)),
        Some(500)
    );
    for replica in [&a, &b] {
        assert_eq!(status_of(replica, &id).await["state"], "complete");
        let indexes = jsonl_indexes(&download(replica, &id, "jsonl").await);
        assert_eq!(indexes.len(), 500);
    }
    let _ = std::fs::remove_dir_all(results);
}
