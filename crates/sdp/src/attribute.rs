//! The `a=` attribute: one typed variant per attribute WebRTC uses, and
//! [`Attribute::Other`] for everything else (kept verbatim).

use std::fmt;

use crate::candidate::Candidate;
use crate::session::Connection;
use crate::types::{Direction, Extmap, Fingerprint, Group, Rid, Rtpmap, Sctpmap, Setup, Simulcast};
use crate::util::{first_word, number_or, payload_type, tokens, trim_spaces};

/// One `a=` line.
///
/// Parsing keeps the order of lines. A known attribute with a malformed
/// value is a parse error; an unknown one (or a flag attribute written with
/// a value) becomes [`Attribute::Other`] and is written back unchanged.
/// `Display` writes the text after `a=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// `a=ice-ufrag:<ufrag>`
    IceUfrag(String),
    /// `a=ice-pwd:<password>`
    IcePwd(String),
    /// `a=ice-options:<option> ...` (e.g. `trickle`, `renomination`, `ice2`).
    IceOptions(Vec<String>),
    /// `a=ice-lite`
    IceLite,
    /// `a=ice-mismatch`
    IceMismatch,
    /// `a=fingerprint:<hash> <hex>`
    Fingerprint(Fingerprint),
    /// `a=setup:<role>`
    Setup(Setup),
    /// `a=mid:<mid>`
    Mid(String),
    /// `a=group:<semantics> <mid> ...`
    Group(Group),
    /// `a=msid:<stream id> [<track id>]`
    Msid {
        /// Media stream id (`-` for none).
        stream_id: String,
        /// Track id (appdata), if given.
        track_id: Option<String>,
    },
    /// `a=msid-semantic:<semantics> <id> ...` (e.g. `WMS *`).
    ///
    /// Chromium writes `a=msid-semantic: WMS ...` with a space after the
    /// colon; that form is kept as [`Attribute::Other`] so it is written back
    /// exactly. Use `SessionDescription::msid_semantics` to read both forms.
    MsidSemantic {
        /// Semantics token, e.g. `WMS`.
        semantics: String,
        /// Identifiers that follow.
        ids: Vec<String>,
    },
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive`.
    Direction(Direction),
    /// `a=rtcp-mux`
    RtcpMux,
    /// `a=rtcp-mux-only`
    RtcpMuxOnly,
    /// `a=rtcp-rsize`
    RtcpRsize,
    /// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
    Rtcp {
        /// RTCP port.
        port: u16,
        /// RTCP address, if given.
        connection: Option<Connection>,
    },
    /// `a=rtpmap:...`
    Rtpmap(Rtpmap),
    /// `a=fmtp:<pt> <params>`; see [`crate::parse_fmtp_params`].
    Fmtp {
        /// Payload type.
        payload_type: u8,
        /// Format parameters as written (may be empty).
        params: String,
    },
    /// `a=rtcp-fb:<pt|*> <kind> [<param>]` (RFC 4585), e.g. `96 nack pli`.
    RtcpFb {
        /// Payload type, `None` for `*` (all).
        payload_type: Option<u8>,
        /// Feedback type, e.g. `nack`, `ccm`, `goog-remb`, `transport-cc`.
        kind: String,
        /// Rest of the line, e.g. `pli` or `fir`.
        param: Option<String>,
    },
    /// `a=extmap:...`
    Extmap(Extmap),
    /// `a=extmap-allow-mixed` (RFC 8285 §6)
    ExtmapAllowMixed,
    /// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576), e.g. `cname:x`.
    Ssrc {
        /// The SSRC.
        ssrc: u32,
        /// Source attribute name, e.g. `cname`, `msid`.
        attribute: String,
        /// Its value, if a `:` followed the name.
        value: Option<String>,
    },
    /// `a=ssrc-group:<semantics> <ssrc> ...`, e.g. `FID 1 2`.
    SsrcGroup {
        /// Semantics, e.g. `FID`, `SIM`, `FEC-FR`.
        semantics: String,
        /// The SSRCs in order.
        ssrcs: Vec<u32>,
    },
    /// `a=rid:...`
    Rid(Rid),
    /// `a=simulcast:...`
    Simulcast(Simulcast),
    /// `a=sctp-port:<port>` (RFC 8841)
    SctpPort(u16),
    /// `a=max-message-size:<bytes>` (RFC 8841)
    MaxMessageSize(u64),
    /// `a=sctpmap:...` (legacy)
    Sctpmap(Sctpmap),
    /// `a=candidate:...`
    Candidate(Candidate),
    /// `a=end-of-candidates`
    EndOfCandidates,
    /// `a=identity:<assertion>`
    Identity(String),
    /// `a=bundle-only`
    BundleOnly,
    /// `a=ptime:<ms>`
    Ptime(u32),
    /// `a=maxptime:<ms>`
    MaxPtime(u32),
    /// Any other attribute, verbatim: `a=<name>` or `a=<name>:<value>`.
    Other {
        /// Name (text before the first `:`).
        name: String,
        /// Value (text after the first `:`), `None` if there was no `:`.
        value: Option<String>,
    },
}

impl Attribute {
    /// The attribute name as written after `a=` (e.g. `"rtpmap"`, `"sendrecv"`).
    pub fn name(&self) -> &str {
        match self {
            Attribute::IceUfrag(_) => "ice-ufrag",
            Attribute::IcePwd(_) => "ice-pwd",
            Attribute::IceOptions(_) => "ice-options",
            Attribute::IceLite => "ice-lite",
            Attribute::IceMismatch => "ice-mismatch",
            Attribute::Fingerprint(_) => "fingerprint",
            Attribute::Setup(_) => "setup",
            Attribute::Mid(_) => "mid",
            Attribute::Group(_) => "group",
            Attribute::Msid { .. } => "msid",
            Attribute::MsidSemantic { .. } => "msid-semantic",
            Attribute::Direction(d) => d.as_str(),
            Attribute::RtcpMux => "rtcp-mux",
            Attribute::RtcpMuxOnly => "rtcp-mux-only",
            Attribute::RtcpRsize => "rtcp-rsize",
            Attribute::Rtcp { .. } => "rtcp",
            Attribute::Rtpmap(_) => "rtpmap",
            Attribute::Fmtp { .. } => "fmtp",
            Attribute::RtcpFb { .. } => "rtcp-fb",
            Attribute::Extmap(_) => "extmap",
            Attribute::ExtmapAllowMixed => "extmap-allow-mixed",
            Attribute::Ssrc { .. } => "ssrc",
            Attribute::SsrcGroup { .. } => "ssrc-group",
            Attribute::Rid(_) => "rid",
            Attribute::Simulcast(_) => "simulcast",
            Attribute::SctpPort(_) => "sctp-port",
            Attribute::MaxMessageSize(_) => "max-message-size",
            Attribute::Sctpmap(_) => "sctpmap",
            Attribute::Candidate(_) => "candidate",
            Attribute::EndOfCandidates => "end-of-candidates",
            Attribute::Identity(_) => "identity",
            Attribute::BundleOnly => "bundle-only",
            Attribute::Ptime(_) => "ptime",
            Attribute::MaxPtime(_) => "maxptime",
            Attribute::Other { name, .. } => name,
        }
    }

    /// Parses the text after `a=` (e.g. `rtpmap:111 opus/48000/2`).
    ///
    /// Trailing spaces and tabs are ignored (some servers write
    /// `a=rtcp-fb:111 transport-cc `). The error is a message without a line
    /// number.
    pub fn parse(text: &str) -> Result<Attribute, String> {
        let text = text.trim_end_matches([' ', '\t']);
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        let other = || Attribute::Other {
            name: name.to_string(),
            value: value.map(str::to_string),
        };
        let Some(v) = value else {
            // Flags: attributes without a value.
            return Ok(match name {
                "ice-lite" => Attribute::IceLite,
                "ice-mismatch" => Attribute::IceMismatch,
                "sendrecv" => Attribute::Direction(Direction::SendRecv),
                "sendonly" => Attribute::Direction(Direction::SendOnly),
                "recvonly" => Attribute::Direction(Direction::RecvOnly),
                "inactive" => Attribute::Direction(Direction::Inactive),
                "rtcp-mux" => Attribute::RtcpMux,
                "rtcp-mux-only" => Attribute::RtcpMuxOnly,
                "rtcp-rsize" => Attribute::RtcpRsize,
                "extmap-allow-mixed" => Attribute::ExtmapAllowMixed,
                "end-of-candidates" => Attribute::EndOfCandidates,
                "bundle-only" => Attribute::BundleOnly,
                n if Self::needs_value(n) => return Err(format!("a={n} needs a value")),
                _ => other(),
            });
        };
        let parsed = match name {
            "ice-ufrag" => Attribute::IceUfrag(v.to_string()),
            "ice-pwd" => Attribute::IcePwd(v.to_string()),
            "ice-options" => Attribute::IceOptions(tokens(v).map(str::to_string).collect()),
            "fingerprint" => Attribute::Fingerprint(v.parse()?),
            "setup" => Attribute::Setup(v.parse()?),
            "mid" => Attribute::Mid(v.to_string()),
            "group" => Attribute::Group(v.parse()?),
            "msid" => {
                let t: Vec<&str> = tokens(v).collect();
                match t.as_slice() {
                    [s] => Attribute::Msid {
                        stream_id: s.to_string(),
                        track_id: None,
                    },
                    [s, tr] => Attribute::Msid {
                        stream_id: s.to_string(),
                        track_id: Some(tr.to_string()),
                    },
                    _ => return Err("msid must be \"<stream id> [<track id>]\"".into()),
                }
            }
            "msid-semantic" => {
                if v.starts_with(' ') || v.is_empty() {
                    other()
                } else {
                    let mut t = tokens(v);
                    Attribute::MsidSemantic {
                        semantics: t.next().unwrap_or_default().to_string(),
                        ids: t.map(str::to_string).collect(),
                    }
                }
            }
            "rtcp" => {
                let t: Vec<&str> = tokens(v).collect();
                let port = number_or(t.first().copied().unwrap_or_default(), "rtcp port")?;
                let connection = match t.len() {
                    1 => None,
                    4 => Some(Connection {
                        network_type: t[1].to_string(),
                        address_type: t[2].to_string(),
                        address: t[3].to_string(),
                    }),
                    _ => return Err("rtcp must be \"<port> [IN IP4 <address>]\"".into()),
                };
                Attribute::Rtcp { port, connection }
            }
            "rtpmap" => Attribute::Rtpmap(v.parse()?),
            "fmtp" => {
                let (pt, params) = first_word(v);
                Attribute::Fmtp {
                    payload_type: payload_type(pt, "fmtp payload type")?,
                    params: params.unwrap_or_default().to_string(),
                }
            }
            "rtcp-fb" => {
                let (pt, rest) = first_word(v);
                let payload_type = match pt {
                    "*" => None,
                    pt => Some(payload_type(pt, "rtcp-fb payload type")?),
                };
                let (kind, param) = first_word(trim_spaces(rest.unwrap_or_default()));
                if kind.is_empty() {
                    return Err("rtcp-fb feedback type missing".into());
                }
                Attribute::RtcpFb {
                    payload_type,
                    kind: kind.to_string(),
                    param: param.map(str::to_string),
                }
            }
            "extmap" => Attribute::Extmap(v.parse()?),
            "ssrc" => {
                let (ssrc, rest) = first_word(v);
                let ssrc = number_or(ssrc, "ssrc")?;
                let rest = trim_spaces(rest.unwrap_or_default());
                let (attribute, value) = match rest.split_once(':') {
                    Some((a, v)) => (a, Some(v.to_string())),
                    None => (rest, None),
                };
                if attribute.is_empty() {
                    return Err("ssrc attribute missing".into());
                }
                Attribute::Ssrc {
                    ssrc,
                    attribute: attribute.to_string(),
                    value,
                }
            }
            "ssrc-group" => {
                if v.starts_with(' ') {
                    return Err("ssrc-group semantics missing".into());
                }
                let mut t = tokens(v);
                let semantics = t.next().ok_or("ssrc-group semantics missing")?.to_string();
                let ssrcs = t.map(|s| number_or(s, "ssrc")).collect::<Result<_, _>>()?;
                Attribute::SsrcGroup { semantics, ssrcs }
            }
            "rid" => Attribute::Rid(v.parse()?),
            "simulcast" => Attribute::Simulcast(v.parse()?),
            "sctp-port" => Attribute::SctpPort(number_or(v, "sctp port")?),
            "max-message-size" => Attribute::MaxMessageSize(number_or(v, "max-message-size")?),
            "sctpmap" => Attribute::Sctpmap(v.parse()?),
            "candidate" => {
                Attribute::Candidate(Candidate::parse_value(v).map_err(|e| e.to_string())?)
            }
            "identity" => Attribute::Identity(v.to_string()),
            "ptime" => Attribute::Ptime(number_or(v, "ptime")?),
            "maxptime" => Attribute::MaxPtime(number_or(v, "maxptime")?),
            _ => other(),
        };
        Ok(parsed)
    }

    /// Whether `name` is a known attribute that must have a value.
    fn needs_value(name: &str) -> bool {
        matches!(
            name,
            "ice-ufrag"
                | "ice-pwd"
                | "ice-options"
                | "fingerprint"
                | "setup"
                | "mid"
                | "group"
                | "msid"
                | "rtcp"
                | "rtpmap"
                | "fmtp"
                | "rtcp-fb"
                | "extmap"
                | "ssrc"
                | "ssrc-group"
                | "rid"
                | "simulcast"
                | "sctp-port"
                | "max-message-size"
                | "sctpmap"
                | "candidate"
                | "identity"
                | "ptime"
                | "maxptime"
        )
    }
}

impl std::str::FromStr for Attribute {
    type Err = String;
    /// Same as [`Attribute::parse`]: the text after `a=`.
    fn from_str(s: &str) -> Result<Self, String> {
        Attribute::parse(s)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Attribute::IceUfrag(s) | Attribute::IcePwd(s) | Attribute::Mid(s) => {
                write!(f, ":{s}")
            }
            Attribute::Identity(s) => write!(f, ":{s}"),
            Attribute::IceOptions(opts) => {
                f.write_str(":")?;
                f.write_str(&opts.join(" "))
            }
            Attribute::Fingerprint(fp) => write!(f, ":{fp}"),
            Attribute::Setup(s) => write!(f, ":{s}"),
            Attribute::Group(g) => write!(f, ":{g}"),
            Attribute::Msid {
                stream_id,
                track_id,
            } => {
                write!(f, ":{stream_id}")?;
                match track_id {
                    Some(t) => write!(f, " {t}"),
                    None => Ok(()),
                }
            }
            Attribute::MsidSemantic { semantics, ids } => {
                write!(f, ":{semantics}")?;
                ids.iter().try_for_each(|id| write!(f, " {id}"))
            }
            Attribute::Rtcp { port, connection } => {
                write!(f, ":{port}")?;
                match connection {
                    Some(c) => write!(f, " {c}"),
                    None => Ok(()),
                }
            }
            Attribute::Rtpmap(r) => write!(f, ":{r}"),
            Attribute::Fmtp {
                payload_type,
                params,
            } => {
                write!(f, ":{payload_type}")?;
                if params.is_empty() {
                    Ok(())
                } else {
                    write!(f, " {params}")
                }
            }
            Attribute::RtcpFb {
                payload_type,
                kind,
                param,
            } => {
                match payload_type {
                    Some(pt) => write!(f, ":{pt} {kind}")?,
                    None => write!(f, ":* {kind}")?,
                }
                match param {
                    Some(p) => write!(f, " {p}"),
                    None => Ok(()),
                }
            }
            Attribute::Extmap(e) => write!(f, ":{e}"),
            Attribute::Ssrc {
                ssrc,
                attribute,
                value,
            } => {
                write!(f, ":{ssrc} {attribute}")?;
                match value {
                    Some(v) => write!(f, ":{v}"),
                    None => Ok(()),
                }
            }
            Attribute::SsrcGroup { semantics, ssrcs } => {
                write!(f, ":{semantics}")?;
                ssrcs.iter().try_for_each(|s| write!(f, " {s}"))
            }
            Attribute::Rid(r) => write!(f, ":{r}"),
            Attribute::Simulcast(s) => write!(f, ":{s}"),
            Attribute::SctpPort(p) => write!(f, ":{p}"),
            Attribute::MaxMessageSize(n) => write!(f, ":{n}"),
            Attribute::Sctpmap(s) => write!(f, ":{s}"),
            Attribute::Candidate(c) => {
                f.write_str(":")?;
                c.write_value(f)
            }
            Attribute::Ptime(n) | Attribute::MaxPtime(n) => write!(f, ":{n}"),
            Attribute::Other { value, .. } => match value {
                Some(v) => write!(f, ":{v}"),
                None => Ok(()),
            },
            Attribute::IceLite
            | Attribute::IceMismatch
            | Attribute::Direction(_)
            | Attribute::RtcpMux
            | Attribute::RtcpMuxOnly
            | Attribute::RtcpRsize
            | Attribute::ExtmapAllowMixed
            | Attribute::EndOfCandidates
            | Attribute::BundleOnly => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "attribute_tests.rs"]
mod tests;
