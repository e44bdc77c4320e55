//! The secure transport of one connection, sans-IO: ICE, DTLS, SCTP and the
//! data channels, wired together.
//!
//! ```text
//! datagram ──► demux by first byte (RFC 7983)
//!                ├─ 0..=3     STUN ──► IceAgent (checks, consent)
//!                ├─ 20..=63   DTLS ──► DtlsTransport ──► Association ──► DataChannelRegistry
//!                └─ 128..=191 SRTP/SRTCP ──► SrtpContext (keys from DTLS) ──► media queue
//! ```
//!
//! SRTP keys come from the DTLS exporter (RFC 5764 §4.2) once the handshake
//! negotiated `use_srtp`. Unprotected RTP and RTCP wait in
//! [`Transport::poll_media`] for the media engine (`crate::media`), which
//! sends through [`Transport::send_rtp`] and [`Transport::send_rtcp`].
//!
//! [`Transport`] owns the four state machines and moves data between them in
//! [`Transport::handle_receive`] and [`Transport::handle_timeout`]: DTLS
//! application data goes into SCTP, SCTP packets (sized to fit one DTLS
//! record in one datagram) go out through DTLS and ICE, DCEP actions become
//! SCTP sends and stream resets, SCTP messages become data channel events.
//!
//! The life of a transport follows the negotiation (driven by
//! `proto::PeerConnection`):
//! 1. [`Transport::start_ice`] once a local description is applied, with its
//!    ICE credentials; the caller registers sockets ([`Transport::add_host`])
//!    and ends gathering ([`Transport::end_of_local_candidates`]).
//! 2. [`Transport::configure`] once the answer is applied (remote ICE
//!    credentials, fingerprints, DTLS role, SCTP port and size).
//! 3. DTLS starts with the negotiated role when ICE selects a pair; SCTP
//!    starts when DTLS is connected; channels open when SCTP is.
//!
//! The W3C `iceConnectionState` and `connectionState` are derived here from
//! the ICE and DTLS states (webrtc-pc §4.4.3, §4.4.4).

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use rtcpeer_ice::Transmit;
use rtcpeer_ice::{Candidate, Datagram, IceAgent, IceConfig, IceEvent, Protocol};
use rtcpeer_rtp::SrtpContext;
use rtcpeer_sctp::{Association, SctpConfig, SctpEvent};

use crate::certificate::{Certificate, FingerprintAlgorithm, RemoteFingerprint};
use crate::dcep::{self, DataChannelEvent, DataChannelRegistry, SctpAction};
use crate::description::{IceConnectionState, PeerConnectionState};
use crate::dtls::{
    DtlsConfig, DtlsError, DtlsEvent, DtlsState, DtlsTransport, SrtpKeyingMaterial, SrtpProfile,
};
use crate::error::ErrorDetail;
use crate::peer::{DtlsRole, TransportParameters};

#[cfg(test)]
mod tests;

/// What the transport tells its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportEvent {
    /// A candidate the ICE agent gathered (server-reflexive, relayed), as an
    /// SDP `candidate:` line.
    LocalCandidate(String),
    /// ICE gathering finished.
    GatheringComplete,
    /// A STUN or TURN server failed (`icecandidateerror`).
    CandidateError(CandidateError),
    /// The W3C `iceConnectionState` changed.
    IceConnectionState(IceConnectionState),
    /// The W3C `connectionState` changed.
    ConnectionState(PeerConnectionState),
    /// Something happened to a data channel.
    DataChannel(DataChannelEvent),
    /// The W3C `RTCDtlsTransport.state` changed (`statechange`).
    DtlsState(DtlsState),
    /// The DTLS transport failed (`RTCDtlsTransport` `error`, before its
    /// `statechange` to failed): `fingerprint-failure` or `dtls-failure`.
    DtlsError {
        /// The `RTCError.errorDetail`.
        detail: ErrorDetail,
        /// What went wrong.
        message: String,
    },
    /// The W3C `RTCSctpTransport.state` changed (`statechange`).
    SctpState(SctpTransportState),
}

/// `RTCSctpTransportState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SctpTransportState {
    /// Negotiated; the association is not up yet.
    Connecting,
    /// The association is up.
    Connected,
    /// Closed (shutdown, abort, or the DTLS transport below ended).
    Closed,
}

impl SctpTransportState {
    /// The W3C string: `"connecting"`, `"connected"`, `"closed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SctpTransportState::Connecting => "connecting",
            SctpTransportState::Connected => "connected",
            SctpTransportState::Closed => "closed",
        }
    }
}

/// A STUN or TURN server failure, as `RTCPeerConnectionIceErrorEvent` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateError {
    /// The server's URL as configured.
    pub url: String,
    /// The local address the request went out of.
    pub address: Option<std::net::IpAddr>,
    /// The local port the request went out of.
    pub port: Option<u16>,
    /// STUN error code (RFC 8489 §14.8), or 701 when the server could not be reached.
    pub error_code: u16,
    /// The server's reason phrase, or ours.
    pub error_text: String,
}

/// A STUN or TURN server registered with the transport.
#[derive(Debug, Clone)]
struct ServerUrl {
    addr: SocketAddr,
    proto: Protocol,
    url: String,
    /// TURN username and password; `None` for STUN.
    turn: Option<(String, String)>,
}

/// Datagrams and inputs the transport dropped (untrusted input never panics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportCounters {
    /// SRTP/SRTCP datagrams (first byte 128..=191) that arrived before the
    /// keys, failed authentication or replay checks, or were malformed.
    pub srtp_dropped: u64,
    /// RTP/RTCP packets we could not protect or send (no keys yet, no pair).
    pub srtp_send_failures: u64,
    /// Datagrams whose first byte matches no protocol (RFC 7983), or empty.
    pub unknown_dropped: u64,
    /// Remote candidates that did not parse or were refused by ICE.
    pub bad_remote_candidates: u64,
    /// SCTP packets DTLS refused to send (not connected).
    pub sctp_send_failures: u64,
    /// ICE-TCP connections to our passive candidates the async layer closed
    /// as they were accepted (over its limit).
    pub tcp_connections_refused: u64,
}

/// The ICE + DTLS + SCTP + data channel stack of one connection. See the
/// [module docs](self).
pub struct Transport {
    ice: Option<IceAgent>,
    ice_config: IceConfig,
    servers: Vec<ServerUrl>,
    dtls: DtlsTransport,
    sctp: Option<Association>,
    channels: DataChannelRegistry,
    params: Option<TransportParameters>,
    fed_remote: HashSet<String>,
    out: VecDeque<Transmit>,
    events: VecDeque<TransportEvent>,
    ice_state: IceConnectionState,
    connection_state: PeerConnectionState,
    counters: TransportCounters,
    now: Option<Instant>,
    next_local_pref: u16,
    buf: Vec<u8>,
    closed: bool,
    selected_pair_changes: u64,
    /// The DTLS state last reported as an event.
    dtls_state: DtlsState,
    /// `None` until data channels are negotiated (W3C `pc.sctp` is null).
    sctp_state: Option<SctpTransportState>,
    /// (outbound, inbound) SRTP contexts, once DTLS exported keys.
    srtp: Option<(SrtpContext, SrtpContext)>,
    media_in: VecDeque<MediaPacket>,
}

/// An unprotected RTP or RTCP packet that arrived (see [`Transport::poll_media`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPacket {
    /// RTCP (by RFC 5761 §4), else RTP.
    pub rtcp: bool,
    /// The packet, SRTP removed.
    pub data: Vec<u8>,
}

/// The `rtcpeer-rtp` profile of a negotiated DTLS-SRTP profile.
fn rtp_profile(p: SrtpProfile) -> rtcpeer_rtp::SrtpProfile {
    match p {
        SrtpProfile::Aes128CmSha1_80 => rtcpeer_rtp::SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::AeadAes128Gcm => rtcpeer_rtp::SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm => rtcpeer_rtp::SrtpProfile::AeadAes256Gcm,
    }
}

/// Our (outbound) and the peer's (inbound) SRTP contexts from the exported keys.
fn srtp_contexts(
    km: &SrtpKeyingMaterial,
    role: crate::dtls::DtlsRole,
) -> Option<(SrtpContext, SrtpContext)> {
    let profile = rtp_profile(km.profile);
    let (lk, ls) = km.local(role);
    let (rk, rs) = km.remote(role);
    Some((
        SrtpContext::new(profile, lk, ls).ok()?,
        SrtpContext::new(profile, rk, rs).ok()?,
    ))
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("ice_state", &self.ice_state)
            .field("dtls_state", &self.dtls.state())
            .field("sctp", &self.sctp.as_ref().map(|s| s.state()))
            .field("connection_state", &self.connection_state)
            .field("counters", &self.counters)
            .finish()
    }
}

/// The `tracing` target of the wire trace: at TRACE level, every received
/// datagram (`layer = "datagram"`) and the cleartext found in it (`"rtp"`,
/// `"rtcp"`, `"sctp"` for SCTP packets out of DTLS, `"dcep"` for DCEP
/// messages), as lowercase hex in the `hex` field. Off unless a subscriber
/// enables it; it is how `scripts/capture-seeds` takes the fuzzers' seeds
/// from real browser sessions.
pub const WIRE_TRACE_TARGET: &str = "rtcpeer_proto::wire";

/// Emits one wire-trace event (nothing is formatted when it is off).
fn trace_wire(layer: &'static str, data: &[u8]) {
    if tracing::enabled!(target: WIRE_TRACE_TARGET, tracing::Level::TRACE) {
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        tracing::trace!(target: WIRE_TRACE_TARGET, layer, len = data.len(), hex = %hex);
    }
}

/// The DCEP registry's role type from the negotiated DTLS role.
fn dcep_role(role: DtlsRole) -> dcep::DtlsRole {
    match role {
        DtlsRole::Client => dcep::DtlsRole::Client,
        DtlsRole::Server => dcep::DtlsRole::Server,
    }
}

fn ice_state_to_w3c(s: rtcpeer_ice::IceConnectionState) -> IceConnectionState {
    use rtcpeer_ice::IceConnectionState as I;
    match s {
        I::New => IceConnectionState::New,
        I::Checking => IceConnectionState::Checking,
        I::Connected => IceConnectionState::Connected,
        I::Completed => IceConnectionState::Completed,
        I::Failed => IceConnectionState::Failed,
        I::Disconnected => IceConnectionState::Disconnected,
        I::Closed => IceConnectionState::Closed,
    }
}

/// `RTCPeerConnectionState` from the ICE and DTLS transport states, by the
/// table of webrtc-pc §4.4.4 (one ICE and one DTLS transport, as with BUNDLE).
pub fn connection_state(ice: IceConnectionState, dtls: DtlsState) -> PeerConnectionState {
    use IceConnectionState as I;
    if ice == I::Closed {
        return PeerConnectionState::Closed;
    }
    if ice == I::Failed || dtls == DtlsState::Failed {
        return PeerConnectionState::Failed;
    }
    if ice == I::Disconnected {
        return PeerConnectionState::Disconnected;
    }
    if ice == I::New && matches!(dtls, DtlsState::New | DtlsState::Closed) {
        return PeerConnectionState::New;
    }
    if matches!(ice, I::New | I::Checking) || matches!(dtls, DtlsState::New | DtlsState::Connecting)
    {
        return PeerConnectionState::Connecting;
    }
    // ICE connected or completed, DTLS connected or closed (the peer sent
    // close_notify: the spec's table still says connected).
    PeerConnectionState::Connected
}

impl Transport {
    /// A transport with our certificate; ICE starts with [`Transport::start_ice`].
    pub fn new(certificate: Certificate) -> Transport {
        Transport {
            ice: None,
            ice_config: IceConfig::default(),
            servers: Vec::new(),
            dtls: DtlsTransport::new(certificate, DtlsConfig::default()),
            sctp: None,
            channels: DataChannelRegistry::default(),
            params: None,
            fed_remote: HashSet::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            ice_state: IceConnectionState::New,
            connection_state: PeerConnectionState::New,
            counters: TransportCounters::default(),
            now: None,
            next_local_pref: 65_535,
            buf: vec![0; 1_500],
            closed: false,
            selected_pair_changes: 0,
            srtp: None,
            media_in: VecDeque::new(),
            dtls_state: DtlsState::New,
            sctp_state: None,
        }
    }

    /// The ICE configuration [`Transport::start_ice`] starts the agent with
    /// (role and credentials are filled in then): timeouts, pacing,
    /// `relay_only` for `iceTransportPolicy: "relay"`. No effect once ICE runs.
    pub fn set_ice_config(&mut self, config: IceConfig) {
        self.ice_config = config;
    }

    /// The ICE configuration set with [`Transport::set_ice_config`].
    pub fn ice_config(&self) -> &IceConfig {
        &self.ice_config
    }

    /// Creates the ICE agent with our credentials from the local description.
    /// Does nothing when ICE already runs.
    pub fn start_ice(&mut self, ufrag: &str, pwd: &str, controlling: bool, now: Instant) {
        if self.ice.is_some() || self.closed {
            return;
        }
        self.now = Some(now);
        let mut ice = IceAgent::new(
            IceConfig {
                controlling,
                local_ufrag: Some(ufrag.to_string()),
                local_pwd: Some(pwd.to_string()),
                ..self.ice_config.clone()
            },
            now,
        );
        for s in &self.servers {
            match &s.turn {
                None => ice.add_stun_server(s.addr),
                Some((u, p)) => ice.add_turn_server(s.addr, s.proto, u, p),
            }
        }
        self.ice = Some(ice);
    }

    /// Sets the ICE role of an agent started before the first local
    /// description (a candidate pool); nothing when ICE does not run.
    pub fn set_ice_controlling(&mut self, controlling: bool) {
        if let Some(ice) = self.ice.as_mut() {
            ice.set_controlling(controlling);
        }
    }

    /// The remote ICE credentials of the last [`Transport::configure`].
    pub fn remote_ice_credentials(&self) -> Option<(&str, &str)> {
        self.params
            .as_ref()
            .map(|p| (p.remote_ufrag.as_str(), p.remote_pwd.as_str()))
    }

    /// Restarts ICE with the credentials of a new local description: the
    /// selected pair keeps carrying data until a pair of the new generation
    /// is selected; every local candidate is signaled again (as
    /// [`TransportEvent::LocalCandidate`], then `GatheringComplete` once
    /// gathering is done). The remote credentials of the new generation come
    /// with the next [`Transport::configure`].
    pub fn restart_ice(&mut self, ufrag: &str, pwd: &str, now: Instant) {
        self.now = Some(now);
        let Some(ice) = self.ice.as_mut() else {
            return;
        };
        if self.closed || ice.local_credentials() == (ufrag, pwd) {
            return;
        }
        ice.restart_with(now, ufrag, pwd);
        self.fed_remote.clear();
        for c in ice.local_candidates() {
            self.events
                .push_back(TransportEvent::LocalCandidate(c.to_string()));
        }
        if ice.is_gathering_complete() {
            self.events.push_back(TransportEvent::GatheringComplete);
        }
        self.pump(now);
    }

    /// Asks for a server-reflexive candidate from this STUN server out of
    /// every UDP host socket. `url` names it in `icecandidateerror`.
    pub fn add_stun_server(&mut self, addr: SocketAddr, url: &str) {
        self.servers.push(ServerUrl {
            addr,
            proto: Protocol::Udp,
            url: url.to_string(),
            turn: None,
        });
        if let Some(ice) = self.ice.as_mut() {
            ice.add_stun_server(addr);
        }
        self.flush();
    }

    /// Asks for a relayed candidate from this TURN server, reached over
    /// `proto` (TLS is TCP to the agent: the async layer wraps the
    /// connection), out of every UDP host socket.
    pub fn add_turn_server(
        &mut self,
        addr: SocketAddr,
        proto: Protocol,
        username: &str,
        password: &str,
        url: &str,
    ) {
        self.servers.push(ServerUrl {
            addr,
            proto,
            url: url.to_string(),
            turn: Some((username.to_string(), password.to_string())),
        });
        if let Some(ice) = self.ice.as_mut() {
            ice.add_turn_server(addr, proto, username, password);
        }
        self.flush();
    }

    /// A server could not be used at all (its name did not resolve, its URL
    /// is not supported): reported as `icecandidateerror`.
    pub fn report_server_error(&mut self, url: &str, error_code: u16, error_text: &str) {
        self.events
            .push_back(TransportEvent::CandidateError(CandidateError {
                url: url.to_string(),
                address: None,
                port: None,
                error_code,
                error_text: error_text.to_string(),
            }));
    }

    /// Whether ICE runs (a local description was applied).
    pub fn ice_started(&self) -> bool {
        self.ice.is_some()
    }

    /// Registers one local UDP socket as a host candidate and returns its SDP
    /// `candidate:` line, or `None` before ICE started or when refused.
    pub fn add_host(&mut self, addr: SocketAddr) -> Option<String> {
        self.add_host_over(addr, Protocol::Udp)
    }

    /// A host candidate on a UDP socket, or (TCP) an ICE-TCP passive one on
    /// a listening socket (RFC 6544); its SDP line.
    pub fn add_host_over(&mut self, addr: SocketAddr, proto: Protocol) -> Option<String> {
        let ice = self.ice.as_mut()?;
        let pref = self.next_local_pref;
        self.next_local_pref = self.next_local_pref.saturating_sub(1);
        ice.add_local_candidate(Candidate::host(addr, proto, pref))
            .ok()?;
        ice.local_candidates()
            .into_iter()
            .find(|c| c.address == addr && c.protocol == proto)
            .map(|c| c.to_string())
    }

    /// Every local socket has been added.
    pub fn end_of_local_candidates(&mut self) {
        if let Some(ice) = self.ice.as_mut() {
            ice.end_of_local_candidates();
        }
    }

    /// Whether [`Transport::configure`] was called.
    pub fn is_configured(&self) -> bool {
        self.params.is_some()
    }

    /// Applies what the negotiation decided. Later calls with other values
    /// (a renegotiation) update the remote fingerprints only.
    pub fn configure(&mut self, params: TransportParameters, now: Instant) {
        self.now = Some(now);
        let fingerprints: Vec<RemoteFingerprint> = params
            .remote_fingerprints
            .iter()
            .filter_map(|(alg, bytes)| {
                Some(RemoteFingerprint {
                    algorithm: FingerprintAlgorithm::from_name(alg)?,
                    bytes: bytes.clone(),
                })
            })
            .collect();
        if let (Some(ice), Some(old)) = (self.ice.as_mut(), self.params.as_ref()) {
            // A new generation (either side restarted ICE): its remote credentials.
            if old.remote_ufrag != params.remote_ufrag || old.remote_pwd != params.remote_pwd {
                ice.set_remote_credentials(&params.remote_ufrag, &params.remote_pwd);
                self.fed_remote.clear();
            }
        }
        if self.params.is_none() {
            if let Some(ice) = self.ice.as_mut() {
                ice.set_remote_credentials(&params.remote_ufrag, &params.remote_pwd);
                if params.remote_ice_lite {
                    ice.set_remote_ice_lite(true);
                }
            }
            self.channels.set_dtls_role(dcep_role(params.dtls_role));
            if let Some((_, max)) = params.sctp {
                let max = if max == 0 { usize::MAX } else { max as usize };
                self.channels.set_max_message_size(max);
                self.sctp_state = Some(SctpTransportState::Connecting);
            }
        }
        self.dtls.set_remote_fingerprints(fingerprints);
        self.params = Some(params);
        self.pump(now);
    }

    /// Adds a remote candidate (an SDP `candidate:` line, with or without
    /// `a=`). Duplicates are ignored; unparsable ones are counted.
    pub fn add_remote_candidate(&mut self, line: &str) {
        let line = line.trim().trim_start_matches("a=");
        let Some(ice) = self.ice.as_mut() else {
            return;
        };
        if !self.fed_remote.insert(line.to_string()) {
            return;
        }
        match Candidate::parse(line) {
            Ok(c) if c.component == 1 => {
                // UDP, and TCP (the agent pairs passive with active only).
                if ice.add_remote_candidate(c).is_err() {
                    self.counters.bad_remote_candidates += 1;
                }
            }
            Ok(_) => {} // RTCP-component candidates: not used (rtcp-mux).
            Err(_) => self.counters.bad_remote_candidates += 1,
        }
    }

    /// The `.local` (mDNS) names of remote candidates not resolved yet.
    pub fn unresolved_remote_hostnames(&self) -> Vec<String> {
        let Some(ice) = self.ice.as_ref() else {
            return Vec::new();
        };
        let mut names: Vec<String> = ice
            .unresolved_remote_hostnames()
            .filter(|h| h.to_ascii_lowercase().ends_with(".local"))
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The address of a remote candidate's host name (from mDNS): the
    /// candidate is paired now.
    pub fn resolve_remote_hostname(&mut self, hostname: &str, ip: std::net::IpAddr, now: Instant) {
        self.now = Some(now);
        if let Some(ice) = self.ice.as_mut() {
            ice.resolve_remote_candidate(hostname, ip);
        }
        self.pump(now);
    }

    /// The remote side sent `end-of-candidates`.
    pub fn end_of_remote_candidates(&mut self) {
        if let Some(ice) = self.ice.as_mut() {
            ice.end_of_remote_candidates();
        }
    }

    /// The data channels (create, send and close go through here).
    pub fn channels(&self) -> &DataChannelRegistry {
        &self.channels
    }

    /// Mutable access to the data channels; call [`Transport::flush`] after.
    pub fn channels_mut(&mut self) -> &mut DataChannelRegistry {
        &mut self.channels
    }

    /// Moves whatever the registry queued into SCTP and out, at the last time
    /// the transport was given (API calls carry no clock).
    pub fn flush(&mut self) {
        if let Some(now) = self.now {
            self.pump(now);
        } else {
            self.drain_channel_events();
        }
    }

    /// Counters of dropped input.
    pub fn counters(&self) -> TransportCounters {
        self.counters
    }

    /// Where a local candidate came from, for its stats: the configured URL
    /// of its STUN or TURN server (`url`) and, for a relayed candidate, the
    /// transport to that server, `"udp"`, `"tcp"` or `"tls"`
    /// (`relayProtocol`). Both `None` for host and peer-reflexive ones.
    pub fn candidate_origin(&self, cand: &Candidate) -> (Option<String>, Option<String>) {
        let Some((addr, proto)) = self.ice.as_ref().and_then(|i| i.candidate_server(cand)) else {
            return (None, None);
        };
        let relayed = cand.kind == rtcpeer_ice::CandidateKind::Relayed;
        let server = self
            .servers
            .iter()
            .find(|u| u.addr == addr && u.proto == proto && u.turn.is_some() == relayed)
            .or_else(|| self.servers.iter().find(|u| u.addr == addr));
        let url = server.map(|u| u.url.clone());
        let relay_protocol = relayed.then(|| {
            let tls = url.as_deref().is_some_and(|u| u.starts_with("turns:"));
            match proto {
                _ if tls => "tls",
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
            }
            .to_string()
        });
        (url, relay_protocol)
    }

    /// Counts an ICE-TCP connection the I/O layer refused
    /// ([`TransportCounters::tcp_connections_refused`]).
    pub fn count_refused_tcp_connection(&mut self) {
        self.counters.tcp_connections_refused += 1;
    }

    /// How many times ICE switched the pair carrying data (stats'
    /// `selectedCandidatePairChanges`).
    pub fn selected_pair_changes(&self) -> u64 {
        self.selected_pair_changes
    }

    /// The current W3C `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_state
    }

    /// The current W3C `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.connection_state
    }

    /// The DTLS transport (state, stats, keys).
    pub fn dtls(&self) -> &DtlsTransport {
        &self.dtls
    }

    /// The ICE agent, once started.
    pub fn ice(&self) -> Option<&IceAgent> {
        self.ice.as_ref()
    }

    /// The SCTP association, once DTLS is connected.
    pub fn sctp(&self) -> Option<&Association> {
        self.sctp.as_ref()
    }

    /// One received datagram: `local` is the socket it arrived on.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.handle_receive_over(now, local, remote, Protocol::Udp, data)
    }

    /// One received datagram over UDP, or one whole message read from a TCP
    /// (or TLS) connection to a TURN server: `local` is then the host socket
    /// the agent named in the transmits for that server.
    pub fn handle_receive_over(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        proto: Protocol,
        data: &[u8],
    ) {
        self.now = Some(now);
        if self.closed {
            return;
        }
        trace_wire("datagram", data);
        let Some(ice) = self.ice.as_mut() else {
            self.counters.unknown_dropped += 1;
            return;
        };
        let d = Datagram {
            local,
            remote,
            proto,
            data,
        };
        // STUN is consumed by ICE; the rest comes back (unwrapped from TURN).
        if let Some(r) = ice.handle_receive(now, d) {
            match r.data.first() {
                Some(20..=63) => self.dtls.handle_receive(now, r.data),
                Some(128..=191) => {
                    let data = r.data.to_vec();
                    self.receive_srtp(data);
                }
                _ => self.counters.unknown_dropped += 1,
            }
        }
        self.pump(now);
    }

    fn receive_srtp(&mut self, mut data: Vec<u8>) {
        let Some((_, rx)) = self.srtp.as_mut() else {
            self.counters.srtp_dropped += 1;
            return;
        };
        let rtcp = rtcpeer_rtp::is_rtcp(&data);
        let r = if rtcp {
            rx.unprotect_rtcp(&mut data)
        } else {
            rx.unprotect_rtp(&mut data)
        };
        match r {
            Ok(n) => {
                data.truncate(n);
                trace_wire(if rtcp { "rtcp" } else { "rtp" }, &data);
                self.media_in.push_back(MediaPacket { rtcp, data });
            }
            Err(_) => self.counters.srtp_dropped += 1,
        }
    }

    /// Counters of the inbound SRTP context (authentication failures,
    /// replays, SSRC states evicted), once DTLS exported the keys.
    pub fn srtp_receive_counters(&self) -> Option<rtcpeer_rtp::srtp::SrtpCounters> {
        self.srtp.as_ref().map(|(_, rx)| rx.counters())
    }

    /// Test hook: sends `data` as one DTLS application data record, in
    /// place of an SCTP packet; `false` before DTLS is connected.
    #[doc(hidden)]
    pub fn send_raw_application_data(&mut self, data: &[u8]) -> bool {
        if self.closed || self.dtls.send_application_data(data).is_err() {
            return false;
        }
        self.dtls_out();
        true
    }

    /// Whether SRTP keys are in place (media can flow).
    pub fn media_ready(&self) -> bool {
        self.srtp.is_some() && !self.closed
    }

    /// The next received RTP or RTCP packet, unprotected.
    pub fn poll_media(&mut self) -> Option<MediaPacket> {
        self.media_in.pop_front()
    }

    /// Protects one RTP packet and queues it on the selected pair. Fails
    /// (counted) before the keys or without a pair.
    pub fn send_rtp(&mut self, packet: Vec<u8>) -> bool {
        self.send_media(packet, false)
    }

    /// Protects one (compound) RTCP packet and queues it on the selected pair.
    pub fn send_rtcp(&mut self, packet: Vec<u8>) -> bool {
        self.send_media(packet, true)
    }

    fn send_media(&mut self, mut packet: Vec<u8>, rtcp: bool) -> bool {
        if self.closed {
            return false;
        }
        let (Some((tx, _)), Some(ice)) = (self.srtp.as_mut(), self.ice.as_mut()) else {
            self.counters.srtp_send_failures += 1;
            return false;
        };
        let r = if rtcp {
            tx.protect_rtcp(&mut packet)
        } else {
            tx.protect_rtp(&mut packet)
        };
        if r.is_err() {
            self.counters.srtp_send_failures += 1;
            return false;
        }
        match ice.send(&packet) {
            Some(t) => {
                self.out.push_back(t);
                true
            }
            None => {
                self.counters.srtp_send_failures += 1;
                false
            }
        }
    }

    /// Runs every timer that is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        if let Some(ice) = self.ice.as_mut() {
            if ice.poll_timeout().is_some_and(|t| t <= now) {
                ice.handle_timeout(now);
            }
        }
        if self.dtls.poll_timeout().is_some_and(|t| t <= now) {
            self.dtls.handle_timeout(now);
        }
        if let Some(sctp) = self.sctp.as_mut() {
            if sctp.poll_timeout().is_some_and(|t| t <= now) {
                sctp.handle_timeout(now);
            }
        }
        self.pump(now);
    }

    /// When [`Transport::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.ice.as_ref().and_then(|i| i.poll_timeout()),
            self.dtls.poll_timeout(),
            self.sctp.as_ref().and_then(|s| s.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<TransportEvent> {
        self.events.pop_front()
    }

    /// Closes everything: SCTP aborts, DTLS sends `close_notify`, ICE stops.
    /// The last datagrams are still in [`Transport::poll_transmit`].
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        let now = self.now;
        if let (Some(sctp), Some(now)) = (self.sctp.as_mut(), now) {
            sctp.abort(now);
            Self::sctp_out(sctp, &mut self.dtls, &mut self.buf, now, &mut self.counters);
        }
        self.channels.handle_sctp_closed(false);
        while self.channels.poll_event().is_some() {}
        self.dtls.close();
        self.dtls_out();
        if let (Some(ice), Some(now)) = (self.ice.as_mut(), now) {
            ice.close(now);
        }
        // pc.close(): both transports end up closed, without events.
        if self.sctp_state.is_some() {
            self.sctp_state = Some(SctpTransportState::Closed);
        }
        self.dtls_state = DtlsState::Closed;
        self.closed = true;
    }

    fn dtls_out(&mut self) {
        while let Some(d) = self.dtls.poll_transmit() {
            if let Some(t) = self.ice.as_mut().and_then(|i| i.send_owned(d)) {
                self.out.push_back(t);
            }
        }
    }

    /// Writes every packet SCTP has ready into DTLS records.
    fn sctp_out(
        sctp: &mut Association,
        dtls: &mut DtlsTransport,
        buf: &mut Vec<u8>,
        now: Instant,
        counters: &mut TransportCounters,
    ) -> bool {
        let max = dtls.max_application_data_len();
        if buf.len() < max {
            buf.resize(max, 0);
        }
        let mut any = false;
        while let Some(n) = sctp.poll_transmit(now, &mut buf[..max]) {
            any = true;
            if dtls.send_application_data(&buf[..n]).is_err() {
                counters.sctp_send_failures += 1;
            }
        }
        any
    }

    /// Moves data and events between the layers until nothing moves.
    fn pump(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        for _ in 0..64 {
            let mut moved = false;
            // ICE: events and its own datagrams.
            if let Some(ice) = self.ice.as_mut() {
                while let Some(e) = ice.poll_event() {
                    moved = true;
                    match e {
                        IceEvent::LocalCandidate(c) => {
                            self.events
                                .push_back(TransportEvent::LocalCandidate(c.to_string()));
                        }
                        IceEvent::GatheringComplete => {
                            self.events.push_back(TransportEvent::GatheringComplete);
                        }
                        IceEvent::CandidateError {
                            server,
                            local,
                            transport,
                            code,
                            text,
                        } => {
                            let url = self
                                .servers
                                .iter()
                                .find(|u| u.addr == server && u.proto == transport)
                                .or_else(|| self.servers.iter().find(|u| u.addr == server))
                                .map_or_else(|| server.to_string(), |u| u.url.clone());
                            self.events
                                .push_back(TransportEvent::CandidateError(CandidateError {
                                    url,
                                    address: Some(local.ip()),
                                    port: Some(local.port()),
                                    error_code: code,
                                    error_text: text,
                                }));
                        }
                        IceEvent::ConnectionStateChange(s) => {
                            self.ice_state = ice_state_to_w3c(s);
                            self.events
                                .push_back(TransportEvent::IceConnectionState(self.ice_state));
                        }
                        IceEvent::SelectedPairChanged { .. } => self.selected_pair_changes += 1,
                        _ => {}
                    }
                }
                while let Some(t) = ice.poll_transmit(now) {
                    self.out.push_back(t);
                }
            }
            // DTLS starts once ICE has a pair and the role is known.
            let ice_up = matches!(
                self.ice_state,
                IceConnectionState::Connected | IceConnectionState::Completed
            );
            if ice_up && self.dtls.state() == DtlsState::New {
                if let Some(p) = &self.params {
                    let role = dcep_role(p.dtls_role);
                    if self.dtls.start(role, now).is_ok() {
                        moved = true;
                    }
                }
            }
            while let Some(e) = self.dtls.poll_event() {
                moved = true;
                match e {
                    DtlsEvent::Connected => self.start_sctp(now),
                    DtlsEvent::ApplicationData(d) => {
                        trace_wire("sctp", &d);
                        if let Some(sctp) = self.sctp.as_mut() {
                            sctp.handle_receive(now, &d);
                        }
                    }
                    DtlsEvent::Closed | DtlsEvent::Failed(_) => {
                        let failed = matches!(e, DtlsEvent::Failed(_));
                        if let DtlsEvent::Failed(err) = &e {
                            let detail = if *err == DtlsError::FingerprintMismatch {
                                ErrorDetail::FingerprintFailure
                            } else {
                                ErrorDetail::DtlsFailure
                            };
                            self.events.push_back(TransportEvent::DtlsError {
                                detail,
                                message: err.to_string(),
                            });
                        }
                        self.channels.handle_sctp_closed(failed);
                        self.set_sctp_state(SctpTransportState::Closed);
                    }
                    DtlsEvent::KeyingMaterial(km) => {
                        if let Some(role) = self.dtls.role() {
                            self.srtp = srtp_contexts(&km, role);
                        }
                    }
                }
            }
            // DCEP actions into SCTP.
            if let Some(sctp) = self.sctp.as_mut() {
                while let Some(a) = self.channels.poll_transmit() {
                    moved = true;
                    match a {
                        SctpAction::Send(m) => {
                            let o = m.header.options;
                            let opts = rtcpeer_sctp::SendOptions {
                                ordered: o.ordered,
                                max_retransmits: o.max_retransmits(),
                                lifetime: o.lifetime(),
                                priority: o.priority,
                            };
                            let _ = sctp.send_bytes(
                                now,
                                m.header.stream_id,
                                m.header.ppid.value(),
                                m.payload.into(),
                                opts,
                            );
                        }
                        SctpAction::ResetStream(s) => sctp.reset_streams(now, &[s]),
                    }
                }
                if Self::sctp_out(sctp, &mut self.dtls, &mut self.buf, now, &mut self.counters) {
                    moved = true;
                }
                while let Some(e) = sctp.poll_event() {
                    moved = true;
                    match e {
                        SctpEvent::Connected => {
                            let (o, i) = sctp.stream_counts();
                            self.channels.set_max_streams(o.min(i));
                            self.channels.handle_sctp_connected();
                            self.sctp_state = Some(SctpTransportState::Connected);
                            self.events.push_back(TransportEvent::SctpState(
                                SctpTransportState::Connected,
                            ));
                        }
                        SctpEvent::Message {
                            stream_id,
                            ppid,
                            data,
                        } => {
                            if ppid == dcep::Ppid::Dcep.value() {
                                trace_wire("dcep", &data);
                            }
                            self.channels
                                .handle_message_owned(stream_id, ppid, data.into())
                        }
                        SctpEvent::StreamReset { stream_ids } => {
                            for s in stream_ids {
                                self.channels.handle_stream_reset(s);
                            }
                        }
                        SctpEvent::OutgoingStreamsReset { stream_ids } => {
                            for s in stream_ids {
                                self.channels.handle_outgoing_reset_done(s);
                            }
                        }
                        SctpEvent::Closed => {
                            self.channels.handle_sctp_closed(false);
                            Self::sctp_closed(&mut self.sctp_state, &mut self.events);
                        }
                        SctpEvent::Aborted { .. } => {
                            self.channels.handle_sctp_closed(true);
                            Self::sctp_closed(&mut self.sctp_state, &mut self.events);
                        }
                        _ => {}
                    }
                }
                // bufferedAmount: what SCTP has not sent yet.
                let pending: Vec<(u16, u64)> = self
                    .channels
                    .channels()
                    .filter(|(_, c)| c.buffered_amount > 0)
                    .filter_map(|(_, c)| Some((c.stream_id?, c.buffered_amount)))
                    .collect();
                for (stream, ours) in pending {
                    let left = sctp.buffered_amount(stream) as u64;
                    if left < ours {
                        self.channels
                            .handle_bytes_transmitted(stream, (ours - left) as usize);
                    }
                }
            }
            self.dtls_out();
            self.drain_channel_events();
            self.update_connection_state();
            if !moved {
                break;
            }
        }
    }

    fn drain_channel_events(&mut self) {
        while let Some(e) = self.channels.poll_event() {
            self.events.push_back(TransportEvent::DataChannel(e));
        }
    }

    fn start_sctp(&mut self, now: Instant) {
        if self.sctp.is_some() {
            return;
        }
        let Some((remote_port, max)) = self.params.as_ref().and_then(|p| p.sctp) else {
            return;
        };
        let config = SctpConfig {
            remote_port,
            max_packet_size: self.dtls.max_application_data_len(),
            // What we may send: the peer's limit (its `0` is "no limit",
            // as the registry takes it, so SCTP must not refuse what the
            // registry let through).
            max_message_size: if max == 0 {
                usize::MAX
            } else {
                (max as usize).max(crate::peer::MAX_MESSAGE_SIZE as usize)
            },
            // What we announce, whatever the peer's own limit: a larger
            // message is dropped and counted (`messages_too_large`).
            max_inbound_message_size: Some(crate::peer::MAX_MESSAGE_SIZE as usize),
            ..SctpConfig::default()
        };
        let mut sctp = Association::new(config, now);
        sctp.connect(now);
        self.sctp = Some(sctp);
    }

    fn set_sctp_state(&mut self, s: SctpTransportState) {
        if self.sctp_state.is_some_and(|old| old != s) {
            self.sctp_state = Some(s);
            self.events.push_back(TransportEvent::SctpState(s));
        }
    }

    fn sctp_closed(state: &mut Option<SctpTransportState>, events: &mut VecDeque<TransportEvent>) {
        if state.is_some_and(|old| old != SctpTransportState::Closed) {
            *state = Some(SctpTransportState::Closed);
            events.push_back(TransportEvent::SctpState(SctpTransportState::Closed));
        }
    }

    /// W3C `RTCSctpTransport.state`; `None` until data channels are negotiated.
    pub fn sctp_state(&self) -> Option<SctpTransportState> {
        self.sctp_state
    }

    /// W3C `RTCSctpTransport.maxChannels`: the streams both sides allow,
    /// once the association is up.
    pub fn sctp_max_channels(&self) -> Option<u16> {
        let sctp = self.sctp.as_ref()?;
        if self.sctp_state != Some(SctpTransportState::Connected) {
            return None;
        }
        let (o, i) = sctp.stream_counts();
        Some(o.min(i))
    }

    /// W3C `RTCDtlsTransport.state`.
    pub fn dtls_state(&self) -> DtlsState {
        if self.closed {
            DtlsState::Closed
        } else {
            self.dtls.state()
        }
    }

    fn update_connection_state(&mut self) {
        let d = self.dtls.state();
        if d != self.dtls_state && !self.closed {
            self.dtls_state = d;
            self.events.push_back(TransportEvent::DtlsState(d));
        }
        let s = connection_state(self.ice_state, self.dtls.state());
        if s != self.connection_state {
            self.connection_state = s;
            self.events.push_back(TransportEvent::ConnectionState(s));
        }
    }
}
