// Debian's chromium driven by playwright-core. Each test gets a fresh browser context (no
// cookies, storage or cache from another test); the browser itself starts with Playwright's
// new, empty temporary profile.
import { chromium } from "playwright-core";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    timeout: 60000,
  });
}

/**
 * A page in a new context, recording what must never happen: uncaught script errors,
 * console errors (CSP violations are reported there), and dialogs (alert() from injected code).
 */
export async function openPage(browser, url) {
  const context = await browser.newContext({
    acceptDownloads: true,
    viewport: { width: 1366, height: 768 },
  });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A dropped WebSocket is logged by Chromium itself; that is expected in reconnect tests.
    if (m.type() === "error" && !/WebSocket connection to .* failed/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on("dialog", async (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  await page.goto(url);
  return { context, page, problems };
}
