//! Coordinate mapping between the genome and a transcript's spliced sequence (cDNA) and CDS.

use super::{Interval, Strand, Transcript};

/// Where a genomic position lies relative to a transcript, in transcript orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxPosition {
    /// In an exon, at this 1-based cDNA position.
    Exonic(u64),
    /// In an intron: the nearest exon base (cDNA position) and the signed distance from it
    /// (`+` after a donor, `-` before an acceptor), as HGVS counts it.
    Intronic { anchor: u64, offset: i64 },
    /// Before the first base of the transcript (5'), this many bases away.
    Upstream(u64),
    /// After the last base (3'), this many bases away.
    Downstream(u64),
}

impl Transcript {
    /// Length of the spliced transcript.
    pub fn cdna_len(&self) -> u64 {
        self.exons.iter().map(Interval::len).sum()
    }

    /// Index (0-based, transcript order) of the exon holding `pos`.
    pub fn exon_index(&self, pos: u64) -> Option<usize> {
        self.exons
            .iter()
            .position(|e| e.start <= pos && pos <= e.end)
    }

    /// 1-based cDNA position of an exonic genomic position.
    pub fn cdna_position(&self, pos: u64) -> Option<u64> {
        let spans = self.spans();
        if spans.ordered {
            let i = match self.strand {
                Strand::Forward => self.exons.partition_point(|e| e.end < pos),
                Strand::Reverse => self.exons.partition_point(|e| e.start > pos),
            };
            let exon = self
                .exons
                .get(i)
                .filter(|e| e.start <= pos && pos <= e.end)?;
            let within = match self.strand {
                Strand::Forward => pos - exon.start,
                Strand::Reverse => exon.end - pos,
            };
            return Some(spans.before.get(i)? + within + 1);
        }
        self.cdna_position_by_scan(pos)
    }

    /// [`Transcript::cdna_position`] by walking the exons (for any exon layout; also what
    /// the cached spans are computed with, so it must not use them).
    fn cdna_position_by_scan(&self, pos: u64) -> Option<u64> {
        let mut before = 0;
        for exon in &self.exons {
            if exon.start <= pos && pos <= exon.end {
                let within = match self.strand {
                    Strand::Forward => pos - exon.start,
                    Strand::Reverse => exon.end - pos,
                };
                return Some(before + within + 1);
            }
            before += exon.len();
        }
        None
    }

    /// Genomic position of a 1-based cDNA position.
    pub fn genomic_position(&self, cdna: u64) -> Option<u64> {
        if cdna == 0 {
            return None;
        }
        let mut remaining = cdna - 1;
        for exon in &self.exons {
            if remaining < exon.len() {
                return Some(match self.strand {
                    Strand::Forward => exon.start + remaining,
                    Strand::Reverse => exon.end - remaining,
                });
            }
            remaining -= exon.len();
        }
        None
    }

    /// Introns in transcript order, as genomic intervals.
    pub fn introns(&self) -> impl Iterator<Item = Interval> + '_ {
        self.exons
            .windows(2)
            .filter_map(|pair| intron_between(pair[0], pair[1]))
    }

    /// Position of `pos` in transcript terms, with HGVS intron offsets.
    pub fn tx_position(&self, pos: u64) -> TxPosition {
        if let Some(found) = self.tx_position_by_search(pos) {
            return found;
        }
        if let Some(c) = self.cdna_position(pos) {
            return TxPosition::Exonic(c);
        }
        let (start, end) = (self.start(), self.end());
        let forward = self.strand == Strand::Forward;
        if pos < start {
            let d = start - pos;
            return if forward {
                TxPosition::Upstream(d)
            } else {
                TxPosition::Downstream(d)
            };
        }
        if pos > end {
            let d = pos - end;
            return if forward {
                TxPosition::Downstream(d)
            } else {
                TxPosition::Upstream(d)
            };
        }
        let mut before = 0;
        for pair in self.exons.windows(2) {
            let (up, down) = (pair[0], pair[1]);
            before += up.len();
            // Last base of the upstream exon and first base of the downstream one.
            let (up_last, down_first) = if forward {
                (up.end, down.start)
            } else {
                (up.start, down.end)
            };
            let inside = if forward {
                up_last < pos && pos < down_first
            } else {
                down_first < pos && pos < up_last
            };
            if inside {
                return intronic(before, up_last, down_first, pos);
            }
        }
        // Overlapping or unordered exons: treat as exonic boundary (should not happen).
        TxPosition::Upstream(0)
    }

    /// [`Transcript::tx_position`] of a position inside the span on ordered exons, with one
    /// binary search for both the exon and the intron case (the exon walk stays for any
    /// other layout). `None` when the layout or position does not allow it.
    fn tx_position_by_search(&self, pos: u64) -> Option<TxPosition> {
        let spans = self.spans();
        if !spans.ordered || pos < spans.start || pos > spans.end {
            return None;
        }
        // `down` is the first exon (transcript order) not wholly before `pos`: it holds `pos`,
        // or the intron is between `down - 1` and `down`.
        let down = match self.strand {
            Strand::Forward => self.exons.partition_point(|e| e.end < pos),
            Strand::Reverse => self.exons.partition_point(|e| e.start > pos),
        };
        let down_exon = self.exons.get(down)?;
        if down_exon.start <= pos && pos <= down_exon.end {
            let within = match self.strand {
                Strand::Forward => pos - down_exon.start,
                Strand::Reverse => down_exon.end - pos,
            };
            return Some(TxPosition::Exonic(spans.before.get(down)? + within + 1));
        }
        let up = self.exons.get(down.checked_sub(1)?)?;
        let (up_last, down_first) = match self.strand {
            Strand::Forward => (up.end, down_exon.start),
            Strand::Reverse => (up.start, down_exon.end),
        };
        Some(intronic(*spans.before.get(down)?, up_last, down_first, pos))
    }

    /// Indices (in [`Transcript::introns`] order) and intervals of the introns overlapping
    /// `lo..=hi` (with `lo == hi + 1`, an insertion between them, as `overlap` counts it):
    /// on ordered exons only those, found by binary search; otherwise every intron, which
    /// callers test for overlap anyway.
    pub fn introns_near(&self, lo: u64, hi: u64) -> impl Iterator<Item = (usize, Interval)> + '_ {
        let introns = self.exons.len().saturating_sub(1);
        let (from, to) = if self.spans().ordered {
            // Intron n lies between exons n and n + 1; on ordered exons both of its ends move
            // the same way with n, so "ends at or after lo" and "starts at or before hi" each
            // hold on one side of a partition point.
            let (first, past) = match self.strand {
                Strand::Forward => (
                    self.exons[1.min(self.exons.len())..].partition_point(|e| e.start <= lo),
                    self.exons[..introns].partition_point(|e| e.end < hi),
                ),
                Strand::Reverse => (
                    self.exons[1.min(self.exons.len())..].partition_point(|e| e.end >= hi),
                    self.exons[..introns].partition_point(|e| e.start > lo),
                ),
            };
            (first, past.max(first))
        } else {
            (0, introns)
        };
        let exons = if from < to {
            &self.exons[from..=to]
        } else {
            &[]
        };
        exons
            .windows(2)
            .filter_map(|pair| intron_between(pair[0], pair[1]))
            .enumerate()
            .map(move |(k, intron)| (from + k, intron))
    }

    /// [`Transcript::coding_cdna_range`], computed.
    pub(super) fn compute_coding_cdna_range(&self) -> Option<(u64, u64)> {
        let coding = self.coding.as_ref()?;
        let first = coding.segments.first()?;
        let last = coding.segments.last()?;
        let (g_first, g_last) = match self.strand {
            Strand::Forward => (first.start, last.end),
            Strand::Reverse => (first.end, last.start),
        };
        Some((
            self.cdna_position_by_scan(g_first)?,
            self.cdna_position_by_scan(g_last)?,
        ))
    }

    /// `N`s Ensembl puts before an incomplete first codon: a GFF phase of 1 or 2 means the
    /// CDS starts with the last 2 or 1 bases of a codon, so 2 or 1 bases are missing.
    pub fn cds_padding(&self) -> u64 {
        self.coding
            .as_ref()
            .map_or(0, |c| (3 - u64::from(c.start_phase % 3)) % 3)
    }

    /// Length of the coding sequence including the start padding.
    pub fn cds_len(&self) -> Option<u64> {
        let (s, e) = self.coding_cdna_range()?;
        Some(e + 1 - s + self.cds_padding())
    }

    /// CDS position (1-based, padded like Ensembl's translateable sequence) of a cDNA
    /// position; `<= 0` in the 5' UTR, beyond the CDS length in the 3' UTR.
    pub fn cds_position(&self, cdna: u64) -> Option<i64> {
        let (s, _) = self.coding_cdna_range()?;
        Some(cdna as i64 - s as i64 + 1 + self.cds_padding() as i64)
    }
}

/// The bases between two consecutive exons, `None` when they touch or overlap.
fn intron_between(a: Interval, b: Interval) -> Option<Interval> {
    let (start, end) = if a.end < b.start {
        (a.end + 1, b.start - 1)
    } else {
        (b.end + 1, a.start - 1)
    };
    (start <= end).then_some(Interval { start, end })
}

/// An intronic position between the exon ending at `up_last` (with `before` transcript bases
/// up to and including it) and the exon starting at `down_first`. HGVS: the nearer exon is the
/// anchor; the middle base of an odd-length intron counts from the donor side.
fn intronic(before: u64, up_last: u64, down_first: u64, pos: u64) -> TxPosition {
    let from_up = up_last.abs_diff(pos);
    let to_down = down_first.abs_diff(pos);
    if from_up <= to_down {
        TxPosition::Intronic {
            anchor: before,
            offset: from_up as i64,
        }
    } else {
        TxPosition::Intronic {
            anchor: before + 1,
            offset: -(to_down as i64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::models::transcript::Coding;

    fn reverse_tx() -> Transcript {
        // Two exons on the reverse strand: 200-300 (first) and 100-150 (second).
        Transcript {
            id: "T1".into(),
            version: Some(1),
            gene_id: "G1".into(),
            gene_symbol: None,
            hgnc_id: None,
            biotype: "protein_coding".into(),
            chrom: "1".into(),
            strand: Strand::Reverse,
            exons: vec![
                Interval {
                    start: 200,
                    end: 300,
                },
                Interval {
                    start: 100,
                    end: 150,
                },
            ],
            coding: Some(Coding {
                segments: vec![
                    Interval {
                        start: 200,
                        end: 290,
                    },
                    Interval {
                        start: 120,
                        end: 150,
                    },
                ],
                start_phase: 0,
                protein_id: None,
                start_incomplete: false,
                end_incomplete: false,
            }),
            canonical: false,
            mane_select: false,
            mane_plus_clinical: false,
            source: "Ensembl".into(),
            derived: Default::default(),
        }
    }

    #[test]
    fn binary_searched_exons_agree_with_the_exon_walk_on_the_bundled_models() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/chr21/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"
        );
        let transcripts =
            crate::engine::models::loaders::gff3::read_path(std::path::Path::new(path)).unwrap();
        let mut checked = 0;
        for t in &transcripts {
            for e in &t.exons {
                for pos in [
                    e.start - 2,
                    e.start - 1,
                    e.start,
                    e.start + 1,
                    e.end,
                    e.end + 1,
                ] {
                    assert_eq!(
                        t.cdna_position(pos),
                        t.cdna_position_by_scan(pos),
                        "{}",
                        t.id
                    );
                    for (start, end) in [(pos, pos), (pos, pos + 3), (pos + 1, pos)] {
                        let mut scan = t
                            .exons
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.end >= start && x.start <= end)
                            .map(|(i, _)| i);
                        let (first, last) = (scan.clone().next(), scan.next_back());
                        let expected = first.zip(last);
                        assert_eq!(t.exon_span(start, end), expected, "{} {start}-{end}", t.id);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn maps_reverse_strand_positions_to_cdna_and_back() {
        let t = reverse_tx();
        assert_eq!(t.cdna_position(300), Some(1));
        assert_eq!(t.cdna_position(200), Some(101));
        assert_eq!(t.cdna_position(150), Some(102));
        assert_eq!(t.genomic_position(102), Some(150));
        assert_eq!(t.cdna_position(175), None);
        assert_eq!(t.coding_cdna_range(), Some((11, 132)));
    }

    #[test]
    fn gives_intron_offsets_from_the_nearest_exon() {
        let t = reverse_tx();
        assert_eq!(
            t.tx_position(199),
            TxPosition::Intronic {
                anchor: 101,
                offset: 1
            }
        );
        assert_eq!(
            t.tx_position(151),
            TxPosition::Intronic {
                anchor: 102,
                offset: -1
            }
        );
        assert_eq!(t.tx_position(305), TxPosition::Upstream(5));
        assert_eq!(t.tx_position(90), TxPosition::Downstream(10));
    }
}
