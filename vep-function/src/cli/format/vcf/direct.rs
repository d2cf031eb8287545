//! The VCF hot path: a plain record annotated by [`Direct`] (see `format/direct.rs`), its CSQ
//! written straight from the engine's effects, transcript text escaped once per transcript.

use std::io::{self, Write};

use contract::output::csq::{push_escaped, push_span, separator, CSQ_FIELDS, SPECIAL};
use contract::output::push_number;

use super::super::direct::{split, variant_allele, Direct, PerTranscript};
use super::VcfWriter;
use crate::engine::annotate::{Allele, Engine};
use crate::engine::effects::{flags, push_number_span, Effects, TxEffect};
use crate::engine::transcript::Transcript;

/// State reused from record to record.
pub(super) struct DirectVcf<'m> {
    direct: Direct<'m>,
    record: String,
    texts: PerTranscript<TranscriptText>,
    /// The custom sources' CSQ fields of the allele being written (empty without sources).
    custom: String,
}

impl<'m> DirectVcf<'m> {
    pub(super) fn new(engine: &'m Engine) -> Self {
        Self {
            direct: Direct::new(engine),
            record: String::new(),
            texts: PerTranscript::default(),
            custom: String::new(),
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
        let (from, to) = columns.info;
        let record = &mut self.record;
        record.clear();
        record.push_str(&line[..from]);
        // As `push_info` does: existing INFO (unless `.`), then `CSQ=` with the entries.
        let existing = &line[from..to];
        if existing != "." && !existing.is_empty() {
            record.push_str(existing);
        }
        let mut before_entry = separator(from);
        let (texts, custom) = (&mut self.texts, &mut self.custom);
        let sources = self.direct.engine().custom();
        let annotated = self.direct.annotate(&columns, |chrom, allele, effects| {
            // Once per allele, the same for each of its entries.
            custom.clear();
            if !sources.is_empty() && sources.push_csq(chrom, allele, custom).is_err() {
                return false;
            }
            push_entries(record, effects, allele, custom, texts, &mut before_entry);
            true
        });
        let Some(annotated) = annotated else {
            return Ok(None);
        };
        record.push_str(&line[to..]);
        record.push('\n');
        writer.raw_record(&self.record)?;
        Ok(Some(annotated))
    }
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

/// The CSQ entries of one allele, as `contract::output::csq::push_entries` writes them from a
/// `VariantAnnotation`: one per transcript, or one intergenic entry; each ends with `custom`
/// (the allele's custom source fields).
fn push_entries(
    out: &mut String,
    effects: &Effects<'_>,
    allele: &Allele,
    custom: &str,
    texts: &mut PerTranscript<TranscriptText>,
    before_entry: &mut dyn FnMut(&mut String),
) {
    let variant_allele = variant_allele(allele);
    let variant_allele = variant_allele.as_ref();
    let plain = !has_special(effects.text.as_bytes());
    for fx in &effects.transcripts {
        before_entry(out);
        push_escaped(out, variant_allele);
        push_transcript_entry(
            out,
            effects,
            fx,
            texts.get(fx.index, fx.transcript, TranscriptText::new),
            plain,
        );
        out.push_str(custom);
    }
    if effects.transcripts.is_empty() {
        before_entry(out);
        push_escaped(out, variant_allele);
        out.push_str("|intergenic_variant|MODIFIER");
        for _ in 3..CSQ_FIELDS.len() {
            out.push('|');
        }
        out.push_str(custom);
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

/// The fields of `contract::output::csq::for_each_transcript_field`, in `CSQ_FIELDS` order,
/// from a transcript effect.
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
        push_span(out, start, end);
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
    use super::super::super::direct::{
        engine_with_custom_sources, records_around_exon_edges, records_near_custom_records,
    };
    use super::super::VcfWriter;
    use super::*;
    use crate::cli::annotate::Summary;
    use crate::cli::format::line_outcome;
    use std::path::Path;

    /// Every line through both paths: the same output, and every line taken by the direct one.
    fn check_paths_agree(engine: &Engine, lines: &[String]) -> String {
        let mut direct = DirectVcf::new(engine);
        let columns = || engine.custom().columns().clone();
        let (mut fast, mut general) = (
            VcfWriter::new(Vec::new(), columns()),
            VcfWriter::new(Vec::new(), columns()),
        );
        for line in lines {
            let taken = direct.record(line, &mut fast).unwrap();
            let (is_vcf, outcome) = line_outcome(engine, line, &mut Summary::default());
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
        fast
    }

    #[test]
    fn writes_the_same_records_as_the_general_path() {
        let engine =
            Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
        let lines = records_around_exon_edges(&engine);
        assert!(lines.len() > 1000, "{}", lines.len());
        check_paths_agree(&engine, &lines);
    }

    #[test]
    fn with_custom_sources_writes_the_same_records_as_the_general_path() {
        let engine = engine_with_custom_sources();
        let out = check_paths_agree(&engine, &records_near_custom_records(&engine));
        assert!(out.contains("|MANE_SELECT|ClinVar|ClinVar_CLNSIG|ClinVar_CLNREVSTAT|ClinVar_CLNDN|gnomAD|gnomAD_AF|gnomAD_AF_nfe|dbSNP|dbSNP_VC|near\">"));
        let record = out
            .lines()
            .find(|l| l.starts_with("21\t25585733\trs104894788"))
            .unwrap();
        // Coordinates name a record as the file spells its contig.
        assert!(
            record
                .contains("|11236|Pathogenic||||||rs104894788|SNV|NC_000021.9:25585733-25585733,"),
            "{record}"
        );
        let multi = out
            .lines()
            .find(|l| l.starts_with("17\t43047105\trs886039902"))
            .unwrap();
        assert!(multi.contains("|rs886039902|DEL|"), "{multi}");
    }

    #[test]
    fn declines_what_only_the_general_path_can_answer() {
        let engine =
            Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
        let mut direct = DirectVcf::new(&engine);
        let mut out = VcfWriter::new(Vec::new(), contract::output::csq::CustomColumns::default());
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
