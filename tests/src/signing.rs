//! The event signing key of every process a test starts (`EVENT_SIGNING_KEY_FILE`, one random
//! key per test binary, as `make run` makes one per run), and events signed by hand the way
//! the gateway and the function sign theirs.

use std::path::PathBuf;
use std::sync::OnceLock;

use contract::signing::{Signed, SigningKey, EXT_SIGNATURE};
use ring::rand::{SecureRandom, SystemRandom};

/// The key file every started gateway and function reads.
pub fn key_file() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let mut key = [0u8; 48];
        SystemRandom::new().fill(&mut key).expect("random key");
        let dir = crate::bin_dir().join("e2e-keys");
        std::fs::create_dir_all(&dir).expect("key dir");
        let path = dir.join(format!("signing-key-{}", std::process::id()));
        std::fs::write(&path, key).expect("key file");
        path
    })
    .clone()
}

pub fn key() -> SigningKey {
    SigningKey::from_file(&key_file()).expect("the test key reads")
}

/// The `ce-signature` header of an event with these headers (`ce-*`, `content-type`;
/// lower-case names) and this body, signed with `key`.
pub fn signature_with<'a>(
    key: &SigningKey,
    headers: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    body: &[u8],
) -> (String, String) {
    let get = |name: &str| {
        headers
            .clone()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v)
    };
    let value = key.sign(&Signed {
        ty: get("ce-type"),
        id: get("ce-id"),
        source: get("ce-source"),
        session: get("ce-sessionid"),
        analysis: get("ce-analysisid"),
        partition: get("ce-partitionkey"),
        content_type: get("content-type"),
        data: body,
    });
    (format!("ce-{EXT_SIGNATURE}"), value)
}

/// [`signature_with`] the key of the processes under test.
pub fn signature<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    body: &[u8],
) -> (String, String) {
    signature_with(&key(), headers, body)
}

/// A request carrying a binary-mode event: `headers`, their signature, `body`.
pub fn signed_request(
    req: reqwest::RequestBuilder,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let (name, value) = signature(headers.iter().copied(), &body);
    let mut req = req.header(name, value);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body)
}

/// Signs a hand-made binary-mode event (headers and body), as the function signs results.
pub fn sign(event: &mut crate::trigger::Event) {
    let (name, value) = signature(
        event.0.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &event.1,
    );
    event.0.insert(name, value);
}
