// Downloads of the shown results: TSV (one line per variant and transcript), JSON (the
// Ensembl VEP REST shape: an array of variant objects, as the annotator sent them) and VCF
// with a VEP-style CSQ INFO field. Built from the rows in memory; nothing is re-derived
// from a guess: a variant a format cannot represent is counted and reported instead.
import { vcfColumns } from "./input.js";
import { chromosomeKey, compareTuples, scoresOf } from "./results.js";
import { predictionsOf } from "./predictions.js";
import { customColumnNames, customColumns, customValues } from "./custom.js";

const TSV_COLUMNS = [
  "analysis", "input_index", "input", "chromosome", "start", "end", "allele_string", "assembly",
  "most_severe_consequence", "impact", "gene_symbol", "gene_id", "transcript_id", "shown_first",
  "mane_select", "canonical", "biotype", "consequence_terms", "hgvsc", "hgvsp", "scores", "error",
];

const CSQ_FIELDS = [
  "Allele", "Consequence", "IMPACT", "SYMBOL", "Gene", "Feature_type", "Feature", "BIOTYPE",
  "EXON", "INTRON", "HGVSc", "HGVSp", "cDNA_position", "CDS_position", "Protein_position",
  "Amino_acids", "Codons", "DISTANCE", "STRAND", "FLAGS", "CANONICAL", "MANE_SELECT",
];

function tsvCell(v) {
  // TSV has no quoting: tabs and line breaks inside a value become spaces.
  return v === undefined || v === null ? "" : String(v).replace(/[\t\r\n]+/g, " ");
}

function scoresText(t) {
  return [
    ...scoresOf(t).map((s) => `${s.name}=${s.value}`),
    ...predictionsOf(t).map((p) => `${p.name}=${p.text}`),
  ].join(";");
}

export function toTsv(rows) {
  // Custom sources' columns (ClinVar, gnomAD...), as the rows have them; lists joined with ",".
  const custom = customColumns(rows);
  const lines = [[...TSV_COLUMNS, ...customColumnNames(custom)].join("\t")];
  for (const r of rows) {
    const a = r.annotation || {};
    const base = {
      analysis: r.seq,
      input_index: r.inputIndex,
      input: r.input,
      chromosome: a.seq_region_name,
      start: a.start,
      end: a.end,
      allele_string: a.allele_string,
      assembly: a.assembly_name,
      most_severe_consequence: a.most_severe_consequence,
    };
    const consequences = r.transcripts.length
      ? r.transcripts
      : a.intergenic_consequences && a.intergenic_consequences.length
        ? a.intergenic_consequences
        : [null];
    consequences.forEach((t, i) => {
      const line = {
        ...base,
        impact: t ? t.impact : "",
        gene_symbol: t && t.gene_symbol,
        gene_id: t && t.gene_id,
        transcript_id: t && t.transcript_id,
        shown_first: t && t.transcript_id ? (i === 0 ? "yes" : "no") : "",
        mane_select: t && t.mane_select,
        canonical: t && t.canonical === 1 ? "yes" : "",
        biotype: t && t.biotype,
        consequence_terms: t ? (t.consequence_terms || []).join(",") : "",
        hgvsc: t && t.hgvsc,
        hgvsp: t && t.hgvsp,
        scores: scoresText(t),
        error: r.error ? `${r.error.code}: ${r.error.message}` : "",
      };
      const known = customValues(r.annotation, t ? t.variant_allele : undefined, custom);
      lines.push([...TSV_COLUMNS.map((c) => tsvCell(line[c])), ...known.map((v) => tsvCell(v.join(",")))].join("\t"));
    });
  }
  return lines.join("\n") + "\n";
}

/** The annotator's objects as received, in the shown order; variants with errors are not VEP output. */
export function toJson(rows) {
  const annotations = rows.filter((r) => r.annotation).map((r) => r.annotation);
  return JSON.stringify(annotations, null, 2) + "\n";
}

// VCF INFO values may not contain these; VEP writes them percent-encoded.
function csqValue(v) {
  if (v === undefined || v === null) return "";
  return String(v).replace(/[%|,;=\s]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

function range(start, end) {
  if (start === undefined || start === null) return "";
  return end !== undefined && end !== null && end !== start ? `${start}-${end}` : String(start);
}

function csqEntry(t, known = []) {
  const values = [
    t.variant_allele,
    (t.consequence_terms || []).join("&"),
    t.impact,
    t.gene_symbol,
    t.gene_id,
    t.transcript_id ? "Transcript" : "",
    t.transcript_id,
    t.biotype,
    t.exon,
    t.intron,
    t.hgvsc,
    t.hgvsp,
    range(t.cdna_start, t.cdna_end),
    range(t.cds_start, t.cds_end),
    range(t.protein_start, t.protein_end),
    t.amino_acids,
    t.codons,
    t.distance,
    t.strand,
    (t.flags || []).join("&"),
    t.canonical === 1 ? "YES" : "",
    t.mane_select,
  ];
  // Custom source fields, each list joined with "&" as VEP joins them.
  return [...values.map(csqValue), ...known.map((list) => list.map(csqValue).join("&"))].join("|");
}

/**
 * The VCF record fields of a row: from the submitted VCF line itself, or, for an HGVS input,
 * from the annotation when it is a substitution (an indel would need the reference base
 * before it, which the annotation does not carry). Returns null when it cannot be written.
 */
export function vcfFields(row) {
  const a = row.annotation;
  if (!a) return null;
  // A variant called from a sequence is written as its normalised call, not the sequence.
  const columns = vcfColumns(row.calledVariant || row.input);
  if (columns) return columns;
  const alleles = String(a.allele_string || "").split("/");
  const [ref, alt] = alleles;
  if (alleles.length === 2 && /^[ACGTN]+$/i.test(ref) && /^[ACGTN]+$/i.test(alt) && ref.length === alt.length) {
    return { chrom: a.seq_region_name, pos: Number(a.start), id: a.id || ".", ref, alt };
  }
  return null;
}

/** Returns { text, skipped }: skipped counts variants the VCF could not hold (errors, HGVS indels). */
export function toVcf(rows) {
  const records = [];
  let skipped = 0;
  const custom = customColumns(rows);
  for (const r of rows) {
    const f = vcfFields(r);
    if (!f) {
      skipped += 1;
      continue;
    }
    const consequences = [...r.transcripts, ...(r.annotation.intergenic_consequences || [])];
    const entry = (t) => csqEntry(t, customValues(r.annotation, t.variant_allele, custom));
    const info = consequences.length ? "CSQ=" + consequences.map(entry).join(",") : ".";
    records.push({ f, line: [f.chrom, f.pos, f.id, f.ref, f.alt, ".", ".", info].join("\t") });
  }
  records.sort((x, y) =>
    compareTuples([...chromosomeKey(x.f.chrom), x.f.pos], [...chromosomeKey(y.f.chrom), y.f.pos]),
  );
  const assembly = rows.find((r) => r.annotation && r.annotation.assembly_name);
  const header = [
    "##fileformat=VCFv4.2",
    "##source=variant-annotation web UI",
    assembly ? `##reference=${assembly.annotation.assembly_name}` : null,
    `##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from the variant annotation service. Format: ${[...CSQ_FIELDS, ...customColumnNames(custom)].join("|")}">`,
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
  ].filter(Boolean);
  return { text: [...header, ...records.map((r) => r.line)].join("\n") + "\n", skipped };
}

/** Saves text as a file through a temporary object URL (no server round trip). */
export function download(filename, mime, text) {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
