// Turns pasted text or a VCF file into the variant strings protocol v1 carries, and says,
// line by line, what is wrong before anything is sent. The annotator stays the authority:
// these checks only catch what it would certainly reject.
import { excerpt } from "./dom.js";

// Limits of protocol v1 (PROTOCOL.md); the session message overrides max_variants.
export const MAX_VARIANT_CHARS = 10000;
export const DEFAULT_MAX_VARIANTS = 1000;
// Files above this are for the batch path (issue #9), not a browser session.
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

const HGVS = /^[^\s:]+:[cgmnpr]\.\S+$/;
const BASES = /^[ACGTN]+$/i;
// Bases, deletions written as "*", "." for no ALT, or symbolic alleles such as <DEL>.
const ALT_ALLELE = /^([ACGTN]+|\*|\.|<[^<>\s]+>)$/i;

export const EXAMPLES = {
  chr21: {
    label: "chr21: MRPL39 missense",
    lines: ["21 25585733 . C T"],
  },
  brca1: {
    label: "BRCA1: six known variants",
    lines: [
      "17 43124027 . ACT A",
      "17 43057062 . T TG",
      "17 43106487 . A C",
      "17 43082434 . G A",
      "17 43063903 . G T",
      "17 43106478 . A C",
    ],
  },
  hgvs: {
    label: "HGVS: BRCA1 C61G",
    lines: ["17:g.43106487A>C"],
  },
};

// Ensembl's default format: CHROM START END REF/ALT [STRAND], "-" for an empty allele.
const ENSEMBL_ALLELES = /^[ACGTN-]+(\/[ACGTN-]+)+$/i;

function checkEnsembl(fields) {
  const [chrom, start, end, alleles, strand] = fields;
  if (!/^[1-9]\d*$/.test(start) || !/^\d+$/.test(end)) {
    return { problem: "has a START or END that is not a whole number (Ensembl format CHROM START END REF/ALT STRAND)" };
  }
  if (strand !== undefined && !["1", "-1", "+1"].includes(strand)) {
    return { problem: "has a STRAND that is not 1 or -1 (Ensembl format CHROM START END REF/ALT STRAND)" };
  }
  return { variant: [chrom, start, end, alleles, strand].filter((f) => f !== undefined).join(" ") };
}

/**
 * Checks one non-blank line. Returns { variant } (the string to send) or { problem }.
 * VCF data lines keep only CHROM POS ID REF ALT: the rest of a VCF row is not annotation input.
 */
export function checkLine(line) {
  if (line.length > MAX_VARIANT_CHARS) {
    return { problem: `is longer than ${MAX_VARIANT_CHARS} characters` };
  }
  const fields = line.split(/\s+/);
  if (fields.length === 1) {
    if (HGVS.test(line)) return { variant: line };
    return {
      problem:
        "is neither a VCF line (CHROM POS ID REF ALT) nor an HGVS notation such as 17:g.43106487A>C",
    };
  }
  if (ENSEMBL_ALLELES.test(fields[3] || "") && fields.length <= 5) return checkEnsembl(fields);
  if (fields.length < 5) {
    return { problem: `has ${fields.length} fields; a VCF line needs CHROM POS ID REF ALT` };
  }
  const [chrom, pos, id, ref, alt] = fields;
  if (!/^[1-9]\d*$/.test(pos)) return { problem: "has a POS that is not a positive whole number" };
  if (!BASES.test(ref)) return { problem: "has a REF that is not made of A, C, G, T or N" };
  if (!alt.split(",").every((a) => ALT_ALLELE.test(a))) {
    return { problem: "has an ALT that is not bases, *, . or a symbolic allele like <DEL>" };
  }
  return { variant: [chrom, pos, id, ref, alt].join(" ") };
}

/** The VCF columns of a line checkLine accepts as VCF, else null (HGVS, Ensembl format). */
export function vcfColumns(line) {
  const fields = String(line).trim().split(/\s+/);
  if (fields.length < 5 || ENSEMBL_ALLELES.test(fields[3])) return null;
  if (checkLine(fields.join(" ")).variant === undefined) return null;
  const [chrom, pos, id, ref, alt] = fields;
  return { chrom, pos: Number(pos), id, ref, alt };
}

/**
 * Splits text into variants. Blank lines and VCF header/comment lines (#...) are skipped.
 * Returns { variants, problems: [{ line, input, message }] }; nothing is sent while problems
 * is non-empty.
 */
export function parseVariants(text, maxVariants = DEFAULT_MAX_VARIANTS) {
  const variants = [];
  const problems = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const checked = checkLine(line);
    if (checked.variant !== undefined) variants.push(checked.variant);
    else problems.push({ line: i + 1, input: line, message: checked.problem });
  });
  if (variants.length === 0 && problems.length === 0) {
    problems.push({ line: 0, input: "", message: "Enter at least one variant, one per line." });
  } else if (variants.length > maxVariants) {
    problems.push({
      line: 0,
      input: "",
      message:
        `${variants.length} variants: one analysis takes at most ${maxVariants}. ` +
        "Split the input; large files will go through the batch upload.",
    });
  }
  return { variants, problems };
}

/** The message shown for one problem; the input is echoed (as text, never markup). */
export function describeProblem(p) {
  if (p.line === 0) return p.message;
  return `Line ${p.line}: "${excerpt(p.input)}" ${p.message}.`;
}

/**
 * Reads a VCF (or plain list) file into the text area's format: one CHROM POS ID REF ALT per
 * line, header lines dropped. Returns { text, dataLines, headerLines } or throws a typed Error.
 */
export async function readVcfFile(file) {
  if (file.size > MAX_FILE_BYTES) {
    throw new Error(
      `${file.name} is ${(file.size / 1048576).toFixed(1)} MiB; files over ` +
        `${MAX_FILE_BYTES / 1048576} MiB need the batch upload, which is not available yet.`,
    );
  }
  if (/\.gz$|\.bgz$/i.test(file.name)) {
    throw new Error(`${file.name} is compressed; load the uncompressed .vcf file.`);
  }
  const text = await file.text();
  const out = [];
  let headerLines = 0;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith("#")) {
      headerLines += 1;
      continue;
    }
    if (raw.trim() === "") continue;
    // VCF columns are tab-separated; keep the five that describe the variant.
    const cols = raw.includes("\t") ? raw.split("\t") : raw.trim().split(/\s+/);
    out.push(cols.length >= 5 ? cols.slice(0, 5).join(" ") : raw.trim());
  }
  return { text: out.join("\n"), dataLines: out.length, headerLines };
}
