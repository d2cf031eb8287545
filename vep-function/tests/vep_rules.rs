//! Designed cases for the Ensembl VEP 115 rules of issue #20, one module per rule. Each module
//! states the rule and the VEP code it comes from next to its cases; the expected answers are
//! worked out by hand from that rule and the bundled reference (chr21 region, BRCA1), on both
//! strands, never copied from the engine's output.

#[path = "vep_rules/support.rs"]
mod support;

#[path = "vep_rules/inversions.rs"]
mod inversions;
