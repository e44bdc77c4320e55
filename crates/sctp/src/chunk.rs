//! SCTP chunks (RFC 9260 §3.3, RFC 8260 I-DATA, RFC 3758 FORWARD-TSN,
//! RFC 6525 RE-CONFIG): zero-copy views that parse from and write to bytes.
//!
//! A [`Chunk`] borrows the packet it was parsed from. Writing a parsed chunk
//! reproduces it, so the same type serves the receive path (parse) and tests
//! (round trip). The send path of the association writes the hot chunks
//! (DATA, I-DATA, SACK) with the dedicated `write_*` functions, which take
//! plain values and need no intermediate structure.

use crate::wire::{be16, be32, validate_tlvs, Tlvs, Writer};

/// Chunk type numbers.
pub mod ty {
    /// Payload data.
    pub const DATA: u8 = 0;
    /// Initiation.
    pub const INIT: u8 = 1;
    /// Initiation acknowledgement.
    pub const INIT_ACK: u8 = 2;
    /// Selective acknowledgement.
    pub const SACK: u8 = 3;
    /// Heartbeat request.
    pub const HEARTBEAT: u8 = 4;
    /// Heartbeat acknowledgement.
    pub const HEARTBEAT_ACK: u8 = 5;
    /// Abort.
    pub const ABORT: u8 = 6;
    /// Shutdown.
    pub const SHUTDOWN: u8 = 7;
    /// Shutdown acknowledgement.
    pub const SHUTDOWN_ACK: u8 = 8;
    /// Operation error.
    pub const ERROR: u8 = 9;
    /// State cookie.
    pub const COOKIE_ECHO: u8 = 10;
    /// Cookie acknowledgement.
    pub const COOKIE_ACK: u8 = 11;
    /// Shutdown complete.
    pub const SHUTDOWN_COMPLETE: u8 = 14;
    /// Interleaved data (RFC 8260).
    pub const I_DATA: u8 = 64;
    /// Re-configuration (RFC 6525).
    pub const RE_CONFIG: u8 = 130;
    /// Forward cumulative TSN (RFC 3758).
    pub const FORWARD_TSN: u8 = 192;
    /// Interleaved forward TSN (RFC 8260).
    pub const I_FORWARD_TSN: u8 = 194;
}

/// Flag bits of DATA and I-DATA chunks.
pub mod data_flags {
    /// Last fragment of a message.
    pub const END: u8 = 0x01;
    /// First fragment of a message.
    pub const BEGIN: u8 = 0x02;
    /// Unordered delivery.
    pub const UNORDERED: u8 = 0x04;
    /// Immediate SACK requested (RFC 7053).
    pub const IMMEDIATE: u8 = 0x08;
}

/// Why a chunk (or packet) was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Fewer bytes than the fixed part needs.
    TooShort,
    /// A length field disagrees with the data.
    BadLength,
    /// A field holds a value the RFC forbids (e.g. an empty DATA payload).
    Invalid,
}

/// A DATA (RFC 9260 §3.3.1) or I-DATA (RFC 8260 §2.1) chunk.
///
/// For DATA, `mid` holds the 16-bit stream sequence number and `fsn` is 0.
/// For I-DATA, `ppid` is only meaningful on the first fragment (on the
/// others the wire carries the FSN in its place) and `mid`/`fsn` are 32-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    /// Chunk flags (see [`data_flags`]).
    pub flags: u8,
    /// Transmission sequence number.
    pub tsn: u32,
    /// Stream identifier.
    pub stream_id: u16,
    /// SSN (DATA) or message identifier (I-DATA).
    pub mid: u32,
    /// Fragment sequence number (I-DATA only; 0 for DATA).
    pub fsn: u32,
    /// Payload protocol identifier.
    pub ppid: u32,
    /// User data.
    pub payload: &'a [u8],
}

impl Data<'_> {
    /// First fragment of its message.
    pub fn is_begin(&self) -> bool {
        self.flags & data_flags::BEGIN != 0
    }
    /// Last fragment of its message.
    pub fn is_end(&self) -> bool {
        self.flags & data_flags::END != 0
    }
    /// Unordered delivery requested.
    pub fn is_unordered(&self) -> bool {
        self.flags & data_flags::UNORDERED != 0
    }
}

/// INIT or INIT-ACK (RFC 9260 §3.3.2, §3.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Init<'a> {
    /// Initiate tag: the verification tag the sender wants to receive.
    pub initiate_tag: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Number of outbound streams.
    pub outbound_streams: u16,
    /// Maximum inbound streams.
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: u32,
    /// Optional/variable parameters (iterate with [`Init::params`]).
    pub params: &'a [u8],
}

impl<'a> Init<'a> {
    /// The parameters as TLVs.
    pub fn params(&self) -> Tlvs<'a> {
        Tlvs::new(self.params)
    }
}

/// SACK (RFC 9260 §3.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sack<'a> {
    /// Cumulative TSN acknowledged.
    pub cum_tsn: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Gap ack blocks, 4 bytes each (start, end offsets from `cum_tsn`).
    pub gaps: &'a [u8],
    /// Duplicate TSNs, 4 bytes each.
    pub dups: &'a [u8],
}

impl Sack<'_> {
    /// Gap ack blocks as `(start, end)` offsets relative to `cum_tsn`.
    pub fn gap_blocks(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.gaps.chunks_exact(4).map(|c| (be16(c, 0), be16(c, 2)))
    }
    /// Duplicate TSNs reported.
    pub fn dup_tsns(&self) -> impl Iterator<Item = u32> + '_ {
        self.dups.chunks_exact(4).map(|c| be32(c, 0))
    }
}

/// A parsed chunk, borrowing the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// DATA.
    Data(Data<'a>),
    /// I-DATA.
    IData(Data<'a>),
    /// INIT.
    Init(Init<'a>),
    /// INIT-ACK.
    InitAck(Init<'a>),
    /// SACK.
    Sack(Sack<'a>),
    /// HEARTBEAT: its parameters (a Heartbeat Info TLV).
    Heartbeat(&'a [u8]),
    /// HEARTBEAT-ACK: the parameters echoed back.
    HeartbeatAck(&'a [u8]),
    /// ABORT: `t_bit` set when the verification tag is reflected; error causes.
    Abort {
        /// The T bit.
        t_bit: bool,
        /// Error causes (TLVs).
        causes: &'a [u8],
    },
    /// SHUTDOWN.
    Shutdown {
        /// Cumulative TSN acknowledged.
        cum_tsn: u32,
    },
    /// SHUTDOWN-ACK.
    ShutdownAck,
    /// SHUTDOWN-COMPLETE.
    ShutdownComplete {
        /// The T bit.
        t_bit: bool,
    },
    /// ERROR: error causes (TLVs).
    Error(&'a [u8]),
    /// COOKIE-ECHO: the state cookie.
    CookieEcho(&'a [u8]),
    /// COOKIE-ACK.
    CookieAck,
    /// FORWARD-TSN: new cumulative TSN and `(stream, ssn)` pairs, 4 bytes each.
    ForwardTsn {
        /// New cumulative TSN.
        new_cum_tsn: u32,
        /// Raw `(stream id, stream sequence)` entries.
        streams: &'a [u8],
    },
    /// I-FORWARD-TSN: new cumulative TSN and `(stream, flags, mid)` entries, 8 bytes each.
    IForwardTsn {
        /// New cumulative TSN.
        new_cum_tsn: u32,
        /// Raw `(stream id, reserved|U, message id)` entries.
        entries: &'a [u8],
    },
    /// RE-CONFIG: one or two re-configuration parameters (TLVs).
    ReConfig(&'a [u8]),
    /// A chunk type this implementation does not know.
    Unknown {
        /// Chunk type.
        ty: u8,
        /// Chunk flags.
        flags: u8,
        /// Chunk value.
        value: &'a [u8],
    },
}

impl<'a> Chunk<'a> {
    /// Parses one chunk from its type, flags and value (the bytes after the
    /// 4-byte chunk header, without padding).
    pub fn parse(ty: u8, flags: u8, v: &'a [u8]) -> Result<Chunk<'a>, ParseError> {
        Ok(match ty {
            ty::DATA => {
                if v.len() < 12 {
                    return Err(ParseError::TooShort);
                }
                if v.len() == 12 {
                    return Err(ParseError::Invalid);
                }
                Chunk::Data(Data {
                    flags,
                    tsn: be32(v, 0),
                    stream_id: be16(v, 4),
                    mid: be16(v, 6) as u32,
                    fsn: 0,
                    ppid: be32(v, 8),
                    payload: &v[12..],
                })
            }
            ty::I_DATA => {
                if v.len() < 16 {
                    return Err(ParseError::TooShort);
                }
                if v.len() == 16 {
                    return Err(ParseError::Invalid);
                }
                let begin = flags & data_flags::BEGIN != 0;
                let ppid_or_fsn = be32(v, 12);
                Chunk::IData(Data {
                    flags,
                    tsn: be32(v, 0),
                    stream_id: be16(v, 4),
                    mid: be32(v, 8),
                    fsn: if begin { 0 } else { ppid_or_fsn },
                    ppid: if begin { ppid_or_fsn } else { 0 },
                    payload: &v[16..],
                })
            }
            ty::INIT | ty::INIT_ACK => {
                if v.len() < 16 {
                    return Err(ParseError::TooShort);
                }
                let params = &v[16..];
                validate_tlvs(params).ok_or(ParseError::BadLength)?;
                let init = Init {
                    initiate_tag: be32(v, 0),
                    a_rwnd: be32(v, 4),
                    outbound_streams: be16(v, 8),
                    inbound_streams: be16(v, 10),
                    initial_tsn: be32(v, 12),
                    params,
                };
                if ty == ty::INIT {
                    Chunk::Init(init)
                } else {
                    Chunk::InitAck(init)
                }
            }
            ty::SACK => {
                if v.len() < 12 {
                    return Err(ParseError::TooShort);
                }
                let ngaps = be16(v, 8) as usize;
                let ndups = be16(v, 10) as usize;
                let need = 12 + 4 * ngaps + 4 * ndups;
                if v.len() < need {
                    return Err(ParseError::BadLength);
                }
                Chunk::Sack(Sack {
                    cum_tsn: be32(v, 0),
                    a_rwnd: be32(v, 4),
                    gaps: &v[12..12 + 4 * ngaps],
                    dups: &v[12 + 4 * ngaps..need],
                })
            }
            ty::HEARTBEAT | ty::HEARTBEAT_ACK => {
                validate_tlvs(v).ok_or(ParseError::BadLength)?;
                if ty == ty::HEARTBEAT {
                    Chunk::Heartbeat(v)
                } else {
                    Chunk::HeartbeatAck(v)
                }
            }
            ty::ABORT => {
                validate_tlvs(v).ok_or(ParseError::BadLength)?;
                Chunk::Abort {
                    t_bit: flags & 1 != 0,
                    causes: v,
                }
            }
            ty::SHUTDOWN => {
                if v.len() < 4 {
                    return Err(ParseError::TooShort);
                }
                Chunk::Shutdown {
                    cum_tsn: be32(v, 0),
                }
            }
            ty::SHUTDOWN_ACK => Chunk::ShutdownAck,
            ty::SHUTDOWN_COMPLETE => Chunk::ShutdownComplete {
                t_bit: flags & 1 != 0,
            },
            ty::ERROR => {
                validate_tlvs(v).ok_or(ParseError::BadLength)?;
                Chunk::Error(v)
            }
            ty::COOKIE_ECHO => Chunk::CookieEcho(v),
            ty::COOKIE_ACK => Chunk::CookieAck,
            ty::FORWARD_TSN => {
                if v.len() < 4 || (v.len() - 4) % 4 != 0 {
                    return Err(ParseError::BadLength);
                }
                Chunk::ForwardTsn {
                    new_cum_tsn: be32(v, 0),
                    streams: &v[4..],
                }
            }
            ty::I_FORWARD_TSN => {
                if v.len() < 4 || (v.len() - 4) % 8 != 0 {
                    return Err(ParseError::BadLength);
                }
                Chunk::IForwardTsn {
                    new_cum_tsn: be32(v, 0),
                    entries: &v[4..],
                }
            }
            ty::RE_CONFIG => {
                let n = validate_tlvs(v).ok_or(ParseError::BadLength)?;
                if n == 0 || n > 2 {
                    return Err(ParseError::Invalid);
                }
                Chunk::ReConfig(v)
            }
            _ => Chunk::Unknown {
                ty,
                flags,
                value: v,
            },
        })
    }

    /// The chunk type number.
    pub fn chunk_type(&self) -> u8 {
        match self {
            Chunk::Data(_) => ty::DATA,
            Chunk::IData(_) => ty::I_DATA,
            Chunk::Init(_) => ty::INIT,
            Chunk::InitAck(_) => ty::INIT_ACK,
            Chunk::Sack(_) => ty::SACK,
            Chunk::Heartbeat(_) => ty::HEARTBEAT,
            Chunk::HeartbeatAck(_) => ty::HEARTBEAT_ACK,
            Chunk::Abort { .. } => ty::ABORT,
            Chunk::Shutdown { .. } => ty::SHUTDOWN,
            Chunk::ShutdownAck => ty::SHUTDOWN_ACK,
            Chunk::ShutdownComplete { .. } => ty::SHUTDOWN_COMPLETE,
            Chunk::Error(_) => ty::ERROR,
            Chunk::CookieEcho(_) => ty::COOKIE_ECHO,
            Chunk::CookieAck => ty::COOKIE_ACK,
            Chunk::ForwardTsn { .. } => ty::FORWARD_TSN,
            Chunk::IForwardTsn { .. } => ty::I_FORWARD_TSN,
            Chunk::ReConfig(_) => ty::RE_CONFIG,
            Chunk::Unknown { ty, .. } => *ty,
        }
    }

    /// Writes the chunk (header, value, padding). Returns the bytes written,
    /// or `None` (writing nothing useful) when `buf` is too small.
    pub fn write(&self, buf: &mut [u8]) -> Option<usize> {
        match *self {
            Chunk::Data(d) => write_data(buf, &d),
            Chunk::IData(d) => write_idata(buf, &d),
            Chunk::Sack(s) => {
                let mut w = Writer::new(buf);
                let len = u16::try_from(16 + s.gaps.len() + s.dups.len()).ok()?;
                w.u8(ty::SACK)?;
                w.u8(0)?;
                w.u16(len)?;
                w.u32(s.cum_tsn)?;
                w.u32(s.a_rwnd)?;
                w.u16((s.gaps.len() / 4) as u16)?;
                w.u16((s.dups.len() / 4) as u16)?;
                w.bytes(s.gaps)?;
                w.bytes(s.dups)?;
                Some(w.len())
            }
            Chunk::Init(i) | Chunk::InitAck(i) => {
                let mut w = Writer::new(buf);
                let len = u16::try_from(20 + i.params.len()).ok()?;
                w.u8(self.chunk_type())?;
                w.u8(0)?;
                w.u16(len)?;
                w.u32(i.initiate_tag)?;
                w.u32(i.a_rwnd)?;
                w.u16(i.outbound_streams)?;
                w.u16(i.inbound_streams)?;
                w.u32(i.initial_tsn)?;
                w.bytes(i.params)?;
                w.pad()?;
                Some(w.len())
            }
            Chunk::Shutdown { cum_tsn } => {
                write_simple(buf, ty::SHUTDOWN, 0, &cum_tsn.to_be_bytes())
            }
            Chunk::ShutdownAck => write_simple(buf, ty::SHUTDOWN_ACK, 0, &[]),
            Chunk::ShutdownComplete { t_bit } => {
                write_simple(buf, ty::SHUTDOWN_COMPLETE, t_bit as u8, &[])
            }
            Chunk::CookieAck => write_simple(buf, ty::COOKIE_ACK, 0, &[]),
            Chunk::Heartbeat(v) => write_simple(buf, ty::HEARTBEAT, 0, v),
            Chunk::HeartbeatAck(v) => write_simple(buf, ty::HEARTBEAT_ACK, 0, v),
            Chunk::Abort { t_bit, causes } => write_simple(buf, ty::ABORT, t_bit as u8, causes),
            Chunk::Error(v) => write_simple(buf, ty::ERROR, 0, v),
            Chunk::CookieEcho(v) => write_simple(buf, ty::COOKIE_ECHO, 0, v),
            Chunk::ReConfig(v) => write_simple(buf, ty::RE_CONFIG, 0, v),
            Chunk::ForwardTsn {
                new_cum_tsn,
                streams,
            } => write_with_u32(buf, ty::FORWARD_TSN, new_cum_tsn, streams),
            Chunk::IForwardTsn {
                new_cum_tsn,
                entries,
            } => write_with_u32(buf, ty::I_FORWARD_TSN, new_cum_tsn, entries),
            Chunk::Unknown { ty, flags, value } => write_simple(buf, ty, flags, value),
        }
    }
}

/// Writes a chunk made of a header and an opaque value.
pub fn write_simple(buf: &mut [u8], ty: u8, flags: u8, value: &[u8]) -> Option<usize> {
    let mut w = Writer::new(buf);
    let len = u16::try_from(4 + value.len()).ok()?;
    w.u8(ty)?;
    w.u8(flags)?;
    w.u16(len)?;
    w.bytes(value)?;
    w.pad()?;
    Some(w.len())
}

fn write_with_u32(buf: &mut [u8], ty: u8, first: u32, rest: &[u8]) -> Option<usize> {
    let mut w = Writer::new(buf);
    let len = u16::try_from(8 + rest.len()).ok()?;
    w.u8(ty)?;
    w.u8(0)?;
    w.u16(len)?;
    w.u32(first)?;
    w.bytes(rest)?;
    w.pad()?;
    Some(w.len())
}

/// Bytes a DATA chunk header takes (chunk header included).
pub const DATA_HEADER_LEN: usize = 16;
/// Bytes an I-DATA chunk header takes (chunk header included).
pub const IDATA_HEADER_LEN: usize = 20;

/// Writes a DATA chunk (RFC 9260 §3.3.1); `d.mid` is the SSN.
pub fn write_data(buf: &mut [u8], d: &Data<'_>) -> Option<usize> {
    let mut w = Writer::new(buf);
    let len = u16::try_from(DATA_HEADER_LEN + d.payload.len()).ok()?;
    w.u8(ty::DATA)?;
    w.u8(d.flags)?;
    w.u16(len)?;
    w.u32(d.tsn)?;
    w.u16(d.stream_id)?;
    w.u16(d.mid as u16)?;
    w.u32(d.ppid)?;
    w.bytes(d.payload)?;
    w.pad()?;
    Some(w.len())
}

/// Writes an I-DATA chunk (RFC 8260 §2.1).
pub fn write_idata(buf: &mut [u8], d: &Data<'_>) -> Option<usize> {
    let mut w = Writer::new(buf);
    let len = u16::try_from(IDATA_HEADER_LEN + d.payload.len()).ok()?;
    w.u8(ty::I_DATA)?;
    w.u8(d.flags)?;
    w.u16(len)?;
    w.u32(d.tsn)?;
    w.u16(d.stream_id)?;
    w.u16(0)?;
    w.u32(d.mid)?;
    w.u32(if d.flags & data_flags::BEGIN != 0 {
        d.ppid
    } else {
        d.fsn
    })?;
    w.bytes(d.payload)?;
    w.pad()?;
    Some(w.len())
}

/// Writes a SACK from plain values. Writes as many gap blocks and duplicate
/// TSNs as fit in `buf`; returns the bytes written.
pub fn write_sack(
    buf: &mut [u8],
    cum_tsn: u32,
    a_rwnd: u32,
    gaps: impl Iterator<Item = (u16, u16)>,
    dups: &[u32],
) -> Option<usize> {
    let mut w = Writer::new(buf);
    w.u8(ty::SACK)?;
    w.u8(0)?;
    w.u16(0)?;
    w.u32(cum_tsn)?;
    w.u32(a_rwnd)?;
    w.u16(0)?;
    w.u16(0)?;
    let mut ngaps = 0u16;
    for (s, e) in gaps {
        if w.remaining() < 4 || ngaps == u16::MAX {
            break;
        }
        w.u16(s)?;
        w.u16(e)?;
        ngaps += 1;
    }
    let mut ndups = 0u16;
    for &d in dups {
        if w.remaining() < 4 || ndups == u16::MAX {
            break;
        }
        w.u32(d)?;
        ndups += 1;
    }
    let len = u16::try_from(w.len()).ok()?;
    w.set_u16(2, len)?;
    w.set_u16(12, ngaps)?;
    w.set_u16(14, ndups)?;
    Some(w.len())
}

/// Parses the FORWARD-TSN `(stream, ssn)` entries.
pub fn forward_tsn_streams(raw: &[u8]) -> impl Iterator<Item = (u16, u16)> + '_ {
    raw.chunks_exact(4).map(|c| (be16(c, 0), be16(c, 2)))
}

/// Parses the I-FORWARD-TSN `(stream, unordered, mid)` entries.
pub fn iforward_tsn_entries(raw: &[u8]) -> impl Iterator<Item = (u16, bool, u32)> + '_ {
    raw.chunks_exact(8)
        .map(|c| (be16(c, 0), be16(c, 2) & 1 != 0, be32(c, 4)))
}

/// What to do with a chunk of unknown type, from its two high bits
/// (RFC 9260 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownAction {
    /// Skip the chunk and go on with the rest of the packet (else discard the
    /// rest of the packet).
    pub skip: bool,
    /// Report it in an ERROR chunk with an "Unrecognized Chunk Type" cause.
    pub report: bool,
}

/// The action for an unknown chunk type.
pub fn unknown_chunk_action(ty: u8) -> UnknownAction {
    UnknownAction {
        skip: ty & 0x80 != 0,
        report: ty & 0x40 != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(c: Chunk<'_>) {
        let mut buf = [0u8; 512];
        let n = c.write(&mut buf).expect("fits");
        assert_eq!(n % 4, 0, "padded");
        let len = be16(&buf, 2) as usize;
        let parsed = Chunk::parse(buf[0], buf[1], &buf[4..len]).expect("parses");
        assert_eq!(parsed, c);
        let mut again = [0u8; 512];
        let m = parsed.write(&mut again).unwrap();
        assert_eq!(&buf[..n], &again[..m]);
    }

    #[test]
    fn every_chunk_type_round_trips() {
        let params = {
            let mut b = [0u8; 16];
            let mut w = Writer::new(&mut b);
            w.tlv(0xC000, &[]).unwrap();
            w.tlv(0x8008, &[0x82, 0xC0, 0x40]).unwrap();
            b
        };
        let d = Data {
            flags: data_flags::BEGIN | data_flags::END,
            tsn: 7,
            stream_id: 3,
            mid: 9,
            fsn: 0,
            ppid: 51,
            payload: b"hello",
        };
        roundtrip(Chunk::Data(d));
        roundtrip(Chunk::IData(Data { mid: 70_000, ..d }));
        roundtrip(Chunk::IData(Data {
            flags: data_flags::END,
            fsn: 4,
            ppid: 0,
            ..d
        }));
        let init = Init {
            initiate_tag: 0xdead_beef,
            a_rwnd: 1 << 20,
            outbound_streams: 65535,
            inbound_streams: 65535,
            initial_tsn: 1234,
            params: &params[..12],
        };
        roundtrip(Chunk::Init(init));
        roundtrip(Chunk::InitAck(init));
        roundtrip(Chunk::Sack(Sack {
            cum_tsn: 5,
            a_rwnd: 100,
            gaps: &[0, 2, 0, 3, 0, 5, 0, 9],
            dups: &[0, 0, 0, 4],
        }));
        roundtrip(Chunk::Heartbeat(&[0, 1, 0, 6, 1, 2, 0, 0]));
        roundtrip(Chunk::HeartbeatAck(&[0, 1, 0, 6, 1, 2, 0, 0]));
        roundtrip(Chunk::Abort {
            t_bit: true,
            causes: &[0, 12, 0, 4],
        });
        roundtrip(Chunk::Shutdown { cum_tsn: 99 });
        roundtrip(Chunk::ShutdownAck);
        roundtrip(Chunk::ShutdownComplete { t_bit: true });
        roundtrip(Chunk::Error(&[0, 6, 0, 8, 99, 0, 0, 4]));
        roundtrip(Chunk::CookieEcho(&[1, 2, 3, 4, 5, 6, 7, 8]));
        roundtrip(Chunk::CookieAck);
        roundtrip(Chunk::ForwardTsn {
            new_cum_tsn: 10,
            streams: &[0, 1, 0, 2],
        });
        roundtrip(Chunk::IForwardTsn {
            new_cum_tsn: 10,
            entries: &[0, 1, 0, 1, 0, 0, 0, 2],
        });
        roundtrip(Chunk::ReConfig(&[
            0, 13, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5,
        ]));
        roundtrip(Chunk::Unknown {
            ty: 0xBF,
            flags: 3,
            value: &[1, 2, 3, 4],
        });
    }

    #[test]
    fn write_sack_truncates_to_buffer() {
        let mut buf = [0u8; 24];
        let n = write_sack(
            &mut buf,
            1,
            2,
            [(2u16, 3u16), (5, 6), (8, 9)].into_iter(),
            &[1, 2],
        )
        .unwrap();
        assert_eq!(n, 24);
        let Chunk::Sack(s) = Chunk::parse(buf[0], buf[1], &buf[4..n]).unwrap() else {
            panic!("not a sack")
        };
        assert_eq!(s.gap_blocks().collect::<Vec<_>>(), vec![(2, 3), (5, 6)]);
        assert_eq!(s.dup_tsns().count(), 0);
    }

    #[test]
    fn hostile_chunks_rejected() {
        assert_eq!(
            Chunk::parse(ty::DATA, 3, &[0; 12]),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            Chunk::parse(ty::DATA, 3, &[0; 5]),
            Err(ParseError::TooShort)
        );
        assert_eq!(
            Chunk::parse(ty::I_DATA, 3, &[0; 16]),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            Chunk::parse(ty::SACK, 0, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0]),
            Err(ParseError::BadLength)
        );
        assert_eq!(
            Chunk::parse(ty::INIT, 0, &[0; 15]),
            Err(ParseError::TooShort)
        );
        assert_eq!(
            Chunk::parse(ty::FORWARD_TSN, 0, &[0; 6]),
            Err(ParseError::BadLength)
        );
        assert_eq!(
            Chunk::parse(ty::RE_CONFIG, 0, &[]),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            Chunk::parse(ty::SHUTDOWN, 0, &[1]),
            Err(ParseError::TooShort)
        );
    }

    #[test]
    fn unknown_chunk_high_bits() {
        assert_eq!(
            unknown_chunk_action(0x3f),
            UnknownAction {
                skip: false,
                report: false
            }
        );
        assert_eq!(
            unknown_chunk_action(0x7f),
            UnknownAction {
                skip: false,
                report: true
            }
        );
        assert_eq!(
            unknown_chunk_action(0xbf),
            UnknownAction {
                skip: true,
                report: false
            }
        );
        assert_eq!(
            unknown_chunk_action(0xff),
            UnknownAction {
                skip: true,
                report: true
            }
        );
    }
}
