//! Where settings come from: the process environment in production, a map in tests (so tests
//! never mutate the process environment). Each service parses its typed config from a
//! [`Source`] once, at start.

use std::collections::HashMap;

/// A key/value source of settings.
pub trait Source {
    /// The value of `key`; `None` when it is unset.
    fn get(&self, key: &str) -> Option<String>;
}

/// The process environment. A variable set to the empty string counts as unset: manifests
/// often template empty values.
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned()
    }
}

impl Source for HashMap<&str, &str> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).map(|v| (*v).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_answer_like_the_environment() {
        let owned = HashMap::from([("A".to_owned(), "1".to_owned())]);
        let borrowed = HashMap::from([("A", "1")]);
        assert_eq!(Source::get(&owned, "A").as_deref(), Some("1"));
        assert_eq!(Source::get(&borrowed, "A").as_deref(), Some("1"));
        assert_eq!(Source::get(&borrowed, "B"), None);
    }
}
