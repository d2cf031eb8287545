import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { ARTIFACTS, startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";
import { BRCA1, MRPL39 } from "./expected.js";

let system;
let browser;
before(async () => {
  system = await startSystem("annotate");
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

test("the chr21 example comes back as a MRPL39 missense row with a MODERATE badge", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  const item = await annotate(page, { example: "chr21: MRPL39 missense" });
  assert.match(await item.locator(".analysis-counts").textContent(), /1 of 1 variant done/);
  const row = rowFor(await rows(page), MRPL39.input);
  assert.equal(row.consequence, MRPL39.consequence);
  assert.match(row.gene, new RegExp(`\\b${MRPL39.gene}\\b`));
  assert.equal(row.impact, "MODERATE");
  const badge = page.locator(`#results-body tr[data-key="${row.key}"] .badge`);
  assert.equal(await badge.textContent(), "MODERATE");
  assertNoProblems(problems);
  await context.close();
});

test("the BRCA1 examples match Ensembl VEP's consequences and MANE HGVS, MANE transcript first", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await annotate(page, { example: "BRCA1: six known variants" });
  const all = await rows(page);
  assert.equal(all.length, BRCA1.length);
  for (const want of BRCA1) {
    const row = rowFor(all, want.input);
    assert.equal(row.consequence, want.consequence, want.input);
    assert.match(row.gene, /\bBRCA1\b/, want.input);
    assert.match(row.transcript, /^NM_007294\.4 MANE Select/, want.input);
    // Shown without the accession the Transcript column already names; whole in the title.
    assert.equal(row.hgvscFull, want.hgvsc, want.input);
    assert.equal(row.hgvsc, want.hgvsc.replace("NM_007294.4:", ""), want.input);
    // The bundled GFF3 names the protein NP_009225 without a version (SOURCE.md).
    assert.match(row.hgvspFull, new RegExp(`^NP_009225(\\.\\d+)?:${want.hgvsp}$`), want.input);
    assert.equal(row.hgvsp, want.hgvsp, want.input);
  }
  // Stop-gained and frameshift rows carry the HIGH badge.
  for (const r of all) {
    const high = r.consequence === "stop_gained" || r.consequence === "frameshift_variant";
    assert.equal(r.impact, high ? "HIGH" : "MODERATE", r.input);
  }

  // Other transcripts are one click away, and collapse again.
  const first = page.locator("#results-body > tr[data-key]").first();
  const expand = first.locator("button.expand");
  await expand.click();
  const others = await page.locator("#results-body > tr.other-transcript").count();
  assert.ok(others >= 1, "expanding shows the other BRCA1 transcripts");
  assert.equal(await first.locator("button.expand").getAttribute("aria-expanded"), "true");
  await first.locator("button.expand").click();
  assert.equal(await page.locator("#results-body > tr.other-transcript").count(), 0);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "finished-analysis.png"), fullPage: true });
  assertNoProblems(problems);
  await context.close();
});

test("the HGVS example (BRCA1 C61G, given as g.) gives the same answer as its VCF line", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await annotate(page, { example: "HGVS: BRCA1 C61G" });
  const [row] = await rows(page);
  const c61g = BRCA1.find((b) => b.hgvsp === "p.Cys61Gly");
  assert.equal(row.input, "17:g.43106487A>C");
  assert.equal(row.consequence, c61g.consequence);
  assert.equal(row.hgvscFull, c61g.hgvsc);
  assert.equal(row.hgvsp, c61g.hgvsp);
  assertNoProblems(problems);
  await context.close();
});

test("the detail panel opens from the keyboard, lists every field and closes with Escape", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await annotate(page, { example: "chr21: MRPL39 missense" });
  const link = page.locator("#results-body button.link").first();
  await link.focus();
  await page.keyboard.press("Enter");
  const panel = page.locator("#detail");
  await panel.waitFor({ state: "visible" });
  assert.equal(await page.evaluate(() => document.activeElement.id), "detail-title");
  const terms = await panel.locator("dt").allTextContents();
  for (const field of ["input", "seq_region_name", "start", "allele_string", "most_severe_consequence", "transcript_id", "consequence_terms", "impact"]) {
    assert.ok(terms.includes(field), `detail panel lists ${field}`);
  }
  await panel.screenshot({ path: join(ARTIFACTS, "detail-panel.png") });
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement.className), "link");
  assertNoProblems(problems);
  await context.close();
});

test("a loaded VCF file is reduced to its variant columns and annotated", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  const vcf = [
    "##fileformat=VCFv4.2",
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    "21\t25585733\trs1\tC\tT\t50\tPASS\tDP=10",
    "17\t43106487\t.\tA\tC\t.\t.\t.",
    "",
  ].join("\n");
  await page.getByLabel(/load a VCF file/).setInputFiles({
    name: "sample.vcf",
    mimeType: "text/plain",
    buffer: Buffer.from(vcf),
  });
  await page.locator("#file-info", { hasText: "2 variant lines loaded" }).waitFor();
  assert.equal(await page.locator("#variants").inputValue(), "21 25585733 rs1 C T\n17 43106487 . A C");
  await page.getByRole("button", { name: "Annotate" }).click();
  await page.locator('#analyses > li[data-state="complete"]').waitFor({ timeout: 30000 });
  const all = await rows(page);
  assert.equal(rowFor(all, "21 25585733 rs1 C T").consequence, "missense_variant");
  assert.equal(rowFor(all, "17 43106487 . A C").consequence, "missense_variant");
  assertNoProblems(problems);
  await context.close();
});
