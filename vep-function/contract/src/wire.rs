//! The compact encoding of `variants.annotated.v2` data (issue #18): the typed annotations
//! written once by the function and decoded once by the gateway, which renders VEP JSON,
//! VCF CSQ or TSV at the edge. What crosses the hops is not VEP JSON: one genome-scale
//! 1000-variant chunk is 6.5 MB of JSON, and every hop paid to build, parse or re-encode it.
//!
//! Layout (integers are LEB128 varints, signed ones zigzag; `str` is a varint length and
//! UTF-8 bytes; `ref` is a varint index into the part's string table):
//!
//! ```text
//! "GVA" 0x02                        magic and version
//! header   analysis_id str, session_id str, chunk_index, chunk_count, first_index,
//!          variant_count, part_index, part_count, annotator str (its JSON)
//! strings  count, then each str     the part's string table
//! entries  count, then each: 0x00 annotation object | 0x01 error
//! object   presence bitmask (bit i: field i of the type's field list, bit 63: `extra`),
//!          then each present field in declared order, then `extra` as JSON str
//! error    input_index, code ref, input str, message ref, allele: 0x00 | 0x01 ref
//! text     a field's text: ref, or str (`input`, `id`), or for HGVS a varint
//!          (ref of the part before the first `:`) << 1 | (1 if a `:` followed), then str
//! ```
//!
//! The field list of each annotation type is the one of `annotation::fields` (the same list
//! writes VEP JSON and reads Ensembl answers), so a new field reaches the wire with no other
//! change. Identifiers, symbols, biotypes, consequence terms, alleles and error messages
//! repeat within a part: they go to the string table once; the values that are unique per
//! row (the input, its ID) are written inline, and HGVS is split at its `:` (the versioned
//! transcript in the table, the change inline; `codec::text_policy`). Nested objects that only
//! remote backends produce (scores, sequence calls, pass-through fields) travel as JSON text.
//!
//! The decoder trusts nothing: every count is bounded by the bytes left, every reference by
//! the table, every string is checked UTF-8, and trailing bytes are an error.

mod codec;
mod part;

pub use codec::{Decoder, Encoder, WireError};
pub use part::{decode, decode_into, encode, scan, PartHeader, PartWriter, Scanned};

pub(crate) use codec::{skip_field, text_policy, Text, Wire, WireObject};

#[cfg(test)]
mod tests;
