//! The WebSocket protocol decoder on arbitrary text frames: a typed error, never a panic.
#![no_main]

use gateway::protocol::{decode, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decode(
            text,
            Limits {
                max_variants: 1000,
                max_frame_bytes: 1 << 20,
            },
        );
    }
});
