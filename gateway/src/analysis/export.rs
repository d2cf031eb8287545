//! Downloads of a finished REST analysis, written chunk by chunk from its spool in input
//! order: JSON Lines (the annotations and typed errors), VEP-style TSV, and the input VCF
//! with a VEP-style `CSQ` INFO field (the layout of `vep-function annotate --format vcf`).
//! Every input variant appears exactly once: annotated, or as a typed error (its own, its
//! chunk's, or `result_unavailable` when the chunk's result could not be spooled).

mod csq;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::str::FromStr;

use serde_json::{json, Value};

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
    Annotated(Vec<&'a Value>),
    Failed { code: String, message: String },
}

/// A chunk's spooled frame, indexed by the position of each variant within the chunk.
fn outcomes(frame: Option<&Value>, first: u64, len: usize) -> Vec<Outcome<'_>> {
    let failed = |code: &str, message: &str| Outcome::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    };
    let Some(frame) = frame else {
        return (0..len)
            .map(|_| {
                failed(
                    "result_unavailable",
                    "the chunk's result could not be stored for download",
                )
            })
            .collect();
    };
    if frame["type"] == "error" {
        let code = frame["code"].as_str().unwrap_or("error");
        let message = frame["message"].as_str().unwrap_or_default();
        return (0..len).map(|_| failed(code, message)).collect();
    }
    let mut out: Vec<Outcome<'_>> = (0..len).map(|_| Outcome::Annotated(Vec::new())).collect();
    let slot = |v: &Value| -> Option<usize> {
        let i = v["input_index"].as_u64()?.checked_sub(first)?;
        usize::try_from(i).ok().filter(|i| *i < len)
    };
    for a in frame["annotations"].as_array().into_iter().flatten() {
        if let Some(Outcome::Annotated(list)) = slot(a).and_then(|i| out.get_mut(i)) {
            list.push(a);
        }
    }
    for e in frame["errors"].as_array().into_iter().flatten() {
        if let Some(i) = slot(e) {
            if matches!(&out[i], Outcome::Annotated(l) if l.is_empty()) {
                out[i] = failed(
                    e["code"].as_str().unwrap_or("error"),
                    e["message"].as_str().unwrap_or_default(),
                );
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

/// Writes the whole download of a complete analysis to `out`.
pub fn write(dir: &Path, meta: &SpoolMeta, format: Format, out: &mut impl Write) -> io::Result<()> {
    if format == Format::Vcf {
        write_vcf_header(dir, out)?;
    } else if format == Format::Tsv {
        writeln!(out, "{}", csq::TSV_HEADER)?;
    }
    let mut records = BufReader::new(File::open(dir.join("records.vcf"))?).lines();
    let size = meta.chunk_size.max(1);
    for index in 0..meta.chunk_count {
        let first = index * size;
        let len = meta.variant_count.saturating_sub(first).min(size) as usize;
        let frame: Option<Value> = std::fs::read(dir.join("chunks").join(format!("{index}.json")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let outcomes = outcomes(frame.as_ref(), first, len);
        for (offset, outcome) in outcomes.iter().enumerate() {
            let line = records.next().unwrap_or_else(|| {
                Err(io::Error::other("records.vcf is shorter than the analysis"))
            })?;
            let input_index = first + offset as u64;
            match format {
                Format::Jsonl => write_jsonl(out, &line, input_index, outcome)?,
                Format::Tsv => write_tsv(out, &line, outcome)?,
                Format::Vcf => write_vcf_record(out, &line, outcome)?,
            }
        }
    }
    out.flush()
}

fn write_jsonl(
    out: &mut impl Write,
    line: &str,
    input_index: u64,
    o: &Outcome<'_>,
) -> io::Result<()> {
    match o {
        Outcome::Annotated(list) => {
            for a in list {
                serde_json::to_writer(&mut *out, a)?;
                out.write_all(b"\n")?;
            }
        }
        Outcome::Failed { code, message } => {
            let e = json!({"input": variant_of(line), "input_index": input_index,
                           "code": code, "message": message});
            serde_json::to_writer(&mut *out, &e)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

fn write_tsv(out: &mut impl Write, line: &str, o: &Outcome<'_>) -> io::Result<()> {
    match o {
        Outcome::Annotated(list) => {
            for a in list {
                for row in csq::tsv_rows(a) {
                    writeln!(out, "{row}")?;
                }
            }
        }
        Outcome::Failed { code, message } => {
            let name = csq::uploaded_name_of_line(line);
            writeln!(
                out,
                "{name}\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tVEP_ERROR={}",
                csq::escape(&format!("{code}: {message}"))
            )?;
        }
    }
    Ok(())
}

/// Streams the spooled header line by line (never whole: it may be megabytes of `##`
/// lines, within the upload's header limits), with the CSQ/VEP_ERROR INFO lines in place
/// of any the upload had.
fn write_vcf_header(dir: &Path, out: &mut impl Write) -> io::Result<()> {
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
    for info in csq::info_header_lines() {
        writeln!(out, "{info}")?;
    }
    writeln!(out, "{}", columns.as_deref().unwrap_or(csq::VCF_COLUMNS))
}

fn write_vcf_record(out: &mut impl Write, line: &str, o: &Outcome<'_>) -> io::Result<()> {
    let mut cols: Vec<&str> = line.split('\t').collect();
    while cols.len() < 8 {
        cols.push(".");
    }
    let mut info = String::new();
    if cols[7] != "." && !cols[7].is_empty() {
        info.push_str(cols[7]);
    }
    match o {
        Outcome::Annotated(list) => {
            let entries: Vec<String> = list.iter().flat_map(|a| csq::entries(a)).collect();
            if !entries.is_empty() {
                if !info.is_empty() {
                    info.push(';');
                }
                info.push_str("CSQ=");
                info.push_str(&entries.join(","));
            }
        }
        Outcome::Failed { code, message } => {
            if !info.is_empty() {
                info.push(';');
            }
            info.push_str("VEP_ERROR=");
            info.push_str(&csq::escape(&format!("{code}: {message}")));
        }
    }
    if info.is_empty() {
        info.push('.');
    }
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\t")?;
        }
        if i == 7 {
            out.write_all(info.as_bytes())?;
        } else {
            out.write_all(c.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests;
