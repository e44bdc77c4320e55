//! One sent and one received media stream, assembled from the crate's parts:
//! the glue a transceiver needs, on virtual time.
//!
//! - [`OutboundStream`]: frames → RTP packets (kept in a send history), NACKs →
//!   RTX retransmissions, PLI/FIR → a keyframe request flag, sender reports.
//! - [`InboundStream`]: RTP (and RTX) packets → frames through the jitter
//!   buffer, with NACK and PLI generation and receiver reports.
//!
//! Neither encrypts: pass the packets through an [`crate::SrtpContext`].

use std::time::{Duration, Instant};

use crate::codec::{Codec, Packetizer};
use crate::history::{unwrap_rtx, RtxSender, SendHistory};
use crate::jitter::{Frame, JitterBuffer, JitterConfig};
use crate::nack::{NackConfig, NackGenerator};
use crate::packet::{Extensions, RtpPacket};
use crate::rtcp::{Pli, ReportBlock, RtcpPacket, SenderReport};
use crate::stats::{InboundRtpStats, OutboundRtpStats, ReceiveStats, SendStats};
use crate::Error;

/// Settings of an [`OutboundStream`].
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// Codec.
    pub codec: Codec,
    /// Media SSRC.
    pub ssrc: u32,
    /// Payload type.
    pub payload_type: u8,
    /// RTX SSRC and payload type, when RTX was negotiated.
    pub rtx: Option<(u32, u8)>,
    /// First sequence number (pick at random).
    pub first_sequence: u16,
    /// Largest RTP payload.
    pub max_payload: usize,
    /// Packets kept for retransmission.
    pub history: usize,
}

/// A sent media stream.
#[derive(Debug)]
pub struct OutboundStream {
    config: OutboundConfig,
    packetizer: Packetizer,
    history: SendHistory,
    rtx: Option<RtxSender>,
    stats: SendStats,
    keyframe_requested: bool,
    rtt: Duration,
}

impl OutboundStream {
    /// A new stream.
    pub fn new(config: OutboundConfig) -> Self {
        OutboundStream {
            packetizer: Packetizer::new(
                config.codec,
                config.ssrc,
                config.payload_type,
                config.first_sequence,
                config.max_payload,
            ),
            history: SendHistory::new(config.history),
            rtx: config.rtx.map(|(ssrc, payload_type)| RtxSender {
                ssrc,
                payload_type,
                // any start works; keep it away from the media sequence numbers
                sequence_number: config.first_sequence.wrapping_add(0x8000),
            }),
            stats: SendStats::new(),
            keyframe_requested: false,
            rtt: Duration::from_millis(100),
            config,
        }
    }

    /// The media SSRC.
    pub fn ssrc(&self) -> u32 {
        self.config.ssrc
    }

    /// Packetizes a frame with RTP timestamp `timestamp`; `extensions` are put
    /// on every packet. Returns the RTP packets to protect and send.
    pub fn send_frame(
        &mut self,
        now: Instant,
        frame: &[u8],
        timestamp: u32,
        keyframe: bool,
        extensions: &Extensions,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut out = Vec::new();
        for (mut h, payload) in self.packetizer.packetize(frame, timestamp)? {
            h.extensions = extensions.clone();
            let mut pkt = vec![0; h.marshal_size() + payload.len()];
            let n = h.write_packet(&payload, 0, &mut pkt)?;
            pkt.truncate(n);
            self.history.insert(now, &pkt)?;
            self.stats.on_packet(now, &RtpPacket::parse(&pkt)?, false);
            out.push(pkt);
        }
        self.stats.on_frame(keyframe);
        Ok(out)
    }

    /// Sends one packet of another payload format on this stream's SSRC and
    /// sequence numbers (RFC 4733 telephone-events beside the audio): kept
    /// for retransmission and counted like media.
    pub fn send_payload(
        &mut self,
        now: Instant,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
        extensions: &Extensions,
    ) -> Result<Vec<u8>, Error> {
        let h = crate::packet::RtpHeader {
            marker,
            payload_type,
            sequence_number: self.packetizer.sequence_number,
            timestamp,
            ssrc: self.config.ssrc,
            csrcs: Vec::new(),
            extensions: extensions.clone(),
        };
        let mut pkt = vec![0; h.marshal_size() + payload.len()];
        let n = h.write_packet(payload, 0, &mut pkt)?;
        pkt.truncate(n);
        self.packetizer.sequence_number = self.packetizer.sequence_number.wrapping_add(1);
        self.history.insert(now, &pkt)?;
        self.stats.on_packet(now, &RtpPacket::parse(&pkt)?, false);
        Ok(pkt)
    }

    /// Handles RTCP about this stream; returns retransmissions (RTX packets when
    /// RTX is on, else the original packets) to protect and send.
    pub fn handle_rtcp(&mut self, now: Instant, pkt: &RtcpPacket) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        match pkt {
            RtcpPacket::Nack(n) if n.media_ssrc == self.config.ssrc => {
                self.stats.on_nack();
                for seq in n.sequence_numbers() {
                    let Some(orig) = self.history.for_resend(now, seq, self.rtt / 2) else {
                        continue;
                    };
                    let pkt = match &mut self.rtx {
                        Some(rtx) => {
                            let mut v = Vec::new();
                            if rtx.wrap(orig, &mut v).is_err() {
                                continue;
                            }
                            v
                        }
                        None => orig.to_vec(),
                    };
                    if let Ok(p) = RtpPacket::parse(&pkt) {
                        self.stats.on_packet(now, &p, true);
                    }
                    out.push(pkt);
                }
            }
            RtcpPacket::Pli(p) if p.media_ssrc == self.config.ssrc => {
                self.stats.on_pli();
                self.keyframe_requested = true;
            }
            RtcpPacket::Fir(f) if f.entries.iter().any(|e| e.ssrc == self.config.ssrc) => {
                self.stats.on_fir();
                self.keyframe_requested = true;
            }
            _ => {}
        }
        out
    }

    /// True (once) after a PLI or FIR asked for a keyframe.
    pub fn take_keyframe_request(&mut self) -> bool {
        std::mem::take(&mut self.keyframe_requested)
    }

    /// Sets the RTT (paces retransmissions of one packet).
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt;
    }

    /// A sender report at `now`, with `ntp_now` the wall clock in NTP format.
    pub fn sender_report(&self, now: Instant, ntp_now: u64) -> SenderReport {
        self.stats.sender_report(
            self.config.ssrc,
            now,
            ntp_now,
            self.config.codec.clock_rate(),
        )
    }

    /// The `outbound-rtp` counters.
    pub fn stats(&self) -> OutboundRtpStats {
        self.stats.stats
    }
}

/// Settings of an [`InboundStream`].
#[derive(Debug, Clone)]
pub struct InboundConfig {
    /// Codec.
    pub codec: Codec,
    /// Media SSRC.
    pub ssrc: u32,
    /// Payload type of the media.
    pub payload_type: u8,
    /// RTX SSRC, when RTX was negotiated.
    pub rtx_ssrc: Option<u32>,
    /// Send NACKs for lost packets.
    pub nack: bool,
    /// Jitter buffer limits.
    pub jitter: JitterConfig,
}

/// A received media stream.
#[derive(Debug)]
pub struct InboundStream {
    config: InboundConfig,
    jitter: JitterBuffer,
    nack: NackGenerator,
    stats: ReceiveStats,
    pli_pending: bool,
    scratch: Vec<u8>,
}

impl InboundStream {
    /// A new stream.
    pub fn new(mut config: InboundConfig) -> Self {
        config.jitter.packet_per_frame |= !config.codec.is_video();
        InboundStream {
            jitter: JitterBuffer::new(config.codec.depacketizer(), config.jitter),
            nack: NackGenerator::new(NackConfig::default()),
            stats: ReceiveStats::new(config.ssrc, config.codec.clock_rate()),
            pli_pending: false,
            scratch: Vec::new(),
            config,
        }
    }

    /// Sets the RTX SSRC (learned from the first retransmission when the
    /// remote description did not announce it).
    pub fn set_rtx_ssrc(&mut self, ssrc: Option<u32>) {
        self.config.rtx_ssrc = ssrc;
    }

    /// Handles an (unprotected) RTP packet of this stream or its RTX stream.
    pub fn handle_rtp(&mut self, now: Instant, packet: &[u8]) -> Result<(), Error> {
        let p = RtpPacket::parse(packet)?;
        if Some(p.ssrc()) == self.config.rtx_ssrc {
            self.stats.on_rtx_packet(now, &p);
            if p.payload().is_empty() {
                return Ok(()); // padding-only probe
            }
            unwrap_rtx(
                packet,
                self.config.ssrc,
                self.config.payload_type,
                &mut self.scratch,
            )?;
            let orig = RtpPacket::parse(&self.scratch)?;
            self.nack.on_packet(now, orig.sequence_number());
            self.jitter.push_parsed(now, &orig);
            return Ok(());
        }
        if p.ssrc() != self.config.ssrc {
            return Err(Error::Malformed("packet of another SSRC"));
        }
        self.stats.on_packet(now, &p);
        if self.config.nack {
            self.nack.on_packet(now, p.sequence_number());
        }
        self.jitter.push_parsed(now, &p);
        Ok(())
    }

    /// Handles a packet of another payload format on this stream's SSRC
    /// (a telephone-event): counted and NACKed like media, and held in the
    /// jitter buffer as an empty packet, so that its sequence number is no
    /// loss and it yields no frame.
    pub fn handle_other_payload(&mut self, now: Instant, packet: &[u8]) -> Result<(), Error> {
        let p = RtpPacket::parse(packet)?;
        if p.ssrc() != self.config.ssrc {
            return Err(Error::Malformed("packet of another SSRC"));
        }
        self.stats.on_packet(now, &p);
        if self.config.nack {
            self.nack.on_packet(now, p.sequence_number());
        }
        let mut h = p.header();
        h.extensions = Extensions::default();
        let empty = h.to_packet(&[]);
        self.jitter.push(now, &empty)
    }

    /// The next complete frame. A frame after a loss that is not a keyframe
    /// schedules a PLI.
    pub fn poll_frame(&mut self, now: Instant) -> Option<Frame> {
        let f = self.jitter.pop_frame(now)?;
        if f.after_loss && !f.keyframe && self.config.codec.is_video() {
            self.pli_pending = true;
        }
        self.stats.on_frame(f.keyframe);
        Some(f)
    }

    /// RTCP feedback due now (NACK, PLI), from `sender_ssrc`.
    pub fn poll_feedback(&mut self, now: Instant, sender_ssrc: u32) -> Vec<RtcpPacket> {
        let mut out = Vec::new();
        if self.config.nack {
            if let Some(n) = self
                .nack
                .poll_nack_packet(now, sender_ssrc, self.config.ssrc)
            {
                self.stats.on_nack_sent();
                out.push(RtcpPacket::Nack(n));
            }
            if self.nack.take_keyframe_request() {
                self.pli_pending = true;
            }
        }
        if std::mem::take(&mut self.pli_pending) && self.config.codec.is_video() {
            self.stats.on_pli_sent();
            out.push(RtcpPacket::Pli(Pli {
                sender_ssrc,
                media_ssrc: self.config.ssrc,
            }));
        }
        out
    }

    /// Asks the sender for a keyframe with the next feedback.
    pub fn request_keyframe(&mut self) {
        self.pli_pending = true;
    }

    /// Records a sender report of this stream (for LSR/DLSR).
    pub fn handle_sender_report(&mut self, now: Instant, sr: &SenderReport) {
        self.stats.on_sender_report(now, sr);
    }

    /// A report block for our next RR/SR.
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        self.stats.report_block(now)
    }

    /// When to call [`Self::poll_frame`] / [`Self::poll_feedback`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.jitter.poll_timeout(), self.nack.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Updates the RTT used to pace NACKs.
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.nack.set_rtt(rtt);
    }

    /// The `inbound-rtp` counters.
    pub fn stats(&self) -> InboundRtpStats {
        self.stats.inbound()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_repaired_and_counted() {
        let mut tx = OutboundStream::new(OutboundConfig {
            codec: Codec::H264,
            ssrc: 10,
            payload_type: 102,
            rtx: Some((11, 103)),
            first_sequence: 65000,
            max_payload: 1000,
            history: 512,
        });
        let mut rx = InboundStream::new(InboundConfig {
            codec: Codec::H264,
            ssrc: 10,
            payload_type: 102,
            rtx_ssrc: Some(11),
            nack: true,
            jitter: JitterConfig::default(),
        });
        let t0 = Instant::now();
        let frame: Vec<u8> = [0u8, 0, 0, 1, 0x65]
            .iter()
            .copied()
            .chain((0..5000).map(|i| (i % 250) as u8 + 1))
            .collect();
        let pkts = tx
            .send_frame(t0, &frame, 3000, true, &Extensions::default())
            .unwrap();
        assert!(pkts.len() > 3);
        for (i, p) in pkts.iter().enumerate() {
            if i != 2 {
                rx.handle_rtp(t0, p).unwrap();
            }
        }
        assert!(rx.poll_frame(t0).is_none());
        let fb = rx.poll_feedback(t0, 99);
        assert!(matches!(&fb[0], RtcpPacket::Nack(n) if n.sequence_numbers().count() == 1));
        let resent = tx.handle_rtcp(t0, &fb[0]);
        assert_eq!(resent.len(), 1);
        assert_eq!(RtpPacket::parse(&resent[0]).unwrap().ssrc(), 11);
        rx.handle_rtp(t0, &resent[0]).unwrap();
        let f = rx.poll_frame(t0).unwrap();
        assert_eq!(f.data, frame);
        assert!(f.keyframe);
        assert_eq!(tx.stats().retransmitted_packets_sent, 1);
        assert_eq!(tx.stats().nack_count, 1);
        assert_eq!(rx.stats().nack_count, 1);
        assert_eq!(rx.stats().frames_received, 1);
        // PLI reaches the sender as a keyframe request.
        rx.request_keyframe();
        let fb = rx.poll_feedback(t0, 99);
        assert!(matches!(fb[0], RtcpPacket::Pli(_)));
        tx.handle_rtcp(t0, &fb[0]);
        assert!(tx.take_keyframe_request());
        assert_eq!(rx.stats().pli_count, 1);
        assert!(rx
            .handle_rtp(
                t0,
                &crate::RtpHeader {
                    ssrc: 5,
                    ..Default::default()
                }
                .to_packet(&[1])
            )
            .is_err());
    }
}
