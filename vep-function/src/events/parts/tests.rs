//! Packing a chunk into parts: every input in exactly one part, each part within its budget,
//! and an input too big for any part reported instead of dropped.

use contract::annotation::{TranscriptConsequence, VariantAnnotation};
use contract::event::{AnnotatorInfo, Backend};

use super::*;

/// An annotation with `transcripts` consequences of distinct transcripts.
fn annotation(index: u64, transcripts: usize) -> VariantAnnotation {
    VariantAnnotation {
        input: format!("21 {} . C T", 25_000_000 + index),
        seq_region_name: "21".into(),
        start: 25_000_000 + index,
        end: 25_000_000 + index,
        allele_string: "C/T".into(),
        most_severe_consequence: "missense_variant".into(),
        input_index: Some(index),
        transcript_consequences: (0..transcripts)
            .map(|t| TranscriptConsequence {
                transcript_id: format!("ENST{:011}", index * 1000 + t as u64),
                gene_id: format!("ENSG{:011}", index),
                biotype: "protein_coding".into(),
                strand: 1,
                consequence_terms: vec!["missense_variant".into()],
                impact: "MODERATE".into(),
                variant_allele: "T".into(),
                hgvsc: Some(format!(
                    "ENST{:011}.1:c.{}C>T",
                    index * 1000 + t as u64,
                    t + 1
                )),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn chunk(first_index: u64, sizes: &[usize], failing: &[u64]) -> Annotated {
    let mut annotations = Vec::new();
    let mut errors = Vec::new();
    for (offset, &transcripts) in sizes.iter().enumerate() {
        let index = first_index + offset as u64;
        if failing.contains(&index) {
            errors.push(VariantError {
                allele: None,
                code: "reference_mismatch".into(),
                input: "x".into(),
                input_index: index,
                message: "REF does not match".into(),
            });
        } else {
            annotations.push(annotation(index, transcripts));
        }
    }
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
        chunk_count: 3,
        chunk_index: 1,
        errors,
        first_index,
        part_count: 1,
        part_index: 0,
        session_id: "s-1".into(),
        variant_count: sizes.len() as u64,
    }
}

/// Decodes every part and checks the ranges tile the chunk and each index of a part's range
/// has its entries in that part, and no other.
fn check_tiling(chunk: &Annotated, packed: &Packed, max_data: usize) -> Vec<Annotated> {
    let mut next = chunk.first_index;
    let mut decoded = Vec::new();
    for (i, part) in packed.parts.iter().enumerate() {
        assert!(
            part.data.len() <= max_data,
            "part {i}: {} bytes",
            part.data.len()
        );
        assert_eq!(part.first_index, next, "parts are contiguous");
        next += part.variant_count;
        let d = contract::wire::decode(&part.data).unwrap();
        assert_eq!(
            (d.part_index, d.part_count),
            (i as u32, packed.parts.len() as u32)
        );
        assert_eq!(
            (d.first_index, d.variant_count),
            (part.first_index, part.variant_count)
        );
        assert_eq!((d.chunk_index, d.chunk_count), (1, 3));
        let range = part.first_index..part.first_index + part.variant_count;
        let mut seen: Vec<u64> = d
            .annotations
            .iter()
            .map(|a| a.input_index.unwrap())
            .chain(d.errors.iter().map(|e| e.input_index))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen,
            range.collect::<Vec<_>>(),
            "part {i} covers exactly its range"
        );
        decoded.push(d);
    }
    assert_eq!(
        next,
        chunk.first_index + chunk.variant_count,
        "every input in a part"
    );
    decoded
}

#[test]
fn a_small_chunk_is_one_part_equal_to_the_whole() {
    let c = chunk(250, &[3, 1, 2], &[251]);
    let packed = pack(&c, 1_000_000);
    assert_eq!(packed.parts.len(), 1);
    let decoded = check_tiling(&c, &packed, 1_000_000);
    assert_eq!(decoded[0].annotations, c.annotations);
    assert_eq!(decoded[0].errors, c.errors);
    assert!(packed.too_large.is_empty());
}

#[test]
fn a_big_chunk_is_split_into_contiguous_parts_each_within_the_budget() {
    let sizes: Vec<usize> = (0..300).map(|i| 1 + (i * 7) % 40).collect();
    let c = chunk(1000, &sizes, &[1003, 1150, 1299]);
    let max_data = 64 * 1024;
    let packed = pack(&c, max_data);
    assert!(packed.parts.len() > 3, "{} parts", packed.parts.len());
    let decoded = check_tiling(&c, &packed, max_data);
    let annotations: Vec<_> = decoded.iter().flat_map(|d| d.annotations.clone()).collect();
    assert_eq!(
        annotations, c.annotations,
        "nothing lost, nothing reordered"
    );
    let errors: Vec<_> = decoded.iter().flat_map(|d| d.errors.clone()).collect();
    assert_eq!(errors, c.errors);
}

#[test]
fn an_input_too_big_for_any_part_gets_result_too_large_and_the_rest_is_kept() {
    // Input 11 has 3000 transcripts: far more than 64 KiB.
    let c = chunk(10, &[2, 3000, 2, 2], &[]);
    let max_data = 64 * 1024;
    let packed = pack(&c, max_data);
    assert_eq!(packed.too_large, vec![11]);
    let decoded = check_tiling(&c, &packed, max_data);
    let errors: Vec<_> = decoded.iter().flat_map(|d| d.errors.clone()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].input_index, errors[0].code.as_str()),
        (11, RESULT_TOO_LARGE)
    );
    assert_eq!(errors[0].input, "21 25000011 . C T");
    let kept: Vec<u64> = decoded
        .iter()
        .flat_map(|d| d.annotations.iter().map(|a| a.input_index.unwrap()))
        .collect();
    assert_eq!(kept, vec![10, 12, 13]);
}
