//! The ICE agent: state, public API, input dispatch and timers. Connectivity
//! checks live in `checks.rs`, TURN and STUN-server gathering in `turn.rs`.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcpeer_stun::{ChannelData, Class, Message, Method, TransactionId};

use crate::candidate::{compute_foundation, compute_priority};
use crate::rng::Rng;
use crate::turn::{Allocation, TurnOp};
use crate::{
    Candidate, CandidateKind, CandidatePairStats, Datagram, IceConfig, IceConnectionState,
    IceCounters, IceError, IceEvent, PairId, PairState, Protocol, Received, Route, Transmit,
};

/// Username fragment and password of one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Creds {
    pub ufrag: String,
    pub pwd: String,
}

/// One ICE "generation": the credentials between two restarts.
#[derive(Debug)]
pub(crate) struct Generation {
    pub local: Creds,
    pub remote: Option<Creds>,
    pub end_of_remote_candidates: bool,
}

/// A local candidate and where its packets really go out.
#[derive(Debug)]
pub(crate) struct LocalCand {
    pub cand: Candidate,
    /// The host socket packets leave from (the TURN client socket for relayed).
    pub base: SocketAddr,
    /// The TURN allocation behind a relayed candidate.
    pub alloc: Option<usize>,
    /// The STUN or TURN server a server-reflexive candidate was learned from.
    pub server: Option<SocketAddr>,
    /// Host sockets added with `add_host_socket` are used but not listed.
    pub hidden: bool,
}

#[derive(Debug)]
pub(crate) struct RemoteCand {
    pub cand: Candidate,
    pub generation: u32,
}

/// A candidate pair on the check list.
#[derive(Debug)]
pub(crate) struct Pair {
    pub id: PairId,
    pub local: usize,
    pub remote: usize,
    pub generation: u32,
    pub priority: u64,
    pub state: PairState,
    pub foundation: String,
    pub nominated: bool,
    /// The controlled side got USE-CANDIDATE for it before it succeeded.
    pub remote_nominated: bool,
    /// The controlling side has a USE-CANDIDATE check in flight.
    pub nominating: bool,
    pub last_response: Option<Instant>,
    pub consent_next: Option<Instant>,
    pub stats: PairCounters,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct PairCounters {
    pub requests_sent: u64,
    pub requests_received: u64,
    pub responses_sent: u64,
    pub responses_received: u64,
    pub consent_requests_sent: u64,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub current_rtt: Option<Duration>,
    pub total_rtt: Duration,
    pub last_packet_sent: Option<Instant>,
    pub last_packet_received: Option<Instant>,
}

/// What an outstanding STUN transaction is for.
#[derive(Debug, Clone)]
pub(crate) enum TxKind {
    Check {
        pair: PairId,
        use_candidate: bool,
        consent: bool,
        controlling: bool,
    },
    Gather {
        server: SocketAddr,
    },
    Turn {
        alloc: usize,
        op: TurnOp,
    },
}

#[derive(Debug)]
pub(crate) struct Transaction {
    pub kind: TxKind,
    /// Where the bytes go.
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub proto: Protocol,
    pub data: Vec<u8>,
    pub last_sent: Instant,
    pub next: Instant,
    pub transmits: u32,
    pub max_transmits: u32,
    pub rto: Duration,
    /// Key that verifies the response's MESSAGE-INTEGRITY (empty: none expected).
    pub key: Vec<u8>,
}

/// A check request that arrived before the remote credentials.
#[derive(Debug)]
pub(crate) struct QueuedRequest {
    pub local: usize,
    pub remote: SocketAddr,
    pub proto: Protocol,
    pub data: Vec<u8>,
}

/// A sans-IO ICE agent (RFC 8445 full ICE with trickle, consent freshness,
/// TURN client). See the crate documentation for the calling contract.
pub struct IceAgent {
    pub(crate) config: IceConfig,
    pub(crate) rng: Rng,
    pub(crate) now: Instant,
    pub(crate) controlling: bool,
    pub(crate) tie_breaker: u64,
    pub(crate) remote_lite: bool,
    pub(crate) generations: Vec<Generation>,
    pub(crate) locals: Vec<LocalCand>,
    /// Local peer-reflexive addresses learned from XOR-MAPPED-ADDRESS.
    pub(crate) local_prflx: Vec<Candidate>,
    pub(crate) remotes: Vec<RemoteCand>,
    pub(crate) pairs: Vec<Pair>,
    pub(crate) next_pair_id: u32,
    pub(crate) triggered: VecDeque<PairId>,
    pub(crate) transactions: HashMap<TransactionId, Transaction>,
    pub(crate) queued: Vec<QueuedRequest>,
    pub(crate) next_check_at: Option<Instant>,
    pub(crate) last_check_at: Option<Instant>,
    pub(crate) first_valid_at: Option<Instant>,
    pub(crate) checks_started_at: Option<Instant>,
    pub(crate) selected: Option<PairId>,
    pub(crate) consent_lost: bool,
    pub(crate) stun_servers: Vec<SocketAddr>,
    pub(crate) turn_servers: Vec<crate::turn::TurnServer>,
    pub(crate) allocations: Vec<Allocation>,
    pub(crate) gathering_ended: bool,
    pub(crate) gathering_complete_sent: bool,
    pub(crate) checks_started: bool,
    pub(crate) state: IceConnectionState,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<IceEvent>,
    pub(crate) counters: IceCounters,
    pub(crate) closed: bool,
}

impl IceAgent {
    /// A new agent. Generates missing credentials and tie-breaker.
    pub fn new(config: IceConfig, now: Instant) -> IceAgent {
        let mut rng = Rng::new(config.rng_seed);
        let ufrag = config
            .local_ufrag
            .clone()
            .unwrap_or_else(|| rng.ice_string(8));
        let pwd = config
            .local_pwd
            .clone()
            .unwrap_or_else(|| rng.ice_string(24));
        let tie_breaker = config.tie_breaker.unwrap_or_else(|| rng.u64());
        IceAgent {
            controlling: config.controlling && !config.lite,
            config,
            rng,
            now,
            tie_breaker,
            remote_lite: false,
            generations: vec![Generation {
                local: Creds { ufrag, pwd },
                remote: None,
                end_of_remote_candidates: false,
            }],
            locals: Vec::new(),
            local_prflx: Vec::new(),
            remotes: Vec::new(),
            pairs: Vec::new(),
            next_pair_id: 0,
            triggered: VecDeque::new(),
            transactions: HashMap::new(),
            queued: Vec::new(),
            next_check_at: None,
            last_check_at: None,
            first_valid_at: None,
            checks_started_at: None,
            selected: None,
            consent_lost: false,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            allocations: Vec::new(),
            gathering_ended: false,
            gathering_complete_sent: false,
            checks_started: false,
            state: IceConnectionState::New,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: IceCounters::default(),
            closed: false,
        }
    }

    pub(crate) fn generation(&self) -> u32 {
        (self.generations.len() - 1) as u32
    }

    /// The current ICE generation: 0, and one more per restart.
    pub fn current_generation(&self) -> u32 {
        self.generation()
    }

    /// The generation of the selected pair (older than
    /// [`IceAgent::current_generation`] while a restart has not selected a
    /// new pair yet).
    pub fn selected_generation(&self) -> Option<u32> {
        self.selected_pair().map(|p| p.generation)
    }

    /// Our current username fragment and password (for the SDP).
    pub fn local_credentials(&self) -> (&str, &str) {
        let g = &self.generations[self.generation() as usize];
        (&g.local.ufrag, &g.local.pwd)
    }

    /// The remote username fragment and password of the current generation.
    pub fn remote_credentials(&self) -> Option<(&str, &str)> {
        let g = &self.generations[self.generation() as usize];
        g.remote
            .as_ref()
            .map(|c| (c.ufrag.as_str(), c.pwd.as_str()))
    }

    /// Whether we are the controlling agent.
    pub fn is_controlling(&self) -> bool {
        self.controlling
    }

    /// Our tie-breaker.
    pub fn tie_breaker(&self) -> u64 {
        self.tie_breaker
    }

    /// Sets the remote credentials. Requests that arrived before them are
    /// answered now. Credentials different from the current generation's
    /// remote ones mean the peer restarted ICE: we restart too (new local
    /// credentials, read them back with [`IceAgent::local_credentials`]).
    /// Uses the time of the last call that passed `now`.
    pub fn set_remote_credentials(&mut self, ufrag: &str, pwd: &str) {
        let creds = Creds {
            ufrag: ufrag.to_string(),
            pwd: pwd.to_string(),
        };
        let gen = self.generation() as usize;
        match &self.generations[gen].remote {
            Some(c) if *c == creds => return,
            Some(_) => {
                let now = self.now;
                self.restart(now);
            }
            None => {}
        }
        let gen = self.generation() as usize;
        self.generations[gen].remote = Some(creds);
        let queued = std::mem::take(&mut self.queued);
        let now = self.now;
        for q in queued {
            self.handle_stun(now, Some(q.local), q.remote, q.proto, &q.data);
        }
        self.schedule_checks(now);
    }

    /// Declares the remote agent ICE-lite: we become controlling and do all checks.
    pub fn set_remote_ice_lite(&mut self, lite: bool) {
        self.remote_lite = lite;
        if lite && !self.controlling {
            self.set_role(true);
        }
    }

    /// Registers a local socket without advertising it as a candidate (used
    /// as the base for checks, STUN and TURN; the peer learns it as prflx).
    pub fn add_host_socket(&mut self, local: SocketAddr, proto: Protocol) -> Result<(), IceError> {
        let mut c = Candidate::host(local, proto, self.next_local_preference());
        c.foundation = compute_foundation(CandidateKind::Host, local.ip(), None, proto);
        self.add_host(c, true)
    }

    /// Adds a local candidate. Host candidates are the sockets the async
    /// layer owns (priority 0 or an empty foundation are filled in);
    /// server-reflexive ones are recorded for signaling but not paired (their
    /// base is). Relayed candidates come from [`IceAgent::add_turn_server`].
    pub fn add_local_candidate(&mut self, mut cand: Candidate) -> Result<(), IceError> {
        if self.closed {
            return Err(IceError::Closed);
        }
        if cand.is_unresolved() {
            return Err(IceError::InvalidCandidate(
                "local candidate needs an IP address",
            ));
        }
        if cand.foundation.is_empty() {
            let server = None;
            cand.foundation =
                compute_foundation(cand.kind, cand.address.ip(), server, cand.protocol);
        }
        if cand.priority == 0 {
            cand.priority = compute_priority(
                cand.kind,
                cand.protocol,
                cand.tcp_type,
                self.next_local_preference(),
                cand.component,
            );
        }
        match cand.kind {
            CandidateKind::Host => {
                let hidden = self.config.relay_only;
                self.add_host(cand, hidden)
            }
            CandidateKind::ServerReflexive | CandidateKind::PeerReflexive => {
                let base = cand
                    .related
                    .ok_or(IceError::InvalidCandidate("srflx needs raddr"))?;
                if !self
                    .locals
                    .iter()
                    .any(|l| l.base == base && l.cand.protocol == cand.protocol)
                {
                    return Err(IceError::InvalidCandidate(
                        "srflx base is not a known host socket",
                    ));
                }
                if !self
                    .locals
                    .iter()
                    .any(|l| l.cand.address == cand.address && l.cand.kind == cand.kind)
                {
                    self.locals.push(LocalCand {
                        cand,
                        base,
                        alloc: None,
                        server: None,
                        hidden: false,
                    });
                }
                Ok(())
            }
            CandidateKind::Relayed => Err(IceError::InvalidCandidate(
                "relayed candidates come from add_turn_server",
            )),
        }
    }

    fn next_local_preference(&self) -> u16 {
        let hosts = self
            .locals
            .iter()
            .filter(|l| l.cand.kind == CandidateKind::Host)
            .count();
        u16::MAX - (hosts.min(1000) as u16) * 8
    }

    fn add_host(&mut self, cand: Candidate, hidden: bool) -> Result<(), IceError> {
        if self.locals.len() >= 64 {
            return Err(IceError::TooManyCandidates);
        }
        if let Some(l) = self.locals.iter_mut().find(|l| {
            l.cand.kind == CandidateKind::Host
                && l.base == cand.address
                && l.cand.protocol == cand.protocol
        }) {
            l.hidden &= hidden;
            return Ok(());
        }
        let base = cand.address;
        let proto = cand.protocol;
        self.locals.push(LocalCand {
            cand,
            base,
            alloc: None,
            server: None,
            hidden,
        });
        let li = self.locals.len() - 1;
        let now = self.now;
        if proto == Protocol::Udp {
            for server in self.stun_servers.clone() {
                self.start_gather(now, base, server);
            }
            self.spawn_allocations_for_socket(now, base);
        }
        self.pair_local(li);
        Ok(())
    }

    /// Adds a remote candidate (from SDP or trickle). `.local` / host-name
    /// candidates are kept unresolved until [`IceAgent::resolve_remote_candidate`].
    /// A candidate whose `ufrag` names an older generation is refused.
    pub fn add_remote_candidate(&mut self, cand: Candidate) -> Result<(), IceError> {
        if self.closed {
            return Err(IceError::Closed);
        }
        let gen = self.generation();
        if let Some(u) = &cand.ufrag {
            let stale = match &self.generations[gen as usize].remote {
                Some(r) => *u != r.ufrag,
                // Before the new remote credentials: refuse the old ones'.
                None => self
                    .generations
                    .iter()
                    .any(|g| g.remote.as_ref().is_some_and(|r| r.ufrag == *u)),
            };
            if stale {
                return Err(IceError::InvalidCandidate(
                    "ufrag of another ICE generation",
                ));
            }
        }
        if cand.component != 1 {
            // WebRTC bundles and multiplexes RTCP: only component 1 is used.
            return Ok(());
        }
        if self.remotes.iter().filter(|r| r.generation == gen).count()
            >= self.config.max_remote_candidates
        {
            return Err(IceError::TooManyCandidates);
        }
        // Same address as a peer-reflexive one learned earlier: upgrade it.
        if let Some(ri) = self.remotes.iter().position(|r| {
            r.generation == gen
                && !cand.is_unresolved()
                && r.cand.address == cand.address
                && r.cand.protocol == cand.protocol
        }) {
            if self.remotes[ri].cand.kind == CandidateKind::PeerReflexive {
                self.remotes[ri].cand = cand;
                self.recompute_priorities();
            }
            return Ok(());
        }
        self.remotes.push(RemoteCand {
            cand,
            generation: gen,
        });
        let ri = self.remotes.len() - 1;
        if !self.remotes[ri].cand.is_unresolved() {
            self.pair_remote(ri);
        }
        Ok(())
    }

    /// The host names of the current generation's unresolved remote
    /// candidates (without copying the candidates).
    pub fn unresolved_remote_hostnames(&self) -> impl Iterator<Item = &str> {
        let gen = self.generation();
        self.remotes
            .iter()
            .filter(move |r| r.generation == gen && r.cand.is_unresolved())
            .filter_map(|r| r.cand.hostname.as_deref())
    }

    /// Supplies the IP of an unresolved (mDNS) remote candidate.
    pub fn resolve_remote_candidate(&mut self, hostname: &str, ip: std::net::IpAddr) {
        let gen = self.generation();
        let found: Vec<usize> = (0..self.remotes.len())
            .filter(|&i| {
                let r = &self.remotes[i];
                r.generation == gen
                    && r.cand.is_unresolved()
                    && r.cand.hostname.as_deref() == Some(hostname)
            })
            .collect();
        for ri in found {
            let port = self.remotes[ri].cand.address.port();
            let addr = SocketAddr::new(ip, port);
            if let Some(existing) = self.remotes.iter().position(|r| {
                r.generation == gen
                    && r.cand.address == addr
                    && r.cand.protocol == self.remotes[ri].cand.protocol
            }) {
                // Already learned as prflx: take the signaled type and priority.
                let mut c = self.remotes[ri].cand.clone();
                c.address = addr;
                self.remotes[existing].cand = c;
                self.recompute_priorities();
                continue;
            }
            self.remotes[ri].cand.address = addr;
            self.pair_remote(ri);
        }
    }

    /// The remote side signaled end-of-candidates for the current generation.
    pub fn end_of_remote_candidates(&mut self) {
        let gen = self.generation() as usize;
        self.generations[gen].end_of_remote_candidates = true;
        let now = self.now;
        self.update_state(now);
    }

    /// All host sockets and servers have been added: `GatheringComplete`
    /// follows once every server request has finished.
    pub fn end_of_local_candidates(&mut self) {
        self.gathering_ended = true;
        self.check_gathering_complete();
    }

    /// Restarts ICE: new local credentials, checks begin afresh with the next
    /// remote credentials and candidates. The selected pair keeps carrying
    /// data (and consent) until a pair of the new generation is selected.
    pub fn restart(&mut self, now: Instant) {
        let ufrag = self.rng.ice_string(8);
        let pwd = self.rng.ice_string(24);
        self.restart_with(now, &ufrag, &pwd);
    }

    /// [`IceAgent::restart`] with credentials the caller chose (the ones of
    /// the local description that restarts ICE). Credentials equal to the
    /// current ones restart nothing.
    pub fn restart_with(&mut self, now: Instant, ufrag: &str, pwd: &str) {
        self.now = now;
        let (ufrag, pwd) = (ufrag.to_string(), pwd.to_string());
        let current = &self.generations[self.generation() as usize].local;
        if current.ufrag == ufrag && current.pwd == pwd {
            return;
        }
        self.generations.push(Generation {
            local: Creds { ufrag, pwd },
            remote: None,
            end_of_remote_candidates: false,
        });
        let keep = self.selected;
        self.pairs.retain(|p| Some(p.id) == keep);
        let pairs = &self.pairs;
        self.transactions.retain(|_, t| match &t.kind {
            TxKind::Check { pair, .. } => pairs.iter().any(|p| p.id == *pair),
            _ => true,
        });
        self.triggered.clear();
        self.queued.clear();
        self.first_valid_at = None;
        self.checks_started_at = None;
        self.next_check_at = None;
        self.checks_started = false;
    }

    /// Starts gathering a server-reflexive candidate from this STUN server,
    /// out of every UDP host socket (present and future).
    pub fn add_stun_server(&mut self, server: SocketAddr) {
        if self.stun_servers.contains(&server) {
            return;
        }
        self.stun_servers.push(server);
        let now = self.now;
        let bases: Vec<SocketAddr> = self
            .locals
            .iter()
            .filter(|l| l.cand.kind == CandidateKind::Host && l.cand.protocol == Protocol::Udp)
            .map(|l| l.base)
            .collect();
        for base in bases {
            self.start_gather(now, base, server);
        }
    }

    /// Closes the agent: TURN allocations are released, nothing more is sent
    /// after that, state becomes Closed.
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.now = now;
        self.release_allocations(now);
        self.closed = true;
        self.transactions.clear();
        self.set_state(IceConnectionState::Closed);
    }

    /// Feeds one received datagram. STUN (checks, responses, TURN) is
    /// consumed; anything else (DTLS, SRTP, …) is returned, unwrapped from
    /// TURN if it came through a relay.
    pub fn handle_receive<'a>(&mut self, now: Instant, d: Datagram<'a>) -> Option<Received<'a>> {
        self.now = now;
        if self.closed {
            return None;
        }
        // From one of our TURN servers: unwrap relayed data.
        if let Some(ai) = self.allocation_for(d.local, d.remote, d.proto) {
            if rtcpeer_stun::is_channel_data(d.data) {
                let Ok(cd) = ChannelData::decode(d.data) else {
                    self.counters.bad_channel_data += 1;
                    return None;
                };
                let Some(peer) = self.allocations[ai].peer_for_channel(cd.channel) else {
                    self.counters.bad_channel_data += 1;
                    return None;
                };
                return self.receive_relayed(now, ai, peer, cd.data);
            }
            if rtcpeer_stun::is_stun(d.data) {
                if let Ok(msg) = Message::decode(d.data) {
                    if msg.class == Class::Indication && msg.method == Method::Data {
                        match (msg.peer_address(), msg.data()) {
                            (Some(peer), Some(data)) => {
                                return self.receive_relayed(now, ai, peer, data)
                            }
                            _ => {
                                self.counters.ignored += 1;
                                return None;
                            }
                        }
                    }
                }
            }
        }
        let local = self.local_index_for_socket(d.local, d.proto);
        if rtcpeer_stun::is_stun(d.data) {
            self.handle_stun(now, local, d.remote, d.proto, d.data);
            self.after_input(now);
            return None;
        }
        let pair = local.and_then(|li| self.pair_for(li, d.remote));
        self.count_received(pair, d.data.len());
        Some(Received {
            local: d.local,
            remote: d.remote,
            proto: d.proto,
            pair,
            data: d.data,
        })
    }

    fn receive_relayed<'a>(
        &mut self,
        now: Instant,
        ai: usize,
        peer: SocketAddr,
        data: &'a [u8],
    ) -> Option<Received<'a>> {
        let li = self.allocations[ai].local_cand?;
        if rtcpeer_stun::is_stun(data) {
            self.handle_stun(now, Some(li), peer, Protocol::Udp, data);
            self.after_input(now);
            return None;
        }
        let pair = self.pair_for(li, peer);
        self.count_received(pair, data.len());
        Some(Received {
            local: self.locals[li].cand.address,
            remote: peer,
            proto: Protocol::Udp,
            pair,
            data,
        })
    }

    fn count_received(&mut self, pair: Option<PairId>, len: usize) {
        let now = self.now;
        if let Some(p) = pair.and_then(|id| self.pair_mut(id)) {
            p.stats.packets_received += 1;
            p.stats.bytes_received += len as u64;
            p.stats.last_packet_received = Some(now);
        }
    }

    fn after_input(&mut self, now: Instant) {
        self.decide_nomination(now);
        self.update_state(now);
        self.check_gathering_complete();
    }

    /// The next datagram to send, if any.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = now;
        self.transmits.pop_front()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// The route application data takes now, if a pair is selected and consent holds.
    pub fn selected_route(&self) -> Option<Route> {
        let p = self.selected_pair()?;
        if self.consent_lost {
            return None;
        }
        let l = &self.locals[p.local];
        let r = &self.remotes[p.remote];
        Some(match l.alloc {
            Some(ai) => {
                let a = &self.allocations[ai];
                Route {
                    local: a.local_socket(),
                    remote: a.server,
                    proto: a.proto,
                    via_turn: true,
                }
            }
            None => Route {
                local: l.base,
                remote: r.cand.address,
                proto: l.cand.protocol,
                via_turn: false,
            },
        })
    }

    /// Writes `data` as it must go on the wire over the selected pair into
    /// `out` (cleared first; wrapped in ChannelData or a Send indication when
    /// relayed) and returns where to send it. `None` without a selected pair
    /// or once consent is lost.
    pub fn send_to_selected(&mut self, data: &[u8], out: &mut Vec<u8>) -> Option<Route> {
        let route = self.selected_route()?;
        let id = self.selected?;
        let pi = self.pair_index(id)?;
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        out.clear();
        match self.locals[li].alloc {
            Some(ai) => {
                let peer = self.remotes[ri].cand.address;
                self.wrap_for_turn(ai, peer, data, out);
            }
            None => out.extend_from_slice(data),
        }
        self.count_sent(pi, data.len());
        Some(route)
    }

    /// Like [`IceAgent::send_to_selected`], allocating the buffer.
    pub fn send(&mut self, data: &[u8]) -> Option<Transmit> {
        let mut out = Vec::with_capacity(data.len() + 36);
        let r = self.send_to_selected(data, &mut out)?;
        Some(Transmit {
            local: r.local,
            remote: r.remote,
            proto: r.proto,
            data: out,
        })
    }

    /// Like [`IceAgent::send`], taking the datagram by value: over a direct
    /// (not relayed) pair it goes out as is, without a copy.
    pub fn send_owned(&mut self, data: Vec<u8>) -> Option<Transmit> {
        let route = self.selected_route()?;
        let pi = self.pair_index(self.selected?)?;
        if self.locals[self.pairs[pi].local].alloc.is_some() {
            return self.send(&data);
        }
        self.count_sent(pi, data.len());
        Some(Transmit {
            local: route.local,
            remote: route.remote,
            proto: route.proto,
            data,
        })
    }

    fn count_sent(&mut self, pi: usize, len: usize) {
        let now = self.now;
        let p = &mut self.pairs[pi];
        p.stats.packets_sent += 1;
        p.stats.bytes_sent += len as u64;
        p.stats.last_packet_sent = Some(now);
    }

    /// Advances timers: paced checks, retransmissions, nomination, consent,
    /// TURN refreshes, state.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.closed {
            return;
        }
        self.handle_transaction_timeouts(now);
        if self.next_check_at.is_some_and(|t| t <= now) {
            self.next_check_at = None;
            if self.send_next_check(now) {
                self.last_check_at = Some(now);
                self.next_check_at = Some(now + self.config.ta);
            }
        }
        self.decide_nomination(now);
        self.consent_tick(now);
        self.turn_tick(now);
        self.update_state(now);
        self.check_gathering_complete();
    }

    /// When [`IceAgent::handle_timeout`] wants to be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let mut t: Option<Instant> = None;
        let mut add = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
        };
        if self.has_checks_to_send() {
            add(self.next_check_at.or(Some(self.now)));
        }
        for tx in self.transactions.values() {
            add(Some(tx.next));
        }
        add(self.nomination_deadline());
        if let Some(p) = self.selected_pair() {
            if !self.consent_lost {
                if !self.config.lite {
                    add(p.consent_next);
                }
                if let Some(last) = p.last_response {
                    if self.state != IceConnectionState::Disconnected {
                        add(Some(last + self.config.disconnected_timeout));
                    }
                    add(Some(last + self.config.consent_timeout));
                }
            }
        }
        add(self.turn_deadline());
        if self.selected.is_none() && self.state != IceConnectionState::Failed {
            add(self
                .checks_started_at
                .map(|t| t + self.config.failed_timeout)
                .filter(|t| *t > self.now));
        }
        t
    }

    /// Whether [`IceEvent::GatheringComplete`] has been emitted.
    pub fn is_gathering_complete(&self) -> bool {
        self.gathering_complete_sent
    }

    /// Current connection state.
    pub fn connection_state(&self) -> IceConnectionState {
        self.state
    }

    /// The selected pair's id.
    pub fn selected_pair_id(&self) -> Option<PairId> {
        self.selected
    }

    /// The selected pair's local and remote candidates.
    pub fn selected_candidates(&self) -> Option<(&Candidate, &Candidate)> {
        let p = self.selected_pair()?;
        Some((&self.locals[p.local].cand, &self.remotes[p.remote].cand))
    }

    /// Local candidates (host, srflx, relay; not hidden sockets), for signaling and stats.
    pub fn local_candidates(&self) -> Vec<Candidate> {
        self.locals
            .iter()
            .filter(|l| !l.hidden)
            .map(|l| l.cand.clone())
            .collect()
    }

    /// The server a local candidate was gathered from, as configured: a
    /// relayed candidate's TURN server and the transport to it, a
    /// server-reflexive one's STUN (or TURN) server over UDP. `None` for
    /// host and peer-reflexive candidates. (For the stats' `url` and
    /// `relayProtocol`.)
    pub fn candidate_server(&self, cand: &Candidate) -> Option<(SocketAddr, Protocol)> {
        let l = self
            .locals
            .iter()
            .find(|l| l.cand.address == cand.address && l.cand.kind == cand.kind)?;
        match (l.alloc, l.server) {
            (Some(ai), _) => self
                .allocations
                .get(ai)
                .map(|a| (a.configured_server(), a.proto)),
            (None, Some(server)) => Some((server, Protocol::Udp)),
            (None, None) => None,
        }
    }

    /// Local peer-reflexive addresses learned from check responses.
    pub fn local_peer_reflexive_candidates(&self) -> &[Candidate] {
        &self.local_prflx
    }

    /// Remote candidates of the current generation (signaled and peer-reflexive).
    pub fn remote_candidates(&self) -> Vec<Candidate> {
        let gen = self.generation();
        self.remotes
            .iter()
            .filter(|r| r.generation == gen)
            .map(|r| r.cand.clone())
            .collect()
    }

    /// Statistics of every candidate pair.
    pub fn pair_stats(&self) -> Vec<CandidatePairStats> {
        self.pairs
            .iter()
            .map(|p| CandidatePairStats {
                id: p.id,
                local: self.locals[p.local].cand.clone(),
                remote: self.remotes[p.remote].cand.clone(),
                state: p.state,
                nominated: p.nominated,
                selected: Some(p.id) == self.selected,
                priority: p.priority,
                requests_sent: p.stats.requests_sent,
                requests_received: p.stats.requests_received,
                responses_sent: p.stats.responses_sent,
                responses_received: p.stats.responses_received,
                consent_requests_sent: p.stats.consent_requests_sent,
                packets_sent: p.stats.packets_sent,
                packets_received: p.stats.packets_received,
                bytes_sent: p.stats.bytes_sent,
                bytes_received: p.stats.bytes_received,
                current_round_trip_time: p.stats.current_rtt,
                total_round_trip_time: p.stats.total_rtt,
                last_packet_sent: p.stats.last_packet_sent,
                last_packet_received: p.stats.last_packet_received,
            })
            .collect()
    }

    /// Dropped-input counters.
    pub fn counters(&self) -> IceCounters {
        self.counters
    }

    // ---- internal helpers shared by checks.rs and turn.rs ----

    pub(crate) fn pair_index(&self, id: PairId) -> Option<usize> {
        self.pairs.iter().position(|p| p.id == id)
    }

    pub(crate) fn pair_mut(&mut self, id: PairId) -> Option<&mut Pair> {
        self.pairs.iter_mut().find(|p| p.id == id)
    }

    pub(crate) fn selected_pair(&self) -> Option<&Pair> {
        let id = self.selected?;
        self.pairs.iter().find(|p| p.id == id)
    }

    /// The local candidate that receives on this socket: a host candidate,
    /// or `None` for sockets we do not know.
    pub(crate) fn local_index_for_socket(
        &self,
        socket: SocketAddr,
        proto: Protocol,
    ) -> Option<usize> {
        self.locals.iter().position(|l| {
            l.cand.kind == CandidateKind::Host && l.base == socket && l.cand.protocol == proto
        })
    }

    pub(crate) fn pair_for(&self, local: usize, remote: SocketAddr) -> Option<PairId> {
        if let Some(p) = self.selected_pair() {
            if p.local == local && self.remotes[p.remote].cand.address == remote {
                return Some(p.id);
            }
        }
        self.pairs
            .iter()
            .filter(|p| p.local == local && self.remotes[p.remote].cand.address == remote)
            .max_by_key(|p| p.generation)
            .map(|p| p.id)
    }

    pub(crate) fn new_transaction_id(&mut self) -> TransactionId {
        let mut b = [0u8; 12];
        self.rng.fill(&mut b);
        TransactionId::from_bytes(b)
    }

    pub(crate) fn push_event(&mut self, e: IceEvent) {
        self.events.push_back(e);
    }

    pub(crate) fn set_state(&mut self, s: IceConnectionState) {
        if self.state != s {
            self.state = s;
            self.events.push_back(IceEvent::ConnectionStateChange(s));
        }
    }

    /// Sets our role before checks start (an agent started early, for a
    /// candidate pool, learns it from the first local description).
    pub fn set_controlling(&mut self, controlling: bool) {
        self.set_role(controlling);
    }

    pub(crate) fn set_role(&mut self, controlling: bool) {
        if self.controlling != controlling {
            self.controlling = controlling;
            self.recompute_priorities();
            self.push_event(IceEvent::RoleChanged { controlling });
        }
    }

    /// Recomputes the connection state from pairs, consent and generations.
    pub(crate) fn update_state(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let gen = self.generation();
        let new = if let Some(p) = self.selected_pair() {
            let last = p.last_response.unwrap_or(now);
            let silent = now.saturating_duration_since(last);
            if self.consent_lost || silent >= self.config.consent_timeout {
                IceConnectionState::Failed
            } else if silent >= self.config.disconnected_timeout {
                IceConnectionState::Disconnected
            } else {
                let done = p.generation == gen
                    && self.generations[gen as usize].end_of_remote_candidates
                    && !self.pairs.iter().any(|q| {
                        q.generation == gen
                            && matches!(
                                q.state,
                                PairState::Frozen | PairState::Waiting | PairState::InProgress
                            )
                    });
                if done {
                    IceConnectionState::Completed
                } else {
                    IceConnectionState::Connected
                }
            }
        } else {
            let current: Vec<&Pair> = self.pairs.iter().filter(|p| p.generation == gen).collect();
            let all_failed =
                !current.is_empty() && current.iter().all(|p| p.state == PairState::Failed);
            // Without end-of-candidates more may still come (trickle, RFC
            // 8838): give up only `failed_timeout` after the first check.
            let gave_up = self
                .checks_started_at
                .is_some_and(|t| now >= t + self.config.failed_timeout);
            if all_failed && (self.generations[gen as usize].end_of_remote_candidates || gave_up) {
                IceConnectionState::Failed
            } else if self.checks_started {
                IceConnectionState::Checking
            } else {
                self.state
            }
        };
        if new == IceConnectionState::Failed && self.selected.is_some() && !self.consent_lost {
            // RFC 7675: consent lost, stop sending.
            self.consent_lost = true;
        }
        self.set_state(new);
    }

    pub(crate) fn check_gathering_complete(&mut self) {
        if self.gathering_ended && !self.gathering_complete_sent && !self.gathering_pending() {
            self.gathering_complete_sent = true;
            self.push_event(IceEvent::GatheringComplete);
        }
    }

    fn gathering_pending(&self) -> bool {
        self.transactions
            .values()
            .any(|t| matches!(t.kind, TxKind::Gather { .. }))
            || self.allocations.iter().any(|a| a.is_allocating())
    }

    /// Retransmits or times out every due transaction.
    fn handle_transaction_timeouts(&mut self, now: Instant) {
        let due: Vec<TransactionId> = self
            .transactions
            .iter()
            .filter(|(_, t)| t.next <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(tx) = self.transactions.get_mut(&id) else {
                continue;
            };
            if tx.transmits >= tx.max_transmits {
                if let Some(tx) = self.transactions.remove(&id) {
                    self.transaction_timed_out(now, tx);
                }
                continue;
            }
            tx.transmits += 1;
            tx.last_sent = now;
            tx.rto = tx.rto.saturating_mul(2).min(self.config.max_rto);
            tx.next = now + tx.rto;
            let t = Transmit {
                local: tx.local,
                remote: tx.remote,
                proto: tx.proto,
                data: tx.data.clone(),
            };
            let kind = tx.kind.clone();
            self.transmits.push_back(t);
            if let TxKind::Check { pair, consent, .. } = kind {
                if let Some(p) = self.pair_mut(pair) {
                    p.stats.requests_sent += 1;
                    if consent {
                        p.stats.consent_requests_sent += 1;
                    }
                }
            }
        }
    }

    fn transaction_timed_out(&mut self, now: Instant, tx: Transaction) {
        match tx.kind {
            TxKind::Check { pair, consent, .. } => {
                if consent {
                    return;
                }
                // While nothing works yet, a timed-out pair is tried again
                // (a lossy path may need more than one transaction) until
                // `failed_timeout` after the first check; then it fails.
                let Some(pi) = self.pair_index(pair) else {
                    return;
                };
                let gen = self.pairs[pi].generation;
                let valid = self
                    .pairs
                    .iter()
                    .any(|q| q.generation == gen && q.state == PairState::Succeeded);
                let give_up = self
                    .checks_started_at
                    .is_none_or(|t| now >= t + self.config.failed_timeout);
                let p = &mut self.pairs[pi];
                if p.state == PairState::InProgress {
                    p.state = if valid || give_up {
                        PairState::Failed
                    } else {
                        PairState::Waiting
                    };
                }
                p.nominating = false;
                self.schedule_checks(now);
            }
            TxKind::Gather { server } => {
                self.push_event(IceEvent::CandidateError {
                    server,
                    local: tx.local,
                    transport: Protocol::Udp,
                    code: 701,
                    text: "STUN server did not answer".into(),
                });
            }
            TxKind::Turn { alloc, op } => self.turn_timed_out(now, alloc, op),
        }
    }

    /// Queues a request transaction and its first transmission.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_transaction(
        &mut self,
        now: Instant,
        id: TransactionId,
        kind: TxKind,
        local: SocketAddr,
        remote: SocketAddr,
        proto: Protocol,
        data: Vec<u8>,
        max_transmits: u32,
        key: Vec<u8>,
    ) {
        self.transmits.push_back(Transmit {
            local,
            remote,
            proto,
            data: data.clone(),
        });
        let rto = self.config.rto;
        self.transactions.insert(
            id,
            Transaction {
                kind,
                local,
                remote,
                proto,
                data,
                last_sent: now,
                next: now + rto,
                transmits: 1,
                max_transmits,
                rto,
                key,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> IceAgent {
        IceAgent::new(
            IceConfig {
                rng_seed: Some(3),
                ..IceConfig::default()
            },
            Instant::now(),
        )
    }

    #[test]
    fn agent_can_move_into_a_tokio_task() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<IceAgent>();
    }

    #[test]
    fn generates_credentials_of_the_right_size() {
        let a = agent();
        let (u, p) = a.local_credentials();
        assert_eq!((u.len(), p.len()), (8, 24));
        let b = IceAgent::new(
            IceConfig {
                local_ufrag: Some("uf".into()),
                local_pwd: Some("pw".into()),
                ..IceConfig::default()
            },
            Instant::now(),
        );
        assert_eq!(b.local_credentials(), ("uf", "pw"));
        assert_ne!(agent().tie_breaker(), b.tie_breaker());
    }

    #[test]
    fn local_candidate_rules() {
        let mut a = agent();
        let host: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        a.add_local_candidate(Candidate::host(host, Protocol::Udp, 65535))
            .unwrap();
        // Same socket twice: one candidate.
        a.add_local_candidate(Candidate::host(host, Protocol::Udp, 65535))
            .unwrap();
        assert_eq!(a.local_candidates().len(), 1);
        let srflx = Candidate::parse(
            "candidate:1 1 udp 0 198.51.100.1 7000 typ srflx raddr 10.0.0.1 rport 5000",
        )
        .unwrap();
        a.add_local_candidate(srflx).unwrap();
        assert_eq!(a.local_candidates().len(), 2);
        assert!(a.local_candidates()[1].priority > 0, "priority filled in");
        let orphan = Candidate::parse(
            "candidate:1 1 udp 0 198.51.100.1 7001 typ srflx raddr 10.9.9.9 rport 1",
        )
        .unwrap();
        assert!(a.add_local_candidate(orphan).is_err());
        let relay =
            Candidate::parse("candidate:1 1 udp 5 192.0.2.1 7000 typ relay raddr 1.2.3.4 rport 5")
                .unwrap();
        assert!(a.add_local_candidate(relay).is_err());
        let mdns = Candidate::parse("candidate:1 1 udp 5 x.local 7000 typ host").unwrap();
        assert!(a.add_local_candidate(mdns).is_err());
        // Hidden sockets are used but not listed.
        a.add_host_socket("10.0.0.5:5000".parse().unwrap(), Protocol::Udp)
            .unwrap();
        assert_eq!(a.local_candidates().len(), 2);
    }

    #[test]
    fn nothing_to_do_before_remote_information() {
        let mut a = agent();
        let host: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        a.add_local_candidate(Candidate::host(host, Protocol::Udp, 65535))
            .unwrap();
        let now = Instant::now();
        a.handle_timeout(now);
        assert_eq!(a.poll_transmit(now), None);
        assert_eq!(a.poll_timeout(), None);
        assert_eq!(a.connection_state(), IceConnectionState::New);
        assert!(a.send(b"x").is_none());
    }
}
