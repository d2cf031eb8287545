//! A VCF data line: `CHROM POS ID REF ALT[,ALT...] [QUAL FILTER INFO ...]`, tab- or
//! space-separated; the columns after ALT are ignored. Each ALT stands alone (issue #17.6):
//! one that is not a usable allele (`<DEL>`, `*`, `Z`, the REF again, too long) is rejected
//! with its reason while the others are annotated.

use super::allele_text::bases;
use super::genomic::{check_reference, check_span, fetch};
use super::variant::Variant;
use super::{InputContext, InputError, Rejected};
use crate::engine::input::Allele;

/// One variant per ALT, or why that ALT cannot be annotated; an error for the line when
/// its shared columns are wrong (contig, position, REF) or no ALT is usable.
pub(super) fn parse(
    text: &str,
    ctx: &dyn InputContext,
) -> Result<Vec<Result<Variant, Rejected>>, InputError> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [chrom_name, pos, id, reference, alternates, ..] = fields[..] else {
        return Err(InputError::unparsable(
            "a VCF line needs the columns CHROM POS ID REF ALT",
        ));
    };
    let chrom = ctx
        .canonical_chrom(chrom_name)
        .ok_or_else(|| InputError::UnknownContig {
            name: chrom_name.to_string(),
        })?;
    let pos: u64 = pos
        .parse()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| InputError::unparsable(format!("POS '{pos}' is not a position >= 1")))?;
    let reference = bases(reference)?;
    // The span once VEP drops a shared anchor base, checked before the reference is read:
    // when every ALT is too long the line fails; otherwise REF is short enough to read and
    // a too long ALT fails alone (below).
    let spans: Vec<u64> = alternates
        .split(',')
        .map(|alt| Allele::vcf_length(reference.as_bytes(), alt.as_bytes()))
        .collect();
    if spans.iter().all(|&span| check_span(ctx, span).is_err()) {
        // Named by the first ALT, as before ALTs stood alone.
        check_span(ctx, spans[0])?;
    }
    let end = pos
        .checked_add(reference.len() as u64 - 1)
        .ok_or_else(|| InputError::unparsable("REF runs past the largest position"))?;
    let loaded = fetch(ctx, &chrom, pos, end)?;
    check_reference(&chrom, pos, end, &reference, &loaded)?;
    let id = (id != ".").then(|| id.to_string());
    let variant = |alternate: String| Variant {
        input: text.to_string(),
        id: id.clone(),
        chrom: chrom.clone(),
        pos,
        reference: reference.clone(),
        alternate,
    };
    let mut alleles: Vec<Result<Variant, Rejected>> = Vec::new();
    for alt in alternates.split(',') {
        alleles.push(match alternate(ctx, &reference, alt) {
            Ok(alternate) => Ok(variant(alternate)),
            Err(error) => Err(Rejected {
                variant: variant(alt.to_string()),
                error,
            }),
        });
    }
    // A line none of whose ALTs is usable fails as a whole, with its first ALT's reason.
    if alleles.iter().all(Result::is_err) {
        if let Some(Err(first)) = alleles.into_iter().next() {
            return Err(first.error);
        }
        return Err(InputError::unparsable("a VCF line needs an ALT"));
    }
    Ok(alleles)
}

/// One ALT checked on its own: bases, not the REF again, a span the engine takes.
fn alternate(ctx: &dyn InputContext, reference: &str, alt: &str) -> Result<String, InputError> {
    let alternate = bases(alt)?;
    if alternate == reference {
        return Err(InputError::UnsupportedAllele {
            allele: alternate,
            reason: "the alternate allele equals the reference".to_string(),
        });
    }
    check_span(
        ctx,
        Allele::vcf_length(reference.as_bytes(), alternate.as_bytes()),
    )?;
    Ok(alternate)
}
