// The results table: one row per variant (its most severe consequence and the transcript a
// reader looks at first), other transcripts one click away, sortable and filterable.
import { el, replaceChildren } from "./dom.js";
import { IMPACTS, consequenceRank, impactRank } from "./severity.js";
import { chromosomeKey, compareTuples, scoresOf } from "./results.js";
import { formatPredictions, predictionsOf } from "./predictions.js";
import { formatFrequency, isPathogenic, passesFrequency, readableSignificance } from "./custom.js";

const SORTS = {
  order: (r) => [r.seq, r.inputIndex],
  variant: (r) =>
    r.annotation
      ? [...chromosomeKey(r.annotation.seq_region_name), Number(r.annotation.start), r.seq]
      : [2, 0, r.input, 0, r.seq],
  consequence: (r) => [r.error ? 1 : 0, consequenceRank(r.consequence), r.seq, r.inputIndex],
  impact: (r) => [impactRank(r.impact), r.seq, r.inputIndex],
  gene: (r) => [r.genes.length ? 0 : 1, (r.genes[0] || "").toLowerCase(), r.seq, r.inputIndex],
};

export function impactBadge(impact) {
  const known = IMPACTS.includes(impact);
  return el(
    "span",
    { class: `badge impact-${known ? impact.toLowerCase() : "none"}` },
    known ? impact : "—",
  );
}

/**
 * HGVS without the accession the Transcript column already shows ("c.68_69del" for
 * "NM_007294.4:c.68_69del"); the cell's title, the detail panel and downloads keep it whole.
 */
export function hgvsCell(value, accession) {
  const full = value || "";
  const short = accession && full.startsWith(`${accession}:`) ? full.slice(accession.length + 1) : full;
  return el("td", { class: "hgvs", title: full || null }, short);
}

export function formatScores(scores, predictions = [], from = null) {
  const parts = scores.map((s) => `${s.name}: ${s.value}`);
  const p = formatPredictions(predictions);
  if (p) parts.push(from ? `${from}: ${p}` : p);
  return parts.join("; ");
}

export function transcriptTags(t) {
  const tags = [];
  if (t.mane_select) tags.push(el("span", { class: "tag" }, "MANE Select"));
  if (t.mane_plus_clinical) tags.push(el("span", { class: "tag" }, "MANE Plus Clinical"));
  if (t.canonical === 1) tags.push(el("span", { class: "tag" }, "canonical"));
  // Spaces between the tags keep them separate words for screen readers and copy-paste.
  return tags.flatMap((tag, i) => (i === 0 ? [tag] : [" ", tag]));
}

export class ResultsTable {
  constructor(parts) {
    this.parts = parts;
    this.rows = [];
    this.sort = { key: "order", dir: 1 };
    this.expanded = new Set();
    for (const button of parts.thead.querySelectorAll("button[data-sort]")) {
      button.addEventListener("click", () => this.toggleSort(button.dataset.sort));
    }
    for (const select of Object.values(parts.filters)) {
      select.addEventListener("change", () => this.render());
    }
  }

  update(rows) {
    this.rows = rows;
    this.refreshFilterOptions();
    this.render();
  }

  toggleSort(key) {
    this.sort =
      this.sort.key === key ? { key, dir: -this.sort.dir } : { key, dir: 1 };
    this.render();
  }

  clearFilters() {
    for (const select of Object.values(this.parts.filters)) select.value = "";
    this.render();
  }

  visibleRows() {
    const { impact, gene, consequence, clinvar, frequency } = this.parts.filters;
    const rows = this.rows.filter(
      (r) =>
        (!impact.value || r.impact === impact.value) &&
        (!gene.value || r.genes.includes(gene.value)) &&
        (!consequence.value || r.consequence === consequence.value) &&
        (!clinvar.value || isPathogenic(r.clinvar)) &&
        passesFrequency(r, frequency.value),
    );
    const key = SORTS[this.sort.key] || SORTS.order;
    return rows.sort((a, b) => this.sort.dir * compareTuples(key(a), key(b)));
  }

  refreshFilterOptions() {
    const genes = new Set();
    const consequences = new Set();
    for (const r of this.rows) {
      r.genes.forEach((g) => genes.add(g));
      if (r.consequence) consequences.add(r.consequence);
    }
    fillOptions(this.parts.filters.gene, [...genes].sort(), (g) => g);
    fillOptions(
      this.parts.filters.consequence,
      [...consequences].sort((a, b) => consequenceRank(a) - consequenceRank(b)),
      (c) => c.replaceAll("_", " "),
    );
  }

  render() {
    const visible = this.visibleRows();
    const body = [];
    for (const row of visible) {
      body.push(this.renderRow(row));
      if (this.expanded.has(row.key)) {
        for (const t of row.transcripts.slice(1)) body.push(renderTranscriptRow(row, t));
      }
    }
    replaceChildren(this.parts.tbody, body);
    for (const th of this.parts.thead.querySelectorAll("th[data-sort-key]")) {
      const active = th.dataset.sortKey === this.sort.key;
      th.setAttribute(
        "aria-sort",
        active ? (this.sort.dir === 1 ? "ascending" : "descending") : "none",
      );
    }
    const total = this.rows.length;
    this.parts.count.textContent =
      total === 0
        ? "No results yet."
        : visible.length === total
          ? `${total} variant${total === 1 ? "" : "s"}`
          : `${visible.length} of ${total} variants match the filters`;
    this.parts.table.hidden = total === 0;
    // An empty Scores column only costs width; it appears once any result carries a score.
    const anyScores = this.rows.some(
      (r) => r.transcripts.some((t) => scoresOf(t).length) || r.scores.length || r.predictions.length,
    );
    this.parts.table.classList.toggle("no-scores", !anyScores);
    // The known-variant columns likewise, once any result comes from a custom source.
    this.parts.table.classList.toggle("no-clinvar", !this.rows.some((r) => r.clinvar));
    this.parts.table.classList.toggle("no-frequency", !this.rows.some((r) => r.frequency));
    return visible;
  }

  renderRow(row) {
    const open = el("button", { type: "button", class: "link", title: "Show all fields" }, row.label);
    open.addEventListener("click", () => this.parts.onOpen(row.key));
    const a = row.annotation;
    const t = row.primary;
    const location = a ? `${a.seq_region_name}:${a.start}${a.end !== a.start ? `-${a.end}` : ""}` : "";
    let transcriptCell;
    if (t) {
      const more = row.transcripts.length - 1;
      let toggle = null;
      if (more > 0) {
        const expanded = this.expanded.has(row.key);
        toggle = el(
          "button",
          { type: "button", class: "expand", "aria-expanded": String(expanded) },
          expanded ? `Hide ${more} other` : `+${more} other${more === 1 ? "" : "s"}`,
        );
        toggle.addEventListener("click", () => {
          if (this.expanded.has(row.key)) this.expanded.delete(row.key);
          else this.expanded.add(row.key);
          this.render();
          this.focusToggle(row.key);
        });
      }
      transcriptCell = el("td", { class: "transcript" }, t.transcript_id, " ", transcriptTags(t), " ", toggle);
    } else {
      transcriptCell = el("td", { class: "transcript" });
    }
    const consequenceCell = row.error
      ? el("td", { class: "consequence error-text" }, `Not annotated (${row.error.code}): ${row.error.message}`)
      : el("td", { class: "consequence" }, row.consequence.replaceAll("_", " "));
    return el(
      "tr",
      { dataset: { key: row.key, consequence: row.consequence, impact: row.impact }, class: row.error ? "failed" : null },
      el("td", { class: "variant" }, open),
      el("td", { class: "location" }, location, a ? el("span", { class: "allele" }, a.allele_string) : null),
      consequenceCell,
      el("td", { class: "impact" }, row.error ? null : impactBadge(row.impact)),
      el("td", { class: "gene" }, row.genes.join(", ")),
      transcriptCell,
      hgvsCell(t && t.hgvsc, t && t.transcript_id),
      hgvsCell(t && t.hgvsp, t && t.protein_id),
      clinvarCell(row.clinvar),
      frequencyCell(row.frequency),
      el("td", { class: "scores" }, formatScores(row.scores, row.predictions, row.predictionsFrom)),
    );
  }

  focusToggle(key) {
    const row = [...this.parts.tbody.querySelectorAll("tr")].find((tr) => tr.dataset.key === key);
    const button = row && row.querySelector("button.expand");
    if (button) button.focus();
  }
}

function renderTranscriptRow(row, t) {
  const terms = (t.consequence_terms || []).map((c) => c.replaceAll("_", " ")).join(", ");
  return el(
    "tr",
    { class: "other-transcript", dataset: { parent: row.key } },
    el("td", { class: "variant" }),
    el("td", { class: "location" }),
    el("td", { class: "consequence" }, terms),
    el("td", { class: "impact" }, impactBadge(t.impact)),
    el("td", { class: "gene" }, t.gene_symbol || t.gene_id || ""),
    el("td", { class: "transcript" }, t.transcript_id, " ", transcriptTags(t)),
    hgvsCell(t.hgvsc, t.transcript_id),
    hgvsCell(t.hgvsp, t.protein_id),
    el("td", { class: "clinvar" }),
    el("td", { class: "frequency" }),
    el("td", { class: "scores" }, formatScores(scoresOf(t), predictionsOf(t))),
  );
}

/** ClinVar's classification as ClinVar wrote it, the record ids in the title. */
function clinvarCell(clinvar) {
  if (!clinvar) return el("td", { class: "clinvar" });
  return el(
    "td",
    {
      class: `clinvar${isPathogenic(clinvar) ? " pathogenic" : ""}`,
      title: `${clinvar.source} ${clinvar.names.join(", ")}`,
    },
    clinvar.significance.map(readableSignificance).join("; "),
  );
}

function frequencyCell(frequency) {
  if (!frequency) return el("td", { class: "frequency" });
  return el("td", { class: "frequency", title: `AF in ${frequency.source}: ${frequency.af}` }, formatFrequency(frequency.af));
}

function fillOptions(select, values, label) {
  const current = select.value;
  const first = select.options[0];
  replaceChildren(select, first, values.map((v) => el("option", { value: v }, label(v))));
  select.value = values.includes(current) ? current : "";
}

