//! RTP payload formats: packetizers (frame → payloads) and depacketizers
//! (payloads → frame) for the codecs browsers use.
//!
//! - [`Payloader`] splits one encoded frame into RTP payloads no larger than an MTU.
//! - [`Depacketizer`] appends each packet's share of a frame to a buffer, and tells
//!   whether a payload starts a frame or belongs to a keyframe.
//! - [`Packetizer`] wraps a payloader with SSRC, payload type, sequence numbers and
//!   the marker bit, producing whole RTP headers + payloads.
//! - [`Codec`] names a codec and makes its payloader/depacketizer.
//! - [`dtmf`]: the `telephone-event` payload for DTMF tones; [`red`]: redundant audio (RFC 2198).
//!
//! Frame formats: H264 frames are Annex B (start codes); AV1 frames are
//! low-overhead OBU streams (each OBU with a size field, as in IVF); the
//! others are the codec's own frame.

pub mod av1;
pub mod dtmf;
pub mod h264;
pub mod red;
pub mod simple;
pub mod vp8;
pub mod vp9;

pub use av1::{Av1Depacketizer, Av1Payloader};
pub use h264::{
    format_sprop_parameter_sets, parse_sprop_parameter_sets, profile_level_id,
    split_annexb as h264_split_annexb, H264Depacketizer, H264Payloader,
};
pub use simple::{G711Payloader, OpusPayloader, RawDepacketizer};
pub use vp8::{keyframe_size as vp8_keyframe_size, Vp8Depacketizer, Vp8Payloader};
pub use vp9::{parse_frame_info as vp9_frame_info, Vp9Depacketizer, Vp9FrameInfo, Vp9Payloader};

use crate::packet::RtpHeader;
use crate::Error;

/// Splits encoded frames into RTP payloads.
pub trait Payloader: Send {
    /// Appends the payloads carrying `frame` to `out`, each at most `mtu` bytes.
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error>;
}

/// Reassembles frames from RTP payloads.
pub trait Depacketizer: Send {
    /// Appends what `payload` carries of its frame to `frame`. Packets of one
    /// frame must be fed in sequence order.
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), Error>;
    /// True when `payload` is the first packet of a frame.
    fn is_frame_start(&self, payload: &[u8]) -> bool;
    /// True when `payload` belongs to a keyframe (and can start decoding).
    fn is_keyframe(&self, payload: &[u8]) -> bool;
    /// Forgets partial state (call when a packet was lost mid-frame).
    fn reset(&mut self) {}
}

/// The codecs this crate packetizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Opus (RFC 7587), 48 kHz.
    Opus,
    /// G.711 µ-law, 8 kHz.
    Pcmu,
    /// G.711 A-law, 8 kHz.
    Pcma,
    /// G.722, RTP clock 8 kHz (RFC 3551 §4.5.2).
    G722,
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (RFC 9628).
    Vp9,
    /// H264 (RFC 6184), packetization-mode 1.
    H264,
    /// AV1 (AOM RTP payload format).
    Av1,
}

impl Codec {
    /// The codec of an SDP `a=rtpmap` encoding name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "opus" => Codec::Opus,
            "pcmu" => Codec::Pcmu,
            "pcma" => Codec::Pcma,
            "g722" => Codec::G722,
            "vp8" => Codec::Vp8,
            "vp9" => Codec::Vp9,
            "h264" => Codec::H264,
            "av1" | "av1x" => Codec::Av1,
            _ => return None,
        })
    }
    /// The codec of a MIME type such as `video/VP8`.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::from_name(mime.rsplit('/').next()?)
    }
    /// The SDP encoding name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Opus => "opus",
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G722",
            Codec::Vp8 => "VP8",
            Codec::Vp9 => "VP9",
            Codec::H264 => "H264",
            Codec::Av1 => "AV1",
        }
    }
    /// True for video codecs.
    pub fn is_video(self) -> bool {
        matches!(self, Codec::Vp8 | Codec::Vp9 | Codec::H264 | Codec::Av1)
    }
    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Opus => 48_000,
            Codec::Pcmu | Codec::Pcma | Codec::G722 => 8_000,
            _ => 90_000,
        }
    }
    /// The static payload type, for codecs that have one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::G722 => Some(9),
            _ => None,
        }
    }
    /// A new payloader.
    pub fn payloader(self) -> Box<dyn Payloader> {
        match self {
            Codec::Opus => Box::new(OpusPayloader),
            Codec::Pcmu | Codec::Pcma | Codec::G722 => Box::new(G711Payloader),
            Codec::Vp8 => Box::new(Vp8Payloader::default()),
            Codec::Vp9 => Box::new(Vp9Payloader::default()),
            Codec::H264 => Box::new(H264Payloader::default()),
            Codec::Av1 => Box::new(Av1Payloader),
        }
    }
    /// A new depacketizer.
    pub fn depacketizer(self) -> Box<dyn Depacketizer> {
        match self {
            Codec::Opus | Codec::Pcmu | Codec::Pcma | Codec::G722 => Box::new(RawDepacketizer),
            Codec::Vp8 => Box::new(Vp8Depacketizer),
            Codec::Vp9 => Box::new(Vp9Depacketizer),
            Codec::H264 => Box::new(H264Depacketizer::default()),
            Codec::Av1 => Box::new(Av1Depacketizer::default()),
        }
    }
}

/// Turns frames into RTP packets of one stream: payloader plus SSRC, payload
/// type, sequence numbers and marker bit (set on the last packet of a frame).
pub struct Packetizer {
    payloader: Box<dyn Payloader>,
    /// SSRC of the stream.
    pub ssrc: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Next sequence number.
    pub sequence_number: u16,
    /// Largest payload size (the MTU minus headers, extensions and SRTP tag).
    pub max_payload: usize,
    scratch: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Packetizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packetizer")
            .field("ssrc", &self.ssrc)
            .field("payload_type", &self.payload_type)
            .field("sequence_number", &self.sequence_number)
            .finish_non_exhaustive()
    }
}

impl Packetizer {
    /// A packetizer for `codec`; start `sequence_number` at a random value.
    pub fn new(
        codec: Codec,
        ssrc: u32,
        payload_type: u8,
        sequence_number: u16,
        max_payload: usize,
    ) -> Self {
        Self::with_payloader(
            codec.payloader(),
            ssrc,
            payload_type,
            sequence_number,
            max_payload,
        )
    }
    /// A packetizer around any payloader.
    pub fn with_payloader(
        payloader: Box<dyn Payloader>,
        ssrc: u32,
        payload_type: u8,
        sequence_number: u16,
        max_payload: usize,
    ) -> Self {
        Packetizer {
            payloader,
            ssrc,
            payload_type,
            sequence_number,
            max_payload,
            scratch: Vec::new(),
        }
    }
    /// Packetizes one frame with RTP timestamp `timestamp`. Returns a header and
    /// payload per packet; add header extensions, then write with
    /// [`RtpHeader::write_packet`].
    pub fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
    ) -> Result<Vec<(RtpHeader, Vec<u8>)>, Error> {
        self.scratch.clear();
        self.payloader
            .payload(self.max_payload, frame, &mut self.scratch)?;
        let n = self.scratch.len();
        let mut out = Vec::with_capacity(n);
        for (i, p) in self.scratch.drain(..).enumerate() {
            let h = RtpHeader {
                marker: i + 1 == n,
                payload_type: self.payload_type,
                sequence_number: self.sequence_number,
                timestamp,
                ssrc: self.ssrc,
                ..Default::default()
            };
            self.sequence_number = self.sequence_number.wrapping_add(1);
            out.push((h, p));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::Rng;

    /// Packetizes random frames of many sizes and checks the depacketized frame is
    /// the same, for the codecs whose frame is opaque bytes.
    pub(crate) fn round_trip_opaque(codec: Codec, make_frame: &dyn Fn(&mut Rng, usize) -> Vec<u8>) {
        let mut rng = Rng(1234);
        let mut pay = codec.payloader();
        let mut dep = codec.depacketizer();
        for size in [
            1usize, 2, 10, 99, 100, 101, 500, 1199, 1200, 1201, 3000, 10_000, 65_000,
        ] {
            for mtu in [60usize, 200, 1200] {
                let frame = make_frame(&mut rng, size);
                let mut payloads = Vec::new();
                if pay.payload(mtu, &frame, &mut payloads).is_err() {
                    assert_eq!(codec, Codec::Opus, "{codec:?} {size} {mtu}");
                    continue;
                }
                assert!(!payloads.is_empty());
                let mut out = Vec::new();
                for (i, p) in payloads.iter().enumerate() {
                    assert!(p.len() <= mtu, "{codec:?} payload {} > {mtu}", p.len());
                    assert_eq!(
                        dep.is_frame_start(p),
                        i == 0,
                        "{codec:?} size {size} mtu {mtu} packet {i}"
                    );
                    dep.depacketize(p, &mut out).unwrap();
                }
                assert_eq!(out, frame, "{codec:?} size {size} mtu {mtu}");
            }
        }
    }

    #[test]
    fn packetizer_sets_marker_and_sequence() {
        let mut p = Packetizer::new(Codec::Vp8, 5, 96, 65535, 100);
        let pkts = p.packetize(&[0u8; 250], 1000).unwrap();
        assert_eq!(pkts.len(), 3);
        assert_eq!(
            pkts.iter()
                .map(|(h, _)| h.sequence_number)
                .collect::<Vec<_>>(),
            vec![65535, 0, 1]
        );
        assert_eq!(
            pkts.iter().map(|(h, _)| h.marker).collect::<Vec<_>>(),
            vec![false, false, true]
        );
        assert!(pkts
            .iter()
            .all(|(h, _)| h.timestamp == 1000 && h.ssrc == 5 && h.payload_type == 96));
    }

    #[test]
    fn codec_names() {
        assert_eq!(Codec::from_mime("video/VP8"), Some(Codec::Vp8));
        assert_eq!(Codec::from_name("OPUS"), Some(Codec::Opus));
        assert_eq!(Codec::Opus.clock_rate(), 48_000);
        assert_eq!(Codec::Pcmu.static_payload_type(), Some(0));
        assert!(Codec::Av1.is_video());
        assert_eq!(Codec::from_name("nope"), None);
    }
}
