//! INIT parameters, error causes and RE-CONFIG parameters: type numbers and
//! the few structured ones this implementation reads or writes.

use crate::wire::{be16, be32, Writer};

/// INIT / INIT-ACK parameter types (RFC 9260 §3.3.2, RFC 3758, RFC 5061, RFC 9653).
pub mod init_param {
    /// IPv4 address (ignored: one path, over DTLS).
    pub const IPV4: u16 = 5;
    /// IPv6 address (ignored).
    pub const IPV6: u16 = 6;
    /// State cookie (INIT-ACK).
    pub const STATE_COOKIE: u16 = 7;
    /// Unrecognized parameter (INIT-ACK).
    pub const UNRECOGNIZED: u16 = 8;
    /// Cookie preservative (ignored).
    pub const COOKIE_PRESERVATIVE: u16 = 9;
    /// Host name address (deprecated, ignored).
    pub const HOST_NAME: u16 = 11;
    /// Supported address types (ignored).
    pub const SUPPORTED_ADDRESS_TYPES: u16 = 12;
    /// Zero checksum acceptable (RFC 9653).
    pub const ZERO_CHECKSUM_ACCEPTABLE: u16 = 0x8001;
    /// Supported extensions (RFC 5061): a list of chunk types.
    pub const SUPPORTED_EXTENSIONS: u16 = 0x8008;
    /// Forward-TSN supported (RFC 3758).
    pub const FORWARD_TSN_SUPPORTED: u16 = 0xC000;
}

/// Error detection method identifier for "SCTP over DTLS" (RFC 9653 §5).
pub const EDMID_DTLS: u32 = 1;

/// Error cause codes (RFC 9260 §3.3.10).
pub mod cause {
    /// Invalid stream identifier.
    pub const INVALID_STREAM: u16 = 1;
    /// Missing mandatory parameter.
    pub const MISSING_MANDATORY_PARAM: u16 = 2;
    /// Stale cookie.
    pub const STALE_COOKIE: u16 = 3;
    /// Out of resource.
    pub const OUT_OF_RESOURCE: u16 = 4;
    /// Unresolvable address.
    pub const UNRESOLVABLE_ADDRESS: u16 = 5;
    /// Unrecognized chunk type.
    pub const UNRECOGNIZED_CHUNK: u16 = 6;
    /// Invalid mandatory parameter.
    pub const INVALID_MANDATORY_PARAM: u16 = 7;
    /// Unrecognized parameters.
    pub const UNRECOGNIZED_PARAMS: u16 = 8;
    /// No user data.
    pub const NO_USER_DATA: u16 = 9;
    /// Cookie received while shutting down.
    pub const COOKIE_WHILE_SHUTTING_DOWN: u16 = 10;
    /// Restart of an association with new addresses.
    pub const RESTART_NEW_ADDRESSES: u16 = 11;
    /// User-initiated abort.
    pub const USER_INITIATED_ABORT: u16 = 12;
    /// Protocol violation.
    pub const PROTOCOL_VIOLATION: u16 = 13;

    /// A short human-readable name of a cause code.
    pub fn name(code: u16) -> &'static str {
        match code {
            INVALID_STREAM => "invalid stream identifier",
            MISSING_MANDATORY_PARAM => "missing mandatory parameter",
            STALE_COOKIE => "stale cookie",
            OUT_OF_RESOURCE => "out of resource",
            UNRESOLVABLE_ADDRESS => "unresolvable address",
            UNRECOGNIZED_CHUNK => "unrecognized chunk type",
            INVALID_MANDATORY_PARAM => "invalid mandatory parameter",
            UNRECOGNIZED_PARAMS => "unrecognized parameters",
            NO_USER_DATA => "no user data",
            COOKIE_WHILE_SHUTTING_DOWN => "cookie received while shutting down",
            RESTART_NEW_ADDRESSES => "restart with new addresses",
            USER_INITIATED_ABORT => "user-initiated abort",
            PROTOCOL_VIOLATION => "protocol violation",
            _ => "unknown cause",
        }
    }
}

/// RE-CONFIG parameter types (RFC 6525 §4).
pub mod reconfig_param {
    /// Outgoing SSN reset request.
    pub const OUTGOING_SSN_RESET: u16 = 13;
    /// Incoming SSN reset request.
    pub const INCOMING_SSN_RESET: u16 = 14;
    /// SSN/TSN reset request.
    pub const SSN_TSN_RESET: u16 = 15;
    /// Re-configuration response.
    pub const RESPONSE: u16 = 16;
    /// Add outgoing streams request.
    pub const ADD_OUTGOING_STREAMS: u16 = 17;
    /// Add incoming streams request.
    pub const ADD_INCOMING_STREAMS: u16 = 18;
}

/// Re-configuration response results (RFC 6525 §4.4).
pub mod reconfig_result {
    /// Success, nothing to do.
    pub const SUCCESS_NOTHING: u32 = 0;
    /// Success, performed.
    pub const SUCCESS_PERFORMED: u32 = 1;
    /// Denied.
    pub const DENIED: u32 = 2;
    /// Error: wrong SSN.
    pub const ERROR_WRONG_SSN: u32 = 3;
    /// Error: request already in progress.
    pub const ERROR_IN_PROGRESS: u32 = 4;
    /// Error: bad sequence number.
    pub const ERROR_BAD_SEQ: u32 = 5;
    /// In progress.
    pub const IN_PROGRESS: u32 = 6;
}

/// What to do with an unknown INIT parameter, from its two high bits
/// (RFC 9260 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownParamAction {
    /// Skip it and continue (else stop processing further parameters).
    pub skip: bool,
    /// Report it as an unrecognized parameter.
    pub report: bool,
}

/// The action for an unknown parameter type.
pub fn unknown_param_action(ty: u16) -> UnknownParamAction {
    UnknownParamAction {
        skip: ty & 0x8000 != 0,
        report: ty & 0x4000 != 0,
    }
}

/// An Outgoing SSN Reset Request parameter (RFC 6525 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutgoingResetRequest<'a> {
    /// Re-configuration request sequence number.
    pub request_seq: u32,
    /// The last response sequence number the sender saw.
    pub response_seq: u32,
    /// The sender's last assigned TSN.
    pub last_tsn: u32,
    /// Raw stream numbers (2 bytes each); empty means all streams.
    pub streams: &'a [u8],
}

impl<'a> OutgoingResetRequest<'a> {
    /// Parses the parameter value.
    pub fn parse(v: &'a [u8]) -> Option<Self> {
        if v.len() < 12 || (v.len() - 12) % 2 != 0 {
            return None;
        }
        Some(Self {
            request_seq: be32(v, 0),
            response_seq: be32(v, 4),
            last_tsn: be32(v, 8),
            streams: &v[12..],
        })
    }

    /// The stream identifiers.
    pub fn stream_ids(&self) -> impl Iterator<Item = u16> + 'a {
        self.streams.chunks_exact(2).map(|c| be16(c, 0))
    }

    /// Writes the parameter (TLV) for `streams`.
    pub fn write(
        w: &mut Writer<'_>,
        request_seq: u32,
        response_seq: u32,
        last_tsn: u32,
        streams: &[u16],
    ) -> Option<()> {
        let len = u16::try_from(16 + 2 * streams.len()).ok()?;
        w.u16(reconfig_param::OUTGOING_SSN_RESET)?;
        w.u16(len)?;
        w.u32(request_seq)?;
        w.u32(response_seq)?;
        w.u32(last_tsn)?;
        for &s in streams {
            w.u16(s)?;
        }
        w.pad()
    }
}

/// A Re-configuration Response parameter (RFC 6525 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconfigResponse {
    /// The request sequence number this answers.
    pub response_seq: u32,
    /// Result code (see [`reconfig_result`]).
    pub result: u32,
}

impl ReconfigResponse {
    /// Parses the parameter value (the optional TSN fields are ignored).
    pub fn parse(v: &[u8]) -> Option<Self> {
        if v.len() < 8 {
            return None;
        }
        Some(Self {
            response_seq: be32(v, 0),
            result: be32(v, 4),
        })
    }

    /// Writes the parameter (TLV).
    pub fn write(&self, w: &mut Writer<'_>) -> Option<()> {
        let mut v = [0u8; 8];
        v[..4].copy_from_slice(&self.response_seq.to_be_bytes());
        v[4..].copy_from_slice(&self.result.to_be_bytes());
        w.tlv(reconfig_param::RESPONSE, &v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Tlvs;

    #[test]
    fn reset_request_round_trip() {
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        OutgoingResetRequest::write(&mut w, 5, 6, 7, &[1, 3, 5]).unwrap();
        ReconfigResponse {
            response_seq: 9,
            result: reconfig_result::IN_PROGRESS,
        }
        .write(&mut w)
        .unwrap();
        let n = w.len();
        let tlvs: Vec<_> = Tlvs::new(&b[..n]).collect();
        assert_eq!(tlvs.len(), 2);
        assert_eq!(tlvs[0].ty, reconfig_param::OUTGOING_SSN_RESET);
        let r = OutgoingResetRequest::parse(tlvs[0].value).unwrap();
        assert_eq!((r.request_seq, r.response_seq, r.last_tsn), (5, 6, 7));
        assert_eq!(r.stream_ids().collect::<Vec<_>>(), vec![1, 3, 5]);
        let resp = ReconfigResponse::parse(tlvs[1].value).unwrap();
        assert_eq!(
            resp,
            ReconfigResponse {
                response_seq: 9,
                result: 6
            }
        );
        assert_eq!(OutgoingResetRequest::parse(&[0; 13]), None);
        assert_eq!(ReconfigResponse::parse(&[0; 7]), None);
    }

    #[test]
    fn unknown_param_bits() {
        assert!(!unknown_param_action(0x0001).skip);
        assert!(unknown_param_action(0x8001).skip);
        assert!(unknown_param_action(0xC001).report);
        assert_eq!(cause::name(cause::PROTOCOL_VIOLATION), "protocol violation");
    }
}
