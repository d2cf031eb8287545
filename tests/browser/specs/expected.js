// Known answers, from outside this project:
// - BRCA1: the table in /work/shared/data/brca1-grch38/SOURCE.md, produced by Ensembl VEP 115.2
//   run offline on the bundled FASTA and GFF3 (and matching literature / ClinVar names).
// - chr21 25585733 C>T: a missense variant in MRPL39 (Ensembl VEP on GRCh38).
export const MRPL39 = { input: "21 25585733 . C T", consequence: "missense_variant", gene: "MRPL39" };

export const BRCA1 = [
  { input: "17 43124027 . ACT A", consequence: "frameshift_variant", hgvsc: "NM_007294.4:c.68_69del", hgvsp: "p.Glu23ValfsTer17" },
  { input: "17 43057062 . T TG", consequence: "frameshift_variant", hgvsc: "NM_007294.4:c.5266dup", hgvsp: "p.Gln1756ProfsTer74" },
  { input: "17 43106487 . A C", consequence: "missense_variant", hgvsc: "NM_007294.4:c.181T>G", hgvsp: "p.Cys61Gly" },
  { input: "17 43082434 . G A", consequence: "stop_gained", hgvsc: "NM_007294.4:c.4327C>T", hgvsp: "p.Arg1443Ter" },
  { input: "17 43063903 . G T", consequence: "missense_variant", hgvsc: "NM_007294.4:c.5123C>A", hgvsp: "p.Ala1708Glu" },
  { input: "17 43106478 . A C", consequence: "missense_variant", hgvsc: "NM_007294.4:c.190T>G", hgvsp: "p.Cys64Gly" },
];
