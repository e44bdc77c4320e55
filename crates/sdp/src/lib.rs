//! SDP (RFC 8866) model, parser and writer with the attributes WebRTC uses.
//!
//! ```
//! use rtcpeer_sdp::{SessionDescription, Direction};
//!
//! let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
//!             a=group:BUNDLE 0\r\n\
//!             m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n\
//!             c=IN IP4 0.0.0.0\r\na=mid:0\r\na=sctp-port:5000\r\n";
//! let sdp: SessionDescription = text.parse().unwrap();
//! assert_eq!(sdp.media[0].mid(), Some("0"));
//! assert_eq!(sdp.media[0].sctp_port(), Some(5000));
//! assert_eq!(sdp.media[0].direction(), Direction::SendRecv);
//! assert_eq!(sdp.to_string(), text);
//! ```
//!
//! Parsing is strict about the shape of lines and of the attributes it knows
//! (errors carry the line number) and keeps every unknown attribute verbatim,
//! so a description survives parse → write unchanged.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod attribute;
mod candidate;
mod error;
mod media;
mod session;
mod types;
mod util;

pub use attribute::Attribute;
pub use candidate::{Candidate, CandidateParseError, CandidateType, TcpType};
pub use error::ParseError;
pub use media::{MediaDescription, MediaKind};
pub use session::{Bandwidth, Connection, Origin, SessionDescription, Timing};
pub use types::{
    parse_fmtp_params, Direction, Extmap, Fingerprint, Group, Rid, RidDirection, Rtpmap, Sctpmap,
    Setup, Simulcast, SimulcastRid,
};
pub use util::is_ice_chars;
