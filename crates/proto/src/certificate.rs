//! Certificates for DTLS: the W3C `RTCCertificate`.
//!
//! A WebRTC endpoint authenticates its DTLS handshake with a self-signed
//! certificate whose hash (the *fingerprint*) travels in the SDP
//! (`a=fingerprint:sha-256 AB:CD:…`, RFC 8122). The peer accepts the DTLS
//! handshake only if the certificate presented hashes to that fingerprint.
//!
//! [`Certificate::generate`] makes one the way browsers do: an ECDSA P-256 key,
//! a random common name and serial number, valid from a while ago until
//! `expires` (30 days by default). [`Certificate::from_pem`] reuses one made
//! earlier, so a server can keep a stable fingerprint across restarts.
//! [`Certificate::to_dtls`] hands it to the DTLS engine (`dimpl`), and
//! [`verify_fingerprint`] checks the peer's certificate against the SDP.
//!
//! Only ECDSA P-256 and P-384 keys can be used: the DTLS engine signs with
//! nothing else. Asking for RSA or Ed25519 gives
//! [`CertificateError::NotSupported`], which maps to the W3C `NotSupportedError`.

mod der;

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

/// The default lifetime of a generated certificate (W3C: 30 days).
pub const DEFAULT_EXPIRES: Duration = Duration::from_secs(30 * 24 * 3600);

/// The longest lifetime a generated certificate may have (W3C clamps `expires` to 365 days).
pub const MAX_EXPIRES: Duration = Duration::from_secs(365 * 24 * 3600);

/// How far before its creation a generated certificate is already valid, to
/// tolerate peers whose clocks run behind ours.
pub const NOT_BEFORE_SLACK: Duration = Duration::from_secs(30 * 24 * 3600);

/// The key algorithm of a certificate (the W3C `AlgorithmIdentifier` given to
/// `generateCertificate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlgorithm {
    /// ECDSA on curve P-256 with SHA-256: what browsers use, and the default.
    #[default]
    EcdsaP256,
    /// ECDSA on curve P-384 with SHA-384.
    EcdsaP384,
    /// RSASSA-PKCS1-v1_5. Not supported by the DTLS engine.
    Rsa {
        /// Modulus length in bits (e.g. 2048).
        modulus_length: u32,
        /// Public exponent (usually 65537).
        public_exponent: u32,
    },
    /// Ed25519. Not supported by the DTLS engine.
    Ed25519,
}

impl KeyAlgorithm {
    /// The W3C / WebCrypto name of the algorithm.
    pub fn name(&self) -> &'static str {
        match self {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => "ECDSA",
            KeyAlgorithm::Rsa { .. } => "RSASSA-PKCS1-v1_5",
            KeyAlgorithm::Ed25519 => "Ed25519",
        }
    }

    fn rcgen_algorithm(&self) -> Result<&'static rcgen::SignatureAlgorithm, CertificateError> {
        match self {
            KeyAlgorithm::EcdsaP256 => Ok(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyAlgorithm::EcdsaP384 => Ok(&rcgen::PKCS_ECDSA_P384_SHA384),
            KeyAlgorithm::Rsa { .. } => Err(CertificateError::NotSupported(
                "RSA certificates are not supported by the DTLS engine; use ECDSA",
            )),
            KeyAlgorithm::Ed25519 => Err(CertificateError::NotSupported(
                "Ed25519 certificates are not supported by the DTLS engine; use ECDSA",
            )),
        }
    }

    fn from_rcgen(alg: &'static rcgen::SignatureAlgorithm) -> Option<KeyAlgorithm> {
        if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
            Some(KeyAlgorithm::EcdsaP256)
        } else if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
            Some(KeyAlgorithm::EcdsaP384)
        } else {
            None
        }
    }
}

/// Parameters of [`Certificate::generate`] (W3C `generateCertificate(keygenAlgorithm)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CertificateParams {
    /// The key algorithm; ECDSA P-256 by default.
    pub algorithm: KeyAlgorithm,
    /// Lifetime from now; [`DEFAULT_EXPIRES`] when `None`, clamped to [`MAX_EXPIRES`].
    pub expires: Option<Duration>,
}

impl CertificateParams {
    /// Reads the W3C `generateCertificate(keygenAlgorithm)` argument as JSON:
    /// a WebCrypto algorithm name (`"ECDSA"`) or dictionary
    /// (`{"name":"ECDSA","namedCurve":"P-256"}`,
    /// `{"name":"RSASSA-PKCS1-v1_5","modulusLength":2048,"publicExponent":[1,0,1],"hash":"SHA-256"}`),
    /// with an optional `"expires"` in milliseconds.
    ///
    /// Unknown algorithms, curves or malformed dictionaries are
    /// `NotSupported`, as the W3C steps say; RSA and Ed25519 parse here and
    /// are refused by [`Certificate::generate`].
    pub fn from_json(value: &serde_json::Value) -> Result<CertificateParams, CertificateError> {
        const UNKNOWN: CertificateError =
            CertificateError::NotSupported("unknown or malformed keygen algorithm");
        let (name, dict) = match value {
            serde_json::Value::String(name) => (name.as_str(), None),
            serde_json::Value::Object(map) => (
                map.get("name").and_then(|n| n.as_str()).ok_or(UNKNOWN)?,
                Some(map),
            ),
            _ => return Err(UNKNOWN),
        };
        let field = |key: &str| dict.and_then(|d| d.get(key));
        let algorithm = if name.eq_ignore_ascii_case("ECDSA") {
            match field("namedCurve").and_then(|c| c.as_str()) {
                Some("P-256") => KeyAlgorithm::EcdsaP256,
                Some("P-384") => KeyAlgorithm::EcdsaP384,
                _ => return Err(UNKNOWN),
            }
        } else if name.eq_ignore_ascii_case("RSASSA-PKCS1-v1_5") {
            let modulus_length = field("modulusLength")
                .and_then(|m| m.as_u64())
                .and_then(|m| u32::try_from(m).ok())
                .ok_or(UNKNOWN)?;
            // publicExponent is a big-endian byte array (a Uint8Array).
            let exponent_bytes = field("publicExponent")
                .and_then(|e| e.as_array())
                .ok_or(UNKNOWN)?;
            let mut public_exponent: u32 = 0;
            for b in exponent_bytes {
                let b = b.as_u64().filter(|b| *b <= 255).ok_or(UNKNOWN)?;
                public_exponent = public_exponent
                    .checked_mul(256)
                    .and_then(|e| e.checked_add(b as u32))
                    .ok_or(UNKNOWN)?;
            }
            KeyAlgorithm::Rsa {
                modulus_length,
                public_exponent,
            }
        } else if name.eq_ignore_ascii_case("Ed25519") {
            KeyAlgorithm::Ed25519
        } else {
            return Err(UNKNOWN);
        };
        let expires = match field("expires") {
            None => None,
            Some(ms) => Some(Duration::from_millis(ms.as_u64().ok_or(UNKNOWN)?)),
        };
        Ok(CertificateParams { algorithm, expires })
    }
}

/// Why a certificate could not be made or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The algorithm cannot be used (W3C `NotSupportedError`).
    #[error("not supported: {0}")]
    NotSupported(&'static str),
    /// Key or certificate generation failed inside the crypto library (W3C `OperationError`).
    #[error("certificate generation failed: {0}")]
    Generation(String),
    /// The PEM or DER given is not a certificate or key we can read.
    #[error("invalid certificate or key: {0}")]
    Invalid(&'static str),
    /// The certificate's public key is not the one of the private key given.
    #[error("the certificate does not belong to the private key")]
    KeyMismatch,
}

impl CertificateError {
    /// The W3C exception name this error is reported as.
    pub fn w3c_name(&self) -> &'static str {
        match self {
            CertificateError::NotSupported(_) => "NotSupportedError",
            CertificateError::Generation(_) => "OperationError",
            CertificateError::Invalid(_) | CertificateError::KeyMismatch => "InvalidAccessError",
        }
    }
}

/// A hash function usable for certificate fingerprints (RFC 8122 `hash-func`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FingerprintAlgorithm {
    /// SHA-1 (legacy; still accepted from peers).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256: what browsers send.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl FingerprintAlgorithm {
    /// All algorithms, weakest first.
    pub const ALL: [FingerprintAlgorithm; 5] = [
        FingerprintAlgorithm::Sha1,
        FingerprintAlgorithm::Sha224,
        FingerprintAlgorithm::Sha256,
        FingerprintAlgorithm::Sha384,
        FingerprintAlgorithm::Sha512,
    ];

    /// The SDP / W3C name, e.g. `"sha-256"`.
    pub fn name(&self) -> &'static str {
        match self {
            FingerprintAlgorithm::Sha1 => "sha-1",
            FingerprintAlgorithm::Sha224 => "sha-224",
            FingerprintAlgorithm::Sha256 => "sha-256",
            FingerprintAlgorithm::Sha384 => "sha-384",
            FingerprintAlgorithm::Sha512 => "sha-512",
        }
    }

    /// Parses an SDP / W3C name, case-insensitively (`"SHA-256"` and `"sha-256"`).
    pub fn from_name(name: &str) -> Option<FingerprintAlgorithm> {
        FingerprintAlgorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The digest length in bytes.
    pub fn output_len(&self) -> usize {
        self.digest_algorithm().output_len()
    }

    /// Hashes `der` with this algorithm.
    pub fn digest(&self, der: &[u8]) -> Vec<u8> {
        digest::digest(self.digest_algorithm(), der)
            .as_ref()
            .to_vec()
    }

    fn digest_algorithm(&self) -> &'static digest::Algorithm {
        match self {
            FingerprintAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            FingerprintAlgorithm::Sha224 => &digest::SHA224,
            FingerprintAlgorithm::Sha256 => &digest::SHA256,
            FingerprintAlgorithm::Sha384 => &digest::SHA384,
            FingerprintAlgorithm::Sha512 => &digest::SHA512,
        }
    }
}

impl fmt::Display for FingerprintAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A certificate fingerprint as the W3C `RTCDtlsFingerprint` dictionary:
/// `{"algorithm":"sha-256","value":"ab:cd:…"}` (lowercase hex, as the spec says).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The hash function name, e.g. `"sha-256"`.
    pub algorithm: String,
    /// Colon-separated lowercase hex digest, e.g. `"ab:cd:…"`.
    pub value: String,
}

impl Fingerprint {
    /// The fingerprint of a DER certificate with the given hash function.
    pub fn of(algorithm: FingerprintAlgorithm, der: &[u8]) -> Fingerprint {
        Fingerprint {
            algorithm: algorithm.name().to_string(),
            value: hex_colon(&algorithm.digest(der), false),
        }
    }

    /// The value of an SDP `a=fingerprint:` line: `"sha-256 AB:CD:…"` (uppercase hex, as browsers write it).
    pub fn to_sdp_value(&self) -> String {
        format!(
            "{} {}",
            self.algorithm.to_ascii_lowercase(),
            self.value.to_ascii_uppercase()
        )
    }

    /// Parses this fingerprint into algorithm and digest bytes, if both are valid.
    pub fn to_remote(&self) -> Option<RemoteFingerprint> {
        RemoteFingerprint::new(&self.algorithm, &self.value)
    }
}

/// A fingerprint the remote side announced (in SDP), decoded for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteFingerprint {
    /// The hash function.
    pub algorithm: FingerprintAlgorithm,
    /// The digest bytes.
    pub bytes: Vec<u8>,
}

impl RemoteFingerprint {
    /// Decodes an algorithm name and a colon-separated hex value (either case).
    ///
    /// Returns `None` for an unknown hash function, malformed hex, or a digest
    /// of the wrong length for its algorithm.
    pub fn new(algorithm: &str, value: &str) -> Option<RemoteFingerprint> {
        let algorithm = FingerprintAlgorithm::from_name(algorithm.trim())?;
        let bytes = parse_hex_colon(value.trim())?;
        (bytes.len() == algorithm.output_len()).then_some(RemoteFingerprint { algorithm, bytes })
    }

    /// Parses the value of an SDP `a=fingerprint:` attribute: `"sha-256 AB:CD:…"`.
    pub fn parse_sdp(value: &str) -> Option<RemoteFingerprint> {
        let mut parts = value.split_ascii_whitespace();
        let (algorithm, hex) = (parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        RemoteFingerprint::new(algorithm, hex)
    }

    /// Whether `der` hashes to this fingerprint.
    pub fn matches(&self, der: &[u8]) -> bool {
        self.algorithm.digest(der) == self.bytes
    }
}

/// Checks a peer's DER certificate against the fingerprints from its SDP (RFC 8122 §5).
///
/// Of the announced fingerprints, only those using the strongest hash function
/// among them are considered, and the certificate must match one of those.
/// An empty list never verifies.
pub fn verify_fingerprint(peer_der: &[u8], expected: &[RemoteFingerprint]) -> bool {
    let Some(strongest) = expected.iter().map(|f| f.algorithm).max() else {
        return false;
    };
    let digest = strongest.digest(peer_der);
    expected
        .iter()
        .filter(|f| f.algorithm == strongest)
        .any(|f| f.bytes == digest)
}

/// A DTLS certificate and its private key: the W3C `RTCCertificate`.
///
/// Cloning is cheap enough (two small byte vectors) and keeps the same
/// identity: the fingerprint of a clone is the fingerprint of the original.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    cert_der: Vec<u8>,
    /// PKCS#8 DER of the private key.
    key_der: Vec<u8>,
    algorithm: KeyAlgorithm,
    expires: SystemTime,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the private key.
        f.debug_struct("Certificate")
            .field("algorithm", &self.algorithm)
            .field("expires", &self.expires)
            .field(
                "sha-256",
                &Fingerprint::of(FingerprintAlgorithm::Sha256, &self.cert_der).value,
            )
            .finish()
    }
}

impl Certificate {
    /// Generates a self-signed certificate, reading the system clock for its validity.
    ///
    /// This is the one clock read in this module; sans-IO callers that inject
    /// time use [`Certificate::generate_at`].
    pub fn generate(params: CertificateParams) -> Result<Certificate, CertificateError> {
        Certificate::generate_at(params, SystemTime::now())
    }

    /// Generates a self-signed certificate as if the wall clock read `now`.
    ///
    /// Like browsers: a fresh key, a random common name, a random positive
    /// 128-bit serial number (Firefox rejects repeated serials), valid from
    /// `now - NOT_BEFORE_SLACK` until `now + expires`.
    pub fn generate_at(
        params: CertificateParams,
        now: SystemTime,
    ) -> Result<Certificate, CertificateError> {
        let rcgen_alg = params.algorithm.rcgen_algorithm()?;
        let lifetime = params.expires.unwrap_or(DEFAULT_EXPIRES).min(MAX_EXPIRES);
        let now_secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| CertificateError::Generation("clock before 1970".into()))?
            .as_secs();
        // X.509 times have one-second precision: keep whole seconds so that
        // `expires()` equals the notAfter written in the certificate.
        let not_after_secs = now_secs.saturating_add(lifetime.as_secs());
        let not_before_secs = now_secs.saturating_sub(NOT_BEFORE_SLACK.as_secs());

        let key = rcgen::KeyPair::generate_for(rcgen_alg)
            .map_err(|e| CertificateError::Generation(e.to_string()))?;

        let mut random = [0u8; 24];
        aws_lc_rs::rand::fill(&mut random)
            .map_err(|_| CertificateError::Generation("random source failed".into()))?;
        let (serial, name) = random.split_at_mut(16);
        serial[0] &= 0x7f; // positive INTEGER
        serial[0] |= 0x01; // and never a redundant leading zero

        let mut cert_params = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|e| CertificateError::Generation(e.to_string()))?;
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(
            rcgen::DnType::CommonName,
            hex_colon(name, false).replace(':', ""),
        );
        cert_params.distinguished_name = dn;
        cert_params.is_ca = rcgen::IsCa::NoCa;
        cert_params.serial_number = Some(serial.to_vec().into());
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        cert_params.not_before = epoch + Duration::from_secs(not_before_secs);
        cert_params.not_after = epoch + Duration::from_secs(not_after_secs);

        let cert = cert_params
            .self_signed(&key)
            .map_err(|e| CertificateError::Generation(e.to_string()))?;
        Ok(Certificate {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            algorithm: params.algorithm,
            expires: SystemTime::UNIX_EPOCH + Duration::from_secs(not_after_secs),
        })
    }

    /// Loads a certificate and its private key from PEM
    /// (`-----BEGIN CERTIFICATE-----` and `-----BEGIN PRIVATE KEY-----` or
    /// `-----BEGIN EC PRIVATE KEY-----`).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Certificate, CertificateError> {
        let cert_der = der::decode_pem(cert_pem, "CERTIFICATE")
            .ok_or(CertificateError::Invalid("no CERTIFICATE PEM block"))?;
        let key = rcgen::KeyPair::from_pem(key_pem)
            .map_err(|_| CertificateError::Invalid("unreadable private key PEM"))?;
        Certificate::from_parts(cert_der, key)
    }

    /// Loads a DER certificate and its PKCS#8 DER private key.
    pub fn from_der(
        cert_der: &[u8],
        key_pkcs8_der: &[u8],
    ) -> Result<Certificate, CertificateError> {
        let key = rcgen::KeyPair::try_from(key_pkcs8_der)
            .map_err(|_| CertificateError::Invalid("unreadable PKCS#8 private key"))?;
        Certificate::from_parts(cert_der.to_vec(), key)
    }

    fn from_parts(cert_der: Vec<u8>, key: rcgen::KeyPair) -> Result<Certificate, CertificateError> {
        use rcgen::PublicKeyData;
        let algorithm = KeyAlgorithm::from_rcgen(key.algorithm()).ok_or(
            CertificateError::NotSupported("only ECDSA P-256 and P-384 keys can be used for DTLS"),
        )?;
        let info = der::parse_certificate(&cert_der)
            .ok_or(CertificateError::Invalid("not a DER X.509 certificate"))?;
        if info.subject_public_key_info != key.subject_public_key_info().as_slice() {
            return Err(CertificateError::KeyMismatch);
        }
        let expires = info.not_after;
        Ok(Certificate {
            cert_der,
            key_der: key.serialize_der(),
            algorithm,
            expires,
        })
    }

    /// The key algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// When the certificate stops being valid (its notAfter).
    pub fn expires(&self) -> SystemTime {
        self.expires
    }

    /// [`Certificate::expires`] as milliseconds since the Unix epoch (the W3C `expires` attribute).
    pub fn expires_millis(&self) -> u64 {
        self.expires
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// Whether the certificate has expired at wall-clock time `now`.
    ///
    /// W3C: `setConfiguration`/the constructor reject expired certificates with `InvalidAccessError`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires
    }

    /// The fingerprints of this certificate (W3C `getFingerprints()`): SHA-256, as browsers return.
    pub fn get_fingerprints(&self) -> Vec<Fingerprint> {
        vec![self.fingerprint(FingerprintAlgorithm::Sha256)]
    }

    /// The fingerprint with a chosen hash function.
    pub fn fingerprint(&self, algorithm: FingerprintAlgorithm) -> Fingerprint {
        Fingerprint::of(algorithm, &self.cert_der)
    }

    /// The certificate in DER.
    pub fn der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The private key in PKCS#8 DER.
    pub fn private_key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// The certificate in PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.cert_der)
    }

    /// The certificate DER in base64, as `RTCCertificateStats.base64Certificate` wants it.
    pub fn base64_der(&self) -> String {
        base64_encode(&self.cert_der)
    }

    /// The private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_key_pem(&self) -> String {
        pem_encode("PRIVATE KEY", &self.key_der)
    }

    /// The certificate and key in the form the DTLS engine takes.
    pub fn to_dtls(&self) -> dimpl::DtlsCertificate {
        dimpl::DtlsCertificate {
            certificate: self.cert_der.clone(),
            private_key: self.key_der.clone(),
        }
    }
}

/// Formats bytes as colon-separated hex.
pub(crate) fn hex_colon(bytes: &[u8], upper: bool) -> String {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let digits = if upper { UPPER } else { LOWER };
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(digits[(b >> 4) as usize] as char);
        out.push(digits[(b & 0xf) as usize] as char);
    }
    out
}

/// Parses colon-separated hex (either case); every byte must be two digits.
fn parse_hex_colon(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    text.split(':')
        .map(|pair| {
            if pair.len() != 2 {
                return None;
            }
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

/// Standard base64 (RFC 4648 §4) with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (chunk.get(1).copied().unwrap_or(0) as u32) << 8
            | chunk.get(2).copied().unwrap_or(0) as u32;
        for i in 0..4 {
            if i <= n {
                out.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        // The alphabet is ASCII, so every 64-byte chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p256() -> Certificate {
        Certificate::generate(CertificateParams::default()).expect("P-256 generation works")
    }

    #[test]
    fn generated_certificate_has_default_lifetime_and_sha256_fingerprint() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let cert = Certificate::generate_at(CertificateParams::default(), now).unwrap();
        assert_eq!(cert.expires(), now + DEFAULT_EXPIRES);
        assert_eq!(cert.expires_millis(), (1_800_000_000 + 30 * 86_400) * 1000);
        assert!(!cert.is_expired(now));
        assert!(cert.is_expired(now + DEFAULT_EXPIRES));
        let fps = cert.get_fingerprints();
        assert_eq!(fps.len(), 1);
        assert_eq!(fps[0].algorithm, "sha-256");
        assert_eq!(fps[0].value.len(), 32 * 3 - 1);
        assert_eq!(fps[0].value, fps[0].value.to_ascii_lowercase());
        // The notAfter written into the certificate is the expiry we report.
        let info = der::parse_certificate(cert.der()).unwrap();
        assert_eq!(info.not_after, cert.expires());
    }

    #[test]
    fn expires_is_clamped_to_a_year() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let params = CertificateParams {
            algorithm: KeyAlgorithm::EcdsaP256,
            expires: Some(Duration::from_secs(10 * 365 * 86_400)),
        };
        let cert = Certificate::generate_at(params, now).unwrap();
        assert_eq!(cert.expires(), now + MAX_EXPIRES);
    }

    #[test]
    fn two_certificates_differ() {
        let (a, b) = (p256(), p256());
        assert_ne!(a.get_fingerprints(), b.get_fingerprints());
    }

    #[test]
    fn unsupported_algorithms_are_not_supported_errors() {
        for algorithm in [
            KeyAlgorithm::Rsa {
                modulus_length: 2048,
                public_exponent: 65537,
            },
            KeyAlgorithm::Ed25519,
        ] {
            let err = Certificate::generate(CertificateParams {
                algorithm,
                expires: None,
            })
            .unwrap_err();
            assert_eq!(err.w3c_name(), "NotSupportedError", "{algorithm:?}");
        }
    }

    #[test]
    fn p384_generates() {
        let cert = Certificate::generate(CertificateParams {
            algorithm: KeyAlgorithm::EcdsaP384,
            expires: None,
        })
        .unwrap();
        assert_eq!(cert.algorithm(), KeyAlgorithm::EcdsaP384);
    }

    #[test]
    fn pem_round_trip_keeps_identity() {
        let cert = p256();
        let loaded = Certificate::from_pem(&cert.pem(), &cert.private_key_pem()).unwrap();
        assert_eq!(loaded.get_fingerprints(), cert.get_fingerprints());
        assert_eq!(loaded.expires(), cert.expires());
        assert_eq!(loaded.private_key_der(), cert.private_key_der());
        let from_der = Certificate::from_der(cert.der(), cert.private_key_der()).unwrap();
        assert_eq!(from_der, cert);
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        let cert = p256();
        assert!(cert.pem().contains(&cert.base64_der()[..64]));
    }

    #[test]
    fn mismatched_key_is_rejected() {
        let (a, b) = (p256(), p256());
        assert_eq!(
            Certificate::from_pem(&a.pem(), &b.private_key_pem()).unwrap_err(),
            CertificateError::KeyMismatch
        );
    }

    #[test]
    fn garbage_pem_is_rejected() {
        let cert = p256();
        assert!(Certificate::from_pem("hello", &cert.private_key_pem()).is_err());
        assert!(Certificate::from_pem(&cert.pem(), "hello").is_err());
        let broken = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(Certificate::from_pem(broken, &cert.private_key_pem()).is_err());
    }

    #[test]
    fn fingerprint_verification_follows_rfc8122() {
        let cert = p256();
        let other = p256();
        let sha256 = cert
            .fingerprint(FingerprintAlgorithm::Sha256)
            .to_remote()
            .unwrap();
        let sha1 = cert
            .fingerprint(FingerprintAlgorithm::Sha1)
            .to_remote()
            .unwrap();
        let other256 = other
            .fingerprint(FingerprintAlgorithm::Sha256)
            .to_remote()
            .unwrap();
        assert!(verify_fingerprint(
            cert.der(),
            std::slice::from_ref(&sha256)
        ));
        assert!(verify_fingerprint(
            cert.der(),
            &[other256.clone(), sha256.clone()]
        ));
        assert!(!verify_fingerprint(
            cert.der(),
            std::slice::from_ref(&other256)
        ));
        assert!(!verify_fingerprint(cert.der(), &[]));
        // Only the strongest hash counts: a matching SHA-1 does not rescue a
        // mismatching SHA-256.
        assert!(!verify_fingerprint(cert.der(), &[sha1.clone(), other256]));
        assert!(verify_fingerprint(cert.der(), &[sha1]));
    }

    #[test]
    fn sdp_fingerprints_parse_in_either_case() {
        let cert = p256();
        let fp = cert.fingerprint(FingerprintAlgorithm::Sha256);
        let sdp = fp.to_sdp_value();
        assert!(sdp.starts_with("sha-256 "));
        assert_eq!(sdp[8..], fp.value.to_ascii_uppercase());
        let parsed = RemoteFingerprint::parse_sdp(&sdp).unwrap();
        assert!(parsed.matches(cert.der()));
        let upper_alg = format!("SHA-256 {}", fp.value);
        assert_eq!(RemoteFingerprint::parse_sdp(&upper_alg), Some(parsed));
    }

    #[test]
    fn malformed_sdp_fingerprints_are_rejected() {
        for bad in [
            "",
            "sha-256",
            "md5 AB:CD",
            "sha-256 AB:CD",
            "sha-256 ABC:D",
            "sha-256 ZZ:00",
            "sha-256 :",
            "sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33 extra",
        ] {
            assert!(RemoteFingerprint::parse_sdp(bad).is_none(), "{bad:?}");
        }
        let ok = "sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33";
        assert!(RemoteFingerprint::parse_sdp(ok).is_some());
    }

    #[test]
    fn all_hash_lengths_are_right() {
        let cert = p256();
        for (alg, len) in FingerprintAlgorithm::ALL
            .into_iter()
            .zip([20, 28, 32, 48, 64])
        {
            let fp = cert.fingerprint(alg);
            assert_eq!(fp.value.split(':').count(), len, "{alg}");
            assert!(fp.to_remote().unwrap().matches(cert.der()));
        }
    }

    #[test]
    fn keygen_algorithms_parse_like_webcrypto_dictionaries() {
        use serde_json::json;
        let parse = |v: serde_json::Value| CertificateParams::from_json(&v);
        assert_eq!(
            parse(json!({"name": "ECDSA", "namedCurve": "P-256"})).unwrap(),
            CertificateParams::default()
        );
        assert_eq!(
            parse(json!({"name": "ECDSA", "namedCurve": "P-384", "expires": 1000})).unwrap(),
            CertificateParams {
                algorithm: KeyAlgorithm::EcdsaP384,
                expires: Some(Duration::from_secs(1)),
            }
        );
        assert_eq!(
            parse(json!({"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048,
                         "publicExponent": [1, 0, 1], "hash": "SHA-256"}))
            .unwrap()
            .algorithm,
            KeyAlgorithm::Rsa {
                modulus_length: 2048,
                public_exponent: 65537
            }
        );
        for bad in [
            json!("ECDSA"), // a bare name lacks the curve
            json!({"name": "ECDSA", "namedCurve": "P-521"}),
            json!({"name": "AES-GCM"}),
            json!({"namedCurve": "P-256"}),
            json!(42),
            json!({"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048, "publicExponent": [300]}),
            json!({"name": "ECDSA", "namedCurve": "P-256", "expires": -1}),
        ] {
            let err = parse(bad.clone()).unwrap_err();
            assert_eq!(err.w3c_name(), "NotSupportedError", "{bad}");
        }
    }

    #[test]
    fn fingerprint_json_is_the_w3c_dictionary() {
        let fp = Fingerprint {
            algorithm: "sha-256".into(),
            value: "ab:cd".into(),
        };
        let json = serde_json::to_string(&fp).unwrap();
        assert_eq!(json, r#"{"algorithm":"sha-256","value":"ab:cd"}"#);
    }
}
