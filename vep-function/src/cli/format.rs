//! Output formats of `annotate` besides JSON Lines: VCF with a VEP-style `CSQ` INFO field, and
//! VEP's tab-separated layout (one row per variant x transcript).

pub mod tsv;
pub mod vcf;

use std::io::{self, BufRead};

use crate::cli::annotate::Summary;
use crate::engine::annotate::Engine;
use crate::engine::hgvs::push_number;
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
    read_lines(reader, |text| {
        if is_header(text) {
            return emit(text, false, LineOutcome::Header);
        }
        let (is_vcf, outcome) = line_outcome(engine, text, &mut summary);
        emit(text, is_vcf, outcome)
    })?;
    Ok(summary)
}

/// Calls `each` with every line, without its line break, through one reused buffer.
pub(crate) fn read_lines(
    mut reader: impl BufRead,
    mut each: impl FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        each(line.trim_end_matches(['\n', '\r']))?;
    }
}

/// Header or comment (`#...`) or blank.
pub(crate) fn is_header(text: &str) -> bool {
    text.trim().is_empty() || text.starts_with('#')
}

/// Parses and annotates one non-header line; counts the outcome in `summary`. Also says
/// whether the line is a VCF record.
pub(crate) fn line_outcome(
    engine: &Engine,
    text: &str,
    summary: &mut Summary,
) -> (bool, LineOutcome) {
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
    (is_vcf, outcome)
}

/// `code: message` for an input error, as written into VCF/TSV error fields.
pub(crate) fn describe(e: &InputError) -> String {
    format!("{}: {e}", e.code())
}

/// VEP's position columns: `7`, `7-9`, `?-9` / `7-?` when one end is unknown, empty when both
/// are.
#[cfg(test)]
pub(crate) fn span(start: Option<u64>, end: Option<u64>) -> String {
    let mut out = String::new();
    write_span(&mut out, start, end);
    out
}

/// The CSQ/Extra fields of one transcript consequence, by name, in [`vcf::CSQ_FIELDS`] order
/// (without `Allele`, which callers take from the consequence itself).
pub(crate) fn transcript_fields(t: &TranscriptConsequence) -> Vec<(&'static str, String)> {
    let mut fields = Vec::with_capacity(vcf::CSQ_FIELDS.len() - 1);
    for_each_transcript_field(t, |name, value| fields.push((name, value.to_string())));
    fields
}

/// Hands each CSQ/Extra field of `t` (same order and values as [`transcript_fields`]) to
/// `emit` without allocating per field: the VCF writer calls this once per transcript of
/// every record, so it is on the hot path.
pub(crate) fn for_each_transcript_field(
    t: &TranscriptConsequence,
    mut emit: impl FnMut(&'static str, &str),
) {
    fn text(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }
    let mut scratch = String::new();
    join_into(&mut scratch, &t.consequence_terms);
    emit("Consequence", &scratch);
    emit("IMPACT", &t.impact);
    emit("SYMBOL", text(&t.gene_symbol));
    emit("Gene", &t.gene_id);
    emit("Feature_type", "Transcript");
    emit("Feature", &t.transcript_id);
    emit("BIOTYPE", &t.biotype);
    emit("EXON", text(&t.exon));
    emit("INTRON", text(&t.intron));
    emit("HGVSc", text(&t.hgvsc));
    emit("HGVSp", text(&t.hgvsp));
    for (name, start, end) in [
        ("cDNA_position", t.cdna_start, t.cdna_end),
        ("CDS_position", t.cds_start, t.cds_end),
        ("Protein_position", t.protein_start, t.protein_end),
    ] {
        scratch.clear();
        write_span(&mut scratch, start, end);
        emit(name, &scratch);
    }
    emit("Amino_acids", text(&t.amino_acids));
    emit("Codons", text(&t.codons));
    // No co-located variant database is consulted by the built-in engine.
    emit("Existing_variation", "");
    scratch.clear();
    if let Some(d) = t.distance {
        push_number(&mut scratch, d);
    }
    emit("DISTANCE", &scratch);
    scratch.clear();
    if t.strand < 0 {
        scratch.push('-');
    }
    push_number(&mut scratch, u64::from(t.strand.unsigned_abs()));
    emit("STRAND", &scratch);
    join_into(&mut scratch, &t.flags);
    emit("FLAGS", &scratch);
    emit("SYMBOL_SOURCE", text(&t.gene_symbol_source));
    emit("HGNC_ID", text(&t.hgnc_id));
    emit("CANONICAL", if t.canonical == Some(1) { "YES" } else { "" });
    emit("MANE_SELECT", text(&t.mane_select));
}

/// `items` joined with `&` into `scratch` (replacing its content).
fn join_into(scratch: &mut String, items: &[String]) {
    scratch.clear();
    for (i, f) in items.iter().enumerate() {
        if i > 0 {
            scratch.push('&');
        }
        scratch.push_str(f);
    }
}

/// [`span`] appended to `out`.
pub(crate) fn write_span(out: &mut String, start: Option<u64>, end: Option<u64>) {
    match (start, end) {
        (Some(s), Some(e)) if s == e => push_number(out, s),
        (Some(s), Some(e)) => {
            push_number(out, s);
            out.push('-');
            push_number(out, e);
        }
        (Some(s), None) => {
            push_number(out, s);
            out.push_str("-?");
        }
        (None, Some(e)) => {
            out.push_str("?-");
            push_number(out, e);
        }
        (None, None) => {}
    }
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
