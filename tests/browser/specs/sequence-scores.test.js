import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

import { ARTIFACTS, startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";

// The sequence example is chr17:43093300-43093599 of the bundled reference with C>T at
// 43093450: Ensembl VEP names that change on NM_007294.4 c.2081G>A, p.Ser694Asn (missense).
const SEQUENCE_CALL = {
  variant: "17 43093450 . C T",
  consequence: "missense_variant",
  hgvsc: "NM_007294.4:c.2081G>A",
  hgvsp: "p.Ser694Asn",
};

let system;
let browser;
before(async () => {
  system = await startSystem("sequence-scores");
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

async function annotateSequenceExample(page) {
  await page.getByLabel("DNA sequence", { exact: true }).check();
  await page.getByRole("button", { name: /^Sequence: 300 bp of BRCA1/ }).click();
  const before = await page.locator("#analyses > li.analysis").count();
  await page.getByRole("button", { name: "Annotate" }).click();
  await page.locator(`#analyses > li[data-seq="${before + 1}"][data-state="complete"]`).waitFor({ timeout: 30000 });
}

test("the sequence example is sent as one entry and its called substitution is annotated", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  const sent = [];
  page.on("websocket", (ws) =>
    ws.on("framesent", (f) => {
      const msg = JSON.parse(String(f.payload));
      if (msg.type === "analyze") sent.push(msg.variants);
    }),
  );
  // The socket opened before the listener: reload so the page's socket is observed.
  await page.reload();
  await waitConnected(page);
  await annotateSequenceExample(page);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].length, 1, "the FASTA record is one variants entry, not one per line");
  assert.match(sent[0][0], /^seq:BRCA1:>BRCA1 chr17:43093300-43093599[^\n]*\n[ACGT\n]+$/);

  const all = await rows(page);
  assert.equal(all.length, 1);
  const row = rowFor(all, SEQUENCE_CALL.variant);
  assert.equal(row.consequence, SEQUENCE_CALL.consequence);
  assert.equal(row.hgvscFull, SEQUENCE_CALL.hgvsc);
  assert.equal(row.hgvsp, SEQUENCE_CALL.hgvsp);
  assert.match(await page.locator(".analysis-counts").last().textContent(), /1 of 1 variant done/);

  await page.locator("#results-body button.link").first().click();
  const panel = page.locator("#detail");
  await panel.waitFor({ state: "visible" });
  assert.equal(await page.locator("#detail-title").textContent(), `Variant ${SEQUENCE_CALL.variant}`);
  const summary = await panel.locator(".sequence-summary").evaluate((dl) =>
    Object.fromEntries([...dl.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  );
  assert.equal(summary["Called variant"], SEQUENCE_CALL.variant);
  assert.equal(summary.Strand, "plus");
  assert.equal(summary.Covered, "17:43093300-43093599");
  assert.equal(summary.CIGAR, "150=1X149=");
  assert.match(summary.Identity, /^99\.\d\d %$/);
  // Reference over sequence: the one differing column is highlighted, C above T.
  const ref = panel.locator(".alignment .track.reference");
  const seq = panel.locator(".alignment .track.sequence");
  assert.equal((await ref.textContent()).length, (await seq.textContent()).length);
  assert.deepEqual(await ref.locator(".diff").allTextContents(), ["C"]);
  assert.deepEqual(await seq.locator(".diff").allTextContents(), ["T"]);
  await panel.screenshot({ path: join(ARTIFACTS, "sequence-detail.png") });
  assertNoProblems(problems);
  await context.close();
});

// The bundled reference (bgzip: gzip members, which gunzip reads whole); .fai: 60 bases a line.
const FASTA = new URL("../../../vep-function/data/brca1/GRCh38.chr17.brca1_region.fa.gz", import.meta.url);
function reference(start, end) {
  const text = gunzipSync(readFileSync(FASTA)).toString("latin1");
  const body = text.slice(text.indexOf("\n") + 1);
  const at = (pos) => Math.floor((pos - 1) / 60) * 61 + ((pos - 1) % 60);
  return body.slice(at(start), at(end) + 1).replaceAll("\n", "");
}

test("a pasted 2 kb stretch of BRCA1 with three edits and no hint gives those three variants", async () => {
  const start = 43092001;
  let s = reference(start, 43094000);
  assert.equal(s.length, 2000);
  const i = (pos) => pos - start;
  // Edits chosen where left-alignment cannot move them (the anchor base differs from the
  // deleted/inserted one), so the normalised calls are the edits as written.
  assert.equal(s.slice(i(43093000), i(43093002) + 1), "CTT");
  assert.equal(s[i(43093501)], "C");
  assert.equal(s[i(43092500)], "C");
  s = s.slice(0, i(43093501) + 1) + "G" + s.slice(i(43093501) + 1); // insertion of G after 43093501
  s = s.slice(0, i(43093001)) + s.slice(i(43093002) + 1); // deletion of TT at 43093001-43093002
  s = s.slice(0, i(43092500)) + "A" + s.slice(i(43092500) + 1); // C>A at 43092500
  const wrapped = s.match(/.{1,60}/g).join("\n");

  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await page.getByLabel("DNA sequence", { exact: true }).check();
  await page.getByLabel(/DNA sequence or one FASTA record/).fill(wrapped);
  const before = await page.locator("#analyses > li.analysis").count();
  await page.getByRole("button", { name: "Annotate" }).click();
  const item = page.locator(`#analyses > li[data-seq="${before + 1}"]`);
  await page.locator(`#analyses > li[data-seq="${before + 1}"][data-state="complete"]`).waitFor({ timeout: 30000 });
  assert.match(await item.locator(".analysis-counts").textContent(), /1 of 1 variant done/);

  const all = await rows(page);
  assert.deepEqual(all.map((r) => r.input), ["17 43092500 . C A", "17 43093000 . CTT C", "17 43093501 . C CG"]);
  assert.equal(rowFor(all, "17 43093000 . CTT C").consequence, "frameshift_variant");
  assert.equal(rowFor(all, "17 43093501 . C CG").consequence, "frameshift_variant");
  for (const r of all) assert.match(r.transcript, /^NM_007294\.4 MANE Select/, r.input);
  assertNoProblems(problems);
  await context.close();
});

test("a sequence matching the reference is reported as not annotated, with the function's reason", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await page.getByLabel("DNA sequence", { exact: true }).check();
  await page.getByRole("button", { name: /^Sequence: 300 bp of BRCA1/ }).click();
  // Undo the example's one edit: the sequence is then the reference itself.
  const box = page.getByLabel(/DNA sequence or one FASTA record/);
  const text = await box.inputValue();
  const [header, ...body] = text.split("\n");
  const joined = body.join("");
  assert.equal(joined[150], "T");
  await box.fill(`${header}\n${joined.slice(0, 150)}C${joined.slice(151)}`);
  const before = await page.locator("#analyses > li.analysis").count();
  await page.getByRole("button", { name: "Annotate" }).click();
  await page.locator(`#analyses > li[data-seq="${before + 1}"][data-state="complete"]`).waitFor({ timeout: 30000 });
  const [row] = await rows(page);
  assert.equal(row.consequence, "");
  assert.match(
    await page.locator("#results-body tr.failed td.consequence").textContent(),
    /^Not annotated \(no_variants\): /,
  );
  assertNoProblems(problems);
  await context.close();
});

test("BLOSUM62 and Grantham of a missense change show as computational predictions", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  // MRPL39 T324S (ENST00000307301.11:c.971C>G): BLOSUM62(T,S) = 1, Grantham(T,S) = 58.
  await annotate(page, { lines: ["21 25587788 . G C"] });
  const row = rowFor(await rows(page), "21 25587788 . G C");
  assert.equal(row.consequence, "missense_variant");
  assert.equal(await page.locator("#results").evaluate((t) => t.classList.contains("no-scores")), false);
  const cell = await page.locator(`#results-body tr[data-key="${row.key}"] td.scores`).textContent();
  assert.match(cell, /BLOSUM62: 1; Grantham: 58/);
  assert.match(cell, /Condel: not applicable/);
  assert.match(await page.locator("#results thead").textContent(), /computational prediction/);

  await page.locator("#results-body button.link").first().click();
  const panel = page.locator("#detail");
  await panel.waitFor({ state: "visible" });
  assert.equal(
    await panel.locator(".prediction-note").textContent(),
    "Computational prediction, not a clinical classification.",
  );
  const scores = await panel.locator("dl.predictions").first().evaluate((dl) =>
    Object.fromEntries([...dl.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  );
  const key = Object.keys(scores).find((k) => k.endsWith(" BLOSUM62"));
  const tx = key.replace(/ BLOSUM62$/, "");
  assert.equal(scores[`${tx} BLOSUM62`], "1");
  assert.equal(scores[`${tx} Grantham`], "58");
  assert.match(scores[`${tx} Condel`], /^not applicable: Condel needs SIFT and PolyPhen-2 scores/);
  assertNoProblems(problems);
  await context.close();
});
