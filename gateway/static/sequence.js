// DNA sequence input (issue #10): a pasted sequence or FASTA record goes to the function as
// ONE variants entry, "seq:HINT:<text>" or "seq:<text>", and each variant called from it comes
// back with a called_from_sequence summary and an alignment excerpt.
import { el } from "./dom.js";

// 300 bp of the bundled GRCh38 reference, chr17:43093300-43093599 (inside BRCA1's coding
// sequence), with one edit: C>T at 17:43093450. The function calls it as 17 43093450 . C T,
// NM_007294.4:c.2081G>A, p.Ser694Asn (checked by tests/browser/specs/sequence-scores.test.js).
export const SEQUENCE_EXAMPLE = {
  hint: "BRCA1",
  text: [">BRCA1 chr17:43093300-43093599 with C>T at 43093450", ...lines("GCATTATTAGACACTTTAACTGTTTCTAGTTTCTCTTCTTTTTCTTCTCTTGGAAGGCTAGGATTGACAAATTCTTTAAGTTCACTGGTATTTGAACACTTAGTAAAAGAACCAGGTGCATTTGTTAACTTCAGCTCTGGGAAAGTATCGTTGTCATGTCTTTTACTTGTCTGTTCATTTGGCTTGTTACTCTTCTTGGCTCCAGTTGCAGGTTCTTTACCTTCCATGAGTTGTAGGTTTCTGCTGTGCCTGACTGGCATTTGGTTGTACTTTTTTTTCTTTATCTCTTCACTGCTAGAA", 60)].join("\n"),
};

function lines(s, width) {
  const out = [];
  for (let i = 0; i < s.length; i += width) out.push(s.slice(i, i + width));
  return out;
}

const HINT = /^[A-Za-z0-9._-]+$|^[A-Za-z0-9]+:\d+-\d+$/;

/**
 * The entry to send for a sequence and an optional hint. Returns { variant } or { problem }.
 * Line breaks stay inside the one entry: the function reads FASTA and wrapped sequence itself.
 */
export function sequenceEntry(text, hint, maxChars) {
  const body = String(text).trim();
  const h = String(hint || "").trim();
  if (body === "") return { problem: "Paste a DNA sequence or one FASTA record." };
  if ((body.match(/^>/gm) || []).length > 1) {
    return { problem: "Paste one FASTA record at a time; this text holds several." };
  }
  if (h !== "" && !HINT.test(h)) {
    return { problem: "The hint is a gene symbol (BRCA1), a transcript id or a region such as 17:43044295-43125364." };
  }
  const variant = h ? `seq:${h}:${body}` : `seq:${body}`;
  if (variant.length > maxChars) {
    return { problem: `The sequence entry is ${variant.length} characters; one entry may carry at most ${maxChars}.` };
  }
  return { variant };
}

/** Identity, strand, covered range and CIGAR of the alignment a variant was called from. */
export function sequenceSummary(c) {
  const identity = typeof c.identity === "number" ? `${(c.identity * 100).toFixed(2)} %` : String(c.identity ?? "");
  const fields = [
    ["Called variant", c.variant],
    ["Identity", identity],
    ["Strand", c.strand === -1 ? "minus (reverse complement)" : c.strand === 1 ? "plus" : c.strand],
    ["Covered", c.covered],
    ["CIGAR", c.cigar],
    ["Sequence length", c.query_length],
    ["Placed by", c.placed_by],
    ["Masked columns", c.masked_columns],
    ["Genotype", c.genotype],
  ].filter(([, v]) => v !== undefined && v !== null);
  return el("dl", { class: "fields sequence-summary" }, fields.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
}

/**
 * Reference over sequence, one column per base; runs of differing columns are wrapped in
 * spans with class "diff" (text nodes only).
 */
export function alignmentExcerpt(excerptObj) {
  const ref = String(excerptObj?.reference ?? "");
  const seq = String(excerptObj?.sequence ?? "");
  const n = Math.max(ref.length, seq.length);
  const diff = [];
  for (let i = 0; i < n; i++) diff.push(ref[i] !== seq[i]);
  const line = (s) => {
    const parts = [];
    let i = 0;
    while (i < n) {
      let j = i;
      while (j < n && diff[j] === diff[i]) j++;
      const chunk = s.slice(i, j).padEnd(j - i, " ");
      parts.push(diff[i] ? el("span", { class: "diff" }, chunk) : chunk);
      i = j;
    }
    return parts;
  };
  const start = excerptObj?.start !== undefined ? ` from ${excerptObj.start}` : "";
  return el(
    "figure",
    { class: "alignment" },
    el("figcaption", {}, `Alignment excerpt${start}: reference above, submitted sequence below; differing columns highlighted`),
    el(
      "pre",
      {},
      el("span", { class: "track-label" }, "ref "),
      el("span", { class: "track reference" }, line(ref)),
      "\n",
      el("span", { class: "track-label" }, "seq "),
      el("span", { class: "track sequence" }, line(seq)),
    ),
  );
}
