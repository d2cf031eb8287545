//! Condel, the consensus deleteriousness score of SIFT and PolyPhen-2 (Gonzalez-Perez &
//! Lopez-Bigas, Am J Hum Genet 88:440-449, 2011), computed as the weighted average of the two
//! scores, each weighted by the complement of the probability that the method errs at that
//! score (the HumVar tp/tn tables bundled in `data/scoring`).
//!
//! Rounding to three decimals at the same steps as the Ensembl VEP Condel plugin keeps results
//! comparable with what VEP users see.

use serde::Serialize;

use super::ScoringError;

const CONF: &str = include_str!("../../data/scoring/condel_SP.conf");
const SIFT_DATA: &str = include_str!("../../data/scoring/sift.data");
const POLYPHEN_DATA: &str = include_str!("../../data/scoring/polyphen.data");

/// The published Condel decision threshold (the plugin's, and the paper's, 0.469; the bundled
/// conf's `cutoff.HUmVar.condel='0.46'` is misspelled and never read by the plugin).
pub const DELETERIOUS_FROM: f64 = 0.469;

/// How the weighted sum is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Formula {
    /// Divides by the sum of the weights, as in the 2011 paper. When one weight is near zero
    /// the other method alone decides, which gives false "deleterious" calls.
    #[serde(rename = "1")]
    Weighted,
    /// Divides by the number of methods (2): the Ensembl plugin's default since version 2.
    #[serde(rename = "2")]
    Averaged,
}

impl Formula {
    /// The number users select it by (`CONDEL_FORMULA`) and see in the version.
    pub fn number(self) -> u8 {
        match self {
            Formula::Weighted => 1,
            Formula::Averaged => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prediction {
    Deleterious,
    Neutral,
}

impl Prediction {
    /// The name serde gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Prediction::Deleterious => "deleterious",
            Prediction::Neutral => "neutral",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CondelScore {
    pub score: f64,
    pub prediction: Prediction,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CondelError {
    #[error("{method} score {value} is outside 0..=1")]
    OutOfRange { method: &'static str, value: String },
    #[error("every weight is zero: the weighted average is undefined")]
    NotComputable,
}

/// Probability that the method's call at a score is a true positive / true negative, for
/// scores 0.000..=1.000 in steps of 0.001.
#[derive(Debug, Clone)]
struct Table {
    tp: Vec<f64>,
    tn: Vec<f64>,
}

impl Table {
    fn parse(name: &'static str, data: &str) -> Result<Self, ScoringError> {
        let bad = |reason: String| ScoringError::Table {
            table: name,
            reason,
        };
        let mut tp = vec![f64::NAN; 1001];
        let mut tn = vec![f64::NAN; 1001];
        for (n, line) in data.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [score, p_tp, p_tn] = fields[..] else {
                if fields.is_empty() {
                    continue;
                }
                return Err(bad(format!("line {}: expected 3 fields", n + 1)));
            };
            let number = |s: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| bad(format!("line {}: {s:?} is not in 0..=1", n + 1)))
            };
            let i = index(number(score)?);
            tp[i] = number(p_tp)?;
            tn[i] = number(p_tn)?;
        }
        if let Some(i) = tp.iter().position(|v| v.is_nan()) {
            return Err(bad(format!("no row for score {:.3}", i as f64 / 1000.0)));
        }
        Ok(Self { tp, tn })
    }
}

/// The table row of a score: its value rounded to three decimals, as the plugin prints it.
fn index(score: f64) -> usize {
    let rounded: f64 = round3(score);
    (rounded * 1000.0).round() as usize
}

/// Decimal rounding to 3 places via formatting, so ties round like C's `printf("%.3f")`.
fn round3(x: f64) -> f64 {
    format!("{x:.3}").parse().unwrap_or(x)
}

#[derive(Debug, Clone)]
pub struct Condel {
    sift_cutoff: f64,
    polyphen_cutoff: f64,
    sift_max: f64,
    polyphen_max: f64,
    sift: Table,
    polyphen: Table,
    formula: Formula,
}

fn conf_value(name: &'static str) -> Result<f64, ScoringError> {
    let bad = |reason: String| ScoringError::Table {
        table: "condel_SP.conf",
        reason,
    };
    CONF.lines()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('\''))
        })
        .ok_or_else(|| bad(format!("{name} is missing")))?
        .parse()
        .map_err(|e| bad(format!("{name}: {e}")))
}

impl Condel {
    pub fn bundled(formula: Formula) -> Result<Self, ScoringError> {
        Ok(Self {
            sift_cutoff: conf_value("cutoff.HumVar.sift")?,
            polyphen_cutoff: conf_value("cutoff.HumVar.polyphen")?,
            sift_max: conf_value("max.HumVar.sift")?,
            polyphen_max: conf_value("max.HumVar.polyphen")?,
            sift: Table::parse("sift.data", SIFT_DATA)?,
            polyphen: Table::parse("polyphen.data", POLYPHEN_DATA)?,
            formula,
        })
    }

    pub fn formula(&self) -> Formula {
        self.formula
    }

    /// Condel of a SIFT score (low = damaging) and a PolyPhen-2 score (high = damaging).
    pub fn score(&self, sift: f64, polyphen: f64) -> Result<CondelScore, CondelError> {
        let check = |method: &'static str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(round3(value))
            } else {
                Err(CondelError::OutOfRange {
                    method,
                    value: value.to_string(),
                })
            }
        };
        let sift = check("SIFT", sift)?;
        let polyphen = check("PolyPhen", polyphen)?;
        let (s, p) = (index(sift), index(polyphen));

        // Each method's weight is the probability that its call is not wrong: a damaging call
        // is weighted by 1 - P(true negative), a tolerated call by 1 - P(true positive).
        let sift_weight = if sift <= self.sift_cutoff {
            1.0 - self.sift.tn[s]
        } else {
            1.0 - self.sift.tp[s]
        };
        let polyphen_weight = if polyphen >= self.polyphen_cutoff {
            1.0 - self.polyphen.tn[p]
        } else {
            1.0 - self.polyphen.tp[p]
        };
        let sum = round3((1.0 - sift / self.sift_max) * sift_weight)
            + round3(polyphen / self.polyphen_max * polyphen_weight);
        let base = match self.formula {
            Formula::Averaged => 2.0,
            Formula::Weighted => sift_weight + polyphen_weight,
        };
        if base == 0.0 {
            return Err(CondelError::NotComputable);
        }
        let score = round3(sum / base);
        let prediction = if score >= DELETERIOUS_FROM {
            Prediction::Deleterious
        } else {
            Prediction::Neutral
        };
        Ok(CondelScore { score, prediction })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_cover_every_score_step() {
        let c = Condel::bundled(Formula::Averaged).unwrap();
        assert_eq!(c.sift_cutoff, 0.15);
        assert_eq!(c.polyphen_cutoff, 0.28);
        // Spot rows of the shipped tables (score, tp, tn).
        assert_eq!((c.sift.tp[630], c.sift.tn[630]), (0.982, 0.872));
        assert_eq!((c.polyphen.tp[988], c.polyphen.tn[988]), (0.448, 0.114));
    }

    #[test]
    fn scores_outside_zero_to_one_are_rejected() {
        let c = Condel::bundled(Formula::Averaged).unwrap();
        assert!(matches!(
            c.score(1.5, 0.2),
            Err(CondelError::OutOfRange { method: "SIFT", .. })
        ));
        assert!(c.score(0.2, f64::NAN).is_err());
    }

    #[test]
    fn a_table_with_a_gap_is_a_typed_error() {
        let err = Table::parse("t", "0.000\t1\t1\n").unwrap_err();
        assert!(err.to_string().contains("no row for score 0.001"), "{err}");
    }
}
