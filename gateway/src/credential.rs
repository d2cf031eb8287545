//! Bearer secrets the gateway hands out: a session's resume secret and an upload's download
//! token. Each is 256 bits from the operating system's CSPRNG, sent to its holder once and
//! never logged; the gateway keeps only its SHA-256 ([`SecretHash`]) and compares in constant
//! time, so a store dump or a timing probe reveals nothing usable.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

/// Bytes of entropy per secret.
const SECRET_BYTES: usize = 32;
/// Longest text accepted as a secret: ours are 43 characters; anything much longer is not
/// ours and is not worth hashing.
pub const MAX_SECRET_CHARS: usize = 128;

#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomUnavailable;

/// A fresh secret, URL-safe base64 without padding (43 characters). Deliberately not
/// `Debug`/`Display`: it can only leave the process through [`Secret::expose`].
pub struct Secret(String);

impl Secret {
    pub fn generate() -> Result<Self, RandomUnavailable> {
        let mut bytes = [0u8; SECRET_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| RandomUnavailable)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The text sent to the holder, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }

    pub fn into_exposed(self) -> String {
        self.0
    }
}

/// SHA-256 of a secret: what the stores keep.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Whether `presented` is the secret this is the hash of (constant time in the content).
    pub fn matches(&self, presented: &str) -> bool {
        presented.len() <= MAX_SECRET_CHARS && constant_time_eq(&Self::of(presented).0, &self.0)
    }

    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

/// Never prints the hash itself: even a hash is not for logs.
impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Comparison time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bit_url_safe_and_distinct() {
        let a = Secret::generate().expect("rng");
        let b = Secret::generate().expect("rng");
        assert_eq!(a.expose().len(), 43);
        assert!(a
            .expose()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn only_the_secret_itself_matches_its_hash() {
        let s = Secret::generate().expect("rng");
        let h = s.hash();
        assert!(h.matches(s.expose()));
        assert!(!h.matches(""));
        assert!(!h.matches(&s.expose()[1..]));
        assert!(!h.matches(&format!("{}x", s.expose())));
        assert!(!h.matches(&"a".repeat(10_000)));
    }

    #[test]
    fn hashes_round_trip_through_hex_and_never_print() {
        let h = SecretHash::of("x");
        assert_eq!(SecretHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(SecretHash::from_hex("zz"), None);
        assert_eq!(SecretHash::from_hex(&"g".repeat(64)), None);
        assert_eq!(format!("{h:?}"), "SecretHash(..)");
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
