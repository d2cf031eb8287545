//! VEP's tab-separated output: one row per variant x transcript (one intergenic row when no
//! transcript is near), `Extra` as `KEY=VALUE;...`. Inputs that failed get one row with
//! `ERROR=` in `Extra`, so every input is answered.

use std::io::{self, Write};

use std::io::BufRead;

use super::{describe, for_each_line, transcript_fields, LineOutcome};
use crate::cli::annotate::{Part, Summary};
use crate::engine::annotate::Engine;
use crate::engine::output::VariantAnnotation;

pub const HEADER: &str = "#Uploaded_variation\tLocation\tAllele\tGene\tFeature\tFeature_type\tConsequence\tcDNA_position\tCDS_position\tProtein_position\tAmino_acids\tCodons\tExisting_variation\tExtra";

/// Columns with their own place in the row; everything else goes to `Extra`.
const OWN_COLUMNS: [&str; 10] = [
    "Gene",
    "Feature",
    "Feature_type",
    "Consequence",
    "cDNA_position",
    "CDS_position",
    "Protein_position",
    "Amino_acids",
    "Codons",
    "Existing_variation",
];

/// Annotates `reader` line by line into VEP's tab format on `out`.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: impl Write,
) -> io::Result<Summary> {
    annotate_part(engine, reader, out, Part::WHOLE)
}

/// [`annotate_stream`] on one part of a longer input (`--threads`).
pub fn annotate_part(
    engine: &Engine,
    reader: impl BufRead,
    mut out: impl Write,
    part: Part,
) -> io::Result<Summary> {
    if !part.header_written {
        write_header(&mut out)?;
    }
    let summary = for_each_line(engine, reader, |line, _, outcome| match outcome {
        LineOutcome::Header => Ok(()),
        LineOutcome::Unparsable(e) => write_error(&mut out, line, &describe(&e)),
        LineOutcome::Variants(results) => {
            for (variant, result) in results {
                match result {
                    Ok(a) => write_annotation(&mut out, &a)?,
                    Err(e) => write_error(&mut out, &variant.input, &e)?,
                }
            }
            Ok(())
        }
    })?;
    out.flush()?;
    Ok(summary)
}

pub fn write_header(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")
}

/// VEP's `Uploaded_variation` when the input has no id: `21_25585733_C/T`.
fn uploaded(a: &VariantAnnotation) -> String {
    a.id.clone()
        .unwrap_or_else(|| format!("{}_{}_{}", a.seq_region_name, a.start, a.allele_string))
}

fn location(a: &VariantAnnotation) -> String {
    if a.start == a.end {
        format!("{}:{}", a.seq_region_name, a.start)
    } else {
        format!("{}:{}-{}", a.seq_region_name, a.start, a.end)
    }
}

fn dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

/// Tabs and line breaks in values would break the row.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

pub fn write_annotation(out: &mut impl Write, a: &VariantAnnotation) -> io::Result<()> {
    let id = clean(&uploaded(a));
    let loc = location(a);
    for t in &a.transcript_consequences {
        let fields = transcript_fields(t);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| clean(v))
                .unwrap_or_default()
        };
        let own: Vec<String> = OWN_COLUMNS
            .iter()
            .map(|c| match *c {
                // The tab format lists consequences with commas, CSQ with '&'.
                "Consequence" => t.consequence_terms.join(","),
                c => get(c),
            })
            .map(|v| dash(&clean(&v)).to_string())
            .collect();
        let extra: Vec<String> = fields
            .iter()
            .filter(|(k, v)| !OWN_COLUMNS.contains(k) && !v.is_empty())
            .map(|(k, v)| format!("{k}={}", clean(v)))
            .collect();
        writeln!(
            out,
            "{id}\t{loc}\t{}\t{}\t{}",
            dash(&clean(&t.variant_allele)),
            own.join("\t"),
            dash(&extra.join(";")),
        )?;
    }
    for i in &a.intergenic_consequences {
        writeln!(
            out,
            "{id}\t{loc}\t{}\t-\t-\t-\t{}\t-\t-\t-\t-\t-\t-\tIMPACT={}",
            dash(&clean(&i.variant_allele)),
            clean(&i.consequence_terms.join(",")),
            clean(&i.impact)
        )?;
    }
    Ok(())
}

/// The row for an input that could not be annotated.
pub fn write_error(out: &mut impl Write, input: &str, error: &str) -> io::Result<()> {
    writeln!(
        out,
        "{}\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tERROR={}",
        clean(input),
        clean(error)
    )
}

#[cfg(test)]
mod tests;
