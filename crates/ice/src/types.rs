//! The agent's public value types: configuration, I/O records, events, stats.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{Candidate, Protocol};

/// How an [`crate::IceAgent`] behaves. `Default` gives browser-like values.
#[derive(Debug, Clone)]
pub struct IceConfig {
    /// Whether we start as the controlling agent (the offerer, usually).
    pub controlling: bool,
    /// Local username fragment; generated (8 chars) when `None`.
    pub local_ufrag: Option<String>,
    /// Local password; generated (24 chars) when `None`.
    pub local_pwd: Option<String>,
    /// Run as an ICE-lite agent (RFC 8445 §2.5), as servers often do: no
    /// checks of our own, always controlled, the peer's nomination selects
    /// the pair. Signal `a=ice-lite` in the SDP.
    pub lite: bool,
    /// `iceTransportPolicy: "relay"`: only relayed candidates are signaled
    /// and paired; host sockets serve only to reach the TURN servers.
    pub relay_only: bool,
    /// Role-conflict tie-breaker; random when `None`.
    pub tie_breaker: Option<u64>,
    /// Pacing interval between new connectivity checks (RFC 8445 Ta).
    pub ta: Duration,
    /// First retransmission timeout of a check or server request.
    pub rto: Duration,
    /// Retransmission timeout cap.
    pub max_rto: Duration,
    /// Transmissions of one check before it times out (the pair is then
    /// tried again while no pair works, until `failed_timeout`).
    pub max_check_transmits: u32,
    /// Transmissions of a STUN/TURN server request before giving up.
    pub max_server_transmits: u32,
    /// How long the controlling agent waits for a better pair before
    /// nominating the best valid one.
    pub nomination_wait: Duration,
    /// Mean interval between consent checks (RFC 7675: 5 s ± 20 %).
    pub consent_interval: Duration,
    /// No response on the selected pair for this long: Disconnected.
    pub disconnected_timeout: Duration,
    /// No response on the selected pair for this long: consent lost, Failed.
    pub consent_timeout: Duration,
    /// With no pair working this long after the first check, pairs stop
    /// being retried and, once all failed, the state is Failed (also without
    /// end-of-candidates).
    pub failed_timeout: Duration,
    /// SOFTWARE attribute for our requests, if any.
    pub software: Option<String>,
    /// Seed for ufrag/pwd/tie-breaker/transaction ids (tests); `None` uses
    /// the system's cryptographic random source.
    pub rng_seed: Option<u64>,
    /// Maximum number of candidate pairs (RFC 8445 recommends 100).
    pub max_pairs: usize,
    /// Maximum number of remote candidates kept per ICE generation.
    pub max_remote_candidates: usize,
}

impl Default for IceConfig {
    fn default() -> Self {
        IceConfig {
            controlling: false,
            local_ufrag: None,
            local_pwd: None,
            lite: false,
            relay_only: false,
            tie_breaker: None,
            ta: Duration::from_millis(50),
            rto: Duration::from_millis(500),
            max_rto: Duration::from_millis(1600),
            max_check_transmits: 7,
            max_server_transmits: 7,
            nomination_wait: Duration::from_millis(300),
            consent_interval: Duration::from_secs(5),
            disconnected_timeout: Duration::from_secs(8),
            consent_timeout: Duration::from_secs(30),
            failed_timeout: Duration::from_secs(30),
            software: None,
            rng_seed: None,
            max_pairs: 100,
            max_remote_candidates: 100,
        }
    }
}

/// A datagram the async layer received.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Our socket address it arrived on (for TCP: the candidate's address).
    pub local: SocketAddr,
    /// The sender.
    pub remote: SocketAddr,
    /// UDP, or one RFC 4571 frame of a TCP connection.
    pub proto: Protocol,
    /// The payload.
    pub data: &'a [u8],
}

/// A datagram for the async layer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket to send from.
    pub local: SocketAddr,
    /// Destination.
    pub remote: SocketAddr,
    /// UDP, or TCP (the async layer adds the RFC 4571 length prefix).
    pub proto: Protocol,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Where application data goes over the selected pair: the async layer can
/// send it directly when `channel`/`via_turn` say no wrapping is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Local socket to send from.
    pub local: SocketAddr,
    /// Where to send (the TURN server when relayed).
    pub remote: SocketAddr,
    /// Protocol of that socket.
    pub proto: Protocol,
    /// Whether data must be wrapped for a TURN server (use `send_to_selected`).
    pub via_turn: bool,
}

/// Non-STUN payload handed back by [`crate::IceAgent::handle_receive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// The local candidate address it arrived at (the relayed address for
    /// data that came through TURN).
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Protocol it arrived over.
    pub proto: Protocol,
    /// The pair it belongs to, if that pair is known.
    pub pair: Option<PairId>,
    /// The payload (DTLS, SRTP, …), unwrapped from TURN if needed.
    pub data: &'a [u8],
}

/// Identifies a candidate pair for the lifetime of the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PairId(pub u32);

/// Candidate pair state (RFC 8445 §6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairState {
    /// Not checked yet, waiting for a pair of its foundation.
    Frozen,
    /// Ready to be checked.
    Waiting,
    /// Check sent, no answer yet.
    InProgress,
    /// Check answered: the pair is valid.
    Succeeded,
    /// Check failed or timed out.
    Failed,
}

/// `RTCIceConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceConnectionState {
    /// Nothing done yet.
    New,
    /// Checks under way, no pair selected.
    Checking,
    /// A pair is selected.
    Connected,
    /// A pair is selected and checking has finished.
    Completed,
    /// No pair works, or consent was lost.
    Failed,
    /// The selected pair stopped answering for a while.
    Disconnected,
    /// The agent was closed.
    Closed,
}

impl fmt::Display for IceConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IceConnectionState::New => "new",
            IceConnectionState::Checking => "checking",
            IceConnectionState::Connected => "connected",
            IceConnectionState::Completed => "completed",
            IceConnectionState::Failed => "failed",
            IceConnectionState::Disconnected => "disconnected",
            IceConnectionState::Closed => "closed",
        })
    }
}

/// What the agent tells its owner. Drain with [`crate::IceAgent::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// A server-reflexive or relayed candidate was gathered: signal it.
    LocalCandidate(Candidate),
    /// Every STUN/TURN server request has finished (after
    /// [`crate::IceAgent::end_of_local_candidates`]).
    GatheringComplete,
    /// The connection state changed.
    ConnectionStateChange(IceConnectionState),
    /// Application data now goes over this pair.
    SelectedPairChanged {
        /// The pair's id.
        pair: PairId,
        /// Local candidate.
        local: Candidate,
        /// Remote candidate.
        remote: Candidate,
    },
    /// A STUN or TURN server failed (`RTCPeerConnectionIceErrorEvent`).
    CandidateError {
        /// The server, as given to the agent (before any redirect).
        server: SocketAddr,
        /// The host socket the request went out of.
        local: SocketAddr,
        /// The protocol to the server.
        transport: Protocol,
        /// STUN error code, or 701 when the server did not answer.
        code: u16,
        /// Reason phrase.
        text: String,
    },
    /// A role conflict was repaired by switching role.
    RoleChanged {
        /// Our new role.
        controlling: bool,
    },
}

/// Per candidate pair statistics (for `RTCIceCandidatePairStats`).
#[derive(Debug, Clone, PartialEq)]
pub struct CandidatePairStats {
    /// The pair.
    pub id: PairId,
    /// Local candidate.
    pub local: Candidate,
    /// Remote candidate.
    pub remote: Candidate,
    /// Check state.
    pub state: PairState,
    /// Nominated.
    pub nominated: bool,
    /// Currently selected for data.
    pub selected: bool,
    /// Pair priority.
    pub priority: u64,
    /// Binding requests sent (checks and consent).
    pub requests_sent: u64,
    /// Binding requests received.
    pub requests_received: u64,
    /// Binding responses sent.
    pub responses_sent: u64,
    /// Binding responses received.
    pub responses_received: u64,
    /// Consent requests sent.
    pub consent_requests_sent: u64,
    /// Application packets sent.
    pub packets_sent: u64,
    /// Application packets received.
    pub packets_received: u64,
    /// Application bytes sent.
    pub bytes_sent: u64,
    /// Application bytes received.
    pub bytes_received: u64,
    /// Latest round-trip time measured by a check.
    pub current_round_trip_time: Option<Duration>,
    /// Sum of all round-trip times measured.
    pub total_round_trip_time: Duration,
    /// Last time an application packet was sent.
    pub last_packet_sent: Option<Instant>,
    /// Last time an application packet was received.
    pub last_packet_received: Option<Instant>,
}

/// Counters of dropped input, for debugging and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IceCounters {
    /// STUN-looking datagrams that failed to decode.
    pub malformed: u64,
    /// Messages whose MESSAGE-INTEGRITY did not verify.
    pub bad_integrity: u64,
    /// Requests with an unknown or missing USERNAME.
    pub bad_username: u64,
    /// Responses that match no outstanding transaction.
    pub unmatched_responses: u64,
    /// Requests queued until the remote credentials are known.
    pub queued_requests: u64,
    /// Other STUN messages ignored (indications, unexpected methods).
    pub ignored: u64,
    /// TURN ChannelData on unknown channels, or malformed.
    pub bad_channel_data: u64,
}

/// An error from an agent API call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceError {
    /// Too many candidates or pairs.
    TooManyCandidates,
    /// The candidate is of a kind that cannot be added here.
    InvalidCandidate(&'static str),
    /// The agent is closed.
    Closed,
}

impl fmt::Display for IceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IceError::TooManyCandidates => f.write_str("too many ICE candidates"),
            IceError::InvalidCandidate(why) => write!(f, "invalid ICE candidate: {why}"),
            IceError::Closed => f.write_str("ICE agent closed"),
        }
    }
}

impl std::error::Error for IceError {}
