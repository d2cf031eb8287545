//! Downloads of a finished REST analysis, written part by part from its spool in input
//! order: JSON Lines (the annotations and typed errors), VEP-style TSV, and the input VCF
//! with a VEP-style `CSQ` INFO field. Parts are spooled in the compact encoding the
//! function sent and rendered here, once, by the shared writers of `contract::output` (the
//! ones `vep-function annotate` uses), so a download and the CLI's output for the same file
//! agree byte for byte (given the same custom sources: the gateway's `VEP_CUSTOM` names the
//! function's, for the CSQ/Extra columns). Every input variant appears exactly once:
//! annotated, or as a typed error (its own, its range's, or `result_unavailable` when no
//! spooled range holds it).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::str::FromStr;

use contract::annotation::{KeyOrder, VariantAnnotation};
use contract::event::{Annotated, VariantError};
use contract::output::csq::CustomColumns;
use contract::output::{json, tsv, vcf};
use serde::Deserialize;

use super::ranges::Span;
use super::spool::{spooled_ranges, SpoolMeta};
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

/// One input variant's outcome: its annotations and the ALTs that failed beside them, or
/// why it has none.
enum Outcome<'a> {
    Annotated(Vec<&'a VariantAnnotation>, Vec<&'a VariantError>),
    Failed { code: String, message: String },
}

/// What one spooled file holds: a part (decoded into the writer's reused buffer), or the
/// error of a range.
enum Loaded<'p> {
    Part(&'p Annotated),
    Error {
        code: String,
        message: String,
    },
    /// The file could not be read back: its inputs get `result_unavailable`.
    Unreadable,
}

#[derive(Deserialize)]
struct SpooledError {
    code: String,
    message: String,
}

/// Reads a spooled file; a part is decoded into `buffer` (one set of strings and lists for
/// the whole download, not one per part).
fn load<'p>(path: &Path, is_part: bool, buffer: &'p mut Option<Annotated>) -> Loaded<'p> {
    let Ok(bytes) = std::fs::read(path) else {
        return Loaded::Unreadable;
    };
    if is_part {
        let decoded = match buffer {
            Some(part) => contract::wire::decode_into(&bytes, part).is_ok(),
            None => contract::wire::decode(&bytes)
                .map(|part| *buffer = Some(part))
                .is_ok(),
        };
        if !decoded {
            // A half-decoded buffer must not serve the next part.
            *buffer = None;
        }
        buffer.as_ref().map_or(Loaded::Unreadable, Loaded::Part)
    } else {
        serde_json::from_slice::<SpooledError>(&bytes).map_or(Loaded::Unreadable, |e| {
            Loaded::Error {
                code: e.code,
                message: e.message,
            }
        })
    }
}

fn unavailable<'a>() -> Outcome<'a> {
    Outcome::Failed {
        code: "result_unavailable".to_owned(),
        message: "the result could not be stored for download".to_owned(),
    }
}

/// The outcome of each input of `span` from what its file holds.
fn outcomes<'p>(loaded: &Loaded<'p>, span: Span) -> Vec<Outcome<'p>> {
    let len = span.count as usize;
    let (annotations, errors) = match loaded {
        Loaded::Unreadable => return (0..len).map(|_| unavailable()).collect(),
        Loaded::Error { code, message } => {
            return (0..len)
                .map(|_| Outcome::Failed {
                    code: code.clone(),
                    message: message.clone(),
                })
                .collect()
        }
        Loaded::Part(part) => (&part.annotations, &part.errors),
    };
    let mut out: Vec<Outcome<'p>> = (0..len)
        .map(|_| Outcome::Annotated(Vec::new(), Vec::new()))
        .collect();
    let slot = |input_index: Option<u64>| -> Option<usize> {
        let i = input_index?.checked_sub(span.first)?;
        usize::try_from(i).ok().filter(|i| *i < len)
    };
    for a in annotations {
        if let Some(Outcome::Annotated(list, _)) = slot(a.input_index).and_then(|i| out.get_mut(i))
        {
            list.push(a);
        }
    }
    for e in errors {
        let Some(i) = slot(Some(e.input_index)) else {
            continue;
        };
        match &mut out[i] {
            Outcome::Annotated(list, failed) if !list.is_empty() => failed.push(e),
            Outcome::Annotated(..) => {
                out[i] = Outcome::Failed {
                    code: e.code.clone(),
                    message: e.message.clone(),
                }
            }
            Outcome::Failed { .. } => {}
        }
    }
    for o in &mut out {
        if matches!(o, Outcome::Annotated(l, _) if l.is_empty()) {
            *o = Outcome::Failed {
                code: "result_missing".to_owned(),
                message: "the annotator returned nothing for this variant".to_owned(),
            };
        }
    }
    out
}

/// Writes the whole download of a complete analysis to `out`: each input in order, from
/// the spooled range that holds it (`result_unavailable` where none does); `columns` are
/// the custom sources' CSQ/Extra fields.
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
    let mut ranges = spooled_ranges(dir)?.into_iter().peekable();
    // One buffer for a variant's output, reused (JSON is written as bytes, the text formats
    // as text).
    let (mut bytes, mut text) = (Vec::new(), String::new());
    let mut buffer = None;
    let mut input_index = 0;
    while input_index < meta.variant_count {
        // Files that end before this input were for inputs already written (or overlap
        // them: never, the store accepts disjoint ranges only).
        while ranges.next_if(|(s, _, _)| s.end() <= input_index).is_some() {}
        let (span, loaded) = match ranges.next_if(|(s, _, _)| s.first <= input_index) {
            Some((span, path, is_part)) => (span, load(&path, is_part, &mut buffer)),
            None => {
                // No file for this input: up to the next file, or the end.
                let next = ranges
                    .peek()
                    .map_or(meta.variant_count, |(s, _, _)| s.first);
                let span = Span::new(input_index, next.min(meta.variant_count) - input_index);
                (span, Loaded::Unreadable)
            }
        };
        let skip = (input_index - span.first) as usize;
        for (offset, outcome) in outcomes(&loaded, span).iter().enumerate().skip(skip) {
            if span.first + offset as u64 >= meta.variant_count {
                break;
            }
            let line = records.next().unwrap_or_else(|| {
                Err(io::Error::other("records.vcf is shorter than the analysis"))
            })?;
            bytes.clear();
            text.clear();
            match format {
                Format::Jsonl => push_jsonl(&mut bytes, &line, input_index, outcome)?,
                Format::Tsv => push_tsv(&mut text, &line, outcome, columns),
                Format::Vcf => push_vcf_record(&mut text, &line, outcome, columns),
            }
            out.write_all(&bytes)?;
            out.write_all(text.as_bytes())?;
            input_index += 1;
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
        Outcome::Annotated(list, failed) => {
            for a in list {
                json::push_annotation(bytes, a, KeyOrder::Sorted);
                bytes.push(b'\n');
            }
            for e in failed {
                serde_json::to_writer(&mut *bytes, e)?;
                bytes.push(b'\n');
            }
        }
        Outcome::Failed { code, message } => {
            let e = VariantError {
                allele: None,
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
        Outcome::Annotated(list, failed) => {
            for a in list {
                tsv::push_annotation(out, a, columns);
            }
            for e in failed {
                let allele = e.allele.as_deref().unwrap_or_default();
                tsv::push_allele_error(out, line, allele, &e.code, &e.message);
            }
        }
        Outcome::Failed { code, message } => {
            tsv::push_error(
                out,
                &uploaded_name_of_line(line),
                &vcf::error_text(code, message),
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
        Outcome::Annotated(list, failed) => {
            let error = vcf::allele_errors_text(failed.iter().map(|e| {
                let allele = e.allele.as_deref().unwrap_or_default();
                (allele, e.code.as_str(), e.message.as_str())
            }));
            vcf::push_record(
                out,
                &record,
                list.iter().copied(),
                columns,
                error.as_deref(),
            )
        }
        Outcome::Failed { code, message } => vcf::push_record(
            out,
            &record,
            [],
            columns,
            Some(&vcf::error_text(code, message)),
        ),
    }
}

#[cfg(test)]
mod tests;
