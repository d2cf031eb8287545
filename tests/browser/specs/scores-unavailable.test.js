// A configured remote model that is down: the result still arrives, and the page says
// "score unavailable" with the function's reason instead of hiding the model.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { freePort, startSystem } from "../lib/system.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rowFor, rows, waitConnected } from "../lib/ui.js";

let system;
let browser;
before(async () => {
  // Nothing listens on this loopback port: every request to the model is refused.
  const downPort = await freePort();
  const models = [
    { name: "missense-lr", url: `http://127.0.0.1:${downPort}`, inputs: ["blosum62", "grantham"] },
  ];
  system = await startSystem("scores-unavailable", {
    functionEnv: {
      SCORING_MODELS: JSON.stringify(models),
      SCORING_ATTEMPTS: "1",
      SCORING_FIRST_TIMEOUT_MS: "2000",
      SCORING_TIMEOUT_MS: "2000",
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

test("a model that is down shows 'score unavailable' with its reason beside BLOSUM62 and Grantham", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await annotate(page, { lines: ["21 25587788 . G C"] });
  const row = rowFor(await rows(page), "21 25587788 . G C");
  assert.equal(row.consequence, "missense_variant");
  const cell = await page.locator(`#results-body tr[data-key="${row.key}"] td.scores`).textContent();
  assert.match(cell, /BLOSUM62: 1; Grantham: 58; Condel: not applicable; missense-lr: score unavailable/);

  await page.locator("#results-body button.link").first().click();
  const panel = page.locator("#detail");
  await panel.waitFor({ state: "visible" });
  const dd = panel.locator("dl.predictions dd.score-missing", { hasText: /^score unavailable/ }).first();
  const text = await dd.textContent();
  assert.match(text, /^score unavailable: \S/, "the reason follows");
  assert.doesNotMatch(text, /score unavailable: score unavailable/);
  assertNoProblems(problems);
  await context.close();
});
