//! Any submitted text, parsed and annotated against the bundled data: no panic, and every
//! input gets annotations or a typed error.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vep::backend::LocalAnnotator;
use vep::config::{default_data_dir, EngineData};
use vep::service::Annotator;

fn annotator() -> &'static LocalAnnotator {
    static A: OnceLock<LocalAnnotator> = OnceLock::new();
    A.get_or_init(|| {
        LocalAnnotator::load(&EngineData::Bundled(default_data_dir()))
            .unwrap_or_else(|e| panic!("bundled data must load: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if text.len() <= 10_000 {
            let _ = annotator().annotate(text);
        }
    }
});
