//! Loader for Ensembl GTF gene models (plain or gzip/bgzip).
//!
//! GTF differs from Ensembl GFF3 in one way that changes annotations: its `CDS` rows exclude
//! the stop codon, which comes as separate `stop_codon` rows. The stop codon is folded back
//! into the coding segments here so a GTF and a GFF3 of the same release give the same
//! [`Transcript`]s.

mod attributes;

use std::{
    collections::HashMap,
    io::{self, BufRead},
    path::Path,
};

use self::attributes::Attributes;
use super::genome::canonical_name;
use super::transcript::{Coding, Interval, Strand, Transcript};

#[derive(Debug, thiserror::Error)]
pub enum GtfError {
    #[error("cannot read gtf: {0}")]
    Io(#[from] io::Error),
    #[error("line {line}: expected 9 tab-separated columns, found {found}")]
    Columns { line: usize, found: usize },
    #[error("line {line}: invalid {field} {value:?}")]
    Invalid {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error("line {line}: attributes: {reason}")]
    Attributes { line: usize, reason: String },
    #[error("transcript {0} has no exons")]
    NoExons(String),
    #[error("transcript {id} has rows on different strands or contigs")]
    Inconsistent { id: String },
}

/// Everything seen of one transcript while reading.
struct Pending {
    version: Option<u32>,
    gene_id: String,
    gene_symbol: Option<String>,
    biotype: String,
    chrom: String,
    strand: Strand,
    tags: Vec<String>,
    exons: Vec<Interval>,
    /// (interval, frame) of `CDS` rows.
    cds: Vec<(Interval, u8)>,
    stop_codons: Vec<Interval>,
    protein_id: Option<String>,
}

/// Opens a GTF file, decompressing gzip/bgzip when the name ends in `.gz`/`.bgz`.
pub fn read_path(path: &Path) -> Result<Vec<Transcript>, GtfError> {
    read(super::text_file::open(path)?)
}

/// Reads every transcript of a GTF stream, in order of first appearance.
pub fn read<R: BufRead>(mut reader: R) -> Result<Vec<Transcript>, GtfError> {
    let mut order: Vec<String> = Vec::new();
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = text.split('\t').collect();
        if cols.len() != 9 {
            return Err(GtfError::Columns {
                line: number,
                found: cols.len(),
            });
        }
        let kind = cols[2];
        if !matches!(kind, "transcript" | "exon" | "CDS" | "stop_codon") {
            continue;
        }
        let attrs = Attributes::parse(cols[8]).map_err(|reason| GtfError::Attributes {
            line: number,
            reason,
        })?;
        let Some(transcript_ids) = attrs.get("transcript_id") else {
            continue;
        };
        let strand = match cols[6] {
            "+" => Strand::Forward,
            "-" => Strand::Reverse,
            other => return Err(invalid(number, "strand", other)),
        };
        let chrom = canonical_name(cols[0]);
        let feature = match kind {
            "transcript" => None,
            _ => {
                let interval = Interval {
                    start: parse_u64(cols[3], "start", number)?,
                    end: parse_u64(cols[4], "end", number)?,
                };
                if interval.start == 0 || interval.start > interval.end {
                    let value = format!("{}-{}", cols[3], cols[4]);
                    return Err(invalid(number, "interval", &value));
                }
                let frame = match cols[7] {
                    "." => 0,
                    f => f
                        .parse::<u8>()
                        .ok()
                        .filter(|f| *f < 3)
                        .ok_or_else(|| invalid(number, "frame", f))?,
                };
                Some((interval, frame))
            }
        };
        // A row may belong to several transcripts (`transcript_id "A,B"`), as VEP's own
        // test data exercises.
        for transcript_id in transcript_ids.split(',') {
            let described = new_pending(&attrs, chrom.clone(), strand, number)?;
            let entry = match pending.get_mut(transcript_id) {
                Some(entry) => entry,
                None => {
                    order.push(transcript_id.to_string());
                    pending
                        .entry(transcript_id.to_string())
                        .or_insert(described)
                }
            };
            if entry.strand != strand || entry.chrom != chrom {
                return Err(GtfError::Inconsistent {
                    id: transcript_id.to_string(),
                });
            }
            match (kind, feature) {
                ("transcript", _) => {
                    // The transcript's own row describes it better than a shared exon row.
                    let own = new_pending(&attrs, chrom.clone(), strand, number)?;
                    entry.version = own.version;
                    entry.gene_id = own.gene_id;
                    entry.gene_symbol = own.gene_symbol;
                    entry.biotype = own.biotype;
                    entry.tags = own.tags;
                }
                ("exon", Some((interval, _))) => entry.exons.push(interval),
                ("CDS", Some(cds)) => {
                    entry.cds.push(cds);
                    if entry.protein_id.is_none() {
                        entry.protein_id = attrs.get("protein_id").map(str::to_string);
                    }
                }
                (_, Some((interval, _))) => entry.stop_codons.push(interval),
                (_, None) => {}
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| pending.remove(&id).map(|p| (id, p)))
        .map(|(id, p)| assemble(id, p))
        .collect()
}

fn new_pending(
    attrs: &Attributes,
    chrom: String,
    strand: Strand,
    line: usize,
) -> Result<Pending, GtfError> {
    let version = match attrs.get("transcript_version") {
        Some(v) => Some(
            v.parse()
                .map_err(|_| invalid(line, "transcript_version", v))?,
        ),
        None => None,
    };
    Ok(Pending {
        version,
        gene_id: attrs.get("gene_id").unwrap_or_default().to_string(),
        gene_symbol: attrs.get("gene_name").map(str::to_string),
        biotype: attrs
            .get("transcript_biotype")
            .or_else(|| attrs.get("transcript_type"))
            .or_else(|| attrs.get("gene_biotype"))
            .unwrap_or_default()
            .to_string(),
        chrom,
        strand,
        tags: attrs.all("tag").map(str::to_string).collect(),
        exons: Vec::new(),
        cds: Vec::new(),
        stop_codons: Vec::new(),
        protein_id: None,
    })
}

fn assemble(id: String, mut p: Pending) -> Result<Transcript, GtfError> {
    if p.exons.is_empty() {
        return Err(GtfError::NoExons(id));
    }
    let forward = p.strand == Strand::Forward;
    sort_transcript_order(&mut p.exons, forward);
    let has = |tag: &str| p.tags.iter().any(|t| t == tag);
    let coding = if p.cds.is_empty() {
        None
    } else {
        // The frame that matters is the one of the 5'-most CDS row.
        p.cds.sort_by_key(|(i, _)| i.start);
        let start_phase = if forward {
            p.cds.first().map(|c| c.1)
        } else {
            p.cds.last().map(|c| c.1)
        }
        .unwrap_or(0);
        let mut segments: Vec<Interval> = p.cds.iter().map(|(i, _)| *i).collect();
        segments.extend(p.stop_codons.iter().copied());
        let mut segments = merge_touching(segments);
        sort_transcript_order(&mut segments, forward);
        Some(Coding {
            segments,
            start_phase,
            protein_id: p.protein_id.clone(),
            start_incomplete: has("cds_start_NF"),
            end_incomplete: has("cds_end_NF"),
        })
    };
    Ok(Transcript {
        source: if is_refseq(&id) { "RefSeq" } else { "Ensembl" }.to_string(),
        id,
        version: p.version,
        gene_id: p.gene_id,
        gene_symbol: p.gene_symbol,
        hgnc_id: None,
        biotype: p.biotype,
        chrom: p.chrom,
        strand: p.strand,
        canonical: has("Ensembl_canonical"),
        mane_select: has("MANE_Select"),
        mane_plus_clinical: has("MANE_Plus_Clinical"),
        exons: p.exons,
        coding,
        derived: Default::default(),
    })
}

/// Sorts by start and joins intervals that overlap or abut: a stop codon right after the
/// last CDS row of the same exon becomes part of that segment, as in GFF3.
fn merge_touching(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort_by_key(|i| i.start);
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for interval in intervals {
        match merged.last_mut() {
            Some(last) if interval.start <= last.end + 1 => last.end = last.end.max(interval.end),
            _ => merged.push(interval),
        }
    }
    merged
}

fn sort_transcript_order(items: &mut [Interval], forward: bool) {
    if forward {
        items.sort_by_key(|i| i.start);
    } else {
        items.sort_by_key(|i| std::cmp::Reverse(i.start));
    }
}

fn is_refseq(id: &str) -> bool {
    ["NM_", "NR_", "XM_", "XR_"]
        .iter()
        .any(|p| id.starts_with(p))
}

fn invalid(line: usize, field: &'static str, value: &str) -> GtfError {
    GtfError::Invalid {
        line,
        field,
        value: value.to_string(),
    }
}

fn parse_u64(s: &str, field: &'static str, line: usize) -> Result<u64, GtfError> {
    s.parse().map_err(|_| invalid(line, field, s))
}

#[cfg(test)]
mod tests;
