// What a user does on the page, in test vocabulary.
import assert from "node:assert/strict";

export async function waitConnected(page, timeout = 15000) {
  await page.locator('#connection[data-state="connected"], #connection[data-state="resumed"]').waitFor({ timeout });
}

/** Pastes variants (or clicks an example), submits, and waits for that analysis to complete. */
export async function annotate(page, { lines, example }) {
  const before = await page.locator("#analyses > li.analysis").count();
  if (example) await page.getByRole("button", { name: example }).click();
  else await page.getByLabel(/One variant per line/).fill(lines.join("\n"));
  await page.getByRole("button", { name: "Annotate" }).click();
  const seq = before + 1;
  const item = page.locator(`#analyses > li[data-seq="${seq}"]`);
  await item.waitFor();
  await page.locator(`#analyses > li[data-seq="${seq}"][data-state="complete"]`).waitFor({ timeout: 30000 });
  return item;
}

/** The main rows (not expanded transcript rows) as plain objects read from the DOM. */
export async function rows(page) {
  return page.locator("#results-body > tr[data-key]").evaluateAll((trs) =>
    trs.map((tr) => {
      const text = (sel) => (tr.querySelector(sel)?.textContent || "").trim();
      return {
        key: tr.dataset.key,
        input: text("td.variant"),
        consequence: tr.dataset.consequence,
        impact: tr.dataset.impact,
        gene: text("td.gene"),
        transcript: text("td.transcript"),
        hgvsc: text("td.hgvs:nth-of-type(7)"),
        hgvsp: text("td.hgvs:nth-of-type(8)"),
        hgvscFull: tr.querySelector("td.hgvs:nth-of-type(7)")?.title || "",
        hgvspFull: tr.querySelector("td.hgvs:nth-of-type(8)")?.title || "",
      };
    }),
  );
}

export function rowFor(all, input) {
  const found = all.filter((r) => r.input === input);
  assert.equal(found.length, 1, `expected exactly one row for ${input}, got ${found.length}`);
  return found[0];
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, [], "the page reported errors or dialogs");
}
