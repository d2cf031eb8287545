//! VEP's CSQ: the sub-fields of one entry per allele x transcript, their order (declared in
//! the VCF header) and the escaping that keeps a value inside its entry. The one place this
//! layout lives: the VCF and TSV writers take their fields from here, and the engine's VCF
//! hot path (`vep-function`'s `cli/format/vcf/direct.rs`) writes the same fields straight
//! from its effects, checked against this writer by its tests.

mod custom;

pub use custom::{
    custom_extra, push_column, push_custom_fields, CustomColumn, CustomColumns, RecordView,
};

use super::push_number;
use crate::annotation::{TranscriptConsequence, VariantAnnotation};

/// The CSQ sub-fields, in order, as declared in the header.
pub const CSQ_FIELDS: [&str; 25] = [
    "Allele",
    "Consequence",
    "IMPACT",
    "SYMBOL",
    "Gene",
    "Feature_type",
    "Feature",
    "BIOTYPE",
    "EXON",
    "INTRON",
    "HGVSc",
    "HGVSp",
    "cDNA_position",
    "CDS_position",
    "Protein_position",
    "Amino_acids",
    "Codons",
    "Existing_variation",
    "DISTANCE",
    "STRAND",
    "FLAGS",
    "SYMBOL_SOURCE",
    "HGNC_ID",
    "CANONICAL",
    "MANE_SELECT",
];

/// Bytes [`push_escaped`] encodes; all ASCII, so they sit at char boundaries.
pub const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let specials = b",;=|% \t\n\r";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = true;
        i += 1;
    }
    table
};

/// Percent-encodes what would break the INFO/CSQ syntax (VCF 4.3 style), appended to `out`.
/// Values almost never hold a special byte, so a table scan finds the first one and plain
/// text is copied in one go.
#[inline]
pub fn push_escaped(out: &mut String, value: &str) {
    let Some(first) = value.bytes().position(|b| SPECIAL[usize::from(b)]) else {
        out.push_str(value);
        return;
    };
    out.push_str(&value[..first]);
    for c in value[first..].chars() {
        match c {
            ',' => out.push_str("%2C"),
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            '|' => out.push_str("%7C"),
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
}

/// [`push_escaped`] into a new string.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_escaped(&mut out, value);
    out
}

/// VEP's position columns: `7`, `7-9`, `?-9` / `7-?` when one end is unknown, nothing when
/// both are.
#[inline]
pub fn push_span(out: &mut String, start: Option<u64>, end: Option<u64>) {
    match (start, end) {
        (Some(s), Some(e)) if s == e => push_number(out, s),
        (Some(s), Some(e)) => {
            push_number(out, s);
            out.push('-');
            push_number(out, e);
        }
        (Some(s), None) => {
            push_number(out, s);
            out.push_str("-?");
        }
        (None, Some(e)) => {
            out.push_str("?-");
            push_number(out, e);
        }
        (None, None) => {}
    }
}

/// `items` joined with `&` into `scratch` (replacing its content).
fn join_into(scratch: &mut String, items: &[String]) {
    scratch.clear();
    for (i, f) in items.iter().enumerate() {
        if i > 0 {
            scratch.push('&');
        }
        scratch.push_str(f);
    }
}

/// A pass-through value as CSQ text: a string as is, a number in decimal, a list joined with
/// `&`, anything else empty.
fn push_json_text(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => out.push_str(s),
        serde_json::Value::Number(n) => out.push_str(&n.to_string()),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('&');
                }
                push_json_text(out, item);
            }
        }
        _ => {}
    }
}

/// Hands each CSQ field of `t` after `Allele` (which callers take from the consequence) to
/// `emit`, by name, in [`CSQ_FIELDS`] order, without allocating per field. A field an
/// Ensembl answer gave with another JSON type (`hgnc_id` as a number) is read from `extra`.
pub fn for_each_transcript_field(
    t: &TranscriptConsequence,
    mut emit: impl FnMut(&'static str, &str),
) {
    let mut scratch = String::new();
    let mut text =
        |emit: &mut dyn FnMut(&'static str, &str), name, typed: &Option<String>, key| match (
            typed,
            t.extra.get(key),
        ) {
            (Some(v), _) => emit(name, v),
            (None, Some(raw)) => {
                scratch.clear();
                push_json_text(&mut scratch, raw);
                emit(name, &scratch);
            }
            (None, None) => emit(name, ""),
        };
    let mut own = String::new();
    join_into(&mut own, &t.consequence_terms);
    emit("Consequence", &own);
    emit("IMPACT", &t.impact);
    text(&mut emit, "SYMBOL", &t.gene_symbol, "gene_symbol");
    emit("Gene", &t.gene_id);
    emit("Feature_type", "Transcript");
    emit("Feature", &t.transcript_id);
    emit("BIOTYPE", &t.biotype);
    text(&mut emit, "EXON", &t.exon, "exon");
    text(&mut emit, "INTRON", &t.intron, "intron");
    text(&mut emit, "HGVSc", &t.hgvsc, "hgvsc");
    text(&mut emit, "HGVSp", &t.hgvsp, "hgvsp");
    for (name, start, end) in [
        ("cDNA_position", t.cdna_start, t.cdna_end),
        ("CDS_position", t.cds_start, t.cds_end),
        ("Protein_position", t.protein_start, t.protein_end),
    ] {
        own.clear();
        push_span(&mut own, start, end);
        emit(name, &own);
    }
    text(&mut emit, "Amino_acids", &t.amino_acids, "amino_acids");
    text(&mut emit, "Codons", &t.codons, "codons");
    // No co-located variant database is consulted.
    emit("Existing_variation", "");
    own.clear();
    match (t.distance, t.extra.get("distance")) {
        (Some(d), _) => push_number(&mut own, d),
        (None, Some(raw)) => push_json_text(&mut own, raw),
        (None, None) => {}
    }
    emit("DISTANCE", &own);
    own.clear();
    if t.strand < 0 {
        own.push('-');
    }
    push_number(&mut own, u64::from(t.strand.unsigned_abs()));
    emit("STRAND", &own);
    join_into(&mut own, &t.flags);
    emit("FLAGS", &own);
    text(
        &mut emit,
        "SYMBOL_SOURCE",
        &t.gene_symbol_source,
        "gene_symbol_source",
    );
    text(&mut emit, "HGNC_ID", &t.hgnc_id, "hgnc_id");
    emit("CANONICAL", if t.canonical == Some(1) { "YES" } else { "" });
    text(&mut emit, "MANE_SELECT", &t.mane_select, "mane_select");
}

/// The fields of [`for_each_transcript_field`], collected.
pub fn transcript_fields(t: &TranscriptConsequence) -> Vec<(&'static str, String)> {
    let mut fields = Vec::with_capacity(CSQ_FIELDS.len() - 1);
    for_each_transcript_field(t, |name, value| fields.push((name, value.to_owned())));
    fields
}

/// What goes before each CSQ entry of a record whose INFO starts at `begin`: `CSQ=` before the
/// first (after a `;` when INFO already holds something), `,` before the others.
pub fn separator(begin: usize) -> impl FnMut(&mut String) {
    let mut first = true;
    move |out: &mut String| {
        if first {
            if out.len() > begin {
                out.push(';');
            }
            out.push_str("CSQ=");
            first = false;
        } else {
            out.push(',');
        }
    }
}

/// Appends each CSQ entry of `a` (one per transcript consequence, or one per intergenic
/// consequence) to `out`, calling `before_entry` ahead of each (to write the separator);
/// `columns` are the custom sources' fields that follow VEP's own.
pub fn push_entries(
    out: &mut String,
    a: &VariantAnnotation,
    columns: &CustomColumns,
    before_entry: &mut dyn FnMut(&mut String),
) {
    // The custom fields of an allele, written once for all its entries.
    let (mut cached, mut suffix): (Option<&str>, String) = (None, String::new());
    for t in &a.transcript_consequences {
        before_entry(out);
        push_escaped(out, &t.variant_allele);
        for_each_transcript_field(t, |_, value| {
            out.push('|');
            push_escaped(out, value);
        });
        if !columns.is_empty() {
            if cached != Some(t.variant_allele.as_str()) {
                suffix.clear();
                push_custom_fields(
                    &mut suffix,
                    &a.custom_annotations,
                    &t.variant_allele,
                    columns,
                );
                cached = Some(&t.variant_allele);
            }
            out.push_str(&suffix);
        }
    }
    for i in &a.intergenic_consequences {
        before_entry(out);
        push_escaped(out, &i.variant_allele);
        out.push('|');
        let mut terms = String::new();
        join_into(&mut terms, &i.consequence_terms);
        push_escaped(out, &terms);
        out.push('|');
        push_escaped(out, &i.impact);
        for _ in 3..CSQ_FIELDS.len() {
            out.push('|');
        }
        push_custom_fields(out, &a.custom_annotations, &i.variant_allele, columns);
    }
}

/// The CSQ entries of one annotated allele, each as its own string.
pub fn entries(a: &VariantAnnotation, columns: &CustomColumns) -> Vec<String> {
    let mut text = String::new();
    let mut starts = Vec::new();
    push_entries(&mut text, a, columns, &mut |out: &mut String| {
        starts.push(out.len())
    });
    starts.push(text.len());
    starts
        .windows(2)
        .map(|pair| text[pair[0]..pair[1]].to_owned())
        .collect()
}

#[cfg(test)]
mod tests;
