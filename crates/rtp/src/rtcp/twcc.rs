//! Transport-wide congestion control feedback
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1, RTPFB FMT 15).
//!
//! ```text
//! | sender SSRC | media SSRC | base seq | status count | ref time (24) | fb count |
//! | packet chunks (16 bits each) … | receive deltas (1 or 2 bytes each) … |
//! ```
//! A chunk is either a run-length chunk (`0 S S L…`: one status repeated up to
//! 8191 times) or a status vector (`1 0` + 14 one-bit statuses, or `1 1` + 7
//! two-bit statuses). Statuses: 0 not received, 1 small delta (u8, 250 µs
//! ticks), 2 large or negative delta (i16, 250 µs ticks).

use std::collections::BTreeMap;

use super::{pad4, Reader, Writer};
use crate::seq::SeqUnwrapper;
use crate::Error;

/// Transport-wide CC feedback.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportCc {
    /// Sender of this feedback.
    pub sender_ssrc: u32,
    /// Media source (Chromium puts the first media SSRC here).
    pub media_ssrc: u32,
    /// Transport-wide sequence number of the first packet described.
    pub base_sequence: u16,
    /// Reference time, 24 bits, in multiples of 64 ms.
    pub reference_time: u32,
    /// Feedback packet counter (wraps).
    pub fb_pkt_count: u8,
    /// One entry per packet from `base_sequence` on: the receive delta from the
    /// previous received packet (the first from the reference time) in 250 µs
    /// ticks, or `None` if the packet was not received.
    pub deltas: Vec<Option<i32>>,
}

const NOT_RECEIVED: u8 = 0;
const SMALL: u8 = 1;
const LARGE: u8 = 2;

fn symbol(d: Option<i32>) -> Result<u8, Error> {
    match d {
        None => Ok(NOT_RECEIVED),
        Some(0..=255) => Ok(SMALL),
        Some(v) if i16::try_from(v).is_ok() => Ok(LARGE),
        Some(_) => Err(Error::TooLarge),
    }
}

impl TransportCc {
    /// Arrival times decoded to microseconds on the feedback sender's clock
    /// (reference time × 64 ms plus the running sum of deltas).
    pub fn arrivals(&self) -> Vec<(u16, Option<i64>)> {
        let mut t = self.reference_time as i64 * 64_000;
        self.deltas
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let seq = self.base_sequence.wrapping_add(i as u16);
                (
                    seq,
                    d.map(|d| {
                        t += d as i64 * 250;
                        t
                    }),
                )
            })
            .collect()
    }

    fn chunks(&self) -> Result<Vec<u16>, Error> {
        let syms = self
            .deltas
            .iter()
            .map(|d| symbol(*d))
            .collect::<Result<Vec<u8>, _>>()?;
        let mut out = Vec::new();
        let mut i = 0;
        while i < syms.len() {
            let run = syms[i..].iter().take_while(|&&s| s == syms[i]).count();
            if run >= 14 || i + run == syms.len() && run >= 7 {
                let n = run.min(0x1fff);
                out.push(((syms[i] as u16) << 13) | n as u16);
                i += n;
                continue;
            }
            let window = &syms[i..syms.len().min(i + 14)];
            if !window.contains(&LARGE) {
                let mut c = 0x8000u16;
                for (k, s) in window.iter().enumerate() {
                    c |= (*s as u16) << (13 - k);
                }
                out.push(c);
                i += window.len();
            } else {
                let window = &syms[i..syms.len().min(i + 7)];
                let mut c = 0xc000u16;
                for (k, s) in window.iter().enumerate() {
                    c |= (*s as u16) << (12 - 2 * k);
                }
                out.push(c);
                i += window.len();
            }
        }
        Ok(out)
    }

    fn delta_bytes(&self) -> usize {
        self.deltas
            .iter()
            .map(|d| match symbol(*d) {
                Ok(SMALL) => 1,
                Ok(LARGE) => 2,
                _ => 0,
            })
            .sum()
    }

    pub(super) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let base_sequence = r.u16()?;
        let count = r.u16()? as usize;
        let reference_time = r.u24()?;
        let fb_pkt_count = r.u8()?;
        // Each chunk needs 2 bytes and covers at most 8191 statuses, so a count the
        // body cannot describe is rejected before allocating.
        if count > (r.remaining() / 2).saturating_mul(0x1fff) {
            return Err(Error::Truncated);
        }
        let mut syms: Vec<u8> = Vec::with_capacity(count);
        while syms.len() < count {
            let c = r.u16()?;
            let left = count - syms.len();
            if c & 0x8000 == 0 {
                let s = ((c >> 13) & 3) as u8;
                let n = (c & 0x1fff) as usize;
                syms.extend(std::iter::repeat_n(s, n.min(left)));
            } else if c & 0x4000 == 0 {
                for k in 0..14.min(left) {
                    syms.push(((c >> (13 - k)) & 1) as u8);
                }
            } else {
                for k in 0..7.min(left) {
                    syms.push(((c >> (12 - 2 * k)) & 3) as u8);
                }
            }
        }
        let mut deltas = Vec::with_capacity(count);
        for s in syms {
            deltas.push(match s {
                NOT_RECEIVED => None,
                SMALL => Some(r.u8()? as i32),
                LARGE => Some(r.u16()? as i16 as i32),
                _ => return Err(Error::Malformed("TWCC reserved status")),
            });
        }
        Ok(TransportCc {
            sender_ssrc,
            media_ssrc,
            base_sequence,
            reference_time,
            fb_pkt_count,
            deltas,
        })
    }

    pub(super) fn body_len(&self) -> usize {
        let chunks = self.chunks().map_or(0, |c| c.len());
        pad4(16 + 2 * chunks + self.delta_bytes())
    }

    pub(super) fn write_body(&self, w: &mut Writer) -> Result<(), Error> {
        if self.deltas.len() > u16::MAX as usize {
            return Err(Error::TooLarge);
        }
        let chunks = self.chunks()?;
        w.u32(self.sender_ssrc);
        w.u32(self.media_ssrc);
        w.u16(self.base_sequence);
        w.u16(self.deltas.len() as u16);
        w.u24(self.reference_time & 0x00ff_ffff);
        w.u8(self.fb_pkt_count);
        chunks.iter().for_each(|c| w.u16(*c));
        for d in self.deltas.iter().flatten() {
            if (0..=255).contains(d) {
                w.u8(*d as u8);
            } else {
                w.u16(*d as i16 as u16);
            }
        }
        Ok(())
    }
}

/// Most arrivals a [`TwccBuilder`] holds between builds.
const MAX_PENDING: usize = 16_384;

/// Collects arrivals of packets carrying the transport-wide sequence number and
/// builds [`TransportCc`] feedback from them.
#[derive(Debug, Default)]
pub struct TwccBuilder {
    unwrapper: SeqUnwrapper,
    /// Unwrapped sequence → arrival time in µs.
    pending: BTreeMap<u64, i64>,
    /// Next sequence number to report (everything before was reported).
    next: Option<u64>,
    fb_count: u8,
}

impl TwccBuilder {
    /// A new builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a packet with transport-wide sequence `seq` arriving at `arrival_us`
    /// (microseconds on any monotonic clock).
    pub fn record(&mut self, seq: u16, arrival_us: i64) {
        let s = self.unwrapper.unwrap(seq);
        if self.next.is_some_and(|n| s < n) {
            return; // already reported as lost or received
        }
        self.pending.entry(s).or_insert(arrival_us);
        // Bounded even if `build` is never called: forget the oldest.
        while self.pending.len() > MAX_PENDING {
            self.pending.pop_first();
        }
    }

    /// True when there is something to report.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Builds feedback for everything recorded so far (one or more packets, each
    /// describing at most `max_per_packet` sequence numbers) and forgets it.
    pub fn build(
        &mut self,
        sender_ssrc: u32,
        media_ssrc: u32,
        max_per_packet: usize,
    ) -> Vec<TransportCc> {
        let mut out = Vec::new();
        let max = max_per_packet.clamp(1, 0xffff);
        while let Some((&first, _)) = self.pending.first_key_value() {
            // Report losses since the last feedback unless the gap is too large to be useful.
            let base = match self.next {
                Some(n) if n <= first && first - n <= max as u64 / 2 => n,
                _ => first,
            };
            let first_time = self.pending[&first];
            let reference = first_time.div_euclid(64_000);
            let mut t = reference * 64_000;
            let mut fb = TransportCc {
                sender_ssrc,
                media_ssrc,
                base_sequence: base as u16,
                reference_time: (reference as u32) & 0x00ff_ffff,
                fb_pkt_count: self.fb_count,
                deltas: Vec::new(),
            };
            let mut s = base;
            while fb.deltas.len() < max {
                let Some((&last, _)) = self.pending.last_key_value() else {
                    break;
                };
                if s > last {
                    break;
                }
                match self.pending.get(&s) {
                    None => fb.deltas.push(None),
                    Some(&at) => {
                        let ticks =
                            (at - t).div_euclid(250) + i64::from((at - t).rem_euclid(250) >= 125);
                        if i16::try_from(ticks).is_err() {
                            break; // start a new feedback packet with a fresh reference
                        }
                        t += ticks * 250;
                        fb.deltas.push(Some(ticks as i32));
                        self.pending.remove(&s);
                    }
                }
                s += 1;
            }
            // Trailing losses carry no information; trim them.
            while fb.deltas.last() == Some(&None) {
                fb.deltas.pop();
                s -= 1;
            }
            self.next = Some(s);
            if fb.deltas.is_empty() {
                // Only possible if the first pending delta did not fit; drop it.
                self.pending.remove(&first);
                continue;
            }
            self.fb_count = self.fb_count.wrapping_add(1);
            out.push(fb);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use crate::test_util::Rng;

    fn rt(fb: TransportCc) {
        let pkt = RtcpPacket::TransportCc(fb);
        let b = to_bytes(std::slice::from_ref(&pkt)).unwrap();
        assert_eq!(parse_compound(&b).unwrap(), vec![pkt]);
    }

    #[test]
    fn run_length_and_vectors_round_trip() {
        let mut deltas = vec![Some(1); 20]; // run-length of small
        deltas.extend([None, Some(3), Some(-4), None, Some(300), Some(2)]); // two-bit vector
        deltas.extend([
            Some(1),
            None,
            Some(2),
            None,
            Some(3),
            None,
            Some(4),
            None,
            Some(9),
        ]); // one-bit
        deltas.extend(vec![None; 30]);
        deltas.push(Some(7));
        rt(TransportCc {
            sender_ssrc: 1,
            media_ssrc: 2,
            base_sequence: 65530,
            reference_time: 0xabcdef,
            fb_pkt_count: 9,
            deltas,
        });
    }

    #[test]
    fn random_round_trips() {
        let mut rng = Rng(5);
        for _ in 0..300 {
            let n = 1 + rng.below(300);
            let deltas = (0..n)
                .map(|_| match rng.below(4) {
                    0 => None,
                    1 => Some(rng.below(256) as i32),
                    2 => Some(rng.below(60000) as i32 - 30000),
                    _ => Some(1),
                })
                .collect();
            rt(TransportCc {
                base_sequence: rng.below(65536) as u16,
                deltas,
                ..Default::default()
            });
        }
    }

    #[test]
    fn known_bytes_from_the_draft_example() {
        // One two-bit vector chunk: [small, small, not received], deltas 1 and 2.
        let fb = TransportCc {
            sender_ssrc: 0,
            media_ssrc: 0,
            base_sequence: 1,
            reference_time: 2,
            fb_pkt_count: 3,
            deltas: vec![Some(1), Some(2), None],
        };
        let b = to_bytes(&[RtcpPacket::TransportCc(fb)]).unwrap();
        // 1 1 | 01 01 00 + pad → chunk 0xd400 ; 1-bit vector would be 1 0 |110... = 0xb000
        assert_eq!(&b[20..22], &[0xb0, 0x00]);
        assert_eq!(&b[22..24], &[1, 2]);
    }

    #[test]
    fn builder_reports_losses_and_times() {
        let mut b = TwccBuilder::new();
        let base = 1_000_000i64;
        for (seq, t) in [(65534u16, 0i64), (65535, 1000), (1, 2500), (2, 100_000)] {
            b.record(seq, base + t);
        }
        let fbs = b.build(1, 2, 1000);
        assert_eq!(fbs.len(), 1);
        let arr = fbs[0].arrivals();
        assert_eq!(arr.len(), 5);
        assert_eq!(arr[0].0, 65534);
        assert_eq!(arr[2], (0, None));
        let t0 = arr[0].1.unwrap();
        assert!((t0 - base).abs() <= 125);
        assert!((arr[3].1.unwrap() - t0 - 2500).abs() <= 250);
        assert!((arr[4].1.unwrap() - t0 - 100_000).abs() <= 250);
        assert!(!b.has_pending());
        // Later packets continue from the next sequence number; a late packet is ignored.
        b.record(0, base + 200_000);
        b.record(4, base + 200_000);
        let fbs = b.build(1, 2, 1000);
        assert_eq!(fbs[0].base_sequence, 3);
        assert_eq!(fbs[0].deltas.len(), 2);
        assert_eq!(fbs[0].fb_pkt_count, 1);
    }

    #[test]
    fn builder_is_bounded() {
        let mut b = TwccBuilder::new();
        for i in 0..40_000u32 {
            b.record(i as u16, i as i64 * 100);
        }
        assert_eq!(b.pending.len(), MAX_PENDING);
        let fbs = b.build(1, 2, 5000);
        let described: usize = fbs.iter().map(|f| f.deltas.len()).sum();
        assert_eq!(described, MAX_PENDING);
    }

    #[test]
    fn builder_splits_on_large_gaps() {
        let mut b = TwccBuilder::new();
        b.record(10, 0);
        b.record(11, 20_000_000); // 20 s later: does not fit an i16 of 250 µs ticks
        let fbs = b.build(1, 2, 1000);
        assert_eq!(fbs.len(), 2);
        assert_eq!(fbs[1].base_sequence, 11);
    }
}
