//! RTP and RTCP packets, SRTP/SRTCP, codec packetizers, NACK/RTX, jitter buffer (sans-IO).
//!
//! Everything here is plain data and functions: no sockets, no clocks, no threads.
//! Functions that depend on time take a `now: Instant` argument.
//!
//! Map of the crate:
//! - [`packet`]: RTP packets (RFC 3550), a zero-copy [`RtpPacket`] view and an owned
//!   [`RtpHeader`] writer; [`extension`]: header extensions (RFC 8285) and typed helpers.
//! - [`rtcp`]: RTCP packets (RFC 3550, 4585, 5104, 5506, transport-wide CC).
//! - [`srtp`]: SRTP/SRTCP (RFC 3711, RFC 7714) with [`SrtpContext`].
//! - [`codec`]: payload packetizers and depacketizers (Opus, G.711, G.722, VP8, VP9, H264, AV1).
//! - [`seq`], [`jitter`], [`nack`], [`history`], [`stats`], [`transport_cc`]: receive/send side helpers;
//!   [`stream`] assembles them into one outbound and one inbound stream.
//! - [`media`]: IVF, Ogg Opus and H264 Annex B files.
//!
//! A frame's trip from sender to receiver:
//! ```
//! use rtcpeer_rtp::codec::{Codec, Packetizer};
//! use rtcpeer_rtp::jitter::{JitterBuffer, JitterConfig};
//! use rtcpeer_rtp::{SrtpContext, SrtpProfile};
//! use std::time::Instant;
//!
//! let keying_material = [7u8; 60]; // exported from DTLS in real use
//! let profile = SrtpProfile::Aes128CmHmacSha1_80;
//! let (mut tx, _) = SrtpContext::from_dtls(profile, &keying_material, true).unwrap();
//! let (_, mut rx) = SrtpContext::from_dtls(profile, &keying_material, false).unwrap();
//!
//! let mut packetizer = Packetizer::new(Codec::Vp8, 0x1234, 96, 1, 1200);
//! let mut jitter = JitterBuffer::new(Codec::Vp8.depacketizer(), JitterConfig::default());
//! let frame = vec![0x10u8; 3000];
//! let now = Instant::now();
//! for (header, payload) in packetizer.packetize(&frame, 90_000).unwrap() {
//!     let mut wire = header.to_packet(&payload);
//!     tx.protect_rtp(&mut wire).unwrap(); // now SRTP, ready for the socket
//!     let len = rx.unprotect_rtp(&mut wire).unwrap();
//!     jitter.push(now, &wire[..len]).unwrap();
//! }
//! let got = jitter.pop_frame(now).unwrap();
//! assert_eq!(got.data, frame);
//! assert!(got.keyframe);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
mod error;
pub mod extension;
pub mod history;
pub mod jitter;
pub mod media;
pub mod nack;
pub mod packet;
pub mod rtcp;
pub mod seq;
pub mod srtp;
pub mod stats;
pub mod stream;
pub mod transport_cc;

pub use error::Error;
pub use extension::{ExtensionMap, ExtensionUri};
pub use packet::{RtpHeader, RtpPacket};
pub use srtp::{SrtpContext, SrtpProfile};

/// Returns true when a datagram looks like RTCP rather than RTP (RFC 5761 §4):
/// payload type byte 192..=223 after the version bits.
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && buf[0] >> 6 == 2 && (192..=223).contains(&buf[1])
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Decodes hex, ignoring whitespace. Test helper.
    pub fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect()
    }

    /// A small deterministic xorshift generator for tests.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next_u64(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        pub fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
        pub fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next_u64() as u8).collect()
        }
    }
}

#[cfg(test)]
mod send_tests {
    /// The async layer moves these into a tokio task: they must be `Send`.
    #[test]
    fn state_machines_are_send() {
        fn is_send<T: Send>() {}
        is_send::<crate::SrtpContext>();
        is_send::<crate::jitter::JitterBuffer>();
        is_send::<crate::codec::Packetizer>();
        is_send::<crate::stream::InboundStream>();
        is_send::<crate::stream::OutboundStream>();
        is_send::<crate::nack::NackGenerator>();
        is_send::<crate::rtcp::TwccBuilder>();
    }
}
