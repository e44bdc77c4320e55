//! Send history for answering NACKs, and the RTX payload format (RFC 4588).
//!
//! [`SendHistory`] keeps the last N packets sent on one SSRC (unencrypted) by
//! sequence number. [`RtxSender::wrap`] turns a stored packet into an RTX
//! packet: same header fields except SSRC, payload type and sequence number,
//! and a payload that starts with the original sequence number (OSN).
//! [`unwrap_rtx`] does the reverse on the receive side.

use std::time::{Duration, Instant};

use crate::packet::{RtpPacket, FIXED_HEADER_LEN};
use crate::Error;

#[derive(Debug, Clone)]
struct Slot {
    seq: u16,
    sent_at: Instant,
    last_resent: Option<Instant>,
    packet: Vec<u8>,
}

/// The last `capacity` RTP packets sent on one SSRC.
#[derive(Debug, Clone)]
pub struct SendHistory {
    slots: Vec<Option<Slot>>,
    /// Packets resent.
    pub resent: u64,
    /// NACKed packets no longer held.
    pub missed: u64,
}

impl SendHistory {
    /// A history of `capacity` packets (rounded up to at least 1).
    pub fn new(capacity: usize) -> Self {
        SendHistory {
            slots: vec![None; capacity.max(1)],
            resent: 0,
            missed: 0,
        }
    }

    /// Stores a copy of the RTP packet (reusing the slot's allocation).
    pub fn insert(&mut self, now: Instant, packet: &[u8]) -> Result<(), Error> {
        let p = RtpPacket::parse(packet)?;
        let seq = p.sequence_number();
        let n = self.slots.len();
        let slot = &mut self.slots[seq as usize % n];
        match slot {
            Some(s) => {
                s.seq = seq;
                s.sent_at = now;
                s.last_resent = None;
                s.packet.clear();
                s.packet.extend_from_slice(packet);
            }
            None => {
                *slot = Some(Slot {
                    seq,
                    sent_at: now,
                    last_resent: None,
                    packet: packet.to_vec(),
                })
            }
        }
        Ok(())
    }

    /// The stored packet with sequence number `seq`.
    pub fn get(&self, seq: u16) -> Option<&[u8]> {
        let n = self.slots.len();
        self.slots[seq as usize % n]
            .as_ref()
            .filter(|s| s.seq == seq)
            .map(|s| s.packet.as_slice())
    }

    /// The packet to resend for a NACK of `seq`, unless it was resent less than
    /// `min_interval` ago (typically the RTT) or is no longer held.
    pub fn for_resend(&mut self, now: Instant, seq: u16, min_interval: Duration) -> Option<&[u8]> {
        let n = self.slots.len();
        let Some(s) = self.slots[seq as usize % n]
            .as_mut()
            .filter(|s| s.seq == seq)
        else {
            self.missed += 1;
            return None;
        };
        if s.last_resent
            .is_some_and(|t| now.saturating_duration_since(t) < min_interval)
        {
            return None;
        }
        s.last_resent = Some(now);
        self.resent += 1;
        Some(&s.packet)
    }

    /// When the packet `seq` was first sent.
    pub fn sent_at(&self, seq: u16) -> Option<Instant> {
        let n = self.slots.len();
        self.slots[seq as usize % n]
            .as_ref()
            .filter(|s| s.seq == seq)
            .map(|s| s.sent_at)
    }
}

/// Wraps packets into RTX (RFC 4588) for one RTX stream.
#[derive(Debug, Clone)]
pub struct RtxSender {
    /// RTX SSRC.
    pub ssrc: u32,
    /// RTX payload type (the `apt=` of the original).
    pub payload_type: u8,
    /// Next RTX sequence number.
    pub sequence_number: u16,
}

impl RtxSender {
    /// Writes the RTX form of `original` into `out` (cleared first). The
    /// original's padding is dropped; header extensions are kept.
    pub fn wrap(&mut self, original: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let p = RtpPacket::parse(original)?;
        let hl = p.header_len();
        out.clear();
        out.extend_from_slice(&original[..hl]);
        out[0] &= !0x20; // no padding
        out[1] = (out[1] & 0x80) | (self.payload_type & 0x7f);
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&p.sequence_number().to_be_bytes());
        out.extend_from_slice(p.payload());
        self.sequence_number = self.sequence_number.wrapping_add(1);
        Ok(())
    }
}

/// Restores the original packet from an RTX packet: original SSRC and payload
/// type, sequence number from the OSN. Writes into `out` (cleared first).
pub fn unwrap_rtx(
    rtx: &[u8],
    original_ssrc: u32,
    original_payload_type: u8,
    out: &mut Vec<u8>,
) -> Result<u16, Error> {
    let p = RtpPacket::parse(rtx)?;
    let payload = p.payload();
    if payload.len() < 2 {
        return Err(Error::Truncated);
    }
    let osn = u16::from_be_bytes([payload[0], payload[1]]);
    let hl = p.header_len();
    debug_assert!(hl >= FIXED_HEADER_LEN);
    out.clear();
    out.extend_from_slice(&rtx[..hl]);
    out[0] &= !0x20;
    out[1] = (out[1] & 0x80) | (original_payload_type & 0x7f);
    out[2..4].copy_from_slice(&osn.to_be_bytes());
    out[8..12].copy_from_slice(&original_ssrc.to_be_bytes());
    out.extend_from_slice(&payload[2..]);
    Ok(osn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::RtpHeader;

    fn pkt(seq: u16) -> Vec<u8> {
        let mut h = RtpHeader {
            payload_type: 96,
            sequence_number: seq,
            timestamp: 9,
            ssrc: 1,
            marker: true,
            ..Default::default()
        };
        h.extensions.set(3, &[1, 2]).unwrap();
        let mut out = vec![0; 100];
        let n = h.write_packet(&[seq as u8; 20], 4, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn history_keeps_last_n() {
        let mut h = SendHistory::new(4);
        let now = Instant::now();
        for s in 65533..=65535u16 {
            h.insert(now, &pkt(s)).unwrap();
        }
        h.insert(now, &pkt(0)).unwrap();
        h.insert(now, &pkt(1)).unwrap();
        assert!(h.get(65533).is_none());
        assert_eq!(h.get(1), Some(&pkt(1)[..]));
        assert!(h.for_resend(now, 0, Duration::from_millis(50)).is_some());
        assert!(
            h.for_resend(now, 0, Duration::from_millis(50)).is_none(),
            "paced by the interval"
        );
        assert!(h
            .for_resend(
                now + Duration::from_millis(60),
                0,
                Duration::from_millis(50)
            )
            .is_some());
        assert!(h.for_resend(now, 7, Duration::ZERO).is_none());
        assert_eq!((h.resent, h.missed), (2, 1));
        assert!(h.insert(now, &[1, 2]).is_err());
    }

    #[test]
    fn rtx_round_trip() {
        let orig = pkt(777);
        let mut rtx = RtxSender {
            ssrc: 55,
            payload_type: 97,
            sequence_number: 1000,
        };
        let mut wrapped = Vec::new();
        rtx.wrap(&orig, &mut wrapped).unwrap();
        let w = RtpPacket::parse(&wrapped).unwrap();
        assert_eq!(
            (w.ssrc(), w.payload_type(), w.sequence_number()),
            (55, 97, 1000)
        );
        assert_eq!(&w.payload()[..2], &777u16.to_be_bytes());
        assert_eq!(w.extension(3), Some(&[1u8, 2][..]));
        assert!(w.marker());
        let mut back = Vec::new();
        assert_eq!(unwrap_rtx(&wrapped, 1, 96, &mut back).unwrap(), 777);
        let b = RtpPacket::parse(&back).unwrap();
        let o = RtpPacket::parse(&orig).unwrap();
        assert_eq!(b.header(), o.header());
        assert_eq!(b.payload(), o.payload());
        assert_eq!(rtx.sequence_number, 1001);
        // An RTX packet without OSN (padding-only probe) is rejected.
        let probe = RtpHeader {
            ssrc: 55,
            ..Default::default()
        }
        .to_packet(&[]);
        assert!(unwrap_rtx(&probe, 1, 96, &mut back).is_err());
    }
}
