// The page names the reference the annotator serves next to the connection status: a
// whole-genome reference fetched from a loopback mirror (then annotated on every mirrored
// chromosome through the page), and the bundled regions `make run` serves by default.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";

import { ARTIFACTS, startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";
import { fetchReference, gatewayEnvFor } from "../lib/reference.js";
import { BRCA1, MRPL39 } from "./expected.js";

let browser;
let reference;
before(async () => {
  browser = await launchBrowser();
  reference = await fetchReference("115");
});
after(async () => {
  await browser?.close();
  reference?.remove();
});

test("a fetched Ensembl reference is named on the page and annotates chr21 and chr17", async () => {
  const system = await startSystem("reference-ensembl", {
    functionEnv: { VEP_INDEX: reference.dir },
    gatewayEnv: gatewayEnvFor(reference.dir),
  });
  try {
    const { page, problems, context } = await openPage(browser, system.url);
    await waitConnected(page);
    const label = page.locator("#reference");
    assert.equal(await label.isVisible(), true);
    assert.equal(await label.textContent(), "Reference: GRCh38 · Ensembl 115 · 128 transcripts");

    const cys61gly = BRCA1.find((v) => v.hgvsp === "p.Cys61Gly");
    await annotate(page, { lines: [MRPL39.input, cys61gly.input] });
    const all = await rows(page);
    assert.equal(rowFor(all, MRPL39.input).consequence, MRPL39.consequence);
    assert.match(rowFor(all, MRPL39.input).gene, /\bMRPL39\b/);
    assert.equal(rowFor(all, cys61gly.input).consequence, cys61gly.consequence);
    assert.match(rowFor(all, cys61gly.input).gene, /\bBRCA1\b/);
    await page.screenshot({ path: join(ARTIFACTS, "whole-genome-reference.png") });
    assertNoProblems(problems);
    await context.close();
  } finally {
    await system.stop();
  }
});

test("the bundled regions are named as such by default", async () => {
  const system = await startSystem("reference-bundled", { gatewayEnv: gatewayEnvFor() });
  try {
    const { page, problems, context } = await openPage(browser, system.url);
    await waitConnected(page);
    assert.equal(
      await page.locator("#reference").textContent(),
      "Reference: GRCh38 · bundled regions (21:24.99-26.00 Mb, 21:43.76-43.89 Mb, 17:42.43-43.60 Mb) · 128 transcripts",
    );
    assertNoProblems(problems);
    await context.close();
  } finally {
    await system.stop();
  }
});

test("without reference settings the page shows no reference label", async () => {
  const system = await startSystem("reference-unset");
  try {
    const { page, problems, context } = await openPage(browser, system.url);
    await waitConnected(page);
    assert.equal(await page.locator("#reference").isHidden(), true);
    assertNoProblems(problems);
    await context.close();
  } finally {
    await system.stop();
  }
});
