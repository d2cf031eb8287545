//! Output formats of `annotate` besides JSON Lines: VCF with a VEP-style `CSQ` INFO field, and
//! VEP's tab-separated layout (one row per variant x transcript).

pub mod tsv;
pub mod vcf;

use std::io::{self, BufRead};

use crate::cli::annotate::Summary;
use crate::engine::annotate::Engine;
use crate::engine::notation::{detect, parse_input, InputError, Notation};
use crate::engine::output::{TranscriptConsequence, VariantAnnotation};
use crate::engine::variant::Variant;

/// What became of one input line.
pub(crate) enum LineOutcome {
    /// Header or comment (`#...`) or blank.
    Header,
    /// Notation could not be parsed: no variant.
    Unparsable(InputError),
    /// Each variant of the line with its annotation or the reason it failed.
    Variants(Vec<(Variant, Result<VariantAnnotation, String>)>),
}

/// Reads lines one at a time and hands each outcome to `emit` (memory stays flat).
pub(crate) fn for_each_line(
    engine: &Engine,
    reader: impl BufRead,
    mut emit: impl FnMut(&str, bool, LineOutcome) -> io::Result<()>,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    for line in reader.lines() {
        let line = line?;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() || text.starts_with('#') {
            emit(text, false, LineOutcome::Header)?;
            continue;
        }
        let is_vcf = detect(text) == Some(Notation::Vcf);
        let outcome = match parse_input(text, engine) {
            Err(e) => {
                summary.failed += 1;
                LineOutcome::Unparsable(e)
            }
            Ok(variants) => LineOutcome::Variants(
                variants
                    .into_iter()
                    .map(|v| {
                        let result = engine.annotate(&v).map_err(|e| e.to_string());
                        match &result {
                            Ok(_) => summary.annotated += 1,
                            Err(_) => summary.failed += 1,
                        }
                        (v, result)
                    })
                    .collect(),
            ),
        };
        emit(text, is_vcf, outcome)?;
    }
    Ok(summary)
}

/// `code: message` for an input error, as written into VCF/TSV error fields.
pub(crate) fn describe(e: &InputError) -> String {
    format!("{}: {e}", e.code())
}

/// VEP's position columns: `7`, `7-9`, `?-9` / `7-?` when one end is unknown, empty when both
/// are.
pub(crate) fn span(start: Option<u64>, end: Option<u64>) -> String {
    match (start, end) {
        (Some(s), Some(e)) if s == e => s.to_string(),
        (Some(s), Some(e)) => format!("{s}-{e}"),
        (Some(s), None) => format!("{s}-?"),
        (None, Some(e)) => format!("?-{e}"),
        (None, None) => String::new(),
    }
}

/// The CSQ/Extra fields of one transcript consequence, by name, in [`vcf::CSQ_FIELDS`] order
/// (without `Allele`, which callers take from the consequence itself).
pub(crate) fn transcript_fields(t: &TranscriptConsequence) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("Consequence", t.consequence_terms.join("&")),
        ("IMPACT", t.impact.clone()),
        ("SYMBOL", text(&t.gene_symbol)),
        ("Gene", t.gene_id.clone()),
        ("Feature_type", "Transcript".to_string()),
        ("Feature", t.transcript_id.clone()),
        ("BIOTYPE", t.biotype.clone()),
        ("EXON", text(&t.exon)),
        ("INTRON", text(&t.intron)),
        ("HGVSc", text(&t.hgvsc)),
        ("HGVSp", text(&t.hgvsp)),
        ("cDNA_position", span(t.cdna_start, t.cdna_end)),
        ("CDS_position", span(t.cds_start, t.cds_end)),
        ("Protein_position", span(t.protein_start, t.protein_end)),
        ("Amino_acids", text(&t.amino_acids)),
        ("Codons", text(&t.codons)),
        // No co-located variant database is consulted by the built-in engine.
        ("Existing_variation", String::new()),
        (
            "DISTANCE",
            t.distance.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("STRAND", t.strand.to_string()),
        ("FLAGS", t.flags.join("&")),
        ("SYMBOL_SOURCE", text(&t.gene_symbol_source)),
        ("HGNC_ID", text(&t.hgnc_id)),
        (
            "CANONICAL",
            if t.canonical == Some(1) { "YES" } else { "" }.to_string(),
        ),
        ("MANE_SELECT", text(&t.mane_select)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_prints_single_ranges_and_unknown_ends_like_vep() {
        assert_eq!(span(Some(7), Some(7)), "7");
        assert_eq!(span(Some(7), Some(9)), "7-9");
        assert_eq!(span(None, Some(9)), "?-9");
        assert_eq!(span(Some(7), None), "7-?");
        assert_eq!(span(None, None), "");
    }
}
