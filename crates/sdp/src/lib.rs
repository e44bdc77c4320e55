//! SDP (RFC 8866) model, parser and writer with the attributes WebRTC uses.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
