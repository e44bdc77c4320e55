//! Data channels over SCTP: the Data Channel Establishment Protocol (DCEP, RFC 8832)
//! and the channel bookkeeping of RFC 8831.
//!
//! A WebRTC data channel is one SCTP stream in each direction, both with the
//! same stream id. The side that creates a channel sends `DATA_CHANNEL_OPEN`
//! (label, protocol, reliability) on the stream; the other side answers
//! `DATA_CHANNEL_ACK`. Channels created with `negotiated: true` skip this: both
//! applications agree on the id out of band. Every SCTP message carries a
//! payload protocol identifier ([`Ppid`]) that says whether it is DCEP, a
//! string or binary data.
//!
//! This module has two parts:
//! - the wire codec: [`DcepMessage`], [`ChannelType`], [`Ppid`];
//! - [`DataChannelRegistry`]: a sans-IO state machine tracking every channel's
//!   `readyState`, allocating stream ids by DTLS role, and turning application
//!   sends into [`SctpAction`]s and received SCTP messages into
//!   [`DataChannelEvent`]s.
//!
//! It depends on no SCTP implementation: messages go in and out as
//! `(stream id, ppid, bytes)` with [`SendOptions`], which the caller maps to
//! its SCTP stack.
//!
//! # Example
//!
//! ```
//! use rtcpeer_proto::dcep::*;
//!
//! let mut channels = DataChannelRegistry::default();
//! let chat = channels.create_channel("chat", DataChannelInit::default())?;
//! channels.set_dtls_role(DtlsRole::Client); // we are DTLS client: even ids
//! channels.handle_sctp_connected();
//! assert_eq!(channels.poll_event(), Some(DataChannelEvent::Open(chat)));
//! channels.send(chat, b"hi", false)?;
//! // First the DATA_CHANNEL_OPEN, then the message, both on stream 0.
//! let mut ppids = Vec::new();
//! while let Some(SctpAction::Send(m)) = channels.poll_transmit() {
//!     assert_eq!(m.header.stream_id, 0);
//!     ppids.push(m.header.ppid); // hand m.payload to SCTP with m.header.options
//! }
//! assert_eq!(ppids, [Ppid::Dcep, Ppid::String]);
//! // What SCTP delivers comes back in:
//! channels.handle_message(0, Ppid::String.value(), b"hello");
//! assert!(matches!(channels.poll_event(), Some(DataChannelEvent::Message { .. })));
//! # Ok::<(), DcepError>(())
//! ```

mod registry;

pub use registry::{
    ChannelId, ChannelInfo, DataChannelEvent, DataChannelInit, DataChannelRegistry, DcepError,
    DtlsRole, OutgoingHeader, OutgoingMessage, ReadyState, RegistryConfig, RegistryStats,
    SctpAction, SendOptions, MAX_CLOSED_CHANNELS, MAX_REMOTE_CHANNELS, MAX_REMOTE_LABEL_BYTES,
};

use std::fmt;

/// Payload Protocol Identifiers used by WebRTC (RFC 8831 §8, RFC 8832 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ppid {
    /// 50: a DCEP control message.
    Dcep,
    /// 51: a UTF-8 string message (or the last piece of a legacy partial string).
    String,
    /// 52: a piece of a binary message (deprecated, still sent by old peers).
    BinaryPartial,
    /// 53: a binary message (or the last piece of a legacy partial binary).
    Binary,
    /// 54: a piece of a string message (deprecated).
    StringPartial,
    /// 56: an empty string (the SCTP payload is one ignored byte).
    StringEmpty,
    /// 57: an empty binary message (the SCTP payload is one ignored byte).
    BinaryEmpty,
}

impl Ppid {
    /// The numeric value on the wire.
    pub fn value(self) -> u32 {
        match self {
            Ppid::Dcep => 50,
            Ppid::String => 51,
            Ppid::BinaryPartial => 52,
            Ppid::Binary => 53,
            Ppid::StringPartial => 54,
            Ppid::StringEmpty => 56,
            Ppid::BinaryEmpty => 57,
        }
    }

    /// The PPID of a wire value, if it is one WebRTC uses.
    pub fn from_value(value: u32) -> Option<Ppid> {
        Some(match value {
            50 => Ppid::Dcep,
            51 => Ppid::String,
            52 => Ppid::BinaryPartial,
            53 => Ppid::Binary,
            54 => Ppid::StringPartial,
            56 => Ppid::StringEmpty,
            57 => Ppid::BinaryEmpty,
            _ => return None,
        })
    }

    /// The PPID for a complete user message: `binary` or string, empty or not.
    pub fn for_message(binary: bool, empty: bool) -> Ppid {
        match (binary, empty) {
            (false, false) => Ppid::String,
            (false, true) => Ppid::StringEmpty,
            (true, false) => Ppid::Binary,
            (true, true) => Ppid::BinaryEmpty,
        }
    }
}

/// How reliably a channel delivers (the reliability part of RFC 8832 §5.1 "Channel Type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reliability {
    /// Retransmit until delivered.
    #[default]
    Reliable,
    /// Retransmit at most this many times (`maxRetransmits`).
    MaxRetransmits(u32),
    /// Retransmit for at most this many milliseconds (`maxPacketLifeTime`).
    MaxPacketLifeTime(u32),
}

/// The channel type and reliability parameter of a `DATA_CHANNEL_OPEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChannelType {
    /// Whether messages are delivered in order.
    pub ordered: bool,
    /// Partial reliability.
    pub reliability: Reliability,
}

impl ChannelType {
    /// Reliable and ordered, the default channel.
    pub const RELIABLE: ChannelType = ChannelType {
        ordered: true,
        reliability: Reliability::Reliable,
    };

    /// The channel type byte and reliability parameter on the wire.
    pub fn to_wire(self) -> (u8, u32) {
        let unordered = if self.ordered { 0x00 } else { 0x80 };
        match self.reliability {
            Reliability::Reliable => (unordered, 0),
            Reliability::MaxRetransmits(n) => (unordered | 0x01, n),
            Reliability::MaxPacketLifeTime(ms) => (unordered | 0x02, ms),
        }
    }

    /// Decodes the channel type byte and reliability parameter.
    ///
    /// For a reliable channel the parameter is ignored, as RFC 8832 §5.1 says.
    pub fn from_wire(kind: u8, parameter: u32) -> Option<ChannelType> {
        let ordered = kind & 0x80 == 0;
        let reliability = match kind & 0x7f {
            0x00 => Reliability::Reliable,
            0x01 => Reliability::MaxRetransmits(parameter),
            0x02 => Reliability::MaxPacketLifeTime(parameter),
            _ => return None,
        };
        Some(ChannelType {
            ordered,
            reliability,
        })
    }
}

/// W3C `RTCPriorityType` values and their DCEP priority numbers (RFC 8831 §6.4).
pub mod priority {
    /// `"very-low"`.
    pub const VERY_LOW: u16 = 128;
    /// `"low"`: the default.
    pub const LOW: u16 = 256;
    /// `"medium"`.
    pub const MEDIUM: u16 = 512;
    /// `"high"`.
    pub const HIGH: u16 = 1024;

    /// The W3C name for a DCEP priority value (ranges as RFC 8831 §6.4 suggests).
    pub fn name(value: u16) -> &'static str {
        match value {
            0..=128 => "very-low",
            129..=256 => "low",
            257..=512 => "medium",
            _ => "high",
        }
    }
}

/// A `DATA_CHANNEL_OPEN` message (RFC 8832 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelOpen {
    /// Ordering and reliability.
    pub channel_type: ChannelType,
    /// Priority (see [`priority`]).
    pub priority: u16,
    /// The channel label (UTF-8).
    pub label: String,
    /// The sub-protocol (UTF-8), often empty.
    pub protocol: String,
}

/// A DCEP message: the payload of an SCTP message with PPID 50.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DcepMessage {
    /// `DATA_CHANNEL_OPEN` (type 0x03).
    Open(DataChannelOpen),
    /// `DATA_CHANNEL_ACK` (type 0x02).
    Ack,
}

/// Why a DCEP message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DcepDecodeError {
    /// The message is empty or shorter than its fixed header.
    #[error("DCEP message truncated")]
    Truncated,
    /// The message type byte is neither OPEN nor ACK.
    #[error("unknown DCEP message type {0:#04x}")]
    UnknownMessageType(u8),
    /// The channel type byte is not one RFC 8832 defines.
    #[error("unknown DCEP channel type {0:#04x}")]
    UnknownChannelType(u8),
    /// Label or protocol lengths disagree with the message length.
    #[error("DCEP label/protocol lengths do not match the message")]
    LengthMismatch,
    /// Label or protocol are not UTF-8.
    #[error("DCEP label or protocol is not UTF-8")]
    NotUtf8,
}

const MSG_ACK: u8 = 0x02;
const MSG_OPEN: u8 = 0x03;
const OPEN_HEADER_LEN: usize = 12;

impl DcepMessage {
    /// Decodes a DCEP message. Malformed input is an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<DcepMessage, DcepDecodeError> {
        match *bytes.first().ok_or(DcepDecodeError::Truncated)? {
            // RFC 8832 §5.2: the ACK is one byte; tolerate trailing bytes as
            // libwebrtc does not send any and nothing is defined after it.
            MSG_ACK => Ok(DcepMessage::Ack),
            MSG_OPEN => decode_open(bytes).map(DcepMessage::Open),
            other => Err(DcepDecodeError::UnknownMessageType(other)),
        }
    }

    /// Encodes the message.
    ///
    /// Label and protocol longer than 65,535 bytes cannot be encoded; the
    /// registry rejects them at channel creation, and here they are truncated
    /// at a character boundary so encoding itself never fails.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            DcepMessage::Ack => vec![MSG_ACK],
            DcepMessage::Open(open) => {
                let label = truncate_utf8(&open.label, u16::MAX as usize);
                let protocol = truncate_utf8(&open.protocol, u16::MAX as usize);
                let (kind, parameter) = open.channel_type.to_wire();
                let mut out = Vec::with_capacity(OPEN_HEADER_LEN + label.len() + protocol.len());
                out.push(MSG_OPEN);
                out.push(kind);
                out.extend_from_slice(&open.priority.to_be_bytes());
                out.extend_from_slice(&parameter.to_be_bytes());
                // Both lengths fit in u16: truncated above.
                out.extend_from_slice(&(label.len() as u16).to_be_bytes());
                out.extend_from_slice(&(protocol.len() as u16).to_be_bytes());
                out.extend_from_slice(label.as_bytes());
                out.extend_from_slice(protocol.as_bytes());
                out
            }
        }
    }
}

fn decode_open(bytes: &[u8]) -> Result<DataChannelOpen, DcepDecodeError> {
    if bytes.len() < OPEN_HEADER_LEN {
        return Err(DcepDecodeError::Truncated);
    }
    let kind = bytes[1];
    let priority = u16::from_be_bytes([bytes[2], bytes[3]]);
    let parameter = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let label_len = u16::from_be_bytes([bytes[8], bytes[9]]) as usize;
    let protocol_len = u16::from_be_bytes([bytes[10], bytes[11]]) as usize;
    let channel_type =
        ChannelType::from_wire(kind, parameter).ok_or(DcepDecodeError::UnknownChannelType(kind))?;
    let body = &bytes[OPEN_HEADER_LEN..];
    if body.len() != label_len + protocol_len {
        return Err(DcepDecodeError::LengthMismatch);
    }
    let (label, protocol) = body.split_at(label_len);
    let label = std::str::from_utf8(label).map_err(|_| DcepDecodeError::NotUtf8)?;
    let protocol = std::str::from_utf8(protocol).map_err(|_| DcepDecodeError::NotUtf8)?;
    Ok(DataChannelOpen {
        channel_type,
        priority,
        label: label.to_string(),
        protocol: protocol.to_string(),
    })
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl fmt::Display for Ppid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppids_round_trip_and_unknown_values_are_none() {
        for v in 0..100u32 {
            match Ppid::from_value(v) {
                Some(p) => assert_eq!(p.value(), v),
                None => assert!(!matches!(v, 50..=54 | 56 | 57), "{v}"),
            }
        }
        assert_eq!(Ppid::for_message(false, true), Ppid::StringEmpty);
        assert_eq!(Ppid::for_message(true, false), Ppid::Binary);
    }

    #[test]
    fn channel_types_match_rfc8832_values() {
        let cases = [
            (true, Reliability::Reliable, 0x00),
            (false, Reliability::Reliable, 0x80),
            (true, Reliability::MaxRetransmits(3), 0x01),
            (false, Reliability::MaxRetransmits(3), 0x81),
            (true, Reliability::MaxPacketLifeTime(500), 0x02),
            (false, Reliability::MaxPacketLifeTime(500), 0x82),
        ];
        for (ordered, reliability, byte) in cases {
            let t = ChannelType {
                ordered,
                reliability,
            };
            let (kind, param) = t.to_wire();
            assert_eq!(kind, byte);
            assert_eq!(ChannelType::from_wire(kind, param), Some(t));
        }
        assert_eq!(ChannelType::from_wire(0x03, 0), None);
        assert_eq!(ChannelType::from_wire(0x7f, 0), None);
    }

    #[test]
    fn open_encodes_as_rfc8832_lays_it_out() {
        let open = DcepMessage::Open(DataChannelOpen {
            channel_type: ChannelType {
                ordered: false,
                reliability: Reliability::MaxRetransmits(5),
            },
            priority: priority::MEDIUM,
            label: "chat".into(),
            protocol: "x".into(),
        });
        let bytes = open.encode();
        assert_eq!(
            bytes,
            [0x03, 0x81, 0x02, 0x00, 0, 0, 0, 5, 0, 4, 0, 1, b'c', b'h', b'a', b't', b'x']
        );
        assert_eq!(DcepMessage::decode(&bytes), Ok(open));
        assert_eq!(DcepMessage::decode(&[0x02]), Ok(DcepMessage::Ack));
        assert_eq!(DcepMessage::Ack.encode(), [0x02]);
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert_eq!(DcepMessage::decode(&[]), Err(DcepDecodeError::Truncated));
        assert_eq!(
            DcepMessage::decode(&[0x07]),
            Err(DcepDecodeError::UnknownMessageType(7))
        );
        assert_eq!(
            DcepMessage::decode(&[0x03, 0, 0, 0]),
            Err(DcepDecodeError::Truncated)
        );
        let mut open = DcepMessage::Open(DataChannelOpen {
            channel_type: ChannelType::RELIABLE,
            priority: priority::LOW,
            label: "a".into(),
            protocol: String::new(),
        })
        .encode();
        open.push(b'z');
        assert_eq!(
            DcepMessage::decode(&open),
            Err(DcepDecodeError::LengthMismatch)
        );
        open.pop();
        open[12] = 0xff;
        assert_eq!(DcepMessage::decode(&open), Err(DcepDecodeError::NotUtf8));
        open[1] = 0x05;
        assert_eq!(
            DcepMessage::decode(&open),
            Err(DcepDecodeError::UnknownChannelType(5))
        );
    }

    #[test]
    fn priority_names_follow_w3c() {
        assert_eq!(priority::name(priority::VERY_LOW), "very-low");
        assert_eq!(priority::name(priority::LOW), "low");
        assert_eq!(priority::name(priority::MEDIUM), "medium");
        assert_eq!(priority::name(priority::HIGH), "high");
    }

    #[test]
    fn overlong_labels_are_truncated_on_a_char_boundary() {
        let label = "é".repeat(40_000); // 80,000 bytes
        let bytes = DcepMessage::Open(DataChannelOpen {
            channel_type: ChannelType::RELIABLE,
            priority: 0,
            label,
            protocol: String::new(),
        })
        .encode();
        let Ok(DcepMessage::Open(open)) = DcepMessage::decode(&bytes) else {
            panic!("encoded OPEN must decode");
        };
        assert_eq!(open.label.len(), 65_534);
    }
}
