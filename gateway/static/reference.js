// The label of the reference the annotator serves, from the `session` frame's `reference`
// (gateway/PROTOCOL.md): "GRCh38 · Ensembl 115 · 252,913 transcripts".
const SOURCE_NAMES = { ensembl: "Ensembl", refseq: "RefSeq", bundled: "bundled regions", custom: "custom" };

/** Text for `reference`, or "" when the gateway does not say which reference is loaded. */
export function referenceLabel(reference) {
  if (!reference || typeof reference !== "object" || typeof reference.assembly !== "string") return "";
  const parts = [reference.assembly];
  const source = SOURCE_NAMES[reference.source] || String(reference.source || "");
  const release = typeof reference.release === "string" ? reference.release : "";
  const regions = typeof reference.regions === "string" ? ` (${reference.regions})` : "";
  const what = [source, release].filter(Boolean).join(" ") + regions;
  if (what) parts.push(what);
  if (Number.isSafeInteger(reference.transcripts)) {
    parts.push(`${reference.transcripts.toLocaleString("en-US")} transcripts`);
  }
  return parts.join(" · ");
}
