//! A transcript's sequence as the consequence checks read it: the allele's place in cDNA
//! coordinates, the spliced coding sequence (cached per core for nearby variants) and bases
//! turned to the transcript's strand. Shared by `per_transcript` and `terminal_codons`.

use std::sync::Arc;

use super::codon::reverse_complement;
use super::engine::Engine;
use super::error::AnnotateError;
use crate::engine::input::Allele;
use crate::engine::models::transcript::{Strand, Transcript};

/// cDNA positions of the allele's first and last base in transcript order; for an
/// insertion its two flanking bases. VEP counts an insertion at an exon edge as inside the
/// exon, so a missing intronic flank takes the neighbouring cDNA position.
pub(super) fn cdna_pair(t: &Transcript, a: &Allele) -> (Option<u64>, Option<u64>) {
    let (lo, hi) = a.span();
    let (first, last) = match t.strand {
        Strand::Forward => (lo, hi),
        Strand::Reverse => (hi, lo),
    };
    let (c1, c2) = (t.cdna_position(first), t.cdna_position(last));
    if !a.is_insertion() {
        return (c1, c2);
    }
    match (c1, c2) {
        (Some(x), None) => (Some(x), Some(x + 1)),
        (None, Some(y)) if y > 1 => (Some(y - 1), Some(y)),
        other => other,
    }
}

/// Spliced sequence from the first CDS base to the transcript's 3' end, padded with `N`s
/// for an incomplete start phase (Ensembl's translateable sequence plus the 3' UTR).
/// Sorted input hits the same transcripts again and again, so recent ones are cached.
pub(super) fn coding_sequence(
    engine: &Engine,
    t: &Transcript,
) -> Result<Arc<Vec<u8>>, AnnotateError> {
    let key = (t.id.as_str(), t.start());
    if let Some(seq) = engine.coding_cache.get(key) {
        return Ok(seq);
    }
    let seq = Arc::new(build_coding_sequence(engine, t)?);
    engine.coding_cache.insert(key, Arc::clone(&seq));
    Ok(seq)
}

fn build_coding_sequence(engine: &Engine, t: &Transcript) -> Result<Vec<u8>, AnnotateError> {
    let (cs, _) = t.coding_cdna_range().unwrap_or((1, 1));
    let mut seq = vec![b'N'; t.cds_padding() as usize];
    let mut seen = 0u64;
    for e in &t.exons {
        let len = e.len();
        // Skip 5' UTR bases of this exon.
        let skip = (cs - 1).saturating_sub(seen).min(len);
        seen += len;
        if skip == len {
            continue;
        }
        let (lo, hi) = match t.strand {
            Strand::Forward => (e.start + skip, e.end),
            Strand::Reverse => (e.start, e.end - skip),
        };
        let bases = engine.genome.sequence(&t.chrom, lo, hi)?;
        match t.strand {
            Strand::Forward => seq.extend_from_slice(&bases),
            Strand::Reverse => seq.extend(reverse_complement(&bases)),
        }
    }
    Ok(seq)
}

pub(super) fn oriented(t: &Transcript, bases: &[u8]) -> Vec<u8> {
    match t.strand {
        Strand::Forward => bases.to_vec(),
        Strand::Reverse => reverse_complement(bases),
    }
}
