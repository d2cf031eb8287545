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
    .filter((e) => e.type === "dev.genomics.variants.annotated.v1")
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
  const scores = await panel.locator("dl.predictions").evaluateAll((dls) =>
    Object.fromEntries(dls.flatMap((dl) => [...dl.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]))),
  );
  return { panel, scores };
}

async function scoresCell(page, row) {
  return page.locator(`#results-body tr[data-key="${row.key}"] td.scores`).textContent();
}

const missenseOf = (annotation) => annotation.transcript_consequences.filter((t) => t.blosum62 !== undefined);

test("an Ensembl-annotated missense shows Condel, BLOSUM62, Grantham and the MLServer model's output as the function computed them", async () => {
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
    `${MODEL}: ${JSON.stringify(shown.ml_scores[0].output)} [${MODEL} ${MODEL_VERSION}]`;
  assert.ok(cell.includes(expectCell), `scores cell:\n${cell}\nexpected to contain:\n${expectCell}`);
  assert.match(await page.locator("#results thead").textContent(), /computational prediction/);

  // The detail panel: every scored transcript, every value the function sent.
  const { panel, scores } = await detailScores(page);
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
    assert.equal(scores[`${id} ${MODEL}`], `${JSON.stringify(t.ml_scores[0].output)} [${MODEL} ${MODEL_VERSION}]`);
  }
  await page.screenshot({ path: join(ARTIFACTS, "ensembl-mlserver-scores.png") });
  await panel.screenshot({ path: join(ARTIFACTS, "ensembl-mlserver-scores-detail.png") });
  assertNoProblems(problems);
  await context.close();
});

test("with MLServer stopped, the next result still arrives with Condel and the model marked score unavailable with its reason", async () => {
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

  const { panel, scores } = await detailScores(page);
  for (const t of scored) {
    assert.equal(scores[`${t.transcript_id} ${MODEL}`], t.ml_scores[0].reason, "the reason as the function gave it");
    assert.equal(scores[`${t.transcript_id} Grantham`], String(t.grantham));
  }
  await panel.screenshot({ path: join(ARTIFACTS, "ensembl-mlserver-stopped-detail.png") });
  assertNoProblems(problems);
  await context.close();
});
