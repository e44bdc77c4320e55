//! The async `PeerConnection` handle.
//!
//! The sans-IO core sits behind one short-lived lock shared by every handle of
//! the connection (never held across an `.await`); each call runs the W3C
//! algorithm on the core and then dispatches the events it produced to the
//! `on_*` handlers and the event streams.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use rtcpeer_proto as proto;
use rtcpeer_proto::{
    AnswerOptions, Configuration, Error, IceCandidateError, IceCandidateInit, IceConnectionState,
    IceGatheringState, MediaKind, OfferOptions, PeerConnectionState, Result, SessionDescription,
    SignalingState, TrackOrKind, TransceiverInit,
};
use tokio::sync::mpsc;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use rtcpeer_proto::dcep::ChannelId;

use crate::datachannel::{ChannelShared, DataChannel, DataChannelEvent, DataChannelInit, Message};
use crate::handles::{MediaStream, MediaStreamTrack, RtpReceiver, RtpSender, RtpTransceiver};
use crate::net::{Settings, Signals};
use crate::transport::{
    DtlsTransportEvent, Listeners, SctpTransport, SctpTransportEvent, ERROR, STATE_CHANGE,
};

mod identity;

/// The `track` event.
#[derive(Debug, Clone)]
#[doc(alias = "RTCTrackEvent")]
pub struct TrackEvent {
    /// `transceiver`.
    pub transceiver: RtpTransceiver,
    /// `receiver`.
    pub receiver: RtpReceiver,
    /// `track`.
    pub track: MediaStreamTrack,
    /// `streams`.
    pub streams: Vec<MediaStream>,
}

/// The events of `RTCPeerConnection`, named after the W3C events.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// `signalingstatechange`.
    SignalingStateChange(SignalingState),
    /// `negotiationneeded`.
    NegotiationNeeded,
    /// `track`.
    Track(TrackEvent),
    /// `icecandidate`; `None` is the end of gathering.
    IceCandidate(Option<IceCandidateInit>),
    /// `icegatheringstatechange`.
    IceGatheringStateChange(IceGatheringState),
    /// `iceconnectionstatechange`.
    IceConnectionStateChange(IceConnectionState),
    /// `connectionstatechange`.
    ConnectionStateChange(PeerConnectionState),
    /// `icecandidateerror`: a STUN or TURN server failed (e.g. a TURN
    /// server answered 401, or did not answer: 701).
    IceCandidateError(IceCandidateError),
    /// Legacy `addstream`.
    AddStream(MediaStream),
    /// Legacy `removestream`.
    RemoveStream(MediaStream),
    /// `datachannel`: the peer opened a channel.
    DataChannel(DataChannel),
}

type Handler = Box<dyn Fn(Event) + Send + Sync>;

#[derive(Default)]
struct Handlers {
    all: Vec<(EventFilter, Arc<Handler>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventFilter {
    SignalingStateChange,
    NegotiationNeeded,
    Track,
    IceCandidate,
    IceGatheringStateChange,
    IceConnectionStateChange,
    ConnectionStateChange,
    IceCandidateError,
    AddStream,
    RemoveStream,
    DataChannel,
}

impl EventFilter {
    fn of(e: &Event) -> EventFilter {
        match e {
            Event::SignalingStateChange(_) => EventFilter::SignalingStateChange,
            Event::NegotiationNeeded => EventFilter::NegotiationNeeded,
            Event::Track(_) => EventFilter::Track,
            Event::IceCandidate(_) => EventFilter::IceCandidate,
            Event::IceGatheringStateChange(_) => EventFilter::IceGatheringStateChange,
            Event::IceConnectionStateChange(_) => EventFilter::IceConnectionStateChange,
            Event::ConnectionStateChange(_) => EventFilter::ConnectionStateChange,
            Event::IceCandidateError(_) => EventFilter::IceCandidateError,
            Event::AddStream(_) => EventFilter::AddStream,
            Event::RemoveStream(_) => EventFilter::RemoveStream,
            Event::DataChannel(_) => EventFilter::DataChannel,
        }
    }
}

/// What every handle of one connection shares.
pub(crate) struct Shared {
    core: Mutex<proto::PeerConnection>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Event>>>,
    handlers: Mutex<Handlers>,
    pub(crate) settings: Settings,
    pub(crate) signals: Arc<Signals>,
    pub(crate) actor_started: AtomicBool,
    channels: Mutex<HashMap<ChannelId, Arc<ChannelShared>>>,
    pub(crate) dtls_listeners: Listeners<DtlsTransportEvent>,
    pub(crate) sctp_listeners: Listeners<SctpTransportEvent>,
    /// Wakes whoever waits for a state of the core (e.g. `peer_identity`)
    /// after every API call.
    pub(crate) changed: tokio::sync::Notify,
    media: Mutex<HashMap<proto::TransceiverId, Arc<crate::media::MediaQueues>>>,
    media_closed: AtomicBool,
    pub(crate) dtmf: crate::dtmf::DtmfMap,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last handle is gone: the network actor stops and frees the sockets.
        self.signals.shutdown.notify_one();
    }
}

impl Shared {
    pub(crate) fn core(&self) -> MutexGuard<'_, proto::PeerConnection> {
        // A panic while holding the lock is a bug in this crate; the state is
        // still the last consistent one, so keep serving it.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the core, then dispatch the events it queued.
    pub(crate) fn mutate<T>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut proto::PeerConnection) -> Result<T>,
    ) -> Result<T> {
        let (r, events) = {
            let mut core = self.core();
            let r = f(&mut core);
            let mut events = Vec::new();
            while let Some(e) = core.poll_event() {
                events.push(e);
            }
            (r, events)
        };
        for e in events {
            self.dispatch(e);
        }
        // The network actor sends what the call queued and applies it.
        self.signals.wake.notify_one();
        self.changed.notify_waiters();
        r
    }

    /// The receive queues of a transceiver, made on first use.
    pub(crate) fn media_queues(&self, id: proto::TransceiverId) -> Arc<crate::media::MediaQueues> {
        let closed = self.media_closed.load(std::sync::atomic::Ordering::SeqCst);
        self.media
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_insert_with(|| {
                let q = crate::media::MediaQueues::new();
                if closed {
                    q.close();
                }
                Arc::new(q)
            })
            .clone()
    }

    /// Ends every receive queue (after `close()`).
    pub(crate) fn close_media(&self) {
        self.media_closed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        for q in self
            .media
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            q.close();
        }
    }

    /// Hands received frames and packets to their receivers' queues.
    pub(crate) fn dispatch_media(&self, events: Vec<proto::MediaEvent>) {
        for e in events {
            match e {
                proto::MediaEvent::Frame { transceiver, frame } => {
                    self.media_queues(transceiver).push_frame(frame)
                }
                proto::MediaEvent::Rtp {
                    transceiver,
                    packet,
                } => self.media_queues(transceiver).push_rtp(packet),
                proto::MediaEvent::ToneChange { transceiver, tone } => {
                    crate::dtmf::dispatch_tone_change(self, transceiver, tone)
                }
                proto::MediaEvent::Dtmf { transceiver, tone } => {
                    crate::dtmf::dispatch_received(self, transceiver, tone)
                }
            }
        }
    }

    /// The channel-side state of `id`, made on first use.
    pub(crate) fn channel(self: &Arc<Self>, id: ChannelId) -> DataChannel {
        let chan = self
            .channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_insert_with(ChannelShared::new)
            .clone();
        DataChannel {
            pc: self.clone(),
            id,
            chan,
        }
    }

    fn channel_event(self: &Arc<Self>, id: ChannelId, e: DataChannelEvent) {
        let chan = self
            .channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned();
        if let Some(chan) = chan {
            chan.dispatch(e);
        }
    }

    pub(crate) fn dispatch(self: &Arc<Self>, e: proto::Event) {
        let event = match e {
            proto::Event::SignalingStateChange(s) => Event::SignalingStateChange(s),
            proto::Event::NegotiationNeeded => Event::NegotiationNeeded,
            proto::Event::Track {
                transceiver,
                streams,
            } => {
                let t = RtpTransceiver {
                    pc: self.clone(),
                    id: transceiver,
                };
                let track = t.receiver().track();
                Event::Track(TrackEvent {
                    receiver: t.receiver(),
                    streams: streams
                        .into_iter()
                        .map(|s| MediaStream::with_id(s, vec![track.clone()]))
                        .collect(),
                    track,
                    transceiver: t,
                })
            }
            proto::Event::RemoteTrackRemoved { .. } => return,
            proto::Event::AddStream(id) => Event::AddStream(MediaStream::with_id(id, Vec::new())),
            proto::Event::RemoveStream(id) => {
                Event::RemoveStream(MediaStream::with_id(id, Vec::new()))
            }
            proto::Event::IceCandidate(c) => Event::IceCandidate(c),
            proto::Event::IceGatheringStateChange(s) => Event::IceGatheringStateChange(s),
            proto::Event::IceConnectionStateChange(s) => Event::IceConnectionStateChange(s),
            proto::Event::ConnectionStateChange(s) => Event::ConnectionStateChange(s),
            proto::Event::IceCandidateError(e) => Event::IceCandidateError(e),
            proto::Event::DataChannel(id) => Event::DataChannel(self.channel(id)),
            proto::Event::DataChannelOpen(id) => {
                return self.channel_event(id, DataChannelEvent::Open)
            }
            proto::Event::DataChannelMessage {
                channel,
                binary,
                data,
            } => {
                let m = if binary {
                    Message::Binary(data)
                } else {
                    Message::Text(String::from_utf8_lossy(&data).into_owned())
                };
                return self.channel_event(channel, DataChannelEvent::Message(m));
            }
            proto::Event::DataChannelBufferedAmountLow(id) => {
                return self.channel_event(id, DataChannelEvent::BufferedAmountLow)
            }
            proto::Event::DataChannelError { channel, error } => {
                return self.channel_event(channel, DataChannelEvent::Error(error))
            }
            proto::Event::DataChannelClosing(id) => {
                return self.channel_event(id, DataChannelEvent::Closing)
            }
            proto::Event::DataChannelClose(id) => {
                return self.channel_event(id, DataChannelEvent::Close)
            }
            proto::Event::DtlsStateChange(s) => {
                return self
                    .dtls_listeners
                    .dispatch(STATE_CHANGE, DtlsTransportEvent::StateChange(s))
            }
            proto::Event::DtlsError { detail, message } => {
                return self.dtls_listeners.dispatch(
                    ERROR,
                    DtlsTransportEvent::Error(Error::rtc(detail, message)),
                )
            }
            proto::Event::SctpStateChange(s) => {
                return self
                    .sctp_listeners
                    .dispatch(STATE_CHANGE, SctpTransportEvent::StateChange(s))
            }
            _ => return,
        };
        let filter = EventFilter::of(&event);
        let handlers: Vec<Arc<Handler>> = self
            .handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .all
            .iter()
            .filter(|(f, _)| *f == filter)
            .map(|(_, h)| h.clone())
            .collect();
        for h in handlers {
            h(event.clone());
        }
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| s.send(event.clone()).is_ok());
    }
}

/// A stream of [`Event`]s from one connection (see [`PeerConnection::events`]).
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<Event>,
}

impl EventStream {
    /// The next event; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next event if one is queued now.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}

impl futures_core::Stream for EventStream {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

/// A weak handle to a [`PeerConnection`]: it does not keep the connection
/// (its sockets and tasks) alive.
#[derive(Clone, Debug)]
pub struct WeakPeerConnection {
    shared: std::sync::Weak<Shared>,
}

impl WeakPeerConnection {
    /// The connection, while some [`PeerConnection`] handle still exists.
    pub fn upgrade(&self) -> Option<PeerConnection> {
        self.shared
            .upgrade()
            .map(|shared| PeerConnection { shared })
    }
}

/// `RTCPeerConnection`. Cheap to clone; every clone is the same connection.
#[derive(Clone)]
#[doc(alias = "RTCPeerConnection")]
pub struct PeerConnection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PeerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerConnection")
            .field("signaling_state", &self.signaling_state())
            .finish()
    }
}

macro_rules! handler_setter {
    ($(#[$m:meta])* $name:ident, $filter:ident) => {
        $(#[$m])*
        pub fn $name(&self, handler: impl Fn(Event) + Send + Sync + 'static) {
            self.set_handler(EventFilter::$filter, Box::new(handler));
        }
    };
}

impl PeerConnection {
    /// `new RTCPeerConnection(configuration)`.
    pub fn new(config: Configuration) -> Result<PeerConnection> {
        PeerConnection::with_settings(config, Settings::default())
    }

    /// `new RTCPeerConnection(configuration)` with settings of this library
    /// that the W3C configuration has no member for (which interfaces to
    /// gather on, see [`Settings`]).
    pub fn with_settings(config: Configuration, settings: Settings) -> Result<PeerConnection> {
        let pool = config.ice_candidate_pool_size > 0;
        let mut core = proto::PeerConnection::new(config)?;
        core.set_ice_config(settings.ice_config());
        let pc = PeerConnection {
            shared: Arc::new(Shared {
                core: Mutex::new(core),
                subscribers: Mutex::new(Vec::new()),
                handlers: Mutex::new(Handlers::default()),
                settings,
                signals: Arc::new(Signals::default()),
                actor_started: AtomicBool::new(false),
                channels: Mutex::new(HashMap::new()),
                dtls_listeners: Listeners::new(),
                sctp_listeners: Listeners::new(),
                changed: tokio::sync::Notify::new(),
                media: Mutex::new(HashMap::new()),
                media_closed: AtomicBool::new(false),
                dtmf: Default::default(),
            }),
        };
        pc.start_pool(pool);
        Ok(pc)
    }

    /// `iceCandidatePoolSize` > 0: the network actor starts now and gathers
    /// before the first local description (needs a tokio runtime; outside
    /// one, gathering waits for setLocalDescription as usual).
    fn start_pool(&self, pool: bool) {
        if pool && tokio::runtime::Handle::try_current().is_ok() {
            crate::net::ensure_started(&self.shared);
            self.shared.signals.wake.notify_one();
        }
    }

    /// `sctp`: the SCTP transport, `None` (null) until data channels are
    /// negotiated.
    pub fn sctp(&self) -> Option<SctpTransport> {
        self.shared.core().sctp_state()?;
        Some(SctpTransport {
            pc: self.shared.clone(),
        })
    }

    /// `createDataChannel(label, dataChannelDict)`.
    pub fn create_data_channel(&self, label: &str, init: DataChannelInit) -> Result<DataChannel> {
        let id = self.shared.mutate(|c| c.create_data_channel(label, init))?;
        Ok(self.shared.channel(id))
    }

    /// `sctp.maxMessageSize`: the largest message a channel's `send` takes.
    pub fn max_message_size(&self) -> usize {
        self.shared.core().max_message_size()
    }

    /// `getStats()`: every stats object of the connection, with the
    /// browsers' types, field names and linked ids (see [`crate::stats`]).
    /// Works after `close()` too, as in browsers.
    pub async fn get_stats(&self) -> Result<crate::stats::StatsReport> {
        let (now, wall) = stats_clock();
        Ok(self.shared.core().get_stats(now, wall))
    }

    /// `getStats(selector)`: the stats of the one sender or receiver of
    /// `track` (see [`RtpSender::get_stats`]); InvalidAccessError when no
    /// sender or receiver, or more than one, has the track.
    pub async fn get_stats_for_track(
        &self,
        track: &MediaStreamTrack,
    ) -> Result<crate::stats::StatsReport> {
        let senders: Vec<RtpSender> = self
            .get_senders()
            .into_iter()
            .filter(|s| s.track().is_some_and(|t| t.id() == track.id()))
            .collect();
        let receivers: Vec<RtpReceiver> = self
            .get_receivers()
            .into_iter()
            .filter(|r| r.track().id() == track.id())
            .collect();
        match (senders.as_slice(), receivers.as_slice()) {
            ([s], []) => s.get_stats().await,
            ([], [r]) => r.get_stats().await,
            _ => Err(Error::new(
                rtcpeer_proto::ErrorKind::InvalidAccessError,
                format!(
                    "getStats(track): {} senders and {} receivers have track {}",
                    senders.len(),
                    receivers.len(),
                    track.id()
                ),
            )),
        }
    }

    /// `RTCPeerConnection.generateCertificate(keygenAlgorithm)`.
    pub async fn generate_certificate(
        params: crate::CertificateParams,
    ) -> Result<crate::Certificate> {
        tokio::task::spawn_blocking(move || crate::Certificate::generate(params))
            .await
            .map_err(|e| Error::operation(format!("certificate task failed: {e}")))?
            .map_err(|e| e.into())
    }

    /// A stream of every event from now on. Several streams may be open at
    /// once; each ends when the connection is closed.
    pub fn events(&self) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.shared.core().is_closed() {
            return EventStream { rx };
        }
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        EventStream { rx }
    }

    fn set_handler(&self, filter: EventFilter, h: Handler) {
        let mut hs = self
            .shared
            .handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        hs.all.retain(|(f, _)| *f != filter);
        hs.all.push((filter, Arc::new(h)));
    }

    handler_setter!(
        /// `onsignalingstatechange`.
        on_signaling_state_change, SignalingStateChange);
    handler_setter!(
        /// `onnegotiationneeded`.
        on_negotiation_needed, NegotiationNeeded);
    handler_setter!(
        /// `ontrack`.
        on_track, Track);
    handler_setter!(
        /// `onicecandidate`.
        on_ice_candidate, IceCandidate);
    handler_setter!(
        /// `onicegatheringstatechange`.
        on_ice_gathering_state_change, IceGatheringStateChange);
    handler_setter!(
        /// `oniceconnectionstatechange`.
        on_ice_connection_state_change, IceConnectionStateChange);
    handler_setter!(
        /// `onconnectionstatechange`.
        on_connection_state_change, ConnectionStateChange);
    handler_setter!(
        /// `onicecandidateerror`.
        on_ice_candidate_error, IceCandidateError);
    handler_setter!(
        /// Legacy `onaddstream`.
        on_add_stream, AddStream);
    handler_setter!(
        /// Legacy `onremovestream`.
        on_remove_stream, RemoveStream);
    handler_setter!(
        /// `ondatachannel`.
        on_data_channel, DataChannel);

    fn op<T>(&self, f: impl FnOnce(&mut proto::PeerConnection) -> Result<T>) -> Result<T> {
        self.shared.mutate(|c| {
            c.begin_operation();
            let r = f(c);
            c.end_operation();
            r
        })
    }

    /// `createOffer(options)`.
    pub async fn create_offer(&self, options: OfferOptions) -> Result<SessionDescription> {
        self.op(|c| c.create_offer(&options))
    }

    /// `createAnswer(options)`.
    pub async fn create_answer(&self, options: AnswerOptions) -> Result<SessionDescription> {
        self.op(|c| c.create_answer(&options))
    }

    /// `setLocalDescription(description)`; `None` creates the offer or answer itself.
    pub async fn set_local_description(
        &self,
        description: Option<SessionDescription>,
    ) -> Result<()> {
        self.op(|c| c.set_local_description(description))?;
        crate::net::ensure_started(&self.shared);
        Ok(())
    }

    /// `setRemoteDescription(description)`.
    pub async fn set_remote_description(&self, description: SessionDescription) -> Result<()> {
        self.op(|c| c.set_remote_description(description))
    }

    /// `addIceCandidate(candidate)`; `None` means end of candidates.
    pub async fn add_ice_candidate(&self, candidate: Option<IceCandidateInit>) -> Result<()> {
        self.op(|c| c.add_ice_candidate(candidate).map(|_| ()))
    }

    /// `restartIce()`.
    pub fn restart_ice(&self) -> Result<()> {
        self.shared.mutate(|c| c.restart_ice())
    }

    /// Test hook: drop `percent` % of the RTP media packets we receive
    /// (chosen by a generator seeded with `seed`), as a lossy network would,
    /// to exercise NACK and RTX repair. 0 turns it off.
    #[doc(hidden)]
    pub fn set_test_receive_loss(&self, percent: u32, seed: u64) {
        self.shared.core().set_receive_loss(percent, seed);
    }

    /// What the remote's transport-wide CC feedback (RTCP RTPFB 15) said
    /// about the RTP packets we sent: how many were numbered, reported
    /// received, reported lost.
    pub fn transport_feedback(&self) -> rtcpeer_proto::media::TransportFeedback {
        self.shared.core().transport_feedback()
    }

    /// Dropped media input (malformed, unroutable, unsupported packets).
    pub fn media_counters(&self) -> crate::MediaCounters {
        self.shared.core().media_counters()
    }

    /// Dropped transport input: datagrams of no protocol, SRTP that failed,
    /// refused remote candidates, refused ICE-TCP connections.
    pub fn transport_counters(&self) -> rtcpeer_proto::transport::TransportCounters {
        self.shared.core().transport().counters()
    }

    /// `addTrack(track, ...streams)`.
    pub fn add_track(
        &self,
        track: &MediaStreamTrack,
        streams: &[MediaStream],
    ) -> Result<RtpSender> {
        let ids = streams.iter().map(|s| s.id().to_string()).collect();
        let id = self.shared.mutate(|c| c.add_track(track.to_core(), ids))?;
        track.bind(&self.shared);
        Ok(RtpSender {
            pc: self.shared.clone(),
            id,
        })
    }

    /// `removeTrack(sender)`.
    pub fn remove_track(&self, sender: &RtpSender) -> Result<()> {
        if !Arc::ptr_eq(&sender.pc, &self.shared) {
            return Err(Error::invalid_access(
                "the sender belongs to another connection",
            ));
        }
        self.shared.mutate(|c| c.remove_track(sender.id))
    }

    /// `addTransceiver(kind, init)`.
    pub fn add_transceiver_with_kind(
        &self,
        kind: MediaKind,
        init: TransceiverInit,
    ) -> Result<RtpTransceiver> {
        let id = self
            .shared
            .mutate(|c| c.add_transceiver(TrackOrKind::Kind(kind), init))?;
        Ok(RtpTransceiver {
            pc: self.shared.clone(),
            id,
        })
    }

    /// `addTransceiver(track, init)`.
    pub fn add_transceiver_with_track(
        &self,
        track: &MediaStreamTrack,
        init: TransceiverInit,
    ) -> Result<RtpTransceiver> {
        let id = self
            .shared
            .mutate(|c| c.add_transceiver(TrackOrKind::Track(track.to_core()), init))?;
        track.bind(&self.shared);
        Ok(RtpTransceiver {
            pc: self.shared.clone(),
            id,
        })
    }

    /// `getTransceivers()`.
    pub fn get_transceivers(&self) -> Vec<RtpTransceiver> {
        let ids: Vec<_> = self
            .shared
            .core()
            .transceivers()
            .iter()
            .map(|t| t.id)
            .collect();
        ids.into_iter()
            .map(|id| RtpTransceiver {
                pc: self.shared.clone(),
                id,
            })
            .collect()
    }

    /// `getSenders()`.
    pub fn get_senders(&self) -> Vec<RtpSender> {
        self.get_transceivers().iter().map(|t| t.sender()).collect()
    }

    /// `getReceivers()`.
    pub fn get_receivers(&self) -> Vec<RtpReceiver> {
        self.get_transceivers()
            .iter()
            .map(|t| t.receiver())
            .collect()
    }

    /// `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.shared.core().signaling_state()
    }

    /// `iceGatheringState`.
    pub fn ice_gathering_state(&self) -> IceGatheringState {
        self.shared.core().ice_gathering_state()
    }

    /// `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.shared.core().ice_connection_state()
    }

    /// `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.shared.core().connection_state()
    }

    /// The ICE agent's candidate pairs with their check state and counters
    /// (what `getStats()`'s `candidate-pair` entries are made of); empty
    /// before ICE starts.
    pub fn ice_candidate_pairs(&self) -> Vec<crate::ice::CandidatePairStats> {
        let core = self.shared.core();
        core.transport()
            .ice()
            .map(|i| i.pair_stats())
            .unwrap_or_default()
    }

    /// The candidate pair carrying data (local, remote), once ICE selected one.
    pub fn selected_candidate_pair(
        &self,
    ) -> Option<(crate::ice::Candidate, crate::ice::Candidate)> {
        let core = self.shared.core();
        let (l, r) = core.transport().ice()?.selected_candidates()?;
        Some((l.clone(), r.clone()))
    }

    /// The ICE agent's current generation (0, one more per ICE restart) and
    /// the generation of the selected pair: they differ while a restart has
    /// not selected a new pair yet (the old one carries the data meanwhile).
    /// `None` before ICE starts.
    pub fn ice_generations(&self) -> Option<(u32, Option<u32>)> {
        let core = self.shared.core();
        let ice = core.transport().ice()?;
        Some((ice.current_generation(), ice.selected_generation()))
    }

    /// Our ICE candidates (host, server-reflexive, relayed) as the agent has
    /// them, and the remote ones it knows (peer-reflexive included).
    pub fn ice_candidates(&self) -> (Vec<crate::ice::Candidate>, Vec<crate::ice::Candidate>) {
        let core = self.shared.core();
        match core.transport().ice() {
            Some(i) => (i.local_candidates(), i.remote_candidates()),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// `canTrickleIceCandidates` (`None` before a remote description).
    pub fn can_trickle_ice_candidates(&self) -> Option<bool> {
        self.shared.core().can_trickle_ice_candidates()
    }

    /// `localDescription`.
    pub fn local_description(&self) -> Option<SessionDescription> {
        self.shared.core().local_description()
    }

    /// `currentLocalDescription`.
    pub fn current_local_description(&self) -> Option<SessionDescription> {
        self.shared.core().current_local_description()
    }

    /// `pendingLocalDescription`.
    pub fn pending_local_description(&self) -> Option<SessionDescription> {
        self.shared.core().pending_local_description()
    }

    /// `remoteDescription`.
    pub fn remote_description(&self) -> Option<SessionDescription> {
        self.shared.core().remote_description()
    }

    /// `currentRemoteDescription`.
    pub fn current_remote_description(&self) -> Option<SessionDescription> {
        self.shared.core().current_remote_description()
    }

    /// `pendingRemoteDescription`.
    pub fn pending_remote_description(&self) -> Option<SessionDescription> {
        self.shared.core().pending_remote_description()
    }

    /// `getConfiguration()`.
    pub fn get_configuration(&self) -> Configuration {
        self.shared.core().get_configuration()
    }

    /// `setConfiguration(configuration)`.
    pub fn set_configuration(&self, config: Configuration) -> Result<()> {
        let pool = config.ice_candidate_pool_size > 0;
        self.shared.mutate(|c| c.set_configuration(config))?;
        self.start_pool(pool);
        Ok(())
    }

    /// `close()`. Every [`PeerConnection::events`] stream ends afterwards
    /// (a closed connection fires no more events), which also ends loops
    /// that were reading them.
    pub fn close(&self) {
        let _ = self.shared.mutate(|c| {
            c.close();
            Ok(())
        });
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        // Readers of frames and packets get `None` once their queue drains.
        self.shared.close_media();
        self.shared.dtmf.clear();
    }

    /// Legacy `createDTMFSender(track)`: the `RTCDTMFSender` of the sender
    /// that sends `track` (an audio track given to `add_track` or
    /// `add_stream`). `SyntaxError` when no sender has it,
    /// `InvalidAccessError` for a video track.
    #[deprecated(note = "use RtpSender::dtmf")]
    pub fn create_dtmf_sender(
        &self,
        track: &MediaStreamTrack,
    ) -> Result<crate::dtmf::RtcDtmfSender> {
        if track.kind() != proto::MediaKind::Audio {
            return Err(Error::invalid_access("DTMF is sent on audio tracks only"));
        }
        let sender = self
            .get_senders()
            .into_iter()
            .find(|s| s.track().as_ref() == Some(track))
            .ok_or_else(|| {
                Error::new(
                    proto::ErrorKind::SyntaxError,
                    "the track is not sent on this connection",
                )
            })?;
        Ok(crate::dtmf::RtcDtmfSender {
            pc: self.shared.clone(),
            id: sender.id,
        })
    }

    /// A handle that does not keep the connection alive (for callbacks and
    /// tasks that refer back to it); see [`WeakPeerConnection::upgrade`].
    pub fn downgrade(&self) -> WeakPeerConnection {
        WeakPeerConnection {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Legacy `addStream(stream)`: `addTrack` for each of its tracks.
    #[deprecated(note = "use add_track")]
    pub fn add_stream(&self, stream: &MediaStream) -> Result<()> {
        for t in stream.get_tracks() {
            let already = self
                .get_senders()
                .iter()
                .any(|s| s.track().as_ref() == Some(t));
            if !already {
                self.add_track(t, std::slice::from_ref(stream))?;
            }
        }
        Ok(())
    }

    /// Legacy `removeStream(stream)`: `removeTrack` for each sender of its tracks.
    #[deprecated(note = "use remove_track")]
    pub fn remove_stream(&self, stream: &MediaStream) -> Result<()> {
        for s in self.get_senders() {
            if s.track().is_some_and(|t| stream.get_tracks().contains(&t)) {
                self.remove_track(&s)?;
            }
        }
        Ok(())
    }

    /// Legacy callback form of `createOffer`.
    #[deprecated(note = "use create_offer")]
    pub fn create_offer_with_callbacks(
        &self,
        success: impl FnOnce(SessionDescription) + Send + 'static,
        failure: impl FnOnce(Error) + Send + 'static,
        options: OfferOptions,
    ) {
        let pc = self.clone();
        spawn_with_callbacks(
            async move { pc.create_offer(options).await },
            success,
            failure,
        );
    }

    /// Legacy callback form of `createAnswer`.
    #[deprecated(note = "use create_answer")]
    pub fn create_answer_with_callbacks(
        &self,
        success: impl FnOnce(SessionDescription) + Send + 'static,
        failure: impl FnOnce(Error) + Send + 'static,
    ) {
        let pc = self.clone();
        spawn_with_callbacks(
            async move { pc.create_answer(AnswerOptions::default()).await },
            success,
            failure,
        );
    }

    /// Legacy callback form of `setLocalDescription`.
    #[deprecated(note = "use set_local_description")]
    pub fn set_local_description_with_callbacks(
        &self,
        description: SessionDescription,
        success: impl FnOnce() + Send + 'static,
        failure: impl FnOnce(Error) + Send + 'static,
    ) {
        let pc = self.clone();
        spawn_with_callbacks(
            async move { pc.set_local_description(Some(description)).await },
            move |()| success(),
            failure,
        );
    }

    /// Legacy callback form of `setRemoteDescription`.
    #[deprecated(note = "use set_remote_description")]
    pub fn set_remote_description_with_callbacks(
        &self,
        description: SessionDescription,
        success: impl FnOnce() + Send + 'static,
        failure: impl FnOnce(Error) + Send + 'static,
    ) {
        let pc = self.clone();
        spawn_with_callbacks(
            async move { pc.set_remote_description(description).await },
            move |()| success(),
            failure,
        );
    }

    /// Legacy callback form of `addIceCandidate`.
    #[deprecated(note = "use add_ice_candidate")]
    pub fn add_ice_candidate_with_callbacks(
        &self,
        candidate: IceCandidateInit,
        success: impl FnOnce() + Send + 'static,
        failure: impl FnOnce(Error) + Send + 'static,
    ) {
        let pc = self.clone();
        spawn_with_callbacks(
            async move { pc.add_ice_candidate(Some(candidate)).await },
            move |()| success(),
            failure,
        );
    }
}

/// Run an operation and report its outcome to one of two callbacks (the
/// deprecated callback forms of the W3C methods).
fn spawn_with_callbacks<T: Send + 'static>(
    op: impl std::future::Future<Output = Result<T>> + Send + 'static,
    success: impl FnOnce(T) + Send + 'static,
    failure: impl FnOnce(Error) + Send + 'static,
) {
    tokio::spawn(async move {
        match op.await {
            Ok(v) => success(v),
            Err(e) => failure(e),
        }
    });
}

/// The clock pair the stats are taken at: the core's monotonic `now` and the
/// wall clock in milliseconds since the Unix epoch.
pub(crate) fn stats_clock() -> (std::time::Instant, f64) {
    let now = std::time::Instant::now();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1e3)
        .unwrap_or(0.0);
    (now, wall)
}
