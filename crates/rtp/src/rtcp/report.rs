//! SR, RR, SDES, BYE and APP (RFC 3550 §6.4–6.7).

use super::{pad4, Reader, Writer};
use crate::Error;

/// One reception report block (24 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// SSRC of the source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed on the wire).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP time (LSR).
    pub last_sr: u32,
    /// Delay since the last SR, in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn parse(r: &mut Reader) -> Result<Self, Error> {
        let ssrc = r.u32()?;
        let fraction_lost = r.u8()?;
        let lost = r.u24()?;
        // sign-extend 24 bits
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Ok(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost,
            highest_seq: r.u32()?,
            jitter: r.u32()?,
            last_sr: r.u32()?,
            delay_since_last_sr: r.u32()?,
        })
    }
    fn write(&self, w: &mut Writer) {
        w.u32(self.ssrc);
        w.u8(self.fraction_lost);
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff);
        w.u24(lost as u32 & 0x00ff_ffff);
        w.u32(self.highest_seq);
        w.u32(self.jitter);
        w.u32(self.last_sr);
        w.u32(self.delay_since_last_sr);
    }
}

fn parse_blocks(count: u8, r: &mut Reader) -> Result<Vec<ReportBlock>, Error> {
    (0..count).map(|_| ReportBlock::parse(r)).collect()
}

/// Sender report (PT 200).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderReport {
    /// Sender SSRC.
    pub ssrc: u32,
    /// 64-bit NTP timestamp (seconds since 1900 in the high 32 bits).
    pub ntp_time: u64,
    /// RTP timestamp matching `ntp_time`.
    pub rtp_time: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    /// Reception report blocks (at most 31).
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension bytes (multiple of 4).
    pub profile_extensions: Vec<u8>,
}

impl SenderReport {
    pub(super) fn parse(count: u8, body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        Ok(SenderReport {
            ssrc: r.u32()?,
            ntp_time: r.u64()?,
            rtp_time: r.u32()?,
            packet_count: r.u32()?,
            octet_count: r.u32()?,
            reports: parse_blocks(count, &mut r)?,
            profile_extensions: r.rest().to_vec(),
        })
    }
    pub(super) fn body_len(&self) -> usize {
        24 + 24 * self.reports.len() + pad4(self.profile_extensions.len())
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.ssrc);
        w.u64(self.ntp_time);
        w.u32(self.rtp_time);
        w.u32(self.packet_count);
        w.u32(self.octet_count);
        self.reports.iter().for_each(|b| b.write(w));
        w.bytes(&self.profile_extensions);
    }
    /// The middle 32 bits of the NTP time, as echoed in a report block's LSR.
    pub fn compact_ntp(&self) -> u32 {
        (self.ntp_time >> 16) as u32
    }
}

/// Receiver report (PT 201).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiverReport {
    /// Reporter SSRC.
    pub ssrc: u32,
    /// Reception report blocks (at most 31).
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension bytes (multiple of 4).
    pub profile_extensions: Vec<u8>,
}

impl ReceiverReport {
    pub(super) fn parse(count: u8, body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        Ok(ReceiverReport {
            ssrc: r.u32()?,
            reports: parse_blocks(count, &mut r)?,
            profile_extensions: r.rest().to_vec(),
        })
    }
    pub(super) fn body_len(&self) -> usize {
        4 + 24 * self.reports.len() + pad4(self.profile_extensions.len())
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.ssrc);
        self.reports.iter().for_each(|b| b.write(w));
        w.bytes(&self.profile_extensions);
    }
}

/// An SDES item (type 1 = CNAME, 2 = NAME, … 8 = PRIV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesItem {
    /// Item type (1..=8).
    pub kind: u8,
    /// Item text (at most 255 bytes).
    pub text: Vec<u8>,
}

/// The items about one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source.
    pub ssrc: u32,
    /// Its items.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// The CNAME item as text.
    pub fn cname(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.kind == 1)
            .and_then(|i| std::str::from_utf8(&i.text).ok())
    }
    fn len(&self) -> usize {
        // ssrc + items + at least one terminating zero, padded to 4
        pad4(
            4 + self
                .items
                .iter()
                .map(|i| 2 + i.text.len().min(255))
                .sum::<usize>()
                + 1,
        )
    }
}

/// Source description (PT 202).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sdes {
    /// One chunk per source (at most 31).
    pub chunks: Vec<SdesChunk>,
}

impl Sdes {
    /// An SDES holding one CNAME.
    pub fn cname(ssrc: u32, cname: &str) -> Self {
        Sdes {
            chunks: vec![SdesChunk {
                ssrc,
                items: vec![SdesItem {
                    kind: 1,
                    text: cname.as_bytes()[..cname.len().min(255)].to_vec(),
                }],
            }],
        }
    }
    pub(super) fn parse(count: u8, body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let mut chunks = Vec::new();
        for _ in 0..count {
            let ssrc = r.u32()?;
            let start = r.p;
            let mut items = Vec::new();
            loop {
                let kind = r.u8()?;
                if kind == 0 {
                    break;
                }
                let len = r.u8()? as usize;
                items.push(SdesItem {
                    kind,
                    text: r.bytes(len)?.to_vec(),
                });
            }
            // skip the null padding to the next 32-bit boundary of the chunk
            let used = 4 + (r.p - start);
            let skip = (pad4(used) - used).min(r.remaining());
            r.bytes(skip)?;
            chunks.push(SdesChunk { ssrc, items });
        }
        Ok(Sdes { chunks })
    }
    pub(super) fn body_len(&self) -> usize {
        self.chunks.iter().map(SdesChunk::len).sum()
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        for c in &self.chunks {
            let start = w.p;
            w.u32(c.ssrc);
            for i in &c.items {
                let t = &i.text[..i.text.len().min(255)];
                w.u8(i.kind);
                w.u8(t.len() as u8);
                w.bytes(t);
            }
            let used = w.p - start;
            w.zeros(c.len() - used);
        }
    }
}

/// Goodbye (PT 203).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bye {
    /// Sources leaving (at most 31).
    pub ssrcs: Vec<u32>,
    /// Optional reason.
    pub reason: Option<String>,
}

impl Bye {
    pub(super) fn parse(count: u8, body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let ssrcs = (0..count).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
        let reason = if r.remaining() > 0 {
            let len = r.u8()? as usize;
            Some(String::from_utf8_lossy(r.bytes(len)?).into_owned())
        } else {
            None
        };
        Ok(Bye { ssrcs, reason })
    }
    fn reason_bytes(&self) -> Option<&[u8]> {
        self.reason
            .as_ref()
            .map(|s| &s.as_bytes()[..s.len().min(255)])
    }
    pub(super) fn body_len(&self) -> usize {
        4 * self.ssrcs.len() + self.reason_bytes().map_or(0, |r| pad4(1 + r.len()))
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        self.ssrcs.iter().for_each(|s| w.u32(*s));
        if let Some(r) = self.reason_bytes() {
            w.u8(r.len() as u8);
            w.bytes(r);
        }
    }
}

/// Application-defined packet (PT 204), passed through untouched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// Source.
    pub ssrc: u32,
    /// Four ASCII characters.
    pub name: [u8; 4],
    /// Application data (written padded to 4 bytes).
    pub data: Vec<u8>,
}

impl App {
    pub(super) fn parse(count: u8, body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let ssrc = r.u32()?;
        let mut name = [0; 4];
        name.copy_from_slice(r.bytes(4)?);
        Ok(App {
            subtype: count,
            ssrc,
            name,
            data: r.rest().to_vec(),
        })
    }
    pub(super) fn body_len(&self) -> usize {
        8 + pad4(self.data.len())
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.ssrc);
        w.bytes(&self.name);
        w.bytes(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn negative_and_clamped_cumulative_loss() {
        let mut rb = ReportBlock {
            cumulative_lost: -0x80_0000,
            ..Default::default()
        };
        let pkt = |rb| {
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 1,
                reports: vec![rb],
                profile_extensions: vec![],
            })
        };
        let back = parse_compound(&to_bytes(&[pkt(rb)]).unwrap()).unwrap();
        assert_eq!(back, vec![pkt(rb)]);
        rb.cumulative_lost = 50_000_000; // clamps to the 24-bit maximum
        let back = parse_compound(&to_bytes(&[pkt(rb)]).unwrap()).unwrap();
        match &back[0] {
            RtcpPacket::ReceiverReport(r) => assert_eq!(r.reports[0].cumulative_lost, 0x7f_ffff),
            _ => panic!(),
        }
    }

    #[test]
    fn sdes_multiple_items_and_chunks() {
        let s = Sdes {
            chunks: vec![
                SdesChunk {
                    ssrc: 1,
                    items: vec![
                        SdesItem {
                            kind: 1,
                            text: b"abc".to_vec(),
                        },
                        SdesItem {
                            kind: 2,
                            text: b"name".to_vec(),
                        },
                    ],
                },
                SdesChunk {
                    ssrc: 2,
                    items: vec![],
                },
            ],
        };
        let b = to_bytes(&[RtcpPacket::SourceDescription(s.clone())]).unwrap();
        assert_eq!(
            parse_compound(&b).unwrap(),
            vec![RtcpPacket::SourceDescription(s)]
        );
    }

    #[test]
    fn sr_compact_ntp() {
        let sr = SenderReport {
            ntp_time: 0x1122_3344_5566_7788,
            ..Default::default()
        };
        assert_eq!(sr.compact_ntp(), 0x3344_5566);
    }
}
