//! The session description: its fields, the parser and the writer.

use std::fmt;
use std::str::FromStr;

use crate::attribute::Attribute;
use crate::error::ParseError;
use crate::media::{self, MediaDescription, MediaKind};
use crate::types::{Direction, Extmap, Fingerprint, Group, Setup};
use crate::util::{number, number_or, payload_type, tokens};

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// User name, `-` when there is none.
    pub username: String,
    /// Session id (JSEP: a random number below 2^63).
    pub session_id: u64,
    /// Session version, incremented by every new local description.
    pub session_version: u64,
    /// Network type, `IN`.
    pub network_type: String,
    /// Address type, `IP4` or `IP6`.
    pub address_type: String,
    /// Address (JSEP uses `127.0.0.1` or `0.0.0.0`).
    pub unicast_address: String,
}

impl Default for Origin {
    fn default() -> Self {
        Origin {
            username: "-".into(),
            session_id: 0,
            session_version: 0,
            network_type: "IN".into(),
            address_type: "IP4".into(),
            unicast_address: "127.0.0.1".into(),
        }
    }
}

impl FromStr for Origin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: Vec<&str> = tokens(s).collect();
        let [username, id, version, net, addr_type, addr] = t.as_slice() else {
            return Err(format!("o= needs 6 fields, found {}", t.len()));
        };
        Ok(Origin {
            username: username.to_string(),
            session_id: number_or(id, "session id")?,
            session_version: number_or(version, "session version")?,
            network_type: net.to_string(),
            address_type: addr_type.to_string(),
            unicast_address: addr.to_string(),
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.network_type,
            self.address_type,
            self.unicast_address
        )
    }
}

/// `c=<nettype> <addrtype> <address>` (also the address part of `a=rtcp`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Network type, `IN`.
    pub network_type: String,
    /// Address type, `IP4` or `IP6`.
    pub address_type: String,
    /// Address as written, including any `/ttl/count` suffix.
    pub address: String,
}

impl Connection {
    /// `IN IP4 0.0.0.0`, the JSEP placeholder.
    pub fn unspecified_ipv4() -> Self {
        Connection {
            network_type: "IN".into(),
            address_type: "IP4".into(),
            address: "0.0.0.0".into(),
        }
    }
}

impl FromStr for Connection {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: Vec<&str> = tokens(s).collect();
        let [net, addr_type, addr] = t.as_slice() else {
            return Err(format!("c= needs 3 fields, found {}", t.len()));
        };
        Ok(Connection {
            network_type: net.to_string(),
            address_type: addr_type.to_string(),
            address: addr.to_string(),
        })
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.network_type, self.address_type, self.address
        )
    }
}

/// `b=<bwtype>:<bandwidth>`, e.g. `AS:2000` (kbit/s) or `TIAS:2000000` (bit/s).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// Bandwidth type as written: `AS`, `TIAS`, `CT`, ...
    pub bwtype: String,
    /// The value.
    pub bandwidth: u64,
}

impl FromStr for Bandwidth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (bwtype, value) = s
            .split_once(':')
            .ok_or("b= must be \"<type>:<bandwidth>\"")?;
        if bwtype.is_empty() || bwtype.contains(' ') {
            return Err(format!("invalid bandwidth type {bwtype:?}"));
        }
        Ok(Bandwidth {
            bwtype: bwtype.to_string(),
            bandwidth: number_or(value, "bandwidth")?,
        })
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bwtype, self.bandwidth)
    }
}

/// `t=<start> <stop>` and the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// `r=` repeat lines, verbatim.
    pub repeats: Vec<String>,
}

impl FromStr for Timing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: Vec<&str> = tokens(s).collect();
        let [start, stop] = t.as_slice() else {
            return Err(format!("t= needs 2 fields, found {}", t.len()));
        };
        Ok(Timing {
            start: number_or(start, "start time")?,
            stop: number_or(stop, "stop time")?,
            repeats: Vec::new(),
        })
    }
}

/// A whole SDP session description (RFC 8866).
///
/// Parse with [`SessionDescription::parse`] or `str::parse`; write with
/// `to_string()` (CRLF line ends, canonical line order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDescription {
    /// `o=`
    pub origin: Origin,
    /// `s=` (JSEP: `-`).
    pub session_name: String,
    /// `i=` session information.
    pub information: Option<String>,
    /// `u=` URI.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// The first `t=` line (JSEP: `t=0 0`) with its `r=` lines.
    pub timing: Timing,
    /// Further `t=` lines, if any, each with its `r=` lines.
    pub extra_timings: Vec<Timing>,
    /// `z=` time zone adjustments, verbatim.
    pub time_zones: Option<String>,
    /// `k=` (obsolete encryption key), verbatim.
    pub encryption_key: Option<String>,
    /// Session-level `a=` lines in order.
    pub attributes: Vec<Attribute>,
    /// Media sections in order.
    pub media: Vec<MediaDescription>,
}

impl Default for SessionDescription {
    /// `v=0`, `o=- 0 0 IN IP4 127.0.0.1`, `s=-`, `t=0 0`, nothing else.
    fn default() -> Self {
        SessionDescription {
            origin: Origin::default(),
            session_name: "-".into(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timing: Timing::default(),
            extra_timings: Vec::new(),
            time_zones: None,
            encryption_key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }
}

/// Stores `value` in a field that may appear only once.
fn set_once<T>(slot: &mut Option<T>, value: T, line: usize, kind: char) -> Result<(), ParseError> {
    if slot.is_some() {
        return Err(ParseError::new(line, format!("duplicate {kind}= line")));
    }
    *slot = Some(value);
    Ok(())
}

/// Largest SDP text [`SessionDescription::parse`] accepts (1 MiB): a larger
/// one is refused with the number of the line that crosses the limit.
pub const MAX_SDP_BYTES: usize = 1 << 20;

/// Most media sections (`m=` lines) a description may have.
pub const MAX_MEDIA_SECTIONS: usize = 1_024;

/// Longest line (without its line end) a description may have (64 KiB).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

impl SessionDescription {
    /// Parses SDP text. Lines may end in CRLF or LF; trailing blank lines are
    /// ignored. Errors carry the 1-based line number.
    ///
    /// Untrusted text is bounded: at most [`MAX_SDP_BYTES`] in all,
    /// [`MAX_MEDIA_SECTIONS`] media sections and [`MAX_LINE_BYTES`] per line;
    /// beyond, the error names the line where the limit was crossed.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.len() > MAX_SDP_BYTES {
            let line = 1 + text.as_bytes()[..MAX_SDP_BYTES]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(ParseError::new(
                line,
                format!(
                    "description of {} bytes exceeds the limit of {MAX_SDP_BYTES} bytes",
                    text.len()
                ),
            ));
        }
        let mut lines: Vec<&str> = text.split('\n').collect();
        while lines.len() > 1 && matches!(lines.last(), Some(&"") | Some(&"\r")) {
            lines.pop();
        }
        let mut origin = None;
        let mut session_name = None;
        let mut timing: Option<Timing> = None;
        let mut sdp = SessionDescription::default();
        let (mut information, mut uri, mut connection) = (None, None, None);
        let (mut time_zones, mut key) = (None, None);
        let mut extra_timings: Vec<Timing> = Vec::new();
        let mut first_media_line = None;

        for (i, raw) in lines.iter().enumerate() {
            let n = i + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.len() > MAX_LINE_BYTES {
                return Err(ParseError::new(
                    n,
                    format!(
                        "line of {} bytes exceeds the limit of {MAX_LINE_BYTES} bytes",
                        line.len()
                    ),
                ));
            }
            let bytes = line.as_bytes();
            if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_lowercase() {
                let shown: String = line.chars().take(40).collect();
                return Err(ParseError::new(
                    n,
                    format!("expected \"<type>=<value>\", found {shown:?}"),
                ));
            }
            if line.contains(['\r', '\0']) {
                return Err(ParseError::new(n, "CR or NUL inside a line"));
            }
            let (kind, value) = (bytes[0] as char, &line[2..]);
            let err = |m: String| ParseError::new(n, m);
            if i == 0 {
                if kind != 'v' {
                    return Err(err("first line must be v=0".into()));
                }
                if value != "0" {
                    return Err(err(format!("unsupported SDP version {value:?}")));
                }
                continue;
            }
            if let Some(m) = sdp.media.last_mut() {
                match kind {
                    'm' => {}
                    'i' => set_once(&mut m.title, value.to_string(), n, kind)?,
                    'c' => set_once(&mut m.connection, value.parse().map_err(err)?, n, kind)?,
                    'b' => m.bandwidths.push(value.parse().map_err(err)?),
                    'k' => set_once(&mut m.encryption_key, value.to_string(), n, kind)?,
                    'a' => m.attributes.push(Attribute::parse(value).map_err(err)?),
                    _ => return Err(err(format!("{kind}= is not allowed in a media section"))),
                }
                if kind != 'm' {
                    continue;
                }
            }
            match kind {
                'v' => return Err(err("duplicate v= line".into())),
                'o' => set_once(&mut origin, value.parse().map_err(err)?, n, kind)?,
                's' => set_once(&mut session_name, value.to_string(), n, kind)?,
                'i' => set_once(&mut information, value.to_string(), n, kind)?,
                'u' => set_once(&mut uri, value.to_string(), n, kind)?,
                'e' => sdp.emails.push(value.to_string()),
                'p' => sdp.phones.push(value.to_string()),
                'c' => set_once(&mut connection, value.parse().map_err(err)?, n, kind)?,
                'b' => sdp.bandwidths.push(value.parse().map_err(err)?),
                't' => {
                    let t: Timing = value.parse().map_err(err)?;
                    if timing.is_none() {
                        timing = Some(t);
                    } else {
                        extra_timings.push(t);
                    }
                }
                'r' => {
                    let last = extra_timings.last_mut().or(timing.as_mut());
                    let Some(t) = last else {
                        return Err(err("r= line before any t= line".into()));
                    };
                    t.repeats.push(value.to_string());
                }
                'z' => set_once(&mut time_zones, value.to_string(), n, kind)?,
                'k' => set_once(&mut key, value.to_string(), n, kind)?,
                'a' => sdp.attributes.push(Attribute::parse(value).map_err(err)?),
                'm' => {
                    if sdp.media.len() >= MAX_MEDIA_SECTIONS {
                        return Err(err(format!(
                            "more than {MAX_MEDIA_SECTIONS} media sections"
                        )));
                    }
                    first_media_line.get_or_insert(n);
                    sdp.media.push(parse_media_line(value).map_err(err)?);
                }
                _ => return Err(err(format!("unknown line type {kind}="))),
            }
        }

        let missing_at = first_media_line.unwrap_or(lines.len());
        let missing = |what: &str| ParseError::new(missing_at, format!("missing {what}= line"));
        sdp.origin = origin.ok_or_else(|| missing("o"))?;
        sdp.session_name = session_name.ok_or_else(|| missing("s"))?;
        sdp.timing = timing.ok_or_else(|| missing("t"))?;
        sdp.extra_timings = extra_timings;
        sdp.information = information;
        sdp.uri = uri;
        sdp.connection = connection;
        sdp.time_zones = time_zones;
        sdp.encryption_key = key;
        Ok(sdp)
    }

    /// The media section whose `a=mid` is `mid`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The media section whose `a=mid` is `mid`, mutably.
    pub fn media_by_mid_mut(&mut self, mid: &str) -> Option<&mut MediaDescription> {
        self.media.iter_mut().find(|m| m.mid() == Some(mid))
    }

    /// All `a=group` lines.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Group(g) => Some(g),
            _ => None,
        })
    }

    /// `a=group:BUNDLE` lines (semantics compared case-insensitively).
    pub fn bundle_groups(&self) -> impl Iterator<Item = &Group> {
        self.groups()
            .filter(|g| g.semantics.eq_ignore_ascii_case("BUNDLE"))
    }

    /// Whether session-level `a=ice-lite` is present.
    pub fn ice_lite(&self) -> bool {
        self.has("ice-lite")
    }

    /// Session-level `a=ice-ufrag` (media level overrides it).
    pub fn ice_ufrag(&self) -> Option<&str> {
        media::ice_ufrag(&self.attributes)
    }

    /// Session-level `a=ice-pwd` (media level overrides it).
    pub fn ice_pwd(&self) -> Option<&str> {
        media::ice_pwd(&self.attributes)
    }

    /// Session-level `a=ice-options` tokens.
    pub fn ice_options(&self) -> Vec<&str> {
        media::ice_options(&self.attributes)
    }

    /// Session-level `a=fingerprint` lines.
    pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        media::fingerprints(&self.attributes)
    }

    /// Session-level `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        media::setup(&self.attributes)
    }

    /// Session-level direction attribute, if any (the default for every media section).
    pub fn direction(&self) -> Option<Direction> {
        media::direction_of(&self.attributes)
    }

    /// Session-level `a=extmap` lines.
    pub fn extmaps(&self) -> impl Iterator<Item = &Extmap> {
        media::extmaps(&self.attributes)
    }

    /// Whether session-level `a=extmap-allow-mixed` is present.
    pub fn extmap_allow_mixed(&self) -> bool {
        self.has("extmap-allow-mixed")
    }

    /// Session-level `a=identity`.
    pub fn identity(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Identity(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// `a=msid-semantic` lines as `(semantics, ids)`, including Chromium's
    /// `a=msid-semantic: WMS ...` form (kept as [`Attribute::Other`]).
    pub fn msid_semantics(&self) -> Vec<(&str, Vec<&str>)> {
        self.attributes
            .iter()
            .filter_map(|a| match a {
                Attribute::MsidSemantic { semantics, ids } => {
                    Some((semantics.as_str(), ids.iter().map(String::as_str).collect()))
                }
                Attribute::Other {
                    name,
                    value: Some(v),
                } if name == "msid-semantic" => {
                    let mut t = tokens(v);
                    t.next().map(|s| (s, t.collect()))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether a session-level attribute named `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// The first session-level attribute named `name`.
    pub fn find(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }

    /// Puts a session-level `attribute` where the first one of the same name
    /// is, removing the others of that name; appends it if there was none.
    pub fn replace(&mut self, attribute: Attribute) {
        media::replace_attribute(&mut self.attributes, attribute);
    }

    /// Removes every session-level attribute named `name`; returns how many.
    pub fn remove_attributes(&mut self, name: &str) -> usize {
        let before = self.attributes.len();
        self.attributes.retain(|a| a.name() != name);
        before - self.attributes.len()
    }
}

/// Parses the value of an `m=` line.
fn parse_media_line(value: &str) -> Result<MediaDescription, String> {
    let mut t = tokens(value);
    let (Some(kind), Some(port), Some(proto)) = (t.next(), t.next(), t.next()) else {
        return Err("m= must be \"<media> <port> <proto> <fmt> ...\"".into());
    };
    let (port, port_count) = match port.split_once('/') {
        Some((p, c)) => (p, Some(number_or(c, "port count")?)),
        None => (port, None),
    };
    let port = number(port).ok_or_else(|| format!("invalid media port {port:?}"))?;
    let formats: Vec<String> = t.map(str::to_string).collect();
    // With an RTP profile the formats are RTP payload types.
    if proto.contains("RTP/") {
        for f in &formats {
            payload_type(f, "payload type")?;
        }
    }
    let mut m = MediaDescription::new(MediaKind::from_token(kind), port, proto, formats);
    m.port_count = port_count;
    Ok(m)
}

impl FromStr for SessionDescription {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        SessionDescription::parse(s)
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\no={}\r\ns={}\r\n", self.origin, self.session_name)?;
        if let Some(i) = &self.information {
            write!(f, "i={i}\r\n")?;
        }
        if let Some(u) = &self.uri {
            write!(f, "u={u}\r\n")?;
        }
        for e in &self.emails {
            write!(f, "e={e}\r\n")?;
        }
        for p in &self.phones {
            write!(f, "p={p}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        for b in &self.bandwidths {
            write!(f, "b={b}\r\n")?;
        }
        for t in std::iter::once(&self.timing).chain(&self.extra_timings) {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(f, "r={r}\r\n")?;
            }
        }
        if let Some(z) = &self.time_zones {
            write!(f, "z={z}\r\n")?;
        }
        if let Some(k) = &self.encryption_key {
            write!(f, "k={k}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "a={a}\r\n")?;
        }
        for m in &self.media {
            m.write(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
