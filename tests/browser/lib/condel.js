// Condel (Gonzalez-Perez & Lopez-Bigas, Am J Hum Genet 88:440-449, 2011) computed here, in the
// test, from the published HumVar tables the function bundles: an independent check of the
// score the function reports. Per method, the weight is the probability that its call at that
// score is not an error (damaging call: 1 - P(true negative); tolerated: 1 - P(true positive));
// Condel = ((1 - SIFT)·w_SIFT + PolyPhen·w_PolyPhen) / 2 (the Ensembl plugin's formula 2),
// rounded to 3 decimals at the plugin's steps; 0.469 and above is "deleterious".
import { readFileSync } from "node:fs";

const DATA = new URL("../../../vep-function/data/scoring/", import.meta.url);
const DELETERIOUS_FROM = 0.469; // the paper's and the plugin's threshold

const r3 = (x) => Number(x.toFixed(3));
const read = (name) => readFileSync(new URL(name, DATA), "utf8");

/** score (as "0.123") -> { tp, tn } */
function table(name) {
  const rows = new Map();
  for (const line of read(name).split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3) rows.set(Number(f[0]).toFixed(3), { tp: Number(f[1]), tn: Number(f[2]) });
  }
  return rows;
}

function conf(key) {
  const line = read("condel_SP.conf")
    .split("\n")
    .find((l) => l.split("=")[0].trim() === key);
  if (!line) throw new Error(`condel_SP.conf has no ${key}`);
  return Number(line.split("=")[1].trim().replaceAll("'", ""));
}

export function bundledCondel() {
  const sift = table("sift.data");
  const polyphen = table("polyphen.data");
  const siftCutoff = conf("cutoff.HumVar.sift");
  const polyphenCutoff = conf("cutoff.HumVar.polyphen");
  const siftMax = conf("max.HumVar.sift");
  const polyphenMax = conf("max.HumVar.polyphen");
  const row = (t, score) => {
    const r = t.get(score.toFixed(3));
    if (!r) throw new Error(`no table row for ${score}`);
    return r;
  };
  return (siftScore, polyphenScore) => {
    const s = r3(siftScore);
    const p = r3(polyphenScore);
    const ws = s <= siftCutoff ? 1 - row(sift, s).tn : 1 - row(sift, s).tp;
    const wp = p >= polyphenCutoff ? 1 - row(polyphen, p).tn : 1 - row(polyphen, p).tp;
    const score = r3((r3((1 - s / siftMax) * ws) + r3((p / polyphenMax) * wp)) / 2);
    return { score, prediction: score >= DELETERIOUS_FROM ? "deleterious" : "neutral" };
  };
}
