//! The media engine: RTP senders and receivers of the negotiated
//! transceivers, over the transport's SRTP (sans-IO).
//!
//! ```text
//! Sample ──► OutboundStream (packetize, history, RTX) ──► Transport::send_rtp
//! RTP ──► demux (SSRC, then the mid header extension, then payload type)
//!     ──► InboundStream (NACK, jitter buffer, PLI) ──► MediaEvent::Frame / Rtp
//! RTCP ──► SR to the receiver; NACK/PLI/FIR to the sender (retransmissions,
//!          keyframe requests); our SR/RR every second, feedback when due
//! ```
//!
//! [`MediaEngine::update`] follows the negotiation: every transceiver whose
//! current direction sends gets a sender with the first negotiated codec we
//! can packetize, every one that receives gets a receiver. A receiver learns
//! the remote SSRC from the first packet that the mid extension (or an
//! unambiguous payload type) places on it, and the RTX SSRC from the first
//! packet with its RTX payload type.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rtcpeer_rtp::codec::Codec as RtpCodec;
use rtcpeer_rtp::jitter::JitterConfig;
use rtcpeer_rtp::packet::Extensions;
use rtcpeer_rtp::rtcp::{self, RtcpPacket, TwccBuilder};
use rtcpeer_rtp::stats::{InboundRtpStats, OutboundRtpStats};
use rtcpeer_rtp::stream::{InboundConfig, InboundStream, OutboundConfig, OutboundStream};
use rtcpeer_rtp::transport_cc::TwccSendLog;
use rtcpeer_rtp::RtpPacket;

use crate::description::{Direction, MediaKind};
use crate::dtmf::{DtmfDetector, DtmfPlayout, PlayoutOutput, ReceivedTone};
use crate::error::Error;
use crate::transceiver::{Transceiver, TransceiverId};

const MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
const TWCC_URI: &str = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
/// Interval of our transport-wide CC feedback while packets arrive.
const TWCC_INTERVAL: Duration = Duration::from_millis(50);
/// Packets one transport-wide CC feedback describes at most (fits a datagram).
const TWCC_MAX_PER_PACKET: usize = 300;
/// Largest RTP payload we packetize (fits a 1200-byte datagram with header,
/// extensions and the SRTP tag).
const MAX_PAYLOAD: usize = 1_100;
/// Packets kept for retransmission per sender.
const HISTORY: usize = 1_024;
/// Interval of our regular RTCP reports.
const REPORT_INTERVAL: Duration = Duration::from_secs(1);
/// Most remote SSRCs remembered for routing. Reaching it, the SSRCs no
/// receiver uses now are forgotten (counted in
/// [`MediaCounters::ssrcs_forgotten`]), so a peer sending under thousands of
/// SSRCs cannot grow the table without bound.
pub const MAX_LEARNED_SSRCS: usize = 1_024;

/// One encoded frame to send: the codec's own frame (H264 in Annex B) and
/// how long it lasts (advances the RTP timestamp).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sample {
    /// The encoded frame.
    pub data: Vec<u8>,
    /// Its duration.
    pub duration: Duration,
}

/// One received, depacketized frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The codec it is in.
    pub codec: RtpCodec,
    /// The frame (H264 in Annex B).
    pub data: Vec<u8>,
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// The frame can start decoding.
    pub keyframe: bool,
    /// Packets were lost just before it (the jitter buffer gave up on them).
    pub after_loss: bool,
}

/// What the media engine produces for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// A complete frame for a receiver.
    Frame {
        /// The transceiver whose receiver got it.
        transceiver: TransceiverId,
        /// The frame.
        frame: Frame,
    },
    /// `tonechange` of a sender's `RTCDTMFSender`: the tone that starts
    /// playing, `""` when the tone buffer ran dry.
    ToneChange {
        /// The transceiver whose sender plays the tones.
        transceiver: TransceiverId,
        /// The tone.
        tone: String,
    },
    /// A DTMF tone received as RFC 4733 telephone-events (reported when it
    /// ends).
    Dtmf {
        /// The transceiver whose receiver got it.
        transceiver: TransceiverId,
        /// The tone.
        tone: ReceivedTone,
    },
    /// A raw RTP packet for a receiver (unprotected, RTX already unwrapped
    /// by nobody: exactly as it arrived).
    Rtp {
        /// The transceiver whose receiver got it.
        transceiver: TransceiverId,
        /// The packet.
        packet: Vec<u8>,
    },
}

/// What the remote's transport-wide CC feedback said about our packets
/// (once transport-cc is negotiated, every RTP packet we send carries a
/// transport-wide sequence number).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportFeedback {
    /// RTP packets we sent with a transport-wide sequence number.
    pub packets_numbered: u64,
    /// Feedback packets (RTPFB 15) received.
    pub feedback_packets: u64,
    /// Packets the feedback reported as received.
    pub reported_received: u64,
    /// Packets the feedback reported as not (yet) received.
    pub reported_lost: u64,
}

/// Media input that was dropped (untrusted input never panics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaCounters {
    /// RTP packets that did not parse.
    pub rtp_malformed: u64,
    /// RTP packets no receiver claimed (unknown SSRC, mid or payload type).
    pub rtp_unrouted: u64,
    /// RTP packets of a payload type we cannot depacketize.
    pub rtp_unsupported: u64,
    /// RTCP datagrams that did not parse.
    pub rtcp_malformed: u64,
    /// RTP packets dropped by the test loss hook.
    pub test_dropped: u64,
    /// Remote SSRCs forgotten to keep the routing table within
    /// [`MAX_LEARNED_SSRCS`].
    pub ssrcs_forgotten: u64,
}

#[derive(Debug)]
struct SendState {
    id: TransceiverId,
    stream: OutboundStream,
    codec: RtpCodec,
    payload_type: u8,
    clock_rate: u32,
    timestamp: u32,
    extensions: Extensions,
    keyframe_requested: bool,
    /// The negotiated telephone-event payload type and its clock rate.
    dtmf: Option<(u8, u32)>,
    /// When the last sample went out, and its RTP timestamp.
    anchor: Option<(Instant, u32)>,
    /// RTP timestamp of the tone being sent.
    dtmf_timestamp: u32,
    /// `encodings[0].active`: when false, nothing is sent.
    active: bool,
    /// The peer's receiver reports about this stream.
    remote: Option<RemoteInbound>,
}

/// What the peer's receiver reports say about one of our streams
/// (`remote-inbound-rtp`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteInbound {
    /// Cumulative packets lost, as reported.
    pub packets_lost: i64,
    /// Interarrival jitter in seconds.
    pub jitter: f64,
    /// The latest fraction lost (0..1).
    pub fraction_lost: f64,
    /// The latest round-trip time (LSR/DLSR), once an SR was echoed.
    pub round_trip_time: Option<Duration>,
    /// The sum of all round-trip times measured.
    pub total_round_trip_time: Duration,
    /// How many round-trip times were measured.
    pub round_trip_time_measurements: u64,
    /// When the last report arrived.
    pub at: Option<Instant>,
}

/// What the peer's sender reports say about a stream we receive
/// (`remote-outbound-rtp`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteOutbound {
    /// Packets sent, per the last report.
    pub packets_sent: u64,
    /// Payload octets sent, per the last report.
    pub bytes_sent: u64,
    /// The sender's wall clock at the last report, in ms since the Unix epoch.
    pub remote_timestamp_ms: f64,
    /// Sender reports received.
    pub reports: u64,
}

/// One sending stream, as `getStats` needs it.
#[derive(Debug, Clone)]
pub struct SenderInfo {
    /// The transceiver.
    pub transceiver: TransceiverId,
    /// The media SSRC.
    pub ssrc: u32,
    /// The payload type sent.
    pub payload_type: u8,
    /// The counters.
    pub stats: OutboundRtpStats,
    /// The peer's view, from its receiver reports.
    pub remote: Option<RemoteInbound>,
}

/// One receiving stream, as `getStats` needs it.
#[derive(Debug, Clone)]
pub struct ReceiverInfo {
    /// The transceiver.
    pub transceiver: TransceiverId,
    /// The media SSRC (the peer's).
    pub ssrc: u32,
    /// The RTX SSRC, once a retransmission came.
    pub rtx_ssrc: Option<u32>,
    /// The payload type received.
    pub payload_type: u8,
    /// The counters.
    pub stats: InboundRtpStats,
    /// The peer's sender reports.
    pub remote: Option<RemoteOutbound>,
}

#[derive(Debug)]
struct RecvState {
    id: TransceiverId,
    mid: String,
    /// Negotiated media payload types we can depacketize.
    codecs: Vec<(u8, RtpCodec)>,
    /// RTX payload type → the payload type it repairs.
    rtx: Vec<(u8, u8)>,
    nack: bool,
    stream: Option<InboundStream>,
    media: Option<(u32, u8, RtpCodec)>,
    rtx_ssrc: Option<u32>,
    /// Negotiated telephone-event payload types and their clock rates.
    dtmf: Vec<(u8, u32)>,
    detector: DtmfDetector,
    remote: Option<RemoteOutbound>,
}

/// The senders and receivers of one connection. See the [module docs](self).
#[derive(Debug)]
pub struct MediaEngine {
    senders: Vec<SendState>,
    receivers: Vec<RecvState>,
    mid_ext: Option<u8>,
    ssrcs: HashMap<u32, TransceiverId>,
    out_rtp: VecDeque<Vec<u8>>,
    out_rtcp: VecDeque<Vec<u8>>,
    events: VecDeque<MediaEvent>,
    rtcp_ssrc: u32,
    cname: String,
    next_report: Option<Instant>,
    counters: MediaCounters,
    loss: Option<(u32, u64)>,
    playouts: HashMap<TransceiverId, DtmfPlayout>,
    twcc: Twcc,
}

/// Transport-wide CC feedback about the packets we receive (one sequence
/// space for the whole BUNDLE transport).
#[derive(Debug, Default)]
struct Twcc {
    /// The negotiated extension id.
    ext: Option<u8>,
    builder: TwccBuilder,
    /// Zero of the arrival clock.
    epoch: Option<Instant>,
    /// SSRC of the last packet recorded (the feedback's media SSRC).
    media_ssrc: u32,
    /// When feedback is next due (`None`: nothing recorded since the last).
    next: Option<Instant>,
    /// Our own packets' sequence numbers and send times.
    send_log: Option<TwccSendLog>,
    /// The latest time a call gave us (numbers packets without a clock read).
    now: Option<Instant>,
    sent: TransportFeedback,
}

impl Twcc {
    fn record(&mut self, now: Instant, p: &RtpPacket<'_>) {
        let Some(seq) = self
            .ext
            .and_then(|id| p.extension(id))
            .and_then(rtcpeer_rtp::extension::decode_transport_cc)
        else {
            return;
        };
        let epoch = *self.epoch.get_or_insert(now);
        let us = now.saturating_duration_since(epoch).as_micros() as i64;
        self.builder.record(seq, us);
        self.media_ssrc = p.ssrc();
        self.next.get_or_insert(now + TWCC_INTERVAL);
    }
}

impl MediaEngine {
    /// An engine with no streams; `cname` goes into our SDES.
    pub fn new(cname: String) -> MediaEngine {
        MediaEngine {
            senders: Vec::new(),
            receivers: Vec::new(),
            mid_ext: None,
            ssrcs: HashMap::new(),
            out_rtp: VecDeque::new(),
            out_rtcp: VecDeque::new(),
            events: VecDeque::new(),
            rtcp_ssrc: (crate::peer::random_u64() as u32).max(1),
            cname,
            next_report: None,
            counters: MediaCounters::default(),
            loss: None,
            playouts: HashMap::new(),
            twcc: Twcc::default(),
        }
    }

    /// Follows the negotiated transceivers: makes senders and receivers for
    /// the ones that send and receive, drops the others.
    pub fn update(&mut self, transceivers: &[Transceiver]) {
        self.senders.retain(|s| {
            transceivers.iter().any(|t| {
                t.id == s.id
                    && sends(t)
                    && t.sender.encodings.first().map(|e| e.ssrc) == Some(s.stream.ssrc())
                    && t.negotiated_codecs
                        .iter()
                        .any(|c| c.payload_type == s.payload_type)
            })
        });
        self.receivers
            .retain(|r| transceivers.iter().any(|t| t.id == r.id && receives(t)));
        for s in self.senders.iter_mut() {
            if let Some(t) = transceivers.iter().find(|t| t.id == s.id) {
                s.active = t.sender.encodings.first().is_some_and(|e| e.active);
            }
        }
        for t in transceivers {
            if sends(t) && !self.senders.iter().any(|s| s.id == t.id) {
                if let Some(s) = new_sender(t) {
                    self.senders.push(s);
                }
            }
            if receives(t) && !self.receivers.iter().any(|r| r.id == t.id) {
                if let Some(r) = new_receiver(t) {
                    self.receivers.push(r);
                }
            }
            if self.twcc.ext.is_none() {
                self.twcc.ext = t
                    .negotiated_extensions
                    .iter()
                    .find(|e| e.uri == TWCC_URI)
                    .and_then(|e| u8::try_from(e.id).ok());
            }
            if self.mid_ext.is_none() {
                self.mid_ext = t
                    .negotiated_extensions
                    .iter()
                    .find(|e| e.uri == MID_URI)
                    .and_then(|e| u8::try_from(e.id).ok());
            }
        }
        let receivers = &self.receivers;
        self.ssrcs
            .retain(|_, id| receivers.iter().any(|r| r.id == *id));
    }

    /// Whether the transceiver has a sender now (negotiated to send).
    pub fn can_send(&self, id: TransceiverId) -> bool {
        self.senders.iter().any(|s| s.id == id)
    }

    /// The codec the transceiver's sender packetizes, once negotiated.
    pub fn send_codec(&self, id: TransceiverId) -> Option<RtpCodec> {
        self.senders.iter().find(|s| s.id == id).map(|s| s.codec)
    }

    /// Packetizes one frame of the transceiver's sender.
    pub fn send_sample(&mut self, now: Instant, id: TransceiverId, sample: &Sample) -> bool {
        self.twcc.now = Some(now);
        let Some(s) = self.senders.iter_mut().find(|s| s.id == id) else {
            return false;
        };
        let keyframe = is_keyframe(s.codec, &sample.data);
        let ts = s.timestamp;
        s.anchor = Some((now, ts));
        let ticks = sample.duration.as_secs_f64() * s.clock_rate as f64;
        s.timestamp = s.timestamp.wrapping_add(ticks.round() as u32);
        if !s.active {
            // An inactive encoding sends nothing; its clock runs on.
            return false;
        }
        match s
            .stream
            .send_frame(now, &sample.data, ts, keyframe, &s.extensions)
        {
            Ok(pkts) => {
                self.out_rtp.extend(pkts);
                self.next_report.get_or_insert(now + REPORT_INTERVAL);
                true
            }
            Err(_) => false,
        }
    }

    /// Sends a ready RTP packet on the transceiver's sender: its SSRC and
    /// payload type are replaced with the negotiated ones, the rest is kept.
    pub fn send_rtp(&mut self, id: TransceiverId, packet: &[u8]) -> bool {
        let Some(s) = self.senders.iter().find(|s| s.id == id && s.active) else {
            return false;
        };
        if RtpPacket::parse(packet).is_err() {
            return false;
        }
        let mut p = packet.to_vec();
        p[1] = (p[1] & 0x80) | (s.payload_type & 0x7f);
        p[8..12].copy_from_slice(&s.stream.ssrc().to_be_bytes());
        self.out_rtp.push_back(p);
        true
    }

    /// `canInsertDTMF`: the sender sends audio and telephone-event was
    /// negotiated.
    pub fn can_insert_dtmf(&self, id: TransceiverId) -> bool {
        self.senders.iter().any(|s| s.id == id && s.dtmf.is_some())
    }

    /// `insertDTMF(tones, duration, interToneGap)`: checks and clamps the
    /// arguments (see [`crate::dtmf::normalize`]) and replaces the tone buffer.
    pub fn insert_dtmf(
        &mut self,
        now: Instant,
        id: TransceiverId,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), Error> {
        if !self.can_insert_dtmf(id) {
            return Err(Error::invalid_state(
                "the sender cannot send DTMF (not sending audio, or telephone-event not negotiated)",
            ));
        }
        let (tones, duration, gap) = crate::dtmf::normalize(tones, duration, gap)?;
        self.playouts
            .entry(id)
            .or_default()
            .insert(now, tones, duration, gap);
        Ok(())
    }

    /// `toneBuffer`.
    pub fn tone_buffer(&self, id: TransceiverId) -> String {
        self.playouts
            .get(&id)
            .map(|p| p.tone_buffer().to_string())
            .unwrap_or_default()
    }

    fn run_playouts(&mut self, now: Instant) {
        for (id, p) in self.playouts.iter_mut() {
            if p.poll_timeout().is_none_or(|t| t > now) {
                continue;
            }
            p.handle_timeout(now);
            let sender = self
                .senders
                .iter_mut()
                .find(|s| s.id == *id && s.dtmf.is_some());
            let Some(s) = sender else {
                // No longer sending: the playout ends without a word.
                p.stop();
                while p.poll_output().is_some() {}
                continue;
            };
            let Some((pt, clock)) = s.dtmf else { continue };
            while let Some(o) = p.poll_output() {
                match o {
                    PlayoutOutput::ToneChange(tone) => {
                        self.events.push_back(MediaEvent::ToneChange {
                            transceiver: *id,
                            tone,
                        })
                    }
                    PlayoutOutput::Packet { start, payload } => {
                        if start {
                            // The tone starts now on the audio clock.
                            s.dtmf_timestamp = match s.anchor {
                                Some((t0, ts0)) => ts0.wrapping_add(
                                    (now.saturating_duration_since(t0).as_secs_f64()
                                        * s.clock_rate as f64)
                                        as u32,
                                ),
                                None => s.timestamp,
                            };
                        }
                        let payload = crate::dtmf::rescale(payload, clock);
                        let ev = rtcpeer_rtp::codec::dtmf::DtmfEvent::parse(&payload);
                        if !s.active {
                            // An inactive encoding sends nothing, tones neither.
                        } else if let Ok(pkt) = s.stream.send_payload(
                            now,
                            pt,
                            start,
                            s.dtmf_timestamp,
                            &payload,
                            &s.extensions,
                        ) {
                            self.out_rtp.push_back(pkt);
                        }
                        if let Some(ev) = ev.ok().filter(|e| e.end) {
                            // Audio after the tone continues past its end.
                            let end = s.dtmf_timestamp.wrapping_add(ev.duration as u32);
                            if (end.wrapping_sub(s.timestamp) as i32) > 0 {
                                s.timestamp = end;
                            }
                            s.anchor = Some((now, end));
                        }
                    }
                }
            }
            self.next_report.get_or_insert(now + REPORT_INTERVAL);
        }
    }

    /// True (once) after the remote asked the sender for a keyframe (PLI, FIR).
    pub fn take_keyframe_request(&mut self, id: TransceiverId) -> bool {
        self.senders
            .iter_mut()
            .find(|s| s.id == id)
            .is_some_and(|s| std::mem::take(&mut s.keyframe_requested))
    }

    /// Asks the remote sender of a receiver for a keyframe (PLI).
    pub fn request_keyframe(&mut self, id: TransceiverId) {
        if let Some(st) = self
            .receivers
            .iter_mut()
            .find(|r| r.id == id)
            .and_then(|r| r.stream.as_mut())
        {
            st.request_keyframe();
        }
    }

    /// `outbound-rtp` counters of the transceiver's sender.
    pub fn sender_stats(&self, id: TransceiverId) -> Option<OutboundRtpStats> {
        self.senders
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.stream.stats())
    }

    /// `inbound-rtp` counters of the transceiver's receiver (once media arrived).
    pub fn receiver_stats(&self, id: TransceiverId) -> Option<InboundRtpStats> {
        self.receivers
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.stream.as_ref())
            .map(|s| s.stats())
    }

    /// Dropped-input counters.
    pub fn counters(&self) -> MediaCounters {
        self.counters
    }

    /// Test hook: drop `percent` % of received RTP media packets (not RTX),
    /// chosen by a generator seeded with `seed`; 0 turns it off.
    pub fn set_receive_loss(&mut self, percent: u32, seed: u64) {
        self.loss = (percent > 0).then_some((percent.min(100), seed | 1));
    }

    /// One unprotected RTP packet arrived.
    pub fn handle_rtp(&mut self, now: Instant, data: &[u8]) {
        self.twcc.now = Some(now);
        let Ok(p) = RtpPacket::parse(data) else {
            self.counters.rtp_malformed += 1;
            return;
        };
        let ssrc = p.ssrc();
        let pt = p.payload_type();
        let idx = match self.route(&p) {
            Some(i) => i,
            None => {
                // Still an arrival for the sender's bandwidth estimate.
                self.twcc.record(now, &p);
                self.counters.rtp_unrouted += 1;
                return;
            }
        };
        if self.ssrcs.len() >= MAX_LEARNED_SSRCS && !self.ssrcs.contains_key(&ssrc) {
            self.forget_unused_ssrcs();
        }
        let r = &mut self.receivers[idx];
        let is_rtx = r.rtx.iter().any(|(x, _)| *x == pt);
        if let (false, Some((percent, seed))) = (is_rtx, self.loss.as_mut()) {
            // The test hook drops media packets as the network would.
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            if (*seed % 100) < *percent as u64 {
                self.counters.test_dropped += 1;
                return;
            }
        }
        self.twcc.record(now, &p);
        if self.ssrcs.len() < MAX_LEARNED_SSRCS {
            self.ssrcs.entry(ssrc).or_insert(r.id);
        }
        self.events.push_back(MediaEvent::Rtp {
            transceiver: r.id,
            packet: data.to_vec(),
        });
        if let Some(&(_, clock)) = r.dtmf.iter().find(|(x, _)| *x == pt) {
            // A telephone-event beside the audio: a tone, and no audio frame.
            match r.detector.handle(p.timestamp(), p.payload(), clock) {
                Ok(tones) => {
                    for tone in tones {
                        self.events.push_back(MediaEvent::Dtmf {
                            transceiver: r.id,
                            tone,
                        });
                    }
                }
                Err(_) => self.counters.rtp_malformed += 1,
            }
            if let Some(st) = r
                .stream
                .as_mut()
                .filter(|_| r.media.is_some_and(|m| m.0 == ssrc))
            {
                let _ = st.handle_other_payload(now, data);
            }
            self.next_report.get_or_insert(now + REPORT_INTERVAL);
            self.poll_receiver(now, idx);
            return;
        }
        if let Some(&(_, apt)) = r.rtx.iter().find(|(x, _)| *x == pt) {
            // A retransmission: only for the media stream it repairs.
            match (&mut r.stream, r.media) {
                (Some(st), Some((_, media_pt, _))) if media_pt == apt => {
                    if r.rtx_ssrc != Some(ssrc) {
                        r.rtx_ssrc = Some(ssrc);
                        st.set_rtx_ssrc(Some(ssrc));
                    }
                    if st.handle_rtp(now, data).is_err() {
                        self.counters.rtp_malformed += 1;
                    }
                }
                _ => self.counters.rtp_unrouted += 1,
            }
        } else {
            let Some(&(_, codec)) = r.codecs.iter().find(|(x, _)| *x == pt) else {
                self.counters.rtp_unsupported += 1;
                return;
            };
            if r.media.is_some_and(|(s, p, _)| s != ssrc || p != pt) {
                // A new SSRC or codec: start a new stream.
                r.stream = None;
            }
            if r.stream.is_none() {
                let mut st = InboundStream::new(InboundConfig {
                    codec,
                    ssrc,
                    payload_type: pt,
                    rtx_ssrc: None,
                    nack: r.nack,
                    jitter: JitterConfig {
                        wait_for_keyframe: codec.is_video(),
                        max_delay: Duration::from_millis(500),
                        ..JitterConfig::default()
                    },
                });
                if codec.is_video() {
                    st.request_keyframe();
                }
                r.stream = Some(st);
                r.media = Some((ssrc, pt, codec));
                r.rtx_ssrc = None;
            }
            if let Some(st) = r.stream.as_mut() {
                if st.handle_rtp(now, data).is_err() {
                    self.counters.rtp_malformed += 1;
                }
            }
        }
        self.next_report.get_or_insert(now + REPORT_INTERVAL);
        self.poll_receiver(now, idx);
    }

    /// Forgets the learned SSRCs no receiver uses now (its media and RTX
    /// SSRC stay).
    fn forget_unused_ssrcs(&mut self) {
        let before = self.ssrcs.len();
        let receivers = &self.receivers;
        self.ssrcs.retain(|s, _| {
            receivers
                .iter()
                .any(|r| r.media.is_some_and(|m| m.0 == *s) || r.rtx_ssrc == Some(*s))
        });
        self.counters.ssrcs_forgotten += (before - self.ssrcs.len()) as u64;
    }

    /// How many remote SSRCs are remembered for routing (at most
    /// [`MAX_LEARNED_SSRCS`]).
    pub fn learned_ssrcs(&self) -> usize {
        self.ssrcs.len()
    }

    /// The receiver a packet belongs to: by known SSRC, then by the mid
    /// extension, then by a payload type only one receiver negotiated.
    fn route(&self, p: &RtpPacket<'_>) -> Option<usize> {
        if let Some(id) = self.ssrcs.get(&p.ssrc()) {
            if let Some(i) = self.receivers.iter().position(|r| r.id == *id) {
                return Some(i);
            }
        }
        if let Some(mid) = self.mid_ext.and_then(|id| p.extension(id)) {
            if let Some(i) = self.receivers.iter().position(|r| r.mid.as_bytes() == mid) {
                return Some(i);
            }
        }
        let pt = p.payload_type();
        let mut it = self.receivers.iter().enumerate().filter(|(_, r)| {
            r.codecs.iter().any(|(x, _)| *x == pt)
                || r.rtx.iter().any(|(x, _)| *x == pt)
                || r.dtmf.iter().any(|(x, _)| *x == pt)
        });
        match (it.next(), it.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }

    fn poll_receiver(&mut self, now: Instant, idx: usize) {
        let r = &mut self.receivers[idx];
        let Some(st) = r.stream.as_mut() else {
            return;
        };
        let codec = r.media.map(|m| m.2);
        while let Some(f) = st.poll_frame(now) {
            // Padding-only packets (bandwidth probes) carry no frame.
            if f.data.is_empty() {
                continue;
            }
            if let Some(codec) = codec {
                self.events.push_back(MediaEvent::Frame {
                    transceiver: r.id,
                    frame: Frame {
                        codec,
                        data: f.data,
                        timestamp: f.timestamp,
                        keyframe: f.keyframe,
                        after_loss: f.after_loss,
                    },
                });
            }
        }
        let fb = st.poll_feedback(now, self.rtcp_ssrc);
        if !fb.is_empty() {
            let mut pkts = vec![RtcpPacket::ReceiverReport(rtcp::ReceiverReport {
                ssrc: self.rtcp_ssrc,
                ..Default::default()
            })];
            pkts.extend(fb);
            if let Ok(b) = rtcp::to_bytes(&pkts) {
                self.out_rtcp.push_back(b);
            }
        }
    }

    /// One unprotected (compound) RTCP packet arrived.
    pub fn handle_rtcp(&mut self, now: Instant, data: &[u8]) {
        self.twcc.now = Some(now);
        let Ok(pkts) = rtcp::parse_compound(data) else {
            self.counters.rtcp_malformed += 1;
            return;
        };
        for pkt in &pkts {
            match pkt {
                RtcpPacket::SenderReport(sr) => {
                    if let Some(r) = self
                        .receivers
                        .iter_mut()
                        .find(|r| r.media.is_some_and(|m| m.0 == sr.ssrc))
                    {
                        if let Some(st) = r.stream.as_mut() {
                            st.handle_sender_report(now, sr);
                        }
                        let remote = r.remote.get_or_insert_with(Default::default);
                        remote.packets_sent = u64::from(sr.packet_count);
                        remote.bytes_sent = u64::from(sr.octet_count);
                        remote.remote_timestamp_ms = ntp_to_unix_ms(sr.ntp_time);
                        remote.reports += 1;
                    }
                    self.handle_report_blocks(now, &sr.reports);
                }
                RtcpPacket::ReceiverReport(rr) => self.handle_report_blocks(now, &rr.reports),
                RtcpPacket::TransportCc(fb) => {
                    self.twcc.sent.feedback_packets += 1;
                    if let Some(log) = self.twcc.send_log.as_mut() {
                        for r in log.on_feedback(fb) {
                            if r.arrival_us.is_some() {
                                self.twcc.sent.reported_received += 1;
                            } else {
                                self.twcc.sent.reported_lost += 1;
                            }
                        }
                    }
                }
                RtcpPacket::Nack(_) | RtcpPacket::Pli(_) | RtcpPacket::Fir(_) => {
                    for s in self.senders.iter_mut() {
                        let resend = s.stream.handle_rtcp(now, pkt);
                        self.out_rtp.extend(resend);
                        if s.stream.take_keyframe_request() {
                            s.keyframe_requested = true;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Report blocks about our streams: loss, jitter and round-trip time.
    fn handle_report_blocks(&mut self, now: Instant, blocks: &[rtcp::ReportBlock]) {
        let now_compact = rtcpeer_rtp::stats::compact_ntp(ntp_now());
        for b in blocks {
            let Some(s) = self.senders.iter_mut().find(|s| s.stream.ssrc() == b.ssrc) else {
                continue;
            };
            let remote = s.remote.get_or_insert_with(Default::default);
            remote.packets_lost = i64::from(b.cumulative_lost);
            remote.jitter = f64::from(b.jitter) / f64::from(s.clock_rate);
            remote.fraction_lost = f64::from(b.fraction_lost) / 256.0;
            remote.at = Some(now);
            if let Some(rtt) = rtcpeer_rtp::stats::rtt_from_report(b, now_compact) {
                remote.round_trip_time = Some(rtt);
                remote.total_round_trip_time += rtt;
                remote.round_trip_time_measurements += 1;
                // Retransmissions are paced by the measured round trip.
                s.stream.set_rtt(rtt);
            }
        }
    }

    /// Every sending stream, for `getStats`.
    pub fn sender_infos(&self) -> Vec<SenderInfo> {
        self.senders
            .iter()
            .map(|s| SenderInfo {
                transceiver: s.id,
                ssrc: s.stream.ssrc(),
                payload_type: s.payload_type,
                stats: s.stream.stats(),
                remote: s.remote.clone(),
            })
            .collect()
    }

    /// Every receiving stream that has seen media, for `getStats`.
    pub fn receiver_infos(&self) -> Vec<ReceiverInfo> {
        self.receivers
            .iter()
            .filter_map(|r| {
                let (ssrc, payload_type, _) = r.media?;
                Some(ReceiverInfo {
                    transceiver: r.id,
                    ssrc,
                    rtx_ssrc: r.rtx_ssrc,
                    payload_type,
                    stats: r.stream.as_ref()?.stats(),
                    remote: r.remote.clone(),
                })
            })
            .collect()
    }

    /// Runs due timers: frames the jitter buffer releases, NACK/PLI, reports.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.twcc.now = Some(now);
        for i in 0..self.receivers.len() {
            if self.receivers[i]
                .stream
                .as_ref()
                .and_then(|s| s.poll_timeout())
                .is_some_and(|t| t <= now)
            {
                self.poll_receiver(now, i);
            }
        }
        self.run_playouts(now);
        if self.twcc.next.is_some_and(|t| t <= now) {
            self.twcc.next = None;
            let fbs =
                self.twcc
                    .builder
                    .build(self.rtcp_ssrc, self.twcc.media_ssrc, TWCC_MAX_PER_PACKET);
            for fb in fbs {
                let pkts = [
                    RtcpPacket::ReceiverReport(rtcp::ReceiverReport {
                        ssrc: self.rtcp_ssrc,
                        ..Default::default()
                    }),
                    RtcpPacket::TransportCc(fb),
                ];
                if let Ok(b) = rtcp::to_bytes(&pkts) {
                    self.out_rtcp.push_back(b);
                }
            }
        }
        if self.next_report.is_some_and(|t| t <= now) {
            self.next_report = Some(now + REPORT_INTERVAL);
            self.report(now);
        }
    }

    /// Our regular compound report: an SR per sender (the first carries the
    /// report blocks of our receivers) or one RR, then SDES.
    fn report(&mut self, now: Instant) {
        let blocks: Vec<_> = self
            .receivers
            .iter_mut()
            .filter_map(|r| r.stream.as_mut())
            .map(|s| s.report_block(now))
            .collect();
        let ntp = ntp_now();
        let mut pkts = Vec::new();
        if self.senders.is_empty() {
            if blocks.is_empty() {
                return;
            }
            pkts = rtcp::compound_report(self.rtcp_ssrc, None, &blocks, &self.cname);
        } else {
            for (i, s) in self.senders.iter().enumerate() {
                let sr = s.stream.sender_report(now, ntp);
                let b: &[_] = if i == 0 { &blocks } else { &[] };
                pkts.extend(rtcp::compound_report(
                    s.stream.ssrc(),
                    Some(sr),
                    b,
                    &self.cname,
                ));
            }
        }
        if let Ok(b) = rtcp::to_bytes(&pkts) {
            self.out_rtcp.push_back(b);
        }
    }

    /// When [`MediaEngine::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.receivers
            .iter()
            .filter_map(|r| r.stream.as_ref().and_then(|s| s.poll_timeout()))
            .chain(self.playouts.values().filter_map(|p| p.poll_timeout()))
            .chain(self.twcc.next)
            .chain(self.next_report)
            .min()
    }

    /// The next RTP packet to protect and send.
    pub fn poll_rtp(&mut self) -> Option<Vec<u8>> {
        let mut p = self.out_rtp.pop_front()?;
        self.number(&mut p);
        Some(p)
    }

    /// Writes the next transport-wide sequence number into a packet that
    /// carries the (negotiated) transport-cc extension.
    fn number(&mut self, p: &mut [u8]) {
        let (Some(id), Some(now)) = (self.twcc.ext, self.twcc.now) else {
            return;
        };
        let Ok(parsed) = RtpPacket::parse(p) else {
            return;
        };
        let Some(at) = parsed
            .extension(id)
            .filter(|v| v.len() == 2)
            .map(|v| v.as_ptr() as usize - p.as_ptr() as usize)
        else {
            return;
        };
        let log = self
            .twcc
            .send_log
            .get_or_insert_with(|| TwccSendLog::new(0, Duration::from_secs(5)));
        let seq = log.on_send(now, p.len());
        p[at..at + 2].copy_from_slice(&seq.to_be_bytes());
        self.twcc.sent.packets_numbered += 1;
    }

    /// What the remote's transport-wide CC feedback reported about our packets.
    pub fn transport_feedback(&self) -> TransportFeedback {
        self.twcc.sent
    }

    /// The next RTCP packet to protect and send.
    pub fn poll_rtcp(&mut self) -> Option<Vec<u8>> {
        self.out_rtcp.pop_front()
    }

    /// The next frame or packet for the application.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }
}

fn sends(t: &Transceiver) -> bool {
    !t.stopped
        && t.mid.is_some()
        && matches!(
            t.current_direction,
            Some(Direction::SendRecv | Direction::SendOnly)
        )
}

fn receives(t: &Transceiver) -> bool {
    !t.stopped
        && t.mid.is_some()
        && matches!(
            t.current_direction,
            Some(Direction::SendRecv | Direction::RecvOnly)
        )
}

fn has_fb(c: &crate::codecs::Codec, kind: &str, param: Option<&str>) -> bool {
    c.rtcp_feedback
        .iter()
        .any(|(k, p)| k == kind && p.as_deref() == param)
}

fn new_sender(t: &Transceiver) -> Option<SendState> {
    let enc = t.sender.encodings.first()?;
    let (codec, c) = t
        .negotiated_codecs
        .iter()
        .filter(|c| !c.is_rtx())
        .find_map(|c| Some((RtpCodec::from_mime(&c.mime_type)?, c)))?;
    let rtx = t
        .negotiated_codecs
        .iter()
        .find(|x| x.rtx_apt() == Some(c.payload_type))
        .and_then(|x| Some((enc.rtx_ssrc?, x.payload_type)));
    let mut extensions = Extensions::default();
    if let (Some(mid), Some(id)) = (
        &t.mid,
        t.negotiated_extensions
            .iter()
            .find(|e| e.uri == MID_URI)
            .and_then(|e| u8::try_from(e.id).ok()),
    ) {
        let _ = extensions.set(id, mid.as_bytes());
    }
    if let Some(id) = t
        .negotiated_extensions
        .iter()
        .find(|e| e.uri == TWCC_URI)
        .and_then(|e| u8::try_from(e.id).ok())
    {
        // The transport-wide sequence number is written as the packet leaves.
        let _ = extensions.set(id, &[0, 0]);
    }
    let seed = crate::peer::random_u64();
    let dtmf = (t.kind == MediaKind::Audio)
        .then(|| telephone_events(t))
        .and_then(|te| {
            te.iter()
                .find(|(_, clock)| *clock == c.clock_rate)
                .or(te.first())
                .copied()
        });
    Some(SendState {
        id: t.id,
        stream: OutboundStream::new(OutboundConfig {
            codec,
            ssrc: enc.ssrc,
            payload_type: c.payload_type,
            rtx,
            first_sequence: (seed as u16) & 0x7fff,
            max_payload: MAX_PAYLOAD,
            history: HISTORY,
        }),
        codec,
        payload_type: c.payload_type,
        clock_rate: c.clock_rate.max(1),
        timestamp: (seed >> 32) as u32,
        extensions,
        keyframe_requested: false,
        dtmf,
        anchor: None,
        dtmf_timestamp: 0,
        active: enc.active,
        remote: None,
    })
}

fn new_receiver(t: &Transceiver) -> Option<RecvState> {
    let codecs: Vec<(u8, RtpCodec)> = t
        .negotiated_codecs
        .iter()
        .filter(|c| !c.is_rtx())
        .filter_map(|c| Some((c.payload_type, RtpCodec::from_mime(&c.mime_type)?)))
        .collect();
    let rtx = t
        .negotiated_codecs
        .iter()
        .filter_map(|c| Some((c.payload_type, c.rtx_apt()?)))
        .collect();
    let nack =
        t.kind == MediaKind::Video && t.negotiated_codecs.iter().any(|c| has_fb(c, "nack", None));
    Some(RecvState {
        id: t.id,
        mid: t.mid.clone()?,
        codecs,
        rtx,
        nack,
        stream: None,
        media: None,
        rtx_ssrc: None,
        dtmf: telephone_events(t),
        detector: DtmfDetector::default(),
        remote: None,
    })
}

/// The negotiated telephone-event payload types and their clock rates.
fn telephone_events(t: &Transceiver) -> Vec<(u8, u32)> {
    t.negotiated_codecs
        .iter()
        .filter(|c| c.encoding_name().eq_ignore_ascii_case("telephone-event"))
        .map(|c| (c.payload_type, c.clock_rate.max(1)))
        .collect()
}

/// Whether an encoded frame can start decoding (for the keyframe counters).
fn is_keyframe(codec: RtpCodec, data: &[u8]) -> bool {
    match codec {
        RtpCodec::Vp8 => data.first().is_some_and(|b| b & 1 == 0),
        RtpCodec::H264 => rtcpeer_rtp::codec::h264_split_annexb(data)
            .iter()
            .any(|nal| nal.first().is_some_and(|b| b & 0x1f == 5)),
        _ => false,
    }
}

/// The wall clock as a 64-bit NTP timestamp.
/// An NTP timestamp as milliseconds since the Unix epoch.
fn ntp_to_unix_ms(ntp: u64) -> f64 {
    let secs = (ntp >> 32) as f64 - 2_208_988_800.0;
    let frac = (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0;
    (secs + frac) * 1e3
}

fn ntp_now() -> u64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() + 2_208_988_800;
    let frac = ((d.subsec_nanos() as u64) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframes_are_recognised() {
        assert!(is_keyframe(RtpCodec::Vp8, &[0x10, 0, 0]));
        assert!(!is_keyframe(RtpCodec::Vp8, &[0x11, 0, 0]));
        assert!(is_keyframe(
            RtpCodec::H264,
            &[0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x65, 2]
        ));
        assert!(!is_keyframe(RtpCodec::H264, &[0, 0, 0, 1, 0x41, 1]));
    }

    #[test]
    fn a_flood_of_ssrcs_keeps_the_routing_table_bounded() {
        let mut m = MediaEngine::new("c".into());
        m.receivers.push(RecvState {
            id: TransceiverId(1),
            mid: "0".into(),
            codecs: vec![(111, RtpCodec::Opus)],
            rtx: Vec::new(),
            nack: false,
            stream: None,
            media: None,
            rtx_ssrc: None,
            dtmf: Vec::new(),
            detector: DtmfDetector::default(),
            remote: None,
        });
        let now = Instant::now();
        let packet = |ssrc: u32| {
            let mut p = vec![0x80, 111, 0, 1, 0, 0, 0, 0];
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend_from_slice(&[1, 2, 3]);
            p
        };
        for ssrc in 0..5 * MAX_LEARNED_SSRCS as u32 {
            m.handle_rtp(now, &packet(ssrc));
            assert!(m.learned_ssrcs() <= MAX_LEARNED_SSRCS);
        }
        let c = m.counters();
        assert!(c.ssrcs_forgotten >= 3 * MAX_LEARNED_SSRCS as u64, "{c:?}");
        assert_eq!(c.rtp_unrouted, 0, "every packet still reached the receiver");
        // The receiver's current SSRC is never forgotten.
        let last = 5 * MAX_LEARNED_SSRCS as u32 - 1;
        assert!(m.ssrcs.contains_key(&last));
    }

    #[test]
    fn garbage_is_counted_not_fatal() {
        let mut m = MediaEngine::new("c".into());
        let now = Instant::now();
        m.handle_rtp(now, &[0x80, 96]);
        m.handle_rtcp(now, &[0x80, 200, 0, 9]);
        m.handle_rtp(now, &[0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 1]);
        let c = m.counters();
        assert_eq!(c.rtp_malformed, 1);
        assert_eq!(c.rtcp_malformed, 1);
        assert_eq!(c.rtp_unrouted, 1);
        assert!(m.poll_event().is_none());
    }
}
