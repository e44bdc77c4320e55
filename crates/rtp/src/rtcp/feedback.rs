//! Feedback messages: generic NACK, PLI (RFC 4585), FIR (RFC 5104), REMB.

use super::{Reader, Writer};
use crate::Error;

/// One NACK entry: a lost packet id and a bitmask of the 16 following losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NackPair {
    /// Packet id (sequence number) of a lost packet.
    pub pid: u16,
    /// Bit i set: `pid + i + 1` is lost too.
    pub blp: u16,
}

/// Generic NACK (RTPFB FMT 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nack {
    /// Sender of this feedback.
    pub sender_ssrc: u32,
    /// The media source with losses.
    pub media_ssrc: u32,
    /// Loss entries.
    pub pairs: Vec<NackPair>,
}

impl Nack {
    /// Packs lost sequence numbers (in send order, wrap-aware) into pairs.
    pub fn from_sequence_numbers(sender_ssrc: u32, media_ssrc: u32, lost: &[u16]) -> Self {
        let mut pairs: Vec<NackPair> = Vec::new();
        for &s in lost {
            if let Some(last) = pairs.last_mut() {
                let d = s.wrapping_sub(last.pid);
                if (1..=16).contains(&d) {
                    last.blp |= 1 << (d - 1);
                    continue;
                }
                if d == 0 {
                    continue;
                }
            }
            pairs.push(NackPair { pid: s, blp: 0 });
        }
        Nack {
            sender_ssrc,
            media_ssrc,
            pairs,
        }
    }
    /// All sequence numbers this NACK asks for.
    pub fn sequence_numbers(&self) -> impl Iterator<Item = u16> + '_ {
        self.pairs.iter().flat_map(|p| {
            std::iter::once(p.pid).chain(
                (0..16)
                    .filter(move |i| p.blp & (1 << i) != 0)
                    .map(move |i| p.pid.wrapping_add(i + 1)),
            )
        })
    }
    pub(super) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let mut pairs = Vec::with_capacity(r.remaining() / 4);
        while r.remaining() >= 4 {
            pairs.push(NackPair {
                pid: r.u16()?,
                blp: r.u16()?,
            });
        }
        Ok(Nack {
            sender_ssrc,
            media_ssrc,
            pairs,
        })
    }
    pub(super) fn body_len(&self) -> usize {
        8 + 4 * self.pairs.len()
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.sender_ssrc);
        w.u32(self.media_ssrc);
        for p in &self.pairs {
            w.u16(p.pid);
            w.u16(p.blp);
        }
    }
}

/// Picture loss indication (PSFB FMT 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pli {
    /// Sender of this feedback.
    pub sender_ssrc: u32,
    /// The video source that should send a keyframe.
    pub media_ssrc: u32,
}

impl Pli {
    pub(super) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        Ok(Pli {
            sender_ssrc: r.u32()?,
            media_ssrc: r.u32()?,
        })
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.sender_ssrc);
        w.u32(self.media_ssrc);
    }
}

/// One FIR request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirEntry {
    /// The source that should send a keyframe.
    pub ssrc: u32,
    /// Command sequence number (incremented per new request).
    pub seq: u8,
}

/// Full intra request (PSFB FMT 4, RFC 5104 §4.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fir {
    /// Sender of this feedback.
    pub sender_ssrc: u32,
    /// Requests.
    pub entries: Vec<FirEntry>,
}

impl Fir {
    pub(super) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let sender_ssrc = r.u32()?;
        let _media = r.u32()?; // unused, SHALL be 0
        let mut entries = Vec::new();
        while r.remaining() >= 8 {
            let ssrc = r.u32()?;
            let seq = r.u8()?;
            r.bytes(3)?;
            entries.push(FirEntry { ssrc, seq });
        }
        Ok(Fir {
            sender_ssrc,
            entries,
        })
    }
    pub(super) fn body_len(&self) -> usize {
        8 + 8 * self.entries.len()
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.sender_ssrc);
        w.u32(0);
        for e in &self.entries {
            w.u32(e.ssrc);
            w.u8(e.seq);
            w.zeros(3);
        }
    }
}

/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remb {
    /// Sender of this feedback.
    pub sender_ssrc: u32,
    /// Estimated bitrate in bits per second (written as 6-bit exponent, 18-bit mantissa).
    pub bitrate: u64,
    /// Sources the estimate applies to (at most 255).
    pub ssrcs: Vec<u32>,
}

impl Remb {
    pub(super) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let sender_ssrc = r.u32()?;
        let _media = r.u32()?;
        if r.bytes(4)? != b"REMB" {
            return Err(Error::Malformed("REMB identifier"));
        }
        let n = r.u8()?;
        let v = r.u24()?;
        let exp = v >> 18;
        let mantissa = (v & 0x3_ffff) as u64;
        let bitrate = mantissa.checked_shl(exp).filter(|b| b >> exp == mantissa);
        let bitrate = bitrate.unwrap_or(u64::MAX);
        let ssrcs = (0..n).map(|_| r.u32()).collect::<Result<_, _>>()?;
        Ok(Remb {
            sender_ssrc,
            bitrate,
            ssrcs,
        })
    }
    pub(super) fn body_len(&self) -> usize {
        16 + 4 * self.ssrcs.len()
    }
    pub(super) fn write_body(&self, w: &mut Writer) -> Result<(), Error> {
        if self.ssrcs.len() > 255 {
            return Err(Error::TooLarge);
        }
        let mut exp = 0u32;
        let mut m = self.bitrate;
        while m > 0x3_ffff {
            m >>= 1;
            exp += 1;
        }
        if exp > 63 {
            return Err(Error::TooLarge);
        }
        w.u32(self.sender_ssrc);
        w.u32(0);
        w.bytes(b"REMB");
        w.u8(self.ssrcs.len() as u8);
        w.u24((exp << 18) | m as u32);
        self.ssrcs.iter().for_each(|s| w.u32(*s));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::test_util::hex;

    #[test]
    fn nack_packing_and_unpacking() {
        let lost = [65530u16, 65531, 65535, 0, 5, 40];
        let n = Nack::from_sequence_numbers(1, 2, &lost);
        assert_eq!(n.pairs.len(), 2);
        assert_eq!(n.sequence_numbers().collect::<Vec<_>>(), lost);
    }

    #[test]
    fn remb_known_encoding() {
        // Bitrate 0x3ffff << 2 : exponent 2, mantissa 0x3ffff.
        let r = Remb {
            sender_ssrc: 1,
            bitrate: 0x3ffff << 2,
            ssrcs: vec![0xaabbccdd],
        };
        let b = to_bytes(&[RtcpPacket::Remb(r.clone())]).unwrap();
        assert_eq!(
            b,
            hex("8fce0005 00000001 00000000 52454d42 01 0bffff aabbccdd")
        );
        assert_eq!(parse_compound(&b).unwrap(), vec![RtcpPacket::Remb(r)]);
    }

    #[test]
    fn remb_rounds_down_large_bitrates() {
        let r = Remb {
            sender_ssrc: 1,
            bitrate: 123_456_789,
            ssrcs: vec![],
        };
        let b = to_bytes(&[RtcpPacket::Remb(r)]).unwrap();
        match &parse_compound(&b).unwrap()[0] {
            RtcpPacket::Remb(back) => {
                assert!(
                    back.bitrate <= 123_456_789
                        && back.bitrate > 123_456_789 - 123_456_789 / 100_000
                )
            }
            _ => panic!(),
        }
    }

    #[test]
    fn pli_wire_format() {
        let b = to_bytes(&[RtcpPacket::Pli(Pli {
            sender_ssrc: 1,
            media_ssrc: 2,
        })])
        .unwrap();
        assert_eq!(b, hex("81ce0002 00000001 00000002"));
    }
}
