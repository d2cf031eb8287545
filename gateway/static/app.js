// The page: wires input, connection, analyses, results table, detail panel and downloads.
// Protocol: gateway/PROTOCOL.md. All server data reaches the page as text (see dom.js).
import { el, excerpt, replaceChildren } from "./dom.js";
import { EXAMPLES, parseVariants, describeProblem, readVcfFile, DEFAULT_MAX_VARIANTS, MAX_VARIANT_CHARS } from "./input.js";
import { SEQUENCE_EXAMPLE, sequenceEntry } from "./sequence.js";
import { Connection } from "./connection.js";
import { Analyses } from "./analyses.js";
import { ResultStore } from "./results.js";
import { ResultsTable } from "./table.js";
import { DetailPanel } from "./detail.js";
import { toJson, toTsv, toVcf, download } from "./export.js";
import { uploadVcf, resultLinks } from "./upload.js";
import { referenceLabel } from "./reference.js";

const $ = (id) => document.getElementById(id);

const variantsEl = $("variants");
const submitEl = $("submit");
const validationEl = $("validation");
const fileEl = $("vcf-file");
const fileInfoEl = $("file-info");
const connectionEl = $("connection");
const connectionTextEl = $("connection-text");
const retryEl = $("retry-now");
const referenceEl = $("reference");
const noticeEl = $("notices");
const exportInfoEl = $("export-info");

const store = new ResultStore();
let connection;

const analyses = new Analyses($("analyses"), (a) => submit(a.variants));

const table = new ResultsTable({
  table: $("results"),
  thead: $("results").tHead,
  tbody: $("results-body"),
  count: $("result-count"),
  filters: {
    impact: $("filter-impact"),
    gene: $("filter-gene"),
    consequence: $("filter-consequence"),
    clinvar: $("filter-clinvar"),
    frequency: $("filter-frequency"),
  },
  onOpen: (key) => {
    const row = store.get(key);
    if (row) detail.open(row);
  },
});

const detail = new DetailPanel(
  $("detail"),
  $("detail-body"),
  $("detail-title"),
  $("detail-close"),
  (key) => {
    const tr = [...$("results-body").rows].find((r) => r.dataset.key === key);
    return tr ? tr.querySelector("button.link") : null;
  },
);

// ---- connection status ------------------------------------------------------------------

const STATE_LABEL = {
  connecting: () => "Connecting…",
  connected: () => "Connected",
  resumed: () => "Resumed: reconnected to the same session",
  reconnecting: (d) =>
    d.delayMs !== undefined
      ? `Connection lost, reconnecting in ${Math.ceil(d.delayMs / 1000)} s (attempt ${d.attempt})`
      : `Reconnecting (attempt ${d.attempt})…`,
};

function onState(state, detailInfo) {
  connectionEl.dataset.state = state;
  connectionTextEl.textContent = (STATE_LABEL[state] || (() => state))(detailInfo);
  retryEl.hidden = !(state === "reconnecting" && detailInfo.delayMs !== undefined);
  if (state === "connected" || state === "resumed") {
    const label = referenceLabel(connection.limits.reference);
    referenceEl.textContent = label ? `Reference: ${label}` : "";
    referenceEl.hidden = !label;
  }
  updateSubmit();
}

function onSessionLost() {
  // A new session: the gateway has forgotten analyses still in progress. Rows already shown
  // stay; the cut-off analyses say so and offer to submit again.
  const cut = analyses.inFlight();
  for (const a of cut) {
    a.state = "interrupted";
    a.messages.push(
      "The connection dropped before all results arrived; results shown so far are kept. Submit again for the rest.",
    );
  }
  if (cut.length) analyses.render();
}

/** Read out by screen readers (the analyses list re-renders too often to be a live region). */
function announce(text) {
  $("announcer").textContent = text;
}

function notice(text) {
  noticeEl.append(el("li", {}, text));
}

// ---- server messages --------------------------------------------------------------------

function onMessage(msg) {
  const a = analyses.find(msg);
  switch (msg.type) {
    case "accepted":
      if (!a) return;
      a.analysisId = msg.analysis_id;
      a.chunkCount = msg.chunk_count;
      if (a.state === "sending") a.state = "running";
      break;
    case "result":
      if (!a) return;
      if (a.state === "sending" || a.state === "interrupted") a.state = "running";
      for (const ann of Array.isArray(msg.annotations) ? msg.annotations : []) {
        if (store.addAnnotation(a, ann)) a.done += 1;
      }
      for (const err of Array.isArray(msg.errors) ? msg.errors : []) {
        if (store.addError(a, err)) {
          a.done += 1;
          a.failed += 1;
        }
      }
      break;
    case "error":
      onError(a, msg);
      break;
    case "complete":
      if (!a) return;
      completeAnalysis(a, msg);
      break;
    case "progress":
      if (!a) return;
      onProgress(a, msg);
      break;
    case "pong":
      return;
    default:
      notice(`The gateway sent a message this page does not know (type "${excerpt(msg.type, 40)}").`);
      return;
  }
  refresh();
}

// Done/total as the gateway counts it. An upload's page holds no results, so this is what
// moves its bar; other analyses count the results they receive.
function onProgress(a, msg) {
  if (!Number.isInteger(msg.done) || !Number.isInteger(msg.total)) return;
  if (a.state === "sending") a.state = "running";
  if (a.upload && msg.done >= a.done) {
    a.done = msg.done;
    a.total = msg.total;
  }
}

function onError(a, msg) {
  const text = `${msg.code || "error"}: ${msg.message || ""}`;
  if (!a) {
    notice(`The gateway reports ${text}`);
    return;
  }
  if (msg.chunk_index !== undefined && msg.chunk_index !== null) {
    a.chunkErrors.push(text);
    a.messages.push(`Part ${Number(msg.chunk_index) + 1} of the analysis failed: ${text}`);
  } else {
    a.state = "failed";
    a.messages.push(`Not accepted: ${text}`);
  }
}

function completeAnalysis(a, msg) {
  if (a.upload) {
    a.failed = Number(msg.failed) || 0;
    a.done = (Number(msg.annotated) || 0) + a.failed;
    a.total = Math.max(a.total, a.done);
    a.state = "complete";
    if (a.analysisId && a.downloadToken) a.links = resultLinks(a.analysisId, a.downloadToken);
    announce(`Upload ${a.seq} complete: ${a.done - a.failed} annotated, ${a.failed} not annotated. Downloads are ready.`);
    return;
  }
  // Variants of a failed chunk have no per-variant message: give each one a row that says
  // it was not annotated, so every submitted variant is accounted for.
  const reason = a.chunkErrors.length ? a.chunkErrors.join("; ") : "no result was received";
  a.variants.forEach((input, index) => {
    if (!store.has(a, index)) {
      store.addError(a, { input, input_index: index, code: "not_annotated", message: reason });
      a.done += 1;
      a.failed += 1;
    }
  });
  a.state = "complete";
  announce(`Analysis ${a.seq} complete: ${a.done - a.failed} annotated, ${a.failed} not annotated.`);
  if (typeof msg.failed === "number" && msg.failed !== a.failed) {
    a.messages.push(`The gateway counted ${msg.failed} not annotated; this page shows ${a.failed}.`);
  }
}

function refresh() {
  analyses.render();
  table.update(store.all());
  updateExportInfo();
}

// ---- input ------------------------------------------------------------------------------

function maxVariants() {
  return connection.limits.max_variants || DEFAULT_MAX_VARIANTS;
}

function showProblems(problems) {
  replaceChildren(validationEl, problems.map((p) => el("li", {}, describeProblem(p))));
  validationEl.hidden = problems.length === 0;
}

function updateSubmit() {
  submitEl.disabled = !connection || !connection.ready;
}

function submit(variants) {
  const analysis = analyses.create(variants);
  const message = { type: "analyze", request_id: analysis.requestId, variants };
  const size = new TextEncoder().encode(JSON.stringify(message)).length;
  const maxBytes = connection.limits.max_frame_bytes;
  if (maxBytes && size > maxBytes) {
    analysis.state = "failed";
    analysis.messages.push(`The input is ${size} bytes; one message may carry at most ${maxBytes}.`);
  } else if (!connection.send(message)) {
    analysis.state = "failed";
    analysis.messages.push("Not connected: nothing was sent. Wait for the connection and submit again.");
  }
  analyses.render();
}

const sequenceEl = $("sequence");
const sequenceHintEl = $("sequence-hint");

function sequenceMode() {
  return document.querySelector('input[name="mode"]:checked').value === "sequence";
}

for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener("change", () => {
    $("sequence-input").hidden = !sequenceMode();
    $("variant-input").hidden = sequenceMode();
    showProblems([]);
  });
}

$("sequence-example").addEventListener("click", () => {
  sequenceEl.value = SEQUENCE_EXAMPLE.text;
  sequenceHintEl.value = SEQUENCE_EXAMPLE.hint;
  showProblems([]);
  sequenceEl.removeAttribute("aria-invalid");
  sequenceEl.focus();
});

function submitSequence() {
  // The whole text is one entry: a sequence or FASTA record is never split into lines.
  const checked = sequenceEntry(sequenceEl.value, sequenceHintEl.value, MAX_VARIANT_CHARS);
  const problems = checked.problem ? [{ line: 0, input: "", message: checked.problem }] : [];
  showProblems(problems);
  if (problems.length) {
    sequenceEl.setAttribute("aria-invalid", "true");
    validationEl.focus();
    return;
  }
  sequenceEl.removeAttribute("aria-invalid");
  submit([checked.variant]);
}

$("submit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (sequenceMode()) {
    submitSequence();
    return;
  }
  const { variants, problems } = parseVariants(variantsEl.value, maxVariants());
  showProblems(problems);
  if (problems.length) {
    variantsEl.setAttribute("aria-invalid", "true");
    validationEl.focus();
    return;
  }
  variantsEl.removeAttribute("aria-invalid");
  submit(variants);
});

for (const button of document.querySelectorAll("button[data-example]")) {
  const example = EXAMPLES[button.dataset.example];
  button.addEventListener("click", () => {
    variantsEl.value = example.lines.join("\n");
    showProblems([]);
    variantsEl.removeAttribute("aria-invalid");
    variantsEl.focus();
  });
}

fileEl.addEventListener("change", async () => {
  const file = fileEl.files && fileEl.files[0];
  if (!file) return;
  try {
    const loaded = await readVcfFile(file);
    variantsEl.value = loaded.text;
    fileInfoEl.textContent =
      `${file.name}: ${loaded.dataLines} variant line${loaded.dataLines === 1 ? "" : "s"} loaded` +
      (loaded.headerLines ? ` (${loaded.headerLines} header lines skipped)` : "") +
      ". Check them below, then Annotate.";
    showProblems(parseVariants(loaded.text, maxVariants()).problems);
  } catch (e) {
    fileInfoEl.textContent = e instanceof Error ? e.message : String(e);
  }
});

const uploadEl = $("upload-file");
const uploadButtonEl = $("upload-submit");
const uploadInfoEl = $("upload-info");

uploadEl.addEventListener("change", () => {
  const file = uploadEl.files && uploadEl.files[0];
  uploadButtonEl.disabled = !file;
  uploadInfoEl.textContent = file ? `${file.name}: ${file.size} bytes, ready to upload.` : "";
});

uploadButtonEl.addEventListener("click", async () => {
  const file = uploadEl.files && uploadEl.files[0];
  if (!file) return;
  if (!connection.ready || !connection.session) {
    uploadInfoEl.textContent = "Not connected: wait for the connection, then upload.";
    return;
  }
  const a = analyses.create([]);
  a.upload = true;
  a.total = 0;
  a.note = `Uploading ${file.name} (${file.size} bytes)…`;
  analyses.render();
  uploadButtonEl.disabled = true;
  try {
    const accepted = await uploadVcf(file, connection.session.session_id, connection.sessionSecret, a.requestId);
    a.analysisId = accepted.analysis_id;
    a.downloadToken = accepted.download_token;
    a.chunkCount = accepted.chunk_count;
    a.total = Math.max(a.total, accepted.variant_count);
    a.note = `${file.name}: ${accepted.variant_count} variants in ${accepted.chunk_count} parts.`;
    if (a.state === "sending") a.state = "running";
    if (a.state === "complete") a.links = resultLinks(a.analysisId, a.downloadToken);
    uploadInfoEl.textContent = "";
  } catch (e) {
    a.state = "failed";
    a.note = null;
    a.messages = [e instanceof Error ? e.message : String(e)];
  }
  uploadButtonEl.disabled = false;
  refresh();
});

// ---- downloads --------------------------------------------------------------------------

function updateExportInfo() {
  const rows = table.visibleRows();
  const errors = rows.filter((r) => r.error).length;
  const vcfSkipped = toVcf(rows).skipped;
  const buttons = document.querySelectorAll("#downloads button");
  buttons.forEach((b) => (b.disabled = rows.length === 0));
  exportInfoEl.textContent =
    rows.length === 0
      ? ""
      : `Downloads hold the ${rows.length} variant${rows.length === 1 ? "" : "s"} shown.` +
        (errors ? ` TSV lists the ${errors} not annotated; JSON leaves them out.` : "") +
        (vcfSkipped ? ` VCF leaves out ${vcfSkipped} (not annotated, or HGVS indels with no reference base).` : "");
}

function stamp() {
  return new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
}

$("download-tsv").addEventListener("click", () =>
  download(`variants-${stamp()}.tsv`, "text/tab-separated-values", toTsv(table.visibleRows())),
);
$("download-json").addEventListener("click", () =>
  download(`variants-${stamp()}.json`, "application/json", toJson(table.visibleRows())),
);
$("download-vcf").addEventListener("click", () =>
  download(`variants-${stamp()}.vcf`, "text/plain", toVcf(table.visibleRows()).text),
);
$("filter-clear").addEventListener("click", () => {
  table.clearFilters();
  updateExportInfo();
});
for (const id of ["filter-impact", "filter-gene", "filter-consequence", "filter-clinvar", "filter-frequency"]) {
  $(id).addEventListener("change", updateExportInfo);
}
retryEl.addEventListener("click", () => connection.retryNow());

// ---- start ------------------------------------------------------------------------------

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
connection = new Connection(`${scheme}//${location.host}/ws`, { onState, onMessage, onSessionLost });
connection.start();
refresh();
