//! VEP's tab-separated output: one row per allele x transcript (one per intergenic
//! consequence when no transcript is near), `Extra` as `KEY=VALUE;...`, and one row with
//! `ERROR=` for an input that could not be annotated, so every input is answered.
//!
//! **Formula safety** (OWASP "CSV injection"): the first column, `#Uploaded_variation`, holds
//! text the user chose (the VCF ID, or the input line of a failed variant). A spreadsheet
//! opening the file would run a cell that starts with `=`, `+`, `-` or `@` as a formula, so
//! such a cell gets a leading `'`, which spreadsheets read as "text follows". A cell that is
//! exactly `-` is VEP's placeholder for an empty field and stays as it is. The other columns
//! hold what the annotator computed (consequences, HGVS, `-` for a deleted allele).

use super::csq::{custom_extra, transcript_fields, CustomColumns};
use crate::annotation::VariantAnnotation;

pub const HEADER: &str = "#Uploaded_variation\tLocation\tAllele\tGene\tFeature\tFeature_type\tConsequence\tcDNA_position\tCDS_position\tProtein_position\tAmino_acids\tCodons\tExisting_variation\tExtra";

/// The CSQ fields with a column of their own (`Gene` .. `Existing_variation`, the header's
/// fourth to thirteenth); every other one goes to `Extra`.
fn own_column(name: &str) -> bool {
    HEADER.split('\t').skip(3).take(10).any(|c| c == name)
}

fn dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

/// Tabs and line breaks in values would break the row.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

/// The first column, made inert for spreadsheets (see the module's note).
fn push_uploaded(out: &mut String, cell: &str) {
    if cell != "-" && matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@')) {
        out.push('\'');
    }
    out.push_str(cell);
}

/// VEP's `Uploaded_variation`: the input's ID, else `21_25585733_C/T`.
fn uploaded(a: &VariantAnnotation) -> String {
    let name = match &a.id {
        Some(id) => id.clone(),
        None => format!("{}_{}_{}", a.seq_region_name, a.start, a.allele_string),
    };
    clean(&name)
}

fn location(a: &VariantAnnotation) -> String {
    if a.start == a.end {
        format!("{}:{}", a.seq_region_name, a.start)
    } else {
        format!("{}:{}-{}", a.seq_region_name, a.start, a.end)
    }
}

/// `;KEY=VALUE` for each custom column with a value (`Extra`, after VEP's own keys).
fn push_custom_extra(
    out: &mut String,
    a: &VariantAnnotation,
    allele: &str,
    columns: &CustomColumns,
) {
    for (key, value) in custom_extra(&a.custom_annotations, allele, columns) {
        out.push(';');
        out.push_str(&key);
        out.push('=');
        out.push_str(&clean(&value));
    }
}

/// Appends the rows of one annotated allele; `columns` are the custom sources' keys that
/// `Extra` may gain.
pub fn push_annotation(out: &mut String, a: &VariantAnnotation, columns: &CustomColumns) {
    let id = uploaded(a);
    let loc = location(a);
    let row_start = |out: &mut String| {
        push_uploaded(out, &id);
        out.push('\t');
        out.push_str(&loc);
        out.push('\t');
    };
    for t in &a.transcript_consequences {
        let fields = transcript_fields(t);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| clean(v))
                .unwrap_or_default()
        };
        row_start(out);
        out.push_str(dash(&clean(&t.variant_allele)));
        for column in HEADER.split('\t').skip(3).take(10) {
            let value = match column {
                // The tab format lists consequences with commas, CSQ with '&'.
                "Consequence" => t.consequence_terms.join(","),
                c => get(c),
            };
            out.push('\t');
            out.push_str(dash(&clean(&value)));
        }
        let extra: Vec<String> = fields
            .iter()
            .filter(|(k, v)| !own_column(k) && !v.is_empty())
            .map(|(k, v)| format!("{k}={}", clean(v)))
            .collect();
        out.push('\t');
        let mut extra = extra.join(";");
        push_custom_extra(&mut extra, a, &t.variant_allele, columns);
        out.push_str(dash(extra.trim_start_matches(';')));
        out.push('\n');
    }
    for i in &a.intergenic_consequences {
        row_start(out);
        out.push_str(dash(&clean(&i.variant_allele)));
        out.push_str("\t-\t-\t-\t");
        out.push_str(&clean(&i.consequence_terms.join(",")));
        out.push_str("\t-\t-\t-\t-\t-\t-\tIMPACT=");
        out.push_str(&clean(&i.impact));
        push_custom_extra(out, a, &i.variant_allele, columns);
        out.push('\n');
    }
    if a.transcript_consequences.is_empty() && a.intergenic_consequences.is_empty() {
        // An Ensembl answer with only regulatory consequences: still one row.
        row_start(out);
        out.push_str("-\t-\t-\t-\t");
        out.push_str(dash(&clean(&a.most_severe_consequence)));
        out.push_str("\t-\t-\t-\t-\t-\t-\t-\n");
    }
}

/// Appends the row of an ALT of the VCF record `line` that failed while others were
/// annotated: named like VEP names a variant (the record's ID, else `CHROM_POS_REF/ALT`
/// with that ALT), `ERROR=ALT: code: message`.
pub fn push_allele_error(out: &mut String, line: &str, allele: &str, code: &str, message: &str) {
    let cols: Vec<&str> = line
        .split(['\t', ' '])
        .filter(|c| !c.is_empty())
        .take(4)
        .collect();
    let uploaded = match cols.get(2) {
        Some(id) if *id != "." => (*id).to_owned(),
        _ => format!(
            "{}_{}_{}/{allele}",
            cols.first().unwrap_or(&"-"),
            cols.get(1).unwrap_or(&"-"),
            cols.get(3).unwrap_or(&"-")
        ),
    };
    push_error(out, &uploaded, &format!("{allele}: {code}: {message}"));
}

/// Appends the row of an input that could not be annotated: `uploaded` names it (the input
/// line, or its ID), `error` says why.
pub fn push_error(out: &mut String, uploaded: &str, error: &str) {
    push_uploaded(out, &clean(uploaded));
    out.push_str("\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tERROR=");
    out.push_str(&clean(error));
    out.push('\n');
}

#[cfg(test)]
mod tests;
