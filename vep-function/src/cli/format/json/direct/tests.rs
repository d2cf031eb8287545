use std::path::Path;

use contract::annotation::KeyOrder;
use contract::output::json::push_annotation;

use super::*;
use crate::engine::notation::parse_input;

/// Records around every exon edge of the bundled chr21 models (SNVs, deletions, insertions,
/// a multi-allelic record, both strands, UTRs, splice sites, intergenic flanks), with an ID
/// on some, and the BRCA1 RefSeq models (versioned ids, MANE, HGNC).
fn records(engine: &Engine) -> Vec<String> {
    let mut lines = Vec::new();
    for t in engine.models().iter() {
        let chrom = t.chrom.as_str();
        for e in &t.exons {
            for pos in [e.start - 3, e.start, e.end, e.end + 2, e.end + 6000] {
                let Ok(r) = engine.genome().sequence(chrom, pos, pos + 3) else {
                    continue;
                };
                let Ok(r) = String::from_utf8(r) else {
                    continue;
                };
                if r.contains('N') {
                    continue;
                }
                let snv = if &r[..1] == "A" { "G" } else { "A" };
                let other = if &r[..1] == "C" { "T" } else { "C" };
                lines.push(format!(
                    "{chrom}\t{pos}\trs{pos}\t{}\t{snv}\t.\t.\t.",
                    &r[..1]
                ));
                lines.push(format!("{chrom}\t{pos}\t.\t{r}\t{}\t.\t.\tDP=3", &r[..1]));
                lines.push(format!(
                    "{chrom}\t{pos}\tv\"q\\\t{}\t{}TTA\t.\t.\t.\tGT\t0|1",
                    &r[..1],
                    &r[..1]
                ));
                lines.push(format!(
                    "{chrom}\t{pos}\t.\t{}\t{snv},{other},N\t.\t.\t.",
                    &r[..1]
                ));
            }
        }
    }
    lines
}

/// What the general path writes for a line: `VariantAnnotation`s through the shared writer.
fn general(engine: &Engine, line: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for v in parse_input(line, engine).expect("parses") {
        let a = engine.annotate(&v).expect("annotates");
        push_annotation(&mut out, &a, KeyOrder::Declared);
        out.push(b'\n');
    }
    out
}

#[test]
fn writes_the_same_objects_as_the_general_path() {
    let engine = Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
    let lines = records(&engine);
    assert!(lines.len() > 2000, "{}", lines.len());
    assert!(lines.iter().any(|l| l.starts_with("17\t")), "BRCA1 covered");
    let mut direct = DirectJson::new(&engine);
    for line in &lines {
        let mut fast = Vec::new();
        let taken = direct.record(line, &mut fast);
        assert!(taken.is_some(), "the direct path declined {line}");
        let expected = general(&engine, line);
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&expected),
            "{line}"
        );
    }
}

#[test]
fn declines_what_only_the_general_path_can_answer_and_writes_nothing() {
    let engine = Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
    let mut direct = DirectJson::new(&engine);
    let mut out = b"kept".to_vec();
    for line in [
        "21\t25585733\trs1\tG\tT\t.\t.\t.",   // reference mismatch
        "21\t25585733\trs1\tc\tT\t.\t.\t.",   // lower case
        "21 25585733 rs1 C T . . .",          // spaces
        "21\t25585733\trs1\tC\tT",            // no INFO column
        "22\t25585733\trs1\tC\tT\t.\t.\t.",   // unknown contig
        "21\t25585733\trs1\tC\tT,*\t.\t.\t.", // spanning deletion
        "21:g.25585733C>T",
    ] {
        assert_eq!(direct.record(line, &mut out), None, "{line}");
        assert_eq!(out, b"kept");
    }
    assert_eq!(
        direct.record("21\t25585733\trs1\tC\tT,G\t.\t.\t.", &mut out),
        Some(2)
    );
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 2);
}
