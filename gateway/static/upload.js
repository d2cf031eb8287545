// Large VCF files (plain or .gz) go to the gateway's REST API (gateway/API.md) as the request
// body: the browser streams the File from disk and the page never reads it into memory.
// Progress and completion come back as `progress`/`complete` frames on this page's
// WebSocket session (frames=progress: no per-variant results cross the socket); the
// annotated files are downloaded from the gateway.

export const RESULT_FORMATS = [
  { format: "vcf", label: "Annotated VCF" },
  { format: "tsv", label: "TSV" },
  { format: "jsonl", label: "JSON Lines" },
];

/**
 * POSTs `file`, attached to this page's session (its secret proves the page holds it);
 * resolves to the gateway's 202 body, rejects with a readable message.
 */
export async function uploadVcf(file, sessionId, sessionSecret, requestId) {
  const query = new URLSearchParams({ session: sessionId, request_id: requestId, frames: "progress" });
  let resp;
  try {
    resp = await fetch(`/api/analyses?${query}`, {
      method: "POST",
      body: file,
      headers: { "content-type": "application/octet-stream", "x-session-secret": sessionSecret || "" },
    });
  } catch (e) {
    throw new Error(`The upload did not reach the gateway: ${e instanceof Error ? e.message : e}`);
  }
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  if (!resp.ok) {
    throw new Error(
      body && body.code ? `${body.code}: ${body.message}` : `The gateway answered HTTP ${resp.status}.`,
    );
  }
  if (
    !body ||
    typeof body.analysis_id !== "string" ||
    typeof body.download_token !== "string" ||
    !Number.isInteger(body.variant_count)
  ) {
    throw new Error("The gateway's answer to the upload is not understood.");
  }
  return body;
}

/**
 * Download links of a finished upload. A link cannot send headers, so the upload's own
 * download token rides in the query (it grants reading this one analysis, nothing else;
 * the page sends no Referer).
 */
export function resultLinks(analysisId, downloadToken) {
  return RESULT_FORMATS.map(({ format, label }) => ({
    label,
    href: `/api/analyses/${encodeURIComponent(analysisId)}/results?${new URLSearchParams({
      format,
      token: downloadToken,
    })}`,
  }));
}
