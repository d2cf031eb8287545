//! Who may put an event in front of the other side (issue #17.2): every event carries an
//! HMAC-SHA256 in the extension attribute [`EXT_SIGNATURE`], made with a key both services
//! read from `EVENT_SIGNING_KEY_FILE` (the Secret `event-signing-key` in the cluster). The
//! gateway signs what it submits and verifies results; the function verifies submissions and
//! signs results, so neither a forged result nor a forged submission (which the function
//! would answer with a signed result for someone else's session) gets through.
//!
//! What is signed: the event's type (domain separation: a signature made for a submission
//! never verifies as a result), id, source, the routing extensions (`sessionid`,
//! `analysisid`, `partitionkey`), `datacontenttype`, and the SHA-256 of the data bytes, each
//! length-prefixed. The data must reach the verifier byte for byte, which the Knative Kafka
//! hops do in binary content mode (eventing/README.md, "Signed events"). Verification is in
//! constant time (`hmac`'s `verify_slice`). A replayed genuine event verifies; the gateway's
//! bookkeeping makes it change nothing.

use std::path::{Path, PathBuf};

use cloudevents::event::ExtensionValue;
use cloudevents::{AttributesReader, Data, Event};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::config::Source;
use crate::event::{EXT_ANALYSIS, EXT_PARTITION, EXT_SESSION};

/// The extension attribute holding the signature: `v1=` and 64 lowercase hex digits.
pub const EXT_SIGNATURE: &str = "signature";
/// The file holding the key (its bytes, a trailing line break dropped).
pub const KEY_FILE: &str = "EVENT_SIGNING_KEY_FILE";
/// `true` runs without a key: nothing is signed or verified. For a throw-away local run
/// only; each service logs a warning at start.
pub const INSECURE: &str = "EVENT_SIGNING_INSECURE";
/// Shorter keys are refused (`openssl rand -base64 48` gives 64 characters).
pub const MIN_KEY_BYTES: usize = 32;

const SCHEME: &str = "v1=";
const DOMAIN: &[u8] = b"genomics-event-signature-v1";

/// The shared secret. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// Whether events are signed and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    Key(SigningKey),
    /// `EVENT_SIGNING_INSECURE=true` and no key: events go unsigned and are not checked.
    Insecure,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{KEY_FILE} is not set: events cannot be signed or verified (set it to a file holding at least {MIN_KEY_BYTES} random bytes, or {INSECURE}=true for a throw-away local run)")]
    Missing,
    #[error("{KEY_FILE} {path:?} cannot be read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{KEY_FILE} {path:?} holds {len} bytes; at least {MIN_KEY_BYTES} are needed")]
    TooShort { path: PathBuf, len: usize },
    #[error("{INSECURE}={0:?} is not valid: expected true or false")]
    InvalidFlag(String),
}

/// Why an event's signature does not hold. 401 for a missing one, 403 otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the event carries no {EXT_SIGNATURE} extension")]
    Missing,
    #[error("the {EXT_SIGNATURE} extension is not v1= and 64 hex digits")]
    Malformed,
    #[error("the event's signature does not match its content")]
    Mismatch,
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "unsigned_event",
            Self::Malformed | Self::Mismatch => "invalid_signature",
        }
    }

    /// The HTTP status the receiver answers: 401 (no credential), 403 (a wrong one).
    pub fn status(&self) -> u16 {
        match self {
            Self::Missing => 401,
            Self::Malformed | Self::Mismatch => 403,
        }
    }
}

impl SigningKey {
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, KeyError> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                path: path.to_owned(),
                len: bytes.len(),
            });
        }
        Ok(Self(bytes.to_vec()))
    }

    /// The key in `path`; one trailing line break (from `echo` or an editor) is not part
    /// of it.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let bytes = std::fs::read(path).map_err(|e| KeyError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let trimmed = bytes
            .strip_suffix(b"\n")
            .map(|b| b.strip_suffix(b"\r").unwrap_or(b))
            .unwrap_or(&bytes);
        Self::from_bytes(trimmed, path)
    }

    fn mac(&self, signed: &Signed<'_>) -> Hmac<Sha256> {
        // Any key length is valid for HMAC; the error cannot happen.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(DOMAIN);
        for field in [
            signed.ty,
            signed.id,
            signed.source,
            signed.session,
            signed.analysis,
            signed.partition,
            signed.content_type,
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac.update(&Sha256::digest(signed.data));
        mac
    }

    /// The signature of `signed`, as the extension carries it.
    pub fn sign(&self, signed: &Signed<'_>) -> String {
        let tag = self.mac(signed).finalize().into_bytes();
        let mut out = String::with_capacity(SCHEME.len() + 64);
        out.push_str(SCHEME);
        for b in tag.iter() {
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
        }
        out
    }

    /// Checks `signature` (the extension's value) against `signed`, in constant time.
    pub fn verify(
        &self,
        signed: &Signed<'_>,
        signature: Option<&str>,
    ) -> Result<(), SignatureError> {
        let signature = signature.ok_or(SignatureError::Missing)?;
        let tag = signature
            .strip_prefix(SCHEME)
            .and_then(parse_hex)
            .ok_or(SignatureError::Malformed)?;
        self.mac(signed)
            .verify_slice(&tag)
            .map_err(|_| SignatureError::Mismatch)
    }
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// What a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub ty: &'a str,
    pub id: &'a str,
    pub source: &'a str,
    pub session: &'a str,
    pub analysis: &'a str,
    pub partition: &'a str,
    pub content_type: &'a str,
    pub data: &'a [u8],
}

fn text_extension<'a>(event: &'a Event, name: &str) -> &'a str {
    match event.extension(name) {
        Some(ExtensionValue::String(s)) => s,
        _ => "",
    }
}

/// The data bytes as sent: binary mode keeps them as they came; structured-mode JSON is
/// written back compactly (the senders here write compact JSON with sorted keys).
fn data_bytes(event: &Event) -> std::borrow::Cow<'_, [u8]> {
    match event.data() {
        None => std::borrow::Cow::Borrowed(&[]),
        Some(Data::Binary(b)) => std::borrow::Cow::Borrowed(b),
        Some(Data::String(s)) => std::borrow::Cow::Borrowed(s.as_bytes()),
        Some(Data::Json(v)) => std::borrow::Cow::Owned(serde_json::to_vec(v).unwrap_or_default()),
    }
}

fn with_signed<T>(event: &Event, f: impl FnOnce(&Signed<'_>) -> T) -> T {
    let data = data_bytes(event);
    let signed = Signed {
        ty: event.ty(),
        id: event.id(),
        source: event.source().as_str(),
        session: text_extension(event, EXT_SESSION),
        analysis: text_extension(event, EXT_ANALYSIS),
        partition: text_extension(event, EXT_PARTITION),
        content_type: event.datacontenttype().unwrap_or(""),
        data: &data,
    };
    f(&signed)
}

impl Signing {
    /// `EVENT_SIGNING_KEY_FILE`, else `EVENT_SIGNING_INSECURE=true`, else an error: a
    /// service never runs unauthenticated by accident.
    pub fn from_source(src: &dyn Source) -> Result<Self, KeyError> {
        if let Some(path) = src.get(KEY_FILE) {
            return SigningKey::from_file(Path::new(path.trim())).map(Self::Key);
        }
        match src.get(INSECURE).as_deref().map(str::trim) {
            Some("true" | "1") => Ok(Self::Insecure),
            None | Some("false" | "0") => Err(KeyError::Missing),
            Some(other) => Err(KeyError::InvalidFlag(other.to_owned())),
        }
    }

    pub fn is_insecure(&self) -> bool {
        matches!(self, Self::Insecure)
    }

    /// Adds the signature extension to a built event (after every attribute is set).
    pub fn sign(&self, event: &mut Event) {
        if let Self::Key(key) = self {
            let signature = with_signed(event, |s| key.sign(s));
            event.set_extension(EXT_SIGNATURE, signature);
        }
    }

    /// Checks a received event's signature; always Ok when insecure.
    pub fn verify(&self, event: &Event) -> Result<(), SignatureError> {
        let Self::Key(key) = self else {
            return Ok(());
        };
        let signature = match event.extension(EXT_SIGNATURE) {
            None => None,
            Some(ExtensionValue::String(s)) => Some(s.as_str()),
            Some(_) => return Err(SignatureError::Malformed),
        };
        with_signed(event, |s| key.verify(s, signature))
    }
}

#[cfg(test)]
mod tests;
