//! Condel against the published tables: worked examples derived by hand from the paper's
//! description (weights = 1 - probability of erring, read from the bundled HumVar tables), and
//! the consensus behaviour over the sample inputs shipped with Condel (`test_condel_SP.data`).

use vep::scoring::condel::{Condel, Formula, Prediction};

fn condel(formula: Formula) -> Condel {
    Condel::bundled(formula).expect("bundled Condel tables load")
}

/// G8R: SIFT 0 (damaging, <= 0.15: weight 1 - tn(0.000) = 1 - 0.111 = 0.889), PolyPhen 0.988
/// (damaging, >= 0.28: weight 1 - tn(0.988) = 1 - 0.114 = 0.886).
/// Terms: (1 - 0) * 0.889 = 0.889 and 0.988 * 0.886 = 0.875368 -> 0.875; sum 1.764.
#[test]
fn both_methods_damaging_gives_a_deleterious_consensus() {
    let s = condel(Formula::Averaged).score(0.0, 0.988).unwrap();
    assert_eq!(s.score, 0.882); // 1.764 / 2
    assert_eq!(s.prediction, Prediction::Deleterious);
    let s = condel(Formula::Weighted).score(0.0, 0.988).unwrap();
    assert_eq!(s.score, 0.994); // 1.764 / (0.889 + 0.886) = 0.99380
    assert_eq!(s.prediction, Prediction::Deleterious);
}

/// G15A: SIFT 0.99 (tolerated: weight 1 - tp(0.990) = 1 - 1.000 = 0) and PolyPhen 0.955
/// (damaging: weight 1 - tn(0.955) = 0.835, term 0.955 * 0.835 = 0.797425 -> 0.797).
/// The paper's normalisation lets PolyPhen alone decide (0.797 / 0.835 = 0.954, deleterious);
/// Ensembl's second formula halves it (0.797 / 2 = 0.3985 -> 0.399, neutral).
#[test]
fn a_zero_weight_method_no_longer_lets_the_other_decide_alone() {
    let paper = condel(Formula::Weighted).score(0.99, 0.955).unwrap();
    assert_eq!(paper.score, 0.954);
    assert_eq!(paper.prediction, Prediction::Deleterious);
    let ensembl = condel(Formula::Averaged).score(0.99, 0.955).unwrap();
    assert_eq!(ensembl.score, 0.399);
    assert_eq!(ensembl.prediction, Prediction::Neutral);
}

/// D504G: SIFT 0.63 (tolerated: weight 1 - tp(0.630) = 0.018, term 0.37 * 0.018 = 0.00666 ->
/// 0.007), PolyPhen 0.002 (benign: weight 1 - tp(0.002) = 0.031, term 0.000062 -> 0.000).
#[test]
fn both_methods_tolerated_gives_a_neutral_consensus() {
    let s = condel(Formula::Averaged).score(0.63, 0.002).unwrap();
    assert_eq!(s.score, 0.004); // 0.007 / 2 = 0.0035 -> 0.004
    assert_eq!(s.prediction, Prediction::Neutral);
    let s = condel(Formula::Weighted).score(0.63, 0.002).unwrap();
    assert_eq!(s.score, 0.143); // 0.007 / (0.018 + 0.031)
}

/// The published decision threshold is 0.469.
#[test]
fn a_mixed_call_above_0_469_is_deleterious() {
    // L166V: SIFT 0.01 -> 0.811; PolyPhen 0.765 -> 0.765 * (1 - 0.258) = 0.567630 -> 0.568.
    let s = condel(Formula::Averaged).score(0.01, 0.765).unwrap();
    assert_eq!(s.score, 0.69); // (0.811 + 0.568) / 2 = 0.6895 -> 0.690
    assert_eq!(s.prediction, Prediction::Deleterious);
    assert_eq!(vep::scoring::condel::DELETERIOUS_FROM, 0.469);
}

fn sample_rows() -> Vec<(String, f64, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/scoring/test_condel_SP.data"
    );
    let text = std::fs::read_to_string(path).expect("bundled test_condel_SP.data");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "{l:?}");
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_published_sample_input_gets_a_score_in_range() {
    let rows = sample_rows();
    assert_eq!(rows.len(), 35);
    for formula in [Formula::Averaged, Formula::Weighted] {
        let c = condel(formula);
        for (name, sift, polyphen) in &rows {
            let s = c
                .score(*sift, *polyphen)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!((0.0..=1.0).contains(&s.score), "{name}: {}", s.score);
            let expected = if s.score >= 0.469 {
                Prediction::Deleterious
            } else {
                Prediction::Neutral
            };
            assert_eq!(s.prediction, expected, "{name}");
        }
    }
}

/// A consensus agrees with its members where they agree: both damaging (SIFT <= 0.15 and
/// PolyPhen-2 "probably damaging", >= 0.85) is deleterious; both tolerated (SIFT > 0.15 and
/// PolyPhen-2 below its 0.28 cutoff) is neutral.
#[test]
fn on_the_sample_inputs_condel_agrees_where_sift_and_polyphen_agree() {
    let c = condel(Formula::Averaged);
    let (mut damaging, mut tolerated) = (0, 0);
    for (name, sift, polyphen) in sample_rows() {
        let s = c.score(sift, polyphen).unwrap();
        if sift <= 0.15 && polyphen >= 0.85 {
            damaging += 1;
            assert_eq!(s.prediction, Prediction::Deleterious, "{name}: {}", s.score);
        }
        if sift > 0.15 && polyphen < 0.28 {
            tolerated += 1;
            assert_eq!(s.prediction, Prediction::Neutral, "{name}: {}", s.score);
        }
    }
    // The sample has plenty of both, so the checks above are not vacuous.
    assert!(damaging >= 10 && tolerated >= 8, "{damaging} {tolerated}");
}

/// More damaging inputs never lower the score: SIFT falling or PolyPhen-2 rising.
#[test]
fn the_score_moves_with_its_inputs_across_the_damaging_range() {
    let c = condel(Formula::Averaged);
    let mut last = 0.0;
    for p in (300..=1000).step_by(50) {
        let s = c.score(0.05, p as f64 / 1000.0).unwrap().score;
        assert!(s >= last, "polyphen {p}: {s} < {last}");
        last = s;
    }
}
