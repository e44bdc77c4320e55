//! Just enough DER and PEM reading to inspect a certificate we are handed.
//!
//! A reused certificate (`Certificate::from_pem`/`from_der`) arrives as bytes
//! we did not make. We need two things from it: its expiry (`notAfter`) and its
//! SubjectPublicKeyInfo, to check it belongs to the private key. This module
//! walks the X.509 structure (RFC 5280 §4.1) without building a full parser:
//!
//! ```text
//! Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
//! tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
//!                               issuer, validity SEQUENCE { notBefore, notAfter },
//!                               subject, subjectPublicKeyInfo, ... }
//! ```
//!
//! Every read is bounds-checked; malformed input yields `None`, never a panic.

use std::time::{Duration, SystemTime};

/// One DER element: its tag, its contents, and the whole encoding (header + contents).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) contents: &'a [u8],
    pub(crate) encoded: &'a [u8],
}

/// Reads the DER element at the start of `input`; returns it and the rest.
pub(crate) fn read_element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        // High tag numbers never occur in the parts of X.509 we read.
        return None;
    }
    let first_len = *input.get(1)?;
    let (len, header) = if first_len < 0x80 {
        (first_len as usize, 2)
    } else {
        let n = (first_len & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None; // indefinite length is not DER; > 4 GiB is absurd
        }
        let bytes = input.get(2..2 + n)?;
        let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let contents = input.get(header..end)?;
    Some((
        Element {
            tag,
            contents,
            encoded: &input[..end],
        },
        &input[end..],
    ))
}

/// The fields of an X.509 certificate this crate needs.
#[derive(Debug, Clone)]
pub(crate) struct CertificateInfo<'a> {
    /// End of the validity period.
    pub(crate) not_after: SystemTime,
    /// The DER encoding of SubjectPublicKeyInfo (tag and length included).
    pub(crate) subject_public_key_info: &'a [u8],
}

const TAG_SEQUENCE: u8 = 0x30;
const TAG_CONTEXT_0: u8 = 0xa0;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;

/// Reads the validity end and public key of a DER X.509 certificate.
pub(crate) fn parse_certificate(der: &[u8]) -> Option<CertificateInfo<'_>> {
    let (cert, rest) = read_element(der)?;
    if cert.tag != TAG_SEQUENCE || !rest.is_empty() {
        return None;
    }
    let (tbs, _) = read_element(cert.contents)?;
    if tbs.tag != TAG_SEQUENCE {
        return None;
    }
    let mut fields = tbs.contents;
    let (mut next, mut after) = read_element(fields)?;
    if next.tag == TAG_CONTEXT_0 {
        // Explicit version; skip it.
        fields = after;
        (next, after) = read_element(fields)?;
    }
    // next = serialNumber
    let _ = next;
    let (_signature, after) = read_element(after)?;
    let (_issuer, after) = read_element(after)?;
    let (validity, after) = read_element(after)?;
    if validity.tag != TAG_SEQUENCE {
        return None;
    }
    let (_not_before, validity_rest) = read_element(validity.contents)?;
    let (not_after, _) = read_element(validity_rest)?;
    let not_after = parse_time(not_after)?;
    let (_subject, after) = read_element(after)?;
    let (spki, _) = read_element(after)?;
    if spki.tag != TAG_SEQUENCE {
        return None;
    }
    Some(CertificateInfo {
        not_after,
        subject_public_key_info: spki.encoded,
    })
}

/// Parses a UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn parse_time(element: Element<'_>) -> Option<SystemTime> {
    let text = std::str::from_utf8(element.contents).ok()?;
    let text = text.strip_suffix('Z')?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match element.tag {
        TAG_UTC_TIME if text.len() == 12 => {
            let yy: i64 = text[..2].parse().ok()?;
            // RFC 5280 §4.1.2.5.1: 50..99 → 19xx, 00..49 → 20xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        TAG_GENERALIZED_TIME if text.len() == 14 => (text[..4].parse().ok()?, &text[4..]),
        _ => return None,
    };
    let num = |range: std::ops::Range<usize>| -> Option<i64> { rest.get(range)?.parse().ok() };
    let (month, day) = (num(0..2)?, num(2..4)?);
    let (hour, minute, second) = (num(4..6)?, num(6..8)?, num(8..10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let secs = u64::try_from(secs).ok()?; // before 1970: not a usable expiry
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Decodes the first PEM block labelled `label` in `text`.
pub(crate) fn decode_pem(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    crate::base64::decode(&text[start..stop])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 22), 20_779);
    }

    #[test]
    fn times_parse_in_both_forms() {
        let utc = Element {
            tag: TAG_UTC_TIME,
            contents: b"261122050714Z",
            encoded: &[],
        };
        let gen = Element {
            tag: TAG_GENERALIZED_TIME,
            contents: b"20261122050714Z",
            encoded: &[],
        };
        let expected =
            SystemTime::UNIX_EPOCH + Duration::from_secs(20_779 * 86_400 + 5 * 3_600 + 7 * 60 + 14);
        assert_eq!(parse_time(utc), Some(expected));
        assert_eq!(parse_time(gen), Some(expected));
        let bad = Element {
            tag: TAG_UTC_TIME,
            contents: b"261322050714Z",
            encoded: &[],
        };
        assert_eq!(parse_time(bad), None);
    }

    #[test]
    fn truncated_and_garbage_der_is_rejected() {
        assert!(parse_certificate(&[]).is_none());
        assert!(parse_certificate(&[0x30]).is_none());
        assert!(parse_certificate(&[0x30, 0x85, 1, 2, 3, 4, 5]).is_none());
        assert!(parse_certificate(&[0x30, 0x03, 0x02, 0x01]).is_none());
        for len in 0..64u8 {
            let junk: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0x30).collect();
            let _ = parse_certificate(&junk);
        }
    }

    #[test]
    fn mutated_real_certificates_never_panic() {
        let cert =
            crate::certificate::Certificate::generate(Default::default()).expect("P-256 generates");
        let der = cert.der();
        assert!(parse_certificate(der).is_some());
        for cut in 0..der.len() {
            assert!(parse_certificate(&der[..cut]).is_none(), "cut {cut}");
        }
        for i in 0..der.len() {
            for bit in [0u8, 3, 7] {
                let mut m = der.to_vec();
                m[i] ^= 1 << bit;
                let _ = parse_certificate(&m);
                let _ = crate::certificate::Certificate::from_der(&m, cert.private_key_der());
            }
        }
    }
}
