// The system under test: the real vep-function and gateway binaries on free loopback ports,
// wired as `make run` wires them (gateway BROKER_URL -> function, K_SINK -> gateway events).
// Tests own the processes so they can kill and restart the gateway.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

import { startEventsTap } from "./events-tap.js";

export const BIN_DIR = process.env.BIN_DIR;
export const ARTIFACTS = process.env.ARTIFACTS_DIR;
if (!BIN_DIR || !ARTIFACTS) {
  throw new Error("BIN_DIR and ARTIFACTS_DIR must be set; run the tests through tests/browser/run.sh");
}

const started = new Set();
// A test process that ends for any reason takes its servers with it.
process.on("exit", () => {
  for (const child of started) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => process.exit(128 + (signal === "SIGINT" ? 2 : 15)));
}

/** `n` distinct free loopback ports: every listener stays open until all are chosen, so the
 * OS cannot hand the same port out twice (MLServer's ports once collided that way). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitReady(url, child, name, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} not ready at ${url} after ${timeoutMs} ms`);
}

/** One event signing key for every process this test file starts (as `make run` makes one). */
let keyFile = null;
function signingKeyFile() {
  if (!keyFile) {
    mkdirSync(join(ARTIFACTS, "keys"), { recursive: true });
    keyFile = join(ARTIFACTS, "keys", `event-signing-key-${process.pid}`);
    writeFileSync(keyFile, randomBytes(48), { mode: 0o600 });
  }
  return keyFile;
}

export function launch(name, args, env, logName) {
  const binary = join(BIN_DIR, name);
  if (!existsSync(binary)) throw new Error(`${binary} is not built; run make build first`);
  mkdirSync(join(ARTIFACTS, "logs"), { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, "logs", `${logName}.log`), { flags: "a" });
  const child = spawn(binary, args, {
    env: {
      PATH: process.env.PATH,
      RUST_LOG: process.env.BROWSER_RUST_LOG || "warn",
      EVENT_SIGNING_KEY_FILE: signingKeyFile(),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

export async function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

/**
 * Starts vep-function and a gateway; `logName` names their log files under ARTIFACTS/logs.
 * `functionEnv` adds settings to the function's environment (e.g. SCORING_MODELS),
 * `gatewayEnv` to the gateway's (e.g. REFERENCE_*).
 * `tapEvents`: the function's events pass through a recorder; `system.events` holds them.
 * `extraOrigins`: page origins the gateway accepts besides its own (e.g. a relay's).
 */
export async function startSystem(logName, { functionEnv = {}, gatewayEnv = {}, tapEvents = false, extraOrigins = [] } = {}) {
  const functionPort = await freePort();
  const gatewayPort = await freePort();
  const eventsPort = await freePort();
  const tap = tapEvents ? await startEventsTap(eventsPort) : null;
  const sinkPort = tap ? tap.port : eventsPort;
  const fn = launch(
    "vep-function",
    ["serve"],
    { ...functionEnv, PORT: String(functionPort), K_SINK: `http://127.0.0.1:${sinkPort}/` },
    `${logName}-vep-function`,
  );
  await waitReady(`http://127.0.0.1:${functionPort}/health/readiness`, fn, "vep-function");

  const system = {
    url: `http://127.0.0.1:${gatewayPort}/`,
    gateway: null,
    events: tap ? tap.events : null,
    async startGateway() {
      const gw = launch(
        "gateway",
        [],
        {
          ...gatewayEnv,
          PORT: String(gatewayPort),
          EVENTS_PORT: String(eventsPort),
          BROKER_URL: `http://127.0.0.1:${functionPort}/`,
          // The gateway checks a page's Origin against these, never against Host.
          PUBLIC_ORIGINS: [`http://127.0.0.1:${gatewayPort}`, `http://localhost:${gatewayPort}`, ...extraOrigins].join(","),
        },
        `${logName}-gateway`,
      );
      this.gateway = gw;
      await waitReady(`http://127.0.0.1:${gatewayPort}/q/health/ready`, gw, "gateway");
    },
    /** SIGKILL: the gateway vanishes without closing its sockets, as in a crash. */
    async killGateway() {
      await stop(this.gateway, "SIGKILL");
    },
    async stop() {
      await stop(this.gateway, "SIGTERM");
      await stop(fn, "SIGTERM");
      await tap?.close();
    },
  };
  await system.startGateway();
  return system;
}
