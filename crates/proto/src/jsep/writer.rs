//! Writing offers and answers: SDP text laid out as Chromium lays it out, so
//! every browser reads it the way it reads its own.

use std::fmt::Write as _;

use super::summary::{SectionKind, Setup};
use crate::codecs::{Codec, HeaderExtension};
use crate::description::{Direction, MediaKind};

/// The transport attributes every m-section carries (we always bundle one transport).
#[derive(Debug, Clone)]
pub struct TransportParams {
    /// Our ICE ufrag.
    pub ufrag: String,
    /// Our ICE password.
    pub pwd: String,
    /// Our fingerprint: (algorithm, upper-case colon-separated hex).
    pub fingerprint: (String, String),
    /// Our DTLS setup role.
    pub setup: Setup,
    /// Candidate attribute values gathered so far (`candidate:…`).
    pub candidates: Vec<String>,
    /// Gathering is complete.
    pub end_of_candidates: bool,
    /// We are ICE-lite.
    pub ice_lite: bool,
}

/// One m-section to write.
#[derive(Debug, Clone)]
pub struct SectionPlan {
    /// Audio, video or application (or another kind, always rejected).
    pub kind: SectionKind,
    /// The mid.
    pub mid: String,
    /// The proto field (`UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP` …).
    pub proto: String,
    /// Port 0: rejected.
    pub rejected: bool,
    /// Port 0 with `a=bundle-only`.
    pub bundle_only: bool,
    /// Direction attribute.
    pub direction: Direction,
    /// Codecs (media).
    pub codecs: Vec<Codec>,
    /// Header extensions (media).
    pub extensions: Vec<HeaderExtension>,
    /// Stream ids and the track id for `a=msid` when sending.
    pub msid: Option<(Vec<String>, String)>,
    /// Our SSRCs (primary, RTX) when sending.
    pub ssrcs: Vec<(u32, Option<u32>)>,
    /// CNAME for `a=ssrc … cname:`.
    pub cname: String,
    /// RIDs we send (simulcast) or receive (answer to a simulcast offer).
    pub rids: Vec<String>,
    /// Whether our rids are `send` (offer) or `recv` (answer to a sender).
    pub rids_send: bool,
    /// SCTP port and max message size (application).
    pub sctp: Option<(u16, u64)>,
    /// The formats to write on a rejected or foreign m= line.
    pub raw_formats: Vec<String>,
}

impl SectionPlan {
    /// A rejected section keeping the kind, mid and formats of the original.
    pub fn rejected(kind: SectionKind, mid: String, proto: String, formats: Vec<String>) -> Self {
        SectionPlan {
            kind,
            mid,
            proto,
            rejected: true,
            bundle_only: false,
            direction: Direction::Inactive,
            codecs: Vec::new(),
            extensions: Vec::new(),
            msid: None,
            ssrcs: Vec::new(),
            cname: String::new(),
            rids: Vec::new(),
            rids_send: true,
            sctp: None,
            raw_formats: formats,
        }
    }
}

fn kind_str(k: &SectionKind) -> &str {
    match k {
        SectionKind::Media(MediaKind::Audio) => "audio",
        SectionKind::Media(MediaKind::Video) => "video",
        SectionKind::Application => "application",
        SectionKind::Other(o) => o,
    }
}

/// Session-level parameters.
#[derive(Debug, Clone)]
pub struct SessionParams {
    /// o= session id.
    pub session_id: u64,
    /// o= session version.
    pub session_version: u64,
    /// The mids of the BUNDLE group, if any.
    pub bundle: Option<Vec<String>>,
    /// `a=identity` assertion.
    pub identity: Option<String>,
}

/// Write a whole description.
pub fn write(
    session: &SessionParams,
    transport: &TransportParams,
    sections: &[SectionPlan],
) -> String {
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "v=0\r\no=- {} {} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        session.session_id, session.session_version
    );
    if let Some(b) = &session.bundle {
        if !b.is_empty() {
            let _ = write!(s, "a=group:BUNDLE {}\r\n", b.join(" "));
        }
    }
    if let Some(i) = &session.identity {
        let _ = write!(s, "a=identity:{i}\r\n");
    }
    if transport.ice_lite {
        s.push_str("a=ice-lite\r\n");
    }
    s.push_str("a=extmap-allow-mixed\r\n");
    s.push_str("a=msid-semantic: WMS\r\n");
    for sec in sections {
        write_section(&mut s, transport, sec);
    }
    s
}

fn write_section(s: &mut String, t: &TransportParams, sec: &SectionPlan) {
    let kind = kind_str(&sec.kind);
    if sec.rejected {
        let fmts = if sec.raw_formats.is_empty() {
            match sec.kind {
                SectionKind::Application => "webrtc-datachannel".to_string(),
                _ => "0".to_string(),
            }
        } else {
            sec.raw_formats.join(" ")
        };
        let _ = write!(s, "m={kind} 0 {} {fmts}\r\nc=IN IP4 0.0.0.0\r\n", sec.proto);
        if !sec.mid.is_empty() {
            let _ = write!(s, "a=mid:{}\r\n", sec.mid);
        }
        if matches!(sec.kind, SectionKind::Media(_)) {
            s.push_str("a=inactive\r\n");
        }
        return;
    }
    let port = if sec.bundle_only { 0 } else { 9 };
    let fmts = match sec.kind {
        SectionKind::Application => "webrtc-datachannel".to_string(),
        _ => sec
            .codecs
            .iter()
            .map(|c| c.payload_type.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let _ = write!(
        s,
        "m={kind} {port} {} {fmts}\r\nc=IN IP4 0.0.0.0\r\n",
        sec.proto
    );
    if matches!(sec.kind, SectionKind::Media(_)) {
        s.push_str("a=rtcp:9 IN IP4 0.0.0.0\r\n");
    }
    if !sec.bundle_only {
        for c in &t.candidates {
            let _ = write!(s, "a={c}\r\n");
        }
        if t.end_of_candidates {
            s.push_str("a=end-of-candidates\r\n");
        }
    }
    let _ = write!(
        s,
        "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\na=fingerprint:{} {}\r\na=setup:{}\r\na=mid:{}\r\n",
        t.ufrag,
        t.pwd,
        t.fingerprint.0,
        t.fingerprint.1,
        t.setup.as_str(),
        sec.mid
    );
    if sec.bundle_only {
        s.push_str("a=bundle-only\r\n");
    }
    if let Some((port, mms)) = sec.sctp {
        let _ = write!(s, "a=sctp-port:{port}\r\na=max-message-size:{mms}\r\n");
        return;
    }
    for e in &sec.extensions {
        let _ = write!(s, "a=extmap:{} {}\r\n", e.id, e.uri);
    }
    let _ = write!(s, "a={}\r\n", sec.direction.as_str());
    if let Some((streams, track)) = &sec.msid {
        if streams.is_empty() {
            let _ = write!(s, "a=msid:- {track}\r\n");
        }
        for st in streams {
            let _ = write!(s, "a=msid:{st} {track}\r\n");
        }
    }
    s.push_str("a=rtcp-mux\r\na=rtcp-rsize\r\n");
    for c in &sec.codecs {
        let _ = write!(
            s,
            "a=rtpmap:{} {}/{}",
            c.payload_type,
            c.encoding_name(),
            c.clock_rate
        );
        if let Some(ch) = c.channels {
            let _ = write!(s, "/{ch}");
        }
        s.push_str("\r\n");
        for (kind, param) in &c.rtcp_feedback {
            match param {
                Some(p) => {
                    let _ = write!(s, "a=rtcp-fb:{} {kind} {p}\r\n", c.payload_type);
                }
                None => {
                    let _ = write!(s, "a=rtcp-fb:{} {kind}\r\n", c.payload_type);
                }
            }
        }
        if !c.sdp_fmtp_line.is_empty() {
            let _ = write!(s, "a=fmtp:{} {}\r\n", c.payload_type, c.sdp_fmtp_line);
        }
    }
    if !sec.rids.is_empty() {
        let dir = if sec.rids_send { "send" } else { "recv" };
        for r in &sec.rids {
            let _ = write!(s, "a=rid:{r} {dir}\r\n");
        }
        let _ = write!(s, "a=simulcast:{dir} {}\r\n", sec.rids.join(";"));
    } else {
        for (ssrc, rtx) in &sec.ssrcs {
            if let Some(rtx) = rtx {
                let _ = write!(s, "a=ssrc-group:FID {ssrc} {rtx}\r\n");
            }
        }
        for (ssrc, rtx) in &sec.ssrcs {
            let _ = write!(s, "a=ssrc:{ssrc} cname:{}\r\n", sec.cname);
            if let Some((streams, track)) = &sec.msid {
                let st = streams.first().map(String::as_str).unwrap_or("-");
                let _ = write!(s, "a=ssrc:{ssrc} msid:{st} {track}\r\n");
            }
            if let Some(rtx) = rtx {
                let _ = write!(s, "a=ssrc:{rtx} cname:{}\r\n", sec.cname);
                if let Some((streams, track)) = &sec.msid {
                    let st = streams.first().map(String::as_str).unwrap_or("-");
                    let _ = write!(s, "a=ssrc:{rtx} msid:{st} {track}\r\n");
                }
            }
        }
    }
}

/// Upper-case colon-separated hex, as fingerprints are written.
pub fn hex_fingerprint(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}
