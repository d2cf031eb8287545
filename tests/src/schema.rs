//! Validation of events against the contract in `eventing/schemas/`.

use serde_json::Value;

use crate::repo_root;

fn load(name: &str) -> Value {
    let path = repo_root().join("eventing/schemas").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check(schema_file: &str, instance: &Value) {
    let schema = load(schema_file);
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema_file} rejects {instance}:\n{}",
        errors.join("\n")
    );
}

/// Checks a structured-mode event (attributes + `data`) against the envelope schema and the
/// data schema its `dataschema` names.
pub fn assert_conforms(event: &Value) {
    check("cloudevent-envelope.v1.json", event);
    let data_schema = match event["dataschema"].as_str() {
        Some("urn:genomics:schemas:variants-submitted:v1") => "variants-submitted.v1.json",
        Some("urn:genomics:schemas:variants-annotated:v2") => "variants-annotated.v2.json",
        Some("urn:genomics:schemas:analysis-failed:v1") => "analysis-failed.v1.json",
        other => panic!("unknown dataschema {other:?} in {event}"),
    };
    check(data_schema, &event["data"]);
    let chunk = event["data"]["chunk_index"]
        .as_u64()
        .expect("every event names its chunk");
    assert_eq!(
        event["partitionkey"].as_str(),
        Some(
            format!(
                "{}:{chunk}",
                event["analysisid"].as_str().unwrap_or_default()
            )
            .as_str()
        ),
        "partitionkey is analysisid:chunk_index"
    );
    assert_eq!(
        event["subject"], event["sessionid"],
        "subject is the session"
    );
}
