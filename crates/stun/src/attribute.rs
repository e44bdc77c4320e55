//! Typed STUN/TURN attributes: RFC 8489 (STUN), RFC 8445 (ICE), RFC 8656
//! (TURN), RFC 6062 (TURN-TCP). Values borrow from the decoded datagram.

use std::net::SocketAddr;

use crate::{address, DecodeError, TransactionId};

/// Attribute type codes (IANA "STUN Attributes" registry).
pub mod attr_type {
    /// MAPPED-ADDRESS (RFC 8489).
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    /// USERNAME (RFC 8489).
    pub const USERNAME: u16 = 0x0006;
    /// MESSAGE-INTEGRITY, HMAC-SHA1 (RFC 8489).
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    /// ERROR-CODE (RFC 8489).
    pub const ERROR_CODE: u16 = 0x0009;
    /// UNKNOWN-ATTRIBUTES (RFC 8489).
    pub const UNKNOWN_ATTRIBUTES: u16 = 0x000A;
    /// CHANNEL-NUMBER (RFC 8656).
    pub const CHANNEL_NUMBER: u16 = 0x000C;
    /// LIFETIME (RFC 8656).
    pub const LIFETIME: u16 = 0x000D;
    /// XOR-PEER-ADDRESS (RFC 8656).
    pub const XOR_PEER_ADDRESS: u16 = 0x0012;
    /// DATA (RFC 8656).
    pub const DATA: u16 = 0x0013;
    /// REALM (RFC 8489).
    pub const REALM: u16 = 0x0014;
    /// NONCE (RFC 8489).
    pub const NONCE: u16 = 0x0015;
    /// XOR-RELAYED-ADDRESS (RFC 8656).
    pub const XOR_RELAYED_ADDRESS: u16 = 0x0016;
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656).
    pub const REQUESTED_ADDRESS_FAMILY: u16 = 0x0017;
    /// EVEN-PORT (RFC 8656).
    pub const EVEN_PORT: u16 = 0x0018;
    /// REQUESTED-TRANSPORT (RFC 8656).
    pub const REQUESTED_TRANSPORT: u16 = 0x0019;
    /// DONT-FRAGMENT (RFC 8656).
    pub const DONT_FRAGMENT: u16 = 0x001A;
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489).
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;
    /// PASSWORD-ALGORITHM (RFC 8489).
    pub const PASSWORD_ALGORITHM: u16 = 0x001D;
    /// USERHASH (RFC 8489).
    pub const USERHASH: u16 = 0x001E;
    /// XOR-MAPPED-ADDRESS (RFC 8489).
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    /// RESERVATION-TOKEN (RFC 8656).
    pub const RESERVATION_TOKEN: u16 = 0x0022;
    /// PRIORITY (RFC 8445).
    pub const PRIORITY: u16 = 0x0024;
    /// USE-CANDIDATE (RFC 8445).
    pub const USE_CANDIDATE: u16 = 0x0025;
    /// CONNECTION-ID (RFC 6062).
    pub const CONNECTION_ID: u16 = 0x002A;
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656).
    pub const ADDITIONAL_ADDRESS_FAMILY: u16 = 0x8000;
    /// PASSWORD-ALGORITHMS (RFC 8489).
    pub const PASSWORD_ALGORITHMS: u16 = 0x8002;
    /// ALTERNATE-DOMAIN (RFC 8489).
    pub const ALTERNATE_DOMAIN: u16 = 0x8003;
    /// SOFTWARE (RFC 8489).
    pub const SOFTWARE: u16 = 0x8022;
    /// ALTERNATE-SERVER (RFC 8489).
    pub const ALTERNATE_SERVER: u16 = 0x8023;
    /// FINGERPRINT (RFC 8489).
    pub const FINGERPRINT: u16 = 0x8028;
    /// ICE-CONTROLLED (RFC 8445).
    pub const ICE_CONTROLLED: u16 = 0x8029;
    /// ICE-CONTROLLING (RFC 8445).
    pub const ICE_CONTROLLING: u16 = 0x802A;
}

/// REQUESTED-TRANSPORT protocol number for UDP.
pub const TRANSPORT_UDP: u8 = 17;
/// REQUESTED-TRANSPORT protocol number for TCP (RFC 6062).
pub const TRANSPORT_TCP: u8 = 6;

/// ERROR-CODE value: a code in 300..=699 and a UTF-8 reason phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The numeric code, e.g. 401 or 487.
    pub code: u16,
    /// The reason phrase, for humans.
    pub reason: &'a str,
}

/// One entry of PASSWORD-ALGORITHM(S): algorithm number and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithm<'a> {
    /// 0x0001 MD5, 0x0002 SHA-256.
    pub algorithm: u16,
    /// Algorithm parameters (empty for both defined algorithms).
    pub params: &'a [u8],
}

/// A STUN attribute, decoded. Unknown types are kept as [`Attribute::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS (plain, legacy servers).
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS: the reflexive transport address seen by the server.
    XorMappedAddress(SocketAddr),
    /// USERNAME.
    Username(&'a str),
    /// MESSAGE-INTEGRITY (HMAC-SHA1). Written by [`crate::Message::encode`], not by pushing it.
    MessageIntegrity([u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256 (16 to 32 bytes). Written by encode, not by pushing it.
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT. Written by encode, not by pushing it.
    Fingerprint(u32),
    /// ERROR-CODE.
    ErrorCode(ErrorCode<'a>),
    /// UNKNOWN-ATTRIBUTES: the types a server did not understand.
    UnknownAttributes(Vec<u16>),
    /// REALM.
    Realm(&'a str),
    /// NONCE.
    Nonce(&'a str),
    /// PASSWORD-ALGORITHM.
    PasswordAlgorithm(PasswordAlgorithm<'a>),
    /// PASSWORD-ALGORITHMS.
    PasswordAlgorithms(Vec<PasswordAlgorithm<'a>>),
    /// USERHASH (32 bytes, SHA-256 of "username:realm").
    UserHash(&'a [u8]),
    /// SOFTWARE.
    Software(&'a str),
    /// ALTERNATE-SERVER.
    AlternateServer(SocketAddr),
    /// ALTERNATE-DOMAIN.
    AlternateDomain(&'a str),
    /// PRIORITY (ICE).
    Priority(u32),
    /// USE-CANDIDATE (ICE nomination flag).
    UseCandidate,
    /// ICE-CONTROLLED with the sender's tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING with the sender's tie-breaker.
    IceControlling(u64),
    /// CHANNEL-NUMBER (0x4000..=0x4FFF).
    ChannelNumber(u16),
    /// LIFETIME in seconds.
    Lifetime(u32),
    /// XOR-PEER-ADDRESS.
    XorPeerAddress(SocketAddr),
    /// DATA.
    Data(&'a [u8]),
    /// XOR-RELAYED-ADDRESS.
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY (0x01 IPv4, 0x02 IPv6).
    RequestedAddressFamily(u8),
    /// ADDITIONAL-ADDRESS-FAMILY (0x02 IPv6).
    AdditionalAddressFamily(u8),
    /// EVEN-PORT with its R (reserve next port) bit.
    EvenPort(bool),
    /// REQUESTED-TRANSPORT protocol number ([`TRANSPORT_UDP`]).
    RequestedTransport(u8),
    /// DONT-FRAGMENT.
    DontFragment,
    /// RESERVATION-TOKEN (8 opaque bytes).
    ReservationToken(u64),
    /// CONNECTION-ID (RFC 6062).
    ConnectionId(u32),
    /// Any other attribute, kept verbatim.
    Unknown {
        /// The attribute type.
        typ: u16,
        /// The value, without padding.
        value: &'a [u8],
    },
}

fn utf8(typ: u16, v: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(v).map_err(|_| DecodeError::BadAttribute(typ))
}

fn fixed<const N: usize>(typ: u16, v: &[u8]) -> Result<[u8; N], DecodeError> {
    v.try_into().map_err(|_| DecodeError::BadAttribute(typ))
}

fn algorithms(typ: u16, mut v: &[u8]) -> Result<Vec<PasswordAlgorithm<'_>>, DecodeError> {
    let mut out = Vec::new();
    while !v.is_empty() {
        let one = one_algorithm(typ, v)?;
        let used = 4 + padded(one.params.len());
        out.push(one);
        v = v.get(used..).unwrap_or(&[]);
    }
    Ok(out)
}

fn one_algorithm(typ: u16, v: &[u8]) -> Result<PasswordAlgorithm<'_>, DecodeError> {
    if v.len() < 4 {
        return Err(DecodeError::BadAttribute(typ));
    }
    let algorithm = u16::from_be_bytes([v[0], v[1]]);
    let len = u16::from_be_bytes([v[2], v[3]]) as usize;
    let params = v.get(4..4 + len).ok_or(DecodeError::BadAttribute(typ))?;
    Ok(PasswordAlgorithm { algorithm, params })
}

/// Rounds up to the 4-byte attribute boundary.
pub(crate) fn padded(len: usize) -> usize {
    (len + 3) & !3
}

impl<'a> Attribute<'a> {
    /// Decodes one attribute value of type `typ`.
    pub(crate) fn decode(
        typ: u16,
        v: &'a [u8],
        tid: &TransactionId,
    ) -> Result<Attribute<'a>, DecodeError> {
        use attr_type::*;
        let bad = DecodeError::BadAttribute(typ);
        let addr = |xor| address::decode(v, xor).ok_or(bad);
        Ok(match typ {
            MAPPED_ADDRESS => Attribute::MappedAddress(addr(None)?),
            XOR_MAPPED_ADDRESS => Attribute::XorMappedAddress(addr(Some(tid))?),
            ALTERNATE_SERVER => Attribute::AlternateServer(addr(None)?),
            XOR_PEER_ADDRESS => Attribute::XorPeerAddress(addr(Some(tid))?),
            XOR_RELAYED_ADDRESS => Attribute::XorRelayedAddress(addr(Some(tid))?),
            USERNAME => Attribute::Username(utf8(typ, v)?),
            REALM => Attribute::Realm(utf8(typ, v)?),
            NONCE => Attribute::Nonce(utf8(typ, v)?),
            SOFTWARE => Attribute::Software(utf8(typ, v)?),
            ALTERNATE_DOMAIN => Attribute::AlternateDomain(utf8(typ, v)?),
            MESSAGE_INTEGRITY => Attribute::MessageIntegrity(fixed::<20>(typ, v)?),
            MESSAGE_INTEGRITY_SHA256 => {
                if v.len() < 16 || v.len() > 32 || v.len() % 4 != 0 {
                    return Err(bad);
                }
                Attribute::MessageIntegritySha256(v)
            }
            FINGERPRINT => Attribute::Fingerprint(u32::from_be_bytes(fixed(typ, v)?)),
            ERROR_CODE => {
                if v.len() < 4 {
                    return Err(bad);
                }
                let class = u16::from(v[2] & 0x07);
                let number = u16::from(v[3]);
                if number > 99 {
                    return Err(bad);
                }
                Attribute::ErrorCode(ErrorCode {
                    code: class * 100 + number,
                    reason: utf8(typ, &v[4..])?,
                })
            }
            UNKNOWN_ATTRIBUTES => {
                if v.len() % 2 != 0 {
                    return Err(bad);
                }
                Attribute::UnknownAttributes(
                    v.chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect(),
                )
            }
            PASSWORD_ALGORITHM => Attribute::PasswordAlgorithm(one_algorithm(typ, v)?),
            PASSWORD_ALGORITHMS => Attribute::PasswordAlgorithms(algorithms(typ, v)?),
            USERHASH => {
                if v.len() != 32 {
                    return Err(bad);
                }
                Attribute::UserHash(v)
            }
            PRIORITY => Attribute::Priority(u32::from_be_bytes(fixed(typ, v)?)),
            USE_CANDIDATE => {
                if !v.is_empty() {
                    return Err(bad);
                }
                Attribute::UseCandidate
            }
            ICE_CONTROLLED => Attribute::IceControlled(u64::from_be_bytes(fixed(typ, v)?)),
            ICE_CONTROLLING => Attribute::IceControlling(u64::from_be_bytes(fixed(typ, v)?)),
            CHANNEL_NUMBER => {
                let b: [u8; 4] = fixed(typ, v)?;
                Attribute::ChannelNumber(u16::from_be_bytes([b[0], b[1]]))
            }
            LIFETIME => Attribute::Lifetime(u32::from_be_bytes(fixed(typ, v)?)),
            DATA => Attribute::Data(v),
            REQUESTED_ADDRESS_FAMILY => Attribute::RequestedAddressFamily(fixed::<4>(typ, v)?[0]),
            ADDITIONAL_ADDRESS_FAMILY => Attribute::AdditionalAddressFamily(fixed::<4>(typ, v)?[0]),
            EVEN_PORT => Attribute::EvenPort(fixed::<1>(typ, v)?[0] & 0x80 != 0),
            REQUESTED_TRANSPORT => Attribute::RequestedTransport(fixed::<4>(typ, v)?[0]),
            DONT_FRAGMENT => {
                if !v.is_empty() {
                    return Err(bad);
                }
                Attribute::DontFragment
            }
            RESERVATION_TOKEN => Attribute::ReservationToken(u64::from_be_bytes(fixed(typ, v)?)),
            CONNECTION_ID => Attribute::ConnectionId(u32::from_be_bytes(fixed(typ, v)?)),
            _ => Attribute::Unknown { typ, value: v },
        })
    }

    /// The attribute's type code.
    pub fn typ(&self) -> u16 {
        use attr_type::*;
        match self {
            Attribute::MappedAddress(_) => MAPPED_ADDRESS,
            Attribute::XorMappedAddress(_) => XOR_MAPPED_ADDRESS,
            Attribute::Username(_) => USERNAME,
            Attribute::MessageIntegrity(_) => MESSAGE_INTEGRITY,
            Attribute::MessageIntegritySha256(_) => MESSAGE_INTEGRITY_SHA256,
            Attribute::Fingerprint(_) => FINGERPRINT,
            Attribute::ErrorCode(_) => ERROR_CODE,
            Attribute::UnknownAttributes(_) => UNKNOWN_ATTRIBUTES,
            Attribute::Realm(_) => REALM,
            Attribute::Nonce(_) => NONCE,
            Attribute::PasswordAlgorithm(_) => PASSWORD_ALGORITHM,
            Attribute::PasswordAlgorithms(_) => PASSWORD_ALGORITHMS,
            Attribute::UserHash(_) => USERHASH,
            Attribute::Software(_) => SOFTWARE,
            Attribute::AlternateServer(_) => ALTERNATE_SERVER,
            Attribute::AlternateDomain(_) => ALTERNATE_DOMAIN,
            Attribute::Priority(_) => PRIORITY,
            Attribute::UseCandidate => USE_CANDIDATE,
            Attribute::IceControlled(_) => ICE_CONTROLLED,
            Attribute::IceControlling(_) => ICE_CONTROLLING,
            Attribute::ChannelNumber(_) => CHANNEL_NUMBER,
            Attribute::Lifetime(_) => LIFETIME,
            Attribute::XorPeerAddress(_) => XOR_PEER_ADDRESS,
            Attribute::Data(_) => DATA,
            Attribute::XorRelayedAddress(_) => XOR_RELAYED_ADDRESS,
            Attribute::RequestedAddressFamily(_) => REQUESTED_ADDRESS_FAMILY,
            Attribute::AdditionalAddressFamily(_) => ADDITIONAL_ADDRESS_FAMILY,
            Attribute::EvenPort(_) => EVEN_PORT,
            Attribute::RequestedTransport(_) => REQUESTED_TRANSPORT,
            Attribute::DontFragment => DONT_FRAGMENT,
            Attribute::ReservationToken(_) => RESERVATION_TOKEN,
            Attribute::ConnectionId(_) => CONNECTION_ID,
            Attribute::Unknown { typ, .. } => *typ,
        }
    }

    /// Appends the whole attribute (header, value, zero padding) to `out`.
    pub(crate) fn encode(&self, tid: &TransactionId, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.typ().to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        self.encode_value(tid, out);
        let len = out.len() - start - 4;
        // Attribute values are bounded by what callers put in; a value longer
        // than 65535 bytes cannot be represented and is truncated in the
        // length field only if the caller built an impossible message.
        let len16 = u16::try_from(len).unwrap_or(u16::MAX);
        out[start + 2..start + 4].copy_from_slice(&len16.to_be_bytes());
        out.resize(out.len() + padded(len) - len, 0);
    }

    fn encode_value(&self, tid: &TransactionId, out: &mut Vec<u8>) {
        match self {
            Attribute::MappedAddress(a) | Attribute::AlternateServer(a) => {
                address::encode(a, None, out)
            }
            Attribute::XorMappedAddress(a)
            | Attribute::XorPeerAddress(a)
            | Attribute::XorRelayedAddress(a) => address::encode(a, Some(tid), out),
            Attribute::Username(s)
            | Attribute::Realm(s)
            | Attribute::Nonce(s)
            | Attribute::Software(s)
            | Attribute::AlternateDomain(s) => out.extend_from_slice(s.as_bytes()),
            Attribute::MessageIntegrity(m) => out.extend_from_slice(m),
            Attribute::MessageIntegritySha256(m) | Attribute::UserHash(m) | Attribute::Data(m) => {
                out.extend_from_slice(m)
            }
            Attribute::Fingerprint(v) => out.extend_from_slice(&v.to_be_bytes()),
            Attribute::ErrorCode(e) => {
                let class = ((e.code / 100) & 0x07) as u8;
                let number = (e.code % 100) as u8;
                out.extend_from_slice(&[0, 0, class, number]);
                out.extend_from_slice(e.reason.as_bytes());
            }
            Attribute::UnknownAttributes(types) => {
                for t in types {
                    out.extend_from_slice(&t.to_be_bytes());
                }
            }
            Attribute::PasswordAlgorithm(a) => encode_algorithm(a, out),
            Attribute::PasswordAlgorithms(list) => {
                for a in list {
                    encode_algorithm(a, out);
                }
            }
            Attribute::Priority(v) | Attribute::Lifetime(v) | Attribute::ConnectionId(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Attribute::UseCandidate | Attribute::DontFragment => {}
            Attribute::IceControlled(v)
            | Attribute::IceControlling(v)
            | Attribute::ReservationToken(v) => out.extend_from_slice(&v.to_be_bytes()),
            Attribute::ChannelNumber(c) => {
                out.extend_from_slice(&c.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            Attribute::RequestedAddressFamily(f)
            | Attribute::AdditionalAddressFamily(f)
            | Attribute::RequestedTransport(f) => out.extend_from_slice(&[*f, 0, 0, 0]),
            Attribute::EvenPort(r) => out.push(if *r { 0x80 } else { 0 }),
            Attribute::Unknown { value, .. } => out.extend_from_slice(value),
        }
    }

    /// Encoded size including header and padding.
    pub fn encoded_len(&self) -> usize {
        let v = match self {
            Attribute::MappedAddress(a)
            | Attribute::AlternateServer(a)
            | Attribute::XorMappedAddress(a)
            | Attribute::XorPeerAddress(a)
            | Attribute::XorRelayedAddress(a) => address::encoded_len(a),
            Attribute::Username(s)
            | Attribute::Realm(s)
            | Attribute::Nonce(s)
            | Attribute::Software(s)
            | Attribute::AlternateDomain(s) => s.len(),
            Attribute::MessageIntegrity(_) => 20,
            Attribute::MessageIntegritySha256(m) | Attribute::UserHash(m) | Attribute::Data(m) => {
                m.len()
            }
            Attribute::ErrorCode(e) => 4 + e.reason.len(),
            Attribute::UnknownAttributes(t) => 2 * t.len(),
            Attribute::PasswordAlgorithm(a) => 4 + padded(a.params.len()),
            Attribute::PasswordAlgorithms(l) => l.iter().map(|a| 4 + padded(a.params.len())).sum(),
            Attribute::UseCandidate | Attribute::DontFragment => 0,
            Attribute::IceControlled(_)
            | Attribute::IceControlling(_)
            | Attribute::ReservationToken(_) => 8,
            Attribute::EvenPort(_) => 1,
            Attribute::Unknown { value, .. } => value.len(),
            _ => 4,
        };
        4 + padded(v)
    }
}

fn encode_algorithm(a: &PasswordAlgorithm<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(&a.algorithm.to_be_bytes());
    let len = u16::try_from(a.params.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(a.params);
    out.resize(out.len() + padded(a.params.len()) - a.params.len(), 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(a: Attribute<'_>) {
        let tid = TransactionId::from_bytes([3; 12]);
        let mut out = Vec::new();
        a.encode(&tid, &mut out);
        assert_eq!(out.len(), a.encoded_len(), "{a:?}");
        assert_eq!(out.len() % 4, 0);
        let typ = u16::from_be_bytes([out[0], out[1]]);
        let len = u16::from_be_bytes([out[2], out[3]]) as usize;
        let back = Attribute::decode(typ, &out[4..4 + len], &tid).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn every_attribute_round_trips() {
        let v4: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let v6: SocketAddr = "[2001:db8::7]:6000".parse().unwrap();
        let algos = vec![
            PasswordAlgorithm {
                algorithm: 2,
                params: &[],
            },
            PasswordAlgorithm {
                algorithm: 9,
                params: &[1, 2, 3],
            },
        ];
        for a in [
            Attribute::MappedAddress(v4),
            Attribute::XorMappedAddress(v6),
            Attribute::Username("user:frag"),
            Attribute::MessageIntegrity([9; 20]),
            Attribute::MessageIntegritySha256(&[1; 32]),
            Attribute::Fingerprint(0xdead_beef),
            Attribute::ErrorCode(ErrorCode {
                code: 487,
                reason: "Role Conflict",
            }),
            Attribute::UnknownAttributes(vec![0x1234, 0x0077, 0x8001]),
            Attribute::Realm("example.org"),
            Attribute::Nonce("abc"),
            Attribute::PasswordAlgorithm(PasswordAlgorithm {
                algorithm: 1,
                params: &[],
            }),
            Attribute::PasswordAlgorithms(algos),
            Attribute::UserHash(&[7; 32]),
            Attribute::Software("rtcpeer"),
            Attribute::AlternateServer(v6),
            Attribute::AlternateDomain("turn.example.org"),
            Attribute::Priority(0x6e0001ff),
            Attribute::UseCandidate,
            Attribute::IceControlled(u64::MAX - 3),
            Attribute::IceControlling(42),
            Attribute::ChannelNumber(0x4001),
            Attribute::Lifetime(600),
            Attribute::XorPeerAddress(v4),
            Attribute::Data(b"hello world"),
            Attribute::XorRelayedAddress(v6),
            Attribute::RequestedAddressFamily(2),
            Attribute::AdditionalAddressFamily(2),
            Attribute::EvenPort(true),
            Attribute::RequestedTransport(TRANSPORT_UDP),
            Attribute::DontFragment,
            Attribute::ReservationToken(0x0102030405060708),
            Attribute::ConnectionId(77),
            Attribute::Unknown {
                typ: 0x7777,
                value: &[1, 2, 3, 4, 5],
            },
        ] {
            round_trip(a);
        }
    }

    #[test]
    fn malformed_values_are_errors() {
        let tid = TransactionId::from_bytes([0; 12]);
        use attr_type::*;
        for (typ, v) in [
            (PRIORITY, &[1u8, 2, 3][..]),
            (USE_CANDIDATE, &[1][..]),
            (ERROR_CODE, &[0, 0, 4][..]),
            (ERROR_CODE, &[0, 0, 4, 100][..]),
            (USERNAME, &[0xff, 0xfe][..]),
            (MESSAGE_INTEGRITY, &[0; 19][..]),
            (MESSAGE_INTEGRITY_SHA256, &[0; 12][..]),
            (UNKNOWN_ATTRIBUTES, &[0; 3][..]),
            (USERHASH, &[0; 31][..]),
            (PASSWORD_ALGORITHMS, &[0, 1, 0, 8, 0][..]),
            (XOR_MAPPED_ADDRESS, &[0, 1, 0][..]),
        ] {
            assert_eq!(
                Attribute::decode(typ, v, &tid),
                Err(DecodeError::BadAttribute(typ)),
                "type {typ:#x}"
            );
        }
    }
}
