import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readFile } from "node:fs/promises";

import { startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rows, waitConnected } from "../lib/ui.js";
import { BRCA1, MRPL39 } from "./expected.js";

let system;
let browser;
let session;
before(async () => {
  system = await startSystem("filter-download");
  browser = await launchBrowser();
  session = await openPage(browser, system.url);
  await waitConnected(session.page);
  await annotate(session.page, { example: "BRCA1: six known variants" });
  await annotate(session.page, { example: "chr21: MRPL39 missense" });
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

async function select(label, value) {
  await session.page.getByLabel(label, { exact: true }).selectOption(value);
}

async function saveDownload(buttonName) {
  const { page } = session;
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: buttonName }).click(),
  ]);
  assert.equal(await download.failure(), null);
  return { name: download.suggestedFilename(), text: await readFile(await download.path(), "utf8") };
}

test("filters narrow the rows by impact, gene and consequence, and clear again", async () => {
  const { page } = session;
  assert.equal((await rows(page)).length, 7);
  // Without custom sources the known-variant columns stay hidden.
  assert.equal(await page.locator("th.clinvar").isVisible(), false);
  assert.equal(await page.locator("th.frequency").isVisible(), false);

  await select("Impact", "HIGH");
  let shown = await rows(page);
  assert.deepEqual(
    shown.map((r) => r.input).sort(),
    BRCA1.filter((b) => b.consequence !== "missense_variant").map((b) => b.input).sort(),
  );
  assert.ok(shown.every((r) => r.impact === "HIGH"));
  assert.match(await page.locator("#result-count").textContent(), /3 of 7 variants/);

  await page.getByRole("button", { name: "Clear filters" }).click();
  await select("Gene", MRPL39.gene);
  shown = await rows(page);
  assert.deepEqual(shown.map((r) => r.input), [MRPL39.input]);

  await select("Gene", "");
  await select("Consequence", "missense_variant");
  shown = await rows(page);
  assert.equal(shown.length, 4);
  assert.ok(shown.every((r) => r.consequence === "missense_variant"));

  await page.getByRole("button", { name: "Clear filters" }).click();
  assert.equal((await rows(page)).length, 7);
});

test("sorting by impact puts HIGH rows first and toggles to descending", async () => {
  const { page } = session;
  await page.getByRole("button", { name: "Impact", exact: true }).click();
  let impacts = (await rows(page)).map((r) => r.impact);
  assert.deepEqual(impacts, ["HIGH", "HIGH", "HIGH", "MODERATE", "MODERATE", "MODERATE", "MODERATE"]);
  assert.equal(await page.locator('th[data-sort-key="impact"]').getAttribute("aria-sort"), "ascending");
  await page.getByRole("button", { name: "Impact", exact: true }).click();
  impacts = (await rows(page)).map((r) => r.impact);
  assert.equal(impacts[0], "MODERATE");
  assert.equal(await page.locator('th[data-sort-key="impact"]').getAttribute("aria-sort"), "descending");
  await page.getByRole("button", { name: "Variant", exact: true }).click();
});

test("the TSV download has one line per transcript with the shown transcript marked", async () => {
  const { name, text } = await saveDownload("TSV");
  assert.match(name, /\.tsv$/);
  const [header, ...lines] = text.trimEnd().split("\n").map((l) => l.split("\t"));
  const col = (n) => header.indexOf(n);
  assert.ok(col("hgvsc") >= 0 && col("most_severe_consequence") >= 0);
  const firstShown = lines.filter((l) => l[col("shown_first")] === "yes");
  assert.equal(firstShown.length, 7, "one shown transcript per variant");
  const mrpl39 = firstShown.find((l) => l[col("input")] === MRPL39.input);
  assert.equal(mrpl39[col("most_severe_consequence")], "missense_variant");
  assert.equal(mrpl39[col("gene_symbol")], "MRPL39");
  for (const b of BRCA1) {
    const line = firstShown.find((l) => l[col("input")] === b.input);
    assert.equal(line[col("hgvsc")], b.hgvsc);
    assert.equal(line[col("mane_select")] !== "", true);
  }
  assert.ok(lines.length > 7, "other transcripts are listed too");
});

test("the JSON download is the VEP array of the filtered rows only", async () => {
  await select("Gene", "BRCA1");
  const { name, text } = await saveDownload("JSON (VEP)");
  await session.page.getByRole("button", { name: "Clear filters" }).click();
  assert.match(name, /\.json$/);
  const data = JSON.parse(text);
  assert.ok(Array.isArray(data));
  assert.deepEqual(data.map((v) => v.input).sort(), BRCA1.map((b) => b.input).sort());
  for (const v of data) {
    const want = BRCA1.find((b) => b.input === v.input);
    assert.equal(v.most_severe_consequence, want.consequence);
    assert.equal(v.assembly_name, "GRCh38");
    assert.ok(v.transcript_consequences.some((t) => t.hgvsc === want.hgvsc));
  }
});

test("the VCF download is sorted, declares CSQ and annotates each record", async () => {
  const { name, text } = await saveDownload("VCF with CSQ");
  assert.match(name, /\.vcf$/);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "##fileformat=VCFv4.2");
  const csqHeader = lines.find((l) => l.startsWith("##INFO=<ID=CSQ,"));
  assert.ok(csqHeader, "CSQ is declared");
  const format = csqHeader.match(/Format: ([^"]+)"/)[1].split("|");
  const records = lines.filter((l) => !l.startsWith("#")).map((l) => l.split("\t"));
  assert.equal(records.length, 7);
  assert.deepEqual(
    records.map((r) => r[0]),
    ["17", "17", "17", "17", "17", "17", "21"],
    "chromosomes in order",
  );
  const positions = records.filter((r) => r[0] === "17").map((r) => Number(r[1]));
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  const chr21 = records.find((r) => r[0] === "21");
  assert.deepEqual(chr21.slice(0, 5), ["21", "25585733", ".", "C", "T"]);
  const entries = chr21[7].replace(/^CSQ=/, "").split(",").map((e) => e.split("|"));
  assert.ok(entries.every((e) => e.length === format.length), "every CSQ entry has every field");
  const missense = entries.find((e) => e[format.indexOf("Consequence")].split("&").includes("missense_variant"));
  assert.equal(missense[format.indexOf("SYMBOL")], "MRPL39");
  assert.equal(missense[format.indexOf("IMPACT")], "MODERATE");
  const r1443x = records.find((r) => r[1] === "43082434");
  assert.match(r1443x[7], /\|stop_gained\|HIGH\|BRCA1\|/);
  assert.match(r1443x[7], /NM_007294\.4:c\.4327C>T/);
  assertNoProblems(session.problems);
});
