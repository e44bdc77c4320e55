//! Handles on the parts of a connection: transceivers, senders, receivers,
//! tracks and streams. Each is an id plus a reference to its connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use rtcpeer_proto::codecs::Codec;
use rtcpeer_proto::transceiver::Track;
use rtcpeer_proto::{Direction, Encoding, MediaKind, Result, TransceiverId};

use std::time::Instant;

use rtcpeer_proto::media::{Frame, Sample};
use rtcpeer_rtp::stats::{InboundRtpStats, OutboundRtpStats};

use crate::peer::Shared;

static NEXT_TRACK: AtomicU64 = AtomicU64::new(1);

/// `MediaStreamTrack`: a local or remote track, by id and kind. Two values
/// are the same track when id and kind are equal (the label is informative).
///
/// A local track is fed encoded frames with [`MediaStreamTrack::write_sample`]
/// (or ready RTP packets with [`MediaStreamTrack::write_rtp`]); they go out on
/// every sender of a connection it was added to that sends it now. A remote
/// track (the `track` event's, or [`RtpReceiver::track`]) is read with
/// [`MediaStreamTrack::read_frame`], [`MediaStreamTrack::read_rtp`] and
/// [`MediaStreamTrack::dtmf_events`], the same as on its receiver.
#[derive(Debug, Clone)]
pub struct MediaStreamTrack {
    id: String,
    kind: MediaKind,
    label: String,
    /// The connections the track was given to (addTrack, addTransceiver,
    /// replaceTrack); which sender sends it is the core's business.
    pcs: Arc<Mutex<Vec<Weak<Shared>>>>,
    /// The receiver of a remote track.
    remote: Option<RtpReceiver>,
}

impl PartialEq for MediaStreamTrack {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id && self.kind == o.kind
    }
}

impl Eq for MediaStreamTrack {}

impl MediaStreamTrack {
    /// A new local track of `kind` with a fresh id.
    pub fn new(kind: MediaKind) -> Self {
        let n = NEXT_TRACK.fetch_add(1, Ordering::Relaxed);
        let mut rnd = [0u8; 8];
        aws_lc_rs::rand::fill(&mut rnd).expect("the system RNG works");
        MediaStreamTrack {
            id: format!("{:016x}-{n}", u64::from_le_bytes(rnd)),
            kind,
            label: format!("{kind} {n}"),
            pcs: Arc::default(),
            remote: None,
        }
    }

    /// A local track with a chosen id.
    pub fn with_id(kind: MediaKind, id: impl Into<String>) -> Self {
        let id = id.into();
        MediaStreamTrack {
            label: id.clone(),
            id,
            kind,
            pcs: Arc::default(),
            remote: None,
        }
    }

    /// `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `kind`.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// `label`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether this is a remote track (one that a receiver produces).
    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// A remote track's next frame ([`RtpReceiver::read_frame`]); `None` at
    /// once for a local track, and once the connection is gone.
    pub async fn read_frame(&self) -> Option<Frame> {
        self.remote.as_ref()?.read_frame().await
    }

    /// A remote track's next RTP packet ([`RtpReceiver::read_rtp`]); `None`
    /// at once for a local track, and once the connection is gone.
    pub async fn read_rtp(&self) -> Option<Vec<u8>> {
        self.remote.as_ref()?.read_rtp().await
    }

    /// The DTMF tones received on a remote audio track
    /// ([`RtpReceiver::dtmf_events`]); `None` for a local track.
    pub fn dtmf_events(&self) -> Option<crate::TransportEventStream<crate::dtmf::DtmfTone>> {
        self.remote.as_ref().map(RtpReceiver::dtmf_events)
    }

    /// Sends one encoded frame (VP8, VP9, AV1 frames; H264 in Annex B; one
    /// Opus/G.711/G.722 packet's worth of audio) on every sender sending
    /// this track. Returns how many senders took it: 0 before the
    /// connection is up (the frame is dropped, as a camera's would be).
    pub fn write_sample(&self, sample: &Sample) -> usize {
        self.each_sender(|core, id| core.send_sample(Instant::now(), id, sample))
    }

    /// Sends a ready RTP packet on every sender sending this track; its
    /// SSRC and payload type are replaced by the negotiated ones.
    pub fn write_rtp(&self, packet: &[u8]) -> usize {
        self.each_sender(|core, id| core.send_rtp(id, packet))
    }

    fn each_sender(
        &self,
        mut f: impl FnMut(&mut rtcpeer_proto::PeerConnection, TransceiverId) -> bool,
    ) -> usize {
        let pcs: Vec<Arc<Shared>> = {
            let mut l = self.pcs.lock().unwrap_or_else(|p| p.into_inner());
            l.retain(|w| w.strong_count() > 0);
            l.iter().filter_map(Weak::upgrade).collect()
        };
        let mut n = 0;
        for pc in pcs {
            let sent = {
                let mut core = pc.core();
                let ids: Vec<TransceiverId> = core
                    .transceivers()
                    .iter()
                    .filter(|t| t.sender.track.as_ref().is_some_and(|tr| tr.id == self.id))
                    .map(|t| t.id)
                    .collect();
                ids.into_iter().filter(|id| f(&mut core, *id)).count()
            };
            if sent > 0 {
                pc.signals.wake.notify_one();
            }
            n += sent;
        }
        n
    }

    /// Remembers that `pc` may send this track.
    pub(crate) fn bind(&self, pc: &Arc<Shared>) {
        let mut l = self.pcs.lock().unwrap_or_else(|p| p.into_inner());
        if !l.iter().any(|w| w.as_ptr() == Arc::as_ptr(pc)) {
            l.push(Arc::downgrade(pc));
        }
    }

    pub(crate) fn to_core(&self) -> Track {
        Track {
            id: self.id.clone(),
            kind: self.kind,
        }
    }

    pub(crate) fn from_core(t: &Track) -> Self {
        MediaStreamTrack::with_id(t.kind, t.id.clone())
    }
}

/// `MediaStream`: a group of tracks, known by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaStream {
    id: String,
    tracks: Vec<MediaStreamTrack>,
}

impl MediaStream {
    /// A new stream with a fresh id and these tracks.
    pub fn new(tracks: Vec<MediaStreamTrack>) -> Self {
        let mut rnd = [0u8; 8];
        aws_lc_rs::rand::fill(&mut rnd).expect("the system RNG works");
        MediaStream {
            id: format!("{:016x}", u64::from_le_bytes(rnd)),
            tracks,
        }
    }

    /// A stream with a chosen id.
    pub fn with_id(id: impl Into<String>, tracks: Vec<MediaStreamTrack>) -> Self {
        MediaStream {
            id: id.into(),
            tracks,
        }
    }

    /// `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `getTracks()`.
    pub fn get_tracks(&self) -> &[MediaStreamTrack] {
        &self.tracks
    }

    /// `addTrack(track)`.
    pub fn add_track(&mut self, track: MediaStreamTrack) {
        if !self.tracks.contains(&track) {
            self.tracks.push(track);
        }
    }
}

/// `RTCRtpTransceiver`.
#[derive(Clone)]
#[doc(alias = "RTCRtpTransceiver")]
pub struct RtpTransceiver {
    pub(crate) pc: Arc<Shared>,
    pub(crate) id: TransceiverId,
}

impl std::fmt::Debug for RtpTransceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpTransceiver")
            .field("id", &self.id)
            .field("mid", &self.mid())
            .finish()
    }
}

impl PartialEq for RtpTransceiver {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.pc, &o.pc) && self.id == o.id
    }
}

impl RtpTransceiver {
    fn read<T>(&self, f: impl FnOnce(&rtcpeer_proto::Transceiver) -> T) -> Option<T> {
        let core = self.pc.core();
        core.transceiver(self.id).map(f)
    }

    /// `mid` (`None` until negotiated).
    pub fn mid(&self) -> Option<String> {
        self.read(|t| t.mid.clone()).flatten()
    }

    /// The kind of media.
    pub fn kind(&self) -> MediaKind {
        self.read(|t| t.kind).unwrap_or(MediaKind::Audio)
    }

    /// `direction` (`stopped` once stopped or stopping, or when removed).
    pub fn direction(&self) -> Direction {
        self.read(|t| t.effective_direction())
            .unwrap_or(Direction::Stopped)
    }

    /// `direction = d`.
    pub fn set_direction(&self, d: Direction) -> Result<()> {
        self.pc.mutate(|c| c.set_direction(self.id, d))
    }

    /// `currentDirection`.
    pub fn current_direction(&self) -> Option<Direction> {
        match self.read(|t| t.current_direction) {
            Some(d) => d,
            None => Some(Direction::Stopped),
        }
    }

    /// `stop()`.
    pub fn stop(&self) -> Result<()> {
        self.pc.mutate(|c| c.stop_transceiver(self.id))
    }

    /// `sender`.
    pub fn sender(&self) -> RtpSender {
        RtpSender {
            pc: self.pc.clone(),
            id: self.id,
        }
    }

    /// `receiver`.
    pub fn receiver(&self) -> RtpReceiver {
        RtpReceiver {
            pc: self.pc.clone(),
            id: self.id,
        }
    }

    /// `setCodecPreferences(codecs)`.
    pub fn set_codec_preferences(&self, codecs: Vec<Codec>) -> Result<()> {
        self.pc.mutate(|c| c.set_codec_preferences(self.id, codecs))
    }
}

/// `RTCRtpSender`.
#[derive(Clone)]
#[doc(alias = "RTCRtpSender")]
pub struct RtpSender {
    pub(crate) pc: Arc<Shared>,
    pub(crate) id: TransceiverId,
}

impl std::fmt::Debug for RtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpSender").field("id", &self.id).finish()
    }
}

impl PartialEq for RtpSender {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.pc, &o.pc) && self.id == o.id
    }
}

impl RtpSender {
    /// `RTCRtpSender.getCapabilities(kind).codecs`: the codecs we can send,
    /// for `set_codec_preferences`.
    pub fn get_capabilities(kind: MediaKind) -> Vec<Codec> {
        rtcpeer_proto::codecs::default_codecs(kind, true)
    }

    /// `track`.
    pub fn track(&self) -> Option<MediaStreamTrack> {
        let core = self.pc.core();
        core.transceiver(self.id)
            .and_then(|t| t.sender.track.as_ref().map(MediaStreamTrack::from_core))
    }

    /// `replaceTrack(track)`.
    pub async fn replace_track(&self, track: Option<MediaStreamTrack>) -> Result<()> {
        if let Some(t) = &track {
            t.bind(&self.pc);
        }
        self.pc
            .mutate(|c| c.replace_track(self.id, track.as_ref().map(MediaStreamTrack::to_core)))
    }

    /// `setStreams(...streams)`.
    pub fn set_streams(&self, streams: &[MediaStream]) -> Result<()> {
        let ids = streams.iter().map(|s| s.id().to_string()).collect();
        self.pc.mutate(|c| c.set_streams(self.id, ids))
    }

    /// The encodings (`getParameters().encodings`).
    pub fn encodings(&self) -> Vec<Encoding> {
        let core = self.pc.core();
        core.transceiver(self.id)
            .map(|t| t.sender.encodings.clone())
            .unwrap_or_default()
    }

    /// `getParameters()`: the encodings, negotiated codecs and header
    /// extensions, with a fresh `transactionId` for [`Self::set_parameters`].
    pub fn get_parameters(&self) -> Result<rtcpeer_proto::SendParameters> {
        self.pc.core().get_send_parameters(self.id)
    }

    /// `setParameters(parameters)`: takes what [`Self::get_parameters`]
    /// returned, with changed encoding fields (`active`, `max_bitrate`,
    /// `max_framerate`, `scale_resolution_down_by`). An encoding made
    /// inactive sends no packets from now on ([`Self::write_sample`] returns
    /// `false`) until made active again. We do not encode, so `max_bitrate`
    /// and the others are kept for the application that feeds the sender.
    /// Errors as the W3C says: `InvalidStateError` without a prior
    /// `get_parameters`, `InvalidModificationError` for another
    /// `transactionId` or changed encodings, codecs or header extensions,
    /// `RangeError` for bad values.
    pub async fn set_parameters(&self, parameters: rtcpeer_proto::SendParameters) -> Result<()> {
        self.pc
            .mutate(|c| c.set_send_parameters(self.id, parameters))
    }

    /// Sends one encoded frame on this sender (see
    /// [`MediaStreamTrack::write_sample`]). `false` when it does not send now.
    pub fn write_sample(&self, sample: &Sample) -> bool {
        let sent = self.pc.core().send_sample(Instant::now(), self.id, sample);
        self.pc.signals.wake.notify_one();
        sent
    }

    /// Sends a ready RTP packet on this sender (SSRC and payload type are
    /// replaced by the negotiated ones). `false` when it does not send now.
    pub fn write_rtp(&self, packet: &[u8]) -> bool {
        let sent = self.pc.core().send_rtp(self.id, packet);
        self.pc.signals.wake.notify_one();
        sent
    }

    /// The codec this sender packetizes for, once negotiated (the first
    /// codec of the answer that we can packetize).
    pub fn codec(&self) -> Option<rtcpeer_rtp::codec::Codec> {
        self.pc.core().send_codec(self.id)
    }

    /// True (once) after the remote asked for a keyframe (PLI or FIR): the
    /// encoder feeding this sender should make one.
    pub fn take_keyframe_request(&self) -> bool {
        self.pc.core().take_keyframe_request(self.id)
    }

    /// `getStats()`: this sender's `outbound-rtp` objects and everything they
    /// refer to (codec, transport, candidate pair, media-source, …).
    pub async fn get_stats(&self) -> crate::Result<crate::stats::StatsReport> {
        let (now, wall) = crate::peer::stats_clock();
        Ok(self.pc.core().get_sender_stats(self.id, now, wall))
    }

    /// The `outbound-rtp` counters, once the sender sends.
    pub fn stats(&self) -> Option<OutboundRtpStats> {
        self.pc.core().sender_stats(self.id)
    }

    /// `dtmf`: the `RTCDTMFSender` of an audio sender (`None` for video).
    pub fn dtmf(&self) -> Option<crate::dtmf::RtcDtmfSender> {
        let kind = self.pc.core().transceiver(self.id).map(|t| t.kind);
        (kind == Some(MediaKind::Audio)).then(|| crate::dtmf::RtcDtmfSender {
            pc: self.pc.clone(),
            id: self.id,
        })
    }

    /// The transceiver this sender belongs to.
    pub fn transceiver(&self) -> RtpTransceiver {
        RtpTransceiver {
            pc: self.pc.clone(),
            id: self.id,
        }
    }
}

/// `RTCRtpReceiver`.
#[derive(Clone)]
#[doc(alias = "RTCRtpReceiver")]
pub struct RtpReceiver {
    pub(crate) pc: Arc<Shared>,
    pub(crate) id: TransceiverId,
}

impl std::fmt::Debug for RtpReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpReceiver").field("id", &self.id).finish()
    }
}

impl RtpReceiver {
    /// The next complete frame from the remote sender, in arrival order
    /// (reassembled by the jitter buffer; NACK and PLI repair losses; video
    /// starts at a keyframe). `None` once the connection is gone.
    ///
    /// Frames wait in a queue of [`crate::media::QUEUE_FRAMES`]; beyond that,
    /// new frames are dropped, so read steadily.
    pub async fn read_frame(&self) -> Option<Frame> {
        let q = self.pc.media_queues(self.id);
        let mut rx = q.frames_rx.lock().await;
        rx.recv().await
    }

    /// The next RTP packet of this receiver, unprotected, as it arrived
    /// (retransmissions included, in their RTX form). Packets wait in a
    /// queue of [`crate::media::QUEUE_PACKETS`]; beyond that, new ones are
    /// dropped.
    pub async fn read_rtp(&self) -> Option<Vec<u8>> {
        let q = self.pc.media_queues(self.id);
        let mut rx = q.rtp_rx.lock().await;
        rx.recv().await
    }

    /// DTMF tones the remote sends on this (audio) receiver as RFC 4733
    /// telephone-events, one per tone when it ends. The first call also
    /// gets the tones received since the connection began.
    pub fn dtmf_events(&self) -> crate::TransportEventStream<crate::dtmf::DtmfTone> {
        self.pc.dtmf.get(self.id).received.subscribe()
    }

    /// A handler for each DTMF tone received (see [`Self::dtmf_events`]).
    pub fn on_dtmf(&self, handler: impl Fn(crate::dtmf::DtmfTone) + Send + Sync + 'static) {
        crate::dtmf::on_received(&self.pc, self.id, handler);
    }

    /// Asks the remote sender for a keyframe (sends a PLI).
    pub fn request_keyframe(&self) {
        self.pc.core().request_keyframe(self.id);
        self.pc.signals.wake.notify_one();
    }

    /// `getStats()`: this receiver's `inbound-rtp` objects and everything
    /// they refer to.
    pub async fn get_stats(&self) -> crate::Result<crate::stats::StatsReport> {
        let (now, wall) = crate::peer::stats_clock();
        Ok(self.pc.core().get_receiver_stats(self.id, now, wall))
    }

    /// The `inbound-rtp` counters, once media arrived.
    pub fn stats(&self) -> Option<InboundRtpStats> {
        self.pc.core().receiver_stats(self.id)
    }

    /// `track` (always present).
    pub fn track(&self) -> MediaStreamTrack {
        let core = self.pc.core();
        core.transceiver(self.id)
            .map(|t| MediaStreamTrack {
                remote: Some(self.clone()),
                ..MediaStreamTrack::from_core(&t.receiver.track)
            })
            .unwrap_or_else(|| MediaStreamTrack::with_id(MediaKind::Audio, "ended"))
    }
}
