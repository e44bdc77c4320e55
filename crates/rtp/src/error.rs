//! The crate's error type.

use std::fmt;

/// Why a packet could not be parsed, written, protected or unprotected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input is shorter than its own headers say.
    Truncated,
    /// The version field is not 2.
    BadVersion,
    /// A field holds a value the format does not allow.
    Malformed(&'static str),
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// SRTP/SRTCP authentication failed (tag mismatch).
    AuthFailed,
    /// The packet index was seen before or is too old (replay protection).
    Replayed,
    /// A key or salt has the wrong length for the profile.
    BadKeyLength,
    /// The crypto library refused an operation.
    Crypto,
    /// A value does not fit the field it must go in.
    TooLarge,
    /// The input is not supported (for example an unknown codec feature).
    Unsupported(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => write!(f, "packet truncated"),
            Error::BadVersion => write!(f, "RTP/RTCP version is not 2"),
            Error::Malformed(what) => write!(f, "malformed: {what}"),
            Error::BufferTooSmall => write!(f, "output buffer too small"),
            Error::AuthFailed => write!(f, "SRTP authentication failed"),
            Error::Replayed => write!(f, "SRTP replay detected"),
            Error::BadKeyLength => write!(f, "SRTP key or salt length does not match the profile"),
            Error::Crypto => write!(f, "crypto library error"),
            Error::TooLarge => write!(f, "value too large for its field"),
            Error::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

impl std::error::Error for Error {}
