//! Designed cases for the Ensembl VEP 115 rules of issue #20, one module per rule. Each module
//! states the rule and the VEP code it comes from next to its cases; the expected answers are
//! worked out by hand from that rule and the bundled reference (chr21 region, BRCA1), on both
//! strands, never copied from the engine's output.

#[path = "vep_rules/support.rs"]
mod support;

#[path = "vep_rules/inversions.rs"]
mod inversions;

#[path = "vep_rules/stop_in_protein_names.rs"]
mod stop_in_protein_names;

#[path = "vep_rules/duplications.rs"]
mod duplications;

#[path = "vep_rules/padded_start.rs"]
mod padded_start;

#[path = "vep_rules/stop_gained_insertions.rs"]
mod stop_gained_insertions;

#[path = "vep_rules/stop_retained.rs"]
mod stop_retained;
