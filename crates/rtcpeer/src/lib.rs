//! rtcpeer: the W3C `RTCPeerConnection` in async Rust.
#![deny(missing_docs)]
