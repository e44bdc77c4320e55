//! Message integrity: credential keys (RFC 8489 §9) and the HMACs.
//!
//! - Short-term credentials (ICE): the key is the password itself
//!   ([`short_term_key`]).
//! - Long-term credentials (TURN): the key is MD5("user:realm:password")
//!   ([`long_term_key_md5`]) or, with PASSWORD-ALGORITHM SHA-256,
//!   SHA-256 of the same string ([`long_term_key_sha256`]).
//!
//! OpaqueString (RFC 8265) preparation of the password is not applied: the
//! caller passes already-prepared strings (ASCII credentials need none).

use aws_lc_rs::{constant_time, digest, hmac};
use md5::{Digest, Md5};

/// Which integrity attribute to add when encoding, with its key.
#[derive(Debug, Clone, Copy)]
pub enum Integrity<'k> {
    /// MESSAGE-INTEGRITY: HMAC-SHA1 (what ICE and most TURN servers use).
    Sha1(&'k [u8]),
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256.
    Sha256(&'k [u8]),
}

impl Integrity<'_> {
    /// The HMAC of `data` (up to 32 bytes; SHA-1 uses the first 20).
    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 32] {
        let (alg, key) = match self {
            Integrity::Sha1(k) => (hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, *k),
            Integrity::Sha256(k) => (hmac::HMAC_SHA256, *k),
        };
        let tag = hmac::sign(&hmac::Key::new(alg, key), data);
        let mut out = [0u8; 32];
        let t = tag.as_ref();
        out[..t.len()].copy_from_slice(t);
        out
    }
}

fn verify(alg: hmac::Algorithm, key: &[u8], header: &[u8], body: &[u8], expected: &[u8]) -> bool {
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(alg, key));
    ctx.update(header);
    ctx.update(body);
    let tag = ctx.sign();
    let tag = tag.as_ref();
    // MESSAGE-INTEGRITY-SHA256 may be truncated (to at least 16 bytes).
    expected.len() <= tag.len()
        && constant_time::verify_slices_are_equal(&tag[..expected.len()], expected).is_ok()
}

pub(crate) fn verify_sha1(key: &[u8], header: &[u8], body: &[u8], expected: &[u8]) -> bool {
    expected.len() == 20
        && verify(
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            key,
            header,
            body,
            expected,
        )
}

pub(crate) fn verify_sha256(key: &[u8], header: &[u8], body: &[u8], expected: &[u8]) -> bool {
    verify(hmac::HMAC_SHA256, key, header, body, expected)
}

/// The short-term credential key: the password's bytes.
pub fn short_term_key(password: &str) -> Vec<u8> {
    password.as_bytes().to_vec()
}

/// The long-term credential key for MD5 (the default algorithm):
/// MD5(username ":" realm ":" password).
pub fn long_term_key_md5(username: &str, realm: &str, password: &str) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(username.as_bytes());
    h.update(b":");
    h.update(realm.as_bytes());
    h.update(b":");
    h.update(password.as_bytes());
    h.finalize().into()
}

/// The long-term credential key for PASSWORD-ALGORITHM SHA-256:
/// SHA-256(username ":" realm ":" password).
pub fn long_term_key_sha256(username: &str, realm: &str, password: &str) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(username.as_bytes());
    ctx.update(b":");
    ctx.update(realm.as_bytes());
    ctx.update(b":");
    ctx.update(password.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The USERHASH value: SHA-256(username ":" realm).
pub fn userhash(username: &str, realm: &str) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(username.as_bytes());
    ctx.update(b":");
    ctx.update(realm.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_key_matches_known_digest() {
        // MD5("user:realm:pass") computed independently (coreutils md5sum).
        let k = long_term_key_md5("user", "realm", "pass");
        let hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "8493fbc53ba582fb4c044c456bdc40eb");
    }

    #[test]
    fn sha256_key_and_userhash_differ_and_are_32_bytes() {
        let a = long_term_key_sha256("u", "r", "p");
        let b = userhash("u", "r");
        assert_ne!(a, b);
        assert_ne!(a, [0; 32]);
    }
}
