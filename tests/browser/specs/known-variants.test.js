// Known variants in the page: the function serves two custom sources (VEP_CUSTOM), the test
// VCFs of vep-function/tests/data/custom in ClinVar's and gnomAD's conventions (values of
// recorded Ensembl answers at test positions; its SOURCE.md). The page shows a ClinVar and a
// frequency column, filters on them, lists every record in the detail panel and downloads them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";
import { MRPL39 } from "./expected.js";

const data = (name) => fileURLToPath(new URL(`../../../vep-function/tests/data/custom/${name}`, import.meta.url));
const VEP_CUSTOM = [
  `file=${data("clinvar.vcf.gz")},short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN`,
  `file=${data("gnomad.vcf.gz")},short_name=gnomAD,format=vcf,type=exact,fields=AF%AF_nfe`,
].join("\n");

// The ClinVar test record's allele (Pathogenic), the same site with another allele (no
// record), the site of the ClinVar/gnomAD records of rs699 (Benign|risk_factor, AF 0.5481),
// and a BRCA1 missense no source holds.
const PATHOGENIC = MRPL39.input;
const MISMATCH = "21 25585733 . C G";
const COMMON = "21 25585743 rs699 A G";
const UNKNOWN = "17 43106487 . A C";

let system;
let browser;
let session;
before(async () => {
  system = await startSystem("known-variants", {
    functionEnv: { VEP_CUSTOM },
    gatewayEnv: { VEP_CUSTOM },
  });
  browser = await launchBrowser();
  session = await openPage(browser, system.url);
  await waitConnected(session.page);
  await annotate(session.page, { lines: [PATHOGENIC, MISMATCH, COMMON, UNKNOWN] });
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

/** The known-variant cells of each row, by input. */
async function knownCells(page) {
  const cells = await page.locator("#results-body > tr[data-key]").evaluateAll((trs) =>
    trs.map((tr) => ({
      input: tr.querySelector("td.variant").textContent.trim(),
      clinvar: tr.querySelector("td.clinvar").textContent.trim(),
      clinvarTitle: tr.querySelector("td.clinvar").title,
      af: tr.querySelector("td.frequency").textContent.trim(),
    })),
  );
  return Object.fromEntries(cells.map((c) => [c.input, c]));
}

async function select(label, value) {
  await session.page.getByLabel(label, { exact: true }).selectOption(value);
}

test("the ClinVar and frequency columns show the matching allele's records only", async () => {
  const { page } = session;
  const classes = await page.locator("#results").evaluate((t) => [...t.classList]);
  assert.ok(!classes.includes("no-clinvar") && !classes.includes("no-frequency"), classes.join(" "));
  assert.ok(await page.locator("th.clinvar").isVisible());
  assert.ok(await page.locator("th.frequency").isVisible());
  const cells = await knownCells(page);
  assert.equal(cells[PATHOGENIC].clinvar, "Pathogenic");
  assert.equal(cells[PATHOGENIC].clinvarTitle, "ClinVar 11236");
  assert.equal(cells[PATHOGENIC].af, "");
  assert.equal(cells[MISMATCH].clinvar, "", "another allele at the site has no ClinVar record");
  assert.equal(cells[COMMON].clinvar, "Benign | risk factor");
  assert.equal(cells[COMMON].af, "0.548");
  assert.equal(cells[UNKNOWN].clinvar, "");
  assert.equal(cells[UNKNOWN].af, "");
  assertNoProblems(session.problems);
});

test("filters keep ClinVar pathogenic variants, and rare or unknown ones", async () => {
  const { page } = session;
  await select("ClinVar", "pathogenic");
  assert.deepEqual((await rows(page)).map((r) => r.input), [PATHOGENIC]);
  assert.match(await page.locator("#result-count").textContent(), /1 of 4 variants/);
  await select("ClinVar", "");
  await select("Frequency", "rare");
  assert.deepEqual(await rows(page), [], "no test variant has a known AF below 0.01");
  await select("Frequency", "rare-or-absent");
  assert.deepEqual((await rows(page)).map((r) => r.input).sort(), [PATHOGENIC, MISMATCH, UNKNOWN].sort());
  await select("ClinVar", "pathogenic");
  assert.deepEqual((await rows(page)).map((r) => r.input), [PATHOGENIC]);
  await page.getByRole("button", { name: "Clear filters" }).click();
  assert.equal((await rows(page)).length, 4);
});

test("the detail panel lists every record of every source with all its fields", async () => {
  const { page } = session;
  const row = rowFor(await rows(page), COMMON);
  await page.locator(`#results-body > tr[data-key="${row.key}"] button.link`).click();
  const panel = page.locator("#detail");
  await panel.waitFor({ state: "visible" });
  await panel.getByRole("heading", { name: "Known variants" }).waitFor();
  const known = await panel.locator("div.known").evaluateAll((divs) =>
    divs.map((d) => {
      const dts = [...d.querySelectorAll("dt")].map((x) => x.textContent);
      const dds = [...d.querySelectorAll("dd")].map((x) => x.textContent);
      return { source: d.dataset.source, fields: Object.fromEntries(dts.map((k, i) => [k, dds[i]])) };
    }),
  );
  assert.deepEqual(known, [
    {
      source: "ClinVar",
      fields: { record: "18068", matched: "allele G", CLNSIG: "Benign | risk factor", FILTER: "." },
    },
    {
      source: "gnomAD",
      fields: { record: "rs699", matched: "allele G", AF: "0.5481", AF_nfe: "0.4197", FILTER: "PASS" },
    },
  ]);
  await page.getByRole("button", { name: "Close" }).click();
});

async function saveDownload(buttonName) {
  const { page } = session;
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: buttonName }).click(),
  ]);
  assert.equal(await download.failure(), null);
  return readFile(await download.path(), "utf8");
}

test("downloads carry the custom sources' columns", async () => {
  const tsv = await saveDownload("TSV");
  const [header, ...lines] = tsv.trimEnd().split("\n");
  const columns = header.split("\t");
  for (const name of ["ClinVar", "ClinVar_CLNSIG", "gnomAD", "gnomAD_AF", "gnomAD_AF_nfe"]) {
    assert.ok(columns.includes(name), `${name} in ${header}`);
  }
  const cell = (line, name) => line.split("\t")[columns.indexOf(name)];
  const pathogenic = lines.filter((l) => l.includes("\t25585733\t") && l.includes("\tC/T\t"));
  assert.ok(pathogenic.length > 0, tsv);
  assert.ok(pathogenic.every((l) => cell(l, "ClinVar_CLNSIG") === "Pathogenic" && cell(l, "ClinVar") === "11236"));
  const vcf = await saveDownload("VCF with CSQ");
  assert.match(vcf, /Format: [^"]*\|MANE_SELECT\|ClinVar\|ClinVar_CLNSIG\|gnomAD\|gnomAD_AF\|gnomAD_AF_nfe">/);
  const record = vcf.split("\n").find((l) => l.startsWith("21\t25585743\t"));
  assert.match(record, /\|18068\|Benign%7Crisk_factor\|rs699\|0\.5481\|0\.4197(,|$)/);
  const json = JSON.parse(await saveDownload("JSON (VEP)"));
  const common = json.find((a) => a.start === 25585743);
  assert.deepEqual(common.custom_annotations.gnomAD, [
    { allele: "G", fields: { AF: 0.5481, AF_nfe: 0.4197, FILTER: "PASS" }, name: "rs699" },
  ]);
});
