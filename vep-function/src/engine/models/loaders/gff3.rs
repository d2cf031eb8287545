//! Loader for Ensembl-style GFF3 gene models (gene -> transcript -> exon/CDS), plain or
//! gzip/bgzip compressed.

pub(in crate::engine) mod attributes;

use std::{collections::HashMap, io::BufRead, path::Path};

use self::attributes::Attributes;
use super::record::{Layout, ModelFileError, Records};
use crate::engine::models::genome::canonical_name;
use crate::engine::models::transcript::{Coding, Interval, Strand, Transcript};

/// Ensembl GFF3: a `##FASTA` section may follow the features; column 9 may hold raw tabs.
const LAYOUT: Layout = Layout {
    fasta_ends_features: true,
    tabs_in_attributes: true,
};

#[derive(Default)]
struct Gene {
    id: String,
    symbol: Option<String>,
    hgnc_id: Option<String>,
}

struct PendingTranscript {
    id: String,
    version: Option<u32>,
    parent: Option<String>,
    biotype: String,
    chrom: String,
    strand: Strand,
    tags: Vec<String>,
}

struct CdsPart {
    interval: Interval,
    phase: u8,
    protein_id: Option<String>,
}

/// Opens a GFF3 file, decompressing gzip/bgzip when the name ends in `.gz`/`.bgz`.
pub fn read_path(path: &Path) -> Result<Vec<Transcript>, ModelFileError> {
    read(super::text_file::open(path)?)
}

/// Reads every transcript of a GFF3 stream. Features may come in any order.
pub fn read<R: BufRead>(reader: R) -> Result<Vec<Transcript>, ModelFileError> {
    let mut genes: HashMap<String, Gene> = HashMap::new();
    let mut transcripts: Vec<PendingTranscript> = Vec::new();
    let mut exons: HashMap<String, Vec<Interval>> = HashMap::new();
    let mut cds: HashMap<String, Vec<CdsPart>> = HashMap::new();
    let mut rows = Records::new(reader, LAYOUT);
    while let Some(row) = rows.next_record()? {
        let kind = row.kind;
        let attrs = Attributes::parse(row.attributes);
        let id = attrs.get("ID");
        let is_transcript = id.is_some_and(|i| i.starts_with("transcript:"))
            || (id.is_some() && attrs.get("Parent").is_some() && is_transcript_type(kind));
        let is_gene = !is_transcript
            && (id.is_some_and(|i| i.starts_with("gene:")) || kind.ends_with("gene"));
        if is_gene {
            if let Some(id) = id {
                let gene_id = attrs
                    .get("gene_id")
                    .map(str::to_string)
                    .unwrap_or_else(|| strip_prefix(id).to_string());
                genes.insert(
                    id.to_string(),
                    Gene {
                        id: gene_id,
                        symbol: attrs.get("Name").map(str::to_string),
                        hgnc_id: attrs.get("hgnc_id").map(str::to_string),
                    },
                );
            }
            continue;
        }
        if is_transcript {
            let Some(id) = id else { continue };
            let strand = row.strand()?;
            let version = match attrs.get("version") {
                Some(v) => Some(v.parse().map_err(|_| row.invalid("version", v))?),
                None => None,
            };
            let stable = attrs
                .get("transcript_id")
                .unwrap_or_else(|| strip_prefix(id));
            transcripts.push(PendingTranscript {
                id: id.to_string(),
                version,
                parent: attrs.get("Parent").map(str::to_string),
                biotype: attrs.get("biotype").unwrap_or(kind).to_string(),
                chrom: canonical_name(row.seqid),
                strand,
                tags: attrs
                    .get("tag")
                    .map(|t| t.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
            });
            // Remember the stable id under the feature id for the second pass.
            if let Some(last) = transcripts.last_mut() {
                last.id = format!("{}\t{}", id, stable);
            }
            continue;
        }
        if kind != "exon" && kind != "CDS" {
            continue;
        }
        let Some(parents) = attrs.get("Parent") else {
            continue;
        };
        let interval = row.interval()?;
        for parent in parents.split(',') {
            if kind == "exon" {
                exons.entry(parent.to_string()).or_default().push(interval);
            } else {
                let phase = row.phase("phase")?;
                cds.entry(parent.to_string()).or_default().push(CdsPart {
                    interval,
                    phase,
                    protein_id: attrs.get("protein_id").map(|p| strip_prefix(p).to_string()),
                });
            }
        }
    }
    assemble(genes, transcripts, exons, cds)
}

fn assemble(
    genes: HashMap<String, Gene>,
    transcripts: Vec<PendingTranscript>,
    mut exons: HashMap<String, Vec<Interval>>,
    mut cds: HashMap<String, Vec<CdsPart>>,
) -> Result<Vec<Transcript>, ModelFileError> {
    let mut out = Vec::with_capacity(transcripts.len());
    for pending in transcripts {
        let (feature_id, stable) = pending
            .id
            .split_once('\t')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap_or_else(|| (pending.id.clone(), pending.id.clone()));
        // CDS-only models (viral/prokaryotic GFFs, bcftools' tests): the CDS rows are the exons.
        let tx_exons = exons.remove(&feature_id).or_else(|| {
            cds.get(&feature_id)
                .map(|parts| parts.iter().map(|p| p.interval).collect())
        });
        let Some(mut tx_exons) = tx_exons else {
            return Err(ModelFileError::NoExons(stable));
        };
        let forward = pending.strand == Strand::Forward;
        sort_transcript_order(&mut tx_exons, forward, |e| *e);
        let coding = cds.remove(&feature_id).map(|mut parts| {
            sort_transcript_order(&mut parts, forward, |p| p.interval);
            let has = |tag: &str| pending.tags.iter().any(|t| t == tag);
            Coding {
                start_phase: parts.first().map(|p| p.phase).unwrap_or(0),
                protein_id: parts.iter().find_map(|p| p.protein_id.clone()),
                segments: parts.into_iter().map(|p| p.interval).collect(),
                start_incomplete: has("cds_start_NF"),
                end_incomplete: has("cds_end_NF"),
            }
        });
        let gene = pending.parent.as_deref().and_then(|p| genes.get(p));
        let (stable_id, version) = split_version(&stable, pending.version);
        let has = |tag: &str| pending.tags.iter().any(|t| t == tag);
        out.push(Transcript {
            source: if is_refseq(&stable_id) {
                "RefSeq".to_string()
            } else {
                "Ensembl".to_string()
            },
            id: stable_id,
            version,
            gene_id: gene.map(|g| g.id.clone()).unwrap_or_else(|| {
                pending
                    .parent
                    .as_deref()
                    .map(strip_prefix)
                    .unwrap_or_default()
                    .to_string()
            }),
            gene_symbol: gene.and_then(|g| g.symbol.clone()),
            hgnc_id: gene.and_then(|g| g.hgnc_id.clone()),
            biotype: pending.biotype,
            chrom: pending.chrom,
            strand: pending.strand,
            exons: tx_exons,
            coding,
            canonical: has("Ensembl_canonical"),
            mane_select: has("MANE_Select"),
            mane_plus_clinical: has("MANE_Plus_Clinical"),
            derived: Default::default(),
        });
    }
    Ok(out)
}

fn sort_transcript_order<T>(items: &mut [T], forward: bool, key: impl Fn(&T) -> Interval) {
    if forward {
        items.sort_by_key(|i| key(i).start);
    } else {
        items.sort_by_key(|i| std::cmp::Reverse(key(i).start));
    }
}

/// `NM_007294.4` without a `version=` attribute splits into id and version.
fn split_version(id: &str, version: Option<u32>) -> (String, Option<u32>) {
    if version.is_some() {
        return (id.to_string(), version);
    }
    match id.rsplit_once('.') {
        Some((base, v)) if !base.is_empty() => match v.parse() {
            Ok(v) => (base.to_string(), Some(v)),
            Err(_) => (id.to_string(), None),
        },
        _ => (id.to_string(), None),
    }
}

fn is_refseq(id: &str) -> bool {
    ["NM_", "NR_", "XM_", "XR_", "NP_", "YP_"]
        .iter()
        .any(|p| id.starts_with(p))
}

fn strip_prefix(id: &str) -> &str {
    id.split_once(':').map(|(_, rest)| rest).unwrap_or(id)
}

fn is_transcript_type(kind: &str) -> bool {
    matches!(
        kind,
        "mRNA"
            | "transcript"
            | "lnc_RNA"
            | "lncRNA"
            | "ncRNA"
            | "miRNA"
            | "snRNA"
            | "snoRNA"
            | "rRNA"
            | "tRNA"
            | "primary_transcript"
            | "pseudogenic_transcript"
            | "processed_transcript"
            | "NMD_transcript_variant"
            | "lincRNA"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

    #[test]
    fn loads_the_chr21_ensembl_gff3_with_coding_models() {
        let path = format!("{DATA}/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz");
        let txs = read_path(Path::new(&path)).unwrap();
        assert_eq!(txs.len(), 122);
        let t = txs.iter().find(|t| t.id == "ENST00000352957").unwrap();
        assert_eq!(t.versioned_id(), "ENST00000352957.8");
        assert_eq!(t.gene_id, "ENSG00000154719");
        assert_eq!(t.gene_symbol.as_deref(), Some("MRPL39"));
        assert_eq!(t.strand, Strand::Reverse);
        let coding = t.coding.as_ref().unwrap();
        assert_eq!(coding.protein_id.as_deref(), Some("ENSP00000284967"));
        // Transcript order on the reverse strand: descending coordinates.
        assert!(t.exons[0].start > t.exons[1].start);
        assert_eq!(t.cds_len(), Some(1017));
    }

    #[test]
    fn loads_refseq_ids_and_mane_tags_from_the_brca1_gff3() {
        let path = format!("{DATA}/brca1/BRCA1.GRCh38.refseq_cdot.gff3.gz");
        let txs = read_path(Path::new(&path)).unwrap();
        assert_eq!(txs.len(), 6);
        let t = txs.iter().find(|t| t.id == "NM_007294").unwrap();
        assert!(t.mane_select);
        assert_eq!(t.hgnc_id.as_deref(), Some("HGNC:1100"));
        assert_eq!(t.source, "RefSeq");
        assert_eq!(t.cds_len(), Some(1864 * 3));
    }

    #[test]
    fn rejects_a_line_with_missing_columns() {
        let text = "21\tx\texon\t1\t10\t.\t+\n";
        assert!(matches!(
            read(text.as_bytes()),
            Err(ModelFileError::Columns { line: 1, found: 7 })
        ));
    }

    #[test]
    fn rejects_a_transcript_without_exons() {
        let text = "21\tx\tmRNA\t1\t10\t.\t+\t.\tID=transcript:T1;Parent=gene:G1\n";
        assert!(matches!(read(text.as_bytes()), Err(ModelFileError::NoExons(id)) if id == "T1"));
    }
}
