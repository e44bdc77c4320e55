//! Sans-IO SCTP association for WebRTC data channels (RFC 9260, RFC 8260, RFC 3758, RFC 6525, RFC 9653).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
