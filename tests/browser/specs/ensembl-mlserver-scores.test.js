// Issue #5's "Done when", in the browser: a missense variant annotated through Ensembl-style
// data (VEP_BACKEND=ensembl against a loopback stand-in serving a real recorded Ensembl answer)
// shows Condel score and class, BLOSUM62 and Grantham, and a real MLServer model's output
// beside them; with MLServer stopped, the next result still arrives, the model marked
// "score unavailable" with its reason. Every value on the page is checked against the
// function's own event (recorded between the function and the gateway), and Condel against an
// independent computation from the recorded SIFT/PolyPhen-2 scores.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { ARTIFACTS, startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";
import { startEnsemblStub } from "../lib/ensembl-stub.js";
import { MODEL, MODEL_VERSION, mlserverVenv, startMlServer } from "../lib/mlserver.js";
import { bundledCondel } from "../lib/condel.js";

// DMD c.?; C/Y on every transcript; Ensembl's default input format, as the recording echoes it.
const MISSENSE = "X 31180437 31180437 C/T 1";
const RECORDING = fileURLToPath(
  new URL("../fixtures/grch38_region_get_X-31180437-C-T_missense_refseq_first_element.json", import.meta.url),
);
const WORDING = "Computational prediction, not a clinical classification.";

let stub;
let mlserver;
let system;
let browser;
before(
  async () => {
    const venv = mlserverVenv();
    mlserver = await startMlServer(venv, "ensembl-mlserver-scores");
    stub = await startEnsemblStub([RECORDING]);
    const models = [
      { name: MODEL, version: MODEL_VERSION, url: mlserver.base, inputs: ["blosum62", "grantham"], output: "predict_proba" },
    ];
    system = await startSystem("ensembl-mlserver-scores", {
      tapEvents: true,
      functionEnv: {
        VEP_BACKEND: "ensembl",
        VEP_API_URL: stub.url,
        VEP_API_ATTEMPTS: "1",
        SCORING_MODELS: JSON.stringify(models),
        SCORING_ATTEMPTS: "2",
        SCORING_TIMEOUT_MS: "5000",
        SCORING_FIRST_TIMEOUT_MS: "30000",
      },
    });
    browser = await launchBrowser();
  },
  // A fresh machine builds the MLServer venv here (pip) before anything starts.
  { timeout: 25 * 60 * 1000 },
);
after(async () => {
  await browser?.close();
  await system?.stop();
  await mlserver?.stop();
  await stub?.close();
});

/** The function's annotation of MISSENSE among the events it sent since `from`, with the
 * annotator its event names. */
function functionAnnotation(from) {
  const found = system.events
    .slice(from)
    .filter((e) => e.type === "dev.genomics.variants.annotated.v2")
    .flatMap((e) => (e.data?.annotations ?? []).map((a) => ({ ...a, annotator: e.data.annotator })))
    .filter((a) => a.input === MISSENSE);
  assert.equal(found.length, 1, "the function sent exactly one annotation of the variant");
  return found[0];
}

/** Submits MISSENSE on a fresh page; returns the page's row and the function's annotation. */
async function submit() {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  const from = system.events.length;
  await annotate(page, { lines: [MISSENSE] });
  const row = rowFor(await rows(page), MISSENSE);
  return { page, problems, context, row, annotation: functionAnnotation(from) };
}

/** dt -> dd of the detail panel's score lists ("NM_000109.4 Condel" -> "0.945 (deleterious) ..."). */
async function detailScores(page) {
  await page.locator("#results-body button.link").first().click();
  const panel = page.locator("#detail");
  await panel.waitFor({ state: "visible" });
  assert.equal(await panel.locator(".prediction-note").textContent(), WORDING);
  const entries = await panel.locator("dl.predictions").evaluateAll((dls) =>
    dls.flatMap((dl) =>
      [...dl.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent, dt.nextElementSibling.title]),
    ),
  );
  const scores = Object.fromEntries(entries.map(([k, text]) => [k, text]));
  const titles = Object.fromEntries(entries.map(([k, , title]) => [k, title]));
  return { panel, scores, titles };
}

/**
 * Checks a model output as the page prints it ("predict_proba [5.69e-11, 1.00] [missense-lr v1]")
 * against the function's entry: the output's name, each value to the three significant digits
 * shown, the model's name and version.
 */
function assertShownOutput(shown, entry) {
  const m = /^(\S+) \[([^\]]*)\] \[(\S+) (\S+)\]$/.exec(shown);
  assert.ok(m, `model output as shown: ${shown}`);
  assert.deepEqual([m[1], m[3], m[4]], [entry.output_name, entry.model, entry.version]);
  const values = m[2].split(", ").map(Number);
  assert.equal(values.length, entry.output.length, shown);
  values.forEach((v, i) => {
    const exact = entry.output[i];
    assert.ok(Math.abs(v - exact) <= 0.005 * Math.abs(exact), `${v} shown for ${exact}`);
  });
}

/** The detail panel scrolled to its scores, as a reader looking for them sees it. */
async function screenshot(page, panel, name) {
  await panel.locator("h3", { hasText: "Amino-acid change scores and models" }).evaluate((h) => h.scrollIntoView());
  await page.screenshot({ path: join(ARTIFACTS, `${name}-detail.png`) });
}

async function scoresCell(page, row) {
  return page.locator(`#results-body tr[data-key="${row.key}"] td.scores`).textContent();
}

const missenseOf = (annotation) => annotation.transcript_consequences.filter((t) => t.blosum62 !== undefined);

test("an Ensembl-annotated missense shows Condel, BLOSUM62, Grantham and the MLServer model's output as the function computed them", async (ctx) => {
  const posted = stub.requests.length;
  const { page, problems, context, row, annotation } = await submit();
  const sent = stub.requests.slice(posted);
  assert.ok(
    sent.some((r) => r.method === "POST" && r.path === "/vep/human/region" && r.posted.includes(MISSENSE)),
    `the function asked the Ensembl stand-in: ${JSON.stringify(sent)}`,
  );
  assert.equal(annotation.annotator?.backend, "ensembl");
  assert.equal(row.consequence, "missense_variant");

  // The function's scores: Condel where Ensembl gave SIFT and PolyPhen-2, equal to Condel
  // computed here from those recorded scores; the model answered for every missense row.
  const condel = bundledCondel();
  const scored = missenseOf(annotation);
  assert.equal(scored.length, annotation.transcript_consequences.length, "every DMD transcript is C/Y missense");
  let condelChecked = 0;
  for (const t of scored) {
    if (typeof t.sift_score === "number" && typeof t.polyphen_score === "number") {
      const want = condel(t.sift_score, t.polyphen_score);
      assert.equal(t.condel.status, "ok", t.transcript_id);
      assert.deepEqual(t.condel.inputs, { sift_score: t.sift_score, polyphen_score: t.polyphen_score });
      assert.equal(t.condel.score, want.score, `Condel of ${t.transcript_id}`);
      assert.equal(t.condel.prediction, want.prediction, `Condel class of ${t.transcript_id}`);
      assert.match(t.condel.label, /computational prediction/);
      condelChecked++;
    } else {
      assert.equal(t.condel.status, "not_applicable", t.transcript_id);
    }
    const [m] = t.ml_scores;
    assert.equal(m.model, MODEL);
    assert.equal(m.status, "ok", `${t.transcript_id}: ${JSON.stringify(m)}`);
    assert.deepEqual([m.version, m.output_name], [MODEL_VERSION, "predict_proba"], "as configured");
    assert.match(m.label, /computational prediction/);
    assert.deepEqual(m.inputs, { blosum62: t.blosum62, grantham: t.grantham });
    assert.equal(m.output.length, 2, "predict_proba: [P(class 0), P(class 1)]");
    assert.ok(Math.abs(m.output[0] + m.output[1] - 1) < 1e-9, JSON.stringify(m.output));
  }
  assert.ok(condelChecked >= 10, `Condel computed for ${condelChecked} transcripts`);

  // The table row: the shown transcript's scores, next to the model's output.
  const shown = scored.find((t) => row.transcript.startsWith(`${t.transcript_id} `) || row.transcript === t.transcript_id);
  assert.ok(shown, `the row's transcript ${row.transcript} is one the function scored`);
  assert.equal(shown.condel.status, "ok", "the shown (MANE) transcript has SIFT and PolyPhen-2");
  const cell = await scoresCell(page, row);
  const expectCell =
    `BLOSUM62: ${shown.blosum62}; Grantham: ${shown.grantham}; ` +
    `Condel: ${shown.condel.score} (${shown.condel.prediction}) [${shown.condel.model} ${shown.condel.version}]; ` +
    `${MODEL}: `;
  assert.ok(cell.includes(expectCell), `scores cell:\n${cell}\nexpected to contain:\n${expectCell}`);
  assertShownOutput(cell.slice(cell.indexOf(expectCell) + expectCell.length), shown.ml_scores[0]);
  ctx.diagnostic(`${shown.transcript_id}: SIFT ${shown.sift_score}, PolyPhen-2 ${shown.polyphen_score}; page: ${cell}`);
  assert.match(await page.locator("#results thead").textContent(), /computational prediction/);
  await page.locator("#results").screenshot({ path: join(ARTIFACTS, "ensembl-mlserver-scores-table.png") });

  // The detail panel: every scored transcript, every value the function sent.
  const { panel, scores, titles } = await detailScores(page);
  for (const t of scored) {
    const id = t.transcript_id;
    assert.equal(scores[`${id} BLOSUM62`], String(t.blosum62));
    assert.equal(scores[`${id} Grantham`], String(t.grantham));
    assert.equal(
      scores[`${id} Condel`],
      t.condel.status === "ok"
        ? `${t.condel.score} (${t.condel.prediction}) [${t.condel.model} ${t.condel.version}]`
        : `not applicable: ${t.condel.reason}`,
    );
    const entry = t.ml_scores[0];
    assertShownOutput(scores[`${id} ${MODEL}`], entry);
    // The exact values are one hover away.
    assert.equal(titles[`${id} ${MODEL}`], `${entry.output_name} ${JSON.stringify(entry.output)} [${MODEL} ${MODEL_VERSION}]`);
  }
  await screenshot(page, panel, "ensembl-mlserver-scores");
  assertNoProblems(problems);
  await context.close();
});

test("with MLServer stopped, the next result still arrives with Condel and the model marked score unavailable with its reason", async (ctx) => {
  await mlserver.stop();
  const started = Date.now();
  const { page, problems, context, row, annotation } = await submit();
  assert.ok(Date.now() - started < 30000, "a stopped model server does not hold the result back");
  assert.equal(row.consequence, "missense_variant");

  const scored = missenseOf(annotation);
  assert.equal(scored.length, annotation.transcript_consequences.length);
  for (const t of scored) {
    const [m] = t.ml_scores;
    assert.equal(m.status, "unavailable", `${t.transcript_id}: ${JSON.stringify(m)}`);
    assert.match(m.reason, /^score unavailable: \S/);
    assert.equal(m.output, undefined, "no output is invented");
  }
  const shown = scored.find((t) => row.transcript.startsWith(`${t.transcript_id} `) || row.transcript === t.transcript_id);
  assert.ok(shown, `the row's transcript ${row.transcript} is one the function scored`);
  const cell = await scoresCell(page, row);
  const expectCell =
    `BLOSUM62: ${shown.blosum62}; Grantham: ${shown.grantham}; ` +
    `Condel: ${shown.condel.score} (${shown.condel.prediction}) [${shown.condel.model} ${shown.condel.version}]; ` +
    `${MODEL}: score unavailable`;
  assert.ok(cell.includes(expectCell), `scores cell:\n${cell}\nexpected to contain:\n${expectCell}`);
  ctx.diagnostic(`page: ${cell}`);

  const { panel, scores } = await detailScores(page);
  for (const t of scored) {
    assert.equal(scores[`${t.transcript_id} ${MODEL}`], t.ml_scores[0].reason, "the reason as the function gave it");
    assert.equal(scores[`${t.transcript_id} Grantham`], String(t.grantham));
  }
  await screenshot(page, panel, "ensembl-mlserver-stopped");
  assertNoProblems(problems);
  await context.close();
});
