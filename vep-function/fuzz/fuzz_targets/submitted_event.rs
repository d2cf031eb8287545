//! CloudEvent data decoding: arbitrary JSON bodies in a submitted event.
#![no_main]

use cloudevents::{EventBuilder, EventBuilderV10};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = EventBuilderV10::new()
        .id("fuzz")
        .ty(vep::events::TYPE_SUBMITTED)
        .source("urn:fuzz")
        .extension(vep::events::EXT_SESSION, "s")
        .extension(vep::events::EXT_ANALYSIS, "a")
        .data("application/json", data.to_vec())
        .build()
    else {
        return;
    };
    let _ = vep::events::decode_submitted(&event);
});
