//! The real recorded Ensembl VEP REST answers in `tests/data/ensembl-rest`, for the tests that
//! serve them from a loopback server.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// Every recorded VEP object, by the `input` it echoes.
pub fn recordings() -> HashMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ensembl-rest");
    let mut by_input = HashMap::new();
    for entry in std::fs::read_dir(&dir).expect("recordings directory") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("recording");
        let objects = match serde_json::from_str(&text).expect("recorded JSON") {
            Value::Array(items) => items,
            one => vec![one],
        };
        for o in objects {
            let input = o["input"].as_str().expect("recorded input").to_string();
            by_input.insert(input, o);
        }
    }
    by_input
}
