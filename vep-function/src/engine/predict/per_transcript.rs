//! One transcript's consequences for one allele (VEP's TranscriptVariationAllele): terms,
//! positions, codons and peptides, HGVS names.

use super::engine::Engine;
use super::error::AnnotateError;
use super::terminal_codons::{start_codon_kept, stop_codon_kept_into_utr};
use super::transcript_sequence::{cdna_pair, coding_sequence, oriented};
use crate::engine::input::Allele;
use std::sync::Arc;

use super::{
    codon::CodonTable,
    consequence::{CdsChange, ChangeSite, CodingEffect, Consequence, Peptides, SpliceEffects},
    effects::{stash, TxEffect},
    hgvs_name,
};
use crate::engine::models::transcript::{Strand, Transcript};

/// VEP's default `--distance`: up/downstream calls reach 5,000 bases from the transcript.
pub const UPSTREAM_DOWNSTREAM_DISTANCE: u64 = 5000;

fn overlap(s1: u64, e1: u64, s2: u64, e2: u64) -> bool {
    e1 >= s2 && s1 <= e2
}

/// One transcript's effect; `None` when the transcript is too far away to be reported.
/// Computed text (HGVS, codons, amino acids) is appended to `text`.
pub(super) fn transcript_effect<'m>(
    engine: &Engine,
    index: usize,
    t: &'m Transcript,
    a: &Allele,
    text: &mut String,
) -> Result<Option<TxEffect<'m>>, AnnotateError> {
    let forward = t.strand == Strand::Forward;
    let (t_start, t_end) = (t.start(), t.end());
    let mut fx = TxEffect::new(index, t);
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
        fx.terms.insert(if before == forward {
            Consequence::UpstreamGeneVariant
        } else {
            Consequence::DownstreamGeneVariant
        });
        fx.distance = Some(distance);
        return Ok(Some(fx));
    }

    let deletion = a.alternate.len() < a.reference.len();
    if deletion && a.start <= t_start && a.end >= t_end {
        fx.terms.insert(Consequence::TranscriptAblation);
        return Ok(Some(fx));
    }

    // Only the first and last overlapped exon and intron are printed: no lists needed.
    let exons = t.exon_span(a.start, a.end);
    let mut introns = t
        .introns_near(a.start, a.end)
        .filter(|(_, i)| overlap(a.start, a.end, i.start, i.end))
        .map(|(n, _)| n);
    fx.intron = introns
        .next()
        .map(|first| (first, introns.last().unwrap_or(first)));
    fx.exon = exons;

    fx.cdna = cdna_pair(t, a);

    let splice = SpliceEffects::compute(t, a.start, a.end);
    let mut coding_seq: Option<Arc<Vec<u8>>> = None;
    let mut change: Option<CdsChange> = None;

    if let Some((cs, ce)) = t.coding_cdna_range() {
        let padding = t.cds_padding();
        // `Transcript::cds_len`, without mapping the CDS ends a second time.
        let cds_len = ce + 1 - cs + padding;
        let to_cds = |c: u64| {
            (c + padding + 1)
                .checked_sub(cs)
                .filter(|&p| p >= 1 && p <= cds_len)
        };
        fx.cds = (fx.cdna.0.and_then(to_cds), fx.cdna.1.and_then(to_cds));
        fx.protein = (
            fx.cds.0.map(|p| (p - 1) / 3 + 1),
            fx.cds.1.map(|p| (p - 1) / 3 + 1),
        );

        let (utr5, in_cds, utr3) = regions(t, a, exons, cs, ce);
        if in_cds {
            change = cds_change(t, a);
            if let Some(ch) = change {
                let seq = coding_sequence(engine, t)?;
                let table = CodonTable::for_chrom(&t.chrom);
                let alt_tx = oriented(t, &a.alternate);
                let peptides = Peptides::compute(&seq, cds_len, ch, &alt_tx, table);
                if let Some(p) = &peptides {
                    fx.amino_acids = Some(stash(text, &p.amino_acids()));
                    fx.codons = Some(stash(text, &p.codons()));
                }
                let touches_start_codon = match ch {
                    CdsChange::Replace { start, .. } => start <= 3,
                    CdsChange::Insert { after } => after < 3,
                };
                let mut coding_terms = Vec::with_capacity(4);
                CodingEffect {
                    peptides: peptides.as_ref(),
                    ref_len: a.reference.len(),
                    alt_len: a.alternate.len(),
                    touches_start_codon,
                    site: ChangeSite {
                        seq: &seq,
                        cds_len,
                        change: ch,
                        alt: &alt_tx,
                        table,
                        end_incomplete: t.coding.as_ref().is_some_and(|c| c.end_incomplete),
                    },
                }
                .terms(&mut coding_terms);
                for term in coding_terms {
                    fx.terms.insert(term);
                }
                coding_seq = Some(seq);
            } else {
                // Partly outside the CDS (e.g. from the 5' UTR into the start codon): VEP
                // still checks whether an ATG remains where the start codon was.
                if let Some(retained) = start_codon_kept(engine, t, a, cs)? {
                    fx.terms.insert(if retained {
                        Consequence::StartRetainedVariant
                    } else {
                        Consequence::StartLost
                    });
                }
                if let Some(retained) = stop_codon_kept_into_utr(engine, t, a, cs, cds_len)? {
                    fx.terms.insert(if retained {
                        Consequence::StopRetainedVariant
                    } else {
                        Consequence::StopLost
                    });
                }
                fx.terms.insert(Consequence::CodingSequenceVariant);
            }
        }
        if utr5 {
            fx.terms.insert(Consequence::FivePrimeUtrVariant);
        }
        if utr3 {
            fx.terms.insert(Consequence::ThreePrimeUtrVariant);
        }
    } else if exons.is_some() {
        fx.terms.insert(Consequence::NonCodingTranscriptExonVariant);
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
            !t.is_coding() && exons.is_none(),
            Consequence::NonCodingTranscriptVariant,
        ),
    ] {
        if flag {
            fx.terms.insert(term);
        }
    }
    if fx.terms.is_empty() {
        // Within the transcript span but touching neither exon nor intron body (e.g. an
        // insertion exactly at an exon edge): VEP still reports the transcript.
        fx.terms.insert(if t.is_coding() {
            Consequence::CodingSequenceVariant
        } else {
            Consequence::NonCodingTranscriptVariant
        });
    }

    name_hgvs(
        engine,
        t,
        a,
        &mut fx,
        text,
        coding_seq.as_deref().map(Vec::as_slice),
        change,
    );
    Ok(Some(fx))
}

fn name_hgvs(
    engine: &Engine,
    t: &Transcript,
    a: &Allele,
    fx: &mut TxEffect<'_>,
    text: &mut String,
    coding_seq: Option<&[u8]>,
    unshifted: Option<CdsChange>,
) {
    let fetch = |lo: u64, hi: u64| engine.bases(t, lo, hi);
    // A single-base substitution is already minimal and never shifts: no copy.
    let snv = a.reference.len() == 1 && a.alternate.len() == 1;
    let (minimal, shifted_allele);
    let (shifted, moved) = if snv {
        (a, 0)
    } else {
        minimal = a.minimal();
        let moved;
        (shifted_allele, moved) = hgvs_name::shift_3prime(
            &minimal,
            t.strand == Strand::Forward,
            (t.start(), t.end()),
            &fetch,
        );
        (&shifted_allele, moved)
    };
    let from = text.len();
    let replacement = hgvs_name::Replacement::of(a);
    if hgvs_name::push_hgvs_transcript(text, t, shifted, &fetch, replacement).is_some() {
        fx.hgvsc = Some(from..text.len());
        if moved > 0 {
            let moved = moved as i64;
            fx.hgvs_offset = Some(match t.strand {
                Strand::Forward => moved,
                Strand::Reverse => -moved,
            });
        }
    } else {
        text.truncate(from);
    }
    let (Some(seq), Some(unshifted), Some(cds_len)) = (coding_seq, unshifted, t.cds_len()) else {
        return;
    };
    // VEP names the protein change from the shifted allele; shifted out of the CDS (into an
    // intron), it has none.
    let (change, alt) = match cds_change(t, shifted) {
        Some(c) => (c, oriented(t, protein_bases(t, shifted, a, moved))),
        None if moved == 0 => (unshifted, oriented(t, &a.alternate)),
        None => return,
    };
    let table = CodonTable::for_chrom(&t.chrom);
    let said = hgvs_name::Predicates {
        frameshift: fx.terms.contains(Consequence::FrameshiftVariant),
        stop_lost: fx.terms.contains(Consequence::StopLost),
    };
    if let Some(p) = hgvs_name::hgvs_protein(seq, cds_len, change, &alt, table, said) {
        let from = text.len();
        match t.coding.as_ref().and_then(|c| c.protein_id.as_deref()) {
            Some(protein) => text.push_str(protein),
            None => text.push_str(&t.versioned_id()),
        }
        text.push_str(":p.");
        text.push_str(&p);
        fx.hgvsp = Some(from..text.len());
    }
}

/// The inserted bases VEP puts at the 3'-shifted place to name the protein change
/// (`hgvs_protein` -> `shift_feature_seqs`). It rotates the submitted insertion by the shift,
/// on the reverse strand by `length - shift` steps, which for a shift longer than the
/// insertion is no step at all: the insertion is placed unrotated (`p.Val1688_Met1689insLeu`
/// where the rotated copy would be `p.Val1688dup`). HGVSc uses the properly rotated bases.
fn protein_bases<'a>(
    t: &Transcript,
    shifted: &'a Allele,
    submitted: &'a Allele,
    moved: u64,
) -> &'a [u8] {
    let inserted = shifted.alternate.len() as u64;
    if t.strand == Strand::Reverse && shifted.is_insertion() && moved > inserted {
        &submitted.alternate
    } else {
        &shifted.alternate
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

/// Whether the allele touches the 5' UTR, the CDS and the 3' UTR exonic sequence.
fn regions(
    t: &Transcript,
    a: &Allele,
    exons: Option<(usize, usize)>,
    cs: u64,
    ce: u64,
) -> (bool, bool, bool) {
    if a.is_insertion() {
        return match cdna_pair(t, a) {
            (Some(x), Some(y)) if y == x + 1 => (x < cs, x >= cs && x < ce, x >= ce),
            _ => (false, false, false),
        };
    }
    let mut range: Option<(u64, u64)> = None;
    let overlapped = exons.map_or(0..0, |(first, last)| first..last + 1);
    for e in &t.exons[overlapped] {
        if !overlap(a.start, a.end, e.start, e.end) {
            continue;
        }
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
