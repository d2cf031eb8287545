// The page's own modules (gateway/static/*.js) run in Node here: the row model and the
// download formats, on real recorded Ensembl VEP responses (fixtures/SOURCE.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";

import { ResultStore } from "../../../gateway/static/results.js";
import { parseVariants, describeProblem } from "../../../gateway/static/input.js";
import { toJson, toTsv, toVcf } from "../../../gateway/static/export.js";
import { referenceLabel } from "../../../gateway/static/reference.js";

const fixture = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));
const DMD = fixture("grch38_region_get_X-31180437-C-T_missense_refseq_first_element.json");
const LMNA = fixture("grch38_region_get_1-156114921-ins-A_frameshift_refseq_first_element.json");

function storeWith(...annotations) {
  const store = new ResultStore();
  const analysis = { requestId: "r1", seq: 1 };
  annotations.forEach((a, i) => assert.equal(store.addAnnotation(analysis, { ...a, input_index: i }), true));
  return { store, analysis };
}

test("a row shows the MANE Select transcript first, its HGVS and its predictions", () => {
  const { store } = storeWith(DMD);
  const [row] = store.all();
  assert.equal(row.primary.mane_select, "ENST00000357033.9");
  assert.equal(row.primary.hgvsc, "NM_004006.3:c.10019G>A");
  assert.equal(row.consequence, "missense_variant");
  assert.equal(row.impact, "MODERATE");
  assert.deepEqual(row.genes, ["DMD"]);
  assert.deepEqual(
    row.scores.map((s) => s.name).sort(),
    ["polyphen_prediction", "polyphen_score", "sift_prediction", "sift_score"],
  );
  assert.equal(row.transcripts.length, DMD.transcript_consequences.length);
});

test("the same variant delivered twice (a replay after resume) stays one row", () => {
  const { store, analysis } = storeWith(DMD);
  assert.equal(store.addAnnotation(analysis, { ...DMD, input_index: 0 }), false);
  assert.equal(store.addError(analysis, { input: "x", input_index: 0, code: "c", message: "m" }), false);
  assert.equal(store.all().length, 1);
});

test("JSON download is the VEP objects exactly as received", () => {
  const { store } = storeWith(DMD, LMNA);
  const out = JSON.parse(toJson(store.all()));
  assert.deepEqual(out, [{ ...DMD, input_index: 0 }, { ...LMNA, input_index: 1 }]);
});

test("VCF download writes a substitution and reports an insertion it cannot place", () => {
  const { store } = storeWith(DMD, LMNA);
  const { text, skipped } = toVcf(store.all());
  // LMNA is "-/A" given in Ensembl format: VCF needs the preceding reference base, which the
  // annotation does not carry, so it is left out and counted rather than invented.
  assert.equal(skipped, 1);
  const records = text.trimEnd().split("\n").filter((l) => !l.startsWith("#"));
  assert.equal(records.length, 1);
  const [chrom, pos, id, ref, alt, , , info] = records[0].split("\t");
  assert.deepEqual([chrom, pos, id, ref, alt], ["X", "31180437", DMD.id, "C", "T"]);
  const entries = info.replace(/^CSQ=/, "").split(",");
  assert.equal(entries.length, DMD.transcript_consequences.length);
  const mane = entries.find((e) => e.includes("NM_004006.3"));
  assert.match(mane, /^T\|missense_variant\|MODERATE\|DMD\|1756\|Transcript\|NM_004006\.3\|protein_coding\|69\/79\|\|NM_004006\.3:c\.10019G>A\|/);
  assert.match(mane, /\|YES\|ENST00000357033\.9$/);
});

test("TSV download has one line per transcript and marks the one shown", () => {
  const { store } = storeWith(DMD);
  const [header, ...lines] = toTsv(store.all()).trimEnd().split("\n").map((l) => l.split("\t"));
  assert.equal(lines.length, DMD.transcript_consequences.length);
  const shown = lines.filter((l) => l[header.indexOf("shown_first")] === "yes");
  assert.equal(shown.length, 1);
  assert.equal(shown[0][header.indexOf("transcript_id")], "NM_004006.3");
  assert.match(shown[0][header.indexOf("scores")], /sift_score=0;.*polyphen_score=0\.991/);
});

test("input checks accept VCF, Ensembl and HGVS lines and name what is wrong with others", () => {
  const { variants, problems } = parseVariants(
    "##fileformat=VCFv4.2\n21\t25585733\trs1\tC\tT\t.\tPASS\t.\nX 31180437 31180437 C/T 1\n17:g.43106487A>C\n\n17 43106487 . A X\n",
  );
  assert.deepEqual(variants, ["21 25585733 rs1 C T", "X 31180437 31180437 C/T 1", "17:g.43106487A>C"]);
  assert.deepEqual(problems.map(describeProblem), [
    'Line 6: "17 43106487 . A X" has an ALT that is not bases, *, . or a symbolic allele like <DEL>.',
  ]);
  const tooMany = parseVariants(Array(4).fill("21 25585733 . C T").join("\n"), 3);
  assert.match(describeProblem(tooMany.problems[0]), /^4 variants: one analysis takes at most 3\./);
});

test("the reference label names assembly, source, release and transcript count, or nothing", () => {
  assert.equal(
    referenceLabel({ assembly: "GRCh38", source: "ensembl", release: "115", transcripts: 252913 }),
    "GRCh38 · Ensembl 115 · 252,913 transcripts",
  );
  assert.equal(
    referenceLabel({ assembly: "GRCh38", source: "refseq", release: "RS_2024_08" }),
    "GRCh38 · RefSeq RS_2024_08",
  );
  assert.equal(referenceLabel(undefined), "");
  assert.equal(referenceLabel({ source: "ensembl" }), "");
});

test("ClinVar's pathogenic and likely pathogenic terms pass the ClinVar filter, others not", async () => {
  const { isPathogenic, readableSignificance } = await import("../../../gateway/static/custom.js");
  const clinvar = (...significance) => ({ source: "ClinVar", significance, names: ["1"] });
  for (const yes of ["Pathogenic", "Likely_pathogenic", "Pathogenic/Likely_pathogenic", "Pathogenic|risk_factor", "Likely_pathogenic,_low_penetrance"]) {
    assert.equal(isPathogenic(clinvar(yes)), true, yes);
  }
  for (const no of ["Benign|risk_factor", "Uncertain_significance", "Conflicting_classifications_of_pathogenicity", "not_provided"]) {
    assert.equal(isPathogenic(clinvar(no)), false, no);
  }
  assert.equal(isPathogenic(null), false);
  assert.equal(readableSignificance("Pathogenic/Likely_pathogenic|risk_factor"), "Pathogenic / Likely pathogenic | risk factor");
});

test("the frequency filter compares a known AF with 0.01 and can count unknown variants in", async () => {
  const { passesFrequency, frequencyOf, formatFrequency } = await import("../../../gateway/static/custom.js");
  const row = (af) => ({ annotation: {}, frequency: af === null ? null : { source: "gnomAD", af } });
  assert.equal(passesFrequency(row(0.005), "rare"), true);
  assert.equal(passesFrequency(row(0.01), "rare"), false);
  assert.equal(passesFrequency(row(null), "rare"), false);
  assert.equal(passesFrequency(row(null), "rare-or-absent"), true);
  assert.equal(passesFrequency({ annotation: null, frequency: null }, "rare-or-absent"), false, "an error row has no frequency to judge");
  assert.equal(passesFrequency(row(0.5), ""), true);
  const annotation = { custom_annotations: { gnomAD: [{ name: "rs699", allele: "G", fields: { AF: 0.5481 } }] } };
  assert.deepEqual(frequencyOf(annotation), { source: "gnomAD", af: 0.5481 });
  assert.equal(formatFrequency(0.5481), "0.548");
  assert.equal(formatFrequency(0.0000031), "3.1e−6");
});
