//! `RTCConfiguration` and its members, with the browsers' JSON names.

use serde::{Deserialize, Serialize};

use crate::certificate::Certificate;
use crate::error::{Error, ErrorKind, Result};

/// `RTCIceTransportPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IceTransportPolicy {
    /// Use every kind of candidate.
    #[default]
    All,
    /// Use only relay (TURN) candidates.
    Relay,
}

/// `RTCBundlePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundlePolicy {
    /// Gather for each media type in use; bundle when the peer accepts.
    #[default]
    Balanced,
    /// Gather for each track; bundle when the peer accepts.
    MaxCompat,
    /// Gather for one transport only; every m-section but the first is `bundle-only`.
    MaxBundle,
}

/// `RTCRtcpMuxPolicy` (only `require` exists in the current spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RtcpMuxPolicy {
    /// RTP and RTCP share one transport; an m-section without `a=rtcp-mux` is rejected.
    #[default]
    Require,
}

/// The transport a TURN or STUN URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlTransport {
    /// UDP (the default).
    Udp,
    /// TCP (`?transport=tcp`).
    Tcp,
}

/// A parsed ICE server URL (RFC 7064, RFC 7065).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceUrl {
    /// `stun`, `stuns`, `turn` or `turns`.
    pub scheme: String,
    /// Host name or IP literal (without brackets).
    pub host: String,
    /// Port (3478 by default, 5349 for the secure schemes).
    pub port: u16,
    /// Transport.
    pub transport: UrlTransport,
}

impl IceUrl {
    /// Parse an ICE server URL such as `turn:turn.example.org:3478?transport=tcp`.
    ///
    /// Fails with `SyntaxError` when the URL does not parse and with
    /// `NotSupportedError` for schemes other than stun, stuns, turn and turns.
    pub fn parse(url: &str) -> Result<IceUrl> {
        let syntax = |m: &str| Error::new(ErrorKind::SyntaxError, format!("{m}: {url:?}"));
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| syntax("no scheme in ICE server URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "stun" | "stuns" | "turn" | "turns") {
            if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(syntax("malformed scheme in ICE server URL"));
            }
            return Err(Error::new(
                ErrorKind::NotSupportedError,
                format!("unsupported ICE server URL scheme {scheme:?}"),
            ));
        }
        let (hostport, query) = match rest.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (rest, None),
        };
        let secure = scheme.ends_with('s');
        let default_port = if secure { 5349 } else { 3478 };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| syntax("unterminated IPv6 literal"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| syntax("bad port"))?,
                None if after.is_empty() => default_port,
                None => return Err(syntax("garbage after IPv6 literal")),
            };
            (h.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| syntax("bad port"))?),
                None => (hostport.to_string(), default_port),
            }
        };
        if host.is_empty()
            || host.contains('/')
            || host.contains('@')
            || host.chars().any(|c| c.is_whitespace())
        {
            return Err(syntax("bad host in ICE server URL"));
        }
        let mut transport = UrlTransport::Udp;
        if let Some(q) = query {
            if scheme.starts_with("stun") {
                return Err(syntax("stun URLs take no query"));
            }
            match q.to_ascii_lowercase().as_str() {
                "transport=udp" => transport = UrlTransport::Udp,
                "transport=tcp" => transport = UrlTransport::Tcp,
                _ => return Err(syntax("bad query in TURN URL")),
            }
        }
        if secure {
            transport = UrlTransport::Tcp;
        }
        Ok(IceUrl {
            scheme,
            host,
            port,
            transport,
        })
    }

    /// Whether this is a TURN URL (turn or turns).
    pub fn is_turn(&self) -> bool {
        self.scheme.starts_with("turn")
    }
}

/// One or several URLs, as `urls` accepts in a browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Urls {
    /// A single URL string.
    One(String),
    /// A list of URL strings.
    Many(Vec<String>),
}

impl Default for Urls {
    fn default() -> Self {
        Urls::Many(Vec::new())
    }
}

impl Urls {
    /// The URLs as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Urls::One(u) => vec![u.clone()],
            Urls::Many(v) => v.clone(),
        }
    }
}

/// `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IceServer {
    /// STUN or TURN URLs.
    pub urls: Urls,
    /// Username for TURN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Credential (password) for TURN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl IceServer {
    /// A server with one URL and no credentials (STUN).
    pub fn stun(url: impl Into<String>) -> Self {
        IceServer {
            urls: Urls::One(url.into()),
            ..Default::default()
        }
    }

    /// A TURN server with one URL and long-term credentials.
    pub fn turn(
        url: impl Into<String>,
        username: impl Into<String>,
        credential: impl Into<String>,
    ) -> Self {
        IceServer {
            urls: Urls::One(url.into()),
            username: Some(username.into()),
            credential: Some(credential.into()),
        }
    }

    /// Validate as the spec's "validate an ICE server" does, returning the parsed URLs.
    pub fn validate(&self) -> Result<Vec<IceUrl>> {
        let urls = self.urls.to_vec();
        if urls.is_empty() {
            return Err(Error::new(
                ErrorKind::SyntaxError,
                "iceServers entry with no urls",
            ));
        }
        let mut out = Vec::with_capacity(urls.len());
        for u in &urls {
            let parsed = IceUrl::parse(u)?;
            if parsed.is_turn() && (self.username.is_none() || self.credential.is_none()) {
                return Err(Error::invalid_access(format!(
                    "TURN server {u:?} needs a username and a credential"
                )));
            }
            out.push(parsed);
        }
        Ok(out)
    }
}

/// `RTCConfiguration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// STUN and TURN servers.
    #[serde(default)]
    pub ice_servers: Vec<IceServer>,
    /// Which candidates may be used.
    #[serde(default)]
    pub ice_transport_policy: IceTransportPolicy,
    /// How media is bundled.
    #[serde(default)]
    pub bundle_policy: BundlePolicy,
    /// RTCP multiplexing policy.
    #[serde(default)]
    pub rtcp_mux_policy: RtcpMuxPolicy,
    /// Certificates to use for DTLS; one is generated when empty.
    #[serde(skip)]
    pub certificates: Vec<Certificate>,
    /// Candidates to gather before `setLocalDescription`.
    #[serde(default)]
    pub ice_candidate_pool_size: u8,
    /// The expected peer identity (W3C identity); the connection fails when the peer asserts another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_identity: Option<String>,
}

impl Configuration {
    /// Check the configuration as the RTCPeerConnection constructor does.
    pub fn validate(&self) -> Result<()> {
        for s in &self.ice_servers {
            s.validate()?;
        }
        Ok(())
    }
}
