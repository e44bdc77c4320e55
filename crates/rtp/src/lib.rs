//! RTP and RTCP packets, SRTP/SRTCP, codec packetizers, NACK/RTX, jitter buffer (sans-IO).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
