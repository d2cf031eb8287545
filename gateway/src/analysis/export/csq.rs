//! VEP's CSQ and tab layouts for Ensembl VEP REST JSON annotations: the field order and
//! header of `vep-function annotate --format vcf|tsv`, built here from the JSON the function
//! sends (the gateway does not link the engine).

use serde_json::Value;

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

pub const VCF_COLUMNS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO";

pub const TSV_HEADER: &str = "#Uploaded_variation\tLocation\tAllele\tGene\tFeature\tFeature_type\tConsequence\tcDNA_position\tCDS_position\tProtein_position\tAmino_acids\tCodons\tExisting_variation\tExtra";

pub fn info_header_lines() -> [String; 2] {
    [
        format!(
            "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: {}\">",
            CSQ_FIELDS.join("|")
        ),
        "##INFO=<ID=VEP_ERROR,Number=1,Type=String,Description=\"Why vep-function could not annotate this record\">".to_owned(),
    ]
}

/// Percent-encodes what would break the INFO/CSQ syntax (VCF 4.3 style).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, ',' | ';' | '=' | '|' | '%' | ' ' | '\t' | '\n' | '\r') {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("&"),
        _ => String::new(),
    }
}

/// VEP's position notation: `12`, `12-13`, or `?-13` when one end is unknown.
fn position(t: &Value, what: &str) -> String {
    let start = t.get(format!("{what}_start")).and_then(Value::as_u64);
    let end = t.get(format!("{what}_end")).and_then(Value::as_u64);
    match (start, end) {
        (Some(s), Some(e)) if s == e => s.to_string(),
        (Some(s), Some(e)) => format!("{s}-{e}"),
        (Some(s), None) => format!("{s}-?"),
        (None, Some(e)) => format!("?-{e}"),
        (None, None) => String::new(),
    }
}

fn transcript_fields(t: &Value) -> [String; 25] {
    let f = |k: &str| text(&t[k]);
    [
        f("variant_allele"),
        f("consequence_terms"),
        f("impact"),
        f("gene_symbol"),
        f("gene_id"),
        "Transcript".to_owned(),
        f("transcript_id"),
        f("biotype"),
        f("exon"),
        f("intron"),
        f("hgvsc"),
        f("hgvsp"),
        position(t, "cdna"),
        position(t, "cds"),
        position(t, "protein"),
        f("amino_acids"),
        f("codons"),
        String::new(),
        f("distance"),
        f("strand"),
        f("flags"),
        f("gene_symbol_source"),
        f("hgnc_id"),
        if t["canonical"].as_u64() == Some(1) {
            "YES".to_owned()
        } else {
            String::new()
        },
        f("mane_select"),
    ]
}

/// The CSQ entries of one annotation (one per transcript consequence, or intergenic ones).
pub fn entries(a: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for t in a["transcript_consequences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let fields: Vec<String> = transcript_fields(t).iter().map(|v| escape(v)).collect();
        out.push(fields.join("|"));
    }
    for i in a["intergenic_consequences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut fields = vec![
            escape(&text(&i["variant_allele"])),
            escape(&text(&i["consequence_terms"])),
            escape(&text(&i["impact"])),
        ];
        fields.resize(CSQ_FIELDS.len(), String::new());
        out.push(fields.join("|"));
    }
    out
}

/// `#Uploaded_variation` of an annotation: its ID, else `chrom_pos_ref/alt`.
fn uploaded_name(a: &Value) -> String {
    match a["id"].as_str() {
        Some(id) if !id.is_empty() && id != "." => id.to_owned(),
        _ => format!(
            "{}_{}_{}",
            text(&a["seq_region_name"]),
            text(&a["start"]),
            text(&a["allele_string"])
        ),
    }
}

/// `#Uploaded_variation` of a record that has no annotation.
pub fn uploaded_name_of_line(line: &str) -> String {
    let cols: Vec<&str> = line.splitn(6, '\t').collect();
    match cols.get(2) {
        Some(id) if !id.is_empty() && *id != "." => (*id).to_owned(),
        _ => format!(
            "{}_{}_{}/{}",
            cols.first().unwrap_or(&"-"),
            cols.get(1).unwrap_or(&"-"),
            cols.get(3).unwrap_or(&"-"),
            cols.get(4).unwrap_or(&"-")
        ),
    }
}

fn dash(s: String) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        s
    }
}

/// The tab-format rows of one annotation: one per transcript consequence.
pub fn tsv_rows(a: &Value) -> Vec<String> {
    let name = uploaded_name(a);
    let start = text(&a["start"]);
    let end = text(&a["end"]);
    let location = if start == end || end.is_empty() {
        format!("{}:{start}", text(&a["seq_region_name"]))
    } else {
        format!("{}:{start}-{end}", text(&a["seq_region_name"]))
    };
    let mut rows = Vec::new();
    for t in a["transcript_consequences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let f = transcript_fields(t);
        let mut extra = Vec::new();
        for (i, key) in [
            (2, "IMPACT"),
            (3, "SYMBOL"),
            (7, "BIOTYPE"),
            (8, "EXON"),
            (9, "INTRON"),
            (10, "HGVSc"),
            (11, "HGVSp"),
            (18, "DISTANCE"),
            (19, "STRAND"),
        ] {
            if !f[i].is_empty() {
                extra.push(format!("{key}={}", f[i]));
            }
        }
        rows.push(format!(
            "{name}\t{location}\t{}\t{}\t{}\tTranscript\t{}\t{}\t{}\t{}\t{}\t{}\t-\t{}",
            dash(f[0].clone()),
            dash(f[4].clone()),
            dash(f[6].clone()),
            dash(text(&t["consequence_terms"]).replace('&', ",")),
            dash(f[12].clone()),
            dash(f[13].clone()),
            dash(f[14].clone()),
            dash(f[15].clone()),
            dash(f[16].clone()),
            dash(extra.join(";")),
        ));
    }
    for i in a["intergenic_consequences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        rows.push(format!(
            "{name}\t{location}\t{}\t-\t-\t-\t{}\t-\t-\t-\t-\t-\t-\tIMPACT={}",
            dash(text(&i["variant_allele"])),
            dash(text(&i["consequence_terms"]).replace('&', ",")),
            text(&i["impact"]),
        ));
    }
    if rows.is_empty() {
        rows.push(format!(
            "{name}\t{location}\t-\t-\t-\t-\t{}\t-\t-\t-\t-\t-\t-\t-",
            dash(text(&a["most_severe_consequence"]))
        ));
    }
    rows
}
