//! Threaded annotation writes what one thread writes, on the bundled chr21 data.

use std::path::Path;

use super::*;

fn engine() -> Engine {
    Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
}

/// A VCF of several parts: SNVs and indels on the bundled region (reference read from it),
/// with lines of every other outcome among them: reference mismatches, HGVS, unparsable
/// text, unknown contigs, blank lines and a comment after the first record.
fn mixed_input(engine: &Engine) -> String {
    let mut text = String::from(
        "##fileformat=VCFv4.2\n##source=test\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    );
    for (n, pos) in (25_000_000..25_600_000u64).step_by(127).enumerate() {
        let r = engine.genome().sequence("21", pos, pos + 2).unwrap();
        let r = String::from_utf8(r).unwrap();
        let first = &r[..1];
        let alt = if first == "A" { "G" } else { "A" };
        let line = match n % 13 {
            0 => format!("21\t{pos}\tv{n}\t{r}\t{first}\t.\t.\tDP=3"),
            1 => format!("21\t{pos}\tv{n}\t{first}\t{first}TT,{alt}\t.\t.\t."),
            2 => format!("21\t{pos}\tv{n}\tT\tTTT\t.\t.\t."),
            3 => format!("21:g.{pos}{first}>{alt}"),
            4 => "not a variant at all".to_string(),
            5 => format!("7\t{pos}\tv{n}\tA\tC\t.\t.\t."),
            6 => String::new(),
            7 => "# a comment among the records".to_string(),
            _ => format!("21\t{pos}\tv{n}\t{first}\t{alt}\t.\t.\t."),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn one_thread(engine: &Engine, format: OutputFormat, input: &str) -> (Vec<u8>, Summary) {
    let mut out = Vec::new();
    let mut state = PartState::new(engine);
    let summary = annotate_part(
        engine,
        &SequenceCaller::default(),
        format,
        &mut state,
        input.as_bytes(),
        &mut out,
        Part::WHOLE,
    )
    .unwrap();
    (out, summary)
}

fn threaded(engine: &Engine, format: OutputFormat, input: &str, n: usize) -> (Vec<u8>, Summary) {
    let mut out = Vec::new();
    let summary = annotate(
        engine,
        &SequenceCaller::default(),
        format,
        input.as_bytes(),
        &mut out,
        n,
    )
    .unwrap();
    (out, summary)
}

#[test]
fn every_format_is_byte_identical_to_one_thread_across_parts() {
    let engine = engine();
    let input = mixed_input(&engine);
    assert!(input.lines().count() > 3 * PART_LINES, "several parts");
    for format in [OutputFormat::Vcf, OutputFormat::Json, OutputFormat::Tsv] {
        let (want, want_summary) = one_thread(&engine, format, &input);
        assert!(want_summary.failed > 0 && want_summary.annotated > 1000);
        for n in [2, 3] {
            let (got, summary) = threaded(&engine, format, &input, n);
            assert_eq!(summary, want_summary, "{format:?} with {n} threads");
            assert!(got == want, "{format:?} with {n} threads: output differs");
        }
    }
}

#[test]
fn header_only_and_headerless_inputs_match_one_thread() {
    let engine = engine();
    let headerless: String = mixed_input(&engine)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    for input in [
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n",
        "",
        headerless.as_str(),
    ] {
        for format in [OutputFormat::Vcf, OutputFormat::Json, OutputFormat::Tsv] {
            assert!(
                threaded(&engine, format, input, 2) == one_thread(&engine, format, input),
                "{format:?}"
            );
        }
    }
}

#[test]
fn an_unreadable_line_stops_the_run_naming_its_line() {
    let engine = engine();
    let mut input = mixed_input(&engine).into_bytes();
    let lines_before = 2 * PART_LINES + 10;
    let at = input
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(lines_before - 1)
        .map(|(i, _)| i + 1)
        .unwrap();
    input.insert(at, 0xff);
    let mut out = Vec::new();
    let sequence = SequenceCaller::default();
    let err = annotate(
        &engine,
        &sequence,
        OutputFormat::Json,
        &input[..],
        &mut out,
        2,
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains(&format!("line {}", lines_before + 1)),
        "{err:#}"
    );
    // The parts before the failing one are written whole, in order.
    let written = String::from_utf8(out).unwrap();
    assert!(written.lines().count() >= PART_LINES);
}

/// `n` VCF records of the bundled region (reference read from it).
fn records(engine: &Engine, from: u64, n: usize) -> String {
    (0..n as u64)
        .map(|i| {
            let pos = from + 37 * i;
            let r = engine.genome().sequence("21", pos, pos).unwrap()[0] as char;
            let alt = if r == 'A' { 'G' } else { 'A' };
            format!("21\t{pos}\t.\t{r}\t{alt}\t.\t.\t.\n")
        })
        .collect()
}

/// A FASTA record over three lines: 60 bases of chr21 with one change in the middle.
fn fasta_record(engine: &Engine, name: &str) -> String {
    let mut bases = engine
        .genome()
        .sequence("21", 25_585_704, 25_585_763)
        .unwrap();
    bases[29] = if bases[29] == b'C' { b'T' } else { b'C' };
    let bases = String::from_utf8(bases).unwrap();
    format!(">{name}\n{}\n{}\n", &bases[..30], &bases[30..])
}

#[test]
fn a_fasta_record_across_a_part_boundary_stays_one_input() {
    let engine = engine();
    // Part 1 would end right after the first record's `>` line (line PART_LINES), part 2
    // right after the second record's first sequence line.
    let mut input = records(&engine, 25_000_000, PART_LINES - 1);
    input.push_str(&fasta_record(&engine, "read_1"));
    input.push_str(&records(&engine, 25_100_000, PART_LINES - 2));
    input.push_str(&fasta_record(&engine, "read_2"));
    input.push_str(&records(&engine, 25_200_000, 10));
    for format in [OutputFormat::Vcf, OutputFormat::Json, OutputFormat::Tsv] {
        let (want, want_summary) = one_thread(&engine, format, &input);
        assert_eq!(want_summary.failed, 0, "{format:?}");
        let (got, summary) = threaded(&engine, format, &input, 2);
        assert_eq!(summary, want_summary, "{format:?}");
        assert!(got == want, "{format:?}: output differs from one thread");
    }
}

#[test]
fn a_fasta_record_past_the_length_limit_is_refused_whole_alike_with_threads() {
    let engine = engine();
    let max = SequenceCaller::default().settings().max_length;
    // A record of 3 x max letters in 10-letter lines (some indented, as pasted), which
    // straddles several part boundaries, then ordinary records.
    let mut input = records(&engine, 25_000_000, PART_LINES - 5);
    input.push_str(">chr21_whole\n");
    for i in 0..(3 * max / 10) {
        input.push_str(if i % 7 == 0 {
            " ACGTACGTAC\n"
        } else {
            "ACGTACGTAC\n"
        });
    }
    input.push_str(&records(&engine, 25_100_000, 20));
    for format in [OutputFormat::Vcf, OutputFormat::Json, OutputFormat::Tsv] {
        let (want, want_summary) = one_thread(&engine, format, &input);
        assert_eq!(want_summary.failed, 1, "{format:?}: the record, once");
        assert_eq!(want_summary.annotated, PART_LINES - 5 + 20, "{format:?}");
        let text = String::from_utf8(want.clone()).unwrap();
        assert!(text.contains("SEQUENCE_MAX_LENGTH"), "{format:?}");
        // What is kept of the record is bounded by the limit, not by the record.
        assert!(
            text.len() < 2 * max + 2_000_000,
            "{format:?}: {}",
            text.len()
        );
        for n in [2, 3] {
            let (got, summary) = threaded(&engine, format, &input, n);
            assert_eq!(summary, want_summary, "{format:?} with {n} threads");
            assert!(got == want, "{format:?} with {n} threads: output differs");
        }
    }
}
