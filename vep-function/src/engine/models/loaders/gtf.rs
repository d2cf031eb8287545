//! Loader for Ensembl GTF gene models (plain or gzip/bgzip).
//!
//! GTF differs from Ensembl GFF3 in one way that changes annotations: its `CDS` rows exclude
//! the stop codon, which comes as separate `stop_codon` rows. The stop codon is folded back
//! into the coding segments here so a GTF and a GFF3 of the same release give the same
//! [`Transcript`]s.

mod attributes;

use std::{collections::HashMap, io::BufRead, path::Path};

use self::attributes::Attributes;
use super::record::{Layout, ModelFileError, Record, Records};
use crate::engine::models::genome::canonical_name;
use crate::engine::models::transcript::{Coding, Interval, Strand, Transcript};

/// Ensembl GTF: exactly 9 columns, no sequence section.
const LAYOUT: Layout = Layout {
    fasta_ends_features: false,
    tabs_in_attributes: false,
};

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
pub fn read_path(path: &Path) -> Result<Vec<Transcript>, ModelFileError> {
    read(super::text_file::open(path)?)
}

/// Reads every transcript of a GTF stream, in order of first appearance.
pub fn read<R: BufRead>(reader: R) -> Result<Vec<Transcript>, ModelFileError> {
    let mut order: Vec<String> = Vec::new();
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut rows = Records::new(reader, LAYOUT);
    while let Some(row) = rows.next_record()? {
        let kind = row.kind;
        if !matches!(kind, "transcript" | "exon" | "CDS" | "stop_codon") {
            continue;
        }
        let attrs =
            Attributes::parse(row.attributes).map_err(|reason| ModelFileError::Attributes {
                line: row.line,
                reason,
            })?;
        let Some(transcript_ids) = attrs.get("transcript_id") else {
            continue;
        };
        let strand = row.strand()?;
        let chrom = canonical_name(row.seqid);
        let feature = match kind {
            "transcript" => None,
            _ => Some((row.interval()?, row.phase("frame")?)),
        };
        // A row may belong to several transcripts (`transcript_id "A,B"`), as VEP's own
        // test data exercises.
        for transcript_id in transcript_ids.split(',') {
            let described = new_pending(&attrs, chrom.clone(), strand, &row)?;
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
                return Err(ModelFileError::Inconsistent {
                    id: transcript_id.to_string(),
                });
            }
            match (kind, feature) {
                ("transcript", _) => {
                    // The transcript's own row describes it better than a shared exon row.
                    let own = new_pending(&attrs, chrom.clone(), strand, &row)?;
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
    row: &Record,
) -> Result<Pending, ModelFileError> {
    let version = match attrs.get("transcript_version") {
        Some(v) => Some(
            v.parse()
                .map_err(|_| row.invalid("transcript_version", v))?,
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

fn assemble(id: String, mut p: Pending) -> Result<Transcript, ModelFileError> {
    if p.exons.is_empty() {
        return Err(ModelFileError::NoExons(id));
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

#[cfg(test)]
mod tests;
