//! One transcript's consequences for one allele (VEP's TranscriptVariationAllele).

use super::{
    terminal_codons::{start_codon_kept, stop_codon_kept_into_utr, stop_kept_by_indel},
    Allele, AnnotateError, Engine, UPSTREAM_DOWNSTREAM_DISTANCE,
};
use std::sync::Arc;

use crate::engine::{
    codon::{reverse_complement, CodonTable},
    consequence::{impact_of, CdsChange, CodingEffect, Consequence, Peptides, SpliceEffects},
    hgvs,
    output::TranscriptConsequence,
    transcript::{Strand, Transcript},
};

fn overlap(s1: u64, e1: u64, s2: u64, e2: u64) -> bool {
    e1 >= s2 && s1 <= e2
}

/// Returns `None` when the transcript is too far away to be reported.
pub(super) fn transcript_consequence(
    engine: &Engine,
    t: &Transcript,
    a: &Allele,
) -> Result<Option<(TranscriptConsequence, Consequence)>, AnnotateError> {
    let forward = t.strand == Strand::Forward;
    let (t_start, t_end) = (t.start(), t.end());
    let mut terms: Vec<Consequence> = Vec::with_capacity(4);
    let mut tc = empty(t, a);
    if !overlap(a.start, a.end, t_start, t_end) {
        let (before, after) = (a.end < t_start, a.start > t_end);
        // VEP measures an insertion from its flanking bases in swapped order.
        let (lo, hi) = a.span();
        let distance = if before {
            t_start - hi
        } else if after {
            lo - t_end
        } else {
            return Ok(None);
        };
        if distance > UPSTREAM_DOWNSTREAM_DISTANCE {
            return Ok(None);
        }
        terms.push(if before == forward {
            Consequence::UpstreamGeneVariant
        } else {
            Consequence::DownstreamGeneVariant
        });
        tc.distance = Some(distance);
        return Ok(Some(finish(tc, terms)));
    }

    let deletion = a.alternate.len() < a.reference.len();
    if deletion && a.start <= t_start && a.end >= t_end {
        terms.push(Consequence::TranscriptAblation);
        return Ok(Some(finish(tc, terms)));
    }

    let exons: Vec<usize> = (0..t.exons.len())
        .filter(|&i| overlap(a.start, a.end, t.exons[i].start, t.exons[i].end))
        .collect();
    // Only the first and last overlapped intron are printed: no list needed.
    let mut introns = t
        .introns()
        .enumerate()
        .filter(|(_, i)| overlap(a.start, a.end, i.start, i.end))
        .map(|(n, _)| n);
    let intron_span = introns
        .next()
        .map(|first| [first, introns.last().unwrap_or(first)]);
    tc.exon = number(&exons, t.exons.len());
    tc.intron = number(
        intron_span.as_ref().map_or(&[][..], |s| &s[..]),
        t.exons.len().saturating_sub(1),
    );

    (tc.cdna_start, tc.cdna_end) = cdna_pair(t, a);

    let splice = SpliceEffects::compute(t, a.start, a.end);
    let alt_tx = oriented(t, &a.alternate);
    let mut coding_seq: Option<Arc<Vec<u8>>> = None;
    let mut change: Option<CdsChange> = None;
    let mut stop_kept = false;

    if let Some((cs, ce)) = t.coding_cdna_range() {
        let padding = t.cds_padding();
        // `Transcript::cds_len`, without mapping the CDS ends a second time.
        let cds_len = ce + 1 - cs + padding;
        let to_cds = |c: u64| {
            (c + padding + 1)
                .checked_sub(cs)
                .filter(|&p| p >= 1 && p <= cds_len)
        };
        tc.cds_start = tc.cdna_start.and_then(to_cds);
        tc.cds_end = tc.cdna_end.and_then(to_cds);
        tc.protein_start = tc.cds_start.map(|p| (p - 1) / 3 + 1);
        tc.protein_end = tc.cds_end.map(|p| (p - 1) / 3 + 1);

        let (utr5, in_cds, utr3) = regions(t, a, &exons, cs, ce);
        if in_cds {
            change = cds_change(t, a);
            if let Some(ch) = change {
                let seq = coding_sequence(engine, t)?;
                let table = CodonTable::for_chrom(&t.chrom);
                let peptides = Peptides::compute(&seq, cds_len, ch, &alt_tx, table);
                if let Some(p) = &peptides {
                    tc.amino_acids = Some(p.amino_acids());
                    tc.codons = Some(p.codons());
                }
                let touches_start_codon = match ch {
                    CdsChange::Replace { start, .. } => start <= 3,
                    CdsChange::Insert { after } => after < 3,
                };
                stop_kept = stop_kept_by_indel(engine, t, a, &seq, cds_len);
                CodingEffect {
                    peptides: peptides.as_ref(),
                    ref_len: a.reference.len(),
                    alt_len: a.alternate.len(),
                    touches_start_codon,
                    stop_kept_by_indel: stop_kept,
                }
                .terms(&mut terms);
                coding_seq = Some(seq);
            } else {
                // Partly outside the CDS (e.g. from the 5' UTR into the start codon): VEP
                // still checks whether an ATG remains where the start codon was.
                if let Some(retained) = start_codon_kept(engine, t, a, cs)? {
                    terms.push(if retained {
                        Consequence::StartRetainedVariant
                    } else {
                        Consequence::StartLost
                    });
                }
                if let Some(retained) = stop_codon_kept_into_utr(engine, t, a, cs, cds_len)? {
                    terms.push(if retained {
                        Consequence::StopRetainedVariant
                    } else {
                        Consequence::StopLost
                    });
                }
                terms.push(Consequence::CodingSequenceVariant);
            }
        }
        if utr5 {
            terms.push(Consequence::FivePrimeUtrVariant);
        }
        if utr3 {
            terms.push(Consequence::ThreePrimeUtrVariant);
        }
    } else if !exons.is_empty() {
        terms.push(Consequence::NonCodingTranscriptExonVariant);
    }

    for (flag, term) in [
        (splice.acceptor, Consequence::SpliceAcceptorVariant),
        (splice.donor, Consequence::SpliceDonorVariant),
        (
            splice.donor_5th_base,
            Consequence::SpliceDonor5thBaseVariant,
        ),
        (splice.region, Consequence::SpliceRegionVariant),
        (splice.donor_region, Consequence::SpliceDonorRegionVariant),
        (
            splice.polypyrimidine,
            Consequence::SplicePolypyrimidineTractVariant,
        ),
        (splice.intronic, Consequence::IntronVariant),
        (
            t.biotype == "nonsense_mediated_decay",
            Consequence::NmdTranscriptVariant,
        ),
        (
            !t.is_coding() && exons.is_empty(),
            Consequence::NonCodingTranscriptVariant,
        ),
    ] {
        if flag {
            terms.push(term);
        }
    }
    if terms.is_empty() {
        // Within the transcript span but touching neither exon nor intron body (e.g. an
        // insertion exactly at an exon edge): VEP still reports the transcript.
        terms.push(if t.is_coding() {
            Consequence::CodingSequenceVariant
        } else {
            Consequence::NonCodingTranscriptVariant
        });
    }

    // VEP names no protein change for a frameshift it calls stop_retained.
    let protein_change = change.filter(|_| !stop_kept);
    name_hgvs(
        engine,
        t,
        a,
        &mut tc,
        coding_seq.as_deref().map(Vec::as_slice),
        protein_change,
    );
    Ok(Some(finish(tc, terms)))
}

fn name_hgvs(
    engine: &Engine,
    t: &Transcript,
    a: &Allele,
    tc: &mut TranscriptConsequence,
    coding_seq: Option<&[u8]>,
    unshifted: Option<CdsChange>,
) {
    let fetch = |lo: u64, hi: u64| engine.bases(t, lo, hi);
    // A single-base substitution is already minimal and never shifts: skip the copies.
    let snv = a.reference.len() == 1 && a.alternate.len() == 1;
    let (shifted, moved) = if snv {
        (a.clone(), 0)
    } else {
        hgvs::shift_3prime(
            &a.minimal(),
            t.strand == Strand::Forward,
            (t.start(), t.end()),
            &fetch,
        )
    };
    tc.hgvsc = hgvs::hgvs_transcript(t, &shifted, &fetch);
    if moved > 0 && tc.hgvsc.is_some() {
        let moved = moved as i64;
        tc.hgvs_offset = Some(match t.strand {
            Strand::Forward => moved,
            Strand::Reverse => -moved,
        });
    }
    let (Some(seq), Some(unshifted), Some(cds_len)) = (coding_seq, unshifted, t.cds_len()) else {
        return;
    };
    // VEP names the protein change from the shifted allele; shifted out of the CDS (into an
    // intron), it has none.
    let (change, alt) = match cds_change(t, &shifted) {
        Some(c) => (c, oriented(t, &shifted.alternate)),
        None if moved == 0 => (unshifted, oriented(t, &a.alternate)),
        None => return,
    };
    let table = CodonTable::for_chrom(&t.chrom);
    if let Some(p) = hgvs::hgvs_protein(seq, cds_len, change, &alt, table) {
        let protein = t
            .coding
            .as_ref()
            .and_then(|c| c.protein_id.clone())
            .unwrap_or_else(|| t.versioned_id());
        tc.hgvsp = Some(format!("{protein}:p.{p}"));
    }
}

/// The change in CDS coordinates when the allele lies wholly inside the CDS exons.
pub(super) fn cds_change(t: &Transcript, a: &Allele) -> Option<CdsChange> {
    let (cs, _) = t.coding_cdna_range()?;
    let cds_len = t.cds_len()?;
    let padding = t.cds_padding();
    let (c1, c2) = cdna_pair(t, a);
    let (c1, c2) = (c1?, c2?);
    let to_cds = |c: u64| (c + padding + 1).checked_sub(cs);
    let (p1, p2) = (to_cds(c1)?, to_cds(c2)?);
    if a.is_insertion() {
        (c2 == c1 + 1 && p1 >= 1 && p1 < cds_len).then_some(CdsChange::Insert { after: p1 })
    } else {
        let spliced_len = c2 + 1 - c1;
        (spliced_len == a.reference.len() as u64 && p1 >= 1 && p2 <= cds_len)
            .then_some(CdsChange::Replace { start: p1, end: p2 })
    }
}

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

/// Whether the allele touches the 5' UTR, the CDS and the 3' UTR exonic sequence.
fn regions(t: &Transcript, a: &Allele, exons: &[usize], cs: u64, ce: u64) -> (bool, bool, bool) {
    if a.is_insertion() {
        return match cdna_pair(t, a) {
            (Some(x), Some(y)) if y == x + 1 => (x < cs, x >= cs && x < ce, x >= ce),
            _ => (false, false, false),
        };
    }
    let mut range: Option<(u64, u64)> = None;
    for &i in exons {
        let e = t.exons[i];
        let (s, en) = (a.start.max(e.start), a.end.min(e.end));
        for g in [s, en] {
            if let Some(c) = t.cdna_position(g) {
                range = Some(range.map_or((c, c), |(x, y)| (x.min(c), y.max(c))));
            }
        }
    }
    match range {
        Some((x, y)) => (x < cs, x <= ce && y >= cs, y > ce),
        None => (false, false, false),
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

/// `3/11` or `2-3/11` from 0-based indices.
fn number(indices: &[usize], total: usize) -> Option<String> {
    let (first, last) = (indices.first()?, indices.last()?);
    let mut out = String::with_capacity(8);
    hgvs::push_number(&mut out, *first as u64 + 1);
    if first != last {
        out.push('-');
        hgvs::push_number(&mut out, *last as u64 + 1);
    }
    out.push('/');
    hgvs::push_number(&mut out, total as u64);
    Some(out)
}

fn empty(t: &Transcript, a: &Allele) -> TranscriptConsequence {
    let mut flags = Vec::new();
    if let Some(c) = &t.coding {
        if c.start_incomplete {
            flags.push("cds_start_NF".to_string());
        }
        if c.end_incomplete {
            flags.push("cds_end_NF".to_string());
        }
    }
    TranscriptConsequence {
        transcript_id: t.feature_id(),
        gene_id: t.gene_id.clone(),
        gene_symbol: t.gene_symbol.clone(),
        gene_symbol_source: t.hgnc_id.as_ref().map(|_| "HGNC".to_string()),
        hgnc_id: t.hgnc_id.clone(),
        biotype: t.biotype.clone(),
        strand: t.strand.as_i8(),
        consequence_terms: Vec::new(),
        impact: String::new(),
        variant_allele: a.variant_allele(),
        cdna_start: None,
        cdna_end: None,
        cds_start: None,
        cds_end: None,
        protein_start: None,
        protein_end: None,
        amino_acids: None,
        codons: None,
        exon: None,
        intron: None,
        distance: None,
        hgvsc: None,
        hgvsp: None,
        hgvs_offset: None,
        protein_id: t.coding.as_ref().and_then(|c| c.protein_id.clone()),
        // MANE Select is by definition the canonical transcript (VEP REST marks both).
        canonical: (t.canonical || t.mane_select).then_some(1),
        mane_select: t.mane_select.then(|| t.versioned_id()),
        mane_plus_clinical: t.mane_plus_clinical.then(|| t.versioned_id()),
        flags,
    }
}

fn finish(
    mut tc: TranscriptConsequence,
    mut terms: Vec<Consequence>,
) -> (TranscriptConsequence, Consequence) {
    terms.sort();
    terms.dedup();
    tc.impact = impact_of(&terms).as_str().to_string();
    tc.consequence_terms = terms.iter().map(|c| c.as_str().to_string()).collect();
    let worst = terms
        .first()
        .copied()
        .unwrap_or(Consequence::IntergenicVariant);
    (tc, worst)
}
