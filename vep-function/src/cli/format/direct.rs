//! The hot path of `--format vcf` and `--format json`: a plain, tab-separated VCF record (the
//! benchmark's and most users' input) is split by byte index, checked against the reference
//! once, and each ALT is annotated into a reused [`Effects`] buffer; the format's writer
//! writes straight from the effects (transcript strings borrowed from the loaded models).
//! Nothing is allocated per transcript.
//!
//! It takes only records it can answer exactly as the general path would; anything else
//! (other notations, spaces, lower-case or `N` REF alleles, unknown contigs, reference
//! mismatches, engine errors, unreadable custom source records) is declined and goes the
//! general way, which writes the same output and the error messages. With custom sources
//! configured, each format's writer looks each allele's records up (and declines the line
//! when they cannot be read); without them nothing more is done.

use crate::engine::annotate::{Allele, Engine};
use crate::engine::effects::Effects;
use crate::engine::transcript::Transcript;

/// The columns of a record the hot path needs.
pub(super) struct Columns<'l> {
    pub chrom: &'l str,
    pub pos: u64,
    /// Byte range of the ID column (read only by the JSON path: [`Columns::id`]).
    id: (usize, usize),
    pub reference: &'l [u8],
    pub alternates: &'l [u8],
    /// Byte range of the INFO column.
    pub info: (usize, usize),
}

impl Columns<'_> {
    /// The ID column of `line` (the line these columns were split from; `.` when none).
    pub fn id<'l>(&self, line: &'l str) -> &'l str {
        line.get(self.id.0..self.id.1).unwrap_or(".")
    }
}

/// The columns of a tab-separated record with at least 8 columns whose first five are
/// printable ASCII without spaces, POS digits, REF upper-case `ACGT`, ALT `,`-separated
/// upper-case `ACGTN` alleles different from REF. `None` for anything else.
pub(super) fn split(line: &str) -> Option<Columns<'_>> {
    let bytes = line.as_bytes();
    // The general path rejects a line with a carriage return anywhere.
    if bytes.contains(&b'\r') {
        return None;
    }
    let mut tabs = [0usize; 8];
    let mut found = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\t' {
            tabs[found] = i;
            found += 1;
            if found == tabs.len() {
                break;
            }
        }
    }
    if found < 7 {
        return None;
    }
    let info_end = if found == 8 { tabs[7] } else { bytes.len() };
    let field = |n: usize| {
        let from = if n == 0 { 0 } else { tabs[n - 1] + 1 };
        &bytes[from..tabs[n]]
    };
    let printable = |f: &[u8]| !f.is_empty() && f.iter().all(|b| (0x21..0x7f).contains(b));
    if !(0..5).all(|n| printable(field(n))) {
        return None;
    }
    // Digits only, as `str::parse::<u64>` would accept them (overflow declines the line).
    let pos = field(1).iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            .flatten()
    })?;
    let reference = field(3);
    if pos == 0
        || !reference
            .iter()
            .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T'))
    {
        return None;
    }
    let alternates = &bytes[tabs[3] + 1..tabs[4]];
    let alleles_ok = alternates.split(|&b| b == b',').all(|alt| {
        !alt.is_empty()
            && alt != reference
            && alt
                .iter()
                .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T' | b'N'))
    });
    if !alleles_ok {
        return None;
    }
    Some(Columns {
        chrom: &line[..tabs[0]],
        pos,
        id: (tabs[1] + 1, tabs[2]),
        reference,
        alternates,
        info: (tabs[6] + 1, info_end),
    })
}

/// Engine state reused from record to record.
pub(super) struct Direct<'m> {
    engine: &'m Engine,
    effects: Effects<'m>,
    reference: Vec<u8>,
    /// The last contig name seen and its canonical name: sorted input repeats it.
    chrom_seen: String,
    chrom: Option<String>,
    /// The allele being annotated, its buffers reused.
    allele: Allele,
}

impl<'m> Direct<'m> {
    pub(super) fn new(engine: &'m Engine) -> Self {
        Self {
            engine,
            effects: Effects::default(),
            reference: Vec::new(),
            chrom_seen: String::new(),
            chrom: None,
            allele: Allele::from_vcf(1, b"N", b"N"),
        }
    }

    pub(super) fn engine(&self) -> &'m Engine {
        self.engine
    }

    /// Annotates every ALT of the record, handing each to `each` with the contig's canonical
    /// name; `each` answers `false` when the general path has to take the record (its
    /// custom sources' records could not be read). Returns how many were annotated, or
    /// `None` when the general path has to take the record; `each` may then have been called
    /// for some ALTs, and what it wrote must be dropped.
    pub(super) fn annotate(
        &mut self,
        columns: &Columns<'_>,
        mut each: impl FnMut(&str, &Allele, &Effects<'m>) -> bool,
    ) -> Option<usize> {
        if !self.resolve(columns.chrom) {
            return None;
        }
        // Taken out for the record so the other fields can be borrowed; put back below.
        let chrom = self.chrom.take().unwrap_or_default();
        let annotated = self.annotate_alleles(&chrom, columns, &mut each);
        self.chrom = Some(chrom);
        annotated
    }

    fn annotate_alleles(
        &mut self,
        chrom: &str,
        columns: &Columns<'_>,
        each: &mut impl FnMut(&str, &Allele, &Effects<'m>) -> bool,
    ) -> Option<usize> {
        if !self.reference_matches(chrom, columns) {
            return None;
        }
        let mut annotated = 0;
        for alt in columns.alternates.split(|&b| b == b',') {
            self.allele
                .set_from_vcf(columns.pos, columns.reference, alt);
            if self
                .engine
                .annotate_allele(chrom, &self.allele, &mut self.effects)
                .is_err()
            {
                return None;
            }
            if !each(chrom, &self.allele, &self.effects) {
                return None;
            }
            annotated += 1;
        }
        Some(annotated)
    }

    /// Resolves the contig into `self.chrom` (its canonical name), remembered for the next
    /// record: sorted input repeats it, so no allocation per record. `false` when unknown.
    fn resolve(&mut self, name: &str) -> bool {
        if self.chrom.is_none() || self.chrom_seen != name {
            self.chrom_seen.clear();
            self.chrom_seen.push_str(name);
            self.chrom = self.engine.genome().resolve(name);
        }
        self.chrom.is_some()
    }

    /// REF equals the reference there (one fetch; the general path's checks all pass then).
    fn reference_matches(&mut self, chrom: &str, c: &Columns<'_>) -> bool {
        let len = c.reference.len() as u64;
        let Some(end) = c.pos.checked_add(len - 1) else {
            return false;
        };
        self.reference.clear();
        len <= self.engine.max_variant_span()
            && self
                .engine
                .genome()
                .sequence_into(chrom, c.pos, end, &mut self.reference)
                .is_ok()
            && self.reference == c.reference
    }
}

/// VEP's allele: the alternate without the VCF anchor base, `-` when nothing is left.
pub(super) fn variant_allele(allele: &Allele) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(&allele.alternate) {
        Ok("") => "-".into(),
        Ok(text) => text.into(),
        Err(_) => allele.variant_allele().into(),
    }
}

/// What a writer computes once per transcript (its escaped fixed fields), for the transcripts
/// met so far, by index in the gene models: bounded by the size of the models, not of the
/// input.
#[derive(Debug)]
pub(super) struct PerTranscript<T>(Vec<Option<T>>);

impl<T> Default for PerTranscript<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> PerTranscript<T> {
    pub(super) fn get(
        &mut self,
        index: usize,
        t: &Transcript,
        make: impl FnOnce(&Transcript) -> T,
    ) -> &T {
        if self.0.len() <= index {
            self.0.resize_with(index + 1, || None);
        }
        self.0[index].get_or_insert_with(|| make(t))
    }
}

/// Records around every exon edge of the bundled models (chr21 and BRCA1): SNVs, deletions,
/// insertions, multi-allelic records with an `N`, both strands, UTRs, splice sites,
/// intergenic flanks; IDs plain, absent or with JSON-special characters, INFO and sample
/// columns on some. The direct paths' tests check every one against the general path.
#[cfg(test)]
pub(super) fn records_around_exon_edges(engine: &Engine) -> Vec<String> {
    let mut lines = Vec::new();
    for t in engine
        .models()
        .all()
        .expect("the bundled models are loaded")
    {
        let chrom = t.chrom.as_str();
        for e in &t.exons {
            for pos in [e.start - 3, e.start, e.end, e.end + 2, e.end + 6000] {
                let Ok(r) = engine.genome().sequence(chrom, pos, pos + 3) else {
                    continue;
                };
                let Ok(r) = String::from_utf8(r) else {
                    continue;
                };
                if r.contains('N') {
                    continue;
                }
                let snv = if &r[..1] == "A" { "G" } else { "A" };
                let other = if &r[..1] == "C" { "T" } else { "C" };
                lines.push(format!(
                    "{chrom}\t{pos}\trs{pos}\t{}\t{snv}\t.\t.\t.",
                    &r[..1]
                ));
                lines.push(format!("{chrom}\t{pos}\t.\t{r}\t{}\t.\t.\tDP=3", &r[..1]));
                lines.push(format!(
                    "{chrom}\t{pos}\tv\"q\\\t{}\t{}TTA\t.\t.\t.\tGT\t0|1",
                    &r[..1],
                    &r[..1]
                ));
                lines.push(format!(
                    "{chrom}\t{pos}\t.\t{}\t{snv},{other},N\t.\t.\t.",
                    &r[..1]
                ));
            }
        }
    }
    lines
}

/// The bundled engine with the test sources of `tests/data/custom` (ClinVar and gnomAD
/// exact, dbSNP both exact and by overlap), for the direct paths' agreement tests.
#[cfg(test)]
pub(super) fn engine_with_custom_sources() -> Engine {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut engine = Engine::load_bundled(&dir.join("data")).expect("bundled data");
    let file = |name: &str| {
        dir.join("tests/data/custom")
            .join(name)
            .display()
            .to_string()
    };
    let specs: Vec<contract::custom::SourceSpec> = [
        format!(
            "file={},short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG%CLNREVSTAT%CLNDN",
            file("clinvar.vcf.gz")
        ),
        format!(
            "file={},short_name=gnomAD,format=vcf,type=exact,fields=AF%AF_nfe",
            file("gnomad.vcf.gz")
        ),
        format!(
            "file={},short_name=dbSNP,format=vcf,type=exact,fields=VC",
            file("dbsnp.vcf.gz")
        ),
        format!(
            "file={},short_name=near,format=vcf,type=overlap,coords=1",
            file("dbsnp.vcf.gz")
        ),
    ]
    .iter()
    .map(|s| s.parse().expect("spec"))
    .collect();
    engine.set_custom_sources(crate::engine::custom::CustomSources::open(&specs).expect("sources"));
    engine
}

/// Records at and around the test sources' records: matching, other alleles, multi-allelic
/// lines, the record's own multi-allelic form, overlapping SNVs; then the exon-edge records.
#[cfg(test)]
pub(super) fn records_near_custom_records(engine: &Engine) -> Vec<String> {
    let mut lines: Vec<String> = [
        "21\t25585733\trs104894788\tC\tT\t.\t.\t.",
        "21\t25585733\t.\tC\tG\t.\t.\t.",
        "21\t25585733\t.\tC\tG,T,A\t.\t.\tDP=3",
        "21\t25585743\trs699\tA\tG\t.\t.\t.",
        "21\t25585743\t.\tA\tG,C\t.\t.\t.\tGT\t1|2",
        "17\t43047105\trs886039902\tCTTTTTT\tCT,CTT,CTTTTT\t.\t.\t.",
        "17\t43047105\t.\tCTTTTTT\tCTT\t.\t.\t.",
        "17\t43047107\t.\tT\tA,G\t.\t.\t.",
        "17\t43047110\t.\tT\tTA\t.\t.\t.",
        "17\t43047104\t.\tTC\tT\t.\t.\t.",
    ]
    .map(String::from)
    .to_vec();
    lines.extend(records_around_exon_edges(engine));
    lines
}
