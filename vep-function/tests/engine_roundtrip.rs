//! Self-consistency of the engine on many generated variants around every transcript of the
//! bundled data: annotation never fails on a valid variant, and every HGVSc it writes parses
//! back (through the input parser) to the same change of the reference sequence.

#[path = "common/lcg.rs"]
mod lcg;

use std::{path::Path, sync::OnceLock};

use vep::engine::{input::parse_input, input::InputContext, input::Variant, predict::Engine};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
    })
}

use lcg::Lcg;

/// The reference window `lo..=hi` with the variant applied.
fn apply(e: &Engine, v: &Variant, lo: u64, hi: u64) -> Vec<u8> {
    let mut seq = e.reference(&v.chrom, lo, hi).unwrap();
    let at = (v.pos - lo) as usize;
    seq.splice(at..at + v.reference.len(), v.alternate.bytes());
    seq
}

fn variants_near(e: &Engine, rng: &mut Lcg) -> Vec<Variant> {
    let mut out = Vec::new();
    for t in e.models().all().unwrap() {
        // Points of interest: exon edges (both sides) and random exonic/intronic positions.
        let mut points: Vec<u64> = Vec::new();
        for x in &t.exons {
            points.extend([x.start, x.end, x.start.saturating_sub(3), x.end + 3]);
            points.push(x.start + rng.next(x.len()));
        }
        if let Some(c) = &t.coding {
            for s in &c.segments {
                points.extend([s.start, s.end, s.start + 1, s.end - 1]);
            }
        }
        for p in points {
            let Some(window) = e.reference(&t.chrom, p, p + 8) else {
                continue;
            };
            if window.contains(&b'N') {
                continue;
            }
            let kind = rng.next(4);
            let base = |i: usize| window[i] as char;
            let other = |b: u8| match b {
                b'A' => "G",
                b'C' => "T",
                b'G' => "A",
                _ => "C",
            };
            let (r, a) = match kind {
                0 => (base(0).to_string(), other(window[0]).to_string()),
                1 => {
                    let n = 1 + rng.next(6) as usize;
                    (
                        String::from_utf8_lossy(&window[..=n]).into_owned(),
                        base(0).to_string(),
                    )
                }
                2 => {
                    // Insertion: either a copy of the next bases (a duplication) or new bases.
                    let n = 1 + rng.next(5) as usize;
                    let ins: String = if rng.next(2) == 0 {
                        String::from_utf8_lossy(&window[1..=n]).into_owned()
                    } else {
                        (0..n)
                            .map(|i| b"ACGT"[(i * 7 + p as usize) % 4] as char)
                            .collect()
                    };
                    (base(0).to_string(), format!("{}{}", base(0), ins))
                }
                _ => (
                    String::from_utf8_lossy(&window[..2]).into_owned(),
                    format!("{}{}", other(window[0]), other(window[1])),
                ),
            };
            out.push(Variant {
                input: String::new(),
                id: Some(t.id.clone()),
                chrom: t.chrom.clone(),
                pos: p,
                reference: r,
                alternate: a,
            });
        }
    }
    out
}

#[test]
fn every_hgvsc_written_parses_back_to_the_same_change() {
    let e = engine();
    let mut rng = Lcg(20261128);
    let variants = variants_near(e, &mut rng);
    assert!(variants.len() > 1000, "generated {}", variants.len());
    let (mut checked, mut failures) = (0, Vec::new());
    for v in &variants {
        let annotation = match e.annotate(v) {
            Ok(a) => a,
            Err(err) => {
                failures.push(format!(
                    "{}:{} {}>{}: {err}",
                    v.chrom, v.pos, v.reference, v.alternate
                ));
                continue;
            }
        };
        for tc in &annotation.transcript_consequences {
            let Some(hgvsc) = &tc.hgvsc else { continue };
            // VEP numbers exonic substitutions on an incomplete-start CDS from the padded
            // start (ENGINE.md); HGVS parsers count from the first real base.
            let padded = e
                .models()
                .transcript(&tc.transcript_id)
                .ok()
                .flatten()
                .is_some_and(|t| t.cds_padding() > 0);
            if padded && v.reference.len() == 1 && v.alternate.len() == 1 {
                continue;
            }
            checked += 1;
            let parsed = match parse_input(hgvsc, e) {
                Ok(mut p) if p.len() == 1 => p.remove(0),
                other => {
                    failures.push(format!("{hgvsc}: does not parse back ({other:?})"));
                    continue;
                }
            };
            let lo = v.pos.min(parsed.pos).saturating_sub(20);
            let hi = (v.pos + v.reference.len() as u64)
                .max(parsed.pos + parsed.reference.len() as u64)
                + 20;
            if apply(e, v, lo, hi) != apply(e, &parsed, lo, hi) {
                failures.push(format!(
                    "{hgvsc}: is {}:{} {}>{}, input was {}:{} {}>{}",
                    parsed.chrom,
                    parsed.pos,
                    parsed.reference,
                    parsed.alternate,
                    v.chrom,
                    v.pos,
                    v.reference,
                    v.alternate
                ));
            }
        }
    }
    for f in failures.iter().take(20) {
        eprintln!("{f}");
    }
    eprintln!("{checked} HGVSc names checked, {} failures", failures.len());
    assert!(failures.is_empty());
}

#[test]
fn substitution_protein_names_agree_with_positions_and_amino_acids() {
    // VEP writes an unknown residue (`X`, from `N` bases) as `Ter` (`s/Xaa/Ter/g`).
    let three_letter = |aa: u8| {
        if aa == b'X' {
            "Ter"
        } else {
            vep::engine::predict::codon::three_letter(aa)
        }
    };
    let e = engine();
    let mut rng = Lcg(7);
    let (mut checked, mut failures) = (0, Vec::new());
    for v in variants_near(e, &mut rng) {
        if v.reference.len() != 1 || v.alternate.len() != 1 {
            continue;
        }
        let Ok(annotation) = e.annotate(&v) else {
            continue;
        };
        for tc in &annotation.transcript_consequences {
            let (Some(hgvsp), Some(aa), Some(pos)) = (&tc.hgvsp, &tc.amino_acids, tc.protein_start)
            else {
                continue;
            };
            let p = hgvsp.split_once(":p.").map_or("", |(_, p)| p);
            let (r, a) = match aa.split_once('/') {
                Some((r, a)) => (r.as_bytes()[0], a.as_bytes()[0]),
                None => (aa.as_bytes()[0], aa.as_bytes()[0]),
            };
            let expected = if r == a {
                format!("{}{pos}=", three_letter(r))
            } else if r == b'M' && pos == 1 {
                "Met1?".to_string()
            } else if r == b'*' {
                format!("Ter{pos}{}ext", three_letter(a))
            } else {
                format!("{}{pos}{}", three_letter(r), three_letter(a))
            };
            checked += 1;
            if !p.starts_with(&expected) {
                failures.push(format!("{hgvsp} with {aa} at {pos}"));
            }
        }
    }
    for f in failures.iter().take(20) {
        eprintln!("{f}");
    }
    eprintln!(
        "{checked} protein names checked, {} failures",
        failures.len()
    );
    assert!(checked > 500);
    assert!(failures.is_empty());
}
