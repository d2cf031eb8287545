//! Downloads of a finished REST analysis, written chunk by chunk from its spool in input
//! order: JSON Lines (the annotations and typed errors), VEP-style TSV, and the input VCF
//! with a VEP-style `CSQ` INFO field. The layouts are the shared writers of
//! `contract::output` (the ones `vep-function annotate` uses), so a download and the CLI's
//! output for the same file agree byte for byte (given the same custom sources: the gateway's
//! `VEP_CUSTOM` names the function's, for the CSQ/Extra columns). Every input variant
//! appears exactly once:
//! annotated, or as a typed error (its own, its chunk's, or `result_unavailable` when the
//! chunk's result could not be spooled).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::str::FromStr;

use contract::annotation::{KeyOrder, VariantAnnotation};
use contract::event::VariantError;
use contract::output::csq::CustomColumns;
use contract::output::{json, tsv, vcf};
use serde::Deserialize;

use super::spool::SpoolMeta;
use super::upload::variant_of;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Tsv,
    Vcf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown format {0:?}: expected jsonl, tsv or vcf")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" => Ok(Self::Jsonl),
            "tsv" => Ok(Self::Tsv),
            "vcf" => Ok(Self::Vcf),
            other => Err(UnknownFormat(other.chars().take(20).collect())),
        }
    }
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/x-ndjson",
            Self::Tsv => "text/tab-separated-values; charset=utf-8",
            Self::Vcf => "text/x-vcf; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Tsv => "tsv",
            Self::Vcf => "vcf",
        }
    }
}

/// One input variant's outcome.
enum Outcome<'a> {
    Annotated(Vec<&'a VariantAnnotation>),
    Failed { code: String, message: String },
}

/// A chunk's spooled frame (`protocol::ServerMessage` as stored): its result, or the error
/// that failed it as a whole.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Stored {
    Result {
        annotations: Vec<VariantAnnotation>,
        errors: Vec<VariantError>,
    },
    Error {
        code: String,
        message: String,
    },
}

/// A chunk's spooled frame, indexed by the position of each variant within the chunk.
fn outcomes(frame: Option<&Stored>, first: u64, len: usize) -> Vec<Outcome<'_>> {
    let failed = |code: &str, message: &str| Outcome::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    };
    let (annotations, errors) = match frame {
        None => {
            return (0..len)
                .map(|_| {
                    failed(
                        "result_unavailable",
                        "the chunk's result could not be stored for download",
                    )
                })
                .collect()
        }
        Some(Stored::Error { code, message }) => {
            return (0..len).map(|_| failed(code, message)).collect()
        }
        Some(Stored::Result {
            annotations,
            errors,
        }) => (annotations, errors),
    };
    let mut out: Vec<Outcome<'_>> = (0..len).map(|_| Outcome::Annotated(Vec::new())).collect();
    let slot = |input_index: Option<u64>| -> Option<usize> {
        let i = input_index?.checked_sub(first)?;
        usize::try_from(i).ok().filter(|i| *i < len)
    };
    for a in annotations {
        if let Some(Outcome::Annotated(list)) = slot(a.input_index).and_then(|i| out.get_mut(i)) {
            list.push(a);
        }
    }
    for e in errors {
        if let Some(i) = slot(Some(e.input_index)) {
            if matches!(&out[i], Outcome::Annotated(l) if l.is_empty()) {
                out[i] = failed(&e.code, &e.message);
            }
        }
    }
    for o in &mut out {
        if matches!(o, Outcome::Annotated(l) if l.is_empty()) {
            *o = failed(
                "result_missing",
                "the annotator returned nothing for this variant",
            );
        }
    }
    out
}

/// Writes the whole download of a complete analysis to `out`; `columns` are the custom
/// sources' CSQ/Extra fields.
pub fn write(
    dir: &Path,
    meta: &SpoolMeta,
    format: Format,
    columns: &CustomColumns,
    out: &mut impl Write,
) -> io::Result<()> {
    if format == Format::Vcf {
        write_vcf_header(dir, columns, out)?;
    } else if format == Format::Tsv {
        writeln!(out, "{}", tsv::HEADER)?;
    }
    let mut records = BufReader::new(File::open(dir.join("records.vcf"))?).lines();
    let size = meta.chunk_size.max(1);
    // One buffer for a variant's output, reused (JSON is written as bytes, the text formats
    // as text).
    let (mut bytes, mut text) = (Vec::new(), String::new());
    for index in 0..meta.chunk_count {
        let first = index * size;
        let len = meta.variant_count.saturating_sub(first).min(size) as usize;
        let frame: Option<Stored> = std::fs::read(dir.join("chunks").join(format!("{index}.json")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let outcomes = outcomes(frame.as_ref(), first, len);
        for (offset, outcome) in outcomes.iter().enumerate() {
            let line = records.next().unwrap_or_else(|| {
                Err(io::Error::other("records.vcf is shorter than the analysis"))
            })?;
            let input_index = first + offset as u64;
            bytes.clear();
            text.clear();
            match format {
                Format::Jsonl => push_jsonl(&mut bytes, &line, input_index, outcome)?,
                Format::Tsv => push_tsv(&mut text, &line, outcome, columns),
                Format::Vcf => push_vcf_record(&mut text, &line, outcome, columns),
            }
            out.write_all(&bytes)?;
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()
}

fn push_jsonl(
    bytes: &mut Vec<u8>,
    line: &str,
    input_index: u64,
    o: &Outcome<'_>,
) -> io::Result<()> {
    match o {
        Outcome::Annotated(list) => {
            for a in list {
                json::push_annotation(bytes, a, KeyOrder::Sorted);
                bytes.push(b'\n');
            }
        }
        Outcome::Failed { code, message } => {
            let e = VariantError {
                code: code.clone(),
                input: variant_of(line).to_owned(),
                input_index,
                message: message.clone(),
            };
            serde_json::to_writer(&mut *bytes, &e)?;
            bytes.push(b'\n');
        }
    }
    Ok(())
}

fn push_tsv(out: &mut String, line: &str, o: &Outcome<'_>, columns: &CustomColumns) {
    match o {
        Outcome::Annotated(list) => {
            for a in list {
                tsv::push_annotation(out, a, columns);
            }
        }
        Outcome::Failed { code, message } => {
            tsv::push_error(
                out,
                &uploaded_name_of_line(line),
                &format!("{code}: {message}"),
            );
        }
    }
}

/// `#Uploaded_variation` of a record that has no annotation: its ID, else
/// `CHROM_POS_REF/ALT`.
fn uploaded_name_of_line(line: &str) -> String {
    let cols: Vec<&str> = line.splitn(6, '\t').collect();
    match cols.get(2) {
        Some(id) if !id.is_empty() && *id != "." => (*id).to_owned(),
        _ => format!(
            "{}_{}_{}/{}",
            cols.first().unwrap_or(&"-"),
            cols.get(1).unwrap_or(&"-"),
            cols.get(3).unwrap_or(&"-"),
            cols.get(4).unwrap_or(&"-")
        ),
    }
}

/// Streams the spooled header line by line (never whole: it may be megabytes of `##`
/// lines, within the upload's header limits), with the CSQ/VEP_ERROR INFO lines in place
/// of any the upload had.
fn write_vcf_header(dir: &Path, custom: &CustomColumns, out: &mut impl Write) -> io::Result<()> {
    let lines = match File::open(dir.join("header.vcf")) {
        Ok(f) => Some(BufReader::new(f).lines()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut columns = None;
    let mut first = true;
    for line in lines.into_iter().flatten() {
        let line = line?;
        if first && !line.starts_with("##fileformat=") {
            writeln!(out, "##fileformat=VCFv4.2")?;
        }
        first = false;
        if line.starts_with("#CHROM") {
            columns = Some(line);
        } else if !line.starts_with("##INFO=<ID=CSQ,") && !line.starts_with("##INFO=<ID=VEP_ERROR,")
        {
            writeln!(out, "{line}")?;
        }
    }
    if first {
        writeln!(out, "##fileformat=VCFv4.2")?;
    }
    for info in vcf::info_header_lines(custom) {
        writeln!(out, "{info}")?;
    }
    writeln!(out, "{}", columns.as_deref().unwrap_or(vcf::COLUMNS))
}

/// The spooled record (tab-separated, at least CHROM..ALT) padded to the eight VCF columns,
/// with its CSQ or its error.
fn push_vcf_record(out: &mut String, line: &str, o: &Outcome<'_>, columns: &CustomColumns) {
    let mut cols: Vec<&str> = line.split('\t').collect();
    cols.resize(cols.len().max(8), ".");
    let record = cols.join("\t");
    match o {
        Outcome::Annotated(list) => {
            vcf::push_record(out, &record, list.iter().copied(), columns, None)
        }
        Outcome::Failed { code, message } => vcf::push_record(
            out,
            &record,
            [],
            columns,
            Some(&format!("{code}: {message}")),
        ),
    }
}

#[cfg(test)]
mod tests;
