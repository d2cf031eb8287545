//! Which reference windows a sequence is looked for in: around the loaded gene models (no
//! hint), or the gene, transcript or region a hint names.

use crate::engine::predict::Engine;

use super::SequenceError;

/// A reference range, 1-based inclusive, on a canonical contig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
}

impl Window {
    pub fn len(&self) -> u64 {
        self.end + 1 - self.start
    }
}

/// Reference around every transcript: bundled and typical offline sets hold real sequence
/// about their genes (and `N` elsewhere), so this covers the sequence worth indexing without
/// reading whole chromosomes of `N`.
pub const MODEL_FLANK: u64 = 1_000_000;
/// Flank added around a gene or transcript hint, so sequences reaching past it still place.
pub const HINT_FLANK: u64 = 10_000;
/// Widest region a hint may name: the window is indexed per request.
pub const MAX_HINT_SPAN: u64 = 5_000_000;

/// Transcript spans plus [`MODEL_FLANK`], merged per contig, clipped to the contig.
pub fn model_windows(engine: &Engine) -> Result<Vec<Window>, SequenceError> {
    let mut spans: Vec<(String, u64, u64)> = engine
        .models()
        .all()?
        .filter_map(|t| {
            let length = engine.genome().contig_length(&t.chrom)?;
            Some((
                t.chrom.clone(),
                t.start().saturating_sub(MODEL_FLANK).max(1),
                (t.end() + MODEL_FLANK).min(length),
            ))
        })
        .collect();
    spans.sort();
    let mut windows: Vec<Window> = Vec::new();
    for (chrom, start, end) in spans {
        match windows.last_mut() {
            Some(last) if last.chrom == chrom && start <= last.end + 1 => {
                last.end = last.end.max(end);
            }
            _ => windows.push(Window { chrom, start, end }),
        }
    }
    Ok(windows)
}

/// The window a hint names, widened so a sequence of `query_len` reaching past it still fits.
pub fn hint_window(engine: &Engine, hint: &str, query_len: usize) -> Result<Window, SequenceError> {
    let margin = HINT_FLANK.max(query_len as u64);
    let (chrom, start, end) = if let Some(region) = parse_region(hint)? {
        region
    } else if let Some(t) = match engine.models().transcript(hint)? {
        Some(t) => Some(t),
        None => engine.models().transcript(unversioned(hint))?,
    } {
        (t.chrom.clone(), t.start(), t.end())
    } else {
        let mut gene = engine
            .models()
            .transcripts_of_gene(hint)?
            .into_iter()
            .peekable();
        let first = gene
            .peek()
            .ok_or_else(|| SequenceError::UnknownHint(hint.to_string()))?;
        let chrom = first.chrom.clone();
        let (lo, hi) = gene
            .filter(|t| t.chrom == chrom)
            .fold((u64::MAX, 0), |(lo, hi), t| {
                (lo.min(t.start()), hi.max(t.end()))
            });
        (chrom, lo, hi)
    };
    let resolved = engine
        .genome()
        .resolve(&chrom)
        .ok_or_else(|| SequenceError::InvalidHint {
            hint: hint.to_string(),
            reason: format!("contig {chrom} is not in the loaded reference"),
        })?;
    let length = engine.genome().contig_length(&resolved).unwrap_or(0);
    if start > length {
        return Err(SequenceError::InvalidHint {
            hint: hint.to_string(),
            reason: format!("starts past the end of {resolved} (length {length})"),
        });
    }
    Ok(Window {
        chrom: resolved,
        start: start.saturating_sub(margin).max(1),
        end: (end + margin).min(length),
    })
}

fn unversioned(id: &str) -> &str {
    id.rsplit_once('.').map_or(id, |(base, _)| base)
}

/// `CHROM:START-END` (commas allowed in numbers); `None` when the hint is not region-shaped.
fn parse_region(hint: &str) -> Result<Option<(String, u64, u64)>, SequenceError> {
    let Some((chrom, range)) = hint.rsplit_once(':') else {
        return Ok(None);
    };
    let Some((start, end)) = range.split_once('-') else {
        return Ok(None);
    };
    let number = |s: &str| s.replace(',', "").parse::<u64>().ok();
    let (Some(start), Some(end)) = (number(start), number(end)) else {
        return Ok(None);
    };
    let invalid = |reason: String| SequenceError::InvalidHint {
        hint: hint.to_string(),
        reason,
    };
    if start == 0 || end < start {
        return Err(invalid(
            "a region is CHROM:START-END with 1 <= START <= END".into(),
        ));
    }
    if end - start + 1 > MAX_HINT_SPAN {
        return Err(invalid(format!(
            "spans {} bases, more than the limit of {MAX_HINT_SPAN}",
            end - start + 1
        )));
    }
    Ok(Some((chrom.to_string(), start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_regions_and_leaves_other_hints_alone() {
        assert_eq!(
            parse_region("17:43,044,295-43,125,364").unwrap(),
            Some(("17".into(), 43044295, 43125364))
        );
        assert_eq!(parse_region("BRCA1").unwrap(), None);
        assert_eq!(parse_region("NM_007294.4").unwrap(), None);
        assert!(parse_region("17:200-100").is_err());
        assert!(parse_region("17:1-9000000").is_err());
    }
}
