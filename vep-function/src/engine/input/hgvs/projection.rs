//! Transcript coordinates (`c.`/`n.` positions) -> genomic positions, from the exon and CDS
//! structure of a loaded [`Transcript`].

use super::syntax::{Anchor, Position};
use crate::engine::input::InputError;
use crate::engine::models::transcript::{Interval, Strand, Transcript};

/// The genomic position of an HGVS `c.` (`coding`) or `n.` position on `transcript`.
pub(crate) fn genomic_position(
    transcript: &Transcript,
    coding: bool,
    position: &Position,
) -> Result<u64, InputError> {
    let prefix = if coding { "c." } else { "n." };
    let outside = || InputError::PositionOutsideTranscript {
        transcript: transcript.versioned_id(),
        position: format!("{prefix}{position}"),
    };
    // Transcript (cDNA) coordinates, signed: positions 5' of the transcript are <= 0.
    let cdna: i128 = if coding {
        let (cds_start, cds_end) = cds_bounds(transcript)?;
        match position.anchor {
            Anchor::Plain(n) => {
                let at = cds_start + i128::from(n) - 1;
                if at > cds_end {
                    // Past the stop codon HGVS counts with `*`: a larger c.N is an error.
                    return Err(outside());
                }
                at
            }
            Anchor::Upstream(n) => cds_start - i128::from(n),
            Anchor::Downstream(n) => cds_end + i128::from(n),
        }
    } else {
        match position.anchor {
            Anchor::Plain(n) => i128::from(n),
            Anchor::Upstream(n) => 1 - i128::from(n),
            Anchor::Downstream(_) => return Err(outside()),
        }
    };
    let (exon, exon_cdna_start) = exon_at(transcript, cdna).ok_or_else(outside)?;
    let into_exon = u64::try_from(cdna - exon_cdna_start).map_err(|_| outside())?;
    let forward = transcript.strand == Strand::Forward;
    let genomic = if forward {
        exon.start + into_exon
    } else {
        exon.end - into_exon
    };
    if position.offset == 0 {
        return Ok(genomic);
    }
    let exon_cdna_end = exon_cdna_start + i128::from(exon.len()) - 1;
    let at_boundary = if position.offset > 0 {
        cdna == exon_cdna_end
    } else {
        cdna == exon_cdna_start
    };
    if !at_boundary {
        return Err(InputError::OffsetNotAtExonBoundary {
            transcript: transcript.versioned_id(),
            position: format!("{prefix}{position}"),
        });
    }
    let step = i128::from(position.offset) * if forward { 1 } else { -1 };
    let shifted = u64::try_from(i128::from(genomic) + step).map_err(|_| outside())?;
    if shifted == 0
        || transcript
            .exons
            .iter()
            .any(|e| e.start <= shifted && shifted <= e.end)
    {
        // An offset long enough to reach the next exon names an exonic base the wrong way.
        return Err(InputError::OffsetNotAtExonBoundary {
            transcript: transcript.versioned_id(),
            position: format!("{prefix}{position}"),
        });
    }
    Ok(shifted)
}

/// The exon holding transcript coordinate `cdna` and the coordinate of that exon's first base.
fn exon_at(transcript: &Transcript, cdna: i128) -> Option<(Interval, i128)> {
    let mut first = 1i128;
    for exon in &transcript.exons {
        let len = i128::from(exon.len());
        if cdna >= first && cdna < first + len {
            return Some((*exon, first));
        }
        first += len;
    }
    None
}

/// Transcript coordinate of a genomic position that lies in an exon.
fn cdna_of(transcript: &Transcript, genomic: u64) -> Option<i128> {
    let mut first = 1i128;
    for exon in &transcript.exons {
        if exon.start <= genomic && genomic <= exon.end {
            let into = match transcript.strand {
                Strand::Forward => genomic - exon.start,
                Strand::Reverse => exon.end - genomic,
            };
            return Some(first + i128::from(into));
        }
        first += i128::from(exon.len());
    }
    None
}

/// Transcript coordinates of the first and last CDS bases (the stop codon included, as in
/// Ensembl GFF3), i.e. of `c.1` and of the last base before `c.*1`.
fn cds_bounds(transcript: &Transcript) -> Result<(i128, i128), InputError> {
    let not_coding = || InputError::NotCoding {
        transcript: transcript.versioned_id(),
    };
    let coding = transcript.coding.as_ref().ok_or_else(not_coding)?;
    let (first, last) = match (coding.segments.first(), coding.segments.last()) {
        (Some(first), Some(last)) => (first, last),
        _ => return Err(not_coding()),
    };
    let (first_base, last_base) = match transcript.strand {
        Strand::Forward => (first.start, last.end),
        Strand::Reverse => (first.end, last.start),
    };
    match (
        cdna_of(transcript, first_base),
        cdna_of(transcript, last_base),
    ) {
        (Some(start), Some(end)) if start <= end => Ok((start, end)),
        _ => Err(InputError::UnsupportedNotation {
            reason: format!(
                "the model of {} has CDS bases outside its exons",
                transcript.versioned_id()
            ),
        }),
    }
}
