// A whole-genome reference for browser tests, made as a user makes one: the `mirror` binary
// (tests/src/bin/mirror.rs, built by `make build`) serves the bundled regions laid out like
// Ensembl's download tree, and `vep-function reference fetch` builds the directory from it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { BIN_DIR, freePort, launch, stop, waitReady } from "./system.js";

/** Fetches Ensembl release `release` from a loopback mirror into a temporary directory. */
export async function fetchReference(release = "115") {
  const work = mkdtempSync(join(tmpdir(), "browser-reference-"));
  const port = await freePort();
  const mirror = launch("mirror", ["--dir", join(work, "mirror"), "--port", String(port)], {}, "mirror");
  try {
    const base = `http://127.0.0.1:${port}/ensembl/`;
    await waitReady(`${base}release-${release}/gff3/homo_sapiens/CHECKSUMS`, mirror, "mirror", 60000);
    const dir = join(work, `GRCh38-ensembl-${release}`);
    const args = ["reference", "fetch", "--source", "ensembl", "--release", release, "--out", dir, "--base-url", base];
    execFileSync(join(BIN_DIR, "vep-function"), args, { stdio: ["ignore", "ignore", "pipe"], timeout: 120000 });
    return { dir, remove: () => rmSync(work, { recursive: true, force: true }) };
  } finally {
    await stop(mirror, "SIGTERM");
  }
}

/** The gateway settings `vep-function reference env [DIR]` prints, as an env object. */
export function gatewayEnvFor(dir) {
  const args = ["reference", "env", ...(dir ? [dir] : [])];
  const text = execFileSync(join(BIN_DIR, "vep-function"), args, { encoding: "utf8" });
  const env = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1).replace(/^'(.*)'$/, "$1").replace(/'\\''/g, "'");
  }
  return env;
}
