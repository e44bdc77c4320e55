//! Typed values of the WebRTC attributes: each with a parser (from the text
//! after `a=<name>:`) and a `Display` that writes that text back.
//!
//! Parsers return `Err(String)` with a message; the session parser adds the
//! line number.

use std::fmt;
use std::str::FromStr;

use crate::util::{first_word, number, number_or, payload_type, tokens, trim_spaces};

/// Media direction (`a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`; RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `sendrecv`: send and receive (the default when no direction is given).
    SendRecv,
    /// `sendonly`: send only.
    SendOnly,
    /// `recvonly`: receive only.
    RecvOnly,
    /// `inactive`: neither.
    Inactive,
}

impl Direction {
    /// The attribute name (`"sendrecv"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction as seen from the other side (sendonly ⇄ recvonly).
    pub fn reverse(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// Whether this direction includes sending.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether this direction includes receiving.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction with the given send and receive halves.
    pub fn from_parts(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sendrecv" => Ok(Direction::SendRecv),
            "sendonly" => Ok(Direction::SendOnly),
            "recvonly" => Ok(Direction::RecvOnly),
            "inactive" => Ok(Direction::Inactive),
            _ => Err(format!("invalid direction {s:?}")),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// DTLS role negotiation, `a=setup:` (RFC 4145, RFC 8842).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side starts the DTLS handshake (client).
    Active,
    /// `passive`: this side waits for the handshake (server).
    Passive,
    /// `actpass`: either; offers use it.
    Actpass,
    /// `holdconn`: do not connect yet.
    Holdconn,
}

impl Setup {
    /// The attribute value (`"active"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Actpass => "actpass",
            Setup::Holdconn => "holdconn",
        }
    }
}

impl FromStr for Setup {
    type Err = String;
    /// Case-insensitive (written lower-case).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "active" => Ok(Setup::Active),
            "passive" => Ok(Setup::Passive),
            "actpass" => Ok(Setup::Actpass),
            "holdconn" => Ok(Setup::Holdconn),
            _ => Err(format!("invalid setup role {s:?}")),
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate fingerprint, `a=fingerprint:<algorithm> <hex bytes>` (RFC 8122).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function name as written, e.g. `sha-256`. Compare case-insensitively.
    pub algorithm: String,
    /// The digest bytes (written as upper-case hex pairs joined by `:`).
    pub value: Vec<u8>,
}

impl Fingerprint {
    /// The digest length in bytes of a known hash function name, or `None`.
    pub fn digest_len(algorithm: &str) -> Option<usize> {
        match algorithm.to_ascii_lowercase().as_str() {
            "sha-1" => Some(20),
            "sha-224" => Some(28),
            "sha-256" => Some(32),
            "sha-384" => Some(48),
            "sha-512" => Some(64),
            _ => None,
        }
    }
}

impl FromStr for Fingerprint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut t = tokens(s);
        let (Some(algorithm), Some(hex), None) = (t.next(), t.next(), t.next()) else {
            return Err("fingerprint must be \"<hash> <hex bytes>\"".into());
        };
        let mut value = Vec::with_capacity(hex.len().div_ceil(3));
        for pair in hex.split(':') {
            let ok = pair.len() == 2 && pair.bytes().all(|b| b.is_ascii_hexdigit());
            let byte = u8::from_str_radix(pair, 16).ok().filter(|_| ok);
            value.push(byte.ok_or_else(|| format!("invalid fingerprint byte {pair:?}"))?);
        }
        if let Some(len) = Fingerprint::digest_len(algorithm) {
            if value.len() != len {
                return Err(format!(
                    "{algorithm} fingerprint has {} bytes, expected {len}",
                    value.len()
                ));
            }
        }
        Ok(Fingerprint {
            algorithm: algorithm.to_string(),
            value,
        })
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.algorithm)?;
        for (i, b) in self.value.iter().enumerate() {
            let sep = if i == 0 { ' ' } else { ':' };
            write!(f, "{sep}{b:02X}")?;
        }
        Ok(())
    }
}

/// A media grouping, `a=group:<semantics> <mid> ...` (RFC 5888), e.g. `BUNDLE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// Semantics as written, e.g. `BUNDLE` or `LS`.
    pub semantics: String,
    /// The mids in the group, in order.
    pub mids: Vec<String>,
}

impl FromStr for Group {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with(' ') {
            return Err("group semantics missing".into());
        }
        let mut t = tokens(s);
        let semantics = t.next().ok_or("group semantics missing")?.to_string();
        Ok(Group {
            semantics,
            mids: t.map(str::to_string).collect(),
        })
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for m in &self.mids {
            write!(f, " {m}")?;
        }
        Ok(())
    }
}

/// An RTP payload type mapping, `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtpmap {
    /// RTP payload type number.
    pub payload_type: u8,
    /// Encoding name as written, e.g. `opus`, `VP8`. Compare case-insensitively.
    pub encoding: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Number of audio channels, if given.
    pub channels: Option<u16>,
}

impl FromStr for Rtpmap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut t = tokens(s);
        let (Some(pt), Some(spec), None) = (t.next(), t.next(), t.next()) else {
            return Err("rtpmap must be \"<pt> <encoding>/<clock rate>[/<channels>]\"".into());
        };
        let payload_type = payload_type(pt, "payload type")?;
        let mut parts = spec.split('/');
        let encoding = parts.next().unwrap_or_default();
        if encoding.is_empty() {
            return Err("rtpmap encoding name missing".into());
        }
        let clock_rate = number_or(parts.next().unwrap_or_default(), "clock rate")?;
        let channels = match parts.next() {
            Some(c) => Some(number_or(c, "channel count")?),
            None => None,
        };
        if parts.next().is_some() {
            return Err("too many '/' parts in rtpmap".into());
        }
        Ok(Rtpmap {
            payload_type,
            encoding: encoding.to_string(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for Rtpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// An RTP header extension mapping,
/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extmap {
    /// Local extension id (1–14 one-byte, up to 255 two-byte).
    pub id: u16,
    /// Optional direction restriction.
    pub direction: Option<Direction>,
    /// Extension URI, e.g. `urn:ietf:params:rtp-hdrext:sdes:mid`.
    pub uri: String,
    /// Extension attributes (the rest of the line), if any.
    pub attributes: Option<String>,
}

impl FromStr for Extmap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (head, rest) = first_word(s);
        let (id, direction) = match head.split_once('/') {
            Some((id, d)) => (id, Some(d.parse()?)),
            None => (head, None),
        };
        let id = number_or(id, "extmap id")?;
        let (uri, attributes) = first_word(trim_spaces(rest.unwrap_or_default()));
        if uri.is_empty() {
            return Err("extmap URI missing".into());
        }
        Ok(Extmap {
            id,
            direction,
            uri: uri.to_string(),
            attributes: attributes.map(str::to_string),
        })
    }
}

impl fmt::Display for Extmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(d) = self.direction {
            write!(f, "/{d}")?;
        }
        write!(f, " {}", self.uri)?;
        if let Some(a) = &self.attributes {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// Direction of an RTP stream id (`a=rid:<id> send|recv`, RFC 8851).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`
    Send,
    /// `recv`
    Recv,
}

impl RidDirection {
    /// `"send"` or `"recv"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }

    /// The other direction.
    pub fn reverse(self) -> RidDirection {
        match self {
            RidDirection::Send => RidDirection::Recv,
            RidDirection::Recv => RidDirection::Send,
        }
    }
}

impl FromStr for RidDirection {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "send" => Ok(RidDirection::Send),
            "recv" => Ok(RidDirection::Recv),
            _ => Err(format!("invalid rid direction {s:?}")),
        }
    }
}

impl fmt::Display for RidDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RTP stream id, `a=rid:<id> <send|recv> [<param>;...]` (RFC 8851).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rid {
    /// The rid (e.g. `q`, `h`, `f`).
    pub id: String,
    /// Whether the rid is sent or received by the SDP's author.
    pub direction: RidDirection,
    /// Restrictions in order, as `key` / `key=value` (e.g. `pt=96,97`, `max-width=1280`).
    pub params: Vec<(String, Option<String>)>,
}

impl Rid {
    /// The payload types of a `pt=` restriction (empty if none).
    pub fn payload_types(&self) -> Vec<u8> {
        self.param("pt")
            .map(|v| v.split(',').filter_map(number).collect())
            .unwrap_or_default()
    }

    /// The value of restriction `key`, if present with a value.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }
}

impl FromStr for Rid {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (id, rest) = first_word(s);
        if id.is_empty() {
            return Err("rid id missing".into());
        }
        let (dir, params) = first_word(trim_spaces(rest.unwrap_or_default()));
        let direction = dir.parse()?;
        let params = trim_spaces(params.unwrap_or_default());
        let params = if params.is_empty() {
            Vec::new()
        } else {
            params
                .split(';')
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (p.to_string(), None),
                })
                .collect()
        };
        Ok(Rid {
            id: id.to_string(),
            direction,
            params,
        })
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction)?;
        for (i, (k, v)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ";" })?;
            f.write_str(k)?;
            if let Some(v) = v {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// One rid in an `a=simulcast` list; `~` before it means paused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimulcastRid {
    /// The rid.
    pub id: String,
    /// Written with a leading `~`: the stream starts paused.
    pub paused: bool,
}

/// Simulcast streams, `a=simulcast:send <streams> recv <streams>` (RFC 8853).
///
/// Each list is a sequence of streams separated by `;`; each stream is a
/// list of alternative rids separated by `,`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Simulcast {
    /// Streams the SDP's author sends; each inner list holds alternatives.
    pub send: Vec<Vec<SimulcastRid>>,
    /// Streams the SDP's author receives.
    pub recv: Vec<Vec<SimulcastRid>>,
}

impl Simulcast {
    /// The first alternative of every sent stream, in order.
    pub fn send_rids(&self) -> impl Iterator<Item = &SimulcastRid> {
        self.send.iter().filter_map(|alts| alts.first())
    }

    /// The first alternative of every received stream, in order.
    pub fn recv_rids(&self) -> impl Iterator<Item = &SimulcastRid> {
        self.recv.iter().filter_map(|alts| alts.first())
    }
}

fn parse_simulcast_list(s: &str) -> Result<Vec<Vec<SimulcastRid>>, String> {
    s.split(';')
        .map(|stream| {
            stream
                .split(',')
                .map(|alt| {
                    let (paused, id) = match alt.strip_prefix('~') {
                        Some(id) => (true, id),
                        None => (false, alt),
                    };
                    if id.is_empty() {
                        return Err(format!("empty rid in simulcast list {s:?}"));
                    }
                    Ok(SimulcastRid {
                        id: id.to_string(),
                        paused,
                    })
                })
                .collect()
        })
        .collect()
}

impl FromStr for Simulcast {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: Vec<&str> = tokens(s).collect();
        if t.is_empty() || t.len() % 2 != 0 || t.len() > 4 {
            return Err("simulcast must be \"send <rids>\" and/or \"recv <rids>\"".into());
        }
        let mut out = Simulcast::default();
        let (mut seen_send, mut seen_recv) = (false, false);
        for pair in t.chunks(2) {
            let list = parse_simulcast_list(pair[1])?;
            match pair[0] {
                "send" if !seen_send => (seen_send, out.send) = (true, list),
                "recv" if !seen_recv => (seen_recv, out.recv) = (true, list),
                d => return Err(format!("invalid or repeated simulcast direction {d:?}")),
            }
        }
        Ok(out)
    }
}

fn write_simulcast_list(f: &mut fmt::Formatter<'_>, list: &[Vec<SimulcastRid>]) -> fmt::Result {
    for (i, alts) in list.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        for (j, r) in alts.iter().enumerate() {
            if j > 0 {
                f.write_str(",")?;
            }
            if r.paused {
                f.write_str("~")?;
            }
            f.write_str(&r.id)?;
        }
    }
    Ok(())
}

/// Writes `send <list>` and/or `recv <list>`. At least one list must be
/// non-empty for the output to be a valid `a=simulcast` value (the parser
/// never produces a `Simulcast` with both empty).
impl fmt::Display for Simulcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.send.is_empty() {
            f.write_str("send ")?;
            write_simulcast_list(f, &self.send)?;
        }
        if !self.recv.is_empty() {
            if !self.send.is_empty() {
                f.write_str(" ")?;
            }
            f.write_str("recv ")?;
            write_simulcast_list(f, &self.recv)?;
        }
        Ok(())
    }
}

/// Legacy data channel mapping, `a=sctpmap:<port> <protocol> [<streams>]`
/// (draft-ietf-mmusic-sctp-sdp-05, still sent by some older peers).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sctpmap {
    /// SCTP port.
    pub port: u16,
    /// Application protocol, e.g. `webrtc-datachannel`.
    pub protocol: String,
    /// Maximum number of streams, if given.
    pub streams: Option<u32>,
}

impl FromStr for Sctpmap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: Vec<&str> = tokens(s).collect();
        if !(2..=3).contains(&t.len()) {
            return Err("sctpmap must be \"<port> <protocol> [<streams>]\"".into());
        }
        Ok(Sctpmap {
            port: number_or(t[0], "sctpmap port")?,
            protocol: t[1].to_string(),
            streams: match t.get(2) {
                Some(n) => Some(number_or(n, "sctpmap stream count")?),
                None => None,
            },
        })
    }
}

impl fmt::Display for Sctpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.port, self.protocol)?;
        if let Some(n) = self.streams {
            write!(f, " {n}")?;
        }
        Ok(())
    }
}

/// Splits fmtp parameters `key=value;key2=value2` into pairs, in order.
///
/// Keys and values are trimmed of spaces; a piece without `=` (such as the
/// `111/111` of RED) has no value; empty pieces are skipped.
pub fn parse_fmtp_params(params: &str) -> Vec<(&str, Option<&str>)> {
    params
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (p, None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmtp_params_split_into_pairs() {
        assert_eq!(
            parse_fmtp_params("minptime=10;useinbandfec=1"),
            vec![("minptime", Some("10")), ("useinbandfec", Some("1"))]
        );
        assert_eq!(parse_fmtp_params("111/111"), vec![("111/111", None)]);
        assert_eq!(
            parse_fmtp_params(" a = 1 ; ;b=2;"),
            vec![("a", Some("1")), ("b", Some("2"))]
        );
        assert!(parse_fmtp_params("").is_empty());
    }

    #[test]
    fn direction_helpers() {
        assert_eq!(Direction::SendOnly.reverse(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reverse(), Direction::Inactive);
        assert!(Direction::SendRecv.sends() && Direction::SendRecv.receives());
        assert!(!Direction::RecvOnly.sends());
        for d in [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ] {
            assert_eq!(Direction::from_parts(d.sends(), d.receives()), d);
            assert_eq!(d.as_str().parse(), Ok(d));
        }
        assert_eq!(RidDirection::Send.reverse(), RidDirection::Recv);
    }

    #[test]
    fn fingerprint_lengths() {
        assert_eq!(Fingerprint::digest_len("SHA-256"), Some(32));
        assert_eq!(Fingerprint::digest_len("md5"), None);
        // Unknown hash functions are accepted with any length.
        let fp: Fingerprint = "md5 01:02".parse().expect("unknown hash accepted");
        assert_eq!(fp.value, [1, 2]);
        assert_eq!(fp.to_string(), "md5 01:02");
    }
}
