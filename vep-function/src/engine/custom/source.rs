//! One custom source opened: its index (`.tbi`, else `.csi`), its contigs by canonical name
//! (`chr21`, `21` and `NC_000021.9` are one), whether it is ClinVar's VCF (`##source=ClinVar`,
//! which VEP reads differently), and a cursor per lane of threads.

use std::fs::File;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use contract::custom::SourceSpec;
use noodles::bgzf;
use noodles::csi::binning_index::index::header::Format;
use noodles::csi::BinningIndex;
use rustc_hash::FxHashMap;

use super::cursor::Cursor;
use super::matching::{self, Match};
use super::record::Record;
use super::CustomError;
use crate::engine::annotate::Allele;
use crate::engine::genome::canonical_name;
use crate::engine::lanes::Lanes;

/// Header lines read at most before the `#CHROM` line must have come.
const MAX_HEADER_LINES: usize = 100_000;

type Index = Box<dyn BinningIndex + Send + Sync>;

pub(super) struct Source {
    spec: SourceSpec,
    path: PathBuf,
    index: Index,
    /// Canonical contig name: the index's number for it and its name in the file.
    contigs: FxHashMap<String, (usize, Vec<u8>)>,
    /// `##source=ClinVar`: INFO lists are kept whole (`_create_records`).
    clinvar: bool,
    cursors: Lanes<Cursor>,
}

impl Source {
    /// Opens the file and its index and reads the header: anything missing or unreadable is
    /// an error now, not at the first variant.
    pub fn open(spec: &SourceSpec) -> Result<Self, CustomError> {
        let path = PathBuf::from(&spec.file);
        let short_name = || spec.short_name.clone();
        if !path.is_file() {
            return Err(CustomError::Missing {
                short_name: short_name(),
                path,
            });
        }
        let (index, index_path) = read_index(spec, &path)?;
        let header = index.header().ok_or_else(|| CustomError::NotVcfIndex {
            short_name: short_name(),
            index: index_path.clone(),
            reason: "it has no contig names (make it with `tabix -p vcf` or `tabix -C -p vcf`)",
        })?;
        if header.format() != Format::Vcf {
            return Err(CustomError::NotVcfIndex {
                short_name: short_name(),
                index: index_path,
                reason: "it indexes another format (make it with `tabix -p vcf`)",
            });
        }
        let contigs = header
            .reference_sequence_names()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let name = name.to_vec();
                (canonical_name(&String::from_utf8_lossy(&name)), (i, name))
            })
            .collect();
        let unreadable = |reason: String| CustomError::Unreadable {
            short_name: short_name(),
            path: path.clone(),
            reason,
        };
        let file = File::open(&path).map_err(|e| unreadable(e.to_string()))?;
        let clinvar = read_header(file).map_err(unreadable)?;
        let first = File::open(&path).map_err(|e| unreadable(e.to_string()))?;
        Ok(Self {
            spec: spec.clone(),
            path,
            index,
            contigs,
            clinvar,
            cursors: Lanes::new(Cursor::new(first)),
        })
    }

    pub fn short_name(&self) -> &str {
        &self.spec.short_name
    }

    pub fn spec(&self) -> &SourceSpec {
        &self.spec
    }

    /// Hands this source's matches for `allele` on contig `chrom` (canonical name) to
    /// `each`: once, possibly with none.
    pub fn visit(
        &self,
        chrom: &str,
        allele: &Allele,
        each: &mut dyn FnMut(&[Match<'_>]),
    ) -> Result<(), CustomError> {
        // VEP skips contigs the source does not have (`valid_chromosomes`).
        let Some((contig, name)) = self.contigs.get(chrom) else {
            each(&[]);
            return Ok(());
        };
        let (lo, hi) = allele.span();
        // VEP reads from one base before to one base after the variant.
        let (lo, hi) = (lo.saturating_sub(1).max(1), hi + 1);
        let failed = |reason: String| CustomError::Records {
            short_name: self.spec.short_name.clone(),
            chrom: chrom.to_owned(),
            lo,
            hi,
            reason,
        };
        let mut cursor = self
            .cursors
            .lock(|| File::open(&self.path).map(Cursor::new))
            .map_err(|e| failed(e.to_string()))?;
        let records = cursor
            .overlapping(self.index.as_ref(), *contig, name, lo, hi)
            .map_err(|e| failed(e.to_string()))?;
        let mut found = Vec::new();
        let ours = matching::Forms::of(allele);
        for record in records {
            if let Some(e) = &record.broken {
                return Err(failed(format!("the record at {}: {e}", record.pos)));
            }
            matching::find(&self.spec, self.clinvar, record, allele, &ours, &mut found);
        }
        each(&found);
        Ok(())
    }
}

#[cfg(test)]
impl Source {
    /// The calling thread's cursor forgets where it is.
    pub fn forget_place(&self) {
        if let Ok(mut cursor) = self
            .cursors
            .lock(|| File::open(&self.path).map(Cursor::new))
        {
            cursor.reset();
        }
    }
}

fn read_index(spec: &SourceSpec, path: &Path) -> Result<(Index, PathBuf), CustomError> {
    let with = |ext: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let (tbi, csi) = (with(".tbi"), with(".csi"));
    let failed = |index: &PathBuf, source| CustomError::Index {
        short_name: spec.short_name.clone(),
        index: index.clone(),
        source,
    };
    if tbi.is_file() {
        let index = noodles::tabix::fs::read(&tbi).map_err(|e| failed(&tbi, e))?;
        Ok((Box::new(index), tbi))
    } else if csi.is_file() {
        let index = noodles::csi::fs::read(&csi).map_err(|e| failed(&csi, e))?;
        Ok((Box::new(index), csi))
    } else {
        Err(CustomError::NoIndex {
            short_name: spec.short_name.clone(),
            path: path.to_path_buf(),
        })
    }
}

/// Checks the file is a bgzipped VCF (`##fileformat=VCF...` first, a `#CHROM` line, a first
/// record that reads) and says whether it is ClinVar's.
fn read_header(file: File) -> Result<bool, String> {
    let mut reader = bgzf::io::Reader::new(file);
    let mut line = Vec::new();
    let mut clinvar = false;
    for n in 0..MAX_HEADER_LINES {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("not a bgzipped file ({e})"))?
            == 0
        {
            return Err("it ends before its #CHROM header line".into());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if n == 0 && !text.starts_with("##fileformat=VCF") {
            return Err("it does not start with ##fileformat=VCF".into());
        }
        clinvar |= text == "##source=ClinVar";
        if text.starts_with("#CHROM") {
            line.clear();
            reader
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("its first record cannot be read ({e})"))?;
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            if !line.is_empty() {
                let record =
                    Record::parse(line).map_err(|(e, _)| format!("its first record: {e}"))?;
                if let Some(e) = record.broken {
                    return Err(format!("its first record: {e}"));
                }
            }
            return Ok(clinvar);
        }
        if !text.starts_with('#') {
            return Err("a record comes before the #CHROM header line".into());
        }
    }
    Err(format!(
        "no #CHROM line in its first {MAX_HEADER_LINES} lines"
    ))
}
