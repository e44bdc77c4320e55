//! What JSEP needs to know of a parsed description, read once from the SDP
//! model, so the rest of JSEP does not walk attribute lists.

use rtcpeer_sdp as sdp;

use crate::codecs::{Codec, HeaderExtension};
use crate::description::{Direction, MediaKind};
use crate::error::{Error, Result};

/// The kind of an m-section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionKind {
    /// Audio or video.
    Media(MediaKind),
    /// `m=application` (data channels).
    Application,
    /// Anything else (`m=text`, `m=message` …): always rejected.
    Other(String),
}

/// The DTLS `a=setup` role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// `active`: DTLS client.
    Active,
    /// `passive`: DTLS server.
    Passive,
    /// `actpass`: either.
    Actpass,
    /// `holdconn`.
    Holdconn,
}

impl Setup {
    /// The SDP value.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Actpass => "actpass",
            Setup::Holdconn => "holdconn",
        }
    }
}

/// One m-section of a description.
#[derive(Debug, Clone)]
pub struct MediaSummary {
    /// Its index.
    pub index: usize,
    /// Its kind.
    pub kind: SectionKind,
    /// The port (0: rejected, unless bundle-only).
    pub port: u16,
    /// The proto field.
    pub proto: String,
    /// The mid.
    pub mid: Option<String>,
    /// The direction attribute (sendrecv when absent).
    pub direction: Direction,
    /// ICE ufrag (media level, else session level).
    pub ice_ufrag: Option<String>,
    /// ICE password (media level, else session level).
    pub ice_pwd: Option<String>,
    /// ICE options (media level, else session level).
    pub ice_options: Vec<String>,
    /// Fingerprints (media level, else session level): (algorithm, bytes).
    pub fingerprints: Vec<(String, Vec<u8>)>,
    /// The setup attribute.
    pub setup: Option<Setup>,
    /// `a=rtcp-mux` present.
    pub rtcp_mux: bool,
    /// `a=rtcp-rsize` present.
    pub rtcp_rsize: bool,
    /// Codecs in the order of the m= line.
    pub codecs: Vec<Codec>,
    /// Header extensions.
    pub extensions: Vec<HeaderExtension>,
    /// `a=msid` (or legacy `a=ssrc … msid:`) pairs: (stream id, track id).
    pub msids: Vec<(String, Option<String>)>,
    /// SSRCs announced.
    pub ssrcs: Vec<u32>,
    /// `a=bundle-only`.
    pub bundle_only: bool,
    /// `a=sctp-port`.
    pub sctp_port: Option<u16>,
    /// `a=max-message-size`.
    pub max_message_size: Option<u64>,
    /// Candidates.
    pub candidates: Vec<sdp::Candidate>,
    /// `a=end-of-candidates`.
    pub end_of_candidates: bool,
    /// RIDs offered (simulcast layers).
    pub rids: Vec<String>,
}

impl MediaSummary {
    /// Rejected: port 0 and not bundle-only.
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && !self.bundle_only
    }
}

/// A whole description.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The m-sections.
    pub media: Vec<MediaSummary>,
    /// `a=group:BUNDLE` groups.
    pub bundle_groups: Vec<Vec<String>>,
    /// `a=ice-lite` at session level.
    pub ice_lite: bool,
    /// `a=identity` at session level.
    pub identity: Option<String>,
    /// Whether `a=msid-semantic` or `a=msid` was used at all.
    pub session_id: u64,
    /// The o= session version.
    pub session_version: u64,
}

impl Summary {
    /// Whether `a=ice-options:trickle` appears in any section (or the session).
    pub fn trickle(&self) -> bool {
        self.media
            .iter()
            .any(|m| m.ice_options.iter().any(|o| o == "trickle"))
    }

    /// The m-section with this mid.
    pub fn by_mid(&self, mid: &str) -> Option<&MediaSummary> {
        self.media.iter().find(|m| m.mid.as_deref() == Some(mid))
    }

    /// The BUNDLE group containing `mid`.
    pub fn bundle_group_of(&self, mid: &str) -> Option<&Vec<String>> {
        self.bundle_groups
            .iter()
            .find(|g| g.iter().any(|m| m == mid))
    }
}

fn static_codec(pt: u8) -> Option<(&'static str, u32, Option<u16>)> {
    Some(match pt {
        0 => ("audio/PCMU", 8000, None),
        8 => ("audio/PCMA", 8000, None),
        9 => ("audio/G722", 8000, None),
        13 => ("audio/CN", 8000, None),
        _ => return None,
    })
}

/// Parse SDP text into the model, mapping a syntax error to the W3C `RTCError`.
pub fn parse(text: &str) -> Result<sdp::SessionDescription> {
    text.parse::<sdp::SessionDescription>()
        .map_err(|e| Error::sdp_syntax(e.line, e.message.clone()))
}

/// Read a parsed description.
pub fn summarize(desc: &sdp::SessionDescription) -> Summary {
    use sdp::Attribute as A;
    let mut s_ufrag = None;
    let mut s_pwd = None;
    let mut s_opts = Vec::new();
    let mut s_fps = Vec::new();
    let mut s_setup = None;
    let mut bundle_groups = Vec::new();
    let mut ice_lite = false;
    let mut identity = None;
    for a in &desc.attributes {
        match a {
            A::IceUfrag(u) => s_ufrag = Some(u.clone()),
            A::IcePwd(p) => s_pwd = Some(p.clone()),
            A::IceOptions(o) => s_opts = o.clone(),
            A::Fingerprint(f) => s_fps.push((f.algorithm.to_ascii_lowercase(), f.value.clone())),
            A::Setup(s) => s_setup = Some(setup_of(s)),
            A::Group(g) if g.semantics.eq_ignore_ascii_case("BUNDLE") => {
                bundle_groups.push(g.mids.clone())
            }
            A::IceLite => ice_lite = true,
            A::Identity(i) => identity = Some(i.clone()),
            _ => {}
        }
    }
    let mut media = Vec::with_capacity(desc.media.len());
    for (index, m) in desc.media.iter().enumerate() {
        let kind = match &m.kind {
            sdp::MediaKind::Audio => SectionKind::Media(MediaKind::Audio),
            sdp::MediaKind::Video => SectionKind::Media(MediaKind::Video),
            sdp::MediaKind::Application => SectionKind::Application,
            sdp::MediaKind::Other(o) => SectionKind::Other(o.clone()),
        };
        let mut ms = MediaSummary {
            index,
            kind,
            port: m.port,
            proto: m.proto.clone(),
            mid: None,
            direction: Direction::SendRecv,
            ice_ufrag: None,
            ice_pwd: None,
            ice_options: Vec::new(),
            fingerprints: Vec::new(),
            setup: None,
            rtcp_mux: false,
            rtcp_rsize: false,
            codecs: Vec::new(),
            extensions: Vec::new(),
            msids: Vec::new(),
            ssrcs: Vec::new(),
            bundle_only: false,
            sctp_port: None,
            max_message_size: None,
            candidates: Vec::new(),
            end_of_candidates: false,
            rids: Vec::new(),
        };
        let media_kind = match &ms.kind {
            SectionKind::Media(MediaKind::Audio) => "audio",
            _ => "video",
        };
        // Codecs in m= line order; rtpmap/fmtp/rtcp-fb fill them in.
        let mut codecs: Vec<Codec> = m
            .formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .map(|pt| {
                let (mime, clock, ch) = static_codec(pt).unwrap_or(("", 0, None));
                Codec {
                    payload_type: pt,
                    mime_type: mime.to_string(),
                    clock_rate: clock,
                    channels: ch,
                    sdp_fmtp_line: String::new(),
                    rtcp_feedback: Vec::new(),
                }
            })
            .collect();
        let mut wildcard_fb = Vec::new();
        let mut ssrc_msids = Vec::new();
        for a in &m.attributes {
            match a {
                A::Mid(mid) => ms.mid = Some(mid.clone()),
                A::Direction(d) => ms.direction = direction_of(d),
                A::IceUfrag(u) => ms.ice_ufrag = Some(u.clone()),
                A::IcePwd(p) => ms.ice_pwd = Some(p.clone()),
                A::IceOptions(o) => ms.ice_options = o.clone(),
                A::Fingerprint(f) => ms
                    .fingerprints
                    .push((f.algorithm.to_ascii_lowercase(), f.value.clone())),
                A::Setup(s) => ms.setup = Some(setup_of(s)),
                A::RtcpMux => ms.rtcp_mux = true,
                A::RtcpMuxOnly => ms.rtcp_mux = true,
                A::RtcpRsize => ms.rtcp_rsize = true,
                A::Rtpmap(r) => {
                    if let Some(c) = codecs.iter_mut().find(|c| c.payload_type == r.payload_type) {
                        c.mime_type = format!("{media_kind}/{}", r.encoding);
                        c.clock_rate = r.clock_rate;
                        c.channels = r.channels;
                    }
                }
                A::Fmtp {
                    payload_type,
                    params,
                } => {
                    if let Some(c) = codecs.iter_mut().find(|c| c.payload_type == *payload_type) {
                        c.sdp_fmtp_line = params.clone();
                    }
                }
                A::RtcpFb {
                    payload_type,
                    kind,
                    param,
                } => {
                    let fb = (kind.clone(), param.clone());
                    match payload_type {
                        Some(pt) => {
                            if let Some(c) = codecs.iter_mut().find(|c| c.payload_type == *pt) {
                                c.rtcp_feedback.push(fb);
                            }
                        }
                        None => wildcard_fb.push(fb),
                    }
                }
                A::Extmap(e) => ms.extensions.push(HeaderExtension {
                    id: e.id,
                    uri: e.uri.clone(),
                }),
                A::Msid {
                    stream_id,
                    track_id,
                } => ms.msids.push((stream_id.clone(), track_id.clone())),
                A::Ssrc {
                    ssrc,
                    attribute,
                    value,
                } => {
                    if !ms.ssrcs.contains(ssrc) {
                        ms.ssrcs.push(*ssrc);
                    }
                    if attribute == "msid" {
                        if let Some(v) = value {
                            let mut it = v.split_whitespace();
                            if let Some(stream) = it.next() {
                                let pair = (stream.to_string(), it.next().map(str::to_string));
                                if !ssrc_msids.contains(&pair) {
                                    ssrc_msids.push(pair);
                                }
                            }
                        }
                    }
                }
                A::BundleOnly => ms.bundle_only = true,
                A::SctpPort(p) => ms.sctp_port = Some(*p),
                A::MaxMessageSize(s) => ms.max_message_size = Some(*s),
                A::Candidate(c) => ms.candidates.push(c.clone()),
                A::EndOfCandidates => ms.end_of_candidates = true,
                A::Rid(r) => ms.rids.push(r.id.clone()),
                _ => {}
            }
        }
        for c in codecs.iter_mut() {
            for fb in &wildcard_fb {
                if !c.rtcp_feedback.contains(fb) {
                    c.rtcp_feedback.push(fb.clone());
                }
            }
        }
        codecs.retain(|c| !c.mime_type.is_empty());
        ms.codecs = codecs;
        if ms.msids.is_empty() {
            ms.msids = ssrc_msids;
        }
        if ms.ice_ufrag.is_none() {
            ms.ice_ufrag = s_ufrag.clone();
        }
        if ms.ice_pwd.is_none() {
            ms.ice_pwd = s_pwd.clone();
        }
        if ms.ice_options.is_empty() {
            ms.ice_options = s_opts.clone();
        }
        if ms.fingerprints.is_empty() {
            ms.fingerprints = s_fps.clone();
        }
        if ms.setup.is_none() {
            ms.setup = s_setup;
        }
        if ms.sctp_port.is_none() && ms.kind == SectionKind::Application {
            // Legacy `m=application 9 DTLS/SCTP 5000` with a=sctpmap.
            if let Some(p) = m.formats.first().and_then(|f| f.parse::<u16>().ok()) {
                if ms.proto.eq_ignore_ascii_case("DTLS/SCTP") {
                    ms.sctp_port = Some(p);
                }
            }
        }
        media.push(ms);
    }
    Summary {
        media,
        bundle_groups,
        ice_lite,
        identity,
        session_id: desc.origin.session_id,
        session_version: desc.origin.session_version,
    }
}

fn setup_of(s: &sdp::Setup) -> Setup {
    match s {
        sdp::Setup::Active => Setup::Active,
        sdp::Setup::Passive => Setup::Passive,
        sdp::Setup::Actpass => Setup::Actpass,
        sdp::Setup::Holdconn => Setup::Holdconn,
    }
}

fn direction_of(d: &sdp::Direction) -> Direction {
    match d {
        sdp::Direction::SendRecv => Direction::SendRecv,
        sdp::Direction::SendOnly => Direction::SendOnly,
        sdp::Direction::RecvOnly => Direction::RecvOnly,
        sdp::Direction::Inactive => Direction::Inactive,
    }
}
