//! rtcpeer: the W3C `RTCPeerConnection` in async Rust, for programs that are
//! not browsers and must talk to browsers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rtcpeer::Error> {
//! use rtcpeer::{Configuration, PeerConnection};
//!
//! let pc = PeerConnection::new(Configuration::default())?;
//! let offer = pc.create_offer(Default::default()).await?;
//! pc.set_local_description(Some(offer)).await?;
//! println!("{}", pc.local_description().unwrap().to_json());
//! # Ok(()) }
//! ```
//!
//! Names follow the W3C interface: methods are the W3C names in snake_case,
//! attributes are getters, events arrive on [`PeerConnection::events`] and on
//! `on_<event>` handlers. Errors carry the W3C exception name
//! ([`Error::kind`]).
#![deny(missing_docs)]

mod datachannel;
pub mod dtmf;
mod handles;
mod mdns;
pub mod media;
mod mux;
mod net;
mod peer;
mod transport;

pub use datachannel::{
    DataChannel, DataChannelEvent, DataChannelEventStream, DataChannelInit, DataChannelState,
    Message,
};
pub use dtmf::{DtmfSenderEvent, DtmfTone, RtcDtmfSender};
pub use mux::UdpMux;
pub use net::{InterfaceFilter, Settings, MAX_ICE_TCP_CONNECTIONS};
pub use transport::{
    DtlsTransport, DtlsTransportEvent, DtlsTransportState, SctpTransport, SctpTransportEvent,
    SctpTransportState, TransportEventStream,
};

/// The ICE agent's types: [`ice::Candidate`], [`ice::CandidatePairStats`], …
pub use rtcpeer_proto::ice;
pub use rtcpeer_proto::media::{Frame, MediaCounters, Sample, TransportFeedback};
/// RTP, RTCP, packetizers and media files (IVF, Ogg Opus, H264 Annex B).
pub use rtcpeer_rtp as rtp;
pub use rtcpeer_rtp::stats::{InboundRtpStats, OutboundRtpStats};

pub use handles::{MediaStream, MediaStreamTrack, RtpReceiver, RtpSender, RtpTransceiver};
pub use peer::{Event, EventStream, PeerConnection, TrackEvent, WeakPeerConnection};
pub use rtcpeer_proto::certificate::{Certificate, CertificateParams};
pub use rtcpeer_proto::codecs::Codec;
pub use rtcpeer_proto::config::{IceUrl, Urls};
pub use rtcpeer_proto::identity;
pub use rtcpeer_proto::stats;
pub use rtcpeer_proto::{
    AnswerOptions, BundlePolicy, Configuration, Direction, Encoding, Error, ErrorDetail, ErrorKind,
    IceCandidateError, IceCandidateInit, IceConnectionState, IceGatheringState, IceServer,
    IceTransportPolicy, MediaKind, OfferOptions, PeerConnectionState, PeerIdentity, Result,
    RtcpMuxPolicy, SdpType, SendParameters as RtpSendParameters, SessionDescription,
    SignalingState, TransceiverInit, WIRE_TRACE_TARGET,
};
