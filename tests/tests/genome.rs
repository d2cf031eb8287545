//! The genome-scale world, CI-sized: chr21 + chr22 of `../shared/tools/genome_world.py` (8,636
//! GENCODE-derived transcripts on a random 97 Mb reference, built by `tests/genome/setup.sh`,
//! which `make test-e2e` runs). Indexed with the real CLI, served with `VEP_INDEX`, annotated
//! through the event path: the function must answer what the CLI answers from the same index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::bin_dir;
use e2e::process::start_function;
use e2e::recorder::Received;
use e2e::schema::assert_conforms;
use e2e::trigger::annotate;
use serde_json::{json, Value};

/// The world `tests/genome/setup.sh` built, or `None` (loudly) when it has not been run.
/// Under CI a missing world is a failure: `make test-e2e` builds it first.
fn world() -> Option<PathBuf> {
    let dir = std::env::var_os("GENOME_WORLD_CI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = bin_dir().parent().map(PathBuf::from).unwrap_or_default();
            target.join("genome-world/chr21_22")
        });
    if dir.join(".done").is_file() && dir.join("variants_1000.vcf").is_file() {
        return Some(dir);
    }
    let message = format!(
        "genome world missing at {}: run `bash tests/genome/setup.sh {} chr21,chr22 1000` \
         (make test-e2e does)",
        dir.display(),
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("\n!!!!! SKIPPING the genome-world test: {message} !!!!!\n");
    None
}

fn vep_function(args: &[&str]) -> std::process::Output {
    let out = Command::new(bin_dir().join("vep-function"))
        .args(args)
        .output()
        .expect("run vep-function");
    assert!(
        out.status.success(),
        "vep-function {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Reference base at `pos` (1-based) of a plain FASTA, through its `.fai`.
fn base(fasta: &Path, chrom: &str, pos: u64) -> char {
    let fai = std::fs::read_to_string(fasta.with_extension("fa.fai")).unwrap();
    let fields: Vec<u64> = fai
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{chrom}\t")))
        .expect("contig in the .fai")
        .split('\t')
        .map(|f| f.parse().unwrap())
        .collect();
    let (offset, bases, width) = (fields[1], fields[2], fields[3]);
    let at = offset + (pos - 1) / bases * width + (pos - 1) % bases;
    let bytes = std::fs::read(fasta).unwrap();
    char::from(bytes[at as usize])
}

/// `n.1` of the first forward-strand lncRNA transcript on chr22, written with its real
/// reference base: a look-up by transcript id (the index's name tables).
fn hgvs_on_a_transcript(world: &Path) -> String {
    let gff = std::fs::read_to_string(world.join("genes.gff3")).unwrap();
    let rows: Vec<Vec<&str>> = gff
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    let transcript = rows
        .iter()
        .find(|r| r[0] == "22" && r[2] == "mRNA" && r[6] == "+" && r[8].contains("lncRNA"))
        .and_then(|r| {
            r[8].split(';')
                .find_map(|a| a.strip_prefix("ID=transcript:"))
        })
        .expect("a forward lncRNA on chr22");
    let parent = format!("Parent=transcript:{transcript};");
    let first_exon: u64 = rows
        .iter()
        .filter(|r| r[2] == "exon" && r[8].starts_with(&parent))
        .map(|r| r[3].parse().unwrap())
        .min()
        .expect("exons");
    let reference = base(&world.join("genome.fa"), "22", first_exon);
    let alternate = if reference == 'A' { 'G' } else { 'A' };
    format!("{transcript}:n.1{reference}>{alternate}")
}

/// A submitted event of `variants` as the gateway sends it (signed with the test key).
fn submitted(variants: &[String]) -> Received {
    let headers = e2e::trigger::submitted_headers("genome-1", "dev.genomics.variants.submitted.v1");
    let data = json!({
        "analysis_id": "a-1", "session_id": "s-1", "request_id": "r-1",
        "chunk_index": 0, "chunk_count": 1, "variants": variants
    });
    let mut event = (
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        data.to_string().into_bytes(),
    );
    e2e::signing::sign(&mut event);
    Received {
        method: "POST".into(),
        path: "/".into(),
        headers: event.0,
        body: event.1,
    }
}

/// The world indexed by the real CLI into `scratch`.
fn index(world: &Path, scratch: &Path) -> PathBuf {
    std::fs::create_dir_all(scratch).unwrap();
    let index = scratch.join("world.vepidx");
    let built = vep_function(&[
        "index",
        "--gff",
        world.join("genes.gff3").to_str().unwrap(),
        "--fasta",
        world.join("genome.fa").to_str().unwrap(),
        "--output",
        index.to_str().unwrap(),
    ]);
    let note = String::from_utf8_lossy(&built.stderr);
    assert!(note.contains("indexed 8636 transcript(s)"), "{note}");
    index
}

/// Whether `got` has every field of `want` with the same value (the function's scoring stage
/// adds fields to transcript consequences; the engine's own must be identical).
fn holds(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|found| holds(found, v))),
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(g, w)| holds(g, w))
        }
        _ => got == want,
    }
}

#[tokio::test]
async fn the_function_serves_an_indexed_genome_world_like_the_cli() {
    let Some(world) = world() else { return };
    let scratch = std::env::temp_dir().join(format!("e2e-genome-{}", std::process::id()));
    let index = index(&world, &scratch);

    // Every 40th record of the world's VCF (both chromosomes), a variant on a chromosome the
    // world lacks, and HGVS on a transcript of the index.
    let vcf = std::fs::read_to_string(world.join("variants_1000.vcf")).unwrap();
    let mut variants: Vec<String> = vcf
        .lines()
        .filter(|l| !l.starts_with('#'))
        .step_by(40)
        .map(String::from)
        .collect();
    assert!(variants.iter().any(|v| v.starts_with("21\t")));
    assert!(variants.iter().any(|v| v.starts_with("22\t")));
    variants.push("1\t12014\t.\tG\tC\t.\t.\t.".into());
    variants.push(hgvs_on_a_transcript(&world));

    let function =
        start_function(None, &[("VEP_INDEX", index.to_string_lossy().into_owned())]).await;
    let (headers, body) = annotate(&function, &submitted(&variants)).await;
    let mut event: BTreeMap<String, Value> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("ce-")?.to_string(), json!(v))))
        .collect();
    event.insert("datacontenttype".into(), json!(headers["content-type"]));
    let data = serde_json::to_value(contract::wire::decode(&body).expect("a v2 part")).unwrap();
    event.insert("data".into(), data.clone());
    assert_conforms(&json!(event));
    assert_eq!(event["type"], "dev.genomics.variants.annotated.v2");

    let errors: Vec<(u64, &str)> = data["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["input_index"].as_u64().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    let outside = variants.len() as u64 - 2;
    assert_eq!(errors, vec![(outside, "unknown_contig")], "{data}");

    // The CLI on the same inputs from the same index: one JSON line per input.
    let input = scratch.join("variants.txt");
    std::fs::write(&input, variants.join("\n")).unwrap();
    let cli = vep_function(&[
        "annotate",
        "--index",
        index.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let expected: Vec<Value> = String::from_utf8(cli.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let annotations = data["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), variants.len() - 1);
    for a in annotations {
        let i = a["input_index"].as_u64().unwrap() as usize;
        assert!(
            holds(a, &expected[i]),
            "input {i} ({}): the function answered {a}, the CLI {}",
            variants[i],
            expected[i]
        );
        assert!(
            a["transcript_consequences"]
                .as_array()
                .is_some_and(|t| !t.is_empty()),
            "input {i} lies in or near an exon: {a}"
        );
    }
    let hgvs = &annotations.last().unwrap()["transcript_consequences"];
    let transcript = variants.last().unwrap().split(':').next().unwrap();
    assert!(
        hgvs.as_array()
            .unwrap()
            .iter()
            .any(|t| t["transcript_id"] == transcript),
        "{hgvs}"
    );
    std::fs::remove_dir_all(scratch).ok();
}

/// Issue #16.1 with genome-scale results: the world's 1000 variants as one chunk (the size
/// the gateway cuts), through the real function to a K_SINK that records every event. Every
/// event is within the byte budget, headers included, and every input is answered in
/// exactly one part; with a budget five times smaller the same chunk comes in more parts,
/// still each within it, still every input once, and the same annotations.
#[tokio::test]
async fn a_1000_variant_genome_chunk_reaches_k_sink_in_parts_within_the_budget_each_input_once() {
    let Some(world) = world() else { return };
    let scratch = std::env::temp_dir().join(format!("e2e-genome-parts-{}", std::process::id()));
    let index = index(&world, &scratch);
    let vcf = std::fs::read_to_string(world.join("variants_1000.vcf")).unwrap();
    let variants: Vec<String> = vcf
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect();
    assert_eq!(variants.len(), 1000);
    let mut seen_annotations = Vec::new();
    for budget in [1_000_000usize, 200_000] {
        let sink = e2e::recorder::Recorder::start(202).await;
        let function = start_function(
            Some(&sink.url()),
            &[
                ("VEP_INDEX", index.to_string_lossy().into_owned()),
                ("EVENT_MAX_BYTES", budget.to_string()),
            ],
        )
        .await;
        let status = e2e::trigger::deliver_to(&function, &submitted(&variants)).await;
        assert_eq!(status, 202, "budget {budget}");
        let events = sink.received();
        let mut answered = vec![0u32; variants.len()];
        let mut annotations = Vec::new();
        let (mut largest, mut total) = (0, 0);
        for (i, r) in events.iter().enumerate() {
            // What the event takes as HTTP headers (`name: value` + CRLF) and body.
            let bytes: usize = r
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len() + 4)
                .sum::<usize>()
                + r.body.len();
            assert!(
                bytes <= budget,
                "budget {budget}: event {i} is {bytes} bytes"
            );
            largest = largest.max(bytes);
            total += r.body.len();
            let event = r.event();
            assert_conforms(&event);
            let d = &event["data"];
            assert_eq!(d["part_count"].as_u64(), Some(events.len() as u64));
            let first = d["first_index"].as_u64().unwrap();
            let count = d["variant_count"].as_u64().unwrap();
            let mut in_part = std::collections::BTreeSet::new();
            for entry in d["annotations"]
                .as_array()
                .unwrap()
                .iter()
                .chain(d["errors"].as_array().unwrap())
            {
                in_part.insert(entry["input_index"].as_u64().unwrap());
            }
            assert_eq!(
                in_part,
                (first..first + count).collect(),
                "part {i} answers its range"
            );
            for index in in_part {
                answered[index as usize] += 1;
            }
            annotations.extend(d["annotations"].as_array().unwrap().iter().cloned());
        }
        assert!(
            answered.iter().all(|&n| n == 1),
            "budget {budget}: every input in one part"
        );
        println!(
            "GENOME-PARTS\tbudget {budget}: {} parts, largest event {largest} bytes, {total} bytes of data for 1000 variants",
            events.len()
        );
        if budget == 200_000 {
            assert!(events.len() >= 3, "{} parts", events.len());
        }
        seen_annotations.push(annotations);
    }
    assert_eq!(
        seen_annotations[0], seen_annotations[1],
        "however split, the same annotations"
    );
    std::fs::remove_dir_all(scratch).ok();
}
