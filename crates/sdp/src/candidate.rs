//! ICE candidates (`a=candidate:`, RFC 8839 §5.1, TCP per RFC 6544).

use std::fmt;
use std::str::FromStr;

use crate::util::{number_or, tokens};

/// Candidate type (`typ host|srflx|prflx|relay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// A local interface address.
    Host,
    /// Server reflexive: the address a STUN server saw.
    Srflx,
    /// Peer reflexive: learned from a connectivity check.
    Prflx,
    /// Relayed through a TURN server.
    Relay,
}

impl CandidateType {
    /// `"host"`, `"srflx"`, `"prflx"` or `"relay"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
        }
    }
}

impl FromStr for CandidateType {
    type Err = CandidateParseError;
    fn from_str(s: &str) -> Result<Self, CandidateParseError> {
        match s.to_ascii_lowercase().as_str() {
            "host" => Ok(CandidateType::Host),
            "srflx" => Ok(CandidateType::Srflx),
            "prflx" => Ok(CandidateType::Prflx),
            "relay" => Ok(CandidateType::Relay),
            _ => Err(CandidateParseError::new(format!(
                "unknown candidate type {s:?}"
            ))),
        }
    }
}

impl fmt::Display for CandidateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// TCP candidate role (`tcptype active|passive|so`, RFC 6544).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens outgoing connections only (port is usually 9).
    Active,
    /// Accepts incoming connections.
    Passive,
    /// Simultaneous open.
    So,
}

impl TcpType {
    /// `"active"`, `"passive"` or `"so"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::So => "so",
        }
    }
}

impl FromStr for TcpType {
    type Err = CandidateParseError;
    fn from_str(s: &str) -> Result<Self, CandidateParseError> {
        match s.to_ascii_lowercase().as_str() {
            "active" => Ok(TcpType::Active),
            "passive" => Ok(TcpType::Passive),
            "so" => Ok(TcpType::So),
            _ => Err(CandidateParseError::new(format!("unknown tcptype {s:?}"))),
        }
    }
}

impl fmt::Display for TcpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a candidate string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateParseError {
    /// What is wrong.
    pub message: String,
}

impl CandidateParseError {
    fn new(message: impl Into<String>) -> Self {
        CandidateParseError {
            message: message.into(),
        }
    }
}

impl fmt::Display for CandidateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid candidate: {}", self.message)
    }
}

impl std::error::Error for CandidateParseError {}

impl From<String> for CandidateParseError {
    fn from(message: String) -> Self {
        CandidateParseError { message }
    }
}

/// One ICE candidate.
///
/// Parses `candidate:...`, `a=candidate:...` or the bare attribute value;
/// `Display` writes `candidate:...` (the W3C `RTCIceCandidate.candidate` form).
/// `raddr`, `rport` and `tcptype` are recognised in that order right after the
/// type; everything after them is kept, in order, in `extensions`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// Foundation: equal for candidates of the same type, base and server.
    pub foundation: String,
    /// Component id: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Transport as written (`udp`, `UDP`, `tcp`); compare case-insensitively.
    pub transport: String,
    /// Priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// IP address (v4 or v6) or a host name such as `<uuid>.local` (mDNS).
    pub address: String,
    /// Port (9 for TCP active candidates).
    pub port: u16,
    /// Candidate type.
    pub typ: CandidateType,
    /// `raddr`: the related address, if given.
    pub related_address: Option<String>,
    /// `rport`: the related port, if given.
    pub related_port: Option<u16>,
    /// `tcptype`, for TCP candidates.
    pub tcp_type: Option<TcpType>,
    /// Further name/value pairs in order: `generation`, `ufrag`, `network-id`, `network-cost`, ...
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// The `ufrag` extension, if present.
    pub fn ufrag(&self) -> Option<&str> {
        self.extension("ufrag")
    }

    /// The value of extension `name`, if present.
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the transport is UDP (compared case-insensitively).
    pub fn is_udp(&self) -> bool {
        self.transport.eq_ignore_ascii_case("udp")
    }

    /// Whether the transport is TCP (compared case-insensitively).
    pub fn is_tcp(&self) -> bool {
        self.transport.eq_ignore_ascii_case("tcp")
    }

    /// The address as an IP address, or `None` for a host name (mDNS, FQDN).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.address.parse().ok()
    }

    /// The socket address, or `None` when the address is a host name.
    pub fn socket_addr(&self) -> Option<std::net::SocketAddr> {
        self.ip().map(|ip| std::net::SocketAddr::new(ip, self.port))
    }

    /// Whether the address is an mDNS name (ends in `.local`).
    pub fn is_mdns(&self) -> bool {
        let a = self.address.as_bytes();
        a.len() > 6 && a[a.len() - 6..].eq_ignore_ascii_case(b".local")
    }

    /// Parses the attribute value (the text after `candidate:`).
    pub(crate) fn parse_value(s: &str) -> Result<Self, CandidateParseError> {
        let t: Vec<&str> = tokens(s).collect();
        if t.len() < 8 {
            return Err(CandidateParseError::new(format!(
                "expected at least 8 fields, found {}",
                t.len()
            )));
        }
        if t[6] != "typ" {
            return Err(CandidateParseError::new(format!(
                "expected \"typ\" as the 7th field, found {:?}",
                t[6]
            )));
        }
        let mut c = Candidate {
            foundation: t[0].to_string(),
            component: number_or(t[1], "component id")?,
            transport: t[2].to_string(),
            priority: number_or(t[3], "priority")?,
            address: t[4].to_string(),
            port: number_or(t[5], "port")?,
            typ: t[7].parse()?,
            related_address: None,
            related_port: None,
            tcp_type: None,
            extensions: Vec::new(),
        };
        let mut rest = &t[8..];
        if rest.len() % 2 != 0 {
            return Err(CandidateParseError::new(format!(
                "extension {:?} has no value",
                rest[rest.len() - 1]
            )));
        }
        if rest.first() == Some(&"raddr") {
            c.related_address = Some(rest[1].to_string());
            rest = &rest[2..];
        }
        if rest.first() == Some(&"rport") {
            c.related_port = Some(number_or(rest[1], "rport")?);
            rest = &rest[2..];
        }
        if rest.first() == Some(&"tcptype") {
            c.tcp_type = Some(rest[1].parse()?);
            rest = &rest[2..];
        }
        c.extensions = rest
            .chunks(2)
            .map(|p| (p[0].to_string(), p[1].to_string()))
            .collect();
        Ok(c)
    }

    /// Writes the attribute value (without the `candidate:` prefix).
    pub(crate) fn write_value(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.typ
        )?;
        if let Some(a) = &self.related_address {
            write!(f, " raddr {a}")?;
        }
        if let Some(p) = self.related_port {
            write!(f, " rport {p}")?;
        }
        if let Some(t) = self.tcp_type {
            write!(f, " tcptype {t}")?;
        }
        for (k, v) in &self.extensions {
            write!(f, " {k} {v}")?;
        }
        Ok(())
    }
}

impl FromStr for Candidate {
    type Err = CandidateParseError;
    fn from_str(s: &str) -> Result<Self, CandidateParseError> {
        // Trailing white space of any kind (a CRLF, a stray tab) is not part
        // of the last field; trimming only some of it would make the written
        // form parse differently.
        let s = s.trim_end_matches(|c: char| c.is_ascii_whitespace());
        let s = s.strip_prefix("a=").unwrap_or(s);
        let s = s.strip_prefix("candidate:").unwrap_or(s);
        Candidate::parse_value(s)
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("candidate:")?;
        self.write_value(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Candidate {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn chromium_host_candidate_with_extensions() {
        let text = "candidate:1613635727 1 udp 2122260223 127.0.0.1 32808 typ host generation 0 ufrag mJpj network-id 1 network-cost 50";
        let c = parse(text);
        assert_eq!(c.foundation, "1613635727");
        assert_eq!(c.component, 1);
        assert!(c.is_udp() && !c.is_tcp());
        assert_eq!(c.priority, 2122260223);
        assert_eq!(c.address, "127.0.0.1");
        assert_eq!(c.port, 32808);
        assert_eq!(c.typ, CandidateType::Host);
        assert_eq!(c.ufrag(), Some("mJpj"));
        assert_eq!(c.extension("network-cost"), Some("50"));
        let keys: Vec<&str> = c.extensions.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["generation", "ufrag", "network-id", "network-cost"]);
        assert_eq!(c.to_string(), text);
    }

    #[test]
    fn accepts_all_three_prefix_forms() {
        let bare = "0 1 UDP 2122252543 203.0.113.1 39367 typ host";
        let a = parse(bare);
        assert_eq!(parse(&format!("candidate:{bare}")), a);
        assert_eq!(parse(&format!("a=candidate:{bare}")), a);
        assert_eq!(parse(&format!("a=candidate:{bare}\r\n")), a);
        assert_eq!(a.to_string(), format!("candidate:{bare}"));
        assert_eq!(a.transport, "UDP", "transport kept as written");
        assert!(a.is_udp());
    }

    #[test]
    fn tcp_candidates() {
        for (text, tcp) in [
            ("candidate:1 1 TCP 2105524479 203.0.113.1 9 typ host tcptype active", TcpType::Active),
            ("candidate:2 1 tcp 1518280447 192.168.1.102 443 typ host tcptype passive generation 0", TcpType::Passive),
            ("candidate:3 1 tcp 1518280447 192.168.1.102 5000 typ host tcptype so", TcpType::So),
        ] {
            let c = parse(text);
            assert!(c.is_tcp());
            assert_eq!(c.tcp_type, Some(tcp));
            assert_eq!(c.to_string(), text);
        }
    }

    #[test]
    fn related_address_and_port() {
        let text = "candidate:842163049 1 udp 1677729535 82.64.133.208 61015 typ srflx raddr 192.168.0.87 rport 61015 generation 0 network-cost 999";
        let c = parse(text);
        assert_eq!(c.typ, CandidateType::Srflx);
        assert_eq!(c.related_address.as_deref(), Some("192.168.0.87"));
        assert_eq!(c.related_port, Some(61015));
        assert_eq!(c.extension("generation"), Some("0"));
        assert_eq!(c.to_string(), text);

        let relay = parse("candidate:5 1 udp 25108222 237.30.30.30 51472 typ relay raddr 47.61.61.61 rport 54763 tcptype passive");
        assert_eq!(relay.typ, CandidateType::Relay);
        assert_eq!(relay.tcp_type, Some(TcpType::Passive));
        let prflx = parse("candidate:6 2 udp 1 10.0.0.1 1 typ prflx");
        assert_eq!(prflx.typ, CandidateType::Prflx);
        assert_eq!(prflx.component, 2);
    }

    #[test]
    fn mdns_and_ipv6_addresses() {
        let m = parse("candidate:1560499547 1 udp 2113937151 2cf0b2c0-0842-4fe3-aaa0-4556a2dfbadc.local 33192 typ host generation 0 network-cost 999");
        assert_eq!(m.address, "2cf0b2c0-0842-4fe3-aaa0-4556a2dfbadc.local");
        assert!(m.is_mdns());
        assert_eq!(m.ip(), None);
        let v6 = parse("candidate:2075991921 1 udp 2113939711 2800:a4:169b:e800:8dfe:b3e3:dca7:8d44 53172 typ host generation 0");
        assert_eq!(v6.address, "2800:a4:169b:e800:8dfe:b3e3:dca7:8d44");
        assert!(!v6.is_mdns());
        let sa = v6.socket_addr().expect("an IPv6 address");
        assert!(sa.is_ipv6());
        assert_eq!(sa.port(), 53172);
        let lo6 = parse("candidate:1 1 udp 1 ::1 5000 typ host");
        assert_eq!(lo6.address, "::1");
    }

    #[test]
    fn type_keywords_are_case_insensitive_and_written_lower_case() {
        let c = parse("candidate:1 1 udp 1 1.2.3.4 5 typ HOST tcptype Active");
        assert_eq!(c.typ, CandidateType::Host);
        assert_eq!(c.tcp_type, Some(TcpType::Active));
        assert_eq!(
            c.to_string(),
            "candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype active"
        );
    }

    #[test]
    fn errors_have_messages() {
        for (bad, needle) in [
            ("", "at least 8"),
            ("(Invalid) candidate \r\n string", "at least 8"),
            ("candidate:1 x udp 1 1.2.3.4 5 typ host", "component"),
            ("candidate:1 1 udp -1 1.2.3.4 5 typ host", "priority"),
            ("candidate:1 1 udp 1 1.2.3.4 65536 typ host", "port"),
            ("candidate:1 1 udp 1 1.2.3.4 5 kind host", "typ"),
            ("candidate:1 1 udp 1 1.2.3.4 5 typ magic", "candidate type"),
            (
                "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 rport x",
                "rport",
            ),
            (
                "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
                "no value",
            ),
        ] {
            let err = bad.parse::<Candidate>().expect_err(bad);
            assert!(err.message.contains(needle), "{bad:?}: {err}");
            assert!(err.to_string().starts_with("invalid candidate: "));
        }
    }

    /// Found by `fuzz/sdp` (target `candidate`): a CR before a trailing
    /// space stayed in the last value, but was trimmed on re-parsing.
    #[test]
    fn fuzz_regression_trailing_cr_then_space() {
        let input = "      qte22 1 udp 2122260223 127.0.0.1 55671 typ host \n\0\0 ratiost \n\0\0 ration end0 wt0 wor2 1 utpm udp 21t 00\r ";
        let c = parse(input);
        assert_eq!(
            c.extensions.last(),
            Some(&("21t".to_string(), "00".to_string()))
        );
        assert_eq!(parse(&c.to_string()), c);
        for tail in ["\r\n", " \t", "\r \n ", "\x0c"] {
            let c = parse(&format!(
                "candidate:1 1 udp 1 ::1 9 typ host generation 0{tail}"
            ));
            assert_eq!(c.extension("generation"), Some("0"), "{tail:?}");
        }
    }

    #[test]
    fn extensions_that_look_like_keywords_round_trip() {
        // Out-of-order keywords end up as extensions and are written back in place.
        let text = "candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype so raddr 0.0.0.0";
        let c = parse(text);
        assert_eq!(c.related_address, None);
        assert_eq!(c.extension("raddr"), Some("0.0.0.0"));
        assert_eq!(c.to_string(), text);
        assert_eq!(parse(&c.to_string()), c);
    }
}
