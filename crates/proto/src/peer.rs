//! The sans-IO `RTCPeerConnection` core: signaling state, descriptions,
//! transceivers and events. The async `rtcpeer` crate runs one of these per
//! connection inside its actor; every W3C method is a plain call here.

use std::collections::VecDeque;

use crate::certificate::{Certificate, CertificateParams};
use crate::codecs::{self, Codec, HeaderExtension};
use crate::config::{BundlePolicy, Configuration};
use crate::dcep::ChannelId;
use crate::description::{
    Direction, IceCandidateInit, IceConnectionState, IceGatheringState, MediaKind,
    PeerConnectionState, SdpType, SessionDescription, SignalingState,
};
use crate::error::{Error, ErrorKind, Result};
use crate::jsep::summary::{self, SectionKind, Setup, Summary};
use crate::jsep::writer::{self, SectionPlan, SessionParams, TransportParams};
use crate::jsep::Slot;
use crate::transceiver::{
    validate_send_encodings, Encoding, Receiver, Sender, Track, Transceiver, TransceiverId,
};
use crate::transport::Transport;

/// `RTCOfferOptions` (with the legacy members).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferOptions {
    /// Make new ICE credentials (an ICE restart).
    pub ice_restart: bool,
    /// Legacy: ensure (true) or stop (false) receiving audio.
    pub offer_to_receive_audio: Option<bool>,
    /// Legacy: ensure (true) or stop (false) receiving video.
    pub offer_to_receive_video: Option<bool>,
    /// Offer comfort noise (voice activity detection); `None` means true.
    pub voice_activity_detection: Option<bool>,
}

/// `RTCAnswerOptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerOptions {
    /// Use comfort noise when the offer has it; `None` means true.
    pub voice_activity_detection: Option<bool>,
}

/// `RTCRtpTransceiverInit`.
#[derive(Debug, Clone, Default)]
pub struct TransceiverInit {
    /// The direction (sendrecv when `None`).
    pub direction: Option<Direction>,
    /// The stream ids the sender's track belongs to.
    pub streams: Vec<String>,
    /// Encodings (simulcast layers).
    pub send_encodings: Vec<Encoding>,
}

/// What `add_transceiver` is given: a track, or a kind.
#[derive(Debug, Clone)]
pub enum TrackOrKind {
    /// A local track.
    Track(Track),
    /// A kind; the sender has no track.
    Kind(MediaKind),
}

/// Events of the W3C interface, queued for the caller to drain with
/// [`PeerConnection::poll_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `signalingstatechange`.
    SignalingStateChange(SignalingState),
    /// `negotiationneeded`.
    NegotiationNeeded,
    /// `track`: the transceiver's receiver has a track from the remote side.
    Track {
        /// The transceiver.
        transceiver: TransceiverId,
        /// The remote stream ids.
        streams: Vec<String>,
    },
    /// The receiving track of a transceiver ended (remote stopped sending): the `mute`/`removetrack` path.
    RemoteTrackRemoved {
        /// The transceiver.
        transceiver: TransceiverId,
        /// The remote stream ids it was in.
        streams: Vec<String>,
    },
    /// Legacy `addstream`.
    AddStream(String),
    /// Legacy `removestream`.
    RemoveStream(String),
    /// `icecandidate` (`None` is the end-of-candidates event).
    IceCandidate(Option<IceCandidateInit>),
    /// `icegatheringstatechange`.
    IceGatheringStateChange(IceGatheringState),
    /// `iceconnectionstatechange`.
    IceConnectionStateChange(IceConnectionState),
    /// `connectionstatechange`.
    ConnectionStateChange(PeerConnectionState),
    /// `icecandidateerror`: a STUN or TURN server failed.
    IceCandidateError(crate::transport::CandidateError),
    /// `datachannel`: the peer opened a channel (already open).
    DataChannel(ChannelId),
    /// A channel's `open` event.
    DataChannelOpen(ChannelId),
    /// A channel's `message` event.
    DataChannelMessage {
        /// The channel.
        channel: ChannelId,
        /// Binary (`ArrayBuffer`) or string.
        binary: bool,
        /// The payload (UTF-8 for strings).
        data: Vec<u8>,
    },
    /// A channel's `bufferedamountlow` event.
    DataChannelBufferedAmountLow(ChannelId),
    /// A channel's `error` event (`RTCErrorEvent`), with the error name or detail.
    DataChannelError {
        /// The channel.
        channel: ChannelId,
        /// Error name or `errorDetail`.
        error: &'static str,
    },
    /// A channel's `closing` event.
    DataChannelClosing(ChannelId),
    /// A channel's `close` event.
    DataChannelClose(ChannelId),
    /// `RTCDtlsTransport` `statechange`.
    DtlsStateChange(crate::dtls::DtlsState),
    /// `RTCDtlsTransport` `error` (an `RTCErrorEvent`), fired before the
    /// `statechange` to failed.
    DtlsError {
        /// `RTCError.errorDetail`: `fingerprint-failure` or `dtls-failure`.
        detail: crate::error::ErrorDetail,
        /// The error message.
        message: String,
    },
    /// `RTCSctpTransport` `statechange`.
    SctpStateChange(crate::transport::SctpTransportState),
}

#[derive(Debug, Clone)]
struct Applied {
    desc: SessionDescription,
    summary: Summary,
    layout: Vec<Slot>,
}

#[derive(Debug, Clone)]
struct Created {
    sdp: String,
    layout: Vec<Slot>,
    mids: Vec<String>,
    ice: (String, String),
}

/// A snapshot taken before applying a remote offer, restored by rollback.
#[derive(Debug, Clone)]
struct Snapshot {
    transceivers: Vec<Transceiver>,
    data_mid: Option<String>,
}

/// The DTLS role negotiated for the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtlsRole {
    /// DTLS client (`a=setup:active` on our side).
    Client,
    /// DTLS server (`a=setup:passive` on our side).
    Server,
}

/// What the transport layer needs once a description pair is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportParameters {
    /// Remote ICE ufrag.
    pub remote_ufrag: String,
    /// Remote ICE password.
    pub remote_pwd: String,
    /// The remote side is ICE-lite.
    pub remote_ice_lite: bool,
    /// Remote fingerprints: (algorithm, bytes).
    pub remote_fingerprints: Vec<(String, Vec<u8>)>,
    /// Our DTLS role.
    pub dtls_role: DtlsRole,
    /// We are ICE controlling (we made the offer, or the remote is lite).
    pub ice_controlling: bool,
    /// Remote SCTP port and max message size, when data channels are negotiated.
    pub sctp: Option<(u16, u64)>,
}

const SCTP_PORT: u16 = 5000;
/// The max-message-size we announce.
pub const MAX_MESSAGE_SIZE: u64 = 262_144;
const ICE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).expect("the system RNG works");
    u64::from_le_bytes(b)
}

pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut b = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut b).expect("the system RNG works");
    b.iter()
        .map(|x| alphabet[*x as usize % alphabet.len()] as char)
        .collect()
}

/// The sans-IO `RTCPeerConnection`.
#[derive(Debug)]
pub struct PeerConnection {
    config: Configuration,
    certificate: Certificate,
    fingerprint: (String, String),
    signaling_state: SignalingState,
    closed: bool,
    transceivers: Vec<Transceiver>,
    current_local: Option<Applied>,
    pending_local: Option<Applied>,
    current_remote: Option<Applied>,
    pending_remote: Option<Applied>,
    last_offer: Option<Created>,
    last_answer: Option<Created>,
    ice_ufrag: String,
    ice_pwd: String,
    pending_ice_restart: bool,
    session_id: u64,
    session_version: u64,
    data_wanted: bool,
    data_mid: Option<String>,
    negotiation_needed: bool,
    ops_in_progress: u32,
    update_on_empty_chain: bool,
    events: VecDeque<Event>,
    dtls_role: Option<DtlsRole>,
    gathering_state: IceGatheringState,
    ice_connection_state: IceConnectionState,
    connection_state: PeerConnectionState,
    local_candidates: Vec<String>,
    gathering_complete: bool,
    remote_candidates: Vec<(usize, String)>,
    remote_end_of_candidates: bool,
    rollback_snapshot: Option<Snapshot>,
    gathering_requested: bool,
    /// iceCandidatePoolSize: candidates gathered before the first local
    /// description, signaled when it is applied.
    pooled_candidates: Vec<String>,
    /// Host addresses signaled as mDNS names instead (`<uuid>.local`).
    local_host_names: std::collections::HashMap<std::net::IpAddr, String>,
    /// The pool's gathering completed before the first local description.
    pooled_complete: bool,
    /// ICE was started for the pool, its role still to be set.
    pool_role_pending: bool,
    ice_restart_requested: bool,
    next_transceiver_id: u32,
    cname: String,
    identity: identity::IdentityState,
    transport: Transport,
    remote_candidates_dirty: bool,
    media: crate::media::MediaEngine,
}

impl PeerConnection {
    /// `new RTCPeerConnection(configuration)`.
    ///
    /// Fails with the W3C errors for a bad configuration, and with
    /// `NotReadableError` when no certificate can be made.
    pub fn new(config: Configuration) -> Result<PeerConnection> {
        config.validate()?;
        let certificate = match config.certificates.first() {
            Some(c) => c.clone(),
            None => Certificate::generate(CertificateParams::default()).map_err(|e| {
                Error::new(
                    ErrorKind::NotReadableError,
                    format!("no certificate could be made: {e}"),
                )
            })?,
        };
        let fingerprint = certificate
            .get_fingerprints()
            .into_iter()
            .find(|f| f.algorithm == "sha-256")
            .map(|f| (f.algorithm, f.value.to_ascii_uppercase()))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotReadableError,
                    "certificate has no sha-256 fingerprint",
                )
            })?;
        let cname = random_string(16, &ICE_CHARS[..62]);
        Ok(PeerConnection {
            config,
            fingerprint,
            signaling_state: SignalingState::Stable,
            closed: false,
            transceivers: Vec::new(),
            current_local: None,
            pending_local: None,
            current_remote: None,
            pending_remote: None,
            last_offer: None,
            last_answer: None,
            ice_ufrag: random_string(4, &ICE_CHARS[..62]),
            ice_pwd: random_string(24, ICE_CHARS),
            pending_ice_restart: false,
            session_id: random_u64() >> 2,
            session_version: 1,
            data_wanted: false,
            data_mid: None,
            negotiation_needed: false,
            ops_in_progress: 0,
            update_on_empty_chain: false,
            events: VecDeque::new(),
            dtls_role: None,
            gathering_state: IceGatheringState::New,
            ice_connection_state: IceConnectionState::New,
            connection_state: PeerConnectionState::New,
            local_candidates: Vec::new(),
            gathering_complete: false,
            remote_candidates: Vec::new(),
            remote_end_of_candidates: false,
            rollback_snapshot: None,
            gathering_requested: false,
            pooled_candidates: Vec::new(),
            local_host_names: Default::default(),
            pooled_complete: false,
            pool_role_pending: false,
            ice_restart_requested: false,
            next_transceiver_id: 0,
            cname: cname.clone(),
            identity: Default::default(),
            transport: Transport::new(certificate.clone()),
            remote_candidates_dirty: false,
            media: crate::media::MediaEngine::new(cname),
            certificate,
        })
    }

    // ----- attributes -----

    /// `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.signaling_state
    }

    /// `iceGatheringState`.
    pub fn ice_gathering_state(&self) -> IceGatheringState {
        self.gathering_state
    }

    /// `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_connection_state
    }

    /// `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.connection_state
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The certificate in use.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Our sha-256 fingerprint as written in SDP.
    pub fn local_fingerprint(&self) -> &(String, String) {
        &self.fingerprint
    }

    /// Our ICE credentials (ufrag, password).
    pub fn local_ice_credentials(&self) -> (&str, &str) {
        (&self.ice_ufrag, &self.ice_pwd)
    }

    /// `canTrickleIceCandidates`: unknown (`None`) until a remote description is set.
    pub fn can_trickle_ice_candidates(&self) -> Option<bool> {
        self.remote_applied().map(|a| a.summary.trickle())
    }

    /// `localDescription` (pending if any, else current), with the candidates gathered so far.
    pub fn local_description(&self) -> Option<SessionDescription> {
        self.pending_local
            .as_ref()
            .or(self.current_local.as_ref())
            .map(|a| self.with_local_candidates(a))
    }

    /// `currentLocalDescription`.
    pub fn current_local_description(&self) -> Option<SessionDescription> {
        self.current_local
            .as_ref()
            .map(|a| self.with_local_candidates(a))
    }

    /// `pendingLocalDescription`.
    pub fn pending_local_description(&self) -> Option<SessionDescription> {
        self.pending_local
            .as_ref()
            .map(|a| self.with_local_candidates(a))
    }

    /// `remoteDescription` (pending if any, else current), with added candidates.
    pub fn remote_description(&self) -> Option<SessionDescription> {
        self.remote_applied()
            .map(|a| self.with_remote_candidates(a))
    }

    /// `currentRemoteDescription`.
    pub fn current_remote_description(&self) -> Option<SessionDescription> {
        self.current_remote
            .as_ref()
            .map(|a| self.with_remote_candidates(a))
    }

    /// `pendingRemoteDescription`.
    pub fn pending_remote_description(&self) -> Option<SessionDescription> {
        self.pending_remote
            .as_ref()
            .map(|a| self.with_remote_candidates(a))
    }

    fn remote_applied(&self) -> Option<&Applied> {
        self.pending_remote
            .as_ref()
            .or(self.current_remote.as_ref())
    }

    fn local_applied(&self) -> Option<&Applied> {
        self.pending_local.as_ref().or(self.current_local.as_ref())
    }

    /// `getConfiguration()`.
    pub fn get_configuration(&self) -> Configuration {
        let mut c = self.config.clone();
        if c.certificates.is_empty() {
            c.certificates = vec![self.certificate.clone()];
        }
        c
    }

    /// `setConfiguration()`, with the spec's `InvalidModificationError` cases.
    pub fn set_configuration(&mut self, config: Configuration) -> Result<()> {
        self.check_open()?;
        if !config.certificates.is_empty() {
            let same = config.certificates.len() == self.get_configuration().certificates.len()
                && config
                    .certificates
                    .iter()
                    .zip(self.get_configuration().certificates.iter())
                    .all(|(a, b)| a.get_fingerprints() == b.get_fingerprints());
            if !same {
                return Err(Error::invalid_modification(
                    "certificates cannot be changed",
                ));
            }
        }
        if config.bundle_policy != self.config.bundle_policy {
            return Err(Error::invalid_modification(
                "bundlePolicy cannot be changed",
            ));
        }
        if config.rtcp_mux_policy != self.config.rtcp_mux_policy {
            return Err(Error::invalid_modification(
                "rtcpMuxPolicy cannot be changed",
            ));
        }
        if config.ice_candidate_pool_size != self.config.ice_candidate_pool_size
            && self.local_applied().is_some()
        {
            return Err(Error::invalid_modification(
                "iceCandidatePoolSize cannot be changed after setLocalDescription",
            ));
        }
        if config.peer_identity.is_some() && config.peer_identity != self.config.peer_identity {
            return Err(Error::invalid_modification(
                "peerIdentity cannot be changed",
            ));
        }
        config.validate()?;
        let certificates = std::mem::take(&mut self.config.certificates);
        let peer_identity = self.config.peer_identity.clone();
        self.config = config;
        self.config.certificates = certificates;
        self.config.peer_identity = peer_identity;
        Ok(())
    }

    /// The transceivers in creation order (`getTransceivers()`), stopped ones included
    /// until they are removed.
    pub fn transceivers(&self) -> &[Transceiver] {
        &self.transceivers
    }

    /// One transceiver.
    pub fn transceiver(&self, id: TransceiverId) -> Option<&Transceiver> {
        self.transceivers.iter().find(|t| t.id == id)
    }

    fn transceiver_mut(&mut self, id: TransceiverId) -> Result<&mut Transceiver> {
        self.transceivers
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| Error::invalid_access("unknown transceiver"))
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(Error::closed())
        } else {
            Ok(())
        }
    }

    fn set_signaling_state(&mut self, s: SignalingState) {
        if self.signaling_state != s {
            self.signaling_state = s;
            self.events.push_back(Event::SignalingStateChange(s));
        }
    }
}

mod apply;
mod datachannel;
mod identity;
mod media;
mod negotiation;
mod offer_answer;
mod stats;
pub use identity::PeerIdentity;
mod rtp;
