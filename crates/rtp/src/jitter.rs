//! Receive-side jitter buffer: reorders RTP packets by sequence number and
//! assembles frames, on virtual time.
//!
//! A frame is a run of consecutive packets with one timestamp. It is complete
//! when it ends with the marker bit, or when the packet after it is present
//! and has another timestamp (audio: every packet is a frame). A gap at the
//! head is waited for until the oldest waiting packet is `max_delay` old or
//! the buffer holds `max_packets`; then the buffer skips to the next frame
//! start and flags the frame after the skip with `after_loss`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::codec::Depacketizer;
use crate::packet::RtpPacket;
use crate::seq::SeqUnwrapper;
use crate::Error;

/// Limits of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy)]
pub struct JitterConfig {
    /// Longest a packet waits for a missing one before the buffer gives up on it.
    pub max_delay: Duration,
    /// Most packets held; beyond this the buffer skips ahead.
    pub max_packets: usize,
    /// Every packet is a whole frame (audio).
    pub packet_per_frame: bool,
    /// Drop frames until a keyframe at the start and after every loss (for
    /// decoders and recorders that cannot use a frame whose reference is gone).
    pub wait_for_keyframe: bool,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            max_delay: Duration::from_millis(200),
            max_packets: 1000,
            packet_per_frame: false,
            wait_for_keyframe: false,
        }
    }
}

/// One assembled frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// RTP timestamp.
    pub timestamp: u32,
    /// Depacketized frame bytes.
    pub data: Vec<u8>,
    /// The first packet says this is a keyframe.
    pub keyframe: bool,
    /// Unwrapped sequence numbers of the first and last packet.
    pub sequence_range: (u64, u64),
    /// Packets were lost or dropped just before this frame.
    pub after_loss: bool,
    /// When the last packet of the frame arrived.
    pub received_at: Instant,
}

/// Counters of a [`JitterBuffer`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets accepted into the buffer.
    pub packets: u64,
    /// Packets that arrived after their turn had passed.
    pub late: u64,
    /// Packets received twice.
    pub duplicates: u64,
    /// Packets given up on (lost) or thrown away with an incomplete frame.
    pub dropped: u64,
    /// Frames produced.
    pub frames: u64,
    /// Frames whose depacketization failed.
    pub corrupt_frames: u64,
    /// Frames dropped while waiting for a keyframe.
    pub frames_waiting_for_keyframe: u64,
}

#[derive(Debug)]
struct Entry {
    arrival: Instant,
    timestamp: u32,
    marker: bool,
    /// RTP payload.
    payload: Vec<u8>,
}

/// Reorders packets and assembles frames with one depacketizer.
pub struct JitterBuffer {
    config: JitterConfig,
    depacketizer: Box<dyn Depacketizer>,
    unwrapper: SeqUnwrapper,
    packets: BTreeMap<u64, Entry>,
    next: Option<u64>,
    loss_pending: bool,
    need_keyframe: bool,
    stats: JitterStats,
}

impl std::fmt::Debug for JitterBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitterBuffer")
            .field("packets", &self.packets.len())
            .field("next", &self.next)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl JitterBuffer {
    /// A buffer that assembles frames with `depacketizer`.
    pub fn new(depacketizer: Box<dyn Depacketizer>, config: JitterConfig) -> Self {
        JitterBuffer {
            config,
            depacketizer,
            unwrapper: SeqUnwrapper::new(),
            packets: BTreeMap::new(),
            next: None,
            loss_pending: false,
            need_keyframe: config.wait_for_keyframe,
            stats: JitterStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Packets currently held.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// True when no packet is held.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Adds an RTP packet (already unprotected) received at `now`.
    pub fn push(&mut self, now: Instant, packet: &[u8]) -> Result<(), Error> {
        let p = RtpPacket::parse(packet)?;
        self.push_parsed(now, &p);
        Ok(())
    }

    /// Adds a parsed RTP packet received at `now`.
    pub fn push_parsed(&mut self, now: Instant, p: &RtpPacket<'_>) {
        let s = self.unwrapper.unwrap(p.sequence_number());
        if self.next.is_some_and(|n| s < n) {
            self.stats.late += 1;
            return;
        }
        if self.packets.contains_key(&s) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.packets += 1;
        self.packets.insert(
            s,
            Entry {
                arrival: now,
                timestamp: p.timestamp(),
                marker: p.marker(),
                payload: p.payload().to_vec(),
            },
        );
    }

    /// When [`Self::pop_frame`] may next give up on a missing packet.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.packets
            .values()
            .map(|e| e.arrival)
            .min()
            .map(|t| t + self.config.max_delay)
    }

    /// Finds the end of a complete frame starting at `start`.
    fn complete_end(&self, start: u64) -> Option<u64> {
        let first = self.packets.get(&start)?;
        let mut s = start;
        loop {
            let e = self.packets.get(&s)?;
            if e.timestamp != first.timestamp {
                return Some(s - 1);
            }
            if e.marker || self.config.packet_per_frame {
                return Some(s);
            }
            s += 1;
        }
    }

    /// Drops packets from the head up to the next packet that starts a frame
    /// (with another timestamp than the dropped ones).
    fn skip(&mut self) {
        let Some((&first, _)) = self.packets.first_key_value() else {
            return;
        };
        let head = self.next.unwrap_or(first);
        let head_ts = self.packets.get(&head).map(|e| e.timestamp);
        let mut target = None;
        for (&s, e) in self.packets.range(head + 1..) {
            if Some(e.timestamp) != head_ts && self.depacketizer.is_frame_start(&e.payload) {
                target = Some(s);
                break;
            }
        }
        // Without a later frame start, drop everything held.
        let end = target.unwrap_or(u64::MAX);
        let dropped: Vec<u64> = self.packets.range(..end).map(|(s, _)| *s).collect();
        self.stats.dropped += dropped.len() as u64;
        for s in dropped {
            self.packets.remove(&s);
        }
        self.next = target;
        self.loss_pending = true;
        self.depacketizer.reset();
    }

    /// Returns the next complete frame, if any; gives up on missing packets
    /// that waited past the configured bounds.
    pub fn pop_frame(&mut self, now: Instant) -> Option<Frame> {
        loop {
            let (&first, _) = self.packets.first_key_value()?;
            let head = match self.next {
                Some(n) => n,
                None => {
                    // Padding-only packets (bandwidth probes) belong to no frame.
                    if self
                        .packets
                        .get(&first)
                        .is_some_and(|e| e.payload.is_empty())
                    {
                        self.packets.remove(&first);
                        continue;
                    }
                    // Start at the first packet that begins a frame.
                    let starts = self
                        .packets
                        .get(&first)
                        .is_some_and(|e| self.depacketizer.is_frame_start(&e.payload));
                    if !starts {
                        let oldest = self.packets.values().map(|e| e.arrival).min()?;
                        if now < oldest + self.config.max_delay
                            && self.packets.len() <= self.config.max_packets
                        {
                            return None;
                        }
                        self.next = Some(first);
                        self.skip();
                        continue;
                    }
                    self.next = Some(first);
                    first
                }
            };
            if first > head {
                // a gap at the head: a packet is missing
                let oldest = self.packets.values().map(|e| e.arrival).min()?;
                let give_up = now >= oldest + self.config.max_delay
                    || self.packets.len() > self.config.max_packets;
                if !give_up {
                    return None;
                }
                let start_ok = self
                    .packets
                    .get(&first)
                    .is_some_and(|e| self.depacketizer.is_frame_start(&e.payload));
                self.loss_pending = true;
                self.stats.dropped += first - head;
                if start_ok {
                    self.next = Some(first);
                    self.depacketizer.reset();
                } else {
                    self.next = Some(first);
                    self.skip();
                }
                continue;
            }
            if self
                .packets
                .get(&head)
                .is_some_and(|e| e.payload.is_empty())
            {
                // A padding-only packet between frames: it is not a loss.
                self.packets.remove(&head);
                self.next = Some(head + 1);
                continue;
            }
            let Some(end) = self.complete_end(head) else {
                let oldest = self.packets.values().map(|e| e.arrival).min()?;
                if now >= oldest + self.config.max_delay
                    || self.packets.len() > self.config.max_packets
                {
                    self.skip();
                    continue;
                }
                return None;
            };
            let mut data = Vec::new();
            let mut ok = true;
            let mut keyframe = false;
            let mut received_at = now;
            let mut timestamp = 0;
            for s in head..=end {
                // complete_end only returns ends whose packets are all present
                let Some(e) = self.packets.remove(&s) else {
                    break;
                };
                if s == head {
                    keyframe = self.depacketizer.is_keyframe(&e.payload);
                    timestamp = e.timestamp;
                }
                received_at = e.arrival;
                if ok
                    && self
                        .depacketizer
                        .depacketize(&e.payload, &mut data)
                        .is_err()
                {
                    ok = false;
                }
            }
            self.next = Some(end + 1);
            if !ok {
                self.stats.corrupt_frames += 1;
                self.loss_pending = true;
                self.depacketizer.reset();
                continue;
            }
            if self.config.wait_for_keyframe {
                if self.loss_pending {
                    self.need_keyframe = true;
                }
                if self.need_keyframe && !keyframe {
                    self.stats.frames_waiting_for_keyframe += 1;
                    continue;
                }
                self.need_keyframe = false;
            }
            self.stats.frames += 1;
            let after_loss = std::mem::take(&mut self.loss_pending);
            return Some(Frame {
                timestamp,
                data,
                keyframe,
                sequence_range: (head, end),
                after_loss,
                received_at,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Codec, Packetizer};
    use crate::test_util::Rng;

    fn packets_for(frames: &[Vec<u8>], mtu: usize) -> Vec<Vec<u8>> {
        let mut p = Packetizer::new(Codec::Vp8, 1, 96, 65500, mtu);
        let mut out = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            for (h, pl) in p.packetize(f, i as u32 * 3000).unwrap() {
                out.push(h.to_packet(&pl));
            }
        }
        out
    }

    #[test]
    fn padding_only_packets_are_not_losses() {
        // Chromium probes bandwidth with padding-only packets on the media
        // SSRC (when RTX is not negotiated), between frames.
        let mut p = Packetizer::new(Codec::H264, 1, 102, 100, 1000);
        let mut jb = JitterBuffer::new(
            Codec::H264.depacketizer(),
            JitterConfig {
                wait_for_keyframe: true,
                ..JitterConfig::default()
            },
        );
        let now = Instant::now();
        let idr = vec![0, 0, 0, 1, 0x65, 1, 2, 3];
        let p_frame = vec![0, 0, 0, 1, 0x41, 4, 5, 6];
        let mut seq = 0;
        let mut feed = |jb: &mut JitterBuffer, frame: &[u8], ts: u32, p: &mut Packetizer| {
            for (h, pl) in p.packetize(frame, ts).unwrap() {
                seq = h.sequence_number;
                jb.push(now, &h.to_packet(&pl)).unwrap();
            }
            seq
        };
        let last = feed(&mut jb, &idr, 0, &mut p);
        // the packetizer's next number goes to the padding packet
        let pad = crate::RtpHeader {
            payload_type: 102,
            sequence_number: last.wrapping_add(1),
            timestamp: 0,
            ssrc: 1,
            ..Default::default()
        };
        jb.push(now, &pad.to_packet(&[])).unwrap();
        let mut p2 = Packetizer::new(Codec::H264, 1, 102, last.wrapping_add(2), 1000);
        feed(&mut jb, &p_frame, 3000, &mut p2);
        let a = jb.pop_frame(now).unwrap();
        let b = jb.pop_frame(now).unwrap();
        assert!(a.keyframe && !b.keyframe && !b.after_loss);
        assert_eq!(b.data, p_frame);
        assert_eq!(jb.stats().dropped, 0);
    }

    #[test]
    fn reorders_and_assembles_frames() {
        let mut rng = Rng(8);
        let frames: Vec<Vec<u8>> = (0..40)
            .map(|_| {
                let n = 1 + rng.below(3000);
                rng.bytes(n)
            })
            .collect();
        let mut pkts = packets_for(&frames, 500);
        // reorder within windows of 5 (the stream starts in order)
        for chunk in pkts[5..].chunks_mut(5) {
            chunk.reverse();
        }
        let mut jb = JitterBuffer::new(Codec::Vp8.depacketizer(), JitterConfig::default());
        let now = Instant::now();
        let mut got = Vec::new();
        for p in &pkts {
            jb.push(now, p).unwrap();
            while let Some(f) = jb.pop_frame(now) {
                got.push(f);
            }
        }
        assert_eq!(got.len(), frames.len());
        for (g, f) in got.iter().zip(&frames) {
            assert_eq!(&g.data, f);
            assert!(!g.after_loss);
        }
        assert_eq!(jb.stats().dropped, 0);
    }

    #[test]
    fn loss_waits_then_skips_to_next_frame() {
        let frames: Vec<Vec<u8>> = (0..4).map(|i| vec![i as u8; 1200]).collect();
        let pkts = packets_for(&frames, 500); // 3 packets per frame
        let mut jb = JitterBuffer::new(Codec::Vp8.depacketizer(), JitterConfig::default());
        let t0 = Instant::now();
        for (i, p) in pkts.iter().enumerate() {
            if i == 4 {
                continue; // lose the middle packet of frame 1
            }
            jb.push(t0, p).unwrap();
        }
        assert_eq!(jb.pop_frame(t0).map(|f| f.data), Some(frames[0].clone()));
        assert_eq!(jb.pop_frame(t0), None, "waits for the missing packet");
        let deadline = jb.poll_timeout().unwrap();
        let f = jb.pop_frame(deadline).unwrap();
        assert_eq!(f.data, frames[2]);
        assert!(f.after_loss);
        assert_eq!(jb.pop_frame(deadline).unwrap().data, frames[3]);
        assert_eq!(jb.stats().dropped, 2);
        // the lost packet arriving now is late
        jb.push(deadline, &pkts[4]).unwrap();
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn audio_packets_are_frames_and_duplicates_are_counted() {
        let mut p = Packetizer::new(Codec::Opus, 1, 111, 0, 1200);
        let mut jb = JitterBuffer::new(
            Codec::Opus.depacketizer(),
            JitterConfig {
                packet_per_frame: true,
                ..Default::default()
            },
        );
        let now = Instant::now();
        let pkts: Vec<Vec<u8>> = (0..5u8)
            .map(|i| {
                let (h, pl) = p.packetize(&[i; 10], i as u32 * 960).unwrap().remove(0);
                h.to_packet(&pl)
            })
            .collect();
        for p in [&pkts[1], &pkts[0], &pkts[0], &pkts[2]] {
            jb.push(now, p).unwrap();
        }
        let got: Vec<u8> = std::iter::from_fn(|| jb.pop_frame(now))
            .map(|f| f.data[0])
            .collect();
        assert_eq!(got, vec![0, 1, 2]);
        assert_eq!(jb.stats().duplicates, 1);
        assert!(jb.push(now, &[1, 2, 3]).is_err());
    }

    #[test]
    fn waits_for_keyframe_at_start_and_after_loss() {
        // VP8 frames: P bit 0 (first byte even) marks a keyframe.
        let frames: Vec<Vec<u8>> = [1u8, 0, 1, 1, 1, 0, 1]
            .iter()
            .map(|&p| vec![p; 700])
            .collect();
        let pkts = packets_for(&frames, 500); // 2 packets per frame
        let cfg = JitterConfig {
            wait_for_keyframe: true,
            ..Default::default()
        };
        let mut jb = JitterBuffer::new(Codec::Vp8.depacketizer(), cfg);
        let t0 = Instant::now();
        for (i, p) in pkts.iter().enumerate() {
            if i == 5 {
                continue; // lose the second packet of frame 2
            }
            jb.push(t0, p).unwrap();
        }
        let t1 = t0 + Duration::from_secs(1);
        let got: Vec<(bool, bool)> = std::iter::from_fn(|| jb.pop_frame(t1))
            .map(|f| (f.keyframe, f.after_loss))
            .collect();
        // frame 0 (delta) dropped, 1 (key), 2 lost, 3 and 4 dropped, 5 (key) after loss, 6
        assert_eq!(got, vec![(true, false), (true, true), (false, false)]);
        assert_eq!(jb.stats().frames_waiting_for_keyframe, 3);
    }

    #[test]
    fn bounded_by_packet_count() {
        let frames: Vec<Vec<u8>> = (0..30).map(|i| vec![i as u8; 100]).collect();
        let pkts = packets_for(&frames, 500);
        let mut jb = JitterBuffer::new(
            Codec::Vp8.depacketizer(),
            JitterConfig {
                max_packets: 10,
                ..Default::default()
            },
        );
        let now = Instant::now();
        let mut got = 0;
        for p in &pkts[1..] {
            jb.push(now, p).unwrap();
            while jb.pop_frame(now).is_some() {
                got += 1;
            }
            assert!(jb.len() <= 11);
        }
        assert_eq!(got, 29);
    }
}
