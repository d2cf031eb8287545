// The detail panel: every field the annotator returned for one variant, as text. Fields it
// does not know in advance (new scores, extra VEP keys) are listed too, so nothing is hidden.
import { el, replaceChildren } from "./dom.js";
import { scoresOf } from "./results.js";
import { impactBadge, transcriptTags } from "./table.js";
import { PREDICTION_WORDING, predictionsOf } from "./predictions.js";
import { alignmentExcerpt, sequenceSummary } from "./sequence.js";
import { customSources, readableSignificance } from "./custom.js";

function formatValue(v) {
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== "object")) return v.join(", ");
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function fieldList(obj, skip = []) {
  const entries = Object.entries(obj).filter(([k]) => !skip.includes(k));
  return el(
    "dl",
    { class: "fields" },
    entries.map(([k, v]) => [el("dt", {}, k), el("dd", {}, formatValue(v))]),
  );
}

/**
 * Every record the custom sources matched, with all its fields: the source's name and the
 * record's (ClinVar's variation id, an rsID...), the allele it matched (or that it matched the
 * position only), then each field as the source wrote it.
 */
function knownVariants(annotation) {
  const sources = customSources(annotation);
  if (!sources.length) return null;
  return [
    el("h3", {}, "Known variants"),
    el(
      "p",
      { class: "note" },
      "Records of the site's own variant files (custom sources) that match this variant. A ClinVar classification is ClinVar's, not the annotator's.",
    ),
    sources.map(([source, records]) =>
      records.map((r) => {
        const fields = r.fields && typeof r.fields === "object" ? r.fields : {};
        const shown = {
          record: String(r.name),
          matched: r.allele === undefined ? "by position (overlap)" : `allele ${r.allele}`,
          ...Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k, k === "CLNSIG" ? readableSignificance(v) : v]),
          ),
        };
        return el("div", { class: "known", dataset: { source } }, el("h4", {}, source), fieldList(shown));
      }),
    ),
  ];
}

export class DetailPanel {
  /** findOpener(key): the row's button now (the table may have re-rendered meanwhile). */
  constructor(panel, body, title, closeButton, findOpener) {
    this.findOpener = findOpener;
    this.panel = panel;
    this.body = body;
    this.title = title;
    this.key = null;
    closeButton.addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
  }

  open(row) {
    this.key = row.key;
    this.title.textContent = `Variant ${row.label}`;
    const parts = [];
    if (row.error) {
      parts.push(
        el("p", { class: "error-text" }, `Not annotated (${row.error.code}): ${row.error.message}`),
        fieldList({ input: row.error.input, input_index: row.inputIndex }),
      );
    } else {
      const a = row.annotation;
      if (row.called) {
        parts.push(
          el("h3", {}, "Called from the submitted sequence"),
          sequenceSummary(row.called),
          alignmentExcerpt(row.called.excerpt),
        );
      }
      parts.push(
        el("h3", {}, "Variant"),
        fieldList(a, ["transcript_consequences", "intergenic_consequences", "called_from_sequence", "custom_annotations"]),
        knownVariants(a),
      );
      const predicted = row.transcripts.filter((t) => predictionsOf(t).length);
      if (predicted.length) {
        parts.push(
          el("h3", {}, "Amino-acid change scores and models"),
          el("p", { class: "note prediction-note" }, PREDICTION_WORDING),
          predicted.map((t) =>
            el(
              "dl",
              { class: "fields predictions" },
              predictionsOf(t).map((p) => [
                el("dt", {}, `${t.transcript_id} ${p.name}`),
                el(
                  "dd",
                  { class: p.status === "ok" ? null : "score-missing", title: p.display && p.display !== p.text ? p.text : null },
                  p.display ?? p.text,
                ),
              ]),
            ),
          ),
        );
      }
      const scores = [...scoresOf(a), ...row.transcripts.flatMap((t) => scoresOf(t).map((s) => ({ ...s, name: `${t.transcript_id} ${s.name}` })))];
      if (scores.length) {
        parts.push(
          el("h3", {}, "Scores"),
          el(
            "p",
            { class: "note" },
            "Computational predictions from models, not clinical classifications.",
          ),
          el("dl", { class: "fields" }, scores.map((s) => [el("dt", {}, s.name), el("dd", {}, String(s.value))])),
        );
      }
      row.transcripts.forEach((t, i) => {
        parts.push(
          el(
            "h3",
            {},
            `${i === 0 ? "Shown transcript" : "Transcript"} ${t.transcript_id}`,
            t.gene_symbol ? ` · ${t.gene_symbol}` : "",
            " ",
            impactBadge(t.impact),
            " ",
            transcriptTags(t),
          ),
          fieldList(t),
        );
      });
      for (const g of a.intergenic_consequences || []) {
        parts.push(el("h3", {}, "Intergenic ", impactBadge(g.impact)), fieldList(g));
      }
    }
    replaceChildren(this.body, parts);
    this.panel.hidden = false;
    this.title.focus();
  }

  close() {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    const opener = this.findOpener(this.key);
    if (opener) opener.focus();
  }
}
