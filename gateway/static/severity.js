// How severe a consequence is, in the order Ensembl VEP ranks Sequence Ontology terms
// (most severe first). Used to pick what a row shows first and to sort by consequence.
const CONSEQUENCE_ORDER = [
  "transcript_ablation",
  "splice_acceptor_variant",
  "splice_donor_variant",
  "stop_gained",
  "frameshift_variant",
  "stop_lost",
  "start_lost",
  "transcript_amplification",
  "feature_elongation",
  "feature_truncation",
  "inframe_insertion",
  "inframe_deletion",
  "missense_variant",
  "protein_altering_variant",
  "splice_donor_5th_base_variant",
  "splice_region_variant",
  "splice_donor_region_variant",
  "splice_polypyrimidine_tract_variant",
  "incomplete_terminal_codon_variant",
  "start_retained_variant",
  "stop_retained_variant",
  "synonymous_variant",
  "coding_sequence_variant",
  "mature_miRNA_variant",
  "5_prime_UTR_variant",
  "3_prime_UTR_variant",
  "non_coding_transcript_exon_variant",
  "intron_variant",
  "NMD_transcript_variant",
  "non_coding_transcript_variant",
  "coding_transcript_variant",
  "upstream_gene_variant",
  "downstream_gene_variant",
  "TFBS_ablation",
  "TFBS_amplification",
  "TF_binding_site_variant",
  "regulatory_region_ablation",
  "regulatory_region_amplification",
  "regulatory_region_variant",
  "intergenic_variant",
  "sequence_variant",
];

export const IMPACTS = ["HIGH", "MODERATE", "LOW", "MODIFIER"];

/** Lower is more severe; unknown terms sort after every known one. */
export function consequenceRank(term) {
  const i = CONSEQUENCE_ORDER.indexOf(term);
  return i === -1 ? CONSEQUENCE_ORDER.length : i;
}

/** Lower is more severe; a missing or unknown impact sorts last. */
export function impactRank(impact) {
  const i = IMPACTS.indexOf(impact);
  return i === -1 ? IMPACTS.length : i;
}

/** The most severe of a list of consequence terms (undefined for an empty list). */
export function worstTerm(terms) {
  let best;
  for (const t of terms || []) {
    if (best === undefined || consequenceRank(t) < consequenceRank(best)) best = t;
  }
  return best;
}
