//! STUN and TURN message codec (RFC 8489, RFC 8656, RFC 6062).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
