//! The codecs and RTP header extensions we offer, and the matching rules used
//! when answering (RFC 9429 §5.3, RFC 6184 for H.264 profiles).

use crate::description::MediaKind;

/// `RTCRtpCodec` / `RTCRtpCodecParameters`: one payload format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// Payload type.
    pub payload_type: u8,
    /// `audio/opus`, `video/VP8` … (the W3C mimeType form).
    pub mime_type: String,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels (`None` for video and mono codecs written without a count).
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters, or empty.
    pub sdp_fmtp_line: String,
    /// `a=rtcp-fb` entries: (type, parameter).
    pub rtcp_feedback: Vec<(String, Option<String>)>,
}

impl Codec {
    fn new(
        pt: u8,
        mime: &str,
        clock: u32,
        channels: Option<u16>,
        fmtp: &str,
        fb: &[&str],
    ) -> Codec {
        Codec {
            payload_type: pt,
            mime_type: mime.to_string(),
            clock_rate: clock,
            channels,
            sdp_fmtp_line: fmtp.to_string(),
            rtcp_feedback: fb
                .iter()
                .map(|f| match f.split_once(' ') {
                    Some((t, p)) => (t.to_string(), Some(p.to_string())),
                    None => (f.to_string(), None),
                })
                .collect(),
        }
    }

    /// The encoding name as written in `a=rtpmap` (`opus`, `VP8`, `rtx` …).
    pub fn encoding_name(&self) -> &str {
        self.mime_type
            .split_once('/')
            .map(|(_, n)| n)
            .unwrap_or(&self.mime_type)
    }

    /// Whether this is a retransmission (RTX, RFC 4588) format.
    pub fn is_rtx(&self) -> bool {
        self.encoding_name().eq_ignore_ascii_case("rtx")
    }

    /// The `apt=` payload type of an RTX format.
    pub fn rtx_apt(&self) -> Option<u8> {
        fmtp_param(&self.sdp_fmtp_line, "apt").and_then(|v| v.parse().ok())
    }

    /// Whether `other` is the same format for negotiation purposes: name, clock
    /// rate and channels equal, and the format-specific parameters that identify
    /// a format (H.264 profile and packetization mode, VP9 and AV1 profile) agree.
    pub fn matches(&self, other: &Codec) -> bool {
        if !self
            .encoding_name()
            .eq_ignore_ascii_case(other.encoding_name())
            || self.clock_rate != other.clock_rate
            || self.channels.unwrap_or(1) != other.channels.unwrap_or(1)
        {
            return false;
        }
        let name = self.encoding_name().to_ascii_uppercase();
        let (a, b) = (&self.sdp_fmtp_line, &other.sdp_fmtp_line);
        match name.as_str() {
            "H264" => {
                let pm = |f: &str| {
                    fmtp_param(f, "packetization-mode")
                        .unwrap_or("0")
                        .to_string()
                };
                let profile = |f: &str| {
                    fmtp_param(f, "profile-level-id")
                        .and_then(h264_profile)
                        .unwrap_or(H264Profile::ConstrainedBaseline)
                };
                pm(a) == pm(b) && profile(a) == profile(b)
            }
            "VP9" => {
                let p = |f: &str| fmtp_param(f, "profile-id").unwrap_or("0").to_string();
                p(a) == p(b)
            }
            "AV1" => {
                let p = |f: &str| fmtp_param(f, "profile").unwrap_or("0").to_string();
                p(a) == p(b)
            }
            _ => true,
        }
    }
}

/// The value of `key` in an fmtp line `a=1;key=value`.
pub fn fmtp_param<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then_some(v.trim())
    })
}

/// H.264 profiles distinguished by `profile-level-id` (RFC 6184 §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264Profile {
    /// Constrained Baseline (42e0xx, 4240xx, 58c0xx …).
    ConstrainedBaseline,
    /// Baseline.
    Baseline,
    /// Main.
    Main,
    /// High.
    High,
    /// Constrained High.
    ConstrainedHigh,
    /// Another profile, by profile_idc.
    Other(u8),
}

/// The profile of an H.264 `profile-level-id` value.
pub fn h264_profile(hex: &str) -> Option<H264Profile> {
    if hex.len() != 6 {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    let idc = (v >> 16) as u8;
    let iop = (v >> 8) as u8;
    // constraint_set1 (0x40) on baseline, or set3 with main, makes it constrained.
    Some(match idc {
        0x42 if iop & 0x40 != 0 => H264Profile::ConstrainedBaseline,
        0x42 => H264Profile::Baseline,
        0x4d if iop & 0x80 != 0 => H264Profile::ConstrainedBaseline,
        0x4d => H264Profile::Main,
        0x58 if iop & 0xc0 == 0xc0 => H264Profile::ConstrainedBaseline,
        0x64 if iop & 0x0c == 0x0c => H264Profile::ConstrainedHigh,
        0x64 => H264Profile::High,
        other => H264Profile::Other(other),
    })
}

const VIDEO_FB: &[&str] = &["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"];

/// The audio codecs we offer, in preference order. `vad` adds comfort noise
/// (CN), which `voiceActivityDetection: false` leaves out.
pub fn default_audio_codecs(vad: bool) -> Vec<Codec> {
    let mut v = vec![
        Codec::new(
            111,
            "audio/opus",
            48000,
            Some(2),
            "minptime=10;useinbandfec=1",
            &["transport-cc"],
        ),
        Codec::new(9, "audio/G722", 8000, None, "", &[]),
        Codec::new(0, "audio/PCMU", 8000, None, "", &[]),
        Codec::new(8, "audio/PCMA", 8000, None, "", &[]),
    ];
    if vad {
        v.push(Codec::new(13, "audio/CN", 8000, None, "", &[]));
    }
    v.push(Codec::new(
        110,
        "audio/telephone-event",
        48000,
        None,
        "0-15",
        &[],
    ));
    v.push(Codec::new(
        126,
        "audio/telephone-event",
        8000,
        None,
        "0-15",
        &[],
    ));
    v
}

/// The video codecs we offer, each followed by its RTX format.
pub fn default_video_codecs() -> Vec<Codec> {
    let mut v = Vec::new();
    let mut add = |pt: u8, mime: &str, fmtp: &str| {
        v.push(Codec::new(pt, mime, 90000, None, fmtp, VIDEO_FB));
        v.push(Codec::new(
            pt + 1,
            "video/rtx",
            90000,
            None,
            &format!("apt={pt}"),
            &[],
        ));
    };
    add(96, "video/VP8", "");
    add(98, "video/VP9", "profile-id=0");
    add(
        102,
        "video/H264",
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    );
    add(
        104,
        "video/H264",
        "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
    );
    add(
        106,
        "video/H264",
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
    );
    add(45, "video/AV1", "level-idx=5;profile=0;tier=0");
    v
}

/// The codecs we offer for `kind`.
pub fn default_codecs(kind: MediaKind, vad: bool) -> Vec<Codec> {
    match kind {
        MediaKind::Audio => default_audio_codecs(vad),
        MediaKind::Video => default_video_codecs(),
    }
}

/// An RTP header extension we support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderExtension {
    /// The id (1–14 one-byte, up to 255 two-byte).
    pub id: u16,
    /// The URI.
    pub uri: String,
}

/// The header extension URIs we offer for `kind`, with ids that are equal across
/// kinds so a bundle never sees one id mean two things.
pub fn default_header_extensions(kind: MediaKind) -> Vec<HeaderExtension> {
    let all: &[(u16, &str, bool, bool)] = &[
        (
            1,
            "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            true,
            false,
        ),
        (
            2,
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            true,
            true,
        ),
        (
            3,
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            true,
            true,
        ),
        (4, "urn:ietf:params:rtp-hdrext:sdes:mid", true, true),
        (
            10,
            "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            false,
            true,
        ),
        (
            11,
            "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
            false,
            true,
        ),
        (13, "urn:3gpp:video-orientation", false, true),
    ];
    all.iter()
        .filter(|(_, _, a, v)| match kind {
            MediaKind::Audio => *a,
            MediaKind::Video => *v,
        })
        .map(|(id, uri, _, _)| HeaderExtension {
            id: *id,
            uri: uri.to_string(),
        })
        .collect()
}

/// The rtcp-fb types we understand (anything else in a remote offer is dropped from the answer).
pub fn supported_feedback(kind: &str, param: Option<&str>) -> bool {
    matches!(
        (kind, param),
        ("nack", None)
            | ("nack", Some("pli"))
            | ("ccm", Some("fir"))
            | ("goog-remb", None)
            | ("transport-cc", None)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h264_profiles_match_by_profile_and_mode() {
        let a = Codec::new(
            102,
            "video/H264",
            90000,
            None,
            "packetization-mode=1;profile-level-id=42e01f",
            &[],
        );
        let b = Codec::new(
            127,
            "video/H264",
            90000,
            None,
            "profile-level-id=42e034;packetization-mode=1",
            &[],
        );
        let c = Codec::new(
            127,
            "video/H264",
            90000,
            None,
            "profile-level-id=640c1f;packetization-mode=1",
            &[],
        );
        let d = Codec::new(
            127,
            "video/H264",
            90000,
            None,
            "profile-level-id=42e01f",
            &[],
        );
        assert!(a.matches(&b), "same profile, other level");
        assert!(!a.matches(&c), "constrained high is another profile");
        assert!(!a.matches(&d), "packetization-mode 0 differs");
        assert_eq!(h264_profile("42001f"), Some(H264Profile::Baseline));
        assert_eq!(h264_profile("4d001f"), Some(H264Profile::Main));
        assert_eq!(h264_profile("zz"), None);
    }

    #[test]
    fn rtx_knows_its_apt() {
        let v = default_video_codecs();
        let rtx = v.iter().find(|c| c.is_rtx()).unwrap();
        assert_eq!(rtx.rtx_apt(), Some(96));
        assert!(!default_audio_codecs(false)
            .iter()
            .any(|c| c.encoding_name() == "CN"));
        assert!(default_audio_codecs(true)
            .iter()
            .any(|c| c.encoding_name() == "CN"));
    }

    #[test]
    fn opus_matches_case_insensitively_with_channels() {
        let ours = &default_audio_codecs(true)[0];
        let theirs = Codec::new(109, "audio/OPUS", 48000, Some(2), "", &[]);
        let mono = Codec::new(109, "audio/opus", 48000, None, "", &[]);
        assert!(ours.matches(&theirs));
        assert!(!ours.matches(&mono));
    }
}
