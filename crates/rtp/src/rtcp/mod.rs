//! RTCP packets (RFC 3550 §6, RFC 4585, RFC 5104, RFC 5506, transport-wide CC).
//!
//! A datagram holds one or more RTCP packets back to back (a compound packet,
//! or a reduced-size one per RFC 5506 that need not start with SR/RR).
//! [`parse_compound`] turns the datagram into owned [`RtcpPacket`] values;
//! [`write_compound`] writes a list back into a caller buffer.
//!
//! Every packet shares a 4-byte header:
//! ```text
//! |V=2|P| count/FMT |      PT       |   length (32-bit words − 1)   |
//! ```

mod feedback;
mod report;
mod twcc;
mod xr;

pub use feedback::{Fir, FirEntry, Nack, NackPair, Pli, Remb};
pub use report::{App, Bye, ReceiverReport, ReportBlock, Sdes, SdesChunk, SdesItem, SenderReport};
pub use twcc::{TransportCc, TwccBuilder};
pub use xr::{DlrrItem, ExtendedReport, XrBlock};

use crate::Error;

/// RTCP packet type: sender report.
pub const PT_SR: u8 = 200;
/// RTCP packet type: receiver report.
pub const PT_RR: u8 = 201;
/// RTCP packet type: source description.
pub const PT_SDES: u8 = 202;
/// RTCP packet type: goodbye.
pub const PT_BYE: u8 = 203;
/// RTCP packet type: application-defined.
pub const PT_APP: u8 = 204;
/// RTCP packet type: transport-layer feedback (RFC 4585).
pub const PT_RTPFB: u8 = 205;
/// RTCP packet type: payload-specific feedback (RFC 4585).
pub const PT_PSFB: u8 = 206;
/// RTCP packet type: extended report (RFC 3611).
pub const PT_XR: u8 = 207;

/// One RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket {
    /// SR (PT 200).
    SenderReport(SenderReport),
    /// RR (PT 201).
    ReceiverReport(ReceiverReport),
    /// SDES (PT 202).
    SourceDescription(Sdes),
    /// BYE (PT 203).
    Goodbye(Bye),
    /// APP (PT 204), passed through.
    App(App),
    /// Generic NACK (RTPFB FMT 1).
    Nack(Nack),
    /// Transport-wide congestion control feedback (RTPFB FMT 15).
    TransportCc(TransportCc),
    /// Picture loss indication (PSFB FMT 1).
    Pli(Pli),
    /// Full intra request (PSFB FMT 4, RFC 5104).
    Fir(Fir),
    /// Receiver estimated maximum bitrate (PSFB FMT 15 "REMB").
    Remb(Remb),
    /// Extended report (PT 207, RFC 3611).
    ExtendedReport(ExtendedReport),
    /// Any other packet, kept as its header fields and body.
    Unknown {
        /// Packet type.
        pt: u8,
        /// The count / FMT field.
        count: u8,
        /// The body after the 4-byte header, padding removed.
        body: Vec<u8>,
    },
}

/// Bounds-checked big-endian reader over a packet body.
pub(crate) struct Reader<'a> {
    pub b: &'a [u8],
    pub p: usize,
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b, p: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.b.len() - self.p
    }
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let s = self
            .b
            .get(self.p..self.p.checked_add(n).ok_or(Error::Truncated)?);
        let s = s.ok_or(Error::Truncated)?;
        self.p += n;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.bytes(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, Error> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn u24(&mut self) -> Result<u32, Error> {
        let b = self.bytes(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    pub fn u32(&mut self) -> Result<u32, Error> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, Error> {
        Ok(((self.u32()? as u64) << 32) | self.u32()? as u64)
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.p..];
        self.p = self.b.len();
        s
    }
}

/// Big-endian writer into a slice the caller sized with `marshal_size`.
pub(crate) struct Writer<'a> {
    pub b: &'a mut [u8],
    pub p: usize,
}

impl Writer<'_> {
    pub fn u8(&mut self, v: u8) {
        self.b[self.p] = v;
        self.p += 1;
    }
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    pub fn u24(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes()[1..]);
    }
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.b[self.p..self.p + v.len()].copy_from_slice(v);
        self.p += v.len();
    }
    pub fn zeros(&mut self, n: usize) {
        self.b[self.p..self.p + n].fill(0);
        self.p += n;
    }
}

/// Rounds up to a multiple of 4.
pub(crate) fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// A list length as the 5-bit count field; too long lists give a value that
/// [`RtcpPacket::write`] rejects.
fn count(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

impl RtcpPacket {
    /// Parses the first packet in `buf`; returns it and the bytes it used.
    pub fn parse_one(buf: &[u8]) -> Result<(RtcpPacket, usize), Error> {
        if buf.len() < 4 {
            return Err(Error::Truncated);
        }
        if buf[0] >> 6 != 2 {
            return Err(Error::BadVersion);
        }
        let count = buf[0] & 0x1f;
        let pt = buf[1];
        let len = (u16::from_be_bytes([buf[2], buf[3]]) as usize + 1) * 4;
        if buf.len() < len {
            return Err(Error::Truncated);
        }
        let mut body = &buf[4..len];
        if buf[0] & 0x20 != 0 {
            let pad = *body.last().ok_or(Error::Malformed("RTCP padding"))? as usize;
            if pad == 0 || pad > body.len() {
                return Err(Error::Malformed("RTCP padding"));
            }
            body = &body[..body.len() - pad];
        }
        let pkt = match (pt, count) {
            (PT_SR, _) => RtcpPacket::SenderReport(SenderReport::parse(count, body)?),
            (PT_RR, _) => RtcpPacket::ReceiverReport(ReceiverReport::parse(count, body)?),
            (PT_SDES, _) => RtcpPacket::SourceDescription(Sdes::parse(count, body)?),
            (PT_BYE, _) => RtcpPacket::Goodbye(Bye::parse(count, body)?),
            (PT_APP, _) => RtcpPacket::App(App::parse(count, body)?),
            (PT_RTPFB, 1) => RtcpPacket::Nack(Nack::parse(body)?),
            (PT_RTPFB, 15) => RtcpPacket::TransportCc(TransportCc::parse(body)?),
            (PT_PSFB, 1) => RtcpPacket::Pli(Pli::parse(body)?),
            (PT_PSFB, 4) => RtcpPacket::Fir(Fir::parse(body)?),
            (PT_PSFB, 15) if body.get(8..12) == Some(b"REMB") => {
                RtcpPacket::Remb(Remb::parse(body)?)
            }
            (PT_XR, _) => RtcpPacket::ExtendedReport(ExtendedReport::parse(body)?),
            _ => RtcpPacket::Unknown {
                pt,
                count,
                body: body.to_vec(),
            },
        };
        Ok((pkt, len))
    }

    /// (count/FMT, PT, body length) of this packet; the body length is a multiple of 4.
    fn parts(&self) -> (u8, u8, usize) {
        match self {
            RtcpPacket::SenderReport(p) => (count(p.reports.len()), PT_SR, p.body_len()),
            RtcpPacket::ReceiverReport(p) => (count(p.reports.len()), PT_RR, p.body_len()),
            RtcpPacket::SourceDescription(p) => (count(p.chunks.len()), PT_SDES, p.body_len()),
            RtcpPacket::Goodbye(p) => (count(p.ssrcs.len()), PT_BYE, p.body_len()),
            RtcpPacket::App(p) => (p.subtype, PT_APP, p.body_len()),
            RtcpPacket::Nack(p) => (1, PT_RTPFB, p.body_len()),
            RtcpPacket::TransportCc(p) => (15, PT_RTPFB, p.body_len()),
            RtcpPacket::Pli(_) => (1, PT_PSFB, 8),
            RtcpPacket::Fir(p) => (4, PT_PSFB, p.body_len()),
            RtcpPacket::Remb(p) => (15, PT_PSFB, p.body_len()),
            RtcpPacket::ExtendedReport(p) => (0, PT_XR, p.body_len()),
            RtcpPacket::Unknown { pt, count, body } => (*count, *pt, pad4(body.len())),
        }
    }

    /// Bytes this packet takes on the wire.
    pub fn marshal_size(&self) -> usize {
        4 + self.parts().2
    }

    /// Writes this packet into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        let (count, pt, body_len) = self.parts();
        let len = 4 + body_len;
        if out.len() < len {
            return Err(Error::BufferTooSmall);
        }
        if count > 31 || len / 4 - 1 > u16::MAX as usize {
            return Err(Error::TooLarge);
        }
        out[0] = 0x80 | count;
        out[1] = pt;
        out[2..4].copy_from_slice(&((len / 4 - 1) as u16).to_be_bytes());
        let mut w = Writer {
            b: &mut out[..len],
            p: 4,
        };
        match self {
            RtcpPacket::SenderReport(p) => p.write_body(&mut w),
            RtcpPacket::ReceiverReport(p) => p.write_body(&mut w),
            RtcpPacket::SourceDescription(p) => p.write_body(&mut w),
            RtcpPacket::Goodbye(p) => p.write_body(&mut w),
            RtcpPacket::App(p) => p.write_body(&mut w),
            RtcpPacket::Nack(p) => p.write_body(&mut w),
            RtcpPacket::TransportCc(p) => p.write_body(&mut w)?,
            RtcpPacket::Pli(p) => p.write_body(&mut w),
            RtcpPacket::Fir(p) => p.write_body(&mut w),
            RtcpPacket::Remb(p) => p.write_body(&mut w)?,
            RtcpPacket::ExtendedReport(p) => p.write_body(&mut w),
            RtcpPacket::Unknown { body, .. } => w.bytes(body),
        }
        let p = w.p;
        out[p..len].fill(0);
        Ok(len)
    }

    /// The SSRCs of the media this packet is about (report blocks, feedback targets).
    pub fn media_ssrcs(&self) -> Vec<u32> {
        match self {
            RtcpPacket::SenderReport(p) => p.reports.iter().map(|r| r.ssrc).collect(),
            RtcpPacket::ReceiverReport(p) => p.reports.iter().map(|r| r.ssrc).collect(),
            RtcpPacket::Nack(p) => vec![p.media_ssrc],
            RtcpPacket::TransportCc(p) => vec![p.media_ssrc],
            RtcpPacket::Pli(p) => vec![p.media_ssrc],
            RtcpPacket::Fir(p) => p.entries.iter().map(|e| e.ssrc).collect(),
            RtcpPacket::Remb(p) => p.ssrcs.clone(),
            RtcpPacket::Goodbye(p) => p.ssrcs.clone(),
            _ => Vec::new(),
        }
    }
}

/// Parses every packet of a compound (or reduced-size) RTCP datagram.
/// Fails on the first malformed packet.
pub fn parse_compound(buf: &[u8]) -> Result<Vec<RtcpPacket>, Error> {
    let mut out = Vec::new();
    let mut p = 0;
    if buf.is_empty() {
        return Err(Error::Truncated);
    }
    while p < buf.len() {
        let (pkt, n) = RtcpPacket::parse_one(&buf[p..])?;
        out.push(pkt);
        p += n;
    }
    Ok(out)
}

/// Builds the regular compound report of RFC 3550 §6.1: an SR (when `sr` is
/// given, as the sender `ssrc`) or an RR, carrying `blocks` (extra RRs when
/// there are more than 31), then an SDES with the CNAME.
pub fn compound_report(
    ssrc: u32,
    sr: Option<SenderReport>,
    blocks: &[ReportBlock],
    cname: &str,
) -> Vec<RtcpPacket> {
    let mut out = Vec::new();
    let mut chunks = blocks.chunks(31);
    let first = chunks.next().unwrap_or(&[]).to_vec();
    match sr {
        Some(mut sr) => {
            sr.ssrc = ssrc;
            sr.reports = first;
            out.push(RtcpPacket::SenderReport(sr));
        }
        None => out.push(RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc,
            reports: first,
            profile_extensions: Vec::new(),
        })),
    }
    for c in chunks {
        out.push(RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc,
            reports: c.to_vec(),
            profile_extensions: Vec::new(),
        }));
    }
    out.push(RtcpPacket::SourceDescription(Sdes::cname(ssrc, cname)));
    out
}

/// Bytes a list of packets takes as one compound datagram.
pub fn compound_size(pkts: &[RtcpPacket]) -> usize {
    pkts.iter().map(RtcpPacket::marshal_size).sum()
}

/// Writes packets back to back into `out`; returns the total length.
pub fn write_compound(pkts: &[RtcpPacket], out: &mut [u8]) -> Result<usize, Error> {
    let mut p = 0;
    for pkt in pkts {
        p += pkt.write(&mut out[p..])?;
    }
    Ok(p)
}

/// Writes packets into a new `Vec`.
pub fn to_bytes(pkts: &[RtcpPacket]) -> Result<Vec<u8>, Error> {
    let mut v = vec![0; compound_size(pkts)];
    let n = write_compound(pkts, &mut v)?;
    v.truncate(n);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{hex, Rng};

    fn rt(pkts: Vec<RtcpPacket>) {
        let b = to_bytes(&pkts).unwrap();
        assert_eq!(b.len() % 4, 0);
        assert_eq!(parse_compound(&b).unwrap(), pkts);
    }

    #[test]
    fn compound_round_trip_all_types() {
        let rb = ReportBlock {
            ssrc: 9,
            fraction_lost: 12,
            cumulative_lost: -3,
            highest_seq: 70000,
            jitter: 55,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 99,
        };
        rt(vec![
            RtcpPacket::SenderReport(SenderReport {
                ssrc: 1,
                ntp_time: 0x0102_0304_0506_0708,
                rtp_time: 5,
                packet_count: 6,
                octet_count: 7,
                reports: vec![rb],
                profile_extensions: vec![],
            }),
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 2,
                reports: vec![rb, rb],
                profile_extensions: vec![],
            }),
            RtcpPacket::SourceDescription(Sdes::cname(1, "abcdefgh")),
            RtcpPacket::Goodbye(Bye {
                ssrcs: vec![1, 2],
                reason: Some("bye".into()),
            }),
            RtcpPacket::App(App {
                subtype: 3,
                ssrc: 4,
                name: *b"TEST",
                data: vec![1, 2, 3, 4],
            }),
            RtcpPacket::Nack(Nack::from_sequence_numbers(1, 2, &[10, 11, 26, 27, 100])),
            RtcpPacket::Pli(Pli {
                sender_ssrc: 1,
                media_ssrc: 2,
            }),
            RtcpPacket::Fir(Fir {
                sender_ssrc: 1,
                entries: vec![FirEntry { ssrc: 5, seq: 6 }],
            }),
            RtcpPacket::Remb(Remb {
                sender_ssrc: 1,
                bitrate: 1_500_000,
                ssrcs: vec![5, 6],
            }),
            RtcpPacket::Unknown {
                pt: 210,
                count: 2,
                body: vec![1, 2, 3, 4],
            },
        ]);
    }

    #[test]
    fn parses_chromium_style_rr_sdes() {
        // RR with no blocks + SDES CNAME, as a browser sends before media.
        let b = hex("80c90001 00000001 81ca0003 00000001 0104 61626364 0000 0000");
        let b = &b[..b.len() - 2];
        let v = parse_compound(b).unwrap();
        assert!(
            matches!(v[0], RtcpPacket::ReceiverReport(ref r) if r.ssrc == 1 && r.reports.is_empty())
        );
        match &v[1] {
            RtcpPacket::SourceDescription(s) => assert_eq!(s.chunks[0].cname(), Some("abcd")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn compound_report_splits_blocks() {
        let blocks: Vec<ReportBlock> = (0..40)
            .map(|i| ReportBlock {
                ssrc: i,
                ..Default::default()
            })
            .collect();
        let pkts = compound_report(7, Some(SenderReport::default()), &blocks, "cname");
        assert_eq!(pkts.len(), 3);
        assert!(
            matches!(&pkts[0], RtcpPacket::SenderReport(sr) if sr.ssrc == 7 && sr.reports.len() == 31)
        );
        assert!(matches!(&pkts[1], RtcpPacket::ReceiverReport(rr) if rr.reports.len() == 9));
        let b = to_bytes(&pkts).unwrap();
        assert_eq!(parse_compound(&b).unwrap(), pkts);
        let rr_only = compound_report(7, None, &[], "x");
        assert!(matches!(&rr_only[0], RtcpPacket::ReceiverReport(rr) if rr.reports.is_empty()));
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(parse_compound(&[]).is_err());
        assert_eq!(parse_compound(&[0x80, 200, 0]), Err(Error::Truncated));
        assert_eq!(parse_compound(&[0x40, 200, 0, 0]), Err(Error::BadVersion));
        assert_eq!(
            parse_compound(&[0x80, 201, 0, 2, 0, 0, 0, 0]),
            Err(Error::Truncated)
        );
        // padding count of zero
        assert!(parse_compound(&[0xa0, 201, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        // SR claiming 2 report blocks without them
        assert!(parse_compound(&hex(
            "82c80006 00000001 00000000 00000000 00000000 00000000 00000000"
        ))
        .is_err());
    }

    #[test]
    fn too_many_items_are_rejected_not_truncated() {
        let rr = ReceiverReport {
            ssrc: 1,
            reports: vec![ReportBlock::default(); 287],
            profile_extensions: vec![],
        };
        assert_eq!(
            to_bytes(&[RtcpPacket::ReceiverReport(rr)]),
            Err(Error::TooLarge)
        );
        let bye = Bye {
            ssrcs: vec![1; 32],
            reason: None,
        };
        assert_eq!(to_bytes(&[RtcpPacket::Goodbye(bye)]), Err(Error::TooLarge));
    }

    #[test]
    fn padded_packet_parses() {
        // RR, P bit, 4 bytes padding.
        let b = hex("a0c90002 00000007 00000004");
        let v = parse_compound(&b).unwrap();
        assert_eq!(
            v,
            vec![RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: 7,
                reports: vec![],
                profile_extensions: vec![]
            })]
        );
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = Rng(99);
        for _ in 0..50000 {
            let n = rng.below(80);
            let mut b = rng.bytes(n);
            if b.len() >= 4 {
                b[0] = 0x80 | (b[0] & 0x3f);
                b[1] = 200 + (b[1] % 8);
                let words = (b.len() / 4).saturating_sub(1) as u16;
                if rng.below(2) == 0 {
                    b[2..4].copy_from_slice(&words.to_be_bytes());
                }
            }
            if let Ok(v) = parse_compound(&b) {
                // What we accept we can write again.
                let _ = to_bytes(&v);
            }
        }
    }
}
