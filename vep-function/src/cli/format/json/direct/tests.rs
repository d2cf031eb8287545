//! The JSON hot path writes the bytes of the general path (engine `VariantAnnotation` through
//! the shared writer), and declines what only the general path answers.

use std::path::Path;

use contract::annotation::KeyOrder;
use contract::output::json::push_annotation;

use super::super::super::direct::{
    engine_with_custom_sources, records_around_exon_edges, records_near_custom_records,
};
use super::*;
use crate::engine::notation::parse_input;

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
    let lines = records_around_exon_edges(&engine);
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
fn with_custom_sources_writes_the_same_objects_as_the_general_path() {
    let engine = engine_with_custom_sources();
    let mut direct = DirectJson::new(&engine);
    let mut with_records = 0;
    for line in records_near_custom_records(&engine) {
        let mut fast = Vec::new();
        assert!(direct.record(&line, &mut fast).is_some(), "declined {line}");
        let expected = general(&engine, &line);
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&expected),
            "{line}"
        );
        with_records += usize::from(fast.windows(20).any(|w| w == b"\"custom_annotations\""));
    }
    assert!(with_records >= 8, "{with_records}");
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
