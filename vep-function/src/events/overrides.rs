//! `K_CE_OVERRIDES`: extension attributes Knative asks a source to set on every event it sends
//! (`{"extensions":{"key":"value"}}`).

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CeOverrides {
    pub extensions: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OverridesError {
    #[error("K_CE_OVERRIDES is not valid JSON of the form {{\"extensions\":{{...}}}}: {0}")]
    Invalid(#[from] serde_json::Error),
    #[error("K_CE_OVERRIDES extension name {0:?} is not a valid CloudEvents attribute name (a-z, 0-9, at most 20)")]
    InvalidName(String),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    extensions: BTreeMap<String, serde_json::Value>,
}

impl CeOverrides {
    pub fn parse(text: &str) -> Result<Self, OverridesError> {
        let raw: Raw = serde_json::from_str(text)?;
        let mut extensions = BTreeMap::new();
        for (name, value) in raw.extensions {
            let valid = !name.is_empty()
                && name.len() <= 20
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !valid {
                return Err(OverridesError::InvalidName(name));
            }
            let value = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            extensions.insert(name, value);
        }
        Ok(Self { extensions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_knative_extension_overrides() {
        let o = CeOverrides::parse(r#"{"extensions":{"cluster":"east","prio":3}}"#).unwrap();
        assert_eq!(o.extensions["cluster"], "east");
        assert_eq!(o.extensions["prio"], "3");
    }

    #[test]
    fn rejects_invalid_attribute_names() {
        let err = CeOverrides::parse(r#"{"extensions":{"Bad-Name":"x"}}"#).unwrap_err();
        assert!(matches!(err, OverridesError::InvalidName(n) if n == "Bad-Name"));
    }

    #[test]
    fn rejects_non_json() {
        assert!(matches!(
            CeOverrides::parse("extensions=1"),
            Err(OverridesError::Invalid(_))
        ));
    }
}
