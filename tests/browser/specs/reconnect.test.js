import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { freePort, startSystem } from "../lib/system.js";
import { startRelay } from "../lib/proxy.js";
import { launchBrowser, openPage } from "../lib/browser.js";
import { annotate, assertNoProblems, rows, waitConnected } from "../lib/ui.js";
import { BRCA1, MRPL39 } from "./expected.js";

let system;
let browser;
let relayPort;
before(async () => {
  relayPort = await freePort();
  // The relay serves the page under another origin, which the gateway must be told about.
  system = await startSystem("reconnect", { extraOrigins: [`http://127.0.0.1:${relayPort}`] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

function assertUnique(all) {
  const keys = all.map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length, "no duplicate rows");
}

/** Counts the page's analyze frames and the types of the frames it receives. */
function watchFrames(page) {
  const seen = { sentAnalyze: 0, received: [], resumes: [], sessions: [] };
  const type = (payload) => {
    try {
      return JSON.parse(String(payload)).type;
    } catch {
      return "unreadable";
    }
  };
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => {
      if (type(payload) === "analyze") seen.sentAnalyze += 1;
      if (type(payload) === "resume") seen.resumes.push(JSON.parse(String(payload)));
    });
    ws.on("framereceived", ({ payload }) => {
      seen.received.push(type(payload));
      if (type(payload) === "session") seen.sessions.push(JSON.parse(String(payload)));
    });
  });
  return seen;
}

test("after the gateway is killed and restarted the page reconnects and keeps its rows once", async () => {
  const { page, problems, context } = await openPage(browser, system.url);
  await waitConnected(page);
  await annotate(page, { example: "chr21: MRPL39 missense" });
  const before = await rows(page);
  assert.deepEqual(before.map((r) => r.input), [MRPL39.input]);

  await system.killGateway();
  await page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 10000 });
  assert.match(await page.locator("#connection-text").textContent(), /reconnecting/i);
  assert.equal(await page.getByRole("button", { name: "Annotate" }).isDisabled(), true);

  await system.startGateway();
  // Backoff is capped at 15 s; the "Reconnect now" button skips the wait, as a user would.
  const retry = page.getByRole("button", { name: "Reconnect now" });
  // It hides once a reconnect succeeds, which may happen between the check and the click.
  if (await retry.isVisible()) await retry.click({ timeout: 3000 }).catch(() => {});
  // A restarted gateway without a shared store cannot resume the old session: the page ends
  // up in a new one (it may say "resumed" first, until the gateway reports the gap).
  await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 30000 });

  const after = await rows(page);
  assert.deepEqual(after, before, "rows shown before the restart are kept, unchanged");

  // The new session works, and its rows are added beside the old ones.
  await annotate(page, { example: "BRCA1: six known variants" });
  const all = await rows(page);
  assert.equal(all.length, 1 + BRCA1.length);
  assertUnique(all);
  assertNoProblems(problems);
  await context.close();
});

test("results sent while the connection was down arrive after it resumes, each row once", async () => {
  const relay = await startRelay(new URL(system.url).port, relayPort);
  try {
    const { page, problems, context } = await openPage(browser, relay.url);
    const frames = watchFrames(page);
    await waitConnected(page);
    await annotate(page, { example: "chr21: MRPL39 missense" });
    const before = await rows(page);

    // The gateway annotates and answers, but its frames die with the connection.
    relay.hold();
    await page.getByRole("button", { name: "BRCA1: six known variants" }).click();
    await page.getByRole("button", { name: "Annotate" }).click();
    await until(() => frames.sentAnalyze === 2 && relay.heldBytes() > 2000, "the gateway answered the held analysis");
    await page.waitForTimeout(500);
    relay.dropAll();
    await page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 10000 });
    await waitConnected(page, 20000);

    // The resume named the first session with its secret, which only sessionStorage held.
    const first = frames.sessions[0];
    assert.equal(typeof first.resume_secret, "string");
    assert.equal(frames.resumes.length >= 1, true, "the page asked to resume");
    assert.equal(frames.resumes[0].session_id, first.session_id);
    assert.equal(frames.resumes[0].resume_secret, first.resume_secret);
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem("gateway.session"),
      local: JSON.stringify(localStorage),
      text: document.body.innerText,
    }));
    assert.equal(stored.local.includes(first.resume_secret), false, "never in localStorage");
    assert.equal(stored.text.includes(first.resume_secret), false, "never shown");

    const second = page.locator('#analyses > li[data-seq="2"]');
    if (frames.received.includes("resumed")) {
      assert.equal(JSON.parse(stored.session).resume_secret, first.resume_secret);
      // The gateway resumed: the missed frames are replayed and shown once.
      assert.equal(await page.locator("#connection").getAttribute("data-state"), "resumed");
      await page.locator('#analyses > li[data-seq="2"][data-state="complete"]').waitFor({ timeout: 20000 });
    } else {
      // No resume: the page says the analysis was cut off, and submitting again recovers it.
      assert.equal(await page.locator("#connection").getAttribute("data-state"), "connected");
      await page.locator('#analyses > li[data-seq="2"][data-state="interrupted"]').waitFor();
      await second.getByRole("button", { name: "Submit again" }).click();
      await page.locator('#analyses > li[data-seq="3"][data-state="complete"]').waitFor({ timeout: 20000 });
    }
    const all = await rows(page);
    assert.equal(all.length, 1 + BRCA1.length);
    assertUnique(all);
    assert.deepEqual(all.filter((r) => r.input === MRPL39.input), before);
    assertNoProblems(problems);
    await context.close();
  } finally {
    await relay.close();
  }
});

async function until(check, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
