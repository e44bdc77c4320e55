//! The STUN message: header, attribute list, decoding and encoding.

use std::fmt;
use std::net::SocketAddr;

use crate::attribute::{attr_type, padded, Attribute, ErrorCode};
use crate::integrity::{self, Integrity};
use crate::{DecodeError, IntegrityError, FINGERPRINT_XOR, HEADER_LEN, MAGIC_COOKIE};

/// The class of a message (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request; expects a response with the same transaction id.
    Request,
    /// An indication; no response.
    Indication,
    /// A success response.
    SuccessResponse,
    /// An error response (carries ERROR-CODE).
    ErrorResponse,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Class::Request => 0x000,
            Class::Indication => 0x010,
            Class::SuccessResponse => 0x100,
            Class::ErrorResponse => 0x110,
        }
    }
}

/// The method of a message: Binding (STUN, ICE) and the TURN methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Binding (0x001).
    Binding,
    /// TURN Allocate (0x003).
    Allocate,
    /// TURN Refresh (0x004).
    Refresh,
    /// TURN Send (0x006, indication).
    Send,
    /// TURN Data (0x007, indication).
    Data,
    /// TURN CreatePermission (0x008).
    CreatePermission,
    /// TURN ChannelBind (0x009).
    ChannelBind,
    /// TURN-TCP Connect (0x00A, RFC 6062).
    Connect,
    /// TURN-TCP ConnectionBind (0x00B, RFC 6062).
    ConnectionBind,
    /// TURN-TCP ConnectionAttempt (0x00C, RFC 6062).
    ConnectionAttempt,
    /// Any other 12-bit method number.
    Other(u16),
}

impl Method {
    /// The 12-bit method number.
    pub fn number(self) -> u16 {
        match self {
            Method::Binding => 0x001,
            Method::Allocate => 0x003,
            Method::Refresh => 0x004,
            Method::Send => 0x006,
            Method::Data => 0x007,
            Method::CreatePermission => 0x008,
            Method::ChannelBind => 0x009,
            Method::Connect => 0x00A,
            Method::ConnectionBind => 0x00B,
            Method::ConnectionAttempt => 0x00C,
            Method::Other(n) => n & 0x0FFF,
        }
    }

    /// The method with this 12-bit number.
    pub fn from_number(n: u16) -> Method {
        match n {
            0x001 => Method::Binding,
            0x003 => Method::Allocate,
            0x004 => Method::Refresh,
            0x006 => Method::Send,
            0x007 => Method::Data,
            0x008 => Method::CreatePermission,
            0x009 => Method::ChannelBind,
            0x00A => Method::Connect,
            0x00B => Method::ConnectionBind,
            0x00C => Method::ConnectionAttempt,
            n => Method::Other(n & 0x0FFF),
        }
    }
}

/// The 96-bit transaction id that pairs a response with its request.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId([u8; 12]);

impl TransactionId {
    /// Wraps 12 bytes. Requests need unpredictable ids: take them from a
    /// cryptographic random source.
    pub fn from_bytes(b: [u8; 12]) -> Self {
        TransactionId(b)
    }

    /// The 12 bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Where an integrity attribute sits in the raw message it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IntegrityPos {
    /// Offset of the attribute header.
    offset: usize,
    sha256: bool,
}

/// A STUN message. Decoded messages borrow their string and byte attributes
/// from the datagram; built messages borrow from the caller's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Request, indication or response.
    pub class: Class,
    /// Binding or a TURN method.
    pub method: Method,
    /// The transaction id.
    pub transaction_id: TransactionId,
    /// Attributes in wire order (after decoding: MESSAGE-INTEGRITY and
    /// FINGERPRINT included, attributes that RFC 8489 says to ignore left out).
    pub attributes: Vec<Attribute<'a>>,
    integrity: Option<IntegrityPos>,
    raw_len: usize,
}

impl<'a> Message<'a> {
    /// A new message with no attributes.
    pub fn new(class: Class, method: Method, transaction_id: TransactionId) -> Self {
        Message {
            class,
            method,
            transaction_id,
            attributes: Vec::new(),
            integrity: None,
            raw_len: 0,
        }
    }

    /// Appends an attribute.
    pub fn push(&mut self, a: Attribute<'a>) {
        self.attributes.push(a);
    }

    /// The length of a complete STUN message at the start of a byte stream
    /// (STUN over TCP), or `None` if the header is incomplete or not STUN.
    pub fn frame_len(stream: &[u8]) -> Option<usize> {
        if stream.len() < 4 || stream[0] & 0xC0 != 0 {
            return None;
        }
        Some(HEADER_LEN + u16::from_be_bytes([stream[2], stream[3]]) as usize)
    }

    /// Decodes one message that fills `data` exactly. Verifies FINGERPRINT
    /// when present; never panics.
    pub fn decode(data: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        if data.len() < HEADER_LEN {
            return Err(DecodeError::Truncated);
        }
        if data[0] & 0xC0 != 0 || data[4..8] != MAGIC_COOKIE.to_be_bytes() {
            return Err(DecodeError::NotStun);
        }
        let len = u16::from_be_bytes([data[2], data[3]]) as usize;
        if len % 4 != 0 {
            return Err(DecodeError::BadLength);
        }
        if HEADER_LEN + len > data.len() {
            return Err(DecodeError::Truncated);
        }
        if HEADER_LEN + len != data.len() {
            return Err(DecodeError::BadLength);
        }
        let typ = u16::from_be_bytes([data[0], data[1]]);
        let class = match typ & 0x110 {
            0x000 => Class::Request,
            0x010 => Class::Indication,
            0x100 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        };
        let method =
            Method::from_number((typ & 0x000F) | ((typ >> 1) & 0x0070) | ((typ >> 2) & 0x0F80));
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&data[8..20]);
        let transaction_id = TransactionId(tid);

        let mut msg = Message::new(class, method, transaction_id);
        msg.raw_len = data.len();
        let mut off = HEADER_LEN;
        let mut seen_mi = false;
        let mut seen_mi256 = false;
        while off < data.len() {
            if data.len() - off < 4 {
                return Err(DecodeError::AttributeOverrun);
            }
            let atyp = u16::from_be_bytes([data[off], data[off + 1]]);
            let alen = u16::from_be_bytes([data[off + 2], data[off + 3]]) as usize;
            let vstart = off + 4;
            let vend = vstart + alen;
            let next = vstart + padded(alen);
            if next > data.len() {
                return Err(DecodeError::AttributeOverrun);
            }
            let value = &data[vstart..vend];
            match atyp {
                attr_type::FINGERPRINT => {
                    if next != data.len() {
                        return Err(DecodeError::AfterFingerprint);
                    }
                    let attr = Attribute::decode(atyp, value, &transaction_id)?;
                    let expected = crc32fast::hash(&data[..off]) ^ FINGERPRINT_XOR;
                    if attr != Attribute::Fingerprint(expected) {
                        return Err(DecodeError::FingerprintMismatch);
                    }
                    msg.attributes.push(attr);
                }
                attr_type::MESSAGE_INTEGRITY_SHA256 if !seen_mi256 => {
                    let attr = Attribute::decode(atyp, value, &transaction_id)?;
                    msg.attributes.push(attr);
                    msg.integrity = Some(IntegrityPos {
                        offset: off,
                        sha256: true,
                    });
                    seen_mi256 = true;
                }
                attr_type::MESSAGE_INTEGRITY if !seen_mi && !seen_mi256 => {
                    let attr = Attribute::decode(atyp, value, &transaction_id)?;
                    msg.attributes.push(attr);
                    msg.integrity = Some(IntegrityPos {
                        offset: off,
                        sha256: false,
                    });
                    seen_mi = true;
                }
                // RFC 8489 §14: attributes after MESSAGE-INTEGRITY(-SHA256),
                // other than the ones above, are ignored.
                _ if seen_mi || seen_mi256 => {}
                _ => msg
                    .attributes
                    .push(Attribute::decode(atyp, value, &transaction_id)?),
            }
            off = next;
        }
        Ok(msg)
    }

    /// Verifies MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY,
    /// over `raw`, the exact bytes this message was decoded from, with `key`
    /// (see [`crate::integrity`] for how keys are derived).
    pub fn verify_integrity(&self, raw: &[u8], key: &[u8]) -> Result<(), IntegrityError> {
        let pos = self.integrity.ok_or(IntegrityError::Missing)?;
        if raw.len() != self.raw_len || raw.len() < pos.offset + 4 {
            return Err(IntegrityError::RawMismatch);
        }
        let expected = self
            .attributes
            .iter()
            .find_map(|a| match a {
                Attribute::MessageIntegrity(m) if !pos.sha256 => Some(&m[..]),
                Attribute::MessageIntegritySha256(m) if pos.sha256 => Some(*m),
                _ => None,
            })
            .ok_or(IntegrityError::Missing)?;
        // The length field covers everything up to and including the
        // integrity attribute itself.
        let covered = pos.offset + 4 + padded(expected.len()) - HEADER_LEN;
        let mut header = [0u8; HEADER_LEN];
        header.copy_from_slice(&raw[..HEADER_LEN]);
        header[2..4].copy_from_slice(&(covered as u16).to_be_bytes());
        let ok = if pos.sha256 {
            integrity::verify_sha256(key, &header, &raw[HEADER_LEN..pos.offset], expected)
        } else {
            integrity::verify_sha1(key, &header, &raw[HEADER_LEN..pos.offset], expected)
        };
        if ok {
            Ok(())
        } else {
            Err(IntegrityError::Mismatch)
        }
    }

    /// Whether the message carries MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
    pub fn has_integrity(&self) -> bool {
        self.integrity.is_some()
    }

    /// Whether the message carries FINGERPRINT (already verified by decode).
    pub fn has_fingerprint(&self) -> bool {
        self.attributes
            .iter()
            .any(|a| matches!(a, Attribute::Fingerprint(_)))
    }

    /// Appends the wire form to `out`. Any MESSAGE-INTEGRITY(-SHA256) and
    /// FINGERPRINT in `attributes` are skipped; they are computed afresh from
    /// `integrity` and `fingerprint`. Returns the number of bytes written.
    pub fn encode(
        &self,
        integrity: Option<Integrity<'_>>,
        fingerprint: bool,
        out: &mut Vec<u8>,
    ) -> usize {
        let start = out.len();
        let typ = self.class.bits()
            | (self.method.number() & 0x000F)
            | ((self.method.number() & 0x0070) << 1)
            | ((self.method.number() & 0x0F80) << 2);
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(&self.transaction_id.0);
        for a in &self.attributes {
            if !matches!(
                a,
                Attribute::MessageIntegrity(_)
                    | Attribute::MessageIntegritySha256(_)
                    | Attribute::Fingerprint(_)
            ) {
                a.encode(&self.transaction_id, out);
            }
        }
        let set_len = |out: &mut Vec<u8>, extra: usize| {
            let len = (out.len() - start - HEADER_LEN + extra) as u16;
            out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
        };
        if let Some(integ) = integrity {
            let (typ, mac_len) = match integ {
                Integrity::Sha1(_) => (attr_type::MESSAGE_INTEGRITY, 20),
                Integrity::Sha256(_) => (attr_type::MESSAGE_INTEGRITY_SHA256, 32),
            };
            set_len(out, 4 + mac_len);
            let mac = integ.sign(&out[start..]);
            out.extend_from_slice(&typ.to_be_bytes());
            out.extend_from_slice(&(mac_len as u16).to_be_bytes());
            out.extend_from_slice(&mac[..mac_len]);
        }
        if fingerprint {
            set_len(out, 8);
            let crc = crc32fast::hash(&out[start..]) ^ FINGERPRINT_XOR;
            out.extend_from_slice(&attr_type::FINGERPRINT.to_be_bytes());
            out.extend_from_slice(&4u16.to_be_bytes());
            out.extend_from_slice(&crc.to_be_bytes());
        }
        set_len(out, 0);
        out.len() - start
    }

    /// Encodes into a fresh `Vec`.
    pub fn to_vec(&self, integrity: Option<Integrity<'_>>, fingerprint: bool) -> Vec<u8> {
        let mut v = Vec::with_capacity(
            HEADER_LEN
                + self
                    .attributes
                    .iter()
                    .map(Attribute::encoded_len)
                    .sum::<usize>()
                + 60,
        );
        self.encode(integrity, fingerprint, &mut v);
        v
    }

    /// The first attribute of type `typ`.
    pub fn get(&self, typ: u16) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.typ() == typ)
    }

    /// Comprehension-required attribute types (0x0000..=0x7FFF) this codec
    /// does not know: a server answers a request carrying them with 420.
    pub fn unknown_comprehension_required(&self) -> Vec<u16> {
        self.attributes
            .iter()
            .filter_map(|a| match a {
                Attribute::Unknown { typ, .. } if *typ < 0x8000 => Some(*typ),
                _ => None,
            })
            .collect()
    }

    /// USERNAME.
    pub fn username(&self) -> Option<&'a str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Username(s) => Some(*s),
            _ => None,
        })
    }

    /// REALM.
    pub fn realm(&self) -> Option<&'a str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Realm(s) => Some(*s),
            _ => None,
        })
    }

    /// NONCE.
    pub fn nonce(&self) -> Option<&'a str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Nonce(s) => Some(*s),
            _ => None,
        })
    }

    /// ERROR-CODE.
    pub fn error_code(&self) -> Option<ErrorCode<'a>> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::ErrorCode(e) => Some(*e),
            _ => None,
        })
    }

    /// XOR-MAPPED-ADDRESS, falling back to MAPPED-ADDRESS.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.attributes
            .iter()
            .find_map(|a| match a {
                Attribute::XorMappedAddress(s) => Some(*s),
                _ => None,
            })
            .or_else(|| {
                self.attributes.iter().find_map(|a| match a {
                    Attribute::MappedAddress(s) => Some(*s),
                    _ => None,
                })
            })
    }

    /// XOR-RELAYED-ADDRESS.
    pub fn relayed_address(&self) -> Option<SocketAddr> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::XorRelayedAddress(s) => Some(*s),
            _ => None,
        })
    }

    /// XOR-PEER-ADDRESS.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::XorPeerAddress(s) => Some(*s),
            _ => None,
        })
    }

    /// DATA.
    pub fn data(&self) -> Option<&'a [u8]> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Data(d) => Some(*d),
            _ => None,
        })
    }

    /// LIFETIME in seconds.
    pub fn lifetime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Lifetime(v) => Some(*v),
            _ => None,
        })
    }

    /// PRIORITY.
    pub fn priority(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Priority(v) => Some(*v),
            _ => None,
        })
    }

    /// Whether USE-CANDIDATE is present.
    pub fn use_candidate(&self) -> bool {
        self.attributes
            .iter()
            .any(|a| matches!(a, Attribute::UseCandidate))
    }

    /// ICE-CONTROLLING tie-breaker.
    pub fn ice_controlling(&self) -> Option<u64> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::IceControlling(v) => Some(*v),
            _ => None,
        })
    }

    /// ICE-CONTROLLED tie-breaker.
    pub fn ice_controlled(&self) -> Option<u64> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::IceControlled(v) => Some(*v),
            _ => None,
        })
    }

    /// CHANNEL-NUMBER.
    pub fn channel_number(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::ChannelNumber(v) => Some(*v),
            _ => None,
        })
    }

    /// SOFTWARE.
    pub fn software(&self) -> Option<&'a str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Software(s) => Some(*s),
            _ => None,
        })
    }
}
