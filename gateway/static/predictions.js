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
  // A model output is named by its tensor (e.g. predict_proba), so the reader knows what it is.
  const named = v.score == null && v.output != null && v.output_name ? `${v.output_name} ` : "";
  const parts = [];
  const shown = [];
  if (value !== undefined && value !== null) {
    const exact = typeof value === "object" ? JSON.stringify(value) : String(value);
    parts.push(named + exact);
    shown.push(named + (value === v.output ? rounded(value) : exact));
  }
  if (v.prediction !== undefined && v.prediction !== null) {
    parts.push(`(${v.prediction})`);
    shown.push(`(${v.prediction})`);
  }
  const version = v.version ? ` [${v.model ? `${v.model} ` : ""}${v.version}]` : "";
  // `text` is exact (downloads, tooltips); `display` is what the table and panel print.
  return { name, text: (parts.join(" ") || status) + version, display: (shown.join(" ") || status) + version, status };
}

// Model outputs arrive at full float precision (0.9999999999431056): three significant digits
// read better on screen; the exact values stay in `text`.
function rounded(o) {
  if (typeof o === "number") return Number.isFinite(o) ? o.toPrecision(3) : String(o);
  if (Array.isArray(o)) return `[${o.map(rounded).join(", ")}]`;
  return JSON.stringify(o);
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
    .map((p) => `${p.name}: ${p.status === "ok" ? (p.display ?? p.text) : p.text.replace(/:.*$/, "")}`)
    .join("; ");
}
