//! STUN and TURN message codec (RFC 8489, RFC 8656, RFC 6062).
//!
//! This crate turns bytes into typed STUN messages and back, without any I/O:
//!
//! - [`Message::decode`] parses a datagram into a [`Message`] whose attributes
//!   borrow from the input. It never panics on hostile input: anything
//!   malformed is a [`DecodeError`]. A wrong FINGERPRINT is rejected while
//!   decoding; MESSAGE-INTEGRITY is checked afterwards, on the raw bytes, with
//!   [`Message::verify_integrity`] once the caller knows which key applies.
//! - [`Message::encode`] appends the wire form to a caller-supplied `Vec<u8>`,
//!   adding MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and
//!   FINGERPRINT on request.
//! - [`ChannelData`] frames and unframes TURN ChannelData messages.
//! - [`integrity`] computes short-term and long-term credential keys.
//!
//! ```
//! use rtcpeer_stun::{Attribute, Class, Integrity, Message, Method, TransactionId};
//!
//! let tid = TransactionId::from_bytes([7; 12]);
//! let mut msg = Message::new(Class::Request, Method::Binding, tid);
//! msg.push(Attribute::Username("alice:bob"));
//! msg.push(Attribute::Priority(1_853_817_087));
//! let mut wire = Vec::new();
//! msg.encode(Some(Integrity::Sha1(b"secret")), true, &mut wire);
//!
//! let back = Message::decode(&wire).unwrap();
//! assert_eq!(back.username(), Some("alice:bob"));
//! assert!(back.verify_integrity(&wire, b"secret").is_ok());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod address;
mod attribute;
mod channel_data;
mod error;
pub mod integrity;
mod message;

pub use attribute::{
    attr_type, Attribute, ErrorCode, PasswordAlgorithm, TRANSPORT_TCP, TRANSPORT_UDP,
};
pub use channel_data::ChannelData;
pub use error::{DecodeError, IntegrityError};
pub use integrity::Integrity;
pub use message::{Class, Message, Method, TransactionId};

/// The fixed magic cookie of every RFC 5389/8489 message (bytes 4..8).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// Length of the fixed STUN header in bytes.
pub const HEADER_LEN: usize = 20;

/// The value XORed into the CRC-32 of a message to form FINGERPRINT.
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// Quick test whether a datagram looks like STUN: first two bits zero, the
/// magic cookie in place, and long enough for a header. Use it to demultiplex
/// (RFC 7983) before a full [`Message::decode`].
pub fn is_stun(data: &[u8]) -> bool {
    data.len() >= HEADER_LEN && data[0] & 0xC0 == 0 && data[4..8] == MAGIC_COOKIE.to_be_bytes()
}

/// Quick test whether a datagram looks like TURN ChannelData (first byte
/// 64..=79, RFC 7983) and carries at least its 4-byte header.
pub fn is_channel_data(data: &[u8]) -> bool {
    data.len() >= 4 && (64..=79).contains(&data[0])
}
