//! WebRTC identity (W3C webrtc-identity, RFC 8827 §7): binding a DTLS
//! certificate to a user identity vouched for by an identity provider (IdP).
//!
//! In a browser the IdP is JavaScript loaded from the provider's domain. Here
//! it is a Rust value implementing [`IdentityProvider`]: it *generates* an
//! assertion over our certificate fingerprints, and *validates* the peer's.
//! The flow:
//!
//! 1. `set_identity_provider(provider, options)` on the sending side; every
//!    offer and answer then carries `a=identity:<base64 JSON>` with
//!    `{"idp": {"domain", "protocol"}, "assertion"}`, where the assertion
//!    covers [`fingerprint_contents`] of our certificate.
//! 2. The receiving side has a validator for that domain (the provider itself,
//!    or `add_identity_validator`). `setRemoteDescription` validates the
//!    assertion, checks that the asserted fingerprints are the description's,
//!    and that the identity belongs to the IdP's domain; `peerIdentity` then
//!    resolves to an [`IdentityAssertion`].
//! 3. When validation fails: with a target peer identity (the configuration's
//!    `peerIdentity`) `setRemoteDescription` is rejected with an
//!    `OperationError` and `peerIdentity` rejects; without one the
//!    description is applied and `peerIdentity` stays pending (as the spec's
//!    "replace with a new promise").
//!
//! [`SharedKeyIdentityProvider`] is a working provider: tokens signed with
//! HMAC-SHA-256 under a key both sides share (for closed deployments, and the
//! tests).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorDetail};

/// `RTCIdentityAssertion`: who the peer is, and which IdP said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityAssertion {
    /// The IdP's domain.
    pub idp: String,
    /// The identity, `user@domain`.
    pub name: String,
}

/// `RTCIdentityProviderOptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityProviderOptions {
    /// The IdP protocol (`"default"` when `None`).
    pub protocol: Option<String>,
    /// Which user to assert, when the IdP knows several.
    pub username_hint: Option<String>,
    /// The target peer identity: the connection only accepts this peer.
    pub peer_identity: Option<String>,
}

/// `RTCIdentityValidationResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAssertion {
    /// The identity the assertion vouches for (`user@domain`).
    pub identity: String,
    /// The contents the assertion covers (the fingerprints JSON).
    pub contents: String,
}

/// Why an IdP could not generate or validate an assertion; each maps to the
/// `RTCErrorDetailType` the spec gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpError {
    /// The user must log in first (`idp-need-login`), with the login URL.
    NeedLogin(String),
    /// The assertion is not valid: bad signature, malformed (`idp-token-invalid`).
    TokenInvalid(String),
    /// The assertion expired (`idp-token-expired`).
    TokenExpired,
    /// Anything else the IdP failed at (`idp-execution-failure`).
    Execution(String),
}

impl IdpError {
    /// The W3C error for this failure: an `RTCError` with its detail.
    pub fn to_error(&self) -> Error {
        match self {
            IdpError::NeedLogin(url) => Error::rtc(
                ErrorDetail::IdpNeedLogin,
                format!("the identity provider needs a login at {url}"),
            ),
            IdpError::TokenInvalid(why) => Error::rtc(
                ErrorDetail::IdpTokenInvalid,
                format!("identity assertion invalid: {why}"),
            ),
            IdpError::TokenExpired => {
                Error::rtc(ErrorDetail::IdpTokenExpired, "identity assertion expired")
            }
            IdpError::Execution(why) => Error::rtc(
                ErrorDetail::IdpExecutionFailure,
                format!("identity provider failed: {why}"),
            ),
        }
    }
}

impl fmt::Display for IdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_error().message())
    }
}

impl std::error::Error for IdpError {}

/// An identity provider: the Rust form of the W3C `RTCIdentityProvider`
/// (`generateAssertion` and `validateAssertion`).
pub trait IdentityProvider: Send + Sync + fmt::Debug {
    /// The IdP's domain (`RTCIdentityProviderDetails.domain`).
    fn domain(&self) -> &str;

    /// Makes an assertion that the current user vouches for `contents`.
    fn generate_assertion(
        &self,
        contents: &str,
        options: &IdentityProviderOptions,
    ) -> Result<String, IdpError>;

    /// Checks an assertion made by this IdP; returns who made it and what it covers.
    fn validate_assertion(&self, assertion: &str) -> Result<ValidatedAssertion, IdpError>;
}

/// The `contents` an assertion covers: our certificate's fingerprint as JSON
/// (RFC 8827 §7.4), `{"fingerprint":[{"algorithm":"sha-256","digest":"AB:..."}]}`.
pub fn fingerprint_contents(algorithm: &str, digest: &str) -> String {
    serde_json::json!({"fingerprint": [{"algorithm": algorithm, "digest": digest}]}).to_string()
}

/// The `(algorithm, digest)` pairs of [`fingerprint_contents`], or `None`
/// when `contents` is not that JSON.
pub fn parse_fingerprint_contents(contents: &str) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(contents).ok()?;
    v.get("fingerprint")?
        .as_array()?
        .iter()
        .map(|f| {
            Some((
                f.get("algorithm")?.as_str()?.to_ascii_lowercase(),
                f.get("digest")?.as_str()?.to_ascii_uppercase(),
            ))
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct IdpDetails {
    domain: String,
    protocol: String,
}

#[derive(Serialize, Deserialize)]
struct WireAssertion {
    idp: IdpDetails,
    assertion: String,
}

/// The `a=identity` value: base64 of `{"idp":{"domain","protocol"},"assertion"}`.
pub fn encode_identity_attribute(domain: &str, protocol: &str, assertion: &str) -> String {
    let wire = WireAssertion {
        idp: IdpDetails {
            domain: domain.into(),
            protocol: protocol.into(),
        },
        assertion: assertion.into(),
    };
    crate::base64::encode(serde_json::to_string(&wire).unwrap_or_default().as_bytes())
}

/// Decodes an `a=identity` value into `(domain, protocol, assertion)`.
pub fn decode_identity_attribute(value: &str) -> Result<(String, String, String), IdpError> {
    let bytes = crate::base64::decode(value.trim())
        .ok_or_else(|| IdpError::TokenInvalid("a=identity is not base64".into()))?;
    let wire: WireAssertion = serde_json::from_slice(&bytes)
        .map_err(|e| IdpError::TokenInvalid(format!("a=identity is not the JSON: {e}")))?;
    Ok((wire.idp.domain, wire.idp.protocol, wire.assertion))
}

/// A provider whose assertions are tokens signed with HMAC-SHA-256 under a
/// key shared by everyone who trusts the domain: `base64url(payload) "."
/// base64url(mac)` with payload `{"identity", "contents", "expires"}`.
///
/// ```
/// use rtcpeer_proto::identity::{IdentityProvider, IdentityProviderOptions, SharedKeyIdentityProvider};
/// let idp = SharedKeyIdentityProvider::new("example.org", b"a shared secret key");
/// let options = IdentityProviderOptions { username_hint: Some("alice".into()), ..Default::default() };
/// let token = idp.generate_assertion("{}", &options).unwrap();
/// let checked = idp.validate_assertion(&token).unwrap();
/// assert_eq!(checked.identity, "alice@example.org");
/// ```
pub struct SharedKeyIdentityProvider {
    domain: String,
    key: aws_lc_rs::hmac::Key,
    default_user: Option<String>,
    lifetime_secs: u64,
}

impl fmt::Debug for SharedKeyIdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKeyIdentityProvider")
            .field("domain", &self.domain)
            .field("default_user", &self.default_user)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct TokenPayload {
    identity: String,
    contents: String,
    /// Seconds since the Unix epoch.
    expires: u64,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl SharedKeyIdentityProvider {
    /// A provider for `domain` signing with `key`. Assertions last 24 hours.
    pub fn new(domain: &str, key: &[u8]) -> SharedKeyIdentityProvider {
        SharedKeyIdentityProvider {
            domain: domain.to_string(),
            key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
            default_user: None,
            lifetime_secs: 24 * 3600,
        }
    }

    /// The user asserted when the options give no `usernameHint`.
    pub fn with_user(mut self, user: &str) -> SharedKeyIdentityProvider {
        self.default_user = Some(user.to_string());
        self
    }

    /// How long an assertion stays valid.
    pub fn with_lifetime(mut self, lifetime: std::time::Duration) -> SharedKeyIdentityProvider {
        self.lifetime_secs = lifetime.as_secs();
        self
    }

    fn sign(&self, payload: &[u8]) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.key, payload);
        format!(
            "{}.{}",
            crate::base64::encode_url(payload),
            crate::base64::encode_url(tag.as_ref())
        )
    }
}

impl IdentityProvider for SharedKeyIdentityProvider {
    fn domain(&self) -> &str {
        &self.domain
    }

    fn generate_assertion(
        &self,
        contents: &str,
        options: &IdentityProviderOptions,
    ) -> Result<String, IdpError> {
        let user = options
            .username_hint
            .as_deref()
            .or(self.default_user.as_deref())
            .ok_or_else(|| IdpError::NeedLogin(format!("https://{}/login", self.domain)))?;
        let identity = if user.contains('@') {
            user.to_string()
        } else {
            format!("{user}@{}", self.domain)
        };
        let payload = TokenPayload {
            identity,
            contents: contents.to_string(),
            expires: unix_now() + self.lifetime_secs,
        };
        let json = serde_json::to_vec(&payload).map_err(|e| IdpError::Execution(e.to_string()))?;
        Ok(self.sign(&json))
    }

    fn validate_assertion(&self, assertion: &str) -> Result<ValidatedAssertion, IdpError> {
        let (payload, tag) = assertion
            .split_once('.')
            .ok_or_else(|| IdpError::TokenInvalid("not a signed token".into()))?;
        let payload = crate::base64::decode(payload)
            .ok_or_else(|| IdpError::TokenInvalid("payload is not base64url".into()))?;
        let tag = crate::base64::decode(tag)
            .ok_or_else(|| IdpError::TokenInvalid("signature is not base64url".into()))?;
        aws_lc_rs::hmac::verify(&self.key, &payload, &tag)
            .map_err(|_| IdpError::TokenInvalid("signature does not verify".into()))?;
        let p: TokenPayload = serde_json::from_slice(&payload)
            .map_err(|e| IdpError::TokenInvalid(format!("payload: {e}")))?;
        if p.expires < unix_now() {
            return Err(IdpError::TokenExpired);
        }
        Ok(ValidatedAssertion {
            identity: p.identity,
            contents: p.contents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> IdentityProviderOptions {
        IdentityProviderOptions {
            username_hint: Some("alice".into()),
            ..Default::default()
        }
    }

    #[test]
    fn tokens_validate_and_forgeries_do_not() {
        let idp = SharedKeyIdentityProvider::new("example.org", b"k1");
        let contents = fingerprint_contents("sha-256", "AB:CD");
        let token = idp.generate_assertion(&contents, &alice()).unwrap();
        let v = idp.validate_assertion(&token).unwrap();
        assert_eq!(v.identity, "alice@example.org");
        assert_eq!(
            parse_fingerprint_contents(&v.contents).unwrap(),
            vec![("sha-256".to_string(), "AB:CD".to_string())]
        );
        // Another key: the signature fails.
        let other = SharedKeyIdentityProvider::new("example.org", b"k2");
        assert!(matches!(
            other.validate_assertion(&token),
            Err(IdpError::TokenInvalid(_))
        ));
        // Payload swapped under the old signature.
        let (_, tag) = token.split_once('.').unwrap();
        let forged_payload = crate::base64::encode_url(
            br#"{"identity":"mallory@example.org","contents":"{}","expires":99999999999}"#,
        );
        assert!(idp
            .validate_assertion(&format!("{forged_payload}.{tag}"))
            .is_err());
        assert!(idp.validate_assertion("garbage").is_err());
    }

    #[test]
    fn expired_tokens_and_missing_users_fail_with_their_details() {
        let idp = SharedKeyIdentityProvider::new("example.org", b"k")
            .with_lifetime(std::time::Duration::ZERO);
        let token = idp.generate_assertion("{}", &alice()).unwrap();
        // expires == now; one second later it is expired.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let e = idp.validate_assertion(&token).unwrap_err();
        assert_eq!(e, IdpError::TokenExpired);
        assert_eq!(e.to_error().detail(), Some(ErrorDetail::IdpTokenExpired));
        let e = idp
            .generate_assertion("{}", &Default::default())
            .unwrap_err();
        assert_eq!(e.to_error().detail(), Some(ErrorDetail::IdpNeedLogin));
    }

    #[test]
    fn identity_attribute_round_trips_and_rejects_junk() {
        let a = encode_identity_attribute("example.org", "default", "tok.en");
        assert_eq!(
            decode_identity_attribute(&a).unwrap(),
            ("example.org".into(), "default".into(), "tok.en".into())
        );
        assert!(decode_identity_attribute("!!").is_err());
        assert!(decode_identity_attribute(&crate::base64::encode(b"{}")).is_err());
    }
}
