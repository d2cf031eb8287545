//! Shared parts of the engine property tests: the bundled engine, a deterministic variant
//! generator, the spellings of one change, and the regions of a transcript where VEP's
//! consequence predicates cannot tell two placements of an indel apart.

use std::{path::Path, sync::OnceLock};

use vep::engine::{
    input::InputContext,
    input::Variant,
    models::transcript::Transcript,
    output::{TranscriptConsequence, VariantAnnotation},
    predict::Engine,
};

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
            .expect("bundled data loads")
    })
}

pub use crate::lcg::Lcg;

fn other(b: u8) -> u8 {
    match b {
        b'A' => b'G',
        b'C' => b'T',
        b'G' => b'A',
        _ => b'C',
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One VCF record at `p` (the first base of `window`) of a kind picked by the generator.
fn record(chrom: &str, p: u64, window: &[u8], rng: &mut Lcg) -> Variant {
    let (r, a) = match rng.next(5) {
        0 => (text(&window[..1]), text(&[other(window[0])])),
        1 => {
            let n = 1 + rng.next(6) as usize;
            (text(&window[..=n]), text(&window[..1]))
        }
        2 => {
            // A copy of the next bases (a duplication, shiftable) or new bases.
            let n = 1 + rng.next(5) as usize;
            let ins = if rng.next(2) == 0 {
                text(&window[1..=n])
            } else {
                (0..n)
                    .map(|i| b"ACGT"[(i * 7 + p as usize) % 4] as char)
                    .collect()
            };
            (text(&window[..1]), format!("{}{ins}", window[0] as char))
        }
        3 => (
            text(&window[..2]),
            text(&[other(window[0]), other(window[1])]),
        ),
        _ => {
            // Delins of unequal length, minimal (no shared first or last base): VEP trims a
            // VCF record's shared first base only, so a non-minimal record is a different
            // allele string and may legitimately annotate differently.
            let alt = *b"ACGT"
                .iter()
                .find(|&&b| b != window[0] && b != window[2])
                .unwrap_or(&b'N');
            (text(&window[..3]), text(&[alt]))
        }
    };
    Variant {
        input: String::new(),
        id: None,
        chrom: chrom.to_string(),
        pos: p,
        reference: r,
        alternate: a,
    }
}

/// The start of the first homopolymer or dinucleotide repeat (>= 3 units) at or after `p`.
fn repeat_after(e: &Engine, chrom: &str, p: u64) -> Option<u64> {
    let w = e.reference(chrom, p, p + 200)?;
    (1..w.len().saturating_sub(8)).find_map(|i| {
        let homo = w[i..i + 4].iter().all(|&b| b == w[i]);
        let di = w[i] != w[i + 1] && w[i..i + 6] == [w[i], w[i + 1]].repeat(3)[..];
        // Anchor on the base before the repeat so the indel falls inside it.
        (homo || di).then_some(p + i as u64 - 1)
    })
}

/// Variants near every transcript: exon and CDS edges (both sides), exon interiors, and
/// indels dropped into repeats found in exons and introns.
pub fn generate(e: &Engine, rng: &mut Lcg) -> Vec<Variant> {
    let mut out = Vec::new();
    for t in e.models().all().unwrap() {
        let mut points: Vec<u64> = Vec::new();
        for x in &t.exons {
            points.extend([x.start, x.end, x.start.saturating_sub(3), x.end + 3]);
            points.extend([x.start.saturating_sub(9), x.end + 8]);
            points.push(x.start + rng.next(x.len()));
        }
        if let Some(c) = &t.coding {
            for s in &c.segments {
                points.extend([s.start, s.end, s.start + 1, s.end - 1]);
            }
        }
        let (lo, hi) = (t.start(), t.end());
        for _ in 0..6 {
            let p = lo + rng.next(hi - lo + 1);
            points.extend(repeat_after(e, &t.chrom, p));
        }
        for x in &t.exons {
            points.extend(repeat_after(e, &t.chrom, x.start));
        }
        for p in points {
            let Some(window) = e.reference(&t.chrom, p, p + 8) else {
                continue;
            };
            if window.contains(&b'N') {
                continue;
            }
            out.push(record(&t.chrom, p, &window, rng));
        }
    }
    out
}

/// A change with shared flanks removed: `ref_` at `start` becomes `alt`; for an insertion
/// `ref_` is empty and the bases go before `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trimmed {
    pub start: u64,
    pub ref_: Vec<u8>,
    pub alt: Vec<u8>,
}

pub fn trim(v: &Variant) -> Trimmed {
    let (mut r, mut a) = (v.reference.as_bytes(), v.alternate.as_bytes());
    let mut start = v.pos;
    while !r.is_empty() && !a.is_empty() && r[0] == a[0] {
        (r, a, start) = (&r[1..], &a[1..], start + 1);
    }
    while !r.is_empty() && !a.is_empty() && r[r.len() - 1] == a[a.len() - 1] {
        (r, a) = (&r[..r.len() - 1], &a[..a.len() - 1]);
    }
    Trimmed {
        start,
        ref_: r.to_vec(),
        alt: a.to_vec(),
    }
}

/// The genomic bases an edit touches; an insertion touches its two flanking bases.
pub fn touched(v: &Variant) -> (u64, u64) {
    let t = trim(v);
    if t.ref_.is_empty() {
        (t.start - 1, t.start)
    } else {
        (t.start, t.start + t.ref_.len() as u64 - 1)
    }
}

fn accession(chrom: &str) -> Option<&'static str> {
    match chrom {
        "21" => Some("NC_000021.9"),
        "17" => Some("NC_000017.11"),
        _ => None,
    }
}

/// The HGVS genomic spellings of a VCF record, at the same place (`21:g.…`, `NC_000021.9:g.…`).
pub fn genomic_spellings(_e: &Engine, v: &Variant) -> Vec<String> {
    let t = trim(v);
    let (s, n) = (t.start, t.ref_.len() as u64);
    let range = |s: u64, e: u64| {
        if s == e {
            s.to_string()
        } else {
            format!("{s}_{e}")
        }
    };
    let change = match (t.ref_.len(), t.alt.len()) {
        (1, 1) => format!("{s}{}>{}", t.ref_[0] as char, t.alt[0] as char),
        (0, _) => format!("{}_{s}ins{}", s - 1, text(&t.alt)),
        (_, 0) => format!("{}del", range(s, s + n - 1)),
        _ => format!("{}delins{}", range(s, s + n - 1), text(&t.alt)),
    };
    let mut names = vec![v.chrom.clone()];
    names.extend(accession(&v.chrom).map(str::to_string));
    names
        .into_iter()
        .map(|c| format!("{c}:g.{change}"))
        .collect()
}

/// For a pure insertion or deletion, its left-aligned and right-shifted VCF records (anchored
/// on the base before), or `None` for other changes.
pub fn shifted(e: &Engine, v: &Variant) -> Option<(Variant, Variant)> {
    let t = trim(v);
    if !t.ref_.is_empty() && !t.alt.is_empty() {
        return None;
    }
    const REACH: u64 = 300;
    let lo = t.start.checked_sub(REACH)?.max(1);
    let w = e.reference(&v.chrom, lo, t.start + REACH)?;
    let at = |p: u64| w.get((p - lo) as usize).copied();
    let anchored = |anchor: u64, inserted: &[u8], deleted: u64| -> Option<Variant> {
        let base = at(anchor)? as char;
        let del: String = (anchor + 1..=anchor + deleted)
            .map(|p| at(p).map(|b| b as char))
            .collect::<Option<_>>()?;
        Some(Variant {
            input: String::new(),
            id: None,
            chrom: v.chrom.clone(),
            pos: anchor,
            reference: format!("{base}{del}"),
            alternate: format!("{base}{}", text(inserted)),
        })
    };
    if t.ref_.is_empty() {
        // Insertion between `b` and `b + 1`.
        let (mut b, mut ins) = (t.start - 1, t.alt.clone());
        while b > lo && at(b) == ins.last().copied() {
            ins.rotate_right(1);
            b -= 1;
        }
        let left = anchored(b, &ins, 0)?;
        while at(b + 1) == Some(ins[0]) {
            ins.rotate_left(1);
            b += 1;
        }
        Some((left, anchored(b, &ins, 0)?))
    } else {
        let n = t.ref_.len() as u64;
        let (mut s, mut end) = (t.start, t.start + n - 1);
        while s - 1 > lo && at(s - 1) == at(end) {
            (s, end) = (s - 1, end - 1);
        }
        let left = anchored(s - 1, &[], n)?;
        while at(end + 1).is_some() && at(end + 1) == at(s) {
            (s, end) = (s + 1, end + 1);
        }
        Some((left, anchored(s - 1, &[], n)?))
    }
}

/// Where, in one transcript, every base of a span lies, when that is a place VEP's
/// consequence predicates treat uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Inside intron `i` (between exons `i` and `i + 1` in transcript order), 20+ bases from
    /// either edge: beyond splice region (8) and polypyrimidine tract (17).
    Intron(usize),
    /// Inside exon `i`, 4+ bases from its edges and 6+ from any coding base.
    NonCodingExon(usize),
    /// Entirely before or after the transcript.
    Outside,
}

impl Region {
    pub fn of(t: &Transcript, lo: u64, hi: u64) -> Option<Region> {
        if hi < t.start() || lo > t.end() {
            return Some(Region::Outside);
        }
        for (i, x) in t.exons.iter().enumerate() {
            if lo >= x.start + 4 && hi + 4 <= x.end {
                let coding = t.coding.as_ref().is_some_and(|c| {
                    c.segments
                        .iter()
                        .any(|s| s.overlaps(lo.saturating_sub(6), hi + 6))
                });
                return (!coding).then_some(Region::NonCodingExon(i));
            }
        }
        for (i, pair) in t.exons.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let (gap_lo, gap_hi) = (a.end.min(b.end) + 1, a.start.max(b.start) - 1);
            if lo >= gap_lo + 20 && hi + 20 <= gap_hi {
                return Some(Region::Intron(i));
            }
        }
        None
    }
}

/// Single-base substitutions on an incomplete-start CDS: VEP writes padded numbering no
/// HGVS parser reads back (ENGINE.md).
pub fn padded_substitution(e: &Engine, transcript_id: &str, v: &Variant) -> bool {
    let t = trim(v);
    t.ref_.len() == 1
        && t.alt.len() == 1
        && e.models()
            .transcript(transcript_id)
            .ok()
            .flatten()
            .is_some_and(|t| t.cds_padding() > 0)
}

/// Counts and failure lines of one property; a failure line names the variant.
#[derive(Default)]
pub struct Tally {
    pub checked: usize,
    pub failures: Vec<String>,
    /// Differences VEP's rules allow (consequences of an indel placed differently across a
    /// region edge, transcripts in or out of the 5 kb window), with examples.
    pub allowed: usize,
    /// Per-transcript consequence comparisons that had to agree (same place, or placements
    /// inside one uniform region).
    pub strict: usize,
    pub allowed_examples: Vec<String>,
    pub allowed_kinds: std::collections::BTreeMap<&'static str, usize>,
}

impl Tally {
    pub fn fail(&mut self, v: &Variant, what: &str) {
        self.failures.push(format!(
            "{}:{} {}>{}: {what}",
            v.chrom, v.pos, v.reference, v.alternate
        ));
    }

    fn allow(&mut self, kind: &'static str, what: String) {
        self.allowed += 1;
        let seen = self.allowed_kinds.entry(kind).or_insert(0);
        *seen += 1;
        if *seen <= 2 {
            self.allowed_examples.push(format!("[{kind}] {what}"));
        }
    }

    pub fn finish(self, property: &str, at_least: usize) {
        for f in self.failures.iter().take(25) {
            eprintln!("FAIL {f}");
        }
        for a in &self.allowed_examples {
            eprintln!("allowed: {a}");
        }
        for (kind, n) in &self.allowed_kinds {
            eprintln!("allowed {n}: {kind}");
        }
        eprintln!(
            "{property}: {} comparisons ({} per-transcript consequence checks that must agree), \
             {} failures, {} differences VEP's rules allow",
            self.checked,
            self.strict,
            self.failures.len(),
            self.allowed
        );
        assert!(
            self.checked >= at_least,
            "only {} comparisons",
            self.checked
        );
        assert!(self.failures.is_empty(), "{property}: see FAIL lines");
    }
}

/// The first field where two annotations differ, as JSON.
pub fn first_difference(a: &VariantAnnotation, b: &VariantAnnotation) -> String {
    let (ja, jb) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let (Some(oa), Some(ob)) = (ja.as_object(), jb.as_object()) else {
        return "not objects".into();
    };
    for (k, va) in oa {
        let vb = ob.get(k);
        if vb != Some(va) {
            return format!("{k}: {va} vs {}", vb.cloned().unwrap_or_default());
        }
    }
    "extra fields".into()
}

/// Where VEP's HGVSp depends on how the change was submitted, not only on the change
/// (ENGINE.md): it names the protein change after the submitted allele's `frameshift` and
/// `stop_lost` terms, and on the reverse strand it places an insertion shifted further than
/// its own length unrotated.
fn named_from_the_spelling(
    v1: &Variant,
    v2: &Variant,
    tc1: &TranscriptConsequence,
    tc2: &TranscriptConsequence,
) -> bool {
    let terms = |tc: &TranscriptConsequence| {
        let has = |term: &str| tc.consequence_terms.iter().any(|t| t == term);
        (has("frameshift_variant"), has("stop_lost"))
    };
    let unrotated = |v: &Variant, tc: &TranscriptConsequence| {
        let t = trim(v);
        t.ref_.is_empty()
            && tc.strand < 0
            && tc
                .hgvs_offset
                .is_some_and(|o| o.unsigned_abs() > t.alt.len() as u64)
    };
    terms(tc1) != terms(tc2) || unrotated(v1, tc1) || unrotated(v2, tc2)
}

fn find<'a>(a: &'a VariantAnnotation, id: &str) -> Option<&'a TranscriptConsequence> {
    a.transcript_consequences
        .iter()
        .find(|tc| tc.transcript_id == id)
}

/// Two placements `v1`, `v2` of one change (HGVS-equivalent): HGVSc/HGVSp must agree on
/// every transcript both report; consequence terms, impact, exon and intron must agree where
/// the whole span between the placements lies in one uniform region of the transcript.
pub fn compare_shifted(
    e: &Engine,
    v1: &Variant,
    v2: &Variant,
    a1: &VariantAnnotation,
    a2: &VariantAnnotation,
    tally: &mut Tally,
    label: &str,
) {
    let (l1, h1) = touched(v1);
    let (l2, h2) = touched(v2);
    let (lo, hi) = (l1.min(l2), h1.max(h2));
    // At the same place everything must agree, whatever the region.
    let same_place = trim(v1) == trim(v2);
    if same_place {
        for tc2 in &a2.transcript_consequences {
            if find(a1, &tc2.transcript_id).is_none() {
                tally.fail(
                    v1,
                    &format!("{label}: {} only in the read-back", tc2.transcript_id),
                );
            }
        }
    }
    for tc1 in &a1.transcript_consequences {
        let id = &tc1.transcript_id;
        let Ok(Some(t)) = e.models().transcript(id) else {
            tally.fail(v1, &format!("{label}: unknown transcript {id}"));
            continue;
        };
        let region = Region::of(t, lo, hi);
        let Some(tc2) = find(a2, id) else {
            // Only placements outside the transcript, across the 5 kb up/downstream limit,
            // may do this.
            if region == Some(Region::Outside) && !same_place {
                tally.allow(
                    "transcript in the 5 kb window of one placement",
                    format!("{label}: {id}"),
                );
            } else {
                tally.fail(
                    v1,
                    &format!("{label}: {id} missing from the other spelling"),
                );
            }
            continue;
        };
        // HGVS names are of the allele shifted 3' inside the transcript, so they agree when
        // both placements lie inside it; a placement outside has none (VEP names no
        // up/downstream variant), and the shift never leaves the transcript.
        let inside = |(l, h): (u64, u64)| l >= t.start() && h <= t.end();
        let both_inside = inside((l1, h1)) && inside((l2, h2));
        // VEP writes HGVSp only for a submitted placement that touches the CDS (ENGINE.md:
        // `c.713+1dup` has none): an indel in a repeat across a CDS edge has it in one place.
        let coding_differs = tc1.protein_start.is_some() != tc2.protein_start.is_some();
        let hgvsp_differs = match (&tc1.hgvsp, &tc2.hgvsp) {
            (Some(p1), Some(p2)) => p1 != p2,
            (None, None) => false,
            _ => !coding_differs || same_place,
        };
        if !same_place && !both_inside && tc1.hgvsc != tc2.hgvsc {
            tally.allow(
                "HGVSc: a placement outside the transcript",
                format!(
                    "{label}: {id} placement outside the transcript: {:?} vs {:?}",
                    tc1.hgvsc, tc2.hgvsc
                ),
            );
            continue;
        }
        if tc1.hgvsc == tc2.hgvsc && !hgvsp_differs && tc1.hgvsp != tc2.hgvsp {
            // Not confirmed by a recorded VEP answer (none in tests/data has this shape):
            // our reading of VEP's HGVSp needing a coding placement, counted and shown.
            tally.allow(
                "HGVSp only where the placement touches the CDS",
                format!(
                    "{label}: {id} HGVSp only where the placement is coding: {:?} vs {:?}",
                    tc1.hgvsp, tc2.hgvsp
                ),
            );
        }
        if tc1.hgvsc == tc2.hgvsc && hgvsp_differs && named_from_the_spelling(v1, v2, tc1, tc2) {
            tally.allow(
                "HGVSp that VEP derives from the submitted spelling",
                format!("{label}: {id} HGVSp {:?} vs {:?}", tc1.hgvsp, tc2.hgvsp),
            );
        } else if tc1.hgvsc != tc2.hgvsc || hgvsp_differs {
            tally.fail(
                v1,
                &format!(
                    "{label}: {id} HGVS {:?} {:?} vs {:?} {:?}",
                    tc1.hgvsc, tc1.hgvsp, tc2.hgvsc, tc2.hgvsp
                ),
            );
            continue;
        }
        if region.is_some() || same_place {
            tally.strict += 1;
        }
        let same = tc1.consequence_terms == tc2.consequence_terms
            && tc1.impact == tc2.impact
            && tc1.exon == tc2.exon
            && tc1.intron == tc2.intron;
        if same {
            continue;
        }
        let what = format!(
            "{label}: {id} {:?} {:?}/{:?} vs {:?} {:?}/{:?} ({region:?})",
            tc1.consequence_terms,
            tc1.exon,
            tc1.intron,
            tc2.consequence_terms,
            tc2.exon,
            tc2.intron
        );
        if region.is_some() || same_place {
            tally.fail(v1, &what);
        } else {
            tally.allow("consequences of placements across a region edge", what);
        }
    }
}
