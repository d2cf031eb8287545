//! The compact encoding: what goes in comes out, Ensembl's pass-through fields included,
//! smaller than JSON, and forged bytes are refused without panics or huge allocations.

use serde_json::{json, Value};

use super::*;
use crate::annotation::tests::{deleterious_condel, engine_like};
use crate::annotation::VariantAnnotation;
use crate::event::{Annotated, AnnotatorInfo, Backend, VariantError};

pub(crate) fn part(annotations: Vec<VariantAnnotation>, errors: Vec<VariantError>) -> Annotated {
    Annotated {
        analysis_id: "a-1".into(),
        annotations,
        annotator: AnnotatorInfo {
            assembly: Some("GRCh38".into()),
            backend: Backend::Local,
            gene_models: None,
            reference: None,
            version: "test".into(),
        },
        chunk_count: 4,
        chunk_index: 2,
        errors,
        first_index: 500,
        part_count: 3,
        part_index: 1,
        session_id: "s-1".into(),
        variant_count: 2,
    }
}

fn error(index: u64, allele: Option<&str>) -> VariantError {
    VariantError {
        allele: allele.map(str::to_owned),
        code: "invalid_allele".into(),
        input: "21 25585733 . C T,<script>".into(),
        input_index: index,
        message: "ALT <script> is not a sequence of A, C, G, T or N".into(),
    }
}

#[test]
fn a_part_decodes_to_what_was_encoded() {
    let mut a = engine_like();
    a.input_index = Some(500);
    let mut b = engine_like();
    b.input_index = Some(501);
    b.allele_string = "C/G".into();
    b.transcript_consequences[1].condel = Some(deleterious_condel(json!({"sift_score": 0.01})));
    b.transcript_consequences[0].sift_score = Some(serde_json::Number::from_f64(0.05).unwrap());
    b.transcript_consequences[0].hgvs_offset = Some(-3);
    let original = part(vec![a, b], vec![error(501, Some("<script>"))]);
    let bytes = encode(&original);
    assert!(bytes.starts_with(b"GVA\x02"));
    assert_eq!(decode(&bytes).unwrap(), original);
}

#[test]
fn pass_through_fields_and_odd_types_survive_byte_for_byte_as_json() {
    // What an Ensembl answer may hold: fields the type does not know, a known field of
    // another JSON type (kept in `extra`), nested objects.
    let answer = json!({
        "input": "x", "seq_region_name": "7", "start": 1, "end": 1, "strand": 1,
        "allele_string": "G/A", "most_severe_consequence": "missense_variant",
        "input_index": 0,
        "colocated_variants": [{"id": "rs1", "frequencies": {"A": {"gnomad": 0.25}}}],
        "transcript_consequences": [{
            "transcript_id": "ENST1", "gene_id": "ENSG1", "biotype": "protein_coding",
            "strand": -1, "consequence_terms": ["missense_variant"], "impact": "MODERATE",
            "variant_allele": "A", "hgnc_id": 1100, "canonical": true, "lof": "HC"
        }]
    });
    let a = VariantAnnotation::try_from(answer.clone()).unwrap();
    let mut p = part(vec![a], vec![]);
    p.first_index = 0;
    p.variant_count = 1;
    let back = decode(&encode(&p)).unwrap();
    let json: Value = serde_json::to_value(&back.annotations[0]).unwrap();
    assert_eq!(json, answer);
}

#[test]
fn repeated_text_is_stored_once_and_the_encoding_is_far_smaller_than_json() {
    let annotations: Vec<VariantAnnotation> = (0..200)
        .map(|i| {
            let mut a = engine_like();
            a.input_index = Some(i);
            a
        })
        .collect();
    let mut p = part(annotations, vec![]);
    p.first_index = 0;
    p.variant_count = 200;
    let bytes = encode(&p);
    let json = serde_json::to_vec(&p).unwrap();
    assert!(
        bytes.len() * 3 < json.len(),
        "wire {} bytes, JSON {} bytes",
        bytes.len(),
        json.len()
    );
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    assert_eq!(count(b"MRPL39"), 1, "one table entry for 200 uses");
    // HGVS is split at its colon: the versioned transcript goes to the table (where
    // `mane_select` already put it), only the change is written per row.
    assert_eq!(count(b"ENST00000352957.8"), 1);
    assert_eq!(count(b"c.991G>A"), 200);
}

#[test]
fn a_rolled_back_input_leaves_no_trace() {
    let mut a = engine_like();
    a.input_index = Some(500);
    let mut b = engine_like();
    b.input_index = Some(501);
    b.transcript_consequences[0].gene_symbol = Some("ONLY-IN-B".into());
    let header = PartHeader {
        analysis_id: "a-1",
        session_id: "s-1",
        chunk_index: 2,
        chunk_count: 4,
        first_index: 500,
        variant_count: 1,
        part_index: 0,
        part_count: 1,
        annotator: "{}".into(),
    };
    let mut w = PartWriter::default();
    w.push_annotation(&a);
    let (mark, len) = (w.mark(), w.len());
    w.push_annotation(&b);
    assert!(w.len() > len);
    w.rollback(mark);
    assert_eq!(w.len(), len);
    let mut alone = PartWriter::default();
    alone.push_annotation(&a);
    assert_eq!(w.finish(&header), alone.finish(&header));
}

#[test]
fn the_header_bound_holds_whatever_the_numbers() {
    let header = PartHeader {
        analysis_id: "a-1",
        session_id: "s-1",
        chunk_index: u32::MAX,
        chunk_count: u32::MAX,
        first_index: u64::MAX,
        variant_count: u64::MAX,
        part_index: u32::MAX,
        part_count: u32::MAX,
        annotator: PartHeader::annotator_json(&part(vec![], vec![]).annotator),
    };
    let bytes = PartWriter::default().finish(&header);
    assert!(bytes.len() <= header.max_len() + 2, "{} bytes", bytes.len());
}

#[test]
fn forged_bytes_are_typed_errors_never_panics() {
    let good = encode(&part(vec![engine_like()], vec![error(500, None)]));
    assert_eq!(decode(b"{\"json\":1}"), Err(WireError::Magic));
    // Every truncation is an error.
    for cut in 0..good.len() {
        assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        decode(&[good.as_slice(), b"x"].concat()),
        Err(WireError::Trailing(1))
    ));
    // A count far beyond the bytes left is refused before anything is allocated.
    let mut huge = encode(&part(vec![], vec![]));
    huge.truncate(huge.len() - 2); // the empty table and entry list
    huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(matches!(decode(&huge), Err(WireError::Count { .. })));
    // Flipping any byte never panics.
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x55;
        let _ = decode(&bad);
    }
}

#[test]
fn a_scan_reads_the_header_and_each_entrys_index_like_a_decode() {
    let mut a = engine_like();
    a.input_index = Some(500);
    let mut b = engine_like();
    b.input_index = Some(501);
    b.extra
        .insert("colocated_variants".into(), json!([{"id": "rs1"}]));
    let p = part(
        vec![a, b],
        vec![error(501, Some("<script>")), error(502, None)],
    );
    let bytes = encode(&p);
    let scanned = scan(&bytes).unwrap();
    assert_eq!(
        (
            scanned.first_index,
            scanned.variant_count,
            scanned.part_index,
            scanned.part_count
        ),
        (500, 2, 1, 3)
    );
    assert_eq!(scanned.analysis_id, "a-1");
    assert_eq!(
        scanned.entries,
        vec![
            (Some(500), true),
            (Some(501), true),
            (Some(501), false),
            (Some(502), false)
        ]
    );
    // As strict as a decode about structure: truncations and trailing bytes fail.
    for cut in 0..bytes.len() {
        assert!(scan(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    assert!(scan(&[bytes.as_slice(), b"x"].concat()).is_err());
}

#[test]
fn decoding_into_a_used_buffer_gives_what_a_fresh_decode_gives() {
    let mut a = engine_like();
    a.input_index = Some(500);
    let mut b = engine_like();
    b.input_index = Some(501);
    b.transcript_consequences.truncate(1);
    b.transcript_consequences[0].gene_symbol = None;
    b.id = None;
    b.extra
        .insert("colocated_variants".into(), json!([{"id": "rs1"}]));
    let big = part(
        vec![a.clone(), a.clone(), b.clone()],
        vec![error(502, None)],
    );
    let small = part(vec![b, a], vec![]);
    let mut buffer = decode(&encode(&big)).unwrap();
    for p in [&small, &big, &small] {
        decode_into(&encode(p), &mut buffer).unwrap();
        assert_eq!(&buffer, p);
    }
}

#[test]
fn custom_annotations_travel_natively_and_forged_ones_are_refused() {
    use crate::annotation::CustomAnnotation;
    let mut a = engine_like();
    a.input_index = Some(500);
    let clinvar = |name: &str, sig: &str| CustomAnnotation {
        name: name.into(),
        allele: Some("T".into()),
        fields: [
            ("CLNSIG".to_owned(), sig.to_owned()),
            ("FILTER".into(), ".".into()),
        ]
        .into_iter()
        .collect(),
    };
    a.custom_annotations.insert(
        "ClinVar".into(),
        vec![clinvar("11236", "Pathogenic"), clinvar("9", "Benign")],
    );
    a.custom_annotations.insert(
        "gnomAD".into(),
        vec![CustomAnnotation {
            name: "21:100-100".into(),
            allele: None,
            fields: Default::default(),
        }],
    );
    let original = part(vec![a], vec![]);
    let bytes = encode(&original);
    assert_eq!(decode(&bytes).unwrap(), original);
    let mut reused = part(vec![engine_like()], vec![]);
    decode_into(&bytes, &mut reused).unwrap();
    assert_eq!(reused, original);
    assert_eq!(scan(&bytes).unwrap().entries, vec![(Some(500), true)]);
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x55;
        let _ = decode(&bad);
    }
}

fn with_custom(records: Vec<(&str, crate::annotation::CustomAnnotation)>) -> Vec<u8> {
    let mut a = engine_like();
    a.input_index = Some(500);
    for (source, record) in records {
        a.custom_annotations
            .entry(source.to_owned())
            .or_default()
            .push(record);
    }
    encode(&part(vec![a], vec![]))
}

fn record(allele: &str, fields: &[(&str, &str)]) -> crate::annotation::CustomAnnotation {
    crate::annotation::CustomAnnotation {
        name: "1".into(),
        allele: Some(allele.into()),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn replace(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("marker in the part");
    bytes[at..at + to.len()].copy_from_slice(to);
}

#[test]
fn one_long_table_string_referenced_many_times_is_refused_before_it_is_copied() {
    // 100 kB stored once, referenced by 2000 records: 0.1 MB on the wire, 200 MB if copied.
    let long = "A".repeat(100_000);
    let bytes = with_custom((0..2000).map(|_| ("ClinVar", record(&long, &[]))).collect());
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    assert!(matches!(decode(&bytes), Err(WireError::Expansion { .. })));
    let mut into = part(vec![], vec![]);
    assert!(matches!(
        decode_into(&bytes, &mut into),
        Err(WireError::Expansion { .. })
    ));
    // The ingest scan copies nothing and still reads the structure.
    assert_eq!(scan(&bytes).unwrap().entries, vec![(Some(500), true)]);
}

#[test]
fn many_empty_objects_are_refused_within_the_budget() {
    // Annotations with no field take 2 bytes each and ~0.5 kB once built.
    let mut bytes = encode(&part(vec![], vec![]));
    let n: usize = 400_000;
    bytes.pop(); // the empty entry list's count
    let mut count = Vec::new();
    let mut v = n as u64;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            count.push(b);
            break;
        }
        count.push(b | 0x80);
    }
    bytes.extend_from_slice(&count);
    for _ in 0..n {
        bytes.extend_from_slice(&[0x00, 0x00]);
    }
    assert!(matches!(decode(&bytes), Err(WireError::Expansion { .. })));
}

#[test]
fn a_source_or_field_named_twice_is_refused() {
    let mut bytes = with_custom(vec![
        ("SourceQ1", record("T", &[("CLNSIG", "x")])),
        ("SourceQ2", record("T", &[("CLNSIG", "x")])),
    ]);
    assert!(decode(&bytes).is_ok());
    replace(&mut bytes, b"SourceQ2", b"SourceQ1");
    assert_eq!(
        decode(&bytes),
        Err(WireError::Duplicate {
            what: "source",
            key: "SourceQ1".into()
        })
    );
    let mut bytes = with_custom(vec![(
        "ClinVar",
        record("T", &[("KeyZ1", "x"), ("KeyZ2", "y")]),
    )]);
    replace(&mut bytes, b"KeyZ2", b"KeyZ1");
    assert_eq!(
        decode(&bytes),
        Err(WireError::Duplicate {
            what: "field",
            key: "KeyZ1".into()
        })
    );
}
