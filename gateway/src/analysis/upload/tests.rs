//! Upload parsing: plain and gzip VCFs, header and record spooling, typed line errors.

use std::io::Write;

use super::*;
use crate::analysis::scratch::Scratch;

const LIMITS: UploadLimits = UploadLimits {
    max_bytes: 1 << 20,
    max_variants: 100,
    max_header_lines: 10,
    max_header_bytes: 1000,
};

fn parse_text(bytes: &[u8], limits: UploadLimits) -> (Result<Parsed, UploadError>, Scratch) {
    let dir = Scratch::new("gw-upload");
    let raw = dir.path().join("upload.raw");
    std::fs::write(&raw, bytes).expect("write");
    let file = std::fs::File::open(&raw).expect("open");
    (
        parse(file, dir.path(), limits, Chunker::new(1, 1 << 20)),
        dir,
    )
}

const VCF: &str = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n21\t25585733\trs1\tC\tT\t.\t.\tDP=3\n\n21\t25585734\t.\tG\tA,C\t.\t.\t.\n";

#[test]
fn plain_vcf_is_split_into_header_and_records() {
    let (parsed, dir) = parse_text(VCF.as_bytes(), LIMITS);
    assert_eq!(
        parsed.expect("valid"),
        Parsed {
            variants: 2,
            header_lines: 2,
            chunks: ChunkStarts::even(2, 1),
        }
    );
    let records = std::fs::read_to_string(dir.path().join("records.vcf")).expect("records");
    assert_eq!(records.lines().count(), 2);
    assert!(records.starts_with("21\t25585733\trs1\tC\tT\t.\t.\tDP=3\n"));
}

#[test]
fn chunks_are_cut_by_count_and_by_the_bytes_of_their_variants() {
    // 10 kB variants (the longest the annotator takes) and short ones: a budget of 15,000
    // bytes of variant text holds one long variant and short ones, at most 3 by count.
    let long = format!("21\t100\t.\t{}\tT", "C".repeat(9_980));
    let mut text = String::new();
    for line in ["21\t1\t.\tC\tT", &long, &long, &long, "21\t2\t.\tC\tT"] {
        text.push_str(line);
        text.push('\n');
    }
    for _ in 0..4 {
        text.push_str("21\t3\t.\tC\tT\n");
    }
    let dir = Scratch::new("gw-upload");
    let parsed =
        parse(text.as_bytes(), dir.path(), LIMITS, Chunker::new(3, 15_000)).expect("valid");
    assert_eq!(parsed.variants, 9);
    assert_eq!(parsed.chunks.as_slice(), &[0, 2, 3, 6, 9]);
}

#[test]
fn gzip_is_recognised_by_its_magic_bytes() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(VCF.as_bytes()).expect("gzip");
    let bytes = gz.finish().expect("gzip");
    let (parsed, _dir) = parse_text(&bytes, LIMITS);
    assert_eq!(parsed.expect("valid").variants, 2);
}

#[test]
fn a_bad_record_names_its_line() {
    let text = "#CHROM\tPOS\tID\tREF\tALT\n21\t100\t.\tC\tT\n21\tx12\t.\tC\tT\n";
    let (parsed, _dir) = parse_text(text.as_bytes(), LIMITS);
    let err = parsed.expect_err("invalid");
    assert_eq!(err.code(), "invalid_vcf");
    assert_eq!(
        err.to_string(),
        "line 3: POS \"x12\" is not a positive integer"
    );
    let (parsed, _dir) = parse_text(b"21 100 . C T\n", LIMITS);
    assert_eq!(
        parsed.expect_err("spaces").to_string(),
        "line 1: expected at least 5 tab-separated columns (CHROM POS ID REF ALT), found 1"
    );
}

#[test]
fn limits_and_empty_uploads_are_typed_errors() {
    let many: String = (1..=101).map(|i| format!("1\t{i}\t.\tA\tT\n")).collect();
    let (parsed, _dir) = parse_text(many.as_bytes(), LIMITS);
    assert_eq!(parsed.expect_err("too many").code(), "too_many_variants");
    let small = UploadLimits {
        max_bytes: 10,
        ..LIMITS
    };
    let (parsed, _dir) = parse_text(VCF.as_bytes(), small);
    assert_eq!(parsed.expect_err("too big").code(), "upload_too_large");
    let (parsed, _dir) = parse_text(b"##fileformat=VCFv4.2\n", LIMITS);
    assert_eq!(parsed.expect_err("empty").code(), "empty_upload");
    let (parsed, _dir) = parse_text(&[0x1f, 0x8b, 0, 1, 2, 3], LIMITS);
    assert_eq!(parsed.expect_err("corrupt").code(), "unreadable_upload");
}

#[test]
fn the_variant_is_the_first_five_columns() {
    assert_eq!(variant_of("1\t2\t.\tA\tT\t.\t.\tDP=1"), "1\t2\t.\tA\tT");
    assert_eq!(variant_of("1\t2\t.\tA\tT"), "1\t2\t.\tA\tT");
}

#[test]
fn a_header_over_its_line_or_byte_limit_is_refused_naming_the_limit() {
    let many = format!("{}21\t1\t.\tA\tT\n", "##x=1\n".repeat(11));
    let (parsed, _dir) = parse_text(many.as_bytes(), LIMITS);
    let e = parsed.expect_err("too many lines");
    assert_eq!(e.code(), "header_too_large");
    assert_eq!(e.to_string(), "the VCF header has more than 10 lines");
    let wide = format!("##x={}\n21\t1\t.\tA\tT\n", "y".repeat(1000));
    let (parsed, _dir) = parse_text(wide.as_bytes(), LIMITS);
    let e = parsed.expect_err("too many bytes");
    assert_eq!(e.to_string(), "the VCF header is larger than 1000 bytes");
}

#[test]
fn a_gzip_header_bomb_stops_at_the_limit_without_filling_the_disk() {
    // ~500 MB of `##` lines compress to well under 1 MB; parsing must stop at the limit.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let line = format!("##{}\n", "A".repeat(1000));
    for _ in 0..100_000 {
        gz.write_all(line.as_bytes()).expect("gzip");
    }
    let bomb = gz.finish().expect("gzip");
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let limits = UploadLimits {
        max_bytes: 1 << 30,
        max_header_lines: 1_000_000,
        max_header_bytes: 1 << 20,
        ..LIMITS
    };
    let (parsed, dir) = parse_text(&bomb, limits);
    assert_eq!(parsed.expect_err("bomb").code(), "header_too_large");
    let spooled = std::fs::metadata(dir.path().join("header.vcf")).map_or(0, |m| m.len());
    assert!(spooled <= 1 << 20, "{spooled} bytes spooled");
}
