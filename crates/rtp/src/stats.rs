//! Receiver and sender statistics: RFC 3550 A.3 (loss) and A.8 (jitter) for
//! report blocks, plus the counters of the webrtc-stats `inbound-rtp` and
//! `outbound-rtp` dictionaries.

use std::time::{Duration, Instant};

use crate::packet::RtpPacket;
use crate::rtcp::{ReportBlock, SenderReport};
use crate::seq::SeqUnwrapper;

/// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp from a time since the Unix epoch.
pub fn ntp_from_unix(since_epoch: Duration) -> u64 {
    let secs = since_epoch.as_secs() + NTP_UNIX_OFFSET;
    let frac = ((since_epoch.subsec_nanos() as u64) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The middle 32 bits of an NTP timestamp (the LSR/DLSR "compact" form).
pub fn compact_ntp(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// Round-trip time from a report block we received: `now − LSR − DLSR`, with
/// `now_compact` the compact NTP time of its arrival. `None` without an SR echo.
pub fn rtt_from_report(block: &ReportBlock, now_compact: u32) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let rtt = now_compact
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    if rtt > 0x8000_0000 {
        return Some(Duration::ZERO); // clocks or rounding ran backwards
    }
    Some(Duration::from_micros((rtt as u64 * 1_000_000) >> 16))
}

/// The `inbound-rtp` counters of one received stream.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct InboundRtpStats {
    /// packetsReceived.
    pub packets_received: u64,
    /// packetsLost (expected − received; negative with duplicates).
    pub packets_lost: i64,
    /// jitter, in seconds.
    pub jitter: f64,
    /// bytesReceived (payload bytes).
    pub bytes_received: u64,
    /// headerBytesReceived (header and padding bytes).
    pub header_bytes_received: u64,
    /// nackCount: NACK packets sent.
    pub nack_count: u64,
    /// firCount: FIR packets sent.
    pub fir_count: u64,
    /// pliCount: PLI packets sent.
    pub pli_count: u64,
    /// framesReceived.
    pub frames_received: u64,
    /// keyFramesDecoded-like count of keyframes assembled.
    pub key_frames_received: u64,
    /// packetsDuplicated.
    pub packets_duplicated: u64,
    /// retransmittedPacketsReceived: packets on the RTX stream that carried
    /// a retransmission (also counted in `packets_received`).
    pub retransmitted_packets_received: u64,
    /// retransmittedBytesReceived: their payload bytes (also in `bytes_received`).
    pub retransmitted_bytes_received: u64,
    /// When the last packet arrived.
    pub last_packet_received: Option<Instant>,
}

/// Tracks one received SSRC for report blocks and `inbound-rtp` stats.
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    ssrc: u32,
    clock_rate: u32,
    unwrapper: SeqUnwrapper,
    base_seq: Option<u64>,
    max_seq: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Packets of the media SSRC itself (RTX excluded): what RTCP report
    /// blocks count (RFC 3550 §6.4.1 is per SSRC; a repaired loss is still
    /// a loss on the wire, and the sender's estimator needs to see it).
    media_received: u64,
    epoch: Option<Instant>,
    last_transit: Option<u32>,
    /// Jitter in timestamp units, scaled by 16 as in RFC 3550 A.8.
    jitter_q4: u64,
    last_sr: Option<(u32, Instant)>,
    stats: InboundRtpStats,
}

impl ReceiveStats {
    /// Tracks `ssrc` with RTP clock `clock_rate`.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        ReceiveStats {
            ssrc,
            clock_rate: clock_rate.max(1),
            unwrapper: SeqUnwrapper::new(),
            base_seq: None,
            max_seq: 0,
            expected_prior: 0,
            received_prior: 0,
            media_received: 0,
            epoch: None,
            last_transit: None,
            jitter_q4: 0,
            last_sr: None,
            stats: InboundRtpStats::default(),
        }
    }

    /// Records a packet of the RTX stream: it counts as received (the W3C
    /// `packetsReceived` includes retransmissions, as senders count them in
    /// `packetsSent`), padding-only probes included, without touching the
    /// sequence and jitter state of the media stream.
    pub fn on_rtx_packet(&mut self, now: Instant, p: &RtpPacket<'_>) {
        let st = &mut self.stats;
        // The two-byte original sequence number is RTX framing, not payload.
        let payload = p.payload().len().saturating_sub(2) as u64;
        st.packets_received += 1;
        st.bytes_received += payload;
        st.header_bytes_received += (p.header_len() + p.padding_len()) as u64;
        st.last_packet_received = Some(now);
        if payload > 0 {
            st.retransmitted_packets_received += 1;
            st.retransmitted_bytes_received += payload;
        }
    }

    /// Records a received packet of the media stream (RTX packets go to
    /// [`ReceiveStats::on_rtx_packet`]).
    pub fn on_packet(&mut self, now: Instant, p: &RtpPacket<'_>) {
        let s = self.unwrapper.unwrap(p.sequence_number());
        if self.base_seq.is_none() {
            self.base_seq = Some(s);
            self.max_seq = s;
        } else if s > self.max_seq {
            self.max_seq = s;
        }
        self.media_received += 1;
        let st = &mut self.stats;
        st.packets_received += 1;
        st.bytes_received += p.payload().len() as u64;
        st.header_bytes_received += (p.header_len() + p.padding_len()) as u64;
        st.last_packet_received = Some(now);
        // A.8: transit = arrival (in timestamp units) − RTP timestamp.
        let epoch = *self.epoch.get_or_insert(now);
        let arrival = (now.saturating_duration_since(epoch).as_micros() as i64
            * self.clock_rate as i64)
            / 1_000_000;
        // Modulo 2^32 so that timestamp wrap-around does not look like a jump.
        let transit = (arrival as u32).wrapping_sub(p.timestamp());
        if let Some(last) = self.last_transit {
            let d = transit.wrapping_sub(last) as i32 as i64;
            let d = d.unsigned_abs();
            // J += (|D| − J) / 16, kept ×16
            self.jitter_q4 = self.jitter_q4 + d - ((self.jitter_q4 + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }

    /// Records a duplicate packet (counted in packetsDuplicated, not received).
    pub fn on_duplicate(&mut self) {
        self.stats.packets_duplicated += 1;
    }

    /// Records an assembled frame.
    pub fn on_frame(&mut self, keyframe: bool) {
        self.stats.frames_received += 1;
        if keyframe {
            self.stats.key_frames_received += 1;
        }
    }

    /// Records feedback we sent about this stream.
    pub fn on_nack_sent(&mut self) {
        self.stats.nack_count += 1;
    }
    /// Records a PLI we sent.
    pub fn on_pli_sent(&mut self) {
        self.stats.pli_count += 1;
    }
    /// Records a FIR we sent.
    pub fn on_fir_sent(&mut self) {
        self.stats.fir_count += 1;
    }

    /// Records a sender report of this SSRC received at `now` (for LSR/DLSR).
    pub fn on_sender_report(&mut self, now: Instant, sr: &SenderReport) {
        self.last_sr = Some((sr.compact_ntp(), now));
    }

    fn expected(&self) -> u64 {
        self.base_seq.map_or(0, |b| self.max_seq - b + 1)
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }

    /// A report block for an RR/SR at `now`; advances the "since last report" counters.
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let received = self.media_received;
        let lost = expected as i64 - received as i64;
        let expected_interval = expected - self.expected_prior;
        let received_interval = received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let d = now.saturating_duration_since(at);
                (lsr, ((d.as_micros() as u64) * 65536 / 1_000_000) as u32)
            }
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: lost.clamp(-0x80_0000, 0x7f_ffff) as i32,
            // The unwrapper maps the first packet into cycle 1; RTCP counts cycles from 0.
            highest_seq: self.max_seq.saturating_sub(65536) as u32,
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }

    /// The `inbound-rtp` counters now.
    pub fn inbound(&self) -> InboundRtpStats {
        InboundRtpStats {
            packets_lost: self.expected() as i64 - self.stats.packets_received as i64,
            jitter: self.jitter() as f64 / self.clock_rate as f64,
            ..self.stats
        }
    }
}

/// The `outbound-rtp` counters of one sent stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutboundRtpStats {
    /// packetsSent (including retransmissions).
    pub packets_sent: u64,
    /// bytesSent (payload bytes).
    pub bytes_sent: u64,
    /// headerBytesSent.
    pub header_bytes_sent: u64,
    /// retransmittedPacketsSent.
    pub retransmitted_packets_sent: u64,
    /// retransmittedBytesSent.
    pub retransmitted_bytes_sent: u64,
    /// nackCount: NACK packets received.
    pub nack_count: u64,
    /// firCount: FIR packets received.
    pub fir_count: u64,
    /// pliCount: PLI packets received.
    pub pli_count: u64,
    /// framesSent.
    pub frames_sent: u64,
    /// keyFramesEncoded-like count of keyframes sent.
    pub key_frames_sent: u64,
}

/// Tracks one sent SSRC for sender reports and `outbound-rtp` stats.
#[derive(Debug, Clone, Default)]
pub struct SendStats {
    /// The counters.
    pub stats: OutboundRtpStats,
    /// Payload octets in original (not retransmitted) packets, for SR.
    sr_octets: u64,
    sr_packets: u64,
    last_rtp: Option<(u32, Instant)>,
}

impl SendStats {
    /// A new tracker.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records a packet sent at `now`.
    pub fn on_packet(&mut self, now: Instant, p: &RtpPacket<'_>, retransmission: bool) {
        let s = &mut self.stats;
        s.packets_sent += 1;
        s.bytes_sent += p.payload().len() as u64;
        s.header_bytes_sent += (p.header_len() + p.padding_len()) as u64;
        if retransmission {
            s.retransmitted_packets_sent += 1;
            s.retransmitted_bytes_sent += p.payload().len() as u64;
        } else {
            self.sr_packets += 1;
            self.sr_octets += p.payload().len() as u64;
            self.last_rtp = Some((p.timestamp(), now));
        }
    }
    /// Records a frame sent.
    pub fn on_frame(&mut self, keyframe: bool) {
        self.stats.frames_sent += 1;
        if keyframe {
            self.stats.key_frames_sent += 1;
        }
    }
    /// Records a NACK received.
    pub fn on_nack(&mut self) {
        self.stats.nack_count += 1;
    }
    /// Records a PLI received.
    pub fn on_pli(&mut self) {
        self.stats.pli_count += 1;
    }
    /// Records a FIR received.
    pub fn on_fir(&mut self) {
        self.stats.fir_count += 1;
    }
    /// A sender report for `ssrc` at `now`, with `ntp_now` the wall clock as NTP.
    /// The RTP time is extrapolated from the last packet sent using `clock_rate`.
    pub fn sender_report(
        &self,
        ssrc: u32,
        now: Instant,
        ntp_now: u64,
        clock_rate: u32,
    ) -> SenderReport {
        let rtp_time = match self.last_rtp {
            Some((ts, at)) => {
                let elapsed = now.saturating_duration_since(at).as_micros() as u64;
                ts.wrapping_add((elapsed * clock_rate as u64 / 1_000_000) as u32)
            }
            None => 0,
        };
        SenderReport {
            ssrc,
            ntp_time: ntp_now,
            rtp_time,
            packet_count: self.sr_packets as u32,
            octet_count: self.sr_octets as u32,
            reports: Vec::new(),
            profile_extensions: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::RtpHeader;

    fn pkt(seq: u16, ts: u32) -> Vec<u8> {
        RtpHeader {
            sequence_number: seq,
            timestamp: ts,
            ssrc: 7,
            ..Default::default()
        }
        .to_packet(&[0; 100])
    }

    #[test]
    fn loss_fraction_and_cumulative() {
        let mut r = ReceiveStats::new(7, 90_000);
        let t0 = Instant::now();
        for s in (65530u16..=65535).chain(0..10) {
            if s % 4 == 0 {
                continue; // lose every 4th
            }
            r.on_packet(t0, &RtpPacket::parse(&pkt(s, 0)).unwrap());
        }
        let b = r.report_block(t0);
        // 16 expected (65530..=9), lost 65532, 0, 4, 8
        assert_eq!(b.cumulative_lost, 4);
        assert_eq!(b.fraction_lost, (4 * 256 / 16) as u8);
        assert_eq!(b.highest_seq, 65536 + 9);
        let inbound = r.inbound();
        assert_eq!(inbound.packets_received, 12);
        assert_eq!(inbound.packets_lost, 4);
        assert_eq!(inbound.bytes_received, 1200);
        assert_eq!(inbound.header_bytes_received, 144);
        // next interval without loss
        r.on_packet(t0, &RtpPacket::parse(&pkt(10, 0)).unwrap());
        assert_eq!(r.report_block(t0).fraction_lost, 0);
    }

    #[test]
    fn retransmissions_do_not_hide_loss_from_report_blocks() {
        let mut r = ReceiveStats::new(7, 90_000);
        let t0 = Instant::now();
        for s in [1u16, 2, 4] {
            r.on_packet(t0, &RtpPacket::parse(&pkt(s, 0)).unwrap());
        }
        // packet 3 comes back on RTX (and a padding probe arrives too)
        r.on_rtx_packet(t0, &RtpPacket::parse(&pkt(9, 0)).unwrap());
        r.on_rtx_packet(t0, &RtpPacket::parse(&pkt(10, 0)).unwrap());
        let b = r.report_block(t0);
        assert_eq!(b.cumulative_lost, 1);
        assert_eq!(b.fraction_lost, 64);
        assert_eq!(r.inbound().packets_received, 5);
    }

    #[test]
    fn jitter_follows_rfc3550_a8() {
        let mut r = ReceiveStats::new(7, 90_000);
        let t0 = Instant::now();
        // Packets sent every 20 ms (1800 ticks) arrive alternately 0 and 10 ms late.
        for i in 0..200u32 {
            let late = if i % 2 == 1 { 10 } else { 0 };
            let at = t0 + Duration::from_millis(20 * i as u64 + late);
            // timestamps wrap around u32 halfway through
            r.on_packet(
                at,
                &RtpPacket::parse(&pkt(i as u16, (i * 1800).wrapping_add(u32::MAX - 180_000)))
                    .unwrap(),
            );
        }
        // |D| is 900 ticks each time, so J converges to 900.
        assert!((r.jitter() as i64 - 900).abs() <= 20, "{}", r.jitter());
        assert!((r.inbound().jitter - 0.01).abs() < 0.0005);
    }

    #[test]
    fn lsr_dlsr_and_rtt() {
        let mut r = ReceiveStats::new(7, 90_000);
        let t0 = Instant::now();
        let sr = SenderReport {
            ntp_time: ntp_from_unix(Duration::from_secs(1000)),
            ..Default::default()
        };
        r.on_sender_report(t0, &sr);
        r.on_packet(t0, &RtpPacket::parse(&pkt(1, 0)).unwrap());
        let b = r.report_block(t0 + Duration::from_millis(500));
        assert_eq!(b.last_sr, sr.compact_ntp());
        assert_eq!(b.delay_since_last_sr, 32768);
        // The sender gets it back 600 ms after sending the SR: RTT 100 ms.
        let now = compact_ntp(ntp_from_unix(Duration::from_millis(1_000_600)));
        let rtt = rtt_from_report(&b, now).unwrap();
        assert!((rtt.as_millis() as i64 - 100).abs() <= 1, "{rtt:?}");
        assert_eq!(rtt_from_report(&ReportBlock::default(), now), None);
    }

    #[test]
    fn sender_report_counts_originals_only() {
        let mut s = SendStats::new();
        let t0 = Instant::now();
        s.on_packet(t0, &RtpPacket::parse(&pkt(1, 90_000)).unwrap(), false);
        s.on_packet(t0, &RtpPacket::parse(&pkt(1, 90_000)).unwrap(), true);
        let sr = s.sender_report(7, t0 + Duration::from_secs(1), 5, 90_000);
        assert_eq!(
            (sr.packet_count, sr.octet_count, sr.rtp_time),
            (1, 100, 180_000)
        );
        assert_eq!(s.stats.packets_sent, 2);
        assert_eq!(s.stats.retransmitted_packets_sent, 1);
    }

    #[test]
    fn ntp_conversion() {
        let n = ntp_from_unix(Duration::from_millis(1500));
        assert_eq!(n >> 32, NTP_UNIX_OFFSET + 1);
        assert_eq!(n as u32, 1 << 31);
    }
}
