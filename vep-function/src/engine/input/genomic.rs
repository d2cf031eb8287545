//! A located edit on the forward strand of a chromosome, and its VCF-style form: every
//! notation ends here, so reference checks and anchoring happen in one place.

use super::allele_text::{agrees, reverse_complement};
use super::variant::Variant;
use super::{InputContext, InputError};

/// What happens to the reference bases `[start, end]` (forward strand, already validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Replace the range by `alt`; `stated` are the submitted reference bases, if any.
    Substitute { stated: Option<String>, alt: String },
    /// Remove the range.
    Delete { stated: Option<String> },
    /// Insert a copy of the range right after it.
    Duplicate { stated: Option<String> },
    /// Insert `seq` between `start` and `end` (two adjacent bases).
    Insert { seq: String },
    /// Replace the range by its reverse complement.
    Invert { stated: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GenomicEdit {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
    pub edit: Edit,
}

/// Reference bases of `[start, end]` on `chrom`, or a typed error when they are not loaded.
pub(crate) fn fetch(
    ctx: &dyn InputContext,
    chrom: &str,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, InputError> {
    let outside = || InputError::OutsideReference {
        chrom: chrom.to_string(),
        start,
        end,
    };
    if start == 0 || end < start {
        return Err(outside());
    }
    let span = end - start + 1;
    // Callers check the variant's span first; this bounds any read (an anchor base added).
    check_span(ctx, span.saturating_sub(1))?;
    match ctx.reference(chrom, start, end) {
        Some(seq) if seq.len() as u64 == span => Ok(seq.to_ascii_uppercase()),
        _ => Err(outside()),
    }
}

/// A variant spanning `bases` (deleted, replaced or inserted) within the context's limit.
pub(crate) fn check_span(ctx: &dyn InputContext, bases: u64) -> Result<(), InputError> {
    let limit = ctx.max_variant_span();
    if bases > limit {
        return Err(InputError::TooLarge { span: bases, limit });
    }
    Ok(())
}

/// Checks `stated` against the reference at `[start, end]`.
pub(crate) fn check_reference(
    chrom: &str,
    start: u64,
    end: u64,
    stated: &str,
    reference: &[u8],
) -> Result<(), InputError> {
    if agrees(stated, reference) {
        Ok(())
    } else {
        Err(InputError::ReferenceMismatch {
            chrom: chrom.to_string(),
            start,
            end,
            stated: stated.to_string(),
            reference: String::from_utf8_lossy(reference).into_owned(),
        })
    }
}

impl GenomicEdit {
    /// The VCF-normal variant: deletions, duplications and insertions carry the preceding
    /// reference base as anchor, as a VCF writer would.
    pub(crate) fn into_variant(
        self,
        ctx: &dyn InputContext,
        input: &str,
        id: Option<String>,
    ) -> Result<Variant, InputError> {
        let GenomicEdit {
            chrom,
            start,
            end,
            edit,
        } = self;
        let replaced = match &edit {
            Edit::Insert { .. } => 0,
            _ => end.saturating_sub(start) + 1,
        };
        let inserted = match &edit {
            Edit::Insert { seq } | Edit::Substitute { alt: seq, .. } => seq.len() as u64,
            _ => 0,
        };
        check_span(ctx, replaced.max(inserted))?;
        let variant = |pos: u64, reference: Vec<u8>, alternate: String| Variant {
            input: input.to_string(),
            id: id.clone(),
            chrom: chrom.clone(),
            pos,
            reference: String::from_utf8_lossy(&reference).into_owned(),
            alternate,
        };
        match edit {
            Edit::Insert { seq } => {
                if end != start + 1 {
                    return Err(InputError::unparsable(format!(
                        "an insertion needs two adjacent flanking positions, got {start} and {end}"
                    )));
                }
                let anchor = fetch(ctx, &chrom, start, start)?;
                // The base after the insertion point must exist too, or it is off the contig.
                fetch(ctx, &chrom, end, end)?;
                let alt = format!("{}{}", String::from_utf8_lossy(&anchor), seq);
                Ok(variant(start, anchor, alt))
            }
            Edit::Substitute { stated, alt } => {
                let range = checked_range(ctx, &chrom, start, end, stated.as_deref())?;
                if alt.is_empty() {
                    return delete(ctx, &chrom, start, range, variant);
                }
                if alt.as_bytes() == range.as_slice() {
                    return Err(InputError::UnsupportedAllele {
                        allele: alt,
                        reason: "the alternate allele equals the reference".to_string(),
                    });
                }
                Ok(variant(start, range, alt))
            }
            Edit::Delete { stated } => {
                let range = checked_range(ctx, &chrom, start, end, stated.as_deref())?;
                delete(ctx, &chrom, start, range, variant)
            }
            Edit::Duplicate { stated } => {
                let range = checked_range(ctx, &chrom, start, end, stated.as_deref())?;
                let anchor = anchor_before(ctx, &chrom, start)?;
                let mut alt = anchor.clone();
                alt.extend_from_slice(&range);
                Ok(variant(
                    start - 1,
                    anchor,
                    String::from_utf8_lossy(&alt).into_owned(),
                ))
            }
            Edit::Invert { stated } => {
                let range = checked_range(ctx, &chrom, start, end, stated.as_deref())?;
                let alt = reverse_complement(&String::from_utf8_lossy(&range));
                if alt.as_bytes() == range.as_slice() {
                    return Err(InputError::UnsupportedAllele {
                        allele: alt,
                        reason: "the inversion equals the reference (palindrome)".to_string(),
                    });
                }
                Ok(variant(start, range, alt))
            }
        }
    }
}

/// Fetches `[start, end]` and checks the submitted reference bases, if any, against it.
fn checked_range(
    ctx: &dyn InputContext,
    chrom: &str,
    start: u64,
    end: u64,
    stated: Option<&str>,
) -> Result<Vec<u8>, InputError> {
    let range = fetch(ctx, chrom, start, end)?;
    if let Some(stated) = stated {
        check_reference(chrom, start, end, stated, &range)?;
    }
    Ok(range)
}

fn delete(
    ctx: &dyn InputContext,
    chrom: &str,
    start: u64,
    range: Vec<u8>,
    variant: impl Fn(u64, Vec<u8>, String) -> Variant,
) -> Result<Variant, InputError> {
    let anchor = anchor_before(ctx, chrom, start)?;
    let alt = String::from_utf8_lossy(&anchor).into_owned();
    let mut reference = anchor;
    reference.extend_from_slice(&range);
    Ok(variant(start - 1, reference, alt))
}

fn anchor_before(ctx: &dyn InputContext, chrom: &str, start: u64) -> Result<Vec<u8>, InputError> {
    if start < 2 {
        // VCF would anchor on the following base at position 1; Ensembl refuses too.
        return Err(InputError::UnsupportedNotation {
            reason: "an indel at the first base of a contig has no preceding anchor base"
                .to_string(),
        });
    }
    fetch(ctx, chrom, start - 1, start - 1)
}
