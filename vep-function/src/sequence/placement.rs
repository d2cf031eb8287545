//! Where a sequence sits: k-mer hits of both strands vote for diagonals (reference position
//! minus query offset); nearby diagonals form one candidate locus. One clear winner is the
//! placement; two close contenders are reported as ambiguous, never picked between.

use super::kmer::{kmers, KmerIndex, K};
use super::reverse_complement;
use super::SequenceError;

/// K-mers occurring more often than this are repeats (Alu, satellites): they say nothing about
/// where a sequence comes from.
const MAX_OCCURRENCES: usize = 16;
/// A runner-up with at least this share of the winner's votes makes the placement ambiguous.
const AMBIGUOUS_SHARE: f64 = 0.8;
/// Fewest votes a placement needs, and fewest as a share of the query's k-mers: random
/// sequence meets a 16-mer of a few megabases only by chance, a few times at most.
const MIN_VOTES: usize = 10;
const MIN_VOTE_SHARE: f64 = 0.05;
/// Diagonal width of a peak: exact hits share one diagonal, small indels move it a little.
const PEAK_BAND: i64 = 32;
/// Candidate loci looked at (the winner and its contenders).
const MAX_CANDIDATES: usize = 6;

/// The reference range to align the (oriented) sequence against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub chrom: String,
    /// 1-based inclusive reference range, already widened for indels.
    pub start: u64,
    pub end: u64,
    /// `1`: the sequence as given; `-1`: its reverse complement matches the plus strand.
    pub strand: i8,
    pub votes: usize,
}

struct Cluster {
    strand: i8,
    min_diag: i64,
    max_diag: i64,
    votes: usize,
}

pub fn place(index: &KmerIndex, query: &[u8]) -> Result<Placement, SequenceError> {
    let len = query.len() as i64;
    // Indels move the diagonal: hits this far from a peak still belong to its locus.
    let tolerance = 100 + len / 4;
    let mut seeds: Vec<(i8, i64)> = Vec::new();
    let mut informative = 0usize;
    let reverse = reverse_complement(query);
    for (strand, bases) in [(1i8, query), (-1i8, reverse.as_slice())] {
        for (offset, kmer) in kmers(bases) {
            if strand == 1 {
                informative += 1;
            }
            let n = index.count(kmer);
            if n == 0 || n > MAX_OCCURRENCES {
                continue;
            }
            seeds.extend(index.hits(kmer).map(|g| (strand, g as i64 - offset as i64)));
        }
    }
    seeds.sort_unstable();
    let mut clusters = peaks(&seeds, tolerance);
    clusters.sort_by_key(|c| std::cmp::Reverse(c.votes));
    let needed = MIN_VOTES.max((informative as f64 * MIN_VOTE_SHARE).ceil() as usize);
    let Some(best) = clusters.first().filter(|c| c.votes >= needed) else {
        return Err(SequenceError::NotPlaced(format!(
            "no region of the loaded reference shares enough {K}-mers with it \
             ({} of {needed} needed); it may come from elsewhere or not be human",
            clusters.first().map_or(0, |c| c.votes)
        )));
    };
    let contenders: Vec<&Cluster> = clusters
        .iter()
        .take_while(|c| c.votes as f64 >= best.votes as f64 * AMBIGUOUS_SHARE)
        .collect();
    if contenders.len() > 1 {
        let named: Vec<String> = contenders
            .iter()
            .take(5)
            .map(|c| describe(index, c, len))
            .collect();
        return Err(SequenceError::Ambiguous {
            candidates: named.join(", "),
        });
    }
    let (window, offset) = index
        .window_at(best.min_diag.max(0))
        .ok_or_else(|| SequenceError::NotPlaced("seed outside every window".into()))?;
    let margin = 100 + len / 10;
    let to_ref = |g: i64| window.start as i64 + (g - offset);
    let start = to_ref(best.min_diag - margin).max(1) as u64;
    let end = to_ref(best.max_diag + len + margin).max(1) as u64;
    Ok(Placement {
        chrom: window.chrom.clone(),
        start,
        end,
        strand: best.strand,
        votes: best.votes,
    })
}

/// The densest diagonal bands, best first, each grown by `tolerance` either side. Growing from
/// a peak (rather than chaining neighbours) keeps scattered repeat hits from merging a whole
/// region into one candidate.
fn peaks(seeds: &[(i8, i64)], tolerance: i64) -> Vec<Cluster> {
    let mut taken = vec![false; seeds.len()];
    let mut out = Vec::new();
    for _ in 0..MAX_CANDIDATES {
        // (count, first, last) of the densest band of untaken seeds: two pointers.
        let mut best: Option<(usize, usize)> = None;
        let (mut lo, mut count) = (0usize, 0usize);
        for hi in 0..seeds.len() {
            if taken[hi] {
                continue;
            }
            count += 1;
            while lo < hi
                && (taken[lo]
                    || seeds[lo].0 != seeds[hi].0
                    || seeds[hi].1 - seeds[lo].1 > PEAK_BAND)
            {
                if !taken[lo] {
                    count -= 1;
                }
                lo += 1;
            }
            if best.is_none_or(|(c, _)| count > c) {
                best = Some((count, hi));
            }
        }
        let Some((_, peak)) = best else { break };
        let (strand, diag) = seeds[peak];
        let from = seeds.partition_point(|&s| s < (strand, diag - PEAK_BAND - tolerance));
        let to = seeds.partition_point(|&s| s <= (strand, diag + tolerance));
        let mut cluster = Cluster {
            strand,
            min_diag: i64::MAX,
            max_diag: i64::MIN,
            votes: 0,
        };
        for i in from..to {
            if !taken[i] {
                taken[i] = true;
                cluster.votes += 1;
                cluster.min_diag = cluster.min_diag.min(seeds[i].1);
                cluster.max_diag = cluster.max_diag.max(seeds[i].1);
            }
        }
        out.push(cluster);
    }
    out
}

/// `17:43044295-43046294 (+, 1800 seeds)` for an error message.
fn describe(index: &KmerIndex, c: &Cluster, len: i64) -> String {
    match index.window_at(c.min_diag.max(0)) {
        Some((w, offset)) => {
            let start = w.start as i64 + (c.min_diag - offset);
            format!(
                "{}:{}-{} ({} strand, {} seeds)",
                w.chrom,
                start.max(1),
                start + len - 1,
                if c.strand == 1 { "+" } else { "-" },
                c.votes
            )
        }
        None => format!("an unknown locus ({} seeds)", c.votes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::regions::Window;
    use crate::sequence::tests::brca1;

    fn window(start: u64, end: u64) -> Window {
        Window {
            chrom: "17".into(),
            start,
            end,
        }
    }

    #[test]
    fn places_a_stretch_on_its_strand_with_room_for_indels() {
        let g = brca1();
        let index = KmerIndex::build(&g, &[window(43_000_001, 43_200_000)], u64::MAX).unwrap();
        let query = g.sequence("17", 43_100_001, 43_101_000).unwrap();
        let p = place(&index, &query).unwrap();
        assert_eq!((p.chrom.as_str(), p.strand), ("17", 1));
        assert!(p.start <= 43_100_001 && p.end >= 43_101_000, "{p:?}");
        assert!(p.end - p.start < 2_000, "{p:?}");
        let p = place(&index, &reverse_complement(&query)).unwrap();
        assert_eq!(p.strand, -1);
        assert!(p.start <= 43_100_001 && p.end >= 43_101_000, "{p:?}");
    }

    #[test]
    fn reports_two_equally_good_loci_as_ambiguous() {
        // The same stretch indexed twice (as two windows) stands for a duplicated region.
        let g = brca1();
        let w = window(43_100_001, 43_110_000);
        let index = KmerIndex::build(&g, &[w.clone(), w], u64::MAX).unwrap();
        let query = g.sequence("17", 43_105_001, 43_105_500).unwrap();
        match place(&index, &query) {
            Err(SequenceError::Ambiguous { candidates }) => {
                assert_eq!(
                    candidates.matches("17:43105001-43105500").count(),
                    2,
                    "{candidates}"
                );
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn refuses_an_index_over_the_bound() {
        let g = brca1();
        let err = KmerIndex::build(&g, &[window(43_000_001, 43_200_000)], 1000).unwrap_err();
        assert_eq!(err.code(), "hint_required");
    }
}
