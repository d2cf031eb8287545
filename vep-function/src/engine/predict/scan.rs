//! One allele against every transcript within reach (VEP's `--distance`), and the checks of a
//! submitted variant against the reference before any of that work.

use super::effects::Effects;
use super::engine::Engine;
use super::error::AnnotateError;
use super::per_transcript::{transcript_effect, UPSTREAM_DOWNSTREAM_DISTANCE};
use crate::engine::input::{Allele, Variant};

impl Engine {
    /// The effects of an allele already checked against the reference (`chrom` canonical),
    /// into `out` (cleared first; reuse it across variants to avoid allocating).
    pub fn annotate_allele<'m>(
        &'m self,
        chrom: &str,
        allele: &Allele,
        out: &mut Effects<'m>,
    ) -> Result<(), AnnotateError> {
        out.clear();
        self.check_span(allele.length())?;
        let (lo, hi) = allele.span();
        let candidates = self.models.overlapping_indexed(
            chrom,
            lo.saturating_sub(UPSTREAM_DOWNSTREAM_DISTANCE),
            hi + UPSTREAM_DOWNSTREAM_DISTANCE,
        )?;
        for (index, t) in candidates {
            if let Some(fx) = transcript_effect(self, index, t, allele, &mut out.text)? {
                if let Some(worst) = fx.terms.most_severe() {
                    out.most_severe = Some(out.most_severe.map_or(worst, |m| m.min(worst)));
                }
                out.transcripts.push(fx);
            }
        }
        Ok(())
    }

    pub(crate) fn check_alleles(&self, chrom: &str, v: &Variant) -> Result<(), AnnotateError> {
        let valid = |s: &str| s.bytes().all(|b| b"ACGTNacgtn".contains(&b));
        for allele in [&v.reference, &v.alternate] {
            if !valid(allele) {
                return Err(AnnotateError::InvalidAllele(allele.clone()));
            }
        }
        if v.reference.eq_ignore_ascii_case(&v.alternate) {
            return Err(AnnotateError::NoChange(format!(
                "{}/{}",
                v.reference, v.alternate
            )));
        }
        let length = self.genome.contig_length(chrom).unwrap_or(0);
        let last = v.pos + (v.reference.len() as u64).max(1) - 1;
        if v.pos == 0 || last > length {
            return Err(AnnotateError::OutOfBounds {
                chrom: chrom.to_string(),
                pos: v.pos,
                length,
            });
        }
        if v.reference.is_empty() {
            return Ok(());
        }
        let found = self.genome.sequence(chrom, v.pos, last)?;
        let matches = v
            .reference
            .bytes()
            .zip(&found)
            .all(|(g, f)| g.eq_ignore_ascii_case(f) || g.eq_ignore_ascii_case(&b'N'));
        if !matches {
            return Err(AnnotateError::ReferenceMismatch {
                given: v.reference.clone(),
                found: String::from_utf8_lossy(&found).into_owned(),
                chrom: chrom.to_string(),
                pos: v.pos,
            });
        }
        Ok(())
    }
}
