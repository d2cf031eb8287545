// A loopback stand-in for the Ensembl VEP REST server: answers the function's
// `POST /vep/{species}/region` with the real recorded objects whose `input` echoes a posted
// notation (as Ensembl does; what it does not know is left out). It records every request so a
// test can show the annotation really came through this path.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

/** `fixtures`: paths of recorded VEP objects (one object or an array per file). */
export async function startEnsemblStub(fixtures) {
  const byInput = new Map();
  for (const file of fixtures) {
    const parsed = JSON.parse(readFileSync(file, "utf8"));
    for (const o of Array.isArray(parsed) ? parsed : [parsed]) byInput.set(o.input, o);
  }
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const path = new URL(req.url, "http://stub").pathname;
      let posted = [];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        posted = body.variants ?? body.hgvs_notations ?? body.ids ?? [];
      } catch {
        // recorded below as an empty post; the answer is Ensembl's 400
      }
      requests.push({ method: req.method, path, posted });
      const reply = (status, value) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method !== "POST" || !/^\/vep\/[^/]+\/region$/.test(path)) {
        reply(404, { error: `page not found: ${req.method} ${path}` });
      } else if (!Array.isArray(posted) || posted.length === 0) {
        reply(400, { error: "no variants posted" });
      } else {
        reply(200, posted.filter((p) => byInput.has(p)).map((p) => byInput.get(p)));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
