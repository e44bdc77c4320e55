//! Sans-IO RTCPeerConnection core: JSEP, transceivers, DTLS, DCEP, demux, stats.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod certificate;
pub mod dcep;
pub mod dtls;
