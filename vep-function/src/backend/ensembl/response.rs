//! Ensembl VEP REST answers: parsed leniently, matched to what was sent by their `input` echo,
//! then typed (`contract::annotation`: every field we do not type passes through unchanged).
//! Only fields whose type varies between servers and releases are normalised first, so
//! consumers see one type.

use std::collections::HashMap;

use contract::annotation::MissingField;
use serde_json::Value;

use super::input::match_key;
use crate::engine::output::VariantAnnotation;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the answer is not a JSON array of objects")]
    NotArray,
}

/// A 200 answer: one object per input Ensembl could annotate. Inputs it could not parse or
/// place are absent from the array, not reported.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Value>, BodyError> {
    match serde_json::from_slice(body)? {
        Value::Array(items) if items.iter().all(Value::is_object) => Ok(items),
        _ => Err(BodyError::NotArray),
    }
}

/// The message of a 400 answer (`{"error": "..."}`), or the start of the body.
pub fn error_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(Value::String(s)) => s.clone(),
        _ => String::from_utf8_lossy(body).trim().to_string(),
    };
    // Bounded: the message travels to the user in every affected variant's error.
    let mut message: String = message.chars().take(500).collect();
    if message.is_empty() {
        message = "Ensembl rejected the request without a message".into();
    }
    message
}

/// The typed answers for one sent text, or the first object that is not a VEP annotation.
pub type Answers = Result<Vec<VariantAnnotation>, MissingField>;

/// Groups the answer's objects by the sent text they echo (`input`, else `id`), typed.
/// Objects that echo nothing we sent are counted separately, never attached to a guessed
/// input.
pub fn match_to_inputs(items: Vec<Value>, sent: &[String]) -> (HashMap<String, Answers>, usize) {
    let by_key: HashMap<String, &String> = sent.iter().map(|s| (match_key(s), s)).collect();
    let mut matched: HashMap<String, Answers> = HashMap::new();
    let mut unmatched = 0;
    for mut item in items {
        let echo = ["input", "id"]
            .iter()
            .filter_map(|k| item.get(*k).and_then(Value::as_str))
            .find_map(|e| by_key.get(&match_key(e)).map(|s| (*s).clone()));
        match echo {
            Some(text) => {
                normalise(&mut item);
                let typed = VariantAnnotation::try_from(item);
                let answers = matched.entry(text).or_insert_with(|| Ok(Vec::new()));
                match (answers, typed) {
                    (Ok(list), Ok(a)) => list.push(a),
                    (answers @ Ok(_), Err(e)) => *answers = Err(e),
                    (Err(_), _) => {}
                }
            }
            None => unmatched += 1,
        }
    }
    (matched, unmatched)
}

/// `canonical`: 1, "1" or true -> 1 (absent stays absent); scores given as strings -> numbers.
fn normalise(item: &mut Value) {
    let Some(transcripts) = item
        .get_mut("transcript_consequences")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for t in transcripts.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(c) = t.get_mut("canonical") {
            let yes = match c {
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() == Some(1.0),
                Value::String(s) => s.trim() == "1",
                _ => false,
            };
            *c = Value::from(u8::from(yes));
        }
        for key in ["sift_score", "polyphen_score"] {
            if let Some(v) = t.get_mut(key) {
                if let Some(n) = v.as_str().and_then(|s| s.trim().parse::<f64>().ok()) {
                    if let Some(number) = serde_json::Number::from_f64(n) {
                        *v = Value::Number(number);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal VEP answer object echoing `input` (or only `id`), with `fields` added.
    fn answer(echo: (&str, &str), fields: Value) -> Value {
        let mut a = json!({"seq_region_name": "1", "start": 10, "end": 10,
                           "allele_string": "A/T", "most_severe_consequence": "x"});
        a[echo.0] = json!(echo.1);
        if echo.0 == "id" {
            a["input"] = json!("as Ensembl normalised it");
        }
        for (k, v) in fields.as_object().into_iter().flatten() {
            a[k] = v.clone();
        }
        a
    }

    fn transcript(fields: Value) -> Value {
        let mut t = json!({"transcript_id": "ENST1", "gene_id": "ENSG1", "biotype": "b",
                           "strand": 1, "consequence_terms": ["x"], "impact": "LOW",
                           "variant_allele": "T"});
        for (k, v) in fields.as_object().into_iter().flatten() {
            t[k] = v.clone();
        }
        t
    }

    #[test]
    fn answers_are_matched_by_their_input_echo_and_strays_are_counted() {
        let sent = vec!["1 10 . A T . . .".to_string(), "AGT:c.803T>C".to_string()];
        let items = vec![
            answer(("input", "1  10 . A T . . ."), json!({})),
            answer(("id", "AGT:c.803T>C"), json!({})),
            answer(("input", "2 20 . C G . . ."), json!({})),
        ];
        let (matched, unmatched) = match_to_inputs(items, &sent);
        assert_eq!(matched[&sent[0]].as_ref().unwrap().len(), 1);
        assert_eq!(matched[&sent[1]].as_ref().unwrap().len(), 1);
        assert_eq!(unmatched, 1);
    }

    #[test]
    fn an_object_that_is_no_vep_annotation_makes_its_input_an_error() {
        let sent = vec!["a".to_string()];
        let items = vec![answer(("input", "a"), json!({})), json!({"input": "a"})];
        let (matched, _) = match_to_inputs(items, &sent);
        assert_eq!(matched["a"], Err(MissingField("seq_region_name")));
    }

    #[test]
    fn canonical_and_scores_get_one_type() {
        let items = vec![answer(
            ("input", "a"),
            json!({"transcript_consequences": [
                transcript(json!({"canonical": "1", "sift_score": "0.05", "polyphen_score": 1})),
                transcript(json!({"canonical": true})),
                transcript(json!({"unknown_field": {"x": 1}}))
            ]}),
        )];
        let (matched, _) = match_to_inputs(items, &["a".to_string()]);
        let t = &matched["a"].as_ref().unwrap()[0].transcript_consequences;
        assert_eq!(t[0].canonical, Some(1));
        assert_eq!(
            t[0].sift_score.as_ref().and_then(|n| n.as_f64()),
            Some(0.05)
        );
        assert_eq!(t[0].polyphen_score, Some(1.into()));
        assert_eq!(t[1].canonical, Some(1));
        assert_eq!(t[2].canonical, None);
        assert_eq!(t[2].extra["unknown_field"]["x"], json!(1));
    }

    #[test]
    fn bodies_that_are_not_arrays_of_objects_are_errors() {
        assert!(matches!(parse_batch(b"<html>"), Err(BodyError::NotJson(_))));
        assert!(matches!(
            parse_batch(b"{\"a\":1}"),
            Err(BodyError::NotArray)
        ));
        assert_eq!(parse_batch(b"[]").unwrap().len(), 0);
    }

    #[test]
    fn error_messages_come_from_the_error_field_or_the_body() {
        assert_eq!(
            error_message(br#"{"error":"bad notation"}"#),
            "bad notation"
        );
        assert_eq!(error_message(b" plain text "), "plain text");
        assert!(!error_message(b"").is_empty());
    }
}
