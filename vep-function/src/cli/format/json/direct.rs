//! The JSON hot path: a plain VCF record annotated by [`Direct`] (see `format/direct.rs`),
//! each allele's VEP object written straight from the engine's effects in the engine's field
//! order: exactly what `contract::output::json` writes for the `VariantAnnotation` the general
//! path builds (checked by the tests below and on whole files), without building it. The
//! fields that depend on the transcript alone are escaped once per transcript.

use contract::annotation::CustomAnnotations;
use contract::output::json::{push_i64, push_key, push_str, push_u64};

use super::super::direct::{split, variant_allele, Direct, PerTranscript};
use crate::engine::annotate::{Allele, Engine};
use crate::engine::consequence::{Consequence, Impact};
use crate::engine::effects::{flags, push_number_span, Effects, TxEffect};
use crate::engine::transcript::Transcript;

/// State reused from record to record.
pub(super) struct DirectJson<'m> {
    direct: Direct<'m>,
    /// The custom sources' records of the allele being written (empty without sources).
    custom: CustomAnnotations,
    /// `{"input":...,"id":...,"seq_region_name":` of the current record.
    prefix: Vec<u8>,
    texts: PerTranscript<TranscriptJson>,
    scratch: String,
}

impl<'m> DirectJson<'m> {
    pub(super) fn new(engine: &'m Engine) -> Self {
        Self {
            direct: Direct::new(engine),
            custom: CustomAnnotations::new(),
            prefix: Vec::new(),
            texts: PerTranscript::default(),
            scratch: String::new(),
        }
    }

    /// Appends one JSON line per ALT of `text` (a trimmed input line) to `out` and returns how
    /// many, or `None` (`out` unchanged) when the general path has to take the line.
    pub(super) fn record(&mut self, text: &str, out: &mut Vec<u8>) -> Option<usize> {
        let columns = split(text)?;
        let prefix = &mut self.prefix;
        prefix.clear();
        prefix.extend_from_slice(b"{\"input\":");
        push_str(prefix, text);
        let id = columns.id(text);
        if id != "." {
            prefix.extend_from_slice(b",\"id\":");
            push_str(prefix, id);
        }
        prefix.extend_from_slice(b",\"seq_region_name\":");
        let assembly = self.direct.engine().assembly();
        let start = out.len();
        let (texts, scratch, custom) = (&mut self.texts, &mut self.scratch, &mut self.custom);
        let sources = self.direct.engine().custom();
        let annotated = self.direct.annotate(&columns, |chrom, allele, effects| {
            if !sources.is_empty() && sources.annotate(chrom, allele, custom).is_err() {
                return false;
            }
            out.extend_from_slice(prefix);
            push_str(out, chrom);
            push_allele(out, allele, effects, assembly, texts, scratch);
            push_custom(out, custom);
            out.extend_from_slice(b"}\n");
            true
        });
        if annotated.is_none() {
            out.truncate(start);
        }
        annotated
    }
}

/// `,"custom_annotations":{...}` when the allele has records (the field after the
/// consequences in the engine's order), as the shared writer writes it.
fn push_custom(out: &mut Vec<u8>, custom: &CustomAnnotations) {
    if custom.is_empty() {
        return;
    }
    out.push(b',');
    push_key(out, "custom_annotations");
    if let Err(e) = serde_json::to_writer(&mut *out, custom) {
        // Strings and numbers only: cannot fail; never drop the field silently.
        push_str(out, &format!("unserialisable field: {e}"));
    }
}

/// From `"start"` to the end of one allele's consequences (the object stays open).
fn push_allele(
    out: &mut Vec<u8>,
    allele: &Allele,
    effects: &Effects<'_>,
    assembly: &str,
    texts: &mut PerTranscript<TranscriptJson>,
    scratch: &mut String,
) {
    out.extend_from_slice(b",\"start\":");
    push_u64(out, allele.start);
    out.extend_from_slice(b",\"end\":");
    push_u64(out, allele.end);
    out.extend_from_slice(b",\"strand\":1,\"allele_string\":");
    let (reference, alternate) = (show(&allele.reference), show(&allele.alternate));
    scratch.clear();
    scratch.push_str(&reference);
    scratch.push('/');
    scratch.push_str(&alternate);
    push_str(out, scratch);
    out.extend_from_slice(b",\"assembly_name\":");
    push_str(out, assembly);
    out.extend_from_slice(b",\"most_severe_consequence\":");
    push_str(out, effects.most_severe().as_str());
    let variant_allele = variant_allele(allele);
    if effects.transcripts.is_empty() {
        out.extend_from_slice(b",\"intergenic_consequences\":[{\"consequence_terms\":[");
        push_str(out, Consequence::IntergenicVariant.as_str());
        out.extend_from_slice(b"],\"impact\":");
        push_str(out, Impact::Modifier.as_str());
        out.extend_from_slice(b",\"variant_allele\":");
        push_str(out, &variant_allele);
        out.extend_from_slice(b"}]");
        return;
    }
    out.extend_from_slice(b",\"transcript_consequences\":[");
    for (i, fx) in effects.transcripts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let fixed = texts.get(fx.index, fx.transcript, TranscriptJson::new);
        push_transcript(out, effects, fx, fixed, &variant_allele, scratch);
    }
    out.push(b']');
}

/// `-` for an empty allele, as VEP writes it.
fn show(bases: &[u8]) -> std::borrow::Cow<'_, str> {
    if bases.is_empty() {
        "-".into()
    } else {
        String::from_utf8_lossy(bases)
    }
}

/// One transcript consequence object.
fn push_transcript(
    out: &mut Vec<u8>,
    effects: &Effects<'_>,
    fx: &TxEffect<'_>,
    fixed: &TranscriptJson,
    variant_allele: &str,
    scratch: &mut String,
) {
    let t = fx.transcript;
    let text = |r: &Option<std::ops::Range<usize>>| effects.text(r);
    out.extend_from_slice(&fixed.head);
    for (i, term) in fx.terms.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, term.as_str());
    }
    out.extend_from_slice(b"],\"impact\":");
    push_str(out, fx.terms.impact().as_str());
    out.extend_from_slice(b",\"variant_allele\":");
    push_str(out, variant_allele);
    for (name, value) in [
        (&b",\"cdna_start\":"[..], fx.cdna.0),
        (b",\"cdna_end\":", fx.cdna.1),
        (b",\"cds_start\":", fx.cds.0),
        (b",\"cds_end\":", fx.cds.1),
        (b",\"protein_start\":", fx.protein.0),
        (b",\"protein_end\":", fx.protein.1),
    ] {
        if let Some(n) = value {
            out.extend_from_slice(name);
            push_u64(out, n);
        }
    }
    push_text(out, b",\"amino_acids\":", text(&fx.amino_acids));
    push_text(out, b",\"codons\":", text(&fx.codons));
    for (name, span, total) in [
        (&b",\"exon\":"[..], fx.exon, t.exons.len()),
        (b",\"intron\":", fx.intron, t.exons.len().saturating_sub(1)),
    ] {
        if let Some(span) = span {
            scratch.clear();
            push_number_span(scratch, span, total);
            push_text(out, name, Some(scratch));
        }
    }
    if let Some(d) = fx.distance {
        out.extend_from_slice(b",\"distance\":");
        push_u64(out, d);
    }
    push_text(out, b",\"hgvsc\":", text(&fx.hgvsc));
    push_text(out, b",\"hgvsp\":", text(&fx.hgvsp));
    if let Some(offset) = fx.hgvs_offset {
        out.extend_from_slice(b",\"hgvs_offset\":");
        push_i64(out, offset);
    }
    out.extend_from_slice(&fixed.tail);
}

/// `,"name":"value"` (`key` holds `,"name":`) when there is a value.
fn push_text(out: &mut Vec<u8>, key: &[u8], value: Option<&str>) {
    if let Some(v) = value {
        out.extend_from_slice(key);
        push_str(out, v);
    }
}

/// The JSON of a transcript consequence that depends on the transcript alone: from `{` to the
/// opening of `consequence_terms`, and from `protein_id` to `}`.
#[derive(Debug)]
struct TranscriptJson {
    head: Box<[u8]>,
    tail: Box<[u8]>,
}

impl TranscriptJson {
    fn new(t: &Transcript) -> Self {
        let mut head = Vec::new();
        head.extend_from_slice(b"{\"transcript_id\":");
        push_str(&mut head, &t.feature_id());
        head.extend_from_slice(b",\"gene_id\":");
        push_str(&mut head, &t.gene_id);
        if let Some(symbol) = &t.gene_symbol {
            head.extend_from_slice(b",\"gene_symbol\":");
            push_str(&mut head, symbol);
        }
        if let Some(hgnc) = &t.hgnc_id {
            head.extend_from_slice(b",\"gene_symbol_source\":\"HGNC\",\"hgnc_id\":");
            push_str(&mut head, hgnc);
        }
        head.extend_from_slice(b",\"biotype\":");
        push_str(&mut head, &t.biotype);
        head.extend_from_slice(b",\"strand\":");
        push_i64(&mut head, i64::from(t.strand.as_i8()));
        head.extend_from_slice(b",\"consequence_terms\":[");
        let mut tail = Vec::new();
        if let Some(protein) = t.coding.as_ref().and_then(|c| c.protein_id.as_ref()) {
            tail.extend_from_slice(b",\"protein_id\":");
            push_str(&mut tail, protein);
        }
        // MANE Select is by definition the canonical transcript (VEP REST marks both).
        if t.canonical || t.mane_select {
            tail.extend_from_slice(b",\"canonical\":1");
        }
        if t.mane_select {
            tail.extend_from_slice(b",\"mane_select\":");
            push_str(&mut tail, &t.versioned_id());
        }
        if t.mane_plus_clinical {
            tail.extend_from_slice(b",\"mane_plus_clinical\":");
            push_str(&mut tail, &t.versioned_id());
        }
        let mut flags = flags(t).peekable();
        if flags.peek().is_some() {
            tail.extend_from_slice(b",\"flags\":[");
            for (i, flag) in flags.enumerate() {
                if i > 0 {
                    tail.push(b',');
                }
                push_str(&mut tail, flag);
            }
            tail.push(b']');
        }
        tail.push(b'}');
        Self {
            head: head.into(),
            tail: tail.into(),
        }
    }
}

#[cfg(test)]
mod tests;
