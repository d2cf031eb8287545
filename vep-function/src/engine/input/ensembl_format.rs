//! Ensembl VEP's default input format: `CHROM START END REF/ALT[/ALT...] STRAND [ID]`, where
//! `-` is an empty allele (insertions have `START = END + 1`) and strand `-` means the alleles
//! are written on the reverse strand.

use super::allele_text::{bases, reverse_complement};
use super::genomic::{Edit, GenomicEdit};
use super::variant::Variant;
use super::{InputContext, InputError};

pub(super) fn parse(text: &str, ctx: &dyn InputContext) -> Result<Vec<Variant>, InputError> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let (chrom_name, start, end, allele_string) = match fields[..] {
        [c, s, e, a, ..] => (c, s, e, a),
        _ => {
            return Err(InputError::unparsable(
                "expected CHROM START END REF/ALT STRAND",
            ))
        }
    };
    let reverse = match fields.get(4).copied() {
        None | Some("+") | Some("1") | Some("+1") => false,
        Some("-") | Some("-1") => true,
        Some(other) => {
            return Err(InputError::unparsable(format!(
                "strand '{other}' is not + or -"
            )))
        }
    };
    let id = fields.get(5).map(|s| s.to_string());
    let chrom = ctx
        .canonical_chrom(chrom_name)
        .ok_or_else(|| InputError::UnknownContig {
            name: chrom_name.to_string(),
        })?;
    let number = |s: &str, what: &str| {
        s.parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| InputError::unparsable(format!("{what} '{s}' is not a position >= 1")))
    };
    let start = number(start, "START")?;
    let end = number(end, "END")?;
    let mut alleles = allele_string.split('/');
    let stated = allele(alleles.next().unwrap_or_default(), reverse)?;
    let alternates: Vec<&str> = alleles.collect();
    if alternates.is_empty() {
        return Err(InputError::unparsable(
            "allele string needs REF/ALT, e.g. C/T or -/A",
        ));
    }
    if stated.is_empty() {
        if start != end + 1 {
            return Err(InputError::unparsable(format!(
                "an insertion (REF '-') needs START = END + 1, got {start} and {end}"
            )));
        }
    } else if end < start || end - start + 1 != stated.len() as u64 {
        return Err(InputError::unparsable(format!(
            "REF '{stated}' does not span START..END ({start}..{end})"
        )));
    }
    alternates
        .into_iter()
        .map(|alt| {
            let alt = allele(alt, reverse)?;
            let edit = if stated.is_empty() {
                if alt.is_empty() {
                    return Err(InputError::unparsable("both alleles are empty ('-/-')"));
                }
                GenomicEdit {
                    chrom: chrom.clone(),
                    start: end,
                    end: start,
                    edit: Edit::Insert { seq: alt },
                }
            } else {
                GenomicEdit {
                    chrom: chrom.clone(),
                    start,
                    end,
                    edit: Edit::Substitute {
                        stated: Some(stated.clone()),
                        alt,
                    },
                }
            };
            edit.into_variant(ctx, text, id.clone())
        })
        .collect()
}

/// One allele of the allele string on the forward strand; `-` is empty.
fn allele(text: &str, reverse: bool) -> Result<String, InputError> {
    if text == "-" {
        return Ok(String::new());
    }
    let seq = bases(text)?;
    Ok(if reverse {
        reverse_complement(&seq)
    } else {
        seq
    })
}
