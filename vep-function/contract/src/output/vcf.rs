//! VCF records with VEP's `CSQ` INFO field: the input record passed through, its INFO
//! gaining `CSQ=` (one entry per allele x transcript) or `VEP_ERROR=` (why it could not be
//! annotated), and the header lines that declare both (and, as VEP writes them, one `##INFO`
//! line per custom source column, `OutputFactory::VCF::headers`).

use super::csq::{push_entries, push_escaped, separator, CustomColumns, CSQ_FIELDS};
use crate::annotation::VariantAnnotation;

/// The column header line of a VCF without one.
pub const COLUMNS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";

/// `##INFO` lines declaring `CSQ` (its format ending with the custom columns), the custom
/// columns and `VEP_ERROR`, written right before `#CHROM`.
pub fn info_header_lines(columns: &CustomColumns) -> Vec<String> {
    let custom = columns.names();
    let mut format = CSQ_FIELDS.join("|");
    for (name, _) in &custom {
        format.push('|');
        format.push_str(name);
    }
    let mut lines = vec![format!(
        "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: {format}\">"
    )];
    lines.extend(custom.iter().map(|(name, description)| {
        format!("##INFO=<ID={name},Number=.,Type=String,Description=\"{description}\">")
    }));
    lines.push("##INFO=<ID=VEP_ERROR,Number=1,Type=String,Description=\"Why vep-function could not annotate this record\">".to_owned());
    lines
}

/// `code: message`: how an error reads in `VEP_ERROR` (and TSV's `ERROR=`).
pub fn error_text(code: &str, message: &str) -> String {
    format!("{code}: {message}")
}

/// The `VEP_ERROR` of a record some of whose ALTs were annotated (issue #17.6): each failed
/// ALT as `ALT: code: message`, joined by `; `; `None` when no ALT failed. The CLI and the
/// downloads both write it from here.
pub fn allele_errors_text<'a>(
    errors: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Option<String> {
    let texts: Vec<String> = errors
        .into_iter()
        .map(|(allele, code, message)| format!("{allele}: {}", error_text(code, message)))
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

/// Byte range of the 8th tab-separated column (INFO), when the line has at least 8.
fn info_column(line: &str) -> Option<(usize, usize)> {
    let mut tabs = line
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\t')
        .map(|(i, _)| i);
    let from = tabs.nth(6)? + 1;
    let to = tabs.next().unwrap_or(line.len());
    Some((from, to))
}

/// Appends the input record `line` with the CSQ of `annotations` (all alleles of the record)
/// or with `error`, and a line break. A tab-separated record keeps every column as it came;
/// a space-separated or short one is re-split and padded to eight columns.
pub fn push_record<'a>(
    out: &mut String,
    line: &str,
    annotations: impl IntoIterator<Item = &'a VariantAnnotation>,
    columns: &CustomColumns,
    error: Option<&str>,
) {
    match info_column(line) {
        Some((from, to)) => {
            out.push_str(&line[..from]);
            push_info(out, &line[from..to], annotations, columns, error);
            out.push_str(&line[to..]);
        }
        None => {
            let mut cols: Vec<&str> = line.split_whitespace().collect();
            cols.resize(cols.len().max(8), ".");
            for col in &cols[..7] {
                out.push_str(col);
                out.push('\t');
            }
            push_info(out, cols[7], annotations, columns, error);
            for col in &cols[8..] {
                out.push('\t');
                out.push_str(col);
            }
        }
    }
    out.push('\n');
}

/// The INFO column: `existing` (unless `.`), `CSQ=...` and `VEP_ERROR=...`, `;`-separated,
/// or `.` when all are absent.
pub fn push_info<'a>(
    out: &mut String,
    existing: &str,
    annotations: impl IntoIterator<Item = &'a VariantAnnotation>,
    columns: &CustomColumns,
    error: Option<&str>,
) {
    let begin = out.len();
    if existing != "." && !existing.is_empty() {
        out.push_str(existing);
    }
    let mut before_entry = separator(begin);
    for a in annotations {
        push_entries(out, a, columns, &mut before_entry);
    }
    if let Some(error) = error {
        if out.len() > begin {
            out.push(';');
        }
        out.push_str("VEP_ERROR=");
        push_escaped(out, error);
    }
    if out.len() == begin {
        out.push('.');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::tests::engine_like;

    #[test]
    fn info_gains_csq_after_what_it_held() {
        let a = engine_like();
        let mut out = String::new();
        push_record(
            &mut out,
            "21\t25585733\trs1\tC\tT\t.\t.\tDP=3\tGT\t0|1",
            [&a],
            &CustomColumns::default(),
            None,
        );
        let info = out.split('\t').nth(7).unwrap();
        assert!(info.starts_with("DP=3;CSQ=T|upstream_gene_variant|MODIFIER|AP000223.42|"));
        assert_eq!(info.matches(",T|").count(), 1, "two entries: {info}");
        assert!(out.ends_with("\tGT\t0|1\n"));
    }

    #[test]
    fn short_or_space_separated_records_are_padded_and_errors_escaped() {
        let mut out = String::new();
        push_record(
            &mut out,
            "21 25585733 x C",
            [],
            &CustomColumns::default(),
            Some("bad: a;b"),
        );
        assert_eq!(out, "21\t25585733\tx\tC\t.\t.\t.\tVEP_ERROR=bad:%20a%3Bb\n");
        out.clear();
        push_record(
            &mut out,
            "21\t1\t.\tC\tT\t.\t.\t.",
            [],
            &CustomColumns::default(),
            None,
        );
        assert_eq!(out, "21\t1\t.\tC\tT\t.\t.\t.\n");
    }

    #[test]
    fn a_record_with_a_failed_alt_keeps_the_csq_of_the_others_and_names_the_failed_one() {
        let a = engine_like();
        let error = allele_errors_text([("<script>", "unsupported_allele", "symbolic; no")]);
        let mut out = String::new();
        push_record(
            &mut out,
            "21\t25585733\t.\tC\tT,<script>\t.\t.\t.",
            [&a],
            &CustomColumns::default(),
            error.as_deref(),
        );
        let info = out.trim_end().split('\t').nth(7).unwrap();
        assert!(info.starts_with("CSQ=T|"), "{info}");
        assert!(
            info.ends_with(";VEP_ERROR=<script>:%20unsupported_allele:%20symbolic%3B%20no"),
            "{info}"
        );
        assert_eq!(allele_errors_text([]), None);
    }

    #[test]
    fn header_declares_every_csq_field_in_order() {
        let lines = info_header_lines(&CustomColumns::default());
        let [csq, error] = &lines[..] else {
            panic!("{lines:?}")
        };
        assert!(csq.contains("Format: Allele|Consequence|IMPACT|SYMBOL|Gene|"));
        assert!(csq.ends_with("|CANONICAL|MANE_SELECT\">"));
        assert!(error.starts_with("##INFO=<ID=VEP_ERROR,"));
    }

    #[test]
    fn custom_columns_end_the_csq_format_and_get_vep_s_info_lines() {
        let spec: crate::custom::SourceSpec =
            "file=/data/clinvar.vcf.gz,short_name=ClinVar,format=vcf,type=exact,fields=CLNSIG"
                .parse()
                .unwrap();
        let lines = info_header_lines(&CustomColumns::from_specs(&[spec]));
        assert!(
            lines[0].ends_with("|MANE_SELECT|ClinVar|ClinVar_CLNSIG\">"),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines[1],
            "##INFO=<ID=ClinVar,Number=.,Type=String,Description=\"clinvar.vcf.gz (exact)\">"
        );
        assert_eq!(
            lines[2],
            "##INFO=<ID=ClinVar_CLNSIG,Number=.,Type=String,Description=\"CLNSIG field from clinvar.vcf.gz\">"
        );
        assert!(lines[3].starts_with("##INFO=<ID=VEP_ERROR,"));
    }
}
