//! The body of every HTTP error either service answers: `{"code": ..., "message": ...}`, with
//! `code` a stable snake_case string and `message` for people.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let body = ErrorBody::new("invalid_vcf", "line 3: bad POS");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"invalid_vcf","message":"line 3: bad POS"}"#
        );
    }
}
