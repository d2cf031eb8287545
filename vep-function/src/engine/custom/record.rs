//! One data line of a custom source VCF, split into the columns VEP reads (`CHROM` to `INFO`)
//! without copying them, and the parts of a record VEP reports: its name
//! (`AnnotationSource::File::VCF::_get_record_name`) and its INFO values
//! (`Bio::EnsEMBL::IO::Parser::BaseVCF4::get_info`).

use std::ops::Range;

/// Why a line is not a VCF record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("a record has {0} columns, a VCF record at least 8")]
    TooFewColumns(usize),
    #[error("a record's POS {0:?} is not a position")]
    Position(String),
    #[error("a record has no REF")]
    NoReference,
    #[error("a record is not UTF-8 text")]
    NotText,
}

/// A record's line (its buffer reused once the record is dropped) and where its columns are.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// Checked to be UTF-8 once, when read: columns are borrowed from it.
    pub line: String,
    columns: [Range<usize>; 8],
    /// `POS`.
    pub pos: u64,
    /// The last reference base (`POS + len(REF) - 1`): what the record overlaps.
    pub end: u64,
    /// What is wrong with a line that has a position but is no complete record: it is kept
    /// in place, so that only variants near it fail.
    pub broken: Option<RecordError>,
}

impl Record {
    /// Splits `line` (no line break). A line without a readable `POS` cannot be placed: an
    /// error, with the buffer handed back for reuse.
    pub fn parse(line: Vec<u8>) -> Result<Self, (RecordError, Vec<u8>)> {
        let mut columns: [Range<usize>; 8] = Default::default();
        let mut from = 0;
        let mut n = 0;
        for i in memchr::memchr_iter(b'\t', &line).take(8) {
            columns[n] = from..i;
            from = i + 1;
            n += 1;
        }
        if n < 8 {
            columns[n] = from..line.len();
        }
        let pos_text = &line[columns[1].clone()];
        let pos = match std::str::from_utf8(pos_text)
            .ok()
            .and_then(|p| p.parse::<u64>().ok())
        {
            Some(p) if n >= 1 && p > 0 => p,
            _ => {
                let text = String::from_utf8_lossy(pos_text).into_owned();
                return Err((RecordError::Position(text), line));
            }
        };
        let ref_len = columns[3].len() as u64;
        let (line, text) = match String::from_utf8(line) {
            Ok(line) => (line, true),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
        };
        let broken = if !text {
            Some(RecordError::NotText)
        } else if n < 7 {
            Some(RecordError::TooFewColumns(n + 1))
        } else if ref_len == 0 {
            Some(RecordError::NoReference)
        } else {
            None
        };
        Ok(Self {
            line,
            columns,
            pos,
            end: pos + ref_len.max(1) - 1,
            broken,
        })
    }

    fn column(&self, n: usize) -> &str {
        self.line.get(self.columns[n].clone()).unwrap_or_default()
    }

    pub fn reference(&self) -> &str {
        self.column(3)
    }

    pub fn alternates(&self) -> impl Iterator<Item = &str> + Clone {
        // Perl's `split(',', ...)` of an empty ALT is no allele at all.
        let alts = self.column(4);
        split(alts, b',').filter(move |_| !alts.is_empty())
    }

    pub fn filter(&self) -> &str {
        self.column(6)
    }

    /// The value of INFO key `key` as VEP's parser reads it: `None` when absent; a flag (no
    /// value) is `Some("")`. Of a value holding `=`, the text before the second `=` (Perl's
    /// `split('=')`); the last of repeated keys.
    pub fn info(&self, key: &str) -> Option<&str> {
        let mut found = None;
        for item in split(self.column(7), b';') {
            let Some(rest) = item.strip_prefix(key) else {
                continue;
            };
            match rest.as_bytes().first() {
                None => found = Some(""),
                Some(b'=') => found = split(&rest[1..], b'=').next(),
                Some(_) => {}
            }
        }
        found
    }

    /// [`Record::info`] of each of `keys` into `values`, in one pass over INFO.
    pub fn info_values<'a>(&'a self, keys: &[String], values: &mut [Option<&'a str>]) {
        for item in split(self.column(7), b';') {
            let mut parts = split(item, b'=');
            let key = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            for (k, slot) in keys.iter().zip(values.iter_mut()) {
                if k == key {
                    *slot = Some(value);
                }
            }
        }
    }

    /// Appends `CHROM:START-END` as ensembl-io's VCF parser gives them: START after the
    /// anchor base of an indel or a symbolic/SV allele, END from `END` or `SVLEN` when INFO
    /// has them.
    fn push_coordinates(&self, out: &mut String) {
        use std::fmt::Write;
        let raw = self.pos;
        let symbolic = self.alternates().any(|a| a.contains(['<', '>', '[', ']']));
        let ref_len = self.reference().len() as u64;
        let indel = self.alternates().any(|a| a.len() as u64 != ref_len);
        let start = if self.column(7).contains("SVTYPE") || symbolic || indel {
            raw + 1
        } else {
            raw
        };
        let _ = write!(out, "{}:{start}-", self.column(0));
        match (self.info("END"), self.info("SVLEN")) {
            (Some(end), _) if !end.is_empty() => out.push_str(end),
            (_, Some(len)) if !len.is_empty() => {
                let first = len.split(',').next().unwrap_or_default();
                // Perl's `abs` of a non-number is 0.
                let length = first.parse::<i64>().map_or(0, i64::unsigned_abs);
                let _ = write!(out, "{}", (start + length).saturating_sub(1));
            }
            _ => {
                let _ = write!(out, "{}", start + ref_len - 1);
            }
        }
    }

    /// Appends the record's first ID, or its coordinates when it has none or `coords` asks
    /// for them.
    pub fn push_name(&self, coords: bool, out: &mut String) {
        let id = split(self.column(2), b';').next().unwrap_or_default();
        if coords || id.is_empty() || id == "." {
            self.push_coordinates(out);
        } else {
            out.push_str(id);
        }
    }

    #[cfg(test)]
    fn name(&self, coords: bool) -> String {
        let mut out = String::new();
        self.push_name(coords, &mut out);
        out
    }
}

/// `text` split at the ASCII byte `sep` (as `str::split`, without its searcher's set-up,
/// which dominates on the few-byte items of a VCF line).
fn split(text: &str, sep: u8) -> impl Iterator<Item = &str> + Clone {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(sep, current.as_bytes()) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> Record {
        Record::parse(line.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn columns_span_and_info_values_are_read_as_vep_reads_them() {
        let r = record("21\t100\trs1;rs2\tCTT\tC,CT\t.\tPASS\tAF=0.1,0.2;DB;X=a=b;AF=0.3");
        assert_eq!((r.pos, r.end), (100, 102));
        assert_eq!(r.alternates().collect::<Vec<_>>(), ["C", "CT"]);
        assert_eq!(r.info("AF"), Some("0.3"));
        assert_eq!(r.info("DB"), Some(""));
        assert_eq!(r.info("X"), Some("a"));
        assert_eq!(r.info("Y"), None);
        let keys = ["AF", "DB", "X", "Y"].map(String::from);
        let mut values = [None; 4];
        r.info_values(&keys, &mut values);
        assert_eq!(values, [Some("0.3"), Some(""), Some("a"), None]);
        assert_eq!(r.name(false), "rs1");
        assert_eq!(r.name(true), "21:101-103");
    }

    #[test]
    fn splitting_is_str_split() {
        for text in ["", "a", "a,b", ",a,", "a,,b", "AC,ACT"] {
            let ours: Vec<&str> = split(text, b',').collect();
            let theirs: Vec<&str> = text.split(',').collect();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    #[test]
    fn names_fall_back_to_coordinates() {
        assert_eq!(
            record("chr21\t100\t.\tC\tT\t.\t.\t.").name(false),
            "chr21:100-100"
        );
        assert_eq!(
            record("21\t100\t.\tC\t<DEL>\t.\t.\tSVTYPE=DEL;END=500").name(false),
            "21:101-500"
        );
        assert_eq!(record("21\t100\t\tC\tT\t.\t.\t.").name(false), "21:100-100");
    }

    #[test]
    fn lines_that_are_no_records_are_refused_with_the_reason() {
        let broken = |l: &[u8]| Record::parse(l.to_vec()).unwrap().broken;
        assert_eq!(
            broken(b"21\t100\trs1\tC\tT"),
            Some(RecordError::TooFewColumns(5))
        );
        assert_eq!(
            broken(b"21\t1\trs1\t\tT\t.\t.\t."),
            Some(RecordError::NoReference)
        );
        assert_eq!(
            broken(b"21\t1\trs1\tC\t\xff\t.\t.\t."),
            Some(RecordError::NotText)
        );
        assert_eq!(broken(b"21\t1\t.\tC\tT\t.\t.\tAF=1"), None);
        let unplaced = |l: &[u8]| Record::parse(l.to_vec()).unwrap_err().0;
        assert_eq!(
            unplaced(b"21\tx\trs1\tC\tT\t.\t.\t."),
            RecordError::Position("x".into())
        );
        assert_eq!(unplaced(b"21"), RecordError::Position("".into()));
        // Exactly eight columns, INFO last.
        assert_eq!(record("21\t1\t.\tC\tT\t.\t.\tAF=1").info("AF"), Some("1"));
    }
}
