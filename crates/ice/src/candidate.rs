//! ICE candidates (RFC 8445 §5.1, RFC 8839 §5.1 SDP syntax, RFC 6544 TCP).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

/// Transport protocol of a candidate or datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// UDP.
    Udp,
    /// TCP (RFC 6544; the async layer frames with RFC 4571).
    Tcp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        })
    }
}

/// The RFC 6544 role of a TCP candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens connections, does not accept them.
    Active,
    /// Accepts connections, does not open them.
    Passive,
    /// Simultaneous open.
    So,
}

impl fmt::Display for TcpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::So => "so",
        })
    }
}

/// How a candidate was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// An address of a local interface.
    Host,
    /// The address a STUN server saw (behind a NAT).
    ServerReflexive,
    /// An address learned from a connectivity check.
    PeerReflexive,
    /// An address allocated on a TURN server.
    Relayed,
}

impl CandidateKind {
    /// RFC 8445 §5.1.2.2 recommended type preference.
    pub fn type_preference(self) -> u32 {
        match self {
            CandidateKind::Host => 126,
            CandidateKind::PeerReflexive => 110,
            CandidateKind::ServerReflexive => 100,
            CandidateKind::Relayed => 0,
        }
    }

    /// The SDP `typ` token.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateKind::Host => "host",
            CandidateKind::ServerReflexive => "srflx",
            CandidateKind::PeerReflexive => "prflx",
            CandidateKind::Relayed => "relay",
        }
    }
}

/// An ICE candidate.
///
/// Remote candidates whose address is an mDNS `.local` name (or any other
/// host name) are kept *unresolved*: `hostname` holds the name and `address`
/// holds the unspecified IP with the candidate's port until
/// [`crate::IceAgent::resolve_remote_candidate`] supplies the IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Foundation: equal for candidates of the same type, base IP, server and protocol.
    pub foundation: String,
    /// Component id (1 = RTP; WebRTC bundles everything on component 1).
    pub component: u16,
    /// UDP or TCP.
    pub protocol: Protocol,
    /// RFC 8445 §5.1.2 priority.
    pub priority: u32,
    /// The transport address.
    pub address: SocketAddr,
    /// host, srflx, prflx or relay.
    pub kind: CandidateKind,
    /// The related address (`raddr`/`rport`): base for srflx, mapped address for relay.
    pub related: Option<SocketAddr>,
    /// RFC 6544 tcptype, for TCP candidates.
    pub tcp_type: Option<TcpType>,
    /// The unresolved host name (`xxxx.local`), if the address was one.
    pub hostname: Option<String>,
    /// The `ufrag` extension attribute, if present.
    pub ufrag: Option<String>,
}

/// Why a candidate string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCandidateError(pub String);

impl fmt::Display for ParseCandidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid candidate: {}", self.0)
    }
}

impl std::error::Error for ParseCandidateError {}

impl Candidate {
    /// A host candidate with priority and foundation computed for it.
    /// `local_preference` distinguishes several host addresses (65535 = best).
    pub fn host(address: SocketAddr, protocol: Protocol, local_preference: u16) -> Candidate {
        let tcp_type = (protocol == Protocol::Tcp).then_some(TcpType::Passive);
        let mut c = Candidate {
            foundation: String::new(),
            component: 1,
            protocol,
            priority: 0,
            address,
            kind: CandidateKind::Host,
            related: None,
            tcp_type,
            hostname: None,
            ufrag: None,
        };
        c.priority = compute_priority(c.kind, protocol, tcp_type, local_preference, 1);
        c.foundation = compute_foundation(c.kind, address.ip(), None, protocol);
        c
    }

    /// Parses the SDP form, with or without the `a=` and `candidate:` prefixes:
    /// `candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host [raddr … rport …] [tcptype …] [ufrag …]`.
    pub fn parse(s: &str) -> Result<Candidate, ParseCandidateError> {
        let err = |m: &str| ParseCandidateError(m.to_string());
        let s = s.trim();
        let s = s.strip_prefix("a=").unwrap_or(s);
        let s = s.strip_prefix("candidate:").unwrap_or(s);
        let mut it = s.split_ascii_whitespace();
        let mut next = |what: &str| it.next().ok_or_else(|| err(what));
        let foundation = next("foundation")?.to_string();
        if foundation.is_empty() || foundation.len() > 32 {
            return Err(err("foundation"));
        }
        let component = next("component")?
            .parse::<u16>()
            .map_err(|_| err("component"))?;
        let protocol = match next("transport")?.to_ascii_lowercase().as_str() {
            "udp" => Protocol::Udp,
            "tcp" => Protocol::Tcp,
            _ => return Err(err("transport")),
        };
        let priority = next("priority")?
            .parse::<u32>()
            .map_err(|_| err("priority"))?;
        let addr = next("address")?;
        let port = next("port")?.parse::<u16>().map_err(|_| err("port"))?;
        if next("typ")? != "typ" {
            return Err(err("missing typ"));
        }
        let kind = match next("type")? {
            "host" => CandidateKind::Host,
            "srflx" => CandidateKind::ServerReflexive,
            "prflx" => CandidateKind::PeerReflexive,
            "relay" => CandidateKind::Relayed,
            _ => return Err(err("type")),
        };
        let (address, hostname) = match IpAddr::from_str(addr) {
            Ok(ip) => (SocketAddr::new(ip, port), None),
            Err(_) => {
                if addr.is_empty()
                    || addr.len() > 253
                    || !addr
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                {
                    return Err(err("address"));
                }
                (
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
                    Some(addr.to_string()),
                )
            }
        };
        let mut raddr: Option<IpAddr> = None;
        let mut rport: Option<u16> = None;
        let mut tcp_type = None;
        let mut ufrag = None;
        // Extension attributes come as name/value pairs.
        while let Some(name) = it.next() {
            let value = it.next().ok_or_else(|| err("extension without value"))?;
            match name {
                "raddr" => raddr = IpAddr::from_str(value).ok(),
                "rport" => rport = Some(value.parse().map_err(|_| err("rport"))?),
                "tcptype" => {
                    tcp_type = Some(match value {
                        "active" => TcpType::Active,
                        "passive" => TcpType::Passive,
                        "so" => TcpType::So,
                        _ => return Err(err("tcptype")),
                    })
                }
                "ufrag" => ufrag = Some(value.to_string()),
                _ => {}
            }
        }
        let related = match (raddr, rport) {
            (Some(ip), Some(p)) => Some(SocketAddr::new(ip, p)),
            _ => None,
        };
        Ok(Candidate {
            foundation,
            component,
            protocol,
            priority,
            address,
            kind,
            related,
            tcp_type,
            hostname,
            ufrag,
        })
    }

    /// Whether the address still needs resolving (mDNS / host name).
    pub fn is_unresolved(&self) -> bool {
        self.hostname.is_some() && self.address.ip().is_unspecified()
    }
}

impl FromStr for Candidate {
    type Err = ParseCandidateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Candidate::parse(s)
    }
}

impl fmt::Display for Candidate {
    /// The SDP attribute value, `candidate:…` (without `a=`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "candidate:{} {} {} {} ",
            self.foundation, self.component, self.protocol, self.priority
        )?;
        match &self.hostname {
            Some(h) if self.address.ip().is_unspecified() => write!(f, "{h}")?,
            _ => write!(f, "{}", self.address.ip())?,
        }
        write!(f, " {} typ {}", self.address.port(), self.kind.as_str())?;
        if let Some(r) = self.related {
            write!(f, " raddr {} rport {}", r.ip(), r.port())?;
        }
        if let Some(t) = self.tcp_type {
            write!(f, " tcptype {t}")?;
        }
        if let Some(u) = &self.ufrag {
            write!(f, " ufrag {u}")?;
        }
        Ok(())
    }
}

/// RFC 8445 §5.1.2.1 priority: `2^24·type + 2^8·local + (256 − component)`.
/// For TCP (RFC 6544 §4.2) the local preference's top 3 bits carry the
/// direction preference (host: active 6, passive 4, so 2; others: so 6,
/// active 4, passive 2) and the rest `local_preference`'s low 13 bits.
pub fn compute_priority(
    kind: CandidateKind,
    protocol: Protocol,
    tcp_type: Option<TcpType>,
    local_preference: u16,
    component: u16,
) -> u32 {
    let local = match (protocol, tcp_type) {
        (Protocol::Tcp, Some(t)) => {
            let dir: u16 = match (kind == CandidateKind::Host, t) {
                (true, TcpType::Active) => 6,
                (true, TcpType::Passive) => 4,
                (true, TcpType::So) => 2,
                (false, TcpType::So) => 6,
                (false, TcpType::Active) => 4,
                (false, TcpType::Passive) => 2,
            };
            (dir << 13) | (local_preference & 0x1FFF)
        }
        _ => local_preference,
    };
    (kind.type_preference() << 24)
        + (u32::from(local) << 8)
        + (256 - u32::from(component.clamp(1, 256)))
}

/// A foundation string equal for candidates of the same type, base IP,
/// STUN/TURN server and protocol (RFC 8445 §5.1.1.3), as a short decimal
/// string made from a stable hash (FNV-1a).
pub fn compute_foundation(
    kind: CandidateKind,
    base: IpAddr,
    server: Option<IpAddr>,
    protocol: Protocol,
) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    feed(kind.as_str().as_bytes());
    feed(base.to_string().as_bytes());
    feed(server.map(|s| s.to_string()).unwrap_or_default().as_bytes());
    feed(protocol.to_string().as_bytes());
    ((h as u32) & 0x7FFF_FFFF).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_browser_candidates() {
        let chrome = "candidate:842163049 1 udp 1677729535 198.51.100.7 61500 typ srflx raddr 10.0.0.2 rport 61500 generation 0 ufrag Xy12 network-id 1 network-cost 10";
        let c = Candidate::parse(chrome).unwrap();
        assert_eq!(c.kind, CandidateKind::ServerReflexive);
        assert_eq!(c.address, "198.51.100.7:61500".parse().unwrap());
        assert_eq!(c.related, Some("10.0.0.2:61500".parse().unwrap()));
        assert_eq!(c.ufrag.as_deref(), Some("Xy12"));
        assert_eq!(c.priority, 1677729535);

        let mdns = "a=candidate:1 1 UDP 2122252543 4f1b5c1e-8a2b-4c3d-9e0f-123456789abc.local 50000 typ host";
        let c = Candidate::parse(mdns).unwrap();
        assert!(c.is_unresolved());
        assert_eq!(c.address.port(), 50000);
        assert!(c.to_string().contains(".local 50000 typ host"));

        let tcp = "candidate:3 1 tcp 1518280447 192.0.2.9 9 typ host tcptype active";
        let c = Candidate::parse(tcp).unwrap();
        assert_eq!(
            (c.protocol, c.tcp_type),
            (Protocol::Tcp, Some(TcpType::Active))
        );

        let v6 = "candidate:4 1 udp 2122262783 2001:db8::5 40000 typ host";
        assert!(Candidate::parse(v6).unwrap().address.is_ipv6());
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",
            "candidate:2 1 udp 16777215 203.0.113.1 7000 typ relay raddr 198.51.100.1 rport 6000",
            "candidate:3 1 tcp 1518280447 192.0.2.9 9 typ host tcptype active",
        ] {
            let c = Candidate::parse(s).unwrap();
            assert_eq!(c.to_string(), s);
            assert_eq!(Candidate::parse(&c.to_string()).unwrap(), c);
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "candidate:",
            "candidate:1 1 udp",
            "candidate:1 1 sctp 1 192.0.2.1 5 typ host",
            "candidate:1 1 udp x 192.0.2.1 5 typ host",
            "candidate:1 1 udp 1 192.0.2.1 99999 typ host",
            "candidate:1 1 udp 1 192.0.2.1 5 type host",
            "candidate:1 1 udp 1 192.0.2.1 5 typ hostile",
            "candidate:1 1 udp 1 bad/name 5 typ host",
            "candidate:1 1 udp 1 192.0.2.1 5 typ host raddr",
        ] {
            assert!(Candidate::parse(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn priorities_follow_type_preferences() {
        let host = compute_priority(CandidateKind::Host, Protocol::Udp, None, 65535, 1);
        let prflx = compute_priority(CandidateKind::PeerReflexive, Protocol::Udp, None, 65535, 1);
        let srflx = compute_priority(
            CandidateKind::ServerReflexive,
            Protocol::Udp,
            None,
            65535,
            1,
        );
        let relay = compute_priority(CandidateKind::Relayed, Protocol::Udp, None, 65535, 1);
        assert!(host > prflx && prflx > srflx && srflx > relay);
        assert_eq!(host, (126 << 24) | (65535 << 8) | 255);
        let active = compute_priority(
            CandidateKind::Host,
            Protocol::Tcp,
            Some(TcpType::Active),
            100,
            1,
        );
        let passive = compute_priority(
            CandidateKind::Host,
            Protocol::Tcp,
            Some(TcpType::Passive),
            100,
            1,
        );
        assert!(active > passive);
    }

    #[test]
    fn foundations_group_by_type_base_and_server() {
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let ip2: IpAddr = "10.0.0.2".parse().unwrap();
        let a = compute_foundation(CandidateKind::Host, ip, None, Protocol::Udp);
        assert_eq!(
            a,
            compute_foundation(CandidateKind::Host, ip, None, Protocol::Udp)
        );
        assert_ne!(
            a,
            compute_foundation(CandidateKind::Host, ip2, None, Protocol::Udp)
        );
        assert_ne!(
            a,
            compute_foundation(CandidateKind::Host, ip, None, Protocol::Tcp)
        );
        assert_ne!(
            a,
            compute_foundation(CandidateKind::ServerReflexive, ip, Some(ip2), Protocol::Udp)
        );
    }
}
