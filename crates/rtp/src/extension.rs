//! Header extension URIs, the negotiated id → URI map, and typed value helpers.
//!
//! SDP `a=extmap:<id> <uri>` lines bind a small id to a URI; [`ExtensionMap`]
//! holds that binding for one media section. The `encode_*`/`decode_*` helpers
//! convert each well-known extension's bytes to and from typed values.

use crate::Error;

/// The header extensions WebRTC endpoints commonly negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionUri {
    /// `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 8843).
    Mid,
    /// `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id` (RFC 8852).
    RtpStreamId,
    /// `urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id` (RFC 8852).
    RepairedRtpStreamId,
    /// `http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time`.
    AbsSendTime,
    /// `http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01`.
    TransportWideCc,
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level` (RFC 6464).
    AudioLevel,
    /// `urn:3gpp:video-orientation`.
    VideoOrientation,
    /// `urn:ietf:params:rtp-hdrext:toffset` (RFC 5450).
    TransmissionOffset,
    /// `http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`.
    PlayoutDelay,
}

impl ExtensionUri {
    /// All known URIs.
    pub const ALL: [ExtensionUri; 9] = [
        ExtensionUri::Mid,
        ExtensionUri::RtpStreamId,
        ExtensionUri::RepairedRtpStreamId,
        ExtensionUri::AbsSendTime,
        ExtensionUri::TransportWideCc,
        ExtensionUri::AudioLevel,
        ExtensionUri::VideoOrientation,
        ExtensionUri::TransmissionOffset,
        ExtensionUri::PlayoutDelay,
    ];

    /// The URI string as written in SDP.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionUri::Mid => "urn:ietf:params:rtp-hdrext:sdes:mid",
            ExtensionUri::RtpStreamId => "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            ExtensionUri::RepairedRtpStreamId => {
                "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
            }
            ExtensionUri::AbsSendTime => {
                "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
            }
            ExtensionUri::TransportWideCc => {
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
            }
            ExtensionUri::AudioLevel => "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            ExtensionUri::VideoOrientation => "urn:3gpp:video-orientation",
            ExtensionUri::TransmissionOffset => "urn:ietf:params:rtp-hdrext:toffset",
            ExtensionUri::PlayoutDelay => {
                "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
            }
        }
    }

    /// Looks up a URI string.
    pub fn from_uri(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// The negotiated id ↔ URI binding of one media section (ids 1..=255).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionMap {
    entries: Vec<(u8, String)>,
}

impl ExtensionMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Binds `id` to `uri`, replacing any earlier binding of either.
    pub fn insert(&mut self, id: u8, uri: &str) -> Result<(), Error> {
        if id == 0 {
            return Err(Error::Malformed("extension id 0"));
        }
        self.entries.retain(|(i, u)| *i != id && u != uri);
        self.entries.push((id, uri.to_string()));
        Ok(())
    }
    /// Binds `id` to a known URI.
    pub fn insert_known(&mut self, id: u8, uri: ExtensionUri) -> Result<(), Error> {
        self.insert(id, uri.as_str())
    }
    /// Removes the binding of `id`.
    pub fn remove(&mut self, id: u8) {
        self.entries.retain(|(i, _)| *i != id);
    }
    /// The URI bound to `id`.
    pub fn uri(&self, id: u8) -> Option<&str> {
        self.entries
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, u)| u.as_str())
    }
    /// The known extension bound to `id`.
    pub fn known(&self, id: u8) -> Option<ExtensionUri> {
        self.uri(id).and_then(ExtensionUri::from_uri)
    }
    /// The id bound to a URI string.
    pub fn id_of(&self, uri: &str) -> Option<u8> {
        self.entries.iter().find(|(_, u)| u == uri).map(|(i, _)| *i)
    }
    /// The id bound to a known extension.
    pub fn id(&self, uri: ExtensionUri) -> Option<u8> {
        self.id_of(uri.as_str())
    }
    /// Iterates `(id, uri)` in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &str)> {
        self.entries.iter().map(|(i, u)| (*i, u.as_str()))
    }
    /// The map Chromium offers by default for audio (ids as Chromium uses them).
    pub fn webrtc_audio_default() -> Self {
        let mut m = Self::new();
        for (id, u) in [
            (1, ExtensionUri::AudioLevel),
            (2, ExtensionUri::AbsSendTime),
            (3, ExtensionUri::TransportWideCc),
            (4, ExtensionUri::Mid),
        ] {
            m.entries.push((id, u.as_str().to_string()));
        }
        m
    }
    /// The map Chromium offers by default for video (ids as Chromium uses them).
    pub fn webrtc_video_default() -> Self {
        let mut m = Self::new();
        for (id, u) in [
            (2, ExtensionUri::AbsSendTime),
            (3, ExtensionUri::TransportWideCc),
            (4, ExtensionUri::Mid),
            (10, ExtensionUri::RtpStreamId),
            (11, ExtensionUri::RepairedRtpStreamId),
            (13, ExtensionUri::VideoOrientation),
            (14, ExtensionUri::TransmissionOffset),
        ] {
            m.entries.push((id, u.as_str().to_string()));
        }
        m
    }
}

/// Decodes an SDES string extension (mid, rid, repaired rid): UTF-8, trailing NULs dropped.
pub fn decode_sdes(data: &[u8]) -> Option<&str> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    std::str::from_utf8(&data[..end])
        .ok()
        .filter(|s| !s.is_empty())
}

/// Checks an SDES value for writing (1..=255 bytes; 1..=16 for one-byte headers).
pub fn encode_sdes(value: &str) -> Result<&[u8], Error> {
    if value.is_empty() || value.len() > 255 {
        return Err(Error::TooLarge);
    }
    Ok(value.as_bytes())
}

/// abs-send-time: 24-bit 6.18 fixed point seconds. Takes a time in microseconds
/// (any epoch; only the low 64 seconds matter) and returns the 3 bytes.
pub fn encode_abs_send_time(micros: u64) -> [u8; 3] {
    let v = ((micros << 18) / 1_000_000) & 0x00ff_ffff;
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// abs-send-time: the raw 24-bit 6.18 fixed point value.
pub fn decode_abs_send_time(data: &[u8]) -> Option<u32> {
    match data {
        [a, b, c, ..] => Some(u32::from_be_bytes([0, *a, *b, *c])),
        _ => None,
    }
}

/// abs-send-time raw value to microseconds within its 64-second wrap.
pub fn abs_send_time_to_micros(raw: u32) -> u64 {
    ((raw as u64 & 0x00ff_ffff) * 1_000_000) >> 18
}

/// Transport-wide sequence number (2 bytes).
pub fn encode_transport_cc(seq: u16) -> [u8; 2] {
    seq.to_be_bytes()
}

/// Transport-wide sequence number.
pub fn decode_transport_cc(data: &[u8]) -> Option<u16> {
    match data {
        [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// RFC 6464 audio level: voice activity flag and level in -dBov (0 loudest, 127 silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioLevel {
    /// The V flag.
    pub voice: bool,
    /// Level in -dBov, 0..=127.
    pub level: u8,
}

/// Encodes an audio level (1 byte).
pub fn encode_audio_level(a: AudioLevel) -> [u8; 1] {
    [(u8::from(a.voice) << 7) | a.level.min(127)]
}

/// Decodes an audio level.
pub fn decode_audio_level(data: &[u8]) -> Option<AudioLevel> {
    data.first().map(|&b| AudioLevel {
        voice: b & 0x80 != 0,
        level: b & 0x7f,
    })
}

/// 3GPP TS 26.114 coordination of video orientation (CVO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VideoOrientation {
    /// C bit: true for the back-facing camera.
    pub back_camera: bool,
    /// F bit: horizontal flip.
    pub flip: bool,
    /// Clockwise rotation in degrees: 0, 90, 180 or 270.
    pub rotation: u16,
}

/// Encodes a video orientation (1 byte). Rotation is rounded down to a quarter turn.
pub fn encode_video_orientation(v: VideoOrientation) -> [u8; 1] {
    let r = ((v.rotation % 360) / 90) as u8;
    [(u8::from(v.back_camera) << 3) | (u8::from(v.flip) << 2) | r]
}

/// Decodes a video orientation.
pub fn decode_video_orientation(data: &[u8]) -> Option<VideoOrientation> {
    data.first().map(|&b| VideoOrientation {
        back_camera: b & 0x08 != 0,
        flip: b & 0x04 != 0,
        rotation: (b & 0x03) as u16 * 90,
    })
}

/// Transmission time offset (RFC 5450): signed 24-bit offset in RTP timestamp units.
pub fn encode_transmission_offset(offset: i32) -> [u8; 3] {
    let v = (offset.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// Transmission time offset (RFC 5450).
pub fn decode_transmission_offset(data: &[u8]) -> Option<i32> {
    match data {
        [a, b, c, ..] => Some((u32::from_be_bytes([*a, *b, *c, 0]) as i32) >> 8),
        _ => None,
    }
}

/// Playout delay limits in 10 ms units (12 bits each): `(min, max)`.
pub fn encode_playout_delay(min: u16, max: u16) -> [u8; 3] {
    let (min, max) = (min.min(0xfff), max.min(0xfff));
    [
        (min >> 4) as u8,
        ((min & 0x0f) << 4) as u8 | (max >> 8) as u8,
        max as u8,
    ]
}

/// Playout delay limits in 10 ms units: `(min, max)`.
pub fn decode_playout_delay(data: &[u8]) -> Option<(u16, u16)> {
    match data {
        [a, b, c, ..] => Some((
            ((*a as u16) << 4) | (*b as u16 >> 4),
            (((*b & 0x0f) as u16) << 8) | *c as u16,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{RtpHeader, RtpPacket};

    #[test]
    fn map_binds_and_looks_up() {
        let mut m = ExtensionMap::new();
        m.insert_known(4, ExtensionUri::Mid).unwrap();
        m.insert_known(3, ExtensionUri::TransportWideCc).unwrap();
        assert_eq!(m.id(ExtensionUri::Mid), Some(4));
        assert_eq!(m.known(3), Some(ExtensionUri::TransportWideCc));
        m.insert_known(5, ExtensionUri::Mid).unwrap();
        assert_eq!(m.id(ExtensionUri::Mid), Some(5));
        assert_eq!(m.uri(4), None);
        assert!(m.insert(0, "x").is_err());
        assert_eq!(
            ExtensionMap::webrtc_video_default().id(ExtensionUri::RtpStreamId),
            Some(10)
        );
        for u in ExtensionUri::ALL {
            assert_eq!(ExtensionUri::from_uri(u.as_str()), Some(u));
        }
    }

    #[test]
    fn typed_values_round_trip() {
        let raw = decode_abs_send_time(&encode_abs_send_time(1_500_000)).unwrap();
        let back = abs_send_time_to_micros(raw);
        assert!(back.abs_diff(1_500_000) < 5, "{back}");
        assert_eq!(
            decode_transport_cc(&encode_transport_cc(0xabcd)),
            Some(0xabcd)
        );
        let a = AudioLevel {
            voice: true,
            level: 42,
        };
        assert_eq!(decode_audio_level(&encode_audio_level(a)), Some(a));
        let v = VideoOrientation {
            back_camera: true,
            flip: false,
            rotation: 270,
        };
        assert_eq!(
            decode_video_orientation(&encode_video_orientation(v)),
            Some(v)
        );
        assert_eq!(decode_sdes(b"0\0\0"), Some("0"));
        assert_eq!(decode_sdes(b"\0"), None);
        assert!(encode_sdes("").is_err());
        assert_eq!(decode_abs_send_time(&[1]), None);
        for off in [-0x80_0000, -1, 0, 1234, 0x7f_ffff] {
            assert_eq!(
                decode_transmission_offset(&encode_transmission_offset(off)),
                Some(off)
            );
        }
        assert_eq!(
            decode_playout_delay(&encode_playout_delay(0, 4095)),
            Some((0, 4095))
        );
        assert_eq!(
            decode_playout_delay(&encode_playout_delay(123, 456)),
            Some((123, 456))
        );
    }

    #[test]
    fn mid_and_rid_through_a_packet() {
        let map = ExtensionMap::webrtc_video_default();
        let mut h = RtpHeader::default();
        h.extensions
            .set(
                map.id(ExtensionUri::Mid).unwrap(),
                encode_sdes("video0").unwrap(),
            )
            .unwrap();
        h.extensions
            .set(map.id(ExtensionUri::RtpStreamId).unwrap(), b"hi")
            .unwrap();
        h.extensions
            .set(
                map.id(ExtensionUri::TransportWideCc).unwrap(),
                &encode_transport_cc(7),
            )
            .unwrap();
        let v = h.to_packet(b"x");
        let p = RtpPacket::parse(&v).unwrap();
        let mut mid = None;
        let mut rid = None;
        let mut twcc = None;
        for (id, d) in p.extensions() {
            match map.known(id) {
                Some(ExtensionUri::Mid) => mid = decode_sdes(d),
                Some(ExtensionUri::RtpStreamId) => rid = decode_sdes(d),
                Some(ExtensionUri::TransportWideCc) => twcc = decode_transport_cc(d),
                _ => {}
            }
        }
        assert_eq!((mid, rid, twcc), (Some("video0"), Some("hi"), Some(7)));
    }
}
