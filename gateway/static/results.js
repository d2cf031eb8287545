// The results a session has shown: one row per submitted variant, keyed by the analysis it
// belongs to and its input_index, so a replayed or repeated message never adds a second row.
import { consequenceRank, impactRank, worstTerm } from "./severity.js";

// Field names that carry computational predictions (SIFT, PolyPhen, AlphaMissense, CADD,
// REVEL, model outputs ...). Shown apart, with "computational prediction" wording.
const SCORE_KEY = /score|prediction|pathogenicity|phred|_pred$/i;

/** Orders transcripts the way a reader looks for them: MANE Select, canonical, coding, worst. */
export function orderTranscripts(list) {
  const rank = (t) => [
    t.mane_select ? 0 : 1,
    t.canonical === 1 ? 0 : 1,
    t.biotype === "protein_coding" ? 0 : 1,
    consequenceRank(worstTerm(t.consequence_terms)),
    String(t.transcript_id || ""),
  ];
  return [...(list || [])].sort((a, b) => compareTuples(rank(a), rank(b)));
}

export function compareTuples(a, b) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

/** Prediction fields of one object, flattening a nested `scores` object if there is one. */
export function scoresOf(obj) {
  const out = [];
  if (!obj || typeof obj !== "object") return out;
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === "object" && !Array.isArray(v) && SCORE_KEY.test(k)) {
      for (const [k2, v2] of Object.entries(v)) {
        if (v2 !== null && typeof v2 !== "object") out.push({ name: `${k}.${k2}`, value: v2 });
      }
    } else if (SCORE_KEY.test(k) && v !== null && typeof v !== "object") {
      out.push({ name: k, value: v });
    }
  }
  return out;
}

/** Chromosome order 1..22, X, Y, MT, then anything else by name. */
export function chromosomeKey(name) {
  const n = String(name || "").replace(/^chr/i, "");
  if (/^\d+$/.test(n)) return [0, Number(n), ""];
  const special = { X: 23, Y: 24, M: 25, MT: 25 }[n.toUpperCase()];
  return special ? [0, special, ""] : [1, 0, n];
}

function buildRow(analysis, inputIndex, annotation, error) {
  const transcripts = annotation ? orderTranscripts(annotation.transcript_consequences) : [];
  const intergenic = annotation ? annotation.intergenic_consequences || [] : [];
  const impacts = [...transcripts, ...intergenic].map((t) => t.impact);
  const impact = impacts.sort((a, b) => impactRank(a) - impactRank(b))[0] || "";
  const genes = [...new Set(transcripts.map((t) => t.gene_symbol || t.gene_id).filter(Boolean))];
  const primary = transcripts[0] || null;
  return {
    key: `${analysis.requestId}#${inputIndex}`,
    seq: analysis.seq,
    inputIndex,
    input: annotation ? annotation.input : error.input,
    annotation,
    error,
    transcripts,
    primary,
    consequence: annotation ? annotation.most_severe_consequence || "" : "",
    impact,
    genes,
    scores: annotation ? [...scoresOf(annotation), ...scoresOf(primary)] : [],
  };
}

export class ResultStore {
  constructor() {
    this.rows = new Map();
  }

  has(analysis, inputIndex) {
    return this.rows.has(`${analysis.requestId}#${inputIndex}`);
  }

  /** Adds a row unless one exists for this variant; returns true when added. */
  addAnnotation(analysis, annotation) {
    const index = Number(annotation.input_index);
    if (!Number.isInteger(index) || this.has(analysis, index)) return false;
    const row = buildRow(analysis, index, annotation, null);
    this.rows.set(row.key, row);
    return true;
  }

  /** A variant the annotator (or a failed chunk) could not annotate: kept as a row, never dropped. */
  addError(analysis, err) {
    const index = Number(err.input_index);
    if (!Number.isInteger(index) || this.has(analysis, index)) return false;
    const row = buildRow(analysis, index, null, {
      input: String(err.input ?? ""),
      code: String(err.code ?? "error"),
      message: String(err.message ?? ""),
    });
    this.rows.set(row.key, row);
    return true;
  }

  all() {
    return [...this.rows.values()];
  }

  get(key) {
    return this.rows.get(key);
  }
}
