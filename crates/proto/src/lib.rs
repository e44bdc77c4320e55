//! Sans-IO RTCPeerConnection core: JSEP, transceivers, DTLS, DCEP, demux, stats.
//!
//! Nothing here touches sockets, clocks or tasks: the async `rtcpeer` crate
//! owns one [`PeerConnection`] per connection and drives it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod base64;
pub mod certificate;
pub mod codecs;
pub mod config;
pub mod dcep;
pub mod description;
pub mod dtls;
pub mod dtmf;
pub mod error;
pub mod identity;
pub mod jsep;
pub mod media;
mod peer;
pub mod stats;
pub mod transceiver;
pub mod transport;

pub use config::{BundlePolicy, Configuration, IceServer, IceTransportPolicy, RtcpMuxPolicy};
pub use description::{
    Direction, IceCandidateInit, IceConnectionState, IceGatheringState, MediaKind,
    PeerConnectionState, SdpType, SessionDescription, SignalingState,
};
pub use error::{Error, ErrorDetail, ErrorKind, Result};
pub use media::{Frame, MediaEvent, Sample};
pub use peer::{
    AnswerOptions, DtlsRole, Event, OfferOptions, PeerConnection, PeerIdentity, TrackOrKind,
    TransceiverInit, TransportParameters, MAX_MESSAGE_SIZE,
};
pub use transceiver::{Encoding, SendParameters, Track, Transceiver, TransceiverId};
pub use transport::CandidateError as IceCandidateError;
pub use transport::WIRE_TRACE_TARGET;

/// The sans-IO ICE agent the transport runs (its configuration, candidate
/// and stats types).
pub use rtcpeer_ice as ice;
