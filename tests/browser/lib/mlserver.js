// A real MLServer (PyPI `mlserver` + `mlserver-sklearn`) on loopback, serving the small
// scikit-learn model `tests/mlserver/setup.sh` builds (inputs [blosum62, grantham], output
// predict_proba; a protocol fixture, not a predictor). Started and stopped by the test.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { ARTIFACTS, freePorts } from "./system.js";

export const MODEL = "missense-lr";
export const MODEL_VERSION = "v1";
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * The venv with MLServer and the model. Runs the project's idempotent set-up (quick when it
 * is already done); a set-up that fails stops the spec with its output.
 */
export function mlserverVenv() {
  const venv = process.env.MLSERVER_VENV || join(ROOT, ".artifacts/mlserver-venv");
  const setup = spawnSync("bash", [join(ROOT, "tests/mlserver/setup.sh")], {
    env: { ...process.env, MLSERVER_VENV: venv },
    encoding: "utf8",
    timeout: 20 * 60 * 1000,
  });
  if (setup.status !== 0) {
    throw new Error(
      `tests/mlserver/setup.sh failed (status ${setup.status}${setup.error ? `, ${setup.error.message}` : ""}); ` +
        `the MLServer venv is needed at ${venv}:\n${setup.stdout}\n${setup.stderr}`,
    );
  }
  for (const f of ["bin/mlserver", "model/model.joblib"]) {
    if (!existsSync(join(venv, f))) throw new Error(`${join(venv, f)} is missing after tests/mlserver/setup.sh`);
  }
  return venv;
}

const running = new Set();
// MLServer runs in its own process group; a test process that ends takes the group with it.
process.on("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

export async function startMlServer(venv, logName) {
  const dir = mkdtempSync(join(tmpdir(), "browser-mlserver-"));
  const [port, grpcPort, metricsPort] = await freePorts(3);
  writeFileSync(
    join(dir, "settings.json"),
    JSON.stringify({
      host: "127.0.0.1",
      http_port: port,
      grpc_port: grpcPort,
      metrics_port: metricsPort,
      // MLServer 1.7.1's parallel inference workers crash with current uvloop.
      parallel_workers: 0,
      debug: false,
    }),
  );
  mkdirSync(join(dir, MODEL));
  writeFileSync(
    join(dir, MODEL, "model-settings.json"),
    JSON.stringify({
      name: MODEL,
      implementation: "mlserver_sklearn.SKLearnModel",
      parameters: { uri: join(venv, "model/model.joblib"), version: MODEL_VERSION },
    }),
  );
  mkdirSync(join(ARTIFACTS, "logs"), { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, "logs", `${logName}-mlserver.log`), { flags: "a" });
  const child = spawn(join(venv, "bin/mlserver"), ["start", dir], {
    cwd: dir,
    detached: true, // its own process group, so stop() reaches any worker it forks
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  running.add(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", () => running.delete(child));

  const base = `http://127.0.0.1:${port}`;
  const ready = `${base}/v2/models/${MODEL}/versions/${MODEL_VERSION}/ready`;
  const deadline = Date.now() + 120000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mlserver exited (${child.exitCode ?? child.signalCode}) before it was ready; see logs/${logName}-mlserver.log`);
    }
    try {
      // Readiness is the status code, as the function judges it.
      if ((await fetch(ready, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      throw new Error(`mlserver not ready at ${ready} after 120 s; see logs/${logName}-mlserver.log`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    base,
    /** SIGTERM to the group, SIGKILL if it lingers; resolves once the server has exited. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 20000);
        await exited;
        clearTimeout(timer);
        killGroup(child, "SIGKILL"); // anything of the group that outlived its leader
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
