//! Chunk cutting: order, indexes and the one-chunk case.

use super::*;

fn variants(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1 {} . A T", 1000 + i)).collect()
}

#[test]
fn chunking_keeps_order_and_indexes() {
    let chunks = chunk(variants(5), Chunker::new(2, 1 << 20));
    assert_eq!(chunks.len(), 3);
    assert_eq!(
        chunks
            .iter()
            .map(|c| (c.index, c.count, c.first_index, c.variants.len()))
            .collect::<Vec<_>>(),
        vec![(0, 3, 0, 2), (1, 3, 2, 2), (2, 3, 4, 1)]
    );
    assert_eq!(chunks[2].variants, vec!["1 1004 . A T".to_owned()]);
}

#[test]
fn chunk_larger_than_input_gives_one_chunk() {
    let chunks = chunk(variants(3), Chunker::new(1000, 1 << 20));
    assert_eq!(chunks.len(), 1);
    assert_eq!((chunks[0].index, chunks[0].count), (0, 1));
}
