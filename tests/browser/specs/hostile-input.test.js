import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";

let system;
let browser;
before(async () => {
  system = await startSystem("hostile-input");
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

const PAYLOAD = "<img src=x onerror=alert(1)>";
const COMPACT = "<img/src=x/onerror=alert(1)>"; // no spaces: survives as one VCF/HGVS field

async function noInjectedMarkup(page) {
  assert.equal(await page.locator("img, script:not([src]), iframe, svg").count(), 0, "no injected element");
}

test("a line of markup is refused before sending, echoed as text, and never runs", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await page.getByLabel(/One variant per line/).fill(PAYLOAD);
  await page.getByRole("button", { name: "Annotate" }).click();
  const message = page.locator("#validation li");
  await message.waitFor();
  assert.equal(
    await message.textContent(),
    `Line 1: "${PAYLOAD}" has 3 fields; a VCF line needs CHROM POS ID REF ALT.`,
  );
  assert.equal(await page.locator("#variants").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#analyses > li.analysis").count(), 0, "nothing was sent");
  await noInjectedMarkup(page);
  await page.waitForTimeout(300); // give an onerror handler time to fire, were there one
  assertNoProblems(problems);
  await context.close();
});

test("malformed VCF fields are named per line and nothing is sent", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await page.getByLabel(/One variant per line/).fill("21 25585733 . C T\n21 abc . C T\n\n17 43106487 . A");
  await page.getByRole("button", { name: "Annotate" }).click();
  await page.locator("#validation li").first().waitFor();
  assert.deepEqual(await page.locator("#validation li").allTextContents(), [
    'Line 2: "21 abc . C T" has a POS that is not a positive whole number.',
    'Line 4: "17 43106487 . A" has 4 fields; a VCF line needs CHROM POS ID REF ALT.',
  ]);
  assert.equal(await page.locator("#analyses > li.analysis").count(), 0);
  assertNoProblems(problems);
  await context.close();
});

test("server data carrying markup (echoed input, annotator errors) renders as text", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  const vcfLine = `21 25585733 ${COMPACT} C T`;
  const hgvsLine = `17:g.${COMPACT}`;
  await page.getByLabel(/One variant per line/).fill(`${vcfLine}\n${hgvsLine}`);
  await page.getByRole("button", { name: "Annotate" }).click();
  await page.locator('#analyses > li[data-state="complete"]').waitFor({ timeout: 30000 });

  const all = await rows(page);
  assert.equal(all.length, 2);
  // The annotation echoes the ID field back; it is shown verbatim.
  assert.equal(rowFor(all, vcfLine).consequence, "missense_variant");
  // The annotator cannot parse the HGVS line: its typed error is shown, not a made-up result.
  const failed = page.locator("#results-body tr.failed");
  assert.equal(await failed.count(), 1);
  assert.equal(await failed.locator("td.variant").textContent(), hgvsLine);
  assert.match(await failed.locator("td.consequence").textContent(), /^Not annotated \(\w+\): ./);

  await page.locator("#results-body button.link", { hasText: vcfLine }).click();
  assert.equal(await page.locator("#detail-title").textContent(), `Variant ${vcfLine}`);
  await page.keyboard.press("Escape");
  await page.locator("#results-body button.link", { hasText: hgvsLine }).click();
  assert.equal(await page.locator("#detail-title").textContent(), `Variant ${hgvsLine}`);

  await noInjectedMarkup(page);
  await page.waitForTimeout(300);
  assertNoProblems(problems);
  await context.close();
});

test("the page is served with a strict Content-Security-Policy", async () => {
  const res = await fetch(system.url);
  const csp = res.headers.get("content-security-policy");
  assert.match(csp, /script-src 'self';/);
  assert.match(csp, /style-src 'self';/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]|\sstyle=|\son[a-z]+=/i, "no inline script, style or handler");
});
