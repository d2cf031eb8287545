//! Strand symmetry: a mirrored world built from the bundled data must annotate the mirror
//! image of a variant exactly as the original world annotates the variant.
//!
//! A window of the bundled reference around some genes (APP and a forward-strand chr21 gene
//! cluster, BRCA1) is reverse-complemented into a new FASTA, and every GFF3 row inside it is
//! mirrored (`x -> W1 - x + 1`, strand flipped, phase kept: phase counts from the feature's
//! 5' end in transcript order, which mirroring preserves). Both are loaded with the engine's
//! own loaders. A transcript then reads the same bases in the same order in both worlds, so
//! everything said in transcript terms (terms, impact, HGVSc/HGVSp, cDNA/CDS/protein
//! positions, exon/intron numbers, codons, amino acids, distance) must be identical; only the
//! genomic side flips (strand, the forward-strand allele, the sign of `hgvs_offset`).

#[path = "common/lcg.rs"]
mod lcg;

#[allow(dead_code)]
#[path = "properties/support.rs"]
mod properties;

use std::{fs, io::Read, path::PathBuf};

use properties::{generate, trim, Lcg, Trimmed};
use vep::engine::{
    input::InputContext,
    input::Variant,
    output::TranscriptConsequence,
    predict::{Engine, BUNDLED_SETS},
};

fn revcomp(s: &[u8]) -> Vec<u8> {
    s.iter()
        .rev()
        .map(|b| match b {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            b'T' => b'A',
            other => *other,
        })
        .collect()
}

/// A window `[w0, w1]` of one contig and the world holding its mirror image.
struct Mirror {
    chrom: String,
    w1: u64,
    engine: Engine,
    /// Transcripts loaded in the mirror (all those overlapping the window).
    ids: Vec<String>,
}

impl Mirror {
    fn at(&self, x: u64) -> u64 {
        self.w1 - x + 1
    }

    /// The window around `seed`: grown until no transcript crosses its edges, with 6 kb to
    /// spare, so every transcript within VEP's 5 kb of a variant near a member is in it.
    fn window(e: &Engine, seed: &str) -> (String, u64, u64) {
        let t = e
            .models()
            .transcript(seed)
            .unwrap()
            .expect("seed transcript bundled");
        let (mut w0, mut w1) = (t.start().saturating_sub(6000), t.end() + 6000);
        loop {
            let (mut lo, mut hi) = (w0, w1);
            for u in e.models().all().unwrap().filter(|u| u.chrom == t.chrom) {
                if u.start() <= w1 && u.end() >= w0 {
                    lo = lo.min(u.start().saturating_sub(6000));
                    hi = hi.max(u.end() + 6000);
                }
            }
            if (lo, hi) == (w0, w1) {
                return (t.chrom.clone(), w0, w1);
            }
            (w0, w1) = (lo, hi);
        }
    }

    fn build(e: &Engine, gff3_gz: &str, seed: &str) -> Mirror {
        let (chrom, w0, w1) = Mirror::window(e, seed);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("mirror-{seed}"));
        fs::create_dir_all(&dir).expect("temp dir");
        let reference = e.reference(&chrom, w0, w1).expect("window in reference");
        let mirrored = revcomp(&reference);
        let mut fasta = format!(">{chrom}\n").into_bytes();
        let offset = fasta.len();
        for line in mirrored.chunks(60) {
            fasta.extend_from_slice(line);
            fasta.push(b'\n');
        }
        let fasta_path = dir.join("mirror.fa");
        fs::write(&fasta_path, fasta).expect("write fasta");
        let fai = format!("{chrom}\t{}\t{offset}\t60\t61\n", mirrored.len());
        fs::write(dir.join("mirror.fa.fai"), fai).expect("write fai");

        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(fs::File::open(data.join(gff3_gz)).expect("gff3"))
            .read_to_string(&mut text)
            .expect("gff3 text");
        let at = |x: u64| w1 - x + 1;
        let mut gff = String::from("##gff-version 3\n");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut cols: Vec<String> = line.split('\t').map(str::to_string).collect();
            let (Ok(start), Ok(end)) = (cols[3].parse::<u64>(), cols[4].parse::<u64>()) else {
                panic!("bundled GFF3 row without coordinates: {line}");
            };
            if cols[0] != chrom || start < w0 || end > w1 {
                continue;
            }
            cols[3] = at(end).to_string();
            cols[4] = at(start).to_string();
            cols[6] = match cols[6].as_str() {
                "+" => "-".into(),
                "-" => "+".into(),
                other => other.into(),
            };
            gff.push_str(&cols.join("\t"));
            gff.push('\n');
        }
        let gff_path = dir.join("mirror.gff3");
        fs::write(&gff_path, gff).expect("write gff3");
        let engine = Engine::load(&[gff_path], &[fasta_path]).expect("mirror loads");
        let ids = engine
            .models()
            .all()
            .unwrap()
            .map(|t| t.id.clone())
            .collect();
        Mirror {
            chrom,
            w1,
            engine,
            ids,
        }
    }
}

/// A minimal change as a VCF-style record: substitutions as they are, insertions and
/// deletions anchored on the base before (the same spelling in both worlds).
fn record(e: &Engine, chrom: &str, t: &Trimmed) -> Option<Variant> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (pos, reference, alternate) = if !t.ref_.is_empty() && !t.alt.is_empty() {
        (t.start, text(&t.ref_), text(&t.alt))
    } else {
        let anchor = t.start.checked_sub(1)?;
        let base = e.reference(chrom, anchor, anchor)?;
        (
            anchor,
            format!("{}{}", text(&base), text(&t.ref_)),
            format!("{}{}", text(&base), text(&t.alt)),
        )
    };
    Some(Variant {
        input: String::new(),
        id: None,
        chrom: chrom.to_string(),
        pos,
        reference,
        alternate,
    })
}

/// The same change seen in the mirror: bases `[s, e]` become `[m(e), m(s)]`, reverse
/// complemented; an insertion before `s` goes before `m(s - 1)`.
fn mirrored(m: &Mirror, t: &Trimmed) -> Trimmed {
    let start = if t.ref_.is_empty() {
        m.at(t.start - 1)
    } else {
        m.at(t.start + t.ref_.len() as u64 - 1)
    };
    Trimmed {
        start,
        ref_: revcomp(&t.ref_),
        alt: revcomp(&t.alt),
    }
}

/// An insertion VEP names the protein change of with the submitted bases unrotated: on the
/// reverse strand, shifted 3' further than its own length (ENGINE.md). Its HGVSp differs
/// from its mirror image's by design; everything else must still agree.
fn unrotated(t: &Trimmed, tc: &TranscriptConsequence) -> bool {
    t.ref_.is_empty()
        && tc.strand < 0
        && tc
            .hgvs_offset
            .is_some_and(|o| o.unsigned_abs() > t.alt.len() as u64)
}

/// The transcript-side view of a consequence: everything that must not change (HGVSp left
/// out where VEP's naming is strand-dependent).
fn transcript_view(tc: &TranscriptConsequence, with_hgvsp: bool) -> String {
    let hgvsp = if with_hgvsp {
        tc.hgvsp.as_deref()
    } else {
        None
    };
    format!(
        "{:?} {} c.{:?} p.{:?} cdna {:?}-{:?} cds {:?}-{:?} protein {:?}-{:?} exon {:?} \
         intron {:?} codons {:?} aa {:?} distance {:?} flags {:?}",
        tc.consequence_terms,
        tc.impact,
        tc.hgvsc,
        hgvsp,
        tc.cdna_start,
        tc.cdna_end,
        tc.cds_start,
        tc.cds_end,
        tc.protein_start,
        tc.protein_end,
        tc.exon,
        tc.intron,
        tc.codons,
        tc.amino_acids,
        tc.distance,
        tc.flags
    )
}

fn check(e: &Engine, m: &Mirror, seed: u64) -> (usize, usize, Vec<String>) {
    let mut rng = Lcg(seed);
    let (mut variants, mut compared, mut failures) = (0, 0, Vec::new());
    let mut strand_named = 0;
    let members: Vec<_> = e
        .models()
        .all()
        .unwrap()
        .filter(|t| t.chrom == m.chrom && m.ids.contains(&t.id))
        .collect();
    let near = |p: u64| {
        members
            .iter()
            .any(|t| p + 500 >= t.start() && p <= t.end() + 500)
    };
    for v in generate(e, &mut rng) {
        if v.chrom != m.chrom || !near(v.pos) {
            continue;
        }
        let t = trim(&v);
        let (Some(original), Some(image)) = (
            record(e, &m.chrom, &t),
            record(&m.engine, &m.chrom, &mirrored(m, &t)),
        ) else {
            continue;
        };
        let label = format!(
            "{}:{} {}>{} (mirror {}:{} {}>{})",
            original.chrom,
            original.pos,
            original.reference,
            original.alternate,
            image.chrom,
            image.pos,
            image.reference,
            image.alternate
        );
        let (a, b) = match (e.annotate(&original), m.engine.annotate(&image)) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                failures.push(format!("{label}: {:?} / {:?}", a.err(), b.err()));
                continue;
            }
        };
        variants += 1;
        if a.most_severe_consequence != b.most_severe_consequence {
            failures.push(format!(
                "{label}: most severe {} vs {}",
                a.most_severe_consequence, b.most_severe_consequence
            ));
        }
        let ids = |x: &vep::engine::output::VariantAnnotation| {
            let mut ids: Vec<String> = x
                .transcript_consequences
                .iter()
                .map(|tc| tc.transcript_id.clone())
                .collect();
            ids.sort();
            ids
        };
        if ids(&a) != ids(&b) {
            failures.push(format!(
                "{label}: transcripts {:?} vs {:?}",
                ids(&a),
                ids(&b)
            ));
            continue;
        }
        for tc in &a.transcript_consequences {
            let Some(tm) = b
                .transcript_consequences
                .iter()
                .find(|x| x.transcript_id == tc.transcript_id)
            else {
                continue;
            };
            compared += 1;
            let image_allele = mirrored(m, &t);
            let with_hgvsp = !unrotated(&t, tc) && !unrotated(&image_allele, tm);
            strand_named += usize::from(!with_hgvsp);
            let (va, vb) = (
                transcript_view(tc, with_hgvsp),
                transcript_view(tm, with_hgvsp),
            );
            if va != vb {
                failures.push(format!("{label}: {}\n    {va}\n    {vb}", tc.transcript_id));
            }
            let flipped = tm.strand == -tc.strand
                && tm.hgvs_offset.map(|o| -o) == tc.hgvs_offset
                && tm.variant_allele.as_bytes() == revcomp(tc.variant_allele.as_bytes());
            if !flipped {
                failures.push(format!(
                    "{label}: {} genomic side not flipped: strand {} / {}, offset {:?} / {:?}, \
                     allele {} / {}",
                    tc.transcript_id,
                    tc.strand,
                    tm.strand,
                    tc.hgvs_offset,
                    tm.hgvs_offset,
                    tc.variant_allele,
                    tm.variant_allele
                ));
            }
        }
    }
    eprintln!("{strand_named} consequences with a strand-dependent HGVSp left out of HGVSp");
    (variants, compared, failures)
}

#[test]
fn mirror_image_variants_get_the_same_transcript_consequences() {
    let e = properties::engine();
    let worlds = [
        (BUNDLED_SETS[0].0, "ENST00000352957", 3),
        (BUNDLED_SETS[0].0, "ENST00000312957", 5),
        (BUNDLED_SETS[1].0, "NM_007294", 7),
    ];
    let (mut variants, mut compared, mut failures) = (0, 0, Vec::new());
    for (gff3, seed_transcript, seed) in worlds {
        let m = Mirror::build(e, gff3, seed_transcript);
        let (v, c, f) = check(e, &m, seed);
        eprintln!(
            "{seed_transcript} window ({} transcripts): {v} variants, {c} transcript \
             consequences compared, {} failures",
            m.ids.len(),
            f.len()
        );
        (variants, compared) = (variants + v, compared + c);
        failures.extend(f);
    }
    for f in failures.iter().take(30) {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "strand symmetry: {variants} variants, {compared} transcript consequences, {} failures",
        failures.len()
    );
    assert!(compared > 1000, "only {compared} compared");
    assert!(failures.is_empty(), "see FAIL lines");
}
