//! NCBI RefSeq GFF3 gene model loading from arbitrary bytes: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vep::engine::models::loaders::refseq::read(data);
});
