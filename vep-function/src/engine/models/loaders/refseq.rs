//! Loader for NCBI RefSeq GFF3 gene models (`GCF_*_genomic.gff`, plain or gzip/bgzip).
//!
//! NCBI writes seqids as accessions (`NC_000021.9`), links rows by opaque ids (`ID=rna-NM_...`
//! or `ID=rna144911`), names transcripts in `transcript_id=`, genes in `gene=`, cross-references
//! in `Dbxref=GeneID:..,HGNC:HGNC:..`, and implies biotypes by feature type and `gbkey`/
//! `ncrna_class` instead of a `biotype=` attribute.

use std::{collections::HashMap, io::BufRead, path::Path};

use super::gff3::attributes::Attributes;
use super::record::{Layout, ModelFileError, Records};
use crate::engine::models::genome::canonical_name;
use crate::engine::models::transcript::{Coding, Interval, Strand, Transcript};

/// NCBI's GFF3: a `##FASTA` section may follow the features; exactly 9 columns.
const LAYOUT: Layout = Layout {
    fasta_ends_features: true,
    tabs_in_attributes: false,
};

struct Gene {
    gene_id: Option<String>,
    symbol: Option<String>,
    hgnc_id: Option<String>,
}

struct Pending {
    feature_id: String,
    accession: String,
    parent: Option<String>,
    kind: String,
    gbkey: Option<String>,
    ncrna_class: Option<String>,
    gene_id: Option<String>,
    symbol: Option<String>,
    hgnc_id: Option<String>,
    chrom: String,
    strand: Strand,
    tags: Vec<String>,
}

/// Opens a RefSeq GFF3 file, decompressing gzip/bgzip when the name ends in `.gz`/`.bgz`.
pub fn read_path(path: &Path) -> Result<Vec<Transcript>, ModelFileError> {
    read(super::text_file::open(path)?)
}

/// Reads every transcript (a feature with a `transcript_id=`) of a RefSeq GFF3 stream.
pub fn read<R: BufRead>(reader: R) -> Result<Vec<Transcript>, ModelFileError> {
    let mut genes: HashMap<String, Gene> = HashMap::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut exons: HashMap<String, Vec<Interval>> = HashMap::new();
    let mut cds: HashMap<String, Vec<(Interval, u8, Option<String>)>> = HashMap::new();
    let mut rows = Records::new(reader, LAYOUT);
    while let Some(row) = rows.next_record()? {
        let kind = row.kind;
        let attrs = Attributes::parse(row.attributes);
        match kind {
            "exon" | "CDS" => {
                let Some(parents) = attrs.get("Parent") else {
                    continue;
                };
                let interval = row.interval()?;
                for parent in parents.split(',') {
                    if kind == "exon" {
                        exons.entry(parent.to_string()).or_default().push(interval);
                    } else {
                        let phase = row.phase("phase")?;
                        let protein = attrs.get("protein_id").map(str::to_string);
                        cds.entry(parent.to_string())
                            .or_default()
                            .push((interval, phase, protein));
                    }
                }
            }
            _ => {
                let Some(id) = attrs.get("ID") else { continue };
                let dbxref = |prefix: &str| {
                    attrs.get("Dbxref").and_then(|x| {
                        x.split(',')
                            .find_map(|r| r.strip_prefix(prefix).map(str::to_string))
                    })
                };
                let symbol = attrs.get("gene").or_else(|| attrs.get("Name"));
                if let Some(accession) = attrs.get("transcript_id") {
                    pending.push(Pending {
                        feature_id: id.to_string(),
                        accession: accession.to_string(),
                        parent: attrs.get("Parent").map(str::to_string),
                        kind: kind.to_string(),
                        gbkey: attrs.get("gbkey").map(str::to_string),
                        ncrna_class: attrs.get("ncrna_class").map(str::to_string),
                        gene_id: dbxref("GeneID:"),
                        symbol: attrs.get("gene").map(str::to_string),
                        hgnc_id: dbxref("HGNC:"),
                        chrom: canonical_name(row.seqid),
                        strand: row.strand()?,
                        tags: attrs
                            .get("tag")
                            .map(|t| t.split(',').map(str::to_string).collect())
                            .unwrap_or_default(),
                    });
                } else if kind.ends_with("gene") {
                    genes.insert(
                        id.to_string(),
                        Gene {
                            gene_id: dbxref("GeneID:"),
                            symbol: symbol.map(str::to_string),
                            hgnc_id: dbxref("HGNC:"),
                        },
                    );
                }
            }
        }
    }
    pending
        .into_iter()
        .map(|p| {
            let exons = exons.remove(&p.feature_id);
            let cds = cds.remove(&p.feature_id);
            assemble(p, exons, cds, &genes)
        })
        .collect()
}

fn assemble(
    p: Pending,
    exons: Option<Vec<Interval>>,
    cds: Option<Vec<(Interval, u8, Option<String>)>>,
    genes: &HashMap<String, Gene>,
) -> Result<Transcript, ModelFileError> {
    let Some(mut exons) = exons else {
        return Err(ModelFileError::NoExons(p.accession));
    };
    let forward = p.strand == Strand::Forward;
    sort_transcript_order(&mut exons, forward, |e| *e);
    let coding = cds.map(|mut parts| {
        sort_transcript_order(&mut parts, forward, |c| c.0);
        Coding {
            start_phase: parts.first().map(|c| c.1).unwrap_or(0),
            protein_id: parts.iter().find_map(|c| c.2.clone()),
            segments: parts.into_iter().map(|c| c.0).collect(),
            // NCBI marks incomplete models with `partial=true` on the transcript; the CDS
            // rows alone cannot say which end is open.
            start_incomplete: false,
            end_incomplete: false,
        }
    });
    let gene = p.parent.as_deref().and_then(|g| genes.get(g));
    let biotype = biotype(&p, coding.is_some());
    let (id, version) = match p.accession.rsplit_once('.') {
        Some((base, v)) if !base.is_empty() => match v.parse() {
            Ok(v) => (base.to_string(), Some(v)),
            Err(_) => (p.accession.clone(), None),
        },
        _ => (p.accession.clone(), None),
    };
    let has = |tag: &str| p.tags.iter().any(|t| t == tag);
    Ok(Transcript {
        id,
        version,
        gene_id: p
            .gene_id
            .or_else(|| gene.and_then(|g| g.gene_id.clone()))
            .or(p.parent)
            .unwrap_or_default(),
        gene_symbol: p.symbol.or_else(|| gene.and_then(|g| g.symbol.clone())),
        hgnc_id: p
            .hgnc_id
            .or_else(|| gene.and_then(|g| g.hgnc_id.clone()))
            .map(|h| {
                // Dbxref writes `HGNC:HGNC:14027`; VEP prints `HGNC:14027`.
                if h.starts_with("HGNC:") {
                    h
                } else {
                    format!("HGNC:{h}")
                }
            }),
        biotype,
        chrom: p.chrom,
        strand: p.strand,
        exons,
        coding,
        canonical: has("RefSeq Select") || has("MANE Select"),
        mane_select: has("MANE Select"),
        mane_plus_clinical: has("MANE Plus Clinical"),
        source: "RefSeq".to_string(),
        derived: Default::default(),
    })
}

/// Ensembl-style biotype from NCBI's feature type, `gbkey` and `ncrna_class`.
fn biotype(p: &Pending, coding: bool) -> String {
    match (p.kind.as_str(), p.gbkey.as_deref()) {
        ("mRNA", _) if coding => "protein_coding".to_string(),
        ("mRNA", _) => "processed_transcript".to_string(),
        ("ncRNA", _) => p.ncrna_class.clone().unwrap_or_else(|| "ncRNA".to_string()),
        ("lnc_RNA", _) => "lncRNA".to_string(),
        ("primary_transcript", Some("precursor_RNA")) => "miRNA".to_string(),
        ("transcript", Some("misc_RNA")) => "misc_RNA".to_string(),
        (other, _) => other.to_string(),
    }
}

fn sort_transcript_order<T>(items: &mut [T], forward: bool, key: impl Fn(&T) -> Interval) {
    if forward {
        items.sort_by_key(|i| key(i).start);
    } else {
        items.sort_by_key(|i| std::cmp::Reverse(key(i).start));
    }
}

#[cfg(test)]
mod tests;
