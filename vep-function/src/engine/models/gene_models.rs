//! The loaded gene models with the look-ups annotation needs: transcripts overlapping a
//! region (per contig: sorted starts + longest span, so a binary search bounds the scan) and
//! by id or gene symbol.
//!
//! Transcripts are held per contig. Loaded from GFF3 they are all there at once; loaded from
//! an index (`super::index`) a contig's transcripts are decoded on first use and the id and
//! symbol tables on the first look-up by name, so start-up reads only the index's directory
//! (a whole genome takes ~0.25 s of CPU to decode; one contig, a few ms to ~20). Reading a
//! section can fail (disk, a file changed under us): look-ups return a [`ModelsError`],
//! never an empty answer standing in for one.

mod contig;
mod names;

pub use self::names::Names;

use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashMap;

use self::contig::ContigModels;
use super::transcript::Transcript;

/// Gene models that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gene models unavailable: {0}")]
pub struct ModelsError(pub String);

/// Where the transcripts of a lazily loaded [`GeneModels`] come from (the index file).
pub trait ModelSource: Send + Sync + std::fmt::Debug {
    /// The transcripts of contig `i` of the directory, sorted as [`group_by_contig`] sorts.
    fn contig(&self, i: usize) -> Result<Vec<Transcript>, ModelsError>;
    /// The id and symbol tables, numbered like [`group_by_contig`] numbers transcripts.
    fn names(&self) -> Result<Names, ModelsError>;
}

/// One contig's entry in the models: its transcripts once loaded.
#[derive(Debug)]
struct Slot {
    chrom: String,
    /// Number of the contig's first transcript (contig-major numbering).
    base: usize,
    count: usize,
    loaded: Lazy<ContigModels>,
}

/// A value read on first use. Two threads needing it read it once; a failure is not kept,
/// so a passing I/O error is retried at the next use.
#[derive(Debug)]
struct Lazy<T> {
    value: OnceLock<T>,
    /// Held while the value is read (one per contig: threads on other contigs do not wait).
    loading: Mutex<()>,
}

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Self {
            value: OnceLock::new(),
            loading: Mutex::new(()),
        }
    }
}

impl<T> Lazy<T> {
    fn ready(value: T) -> Self {
        Self {
            value: OnceLock::from(value),
            loading: Mutex::new(()),
        }
    }

    #[cfg(test)]
    fn is_loaded(&self) -> bool {
        self.value.get().is_some()
    }

    fn get_or_load(
        &self,
        load: impl FnOnce() -> Result<T, ModelsError>,
    ) -> Result<&T, ModelsError> {
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let _reading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let value = load()?;
        Ok(self.value.get_or_init(|| value))
    }
}

#[derive(Debug)]
pub struct GeneModels {
    slots: Vec<Slot>,
    /// Slot by canonical chromosome name. FxHash: looked up for every variant.
    by_chrom: FxHashMap<String, usize>,
    names: Lazy<Names>,
    total: usize,
    source: Option<Box<dyn ModelSource>>,
}

/// The layout [`GeneModels`] holds and the index stores: transcripts grouped by contig (in
/// order of first appearance), each contig's sorted by span (stable: equal spans keep their
/// input order), as positions in `transcripts`; and the name tables in that numbering.
pub fn group_by_contig(transcripts: &[Transcript]) -> (Vec<(String, Vec<usize>)>, Names) {
    let mut contig_of: FxHashMap<&str, usize> = FxHashMap::default();
    let mut keyed: Vec<(usize, u64, u64, usize)> = Vec::with_capacity(transcripts.len());
    for (i, t) in transcripts.iter().enumerate() {
        let next = contig_of.len();
        let contig = *contig_of.entry(t.chrom.as_str()).or_insert(next);
        keyed.push((contig, t.start(), t.end(), i));
    }
    // The input position breaks ties: as stable as one sort per contig.
    keyed.sort_unstable();
    let mut number = vec![0; transcripts.len()];
    let mut contigs: Vec<(String, Vec<usize>)> = Vec::with_capacity(contig_of.len());
    for (n, &(contig, _, _, i)) in keyed.iter().enumerate() {
        number[i] = n;
        if contigs.len() <= contig {
            contigs.push((transcripts[i].chrom.clone(), Vec::new()));
        }
        contigs[contig].1.push(i);
    }
    (contigs, Names::build(transcripts, &number))
}

impl Default for GeneModels {
    /// No transcripts (every look-up answers "none", none fails).
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl GeneModels {
    /// All of `transcripts`, indexed now.
    pub fn new(transcripts: Vec<Transcript>) -> Self {
        let (contigs, names) = group_by_contig(&transcripts);
        let mut models = Self::empty(contigs.iter().map(|(c, t)| (c.clone(), t.len())));
        let mut taken: Vec<Option<Transcript>> = transcripts.into_iter().map(Some).collect();
        for ((_, positions), slot) in contigs.into_iter().zip(&mut models.slots) {
            let sorted = positions.iter().filter_map(|&i| taken[i].take()).collect();
            slot.loaded = Lazy::ready(ContigModels::sorted(sorted));
        }
        models.names = Lazy::ready(names);
        models
    }

    /// Models whose contigs (name and transcript count, in index order) are read from
    /// `source` on first use.
    pub fn lazy(
        contigs: impl IntoIterator<Item = (String, usize)>,
        source: Box<dyn ModelSource>,
    ) -> Self {
        let mut models = Self::empty(contigs);
        models.source = Some(source);
        models
    }

    fn empty(contigs: impl IntoIterator<Item = (String, usize)>) -> Self {
        let mut models = Self {
            slots: Vec::new(),
            by_chrom: FxHashMap::default(),
            names: Lazy::default(),
            total: 0,
            source: None,
        };
        for (chrom, count) in contigs {
            models.by_chrom.insert(chrom.clone(), models.slots.len());
            models.slots.push(Slot {
                chrom,
                base: models.total,
                count,
                loaded: Lazy::default(),
            });
            models.total += count;
        }
        models
    }

    pub fn len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Every transcript, contig by contig in genomic order (loads every contig).
    pub fn all(&self) -> Result<impl Iterator<Item = &Transcript>, ModelsError> {
        let contigs = (0..self.slots.len())
            .map(|i| self.contig(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(contigs.into_iter().flat_map(|c| c.transcripts().iter()))
    }

    /// Transcripts whose span overlaps `start..=end`, in genomic order.
    pub fn overlapping(
        &self,
        chrom: &str,
        start: u64,
        end: u64,
    ) -> Result<impl Iterator<Item = &Transcript>, ModelsError> {
        Ok(self.overlapping_indexed(chrom, start, end)?.map(|(_, t)| t))
    }

    /// [`GeneModels::overlapping`] with each transcript's number (stable for the life of the
    /// models; callers key per-transcript caches on it).
    pub fn overlapping_indexed(
        &self,
        chrom: &str,
        start: u64,
        end: u64,
    ) -> Result<impl Iterator<Item = (usize, &Transcript)>, ModelsError> {
        let found = match self.by_chrom.get(chrom) {
            Some(&i) => Some((self.slots[i].base, self.contig(i)?)),
            None => None,
        };
        Ok(found.into_iter().flat_map(move |(base, contig)| {
            contig
                .overlapping(start, end)
                .map(move |(i, t)| (base + i, t))
        }))
    }

    /// By stable id, with or without version (`ENST00000352957`, `NM_007294.4`).
    pub fn transcript(&self, id: &str) -> Result<Option<&Transcript>, ModelsError> {
        match self.names()?.by_id(id) {
            Some(n) => self.numbered(n).map(Some),
            None => Ok(None),
        }
    }

    /// The transcripts of a gene symbol, in the order the gene models listed them.
    pub fn transcripts_of_gene(&self, symbol: &str) -> Result<Vec<&Transcript>, ModelsError> {
        self.names()?
            .by_symbol(symbol)
            .iter()
            .map(|&n| self.numbered(n as usize))
            .collect()
    }

    /// The transcript a gene name stands for: MANE Select, else canonical, else the longest
    /// coding one, else the longest.
    pub fn gene_transcript(&self, symbol: &str) -> Result<Option<&Transcript>, ModelsError> {
        let all = self.transcripts_of_gene(symbol)?;
        Ok(all
            .iter()
            .find(|t| t.mane_select)
            .or_else(|| all.iter().find(|t| t.canonical))
            .or_else(|| {
                all.iter()
                    .filter(|t| t.is_coding())
                    .max_by_key(|t| t.cds_len().unwrap_or(0))
            })
            .or_else(|| all.iter().max_by_key(|t| t.cdna_len()))
            .copied())
    }

    /// Transcript number `n` (contig-major).
    fn numbered(&self, n: usize) -> Result<&Transcript, ModelsError> {
        let i = self.slots.partition_point(|s| s.base + s.count <= n);
        let slot = self
            .slots
            .get(i)
            .ok_or_else(|| ModelsError(format!("transcript number {n} is out of range")))?;
        self.contig(i)?
            .transcripts()
            .get(n - slot.base)
            .ok_or_else(|| ModelsError(format!("transcript number {n} is out of range")))
    }

    fn contig(&self, i: usize) -> Result<&ContigModels, ModelsError> {
        let slot = &self.slots[i];
        slot.loaded.get_or_load(|| {
            let transcripts = self.source()?.contig(i)?;
            if transcripts.len() != slot.count {
                return Err(ModelsError(format!(
                    "contig {} holds {} transcripts, its directory says {}",
                    slot.chrom,
                    transcripts.len(),
                    slot.count
                )));
            }
            ContigModels::checked(&slot.chrom, transcripts)
        })
    }

    fn names(&self) -> Result<&Names, ModelsError> {
        self.names.get_or_load(|| {
            let names = self.source()?.names()?;
            names.check(self.total)?;
            Ok(names)
        })
    }

    fn source(&self) -> Result<&dyn ModelSource, ModelsError> {
        self.source
            .as_deref()
            .ok_or_else(|| ModelsError("the gene models have no source to read from".into()))
    }
}

#[cfg(test)]
mod tests;
