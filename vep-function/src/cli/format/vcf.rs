//! VCF output: the input VCF passed through with a VEP-style `CSQ` INFO field (one
//! `|`-separated entry per allele x transcript) and its header line; records that could not be
//! annotated keep their line and gain `VEP_ERROR` instead of disappearing.

use std::io::{self, Write};

use std::io::BufRead;

use super::{describe, for_each_line, transcript_fields, LineOutcome};
use crate::cli::annotate::Summary;
use crate::engine::annotate::Engine;
use crate::engine::output::VariantAnnotation;
use crate::engine::variant::Variant;

/// The CSQ sub-fields, in order, as declared in the header.
pub const CSQ_FIELDS: [&str; 25] = [
    "Allele",
    "Consequence",
    "IMPACT",
    "SYMBOL",
    "Gene",
    "Feature_type",
    "Feature",
    "BIOTYPE",
    "EXON",
    "INTRON",
    "HGVSc",
    "HGVSp",
    "cDNA_position",
    "CDS_position",
    "Protein_position",
    "Amino_acids",
    "Codons",
    "Existing_variation",
    "DISTANCE",
    "STRAND",
    "FLAGS",
    "SYMBOL_SOURCE",
    "HGNC_ID",
    "CANONICAL",
    "MANE_SELECT",
];

/// `##INFO` lines this writer adds to the header.
pub fn info_header_lines() -> [String; 2] {
    [
        format!(
            "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: {}\">",
            CSQ_FIELDS.join("|")
        ),
        "##INFO=<ID=VEP_ERROR,Number=1,Type=String,Description=\"Why vep-function could not annotate this record\">".to_string(),
    ]
}

const COLUMNS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";

/// Annotates `reader` line by line into VCF on `out`.
pub fn annotate_stream(
    engine: &Engine,
    reader: impl BufRead,
    out: impl Write,
) -> io::Result<Summary> {
    let mut writer = VcfWriter::new(out);
    let summary = for_each_line(engine, reader, |line, is_vcf, outcome| match outcome {
        LineOutcome::Header if line.trim().is_empty() => Ok(()),
        LineOutcome::Header => writer.header_line(line),
        LineOutcome::Unparsable(e) if is_vcf => writer.vcf_record(line, &[], Some(&describe(&e))),
        LineOutcome::Unparsable(e) => writer.unparsable_line(line, &describe(&e)),
        LineOutcome::Variants(results) if is_vcf => {
            let mut annotations = Vec::new();
            let mut errors = Vec::new();
            for (_, result) in results {
                match result {
                    Ok(a) => annotations.push(a),
                    Err(e) => errors.push(e),
                }
            }
            let error = (!errors.is_empty()).then(|| errors.join("; "));
            writer.vcf_record(line, &annotations, error.as_deref())
        }
        LineOutcome::Variants(results) => {
            for (variant, result) in results {
                match result {
                    Ok(a) => writer.variant_record(&variant, Some(&a), None)?,
                    Err(e) => writer.variant_record(&variant, None, Some(&e))?,
                }
            }
            Ok(())
        }
    })?;
    writer.finish()?;
    Ok(summary)
}

/// Streams a VCF: header lines as they come, records one at a time.
pub struct VcfWriter<W: Write> {
    out: W,
    header_done: bool,
}

impl<W: Write> VcfWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            header_done: false,
        }
    }

    /// Passes an input header line (`##...` or `#CHROM...`) through; the CSQ declaration goes
    /// right before `#CHROM`.
    pub fn header_line(&mut self, line: &str) -> io::Result<()> {
        if self.header_done {
            // A header line after data is not VCF; keep it visible rather than drop it.
            return writeln!(self.out, "{line}");
        }
        if line.starts_with("#CHROM") {
            self.finish_header(line)
        } else {
            writeln!(self.out, "{line}")
        }
    }

    fn finish_header(&mut self, columns: &str) -> io::Result<()> {
        for info in info_header_lines() {
            writeln!(self.out, "{info}")?;
        }
        writeln!(self.out, "{columns}")?;
        self.header_done = true;
        Ok(())
    }

    fn ensure_header(&mut self) -> io::Result<()> {
        if !self.header_done {
            writeln!(self.out, "##fileformat=VCFv4.2")?;
            self.finish_header(COLUMNS)?;
        }
        Ok(())
    }

    /// Writes an input VCF record with the CSQ of all its alleles, or with `error`.
    pub fn vcf_record(
        &mut self,
        line: &str,
        annotations: &[VariantAnnotation],
        error: Option<&str>,
    ) -> io::Result<()> {
        self.ensure_header()?;
        let mut cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 8 {
            // Space-separated or short lines: re-split and pad QUAL/FILTER/INFO.
            cols = line.split_whitespace().collect();
            cols.resize(cols.len().max(8), ".");
        }
        let info = add_info(cols[7], annotations, error);
        cols[7] = &info;
        writeln!(self.out, "{}", cols.join("\t"))
    }

    /// Writes a record for a variant that came from a non-VCF notation (HGVS, Ensembl format).
    pub fn variant_record(
        &mut self,
        variant: &Variant,
        annotation: Option<&VariantAnnotation>,
        error: Option<&str>,
    ) -> io::Result<()> {
        self.ensure_header()?;
        let annotations: Vec<VariantAnnotation> = annotation.into_iter().cloned().collect();
        let info = add_info(".", &annotations, error);
        writeln!(
            self.out,
            "{}\t{}\t{}\t{}\t{}\t.\t.\t{}",
            variant.chrom,
            variant.pos,
            id_column(variant.id.as_deref().unwrap_or(&variant.input)),
            or_dot(&variant.reference),
            or_dot(&variant.alternate),
            info
        )
    }

    /// An input line that is no VCF record and could not be parsed: kept as a comment line
    /// so that the output stays valid VCF and nothing is dropped silently.
    pub fn unparsable_line(&mut self, line: &str, error: &str) -> io::Result<()> {
        self.ensure_header()?;
        writeln!(
            self.out,
            "##VEP_ERROR=<Input=\"{}\",Error=\"{}\">",
            quote(line),
            quote(error)
        )
    }

    /// Writes the header if no input produced one, and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.ensure_header()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn or_dot(s: &str) -> &str {
    if s.is_empty() {
        "."
    } else {
        s
    }
}

/// The ID column allows neither whitespace nor `;`.
fn id_column(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_whitespace() || c == ';' {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn add_info(existing: &str, annotations: &[VariantAnnotation], error: Option<&str>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if existing != "." && !existing.is_empty() {
        parts.push(existing.to_string());
    }
    let entries: Vec<String> = annotations.iter().flat_map(csq_entries).collect();
    if !entries.is_empty() {
        parts.push(format!("CSQ={}", entries.join(",")));
    }
    if let Some(error) = error {
        parts.push(format!("VEP_ERROR={}", escape(error)));
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join(";")
    }
}

/// The CSQ entries of one annotated allele: one per transcript, or one intergenic entry.
pub fn csq_entries(a: &VariantAnnotation) -> Vec<String> {
    let mut entries: Vec<String> = a
        .transcript_consequences
        .iter()
        .map(|t| {
            let mut fields = vec![escape(&t.variant_allele)];
            fields.extend(transcript_fields(t).into_iter().map(|(_, v)| escape(&v)));
            fields.join("|")
        })
        .collect();
    for i in &a.intergenic_consequences {
        let mut fields = vec![String::new(); CSQ_FIELDS.len()];
        fields[0] = escape(&i.variant_allele);
        fields[1] = escape(&i.consequence_terms.join("&"));
        fields[2] = escape(&i.impact);
        entries.push(fields.join("|"));
    }
    entries
}

/// Percent-encodes what would break the INFO/CSQ syntax (VCF 4.3 style).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ',' => out.push_str("%2C"),
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            '|' => out.push_str("%7C"),
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
