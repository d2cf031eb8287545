// Sits between the function's K_SINK and the gateway's events port, keeping a copy of every
// CloudEvent the function sends. Tests compare what the page shows with the function's own
// JSON instead of with values written into the test.
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";

const ANNOTATED_V2 = "application/vnd.genomics.variants-annotated.v2";

/** An annotated.v2 part's compact data as JSON, decoded by the function's own CLI. */
function decodePart(body) {
  const out = spawnSync(join(process.env.BIN_DIR, "vep-function"), ["event", "decode"], { input: body });
  if (out.status !== 0) return null;
  return JSON.parse(out.stdout.toString("utf8"));
}

// Hop-by-hop headers belong to each connection, not to the event.
const HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length"]);

export async function startEventsTap(targetPort) {
  const events = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP.has(k)));
      let data = null;
      try {
        data = headers["content-type"] === ANNOTATED_V2 ? decodePart(body) : JSON.parse(body.toString("utf8"));
      } catch {
        // kept as null: a test looking for this event fails on it
      }
      events.push({ type: headers["ce-type"], data });
      try {
        const forwarded = await fetch(`http://127.0.0.1:${targetPort}${req.url}`, {
          method: req.method,
          headers,
          body,
          signal: AbortSignal.timeout(10000),
        });
        res.writeHead(forwarded.status, { "content-type": forwarded.headers.get("content-type") || "text/plain" });
        res.end(Buffer.from(await forwarded.arrayBuffer()));
      } catch (e) {
        // The function treats a 502 from its sink as "not delivered", as it would a dead broker.
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`events tap: gateway unreachable: ${e.message}`);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    events,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
