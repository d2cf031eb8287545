// Known variants: what the function's custom sources (ClinVar, gnomAD, dbSNP VCFs, configured
// with VEP_CUSTOM) say about a variant, from an annotation's `custom_annotations` in VEP's
// shape: { <short_name>: [{ name, allele?, fields? }] }. ClinVar is the source whose records
// carry CLNSIG (ClinVar's key), the frequency the first `AF` (gnomAD's key), whatever the
// sources are named. ClinVar significance is a clinical classification from ClinVar, shown as
// ClinVar wrote it; it is not the annotator's judgement.

/** [shortName, records] of an annotation's sources, the records that match `allele` when
 * given (a record without an allele was matched by position and goes with every allele). */
export function customSources(annotation, allele) {
  const custom = annotation && annotation.custom_annotations;
  if (!custom || typeof custom !== "object" || Array.isArray(custom)) return [];
  return Object.entries(custom)
    .filter(([, records]) => Array.isArray(records))
    .map(([name, records]) => [
      name,
      records.filter(
        (r) => r && typeof r === "object" && (allele === undefined || r.allele === undefined || String(r.allele) === allele),
      ),
    ])
    .filter(([, records]) => records.length);
}

function fieldValues(records, key) {
  return records
    .map((r) => (r.fields && typeof r.fields === "object" ? r.fields[key] : undefined))
    .filter((v) => v !== undefined && v !== null && v !== "");
}

/** { source, significance: [...], names: [...] } from the first source with a CLNSIG, or null. */
export function clinvarOf(annotation) {
  for (const [source, records] of customSources(annotation)) {
    const significance = [...new Set(fieldValues(records, "CLNSIG").map(String))];
    if (significance.length) return { source, significance, names: records.map((r) => String(r.name)) };
  }
  return null;
}

/** ClinVar's words, readable: `Likely_pathogenic|risk_factor` -> `Likely pathogenic | risk factor`. */
export function readableSignificance(value) {
  return String(value).replaceAll("_", " ").replace(/\s*\|\s*/g, " | ").replace(/\s*\/\s*/g, " / ").trim();
}

/**
 * Pathogenic or likely pathogenic in ClinVar: one of the CLNSIG terms (ClinVar separates them
 * with `/`, `|` and `,`) is `Pathogenic` or `Likely_pathogenic` (also as in
 * `Pathogenic/Likely_pathogenic`; not `Conflicting_classifications_of_pathogenicity`).
 */
export function isPathogenic(clinvar) {
  if (!clinvar) return false;
  return clinvar.significance.some((v) =>
    String(v)
      .split(/[/|,]/)
      .map((t) => t.replace(/^_+/, "").toLowerCase())
      .some((t) => t === "pathogenic" || t === "likely_pathogenic"),
  );
}

/** { source, af } from the first source with a numeric AF (the highest of its records), or null. */
export function frequencyOf(annotation) {
  for (const [source, records] of customSources(annotation)) {
    const values = fieldValues(records, "AF").map(Number).filter((n) => Number.isFinite(n));
    if (values.length) return { source, af: Math.max(...values) };
  }
  return null;
}

/** An allele frequency as people read them: 0.5481, 0.0012, 3.1e-6. */
export function formatFrequency(af) {
  if (af === 0) return "0";
  if (af < 0.0001) return af.toExponential(1).replace("e-", "e−");
  return String(Number(af.toPrecision(3)));
}

/** The frequency filter: `rare` = a known AF below 0.01; `rare-or-absent` also counts a
 * variant no frequency source holds. */
export function passesFrequency(row, filter) {
  if (!filter) return true;
  if (!row.annotation) return false;
  if (!row.frequency) return filter === "rare-or-absent";
  return row.frequency.af < 0.01;
}

/** The custom columns of a set of rows, sources and their fields in the order first seen
 * (FILTER, which VEP adds to every record, left out): [{ source, fields }]. */
export function customColumns(rows) {
  const columns = new Map();
  for (const r of rows) {
    for (const [source, records] of customSources(r.annotation)) {
      if (!columns.has(source)) columns.set(source, new Set());
      for (const record of records) {
        for (const key of Object.keys(record.fields || {})) if (key !== "FILTER") columns.get(source).add(key);
      }
    }
  }
  return [...columns].map(([source, fields]) => ({ source, fields: [...fields] }));
}

/** Column names: `ClinVar`, `ClinVar_CLNSIG`, ... */
export function customColumnNames(columns) {
  return columns.flatMap((c) => [c.source, ...c.fields.map((f) => `${c.source}_${f}`)]);
}

/** The values of those columns for one allele of an annotation, each a list of the matched
 * records' values (names first), as VEP lists them. */
export function customValues(annotation, allele, columns) {
  const sources = new Map(customSources(annotation, allele));
  return columns.flatMap((c) => {
    const records = sources.get(c.source) || [];
    return [records.map((r) => String(r.name)), ...c.fields.map((f) => fieldValues(records, f).map(String))];
  });
}
