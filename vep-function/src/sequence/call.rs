//! Variants from an alignment: runs of differing columns (mismatches and gaps with no match
//! between them) become one VCF-style record, so adjacent SNVs merge into an MNV and a
//! mismatch touching an indel into one delins; each is then normalised.

use serde::Serialize;

use crate::engine::models::genome::Genome;

use super::align::{Aligned, Column, Op};
use super::input::two_base_code;
use super::normalize::normalize;
use super::SequenceError;

/// A variant called from the sequence, normalised, plus-strand, VCF style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalledVariant {
    pub chrom: String,
    pub pos: u64,
    pub reference: String,
    pub alternate: String,
    /// `0/1` when an IUPAC two-base code showed the reference and this allele together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genotype: Option<&'static str>,
    /// The alignment around the difference, for people to check the call.
    pub excerpt: Excerpt,
}

/// A few alignment columns either side of a difference: reference and sequence rows of equal
/// length, `-` in gaps, `start` the reference position of the first reference base shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excerpt {
    pub start: u64,
    pub reference: String,
    pub sequence: String,
}

/// Columns shown either side of a difference.
const EXCERPT_FLANK: usize = 20;

fn excerpt(aligned: &Aligned, columns: &[Column], first: usize, last: usize) -> Excerpt {
    let from = first.saturating_sub(EXCERPT_FLANK);
    let to = (last + EXCERPT_FLANK).min(columns.len().saturating_sub(1));
    let shown = columns.get(from..=to).unwrap_or_default();
    let row = |side: fn(&Column) -> Option<(usize, bool)>| -> String {
        shown
            .iter()
            .map(|c| match side(c) {
                Some((i, true)) => aligned.query[i] as char,
                Some((i, false)) => aligned.reference[i] as char,
                None => '-',
            })
            .collect()
    };
    let start = shown
        .iter()
        .find_map(|c| c.r)
        .map_or(0, |r| aligned.position(r));
    Excerpt {
        start,
        reference: row(|c| c.r.map(|r| (r, false))),
        sequence: row(|c| c.q.map(|q| (q, true))),
    }
}

/// A difference seen in the alignment but not called, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// `CHROM:POS` or `CHROM:START-END` on the reference.
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Calls {
    pub variants: Vec<CalledVariant>,
    pub unresolved: Vec<Unresolved>,
    pub masked_columns: usize,
}

fn known(b: u8) -> bool {
    matches!(b, b'A' | b'C' | b'G' | b'T')
}

/// A run of differing columns in progress.
#[derive(Default)]
struct Event {
    first: usize,
    last: usize,
    /// Reference offset where the event starts (or would, for a pure insertion).
    r_from: Option<usize>,
    reference: Vec<u8>,
    alternate: Vec<u8>,
}

pub fn call(genome: &Genome, aligned: &Aligned) -> Result<Calls, SequenceError> {
    let columns: Vec<Column> = aligned.columns().collect();
    let mut calls = Calls::default();
    let mut event: Option<Event> = None;
    // Reference offset of the next reference base, for anchoring pure insertions.
    let mut next_r = aligned.ystart;
    for (i, c) in columns.iter().enumerate() {
        let qb = c.q.map(|q| aligned.query[q]);
        let rb = c.r.map(|r| aligned.reference[r]);
        let differing = match (qb, rb) {
            (Some(a), Some(b)) if known(a) && known(b) => a != b,
            (Some(a), None) => known(a),
            (None, Some(b)) => known(b),
            _ => false,
        };
        if differing {
            let e = event.get_or_insert_with(|| Event {
                first: i,
                r_from: Some(next_r),
                ..Event::default()
            });
            e.last = i;
            if let Some(a) = qb {
                e.alternate.push(a);
            }
            if let Some(b) = rb {
                e.reference.push(b);
            }
        } else {
            if let Some(e) = event.take() {
                finish(genome, aligned, &columns, e, &mut calls)?;
            }
            unknown_column(aligned, &columns, i, next_r, &mut calls);
        }
        if c.r.is_some() {
            next_r += 1;
        }
    }
    if let Some(e) = event.take() {
        finish(genome, aligned, &columns, e, &mut calls)?;
    }
    // Heterozygous calls are made column by column, runs when they end: restore genomic order.
    calls.variants.sort_by_key(|v| v.pos);
    Ok(calls)
}

/// A column that is neither a match nor a called difference: `N`, an ambiguity code, or a gap
/// opposite one. `next_r` is the reference offset of the next reference base.
fn unknown_column(
    aligned: &Aligned,
    columns: &[Column],
    i: usize,
    next_r: usize,
    calls: &mut Calls,
) {
    let c = &columns[i];
    // An insertion column sits after the reference base before `next_r`.
    let inserted_after = aligned.position(next_r).saturating_sub(1);
    let qb = c.q.map(|q| aligned.query[q]);
    let rb = c.r.map(|r| aligned.reference[r]);
    match (qb, rb) {
        (Some(a), Some(b)) if known(a) && known(b) => {} // a match
        (Some(code), Some(b)) if known(b) && code != b'N' => {
            let pos = aligned.position(c.r.unwrap_or_default());
            match two_base_code(code) {
                Some(pair) if pair.contains(&b) => {
                    let other = if pair[0] == b { pair[1] } else { pair[0] };
                    calls.variants.push(CalledVariant {
                        chrom: aligned.chrom.clone(),
                        pos,
                        reference: (b as char).to_string(),
                        alternate: (other as char).to_string(),
                        genotype: Some("0/1"),
                        excerpt: excerpt(aligned, columns, i, i),
                    });
                }
                _ => calls.unresolved.push(Unresolved {
                    at: format!("{}:{pos}", aligned.chrom),
                    reason: format!(
                        "ambiguity code {} opposite reference {}: no single allele to call",
                        code as char, b as char
                    ),
                }),
            }
        }
        (Some(code), None) if code != b'N' => calls.unresolved.push(Unresolved {
            at: format!("{}:{}", aligned.chrom, inserted_after),
            reason: format!("inserted ambiguity code {}", code as char),
        }),
        (Some(b'N'), None) => calls.unresolved.push(Unresolved {
            at: format!("{}:{}", aligned.chrom, inserted_after),
            reason: "N inserted: an N run of another length than the reference here".into(),
        }),
        _ => calls.masked_columns += 1,
    }
}

fn finish(
    genome: &Genome,
    aligned: &Aligned,
    columns: &[Column],
    e: Event,
    calls: &mut Calls,
) -> Result<(), SequenceError> {
    let r_from = e.r_from.unwrap_or(aligned.ystart);
    let at_edge = e.first == 0 || e.last + 1 == columns.len();
    let has_gap = columns[e.first..=e.last]
        .iter()
        .any(|c| matches!(c.op, Op::Ins | Op::Del));
    if at_edge && has_gap {
        // A gap at the very end of the alignment is indistinguishable from the sequence
        // simply ending there: reported, not called.
        let pos = aligned.position(r_from);
        calls.unresolved.push(Unresolved {
            at: format!("{}:{pos}", aligned.chrom),
            reason: "indel at the end of the alignment".into(),
        });
        return Ok(());
    }
    let (pos, reference, alternate) = normalize(
        genome,
        &aligned.chrom,
        aligned.position(r_from),
        e.reference,
        e.alternate,
    )?;
    calls.variants.push(CalledVariant {
        chrom: aligned.chrom.clone(),
        pos,
        reference: String::from_utf8_lossy(&reference).into_owned(),
        alternate: String::from_utf8_lossy(&alternate).into_owned(),
        genotype: None,
        excerpt: excerpt(aligned, columns, e.first, e.last),
    });
    Ok(())
}
