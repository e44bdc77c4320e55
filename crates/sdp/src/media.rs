//! Media descriptions (`m=` sections) and the attribute accessors shared with
//! the session level.

use std::fmt;

use crate::attribute::Attribute;
use crate::candidate::Candidate;
use crate::session::{Bandwidth, Connection};
use crate::types::{Direction, Extmap, Fingerprint, Rid, Rtpmap, Sctpmap, Setup, Simulcast};

/// The media type of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// `application` (data channels)
    Application,
    /// Anything else, as written (e.g. `text`, `message`).
    Other(String),
}

impl MediaKind {
    /// The media type as written on the `m=` line.
    pub fn as_str(&self) -> &str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Application => "application",
            MediaKind::Other(s) => s,
        }
    }

    pub(crate) fn from_token(s: &str) -> MediaKind {
        match s {
            "audio" => MediaKind::Audio,
            "video" => MediaKind::Video,
            "application" => MediaKind::Application,
            _ => MediaKind::Other(s.to_string()),
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One media section: the `m=` line and the `i=`, `c=`, `b=`, `k=`, `a=` lines after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaDescription {
    /// Media type.
    pub kind: MediaKind,
    /// Transport port (9 is the JSEP placeholder; 0 means rejected).
    pub port: u16,
    /// Number of ports (`<port>/<count>`), if given.
    pub port_count: Option<u16>,
    /// Transport protocol, e.g. `UDP/TLS/RTP/SAVPF` or `UDP/DTLS/SCTP`.
    pub proto: String,
    /// Formats: RTP payload types, or `webrtc-datachannel`.
    pub formats: Vec<String>,
    /// `i=` media title.
    pub title: Option<String>,
    /// `c=` connection data.
    pub connection: Option<Connection>,
    /// `b=` lines in order.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` (obsolete encryption key), kept for round-tripping.
    pub encryption_key: Option<String>,
    /// `a=` lines in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// A media section with the given `m=` line and nothing else.
    pub fn new(kind: MediaKind, port: u16, proto: impl Into<String>, formats: Vec<String>) -> Self {
        MediaDescription {
            kind,
            port,
            port_count: None,
            proto: proto.into(),
            formats,
            title: None,
            connection: None,
            bandwidths: Vec::new(),
            encryption_key: None,
            attributes: Vec::new(),
        }
    }

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Mid(m) => Some(m.as_str()),
            _ => None,
        })
    }

    /// The direction attribute, `SendRecv` if none is present.
    pub fn direction(&self) -> Direction {
        direction_of(&self.attributes).unwrap_or(Direction::SendRecv)
    }

    /// Replaces any direction attribute with `d` (appended if there was none).
    pub fn set_direction(&mut self, d: Direction) {
        match self
            .attributes
            .iter_mut()
            .find(|a| matches!(a, Attribute::Direction(_)))
        {
            Some(a) => *a = Attribute::Direction(d),
            None => self.attributes.push(Attribute::Direction(d)),
        }
        let mut seen = false;
        self.attributes.retain(|a| {
            let dir = matches!(a, Attribute::Direction(_));
            let keep = !(dir && seen);
            seen |= dir;
            keep
        });
    }

    /// `a=ice-ufrag`.
    pub fn ice_ufrag(&self) -> Option<&str> {
        ice_ufrag(&self.attributes)
    }

    /// `a=ice-pwd`.
    pub fn ice_pwd(&self) -> Option<&str> {
        ice_pwd(&self.attributes)
    }

    /// All `a=ice-options` tokens.
    pub fn ice_options(&self) -> Vec<&str> {
        ice_options(&self.attributes)
    }

    /// All `a=fingerprint` lines.
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        fingerprints(&self.attributes)
    }

    /// `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        setup(&self.attributes)
    }

    /// All `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &Rtpmap> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Rtpmap(r) => Some(r),
            _ => None,
        })
    }

    /// The `a=rtpmap` for payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<&Rtpmap> {
        self.rtpmaps().find(|r| r.payload_type == pt)
    }

    /// The `a=fmtp` parameters of payload type `pt` (see [`crate::parse_fmtp_params`]).
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp {
                payload_type,
                params,
            } if *payload_type == pt => Some(params.as_str()),
            _ => None,
        })
    }

    /// `a=rtcp-fb` entries that apply to `pt` (its own and `*`), as `(kind, param)`.
    pub fn rtcp_fbs(&self, pt: u8) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.attributes.iter().filter_map(move |a| match a {
            Attribute::RtcpFb {
                payload_type,
                kind,
                param,
            } if payload_type.is_none_or(|p| p == pt) => Some((kind.as_str(), param.as_deref())),
            _ => None,
        })
    }

    /// All `a=extmap` lines.
    pub fn extmaps(&self) -> impl Iterator<Item = &Extmap> {
        extmaps(&self.attributes)
    }

    /// All `a=candidate` lines.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Candidate(c) => Some(c),
            _ => None,
        })
    }

    /// Whether `a=end-of-candidates` is present.
    pub fn end_of_candidates(&self) -> bool {
        self.has("end-of-candidates")
    }

    /// All `a=ssrc` lines as `(ssrc, attribute, value)`.
    pub fn ssrcs(&self) -> impl Iterator<Item = (u32, &str, Option<&str>)> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Ssrc {
                ssrc,
                attribute,
                value,
            } => Some((*ssrc, attribute.as_str(), value.as_deref())),
            _ => None,
        })
    }

    /// All `a=ssrc-group` lines as `(semantics, ssrcs)`.
    pub fn ssrc_groups(&self) -> impl Iterator<Item = (&str, &[u32])> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::SsrcGroup { semantics, ssrcs } => Some((semantics.as_str(), &ssrcs[..])),
            _ => None,
        })
    }

    /// All `a=msid` lines as `(stream id, track id)`.
    pub fn msids(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Msid {
                stream_id,
                track_id,
            } => Some((stream_id.as_str(), track_id.as_deref())),
            _ => None,
        })
    }

    /// All `a=rid` lines.
    pub fn rids(&self) -> impl Iterator<Item = &Rid> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Rid(r) => Some(r),
            _ => None,
        })
    }

    /// `a=simulcast`.
    pub fn simulcast(&self) -> Option<&Simulcast> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Simulcast(s) => Some(s),
            _ => None,
        })
    }

    /// `a=sctp-port`.
    pub fn sctp_port(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::SctpPort(p) => Some(*p),
            _ => None,
        })
    }

    /// `a=max-message-size`.
    pub fn max_message_size(&self) -> Option<u64> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxMessageSize(n) => Some(*n),
            _ => None,
        })
    }

    /// `a=sctpmap` (legacy data channel syntax).
    pub fn sctpmap(&self) -> Option<&Sctpmap> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Sctpmap(s) => Some(s),
            _ => None,
        })
    }

    /// `a=rtcp` as `(port, connection)`.
    pub fn rtcp(&self) -> Option<(u16, Option<&Connection>)> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Rtcp { port, connection } => Some((*port, connection.as_ref())),
            _ => None,
        })
    }

    /// `a=ptime`.
    pub fn ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Ptime(n) => Some(*n),
            _ => None,
        })
    }

    /// `a=maxptime`.
    pub fn max_ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxPtime(n) => Some(*n),
            _ => None,
        })
    }

    /// Whether `a=rtcp-mux` is present.
    pub fn rtcp_mux(&self) -> bool {
        self.has("rtcp-mux")
    }

    /// Whether `a=rtcp-mux-only` is present.
    pub fn rtcp_mux_only(&self) -> bool {
        self.has("rtcp-mux-only")
    }

    /// Whether `a=rtcp-rsize` is present.
    pub fn rtcp_rsize(&self) -> bool {
        self.has("rtcp-rsize")
    }

    /// Whether `a=extmap-allow-mixed` is present.
    pub fn extmap_allow_mixed(&self) -> bool {
        self.has("extmap-allow-mixed")
    }

    /// Whether `a=bundle-only` is present.
    pub fn is_bundle_only(&self) -> bool {
        self.has("bundle-only")
    }

    /// Whether the section is rejected: port 0 and not `a=bundle-only`.
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && !self.is_bundle_only()
    }

    /// The payload types on the `m=` line that are numbers, in order.
    pub fn payload_types(&self) -> Vec<u8> {
        self.formats
            .iter()
            .filter_map(|f| crate::util::number(f))
            .collect()
    }

    /// Whether an attribute named `name` is present (e.g. `"rtcp-mux"`, `"x-google-flag"`).
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The first attribute named `name`.
    pub fn find(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }

    /// All attributes named `name`, in order.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> {
        self.attributes.iter().filter(move |a| a.name() == name)
    }

    /// Removes every attribute named `name`; returns how many were removed.
    pub fn remove_attributes(&mut self, name: &str) -> usize {
        let before = self.attributes.len();
        self.attributes.retain(|a| a.name() != name);
        before - self.attributes.len()
    }

    /// Appends an attribute.
    pub fn push(&mut self, attribute: Attribute) {
        self.attributes.push(attribute);
    }

    /// Puts `attribute` where the first attribute of the same name is and
    /// removes the others of that name; appends it if there was none.
    /// Handy for `ice-ufrag`/`ice-pwd` on an ICE restart or `setup` in an
    /// answer. (For directions, whose names differ, use [`Self::set_direction`].)
    pub fn replace(&mut self, attribute: Attribute) {
        replace_attribute(&mut self.attributes, attribute);
    }

    pub(crate) fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.kind, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.formats {
            write!(f, " {fmt}")?;
        }
        f.write_str("\r\n")?;
        if let Some(t) = &self.title {
            write!(f, "i={t}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        for b in &self.bandwidths {
            write!(f, "b={b}\r\n")?;
        }
        if let Some(k) = &self.encryption_key {
            write!(f, "k={k}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "a={a}\r\n")?;
        }
        Ok(())
    }
}

impl fmt::Display for MediaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

// Accessors shared by the session and media levels.

pub(crate) fn replace_attribute(attrs: &mut Vec<Attribute>, attribute: Attribute) {
    let name = attribute.name().to_string();
    match attrs.iter().position(|a| a.name() == name) {
        Some(first) => {
            attrs[first] = attribute;
            let mut index = 0;
            attrs.retain(|a| {
                let keep = index <= first || a.name() != name;
                index += 1;
                keep
            });
        }
        None => attrs.push(attribute),
    }
}

pub(crate) fn direction_of(attrs: &[Attribute]) -> Option<Direction> {
    attrs.iter().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

pub(crate) fn ice_ufrag(attrs: &[Attribute]) -> Option<&str> {
    attrs.iter().find_map(|a| match a {
        Attribute::IceUfrag(s) => Some(s.as_str()),
        _ => None,
    })
}

pub(crate) fn ice_pwd(attrs: &[Attribute]) -> Option<&str> {
    attrs.iter().find_map(|a| match a {
        Attribute::IcePwd(s) => Some(s.as_str()),
        _ => None,
    })
}

pub(crate) fn ice_options(attrs: &[Attribute]) -> Vec<&str> {
    attrs
        .iter()
        .filter_map(|a| match a {
            Attribute::IceOptions(o) => Some(o.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect()
}

pub(crate) fn fingerprints(attrs: &[Attribute]) -> impl Iterator<Item = &Fingerprint> {
    attrs.iter().filter_map(|a| match a {
        Attribute::Fingerprint(f) => Some(f),
        _ => None,
    })
}

pub(crate) fn setup(attrs: &[Attribute]) -> Option<Setup> {
    attrs.iter().find_map(|a| match a {
        Attribute::Setup(s) => Some(*s),
        _ => None,
    })
}

pub(crate) fn extmaps(attrs: &[Attribute]) -> impl Iterator<Item = &Extmap> {
    attrs.iter().filter_map(|a| match a {
        Attribute::Extmap(e) => Some(e),
        _ => None,
    })
}
