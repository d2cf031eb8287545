//! The 9-column row every gene model dialect shares (GFF3, GTF and RefSeq GFF3 differ only in
//! column 9 and in what the rows mean), the reader that yields them, and the one error type of
//! the three loaders.

use std::io::{self, BufRead};

use crate::engine::models::transcript::{Interval, Strand};

/// Why a gene model file could not be read. Line numbers count from 1, comments included.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("cannot read gene models: {0}")]
    Io(#[from] io::Error),
    #[error("line {line}: expected 9 tab-separated columns, found {found}")]
    Columns { line: usize, found: usize },
    #[error("line {line}: invalid {field} {value:?}")]
    Invalid {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error("line {line}: attributes: {reason}")]
    Attributes { line: usize, reason: String },
    #[error("transcript {0} has no exons")]
    NoExons(String),
    #[error("transcript {id} has rows on different strands or contigs")]
    Inconsistent { id: String },
}

impl ModelFileError {
    /// Stable snake_case code, as start-up errors name it.
    pub fn code(&self) -> &'static str {
        match self {
            ModelFileError::Io(_) => "model_file_unreadable",
            ModelFileError::Columns { .. } => "model_file_columns",
            ModelFileError::Invalid { .. } => "model_file_invalid_field",
            ModelFileError::Attributes { .. } => "model_file_attributes",
            ModelFileError::NoExons(_) => "transcript_without_exons",
            ModelFileError::Inconsistent { .. } => "transcript_inconsistent",
        }
    }
}

/// How a dialect lays out its rows.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// A `##FASTA` line ends the features (GFF3's embedded sequence section).
    pub fasta_ends_features: bool,
    /// Column 9 may hold raw tabs (some real GFF3s, e.g. bcftools' tests, have them); otherwise
    /// more than 9 columns is an error.
    pub tabs_in_attributes: bool,
}

/// One feature row; positions, strand and phase are parsed when asked for, so each dialect
/// checks only the columns it uses, in its own order.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// 1-based line number, for errors.
    pub line: usize,
    pub seqid: &'a str,
    pub kind: &'a str,
    pub attributes: &'a str,
    start: &'a str,
    end: &'a str,
    strand: &'a str,
    phase: &'a str,
}

impl Record<'_> {
    /// An invalid-field error on this row.
    pub fn invalid(&self, field: &'static str, value: &str) -> ModelFileError {
        ModelFileError::Invalid {
            line: self.line,
            field,
            value: value.to_string(),
        }
    }

    pub fn strand(&self) -> Result<Strand, ModelFileError> {
        match self.strand {
            "+" => Ok(Strand::Forward),
            "-" => Ok(Strand::Reverse),
            other => Err(self.invalid("strand", other)),
        }
    }

    /// Columns 4-5: a 1-based closed interval with `1 <= start <= end`.
    pub fn interval(&self) -> Result<Interval, ModelFileError> {
        let parse = |s: &str, field| s.parse::<u64>().map_err(|_| self.invalid(field, s));
        let interval = Interval {
            start: parse(self.start, "start")?,
            end: parse(self.end, "end")?,
        };
        if interval.start == 0 || interval.start > interval.end {
            let value = format!("{}-{}", self.start, self.end);
            return Err(self.invalid("interval", &value));
        }
        Ok(interval)
    }

    /// Column 8 (GFF3's phase, GTF's frame: `field` names it in errors): 0-2, `.` as 0.
    pub fn phase(&self, field: &'static str) -> Result<u8, ModelFileError> {
        match self.phase {
            "." => Ok(0),
            p => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p < 3)
                .ok_or_else(|| self.invalid(field, p)),
        }
    }
}

/// The feature rows of a stream, comments and blank lines skipped. A lending reader (each
/// record borrows the one line buffer), so reading a file allocates per line nothing.
pub struct Records<R> {
    reader: R,
    layout: Layout,
    text: String,
    line: usize,
}

impl<R: BufRead> Records<R> {
    pub fn new(reader: R, layout: Layout) -> Self {
        Self {
            reader,
            layout,
            text: String::new(),
            line: 0,
        }
    }

    /// The next feature row, `None` at the end of the features.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ModelFileError> {
        loop {
            self.text.clear();
            if self.reader.read_line(&mut self.text)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let text = self.text.trim_end_matches(['\n', '\r']);
            if self.layout.fasta_ends_features && text.starts_with("##FASTA") {
                return Ok(None);
            }
            if !(text.is_empty() || text.starts_with('#')) {
                break;
            }
        }
        let text = self.text.trim_end_matches(['\n', '\r']);
        let limit = if self.layout.tabs_in_attributes {
            9
        } else {
            usize::MAX
        };
        let mut cols = [""; 9];
        let mut found = 0;
        for col in text.splitn(limit, '\t') {
            if let Some(slot) = cols.get_mut(found) {
                *slot = col;
            }
            found += 1;
        }
        if found != 9 {
            return Err(ModelFileError::Columns {
                line: self.line,
                found,
            });
        }
        let [seqid, _source, kind, start, end, _score, strand, phase, attributes] = cols;
        Ok(Some(Record {
            line: self.line,
            seqid,
            kind,
            attributes,
            start,
            end,
            strand,
            phase,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: Layout = Layout {
        fasta_ends_features: false,
        tabs_in_attributes: false,
    };

    #[test]
    fn records_skip_comments_and_blank_lines_and_count_every_line() {
        let text = "##gff-version 3\n\n1\tx\texon\t5\t9\t.\t-\t2\tID=a\r\n";
        let mut rows = Records::new(text.as_bytes(), EXACT);
        let row = rows.next_record().unwrap().unwrap();
        assert_eq!(
            (row.line, row.seqid, row.kind, row.attributes),
            (3, "1", "exon", "ID=a")
        );
        assert_eq!(row.interval().unwrap(), Interval { start: 5, end: 9 });
        assert_eq!(row.strand().unwrap(), Strand::Reverse);
        assert_eq!(row.phase("phase").unwrap(), 2);
        assert!(rows.next_record().unwrap().is_none());
    }

    #[test]
    fn a_row_with_tabs_in_column_9_is_kept_only_where_the_dialect_allows_it() {
        let text = "1\tx\texon\t5\t9\t.\t+\t.\tID=a\tmore\n";
        let err = Records::new(text.as_bytes(), EXACT)
            .next_record()
            .unwrap_err();
        assert!(matches!(
            err,
            ModelFileError::Columns { line: 1, found: 10 }
        ));
        assert_eq!(err.code(), "model_file_columns");
        let layout = Layout {
            tabs_in_attributes: true,
            ..EXACT
        };
        let mut rows = Records::new(text.as_bytes(), layout);
        assert_eq!(
            rows.next_record().unwrap().unwrap().attributes,
            "ID=a\tmore"
        );
    }

    #[test]
    fn fasta_section_ends_the_features_only_where_the_dialect_has_one() {
        let text = "##FASTA\n1\tx\texon\t5\t9\t.\t+\t.\tID=a\n";
        let layout = Layout {
            fasta_ends_features: true,
            ..EXACT
        };
        assert!(Records::new(text.as_bytes(), layout)
            .next_record()
            .unwrap()
            .is_none());
        assert!(Records::new(text.as_bytes(), EXACT)
            .next_record()
            .unwrap()
            .is_some());
    }

    #[test]
    fn bad_positions_strands_and_phases_name_the_field_and_line() {
        let row = |cols: &str| format!("1\tx\tCDS\t{cols}\tID=a\n");
        for (text, field) in [
            (row("0\t9\t.\t+\t."), "interval"),
            (row("9\t5\t.\t+\t."), "interval"),
            (row("x\t5\t.\t+\t."), "start"),
            (row("5\t9\t.\t?\t."), "strand"),
            (row("5\t9\t.\t+\t3"), "phase"),
        ] {
            let mut rows = Records::new(text.as_bytes(), EXACT);
            let r = rows.next_record().unwrap().unwrap();
            let err = r
                .interval()
                .and_then(|_| r.strand())
                .and_then(|_| r.phase("phase"))
                .unwrap_err();
            assert!(
                matches!(&err, ModelFileError::Invalid { line: 1, field: f, .. } if *f == field),
                "{text:?}: {err}"
            );
            assert_eq!(err.code(), "model_file_invalid_field");
        }
    }
}
