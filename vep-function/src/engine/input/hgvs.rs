//! HGVS nucleotide descriptions (`g.`, `m.`, `c.`, `n.`) of the subset the engine annotates:
//! substitution, deletion, duplication, insertion, deletion-insertion and inversion at exact
//! positions. Uncertain positions, repeats and protein/RNA descriptions are refused by name.

mod projection;
mod syntax;

use super::allele_text::reverse_complement;
use super::genomic::{Edit, GenomicEdit};
use super::variant::Variant;
use super::{InputContext, InputError};
use crate::engine::models::transcript::{Strand, Transcript};
use syntax::{Description, EditSyntax, Kind, Stated};

pub(crate) use syntax::{Anchor, Position};

pub(super) fn parse(text: &str, ctx: &dyn InputContext) -> Result<Variant, InputError> {
    let description = syntax::parse(text)?;
    let located = match description.kind {
        Kind::Genomic | Kind::Mitochondrial => locate_genomic(&description, ctx)?,
        Kind::Coding | Kind::NonCoding => locate_on_transcript(&description, ctx)?,
    };
    // VEP reports an HGVS input's own text as its id.
    located.into_variant(ctx, text, Some(text.to_string()))
}

fn locate_genomic(d: &Description, ctx: &dyn InputContext) -> Result<GenomicEdit, InputError> {
    let chrom = ctx
        .canonical_chrom(&d.reference)
        .ok_or_else(|| InputError::UnknownContig {
            name: d.reference.clone(),
        })?;
    let start = plain(&d.start)?;
    let end = plain(&d.end)?;
    if end < start {
        return Err(InputError::unparsable(format!(
            "range start {start} is after its end {end}"
        )));
    }
    let edit = edit(&d.edit, start, end, false)?;
    Ok(GenomicEdit {
        chrom,
        start,
        end,
        edit,
    })
}

fn plain(position: &Position) -> Result<u64, InputError> {
    match position {
        Position {
            anchor: Anchor::Plain(n),
            offset: 0,
        } => Ok(*n),
        _ => Err(InputError::unparsable(
            "genomic positions are plain numbers (no -, * or offsets)",
        )),
    }
}

fn locate_on_transcript(
    d: &Description,
    ctx: &dyn InputContext,
) -> Result<GenomicEdit, InputError> {
    let transcript = match (&d.inner, find_transcript(ctx, &d.reference)) {
        // `NC_000017.11(NM_007294.4):c.` names the transcript inside the parentheses.
        (Some(inner), Err(_)) => find_transcript(ctx, inner)?,
        (_, found) => found?,
    };
    let coding = d.kind == Kind::Coding;
    let first = projection::genomic_position(transcript, coding, &d.start)?;
    let last = projection::genomic_position(transcript, coding, &d.end)?;
    let reverse = transcript.strand == Strand::Reverse;
    let (start, end) = if reverse {
        (last, first)
    } else {
        (first, last)
    };
    if end < start {
        return Err(InputError::unparsable(format!(
            "range {}_{} runs backwards on {}",
            d.start,
            d.end,
            transcript.versioned_id()
        )));
    }
    let edit = edit(&d.edit, start, end, reverse)?;
    Ok(GenomicEdit {
        chrom: transcript.chrom.clone(),
        start,
        end,
        edit,
    })
}

/// A transcript by (optionally versioned) accession, else a gene symbol's chosen transcript.
fn find_transcript<'a>(
    ctx: &'a dyn InputContext,
    name: &str,
) -> Result<&'a Transcript, InputError> {
    let (stable, version) = match name.rsplit_once('.') {
        Some((stable, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            (stable, v.parse::<u32>().ok())
        }
        _ => (name, None),
    };
    if let Some(transcript) = ctx.transcript(stable)? {
        return match (version, transcript.version) {
            (Some(asked), Some(loaded)) if asked != loaded => {
                Err(InputError::TranscriptVersionMismatch {
                    requested: name.to_string(),
                    loaded: transcript.versioned_id(),
                })
            }
            _ => Ok(transcript),
        };
    }
    if stable == name {
        if let Some(transcript) = ctx.gene_transcript(name)? {
            return Ok(transcript);
        }
    }
    if looks_like_accession(name) {
        Err(InputError::UnknownTranscript {
            id: name.to_string(),
        })
    } else {
        Err(InputError::UnknownGene {
            symbol: name.to_string(),
        })
    }
}

fn looks_like_accession(name: &str) -> bool {
    const PREFIXES: [&str; 8] = ["ENST", "NM_", "NR_", "XM_", "XR_", "NC_", "LRG_", "ENS"];
    name.contains('.') || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The syntactic edit on forward-strand coordinates `[start, end]`; bases written on a
/// reverse-strand transcript are flipped here.
fn edit(syntax: &EditSyntax, start: u64, end: u64, reverse: bool) -> Result<Edit, InputError> {
    let strand = |seq: &str| {
        if reverse {
            reverse_complement(seq)
        } else {
            seq.to_string()
        }
    };
    let span = end - start + 1;
    let stated = |s: &Option<Stated>| -> Result<Option<String>, InputError> {
        match s {
            None => Ok(None),
            Some(Stated::Bases(b)) => Ok(Some(strand(b))),
            Some(Stated::Length(n)) if *n == span => Ok(None),
            Some(Stated::Length(n)) => Err(InputError::unparsable(format!(
                "stated length {n} does not match the {span} bases of the range"
            ))),
        }
    };
    Ok(match syntax {
        EditSyntax::Substitution { from, to } => {
            if span != 1 {
                return Err(InputError::unparsable(
                    "a substitution (X>Y) covers one position; use delins for more",
                ));
            }
            Edit::Substitute {
                stated: Some(strand(from)),
                alt: strand(to),
            }
        }
        EditSyntax::Deletion(s) => Edit::Delete { stated: stated(s)? },
        EditSyntax::Duplication(s) => Edit::Duplicate { stated: stated(s)? },
        EditSyntax::Inversion(s) => Edit::Invert { stated: stated(s)? },
        EditSyntax::Insertion(seq) => Edit::Insert { seq: strand(seq) },
        EditSyntax::DeletionInsertion { deleted, inserted } => Edit::Substitute {
            stated: stated(deleted)?,
            alt: strand(inserted),
        },
    })
}
