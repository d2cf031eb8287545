import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { ARTIFACTS, startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { assertNoProblems, waitConnected } from "../lib/ui.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
// The size issue #9 names: 100k variants through the browser, gateway and function.
const N = 100000;

let system;
let browser;
let dir;
let vcfPath;
before(async () => {
  // Deterministic: the benchmark's generator, REF from the bundled chr21 reference.
  const data = join(ROOT, "vep-function", "data", "chr21");
  const vcf = execFileSync(
    "python3",
    [
      join(ROOT, "bench", "gen_variants.py"),
      join(data, "GRCh38.chr21.vep_test_region.fa.gz"),
      join(data, "covered_regions.bed"),
      String(N),
      "11",
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  dir = mkdtempSync(join(tmpdir(), "upload-spec-"));
  vcfPath = join(dir, "calls.vcf");
  writeFileSync(vcfPath, vcf);
  system = await startSystem("upload");
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a 100k-variant VCF file uploads with a moving progress bar and downloads annotated", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await page.setInputFiles("#upload-file", vcfPath);
  await page.getByRole("button", { name: "Upload VCF" }).click();

  const item = page.locator("#analyses li.analysis").first();
  const bar = item.locator("progress");
  const values = [];
  const deadline = Date.now() + 150000;
  for (;;) {
    const state = await item.getAttribute("data-state");
    const value = Number(await bar.getAttribute("value"));
    const max = Number(await bar.getAttribute("max"));
    values.push({ value, max });
    if (state === "complete") break;
    assert.notEqual(state, "failed", await item.textContent());
    assert.ok(Date.now() < deadline, `not complete: ${await item.textContent()}`);
    await page.waitForTimeout(40);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator("#analyses").screenshot({ path: join(ARTIFACTS, "upload-complete.png") });
  const last = values[values.length - 1];
  assert.deepEqual(last, { value: N, max: N });
  const partial = new Set(values.filter((v) => v.value > 0 && v.value < N && v.max === N).map((v) => v.value));
  assert.ok(partial.size >= 2, `the bar should move through partial values: ${JSON.stringify([...partial])}`);
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i].value >= values[i - 1].value, "progress never goes back");
  }
  assert.match(await item.locator(".analysis-counts").textContent(), new RegExp(`${N} of ${N} variants done`));

  async function save(name) {
    const [download] = await Promise.all([page.waitForEvent("download"), item.getByRole("link", { name }).click()]);
    assert.equal(await download.failure(), null);
    return { name: download.suggestedFilename(), text: readFileSync(await download.path(), "utf8") };
  }
  const vcf = await save("Annotated VCF");
  assert.match(vcf.name, /\.vcf$/);
  const lines = vcf.text.split("\n").filter((l) => l !== "");
  assert.ok(lines.some((l) => l.startsWith("##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|")));
  const records = lines.filter((l) => !l.startsWith("#"));
  assert.equal(records.length, N);
  assert.ok(records.every((r) => /\t(CSQ=|[^\t]*;CSQ=|VEP_ERROR=)/.test(r)));

  const tsv = await save("TSV");
  assert.match(tsv.text.split("\n")[0], /^#Uploaded_variation\tLocation\tAllele\tGene/);
  assertNoProblems(problems);
  await context.close();
});

test("an upload with a malformed line is refused naming the line, nothing runs", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  const bad = join(dir, "bad.vcf");
  writeFileSync(bad, "##fileformat=VCFv4.2\n21\t25585733\t.\tC\tT\n21\tnot-a-pos\t.\tC\tT\n");
  await page.setInputFiles("#upload-file", bad);
  await page.getByRole("button", { name: "Upload VCF" }).click();
  const item = page.locator('#analyses li.analysis[data-state="failed"]').first();
  await item.waitFor({ timeout: 15000 });
  assert.match(await item.textContent(), /invalid_vcf: line 3: POS "not-a-pos" is not a positive integer/);
  // The 400 of the refused upload is logged by Chromium as a failed resource load.
  assertNoProblems(problems.filter((p) => !/status of 400/.test(p)));
  await context.close();
});
