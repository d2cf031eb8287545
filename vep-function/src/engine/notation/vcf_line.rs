//! A VCF data line: `CHROM POS ID REF ALT[,ALT...] [QUAL FILTER INFO ...]`, tab- or
//! space-separated; the columns after ALT are ignored.

use super::alleles::bases;
use super::genomic::{check_reference, check_span, fetch};
use super::{InputContext, InputError};
use crate::engine::annotate::Allele;
use crate::engine::variant::Variant;

pub(super) fn parse(text: &str, ctx: &dyn InputContext) -> Result<Vec<Variant>, InputError> {
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
    // The span once VEP drops a shared anchor base, checked before the reference is read.
    for alt in alternates.split(',') {
        let span = Allele::vcf_length(reference.as_bytes(), alt.as_bytes());
        check_span(ctx, span)?;
    }
    let end = pos
        .checked_add(reference.len() as u64 - 1)
        .ok_or_else(|| InputError::unparsable("REF runs past the largest position"))?;
    let loaded = fetch(ctx, &chrom, pos, end)?;
    check_reference(&chrom, pos, end, &reference, &loaded)?;
    let id = (id != ".").then(|| id.to_string());
    alternates
        .split(',')
        .map(|alt| {
            let alternate = bases(alt)?;
            if alternate == reference {
                return Err(InputError::UnsupportedAllele {
                    allele: alternate,
                    reason: "the alternate allele equals the reference".to_string(),
                });
            }
            Ok(Variant {
                input: text.to_string(),
                id: id.clone(),
                chrom: chrom.clone(),
                pos,
                reference: reference.clone(),
                alternate,
            })
        })
        .collect()
}
