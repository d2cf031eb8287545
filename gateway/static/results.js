// The results a session has shown: one row per submitted variant, keyed by the analysis it
// belongs to and its input_index, so a replayed or repeated message never adds a second row.
import { consequenceRank, impactRank, worstTerm } from "./severity.js";
import { predictionsOf } from "./predictions.js";
import { clinvarOf, frequencyOf } from "./custom.js";

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
  // A variant called from a submitted sequence shares the sequence's input_index with the
  // other variants called from it: its own VCF line tells them apart.
  const called = annotation && annotation.called_from_sequence ? annotation.called_from_sequence : null;
  const calledVariant = called && called.variant ? String(called.variant) : null;
  // Scores of the shown transcript, else of the first transcript that has any (so a missense
  // in a non-first transcript still shows them, named with that transcript).
  const scored = primary && predictionsOf(primary).length ? primary : transcripts.find((t) => predictionsOf(t).length);
  return {
    key: `${analysis.requestId}#${inputIndex}${calledVariant ? `#${calledVariant}` : ""}`,
    label: calledVariant || (annotation ? annotation.input : error.input),
    called,
    calledVariant,
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
    predictions: scored ? predictionsOf(scored) : [],
    predictionsFrom: scored && scored !== primary ? scored.transcript_id : null,
    // Known variants (custom sources): ClinVar's classification, a population frequency.
    clinvar: clinvarOf(annotation),
    frequency: frequencyOf(annotation),
  };
}

export class ResultStore {
  constructor() {
    this.rows = new Map();
    // "requestId#inputIndex" of every submitted entry that has at least one row.
    this.answered = new Set();
  }

  has(analysis, inputIndex) {
    return this.answered.has(`${analysis.requestId}#${inputIndex}`);
  }

  /**
   * Adds a row unless one exists for this variant; returns true when this is the first row of
   * its submitted entry (a sequence entry may give several rows but counts once as done).
   */
  addAnnotation(analysis, annotation) {
    const index = Number(annotation.input_index);
    if (!Number.isInteger(index)) return false;
    const row = buildRow(analysis, index, annotation, null);
    if (this.rows.has(row.key)) return false;
    const first = !this.has(analysis, index);
    this.rows.set(row.key, row);
    this.answered.add(`${analysis.requestId}#${index}`);
    return first;
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
    this.answered.add(`${analysis.requestId}#${index}`);
    return true;
  }

  all() {
    return [...this.rows.values()];
  }

  get(key) {
    return this.rows.get(key);
  }
}
