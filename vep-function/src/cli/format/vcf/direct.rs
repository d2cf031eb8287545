//! The VCF hot path: a plain, tab-separated VCF record (the benchmark's and most users' input)
//! is split by byte index, checked against the reference once, annotated into a reused
//! [`Effects`] buffer, and its CSQ is written straight from the engine's effects (transcript
//! strings borrowed from the loaded models). Nothing is allocated per transcript.
//!
//! It takes only records it can answer exactly as the general path would; anything else
//! (other notations, spaces, lower-case or `N` alleles, unknown contigs, reference
//! mismatches, engine errors) is declined and goes the general way, which writes the same
//! output and the error messages.

use std::io::{self, Write};

use super::{csq_separator, push_escaped, VcfWriter, CSQ_FIELDS, SPECIAL};
use crate::cli::format::write_span;
use crate::engine::annotate::{Allele, Engine};
use crate::engine::effects::{flags, push_number_span, Effects, TxEffect};
use crate::engine::hgvs::push_number;
use crate::engine::notation::MAX_SPAN;
use crate::engine::transcript::Transcript;

/// State reused from record to record.
pub(super) struct DirectVcf<'m> {
    engine: &'m Engine,
    effects: Effects<'m>,
    record: String,
    reference: Vec<u8>,
    /// The last contig name seen and its canonical name: sorted input repeats it.
    chrom_seen: String,
    chrom: Option<String>,
    texts: TranscriptTexts,
    /// The allele being annotated, its buffers reused.
    allele: Allele,
}

/// The columns of a record the hot path needs.
struct Columns<'l> {
    chrom: &'l str,
    pos: u64,
    reference: &'l [u8],
    alternates: &'l [u8],
    /// Byte range of the INFO column.
    info: (usize, usize),
}

impl<'m> DirectVcf<'m> {
    pub(super) fn new(engine: &'m Engine) -> Self {
        Self {
            engine,
            effects: Effects::default(),
            record: String::new(),
            reference: Vec::new(),
            chrom_seen: String::new(),
            chrom: None,
            texts: TranscriptTexts::default(),
            allele: Allele::from_vcf(1, b"N", b"N"),
        }
    }

    /// Writes the annotated record and returns how many alleles were annotated, or `None`
    /// (nothing written) when the general path has to take the line.
    pub(super) fn record<W: Write>(
        &mut self,
        line: &str,
        writer: &mut VcfWriter<W>,
    ) -> io::Result<Option<usize>> {
        let Some(columns) = split(line) else {
            return Ok(None);
        };
        if !self.resolve(columns.chrom) {
            return Ok(None);
        }
        // Taken out for the record so the other fields can be borrowed; put back below.
        let chrom = self.chrom.take().unwrap_or_default();
        let taken = self.annotate_record(line, &chrom, &columns);
        self.chrom = Some(chrom);
        let Some(annotated) = taken else {
            return Ok(None);
        };
        writer.raw_record(&self.record)?;
        Ok(Some(annotated))
    }

    /// Builds the annotated record into `self.record`; `None` when the general path has to
    /// take the line.
    fn annotate_record(&mut self, line: &str, chrom: &str, columns: &Columns<'_>) -> Option<usize> {
        if !self.reference_matches(chrom, columns) {
            return None;
        }
        let (from, to) = columns.info;
        self.record.clear();
        self.record.push_str(&line[..from]);
        // As `push_info` does: existing INFO (unless `.`), then `CSQ=` with the entries.
        let existing = &line[from..to];
        if existing != "." && !existing.is_empty() {
            self.record.push_str(existing);
        }
        let mut separator = csq_separator(from);
        let mut annotated = 0;
        for alt in columns.alternates.split(|&b| b == b',') {
            self.allele
                .set_from_vcf(columns.pos, columns.reference, alt);
            let allele = &self.allele;
            if self
                .engine
                .annotate_allele(chrom, allele, &mut self.effects)
                .is_err()
            {
                return None;
            }
            let texts = &mut self.texts;
            push_entries(
                &mut self.record,
                &self.effects,
                allele,
                texts,
                &mut separator,
            );
            annotated += 1;
        }
        self.record.push_str(&line[to..]);
        self.record.push('\n');
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
        len <= MAX_SPAN
            && self
                .engine
                .genome()
                .sequence_into(chrom, c.pos, end, &mut self.reference)
                .is_ok()
            && self.reference == c.reference
    }
}

/// The columns of a tab-separated record with at least 8 columns whose first five are
/// printable ASCII without spaces, POS digits, REF upper-case `ACGT`, ALT `,`-separated
/// upper-case `ACGTN` alleles different from REF. `None` for anything else.
fn split(line: &str) -> Option<Columns<'_>> {
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
        reference,
        alternates,
        info: (tabs[6] + 1, info_end),
    })
}

/// Whether any byte is one `push_escaped` encodes (`SPECIAL`). Comparisons folded without
/// an early exit, so the compiler checks many bytes per instruction (the text is a few
/// hundred bytes per variant and almost never has one).
fn has_special(bytes: &[u8]) -> bool {
    let found = bytes.iter().fold(false, |found, &b| {
        found
            | (b == b',')
            | (b == b';')
            | (b == b'=')
            | (b == b'|')
            | (b == b'%')
            | (b == b' ')
            | (b == b'\t')
            | (b == b'\n')
            | (b == b'\r')
    });
    debug_assert_eq!(found, bytes.iter().any(|&b| SPECIAL[usize::from(b)]));
    found
}

/// The CSQ entries of one allele, as `push_csq_entries` writes them from a
/// `VariantAnnotation`: one per transcript, or one intergenic entry.
fn push_entries(
    out: &mut String,
    effects: &Effects<'_>,
    allele: &Allele,
    texts: &mut TranscriptTexts,
    before_entry: &mut dyn FnMut(&mut String),
) {
    // VEP's allele: the alternate without the VCF anchor base, `-` when nothing is left.
    let owned;
    let variant_allele = match std::str::from_utf8(&allele.alternate) {
        Ok("") => "-",
        Ok(text) => text,
        Err(_) => {
            owned = allele.variant_allele();
            &owned
        }
    };
    let plain = !has_special(effects.text.as_bytes());
    for fx in &effects.transcripts {
        before_entry(out);
        push_escaped(out, variant_allele);
        push_transcript_entry(out, effects, fx, texts.get(fx.index, fx.transcript), plain);
    }
    if effects.transcripts.is_empty() {
        before_entry(out);
        push_escaped(out, variant_allele);
        out.push_str("|intergenic_variant|MODIFIER");
        for _ in 3..CSQ_FIELDS.len() {
            out.push('|');
        }
    }
}

/// The CSQ fields that depend on the transcript only, escaped once per transcript:
/// `SYMBOL|Gene|Feature_type|Feature|BIOTYPE` and `|STRAND|FLAGS|...|MANE_SELECT`.
#[derive(Debug)]
struct TranscriptText {
    head: Box<str>,
    tail: Box<str>,
}

impl TranscriptText {
    fn new(t: &Transcript) -> Self {
        let mut head = String::new();
        push_escaped(&mut head, t.gene_symbol.as_deref().unwrap_or_default());
        head.push('|');
        push_escaped(&mut head, &t.gene_id);
        head.push_str("|Transcript|");
        push_feature_id(&mut head, t);
        head.push('|');
        push_escaped(&mut head, &t.biotype);
        let mut tail = String::new();
        tail.push('|');
        tail.push_str(if t.strand.as_i8() < 0 { "-1" } else { "1" });
        tail.push('|');
        for (i, flag) in flags(t).enumerate() {
            if i > 0 {
                tail.push('&');
            }
            tail.push_str(flag);
        }
        tail.push('|');
        if let Some(hgnc) = &t.hgnc_id {
            tail.push_str("HGNC|");
            push_escaped(&mut tail, hgnc);
        } else {
            tail.push('|');
        }
        tail.push('|');
        if t.canonical || t.mane_select {
            tail.push_str("YES");
        }
        tail.push('|');
        if t.mane_select {
            push_versioned_id(&mut tail, t);
        }
        Self {
            head: head.into(),
            tail: tail.into(),
        }
    }
}

/// [`TranscriptText`] of the transcripts met so far, by index in the gene models: bounded
/// by the size of the models, not of the input.
#[derive(Debug, Default)]
struct TranscriptTexts(Vec<Option<TranscriptText>>);

impl TranscriptTexts {
    fn get(&mut self, index: usize, t: &Transcript) -> &TranscriptText {
        if self.0.len() <= index {
            self.0.resize_with(index + 1, || None);
        }
        self.0[index].get_or_insert_with(|| TranscriptText::new(t))
    }
}

/// The fields of `for_each_transcript_field`, in `CSQ_FIELDS` order, from a transcript
/// effect.
fn push_transcript_entry(
    out: &mut String,
    effects: &Effects<'_>,
    fx: &TxEffect<'_>,
    fixed: &TranscriptText,
    plain: bool,
) {
    let t = fx.transcript;
    let text = |r: &Option<std::ops::Range<usize>>| effects.text(r).unwrap_or_default();
    // The computed text of all transcripts was checked at once (`plain`): then no field of
    // it needs escaping.
    let put = |out: &mut String, value: &str| {
        if plain {
            out.push_str(value);
        } else {
            push_escaped(out, value);
        }
    };
    out.push('|');
    for (i, term) in fx.terms.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(term.as_str());
    }
    out.push('|');
    out.push_str(fx.terms.impact().as_str());
    out.push('|');
    out.push_str(&fixed.head);
    out.push('|');
    if let Some(span) = fx.exon {
        push_number_span(out, span, t.exons.len());
    }
    out.push('|');
    if let Some(span) = fx.intron {
        push_number_span(out, span, t.exons.len().saturating_sub(1));
    }
    out.push('|');
    put(out, text(&fx.hgvsc));
    out.push('|');
    put(out, text(&fx.hgvsp));
    for (start, end) in [fx.cdna, fx.cds, fx.protein] {
        out.push('|');
        write_span(out, start, end);
    }
    out.push('|');
    put(out, text(&fx.amino_acids));
    out.push('|');
    put(out, text(&fx.codons));
    // Existing_variation: no co-located variant database is consulted.
    out.push_str("||");
    if let Some(d) = fx.distance {
        push_number(out, d);
    }
    out.push_str(&fixed.tail);
}

/// `Transcript::feature_id` appended, escaped.
fn push_feature_id(out: &mut String, t: &Transcript) {
    if t.id.starts_with("ENS") {
        push_escaped(out, &t.id);
    } else {
        push_versioned_id(out, t);
    }
}

/// `Transcript::versioned_id` appended, escaped.
fn push_versioned_id(out: &mut String, t: &Transcript) {
    push_escaped(out, &t.id);
    if let Some(v) = t.version {
        out.push('.');
        push_number(out, u64::from(v));
    }
}

#[cfg(test)]
mod tests {
    use super::super::VcfWriter;
    use super::*;
    use crate::cli::annotate::Summary;
    use crate::cli::format::line_outcome;
    use std::path::Path;

    /// Records around every exon edge of the bundled chr21 models (SNVs, deletions,
    /// insertions, a multi-allelic record, both strands, UTRs, splice sites, intergenic
    /// flanks), with an existing INFO value and extra columns on some.
    fn records(engine: &Engine) -> Vec<String> {
        let mut lines = Vec::new();
        for t in engine.models().all().unwrap().filter(|t| t.chrom == "21") {
            for e in &t.exons {
                for pos in [e.start - 3, e.start, e.end, e.end + 2, e.end + 6000] {
                    let Ok(r) = engine.genome().sequence("21", pos, pos + 3) else {
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
                    lines.push(format!("21\t{pos}\tv\t{}\t{snv}\t.\t.\t.", &r[..1]));
                    lines.push(format!("21\t{pos}\tv\t{r}\t{}\t.\t.\tDP=3", &r[..1]));
                    lines.push(format!(
                        "21\t{pos}\tv\t{}\t{}TTA\t.\t.\t.\tGT\t0|1",
                        &r[..1],
                        &r[..1]
                    ));
                    lines.push(format!("21\t{pos}\tv\t{}\t{snv},{other}\t.\t.\t.", &r[..1]));
                }
            }
        }
        lines
    }

    #[test]
    fn writes_the_same_records_as_the_general_path() {
        let engine =
            Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
        let lines = records(&engine);
        assert!(lines.len() > 1000, "{}", lines.len());
        let mut direct = DirectVcf::new(&engine);
        let (mut fast, mut general) = (VcfWriter::new(Vec::new()), VcfWriter::new(Vec::new()));
        for line in &lines {
            let taken = direct.record(line, &mut fast).unwrap();
            let (is_vcf, outcome) = line_outcome(&engine, line, &mut Summary::default());
            general.write_line(line, is_vcf, outcome).unwrap();
            assert!(taken.is_some(), "the direct path declined {line}");
        }
        let (fast, general) = (fast.finish().unwrap(), general.finish().unwrap());
        let (fast, general) = (
            String::from_utf8(fast).unwrap(),
            String::from_utf8(general).unwrap(),
        );
        for (f, g) in fast.lines().zip(general.lines()) {
            assert_eq!(f, g);
        }
        assert_eq!(fast.len(), general.len());
    }

    #[test]
    fn declines_what_only_the_general_path_can_answer() {
        let engine =
            Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
        let mut direct = DirectVcf::new(&engine);
        let mut out = VcfWriter::new(Vec::new());
        for line in [
            "21\t25585733\trs1\tG\tT\t.\t.\t.",   // reference mismatch
            "21\t25585733\trs1\tc\tT\t.\t.\t.",   // lower case
            "21 25585733 rs1 C T . . .",          // spaces
            "21\t25585733\trs1\tC\tT\t.\t.\t.\r", // carriage return
            "21\t25585733\trs1\tC\tT",            // no INFO column
            "22\t25585733\trs1\tC\tT\t.\t.\t.",   // unknown contig
            "21\t25585733\trs1\tC\tC\t.\t.\t.",   // no change
            "21\t25585733\trs1\tC\tT,*\t.\t.\t.", // spanning deletion
            "21:g.25585733C>T",
        ] {
            assert_eq!(direct.record(line, &mut out).unwrap(), None, "{line}");
        }
        assert_eq!(
            direct
                .record("21\t25585733\trs1\tC\tT,G\t.\t.\t.", &mut out)
                .unwrap(),
            Some(2)
        );
    }
}
