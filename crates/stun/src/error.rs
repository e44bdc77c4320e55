//! Error types of the codec.

use std::fmt;

/// Why a byte string is not an acceptable STUN message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Shorter than the 20-byte header, or than the length it announces.
    Truncated,
    /// The first two bits are not zero, or the magic cookie is wrong.
    NotStun,
    /// The header length is not a multiple of 4 or disagrees with the input.
    BadLength,
    /// An attribute runs past the end of the message.
    AttributeOverrun,
    /// A known attribute has a value of the wrong size or form.
    BadAttribute(u16),
    /// FINGERPRINT is present but does not match the message.
    FingerprintMismatch,
    /// An attribute other than FINGERPRINT follows FINGERPRINT.
    AfterFingerprint,
    /// The message-type combines a class and method we cannot represent.
    BadType,
    /// ChannelData with a channel number outside 0x4000..=0x4FFF, or too short.
    BadChannelData,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("truncated STUN message"),
            DecodeError::NotStun => f.write_str("not a STUN message"),
            DecodeError::BadLength => f.write_str("bad STUN message length"),
            DecodeError::AttributeOverrun => f.write_str("STUN attribute overruns the message"),
            DecodeError::BadAttribute(t) => write!(f, "malformed STUN attribute 0x{t:04x}"),
            DecodeError::FingerprintMismatch => f.write_str("STUN FINGERPRINT mismatch"),
            DecodeError::AfterFingerprint => f.write_str("STUN attribute after FINGERPRINT"),
            DecodeError::BadType => f.write_str("bad STUN message type"),
            DecodeError::BadChannelData => f.write_str("malformed TURN ChannelData"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why MESSAGE-INTEGRITY(-SHA256) verification failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntegrityError {
    /// The message carries neither MESSAGE-INTEGRITY nor MESSAGE-INTEGRITY-SHA256.
    Missing,
    /// The HMAC does not match: wrong key or altered message.
    Mismatch,
    /// The raw bytes given are not the ones the message was decoded from.
    RawMismatch,
}

impl fmt::Display for IntegrityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntegrityError::Missing => f.write_str("no MESSAGE-INTEGRITY attribute"),
            IntegrityError::Mismatch => f.write_str("MESSAGE-INTEGRITY mismatch"),
            IntegrityError::RawMismatch => f.write_str("raw bytes do not match decoded message"),
        }
    }
}

impl std::error::Error for IntegrityError {}
