//! Media through the connection: samples and RTP in, frames and RTP out
//! (see [`crate::media`]).

use std::time::Instant;

use rtcpeer_rtp::stats::{InboundRtpStats, OutboundRtpStats};

use super::*;
use crate::media::{MediaCounters, MediaEvent, Sample};

impl PeerConnection {
    /// Sends one encoded frame on the transceiver's sender. `false` when it
    /// does not send (not negotiated to, no codec we packetize, no keys yet).
    pub fn send_sample(&mut self, now: Instant, id: TransceiverId, sample: &Sample) -> bool {
        self.media.update(&self.transceivers);
        if !self.transport.media_ready() {
            return false;
        }
        let ok = self.media.send_sample(now, id, sample);
        self.flush_media();
        ok
    }

    /// Sends a ready RTP packet on the transceiver's sender (SSRC and
    /// payload type are set to the negotiated ones).
    pub fn send_rtp(&mut self, id: TransceiverId, packet: &[u8]) -> bool {
        self.media.update(&self.transceivers);
        if !self.transport.media_ready() {
            return false;
        }
        let ok = self.media.send_rtp(id, packet);
        self.flush_media();
        ok
    }

    /// The codec the transceiver's sender uses, once negotiated.
    pub fn send_codec(&mut self, id: TransceiverId) -> Option<rtcpeer_rtp::codec::Codec> {
        self.media.update(&self.transceivers);
        self.media.send_codec(id)
    }

    /// `RTCDTMFSender.canInsertDTMF` of the transceiver's sender.
    pub fn can_insert_dtmf(&mut self, id: TransceiverId) -> bool {
        self.media.update(&self.transceivers);
        self.transport.media_ready() && self.media.can_insert_dtmf(id)
    }

    /// `RTCDTMFSender.insertDTMF(tones, duration, interToneGap)`:
    /// `InvalidStateError` when the sender cannot send DTMF now,
    /// `InvalidCharacterError` for a character that is no tone. The tones
    /// play from the next [`PeerConnection::handle_timeout`] on.
    pub fn insert_dtmf(
        &mut self,
        now: Instant,
        id: TransceiverId,
        tones: &str,
        duration: std::time::Duration,
        inter_tone_gap: std::time::Duration,
    ) -> crate::Result<()> {
        if !self.can_insert_dtmf(id) {
            return Err(crate::Error::invalid_state(
                "the sender cannot send DTMF (not sending audio, or telephone-event not negotiated)",
            ));
        }
        self.media
            .insert_dtmf(now, id, tones, duration, inter_tone_gap)
    }

    /// `RTCDTMFSender.toneBuffer`.
    pub fn tone_buffer(&self, id: TransceiverId) -> String {
        self.media.tone_buffer(id)
    }

    /// True (once) after the remote asked this sender for a keyframe.
    pub fn take_keyframe_request(&mut self, id: TransceiverId) -> bool {
        self.media.take_keyframe_request(id)
    }

    /// Asks the remote sender of this receiver for a keyframe (PLI).
    pub fn request_keyframe(&mut self, id: TransceiverId) {
        self.media.request_keyframe(id);
    }

    /// `outbound-rtp` counters of a sender.
    pub fn sender_stats(&self, id: TransceiverId) -> Option<OutboundRtpStats> {
        self.media.sender_stats(id)
    }

    /// `inbound-rtp` counters of a receiver.
    pub fn receiver_stats(&self, id: TransceiverId) -> Option<InboundRtpStats> {
        self.media.receiver_stats(id)
    }

    /// What the remote's transport-wide CC feedback said about our packets.
    pub fn transport_feedback(&self) -> crate::media::TransportFeedback {
        self.media.transport_feedback()
    }

    /// Dropped media input.
    pub fn media_counters(&self) -> MediaCounters {
        self.media.counters()
    }

    /// Test hook: drop `percent` % of received RTP media packets (seeded).
    #[doc(hidden)]
    pub fn set_receive_loss(&mut self, percent: u32, seed: u64) {
        self.media.set_receive_loss(percent, seed);
    }

    /// Test hook: protects and sends one RTP packet exactly as given (SSRC
    /// and payload type untouched), as a misbehaving peer would; `false`
    /// before the SRTP keys or without a pair.
    #[doc(hidden)]
    pub fn send_raw_rtp(&mut self, packet: &[u8]) -> bool {
        self.transport.send_rtp(packet.to_vec())
    }

    /// Test hook: sends `packet` as one DTLS record, in place of an SCTP
    /// packet, as a misbehaving peer would; `false` before DTLS is connected.
    #[doc(hidden)]
    pub fn send_raw_sctp(&mut self, packet: &[u8]) -> bool {
        self.transport.send_raw_application_data(packet)
    }

    /// The next received frame or RTP packet.
    pub fn poll_media_event(&mut self) -> Option<MediaEvent> {
        self.media.poll_event()
    }

    /// Moves received media into the engine, runs its timers and sends
    /// what it produced.
    pub(crate) fn pump_media(&mut self, now: Instant) {
        if !self.transport.media_ready() {
            return;
        }
        self.media.update(&self.transceivers);
        while let Some(p) = self.transport.poll_media() {
            if p.rtcp {
                self.media.handle_rtcp(now, &p.data);
            } else {
                self.media.handle_rtp(now, &p.data);
            }
        }
        if self.media.poll_timeout().is_some_and(|t| t <= now) {
            self.media.handle_timeout(now);
        }
        self.flush_media();
    }

    fn flush_media(&mut self) {
        while let Some(p) = self.media.poll_rtp() {
            self.transport.send_rtp(p);
        }
        while let Some(p) = self.media.poll_rtcp() {
            self.transport.send_rtcp(p);
        }
    }

    /// When the media engine next needs [`PeerConnection::handle_timeout`].
    pub(crate) fn media_timeout(&self) -> Option<Instant> {
        if self.transport.media_ready() {
            self.media.poll_timeout()
        } else {
            None
        }
    }
}
