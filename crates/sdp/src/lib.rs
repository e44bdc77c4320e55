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
//! # What the parser guarantees
//!
//! - **Round trip.** Every description that parses writes back as text that
//!   parses to the same model. Browser output (Chromium, Firefox, Safari,
//!   aiortc; see `tests/golden/`) is written back byte for byte, modulo line
//!   endings. Unknown attributes are kept verbatim as [`Attribute::Other`],
//!   in their original order.
//! - **Line numbers.** Every syntax error is a [`ParseError`] with the
//!   1-based number of the offending line: bad line shape, missing `v=`/`o=`/
//!   `s=`/`t=`, non-numeric ports or payload types (RTP payload types must
//!   be 0–127), and malformed values of the attributes it types.
//! - **No panics** on any input (fuzzed: `fuzz/sdp`).
//!
//! # Leniency
//!
//! CRLF or LF line ends; trailing blank lines; session-level lines in any
//! order (written back in RFC order `v o s i u e p c b t r z k a`, media
//! sections `m i c b k a`); runs of spaces between fields; trailing spaces
//! and tabs after `a=` values; lower-case fingerprint hex (written upper-case).
//! Chromium's `a=msid-semantic: WMS` (space after the colon) is kept as
//! [`Attribute::Other`] so it is written back exactly;
//! [`SessionDescription::msid_semantics`] reads both forms.
//!
//! ICE candidates parse alone too (`"candidate:..."`, `"a=candidate:..."` or
//! the bare value): see [`Candidate`].
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
pub use session::{
    Bandwidth, Connection, Origin, SessionDescription, Timing, MAX_LINE_BYTES, MAX_MEDIA_SECTIONS,
    MAX_SDP_BYTES,
};
pub use types::{
    parse_fmtp_params, Direction, Extmap, Fingerprint, Group, Rid, RidDirection, Rtpmap, Sctpmap,
    Setup, Simulcast, SimulcastRid,
};
pub use util::is_ice_chars;
