// Scores the scoring stage attaches to a transcript consequence (issue #5): BLOSUM62 and
// Grantham for missense changes, Condel, and remote model outputs. They are computational
// predictions, never clinical classifications; an unavailable or inapplicable score says why
// instead of disappearing.

export const PREDICTION_WORDING = "Computational prediction, not a clinical classification.";

// A score is a bare number or an object such as { score, prediction, status, reason, ... }.
function describe(name, v) {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object") return { name, text: String(v), status: "ok" };
  const status = String(v.status ?? "ok");
  if (status === "unavailable") {
    // The function's reason may already begin with the words the page adds.
    const reason = String(v.reason ?? "").replace(/^score unavailable:?\s*/i, "");
    return { name, text: `score unavailable${reason ? `: ${reason}` : ""}`, status };
  }
  if (status === "not_applicable") {
    return { name, text: `not applicable${v.reason ? `: ${v.reason}` : ""}`, status };
  }
  const value = v.score ?? v.output ?? v.value;
  const parts = [];
  if (value !== undefined && value !== null) {
    parts.push(typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  if (v.prediction !== undefined && v.prediction !== null) parts.push(`(${v.prediction})`);
  const version = v.version ? ` [${v.model ? `${v.model} ` : ""}${v.version}]` : "";
  return { name, text: (parts.join(" ") || status) + version, status };
}

/** The scores of one transcript consequence, in a fixed order; [] when it has none. */
export function predictionsOf(t) {
  if (!t || typeof t !== "object") return [];
  const out = [
    describe("BLOSUM62", t.blosum62),
    describe("Grantham", t.grantham),
    describe("Condel", t.condel),
  ];
  for (const m of Array.isArray(t.ml_scores) ? t.ml_scores : []) {
    if (m && typeof m === "object") out.push(describe(String(m.model ?? "model"), m));
  }
  return out.filter(Boolean);
}

/** "BLOSUM62: 1; Grantham: 58; Condel: not applicable" for the table's Scores cell. */
export function formatPredictions(list) {
  // The table cell stays short: reasons are in the detail panel.
  return list
    .map((p) => `${p.name}: ${p.status === "ok" ? p.text : p.text.replace(/:.*$/, "")}`)
    .join("; ");
}
