//! Gathering: STUN Binding to STUN servers (server-reflexive candidates) and
//! a TURN client (RFC 8656): Allocate with long-term credentials, Refresh,
//! CreatePermission, ChannelBind, Send/Data indications and ChannelData.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtcpeer_stun::integrity::long_term_key_md5;
use rtcpeer_stun::{Attribute, ChannelData, Class, Integrity, Message, Method, TRANSPORT_UDP};

use crate::agent::{LocalCand, TxKind};
use crate::candidate::{compute_foundation, compute_priority};
use crate::{Candidate, CandidateKind, IceAgent, IceEvent, PairState, Protocol};

/// Permission lifetime is 300 s (RFC 8656 §9); refresh a minute early.
const PERMISSION_REFRESH: Duration = Duration::from_secs(240);
/// Channel bindings last 600 s (RFC 8656 §12); refresh a minute early.
const CHANNEL_REFRESH: Duration = Duration::from_secs(540);
/// Retry delay after a failed permission or channel request.
const RETRY: Duration = Duration::from_secs(5);
/// Requested allocation lifetime.
const LIFETIME_SECS: u32 = 600;
/// Authentication attempts (401/438 round trips) per request before giving up.
const MAX_AUTH_TRIES: u32 = 3;

/// A TURN server given to [`IceAgent::add_turn_server`].
#[derive(Debug, Clone)]
pub(crate) struct TurnServer {
    pub server: SocketAddr,
    pub proto: Protocol,
    pub username: String,
    pub password: String,
}

/// The request a TURN transaction carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TurnOp {
    Allocate,
    Refresh,
    Permission(IpAddr),
    ChannelBind(SocketAddr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllocState {
    Allocating,
    Allocated,
    Failed,
    Released,
}

#[derive(Debug)]
struct Permission {
    ip: IpAddr,
    installed: bool,
    pending: bool,
    refresh_at: Option<Instant>,
}

#[derive(Debug)]
struct Channel {
    peer: SocketAddr,
    number: u16,
    bound: bool,
    pending: bool,
    refresh_at: Option<Instant>,
}

/// One allocation on one TURN server, made from one host socket.
#[derive(Debug)]
pub(crate) struct Allocation {
    /// The server as configured (before any ALTERNATE-SERVER redirect).
    configured: SocketAddr,
    pub server: SocketAddr,
    pub proto: Protocol,
    local: SocketAddr,
    username: String,
    password: String,
    realm: Option<String>,
    nonce: Option<String>,
    key: Option<[u8; 16]>,
    state: AllocState,
    auth_tries: u32,
    relayed: Option<SocketAddr>,
    refresh_at: Option<Instant>,
    permissions: Vec<Permission>,
    channels: Vec<Channel>,
    next_channel: u16,
    /// Index of the relayed local candidate once allocated.
    pub local_cand: Option<usize>,
}

impl Allocation {
    /// The server as configured (before any ALTERNATE-SERVER redirect).
    pub(crate) fn configured_server(&self) -> SocketAddr {
        self.configured
    }

    /// The host socket this allocation talks to its server from.
    pub(crate) fn local_socket(&self) -> SocketAddr {
        self.local
    }

    pub(crate) fn is_allocating(&self) -> bool {
        self.state == AllocState::Allocating
    }

    pub(crate) fn peer_for_channel(&self, number: u16) -> Option<SocketAddr> {
        self.channels
            .iter()
            .find(|c| c.number == number && c.bound)
            .map(|c| c.peer)
    }

    fn bound_channel(&self, peer: SocketAddr) -> Option<u16> {
        self.channels
            .iter()
            .find(|c| c.peer == peer && c.bound)
            .map(|c| c.number)
    }
}

impl IceAgent {
    /// Adds a TURN server: an allocation is requested out of every UDP host
    /// socket (present and future) and each success yields a relayed
    /// candidate as [`IceEvent::LocalCandidate`]; failures yield
    /// [`IceEvent::CandidateError`]. `transport` is the protocol to the
    /// server (the relayed candidate is UDP either way). For
    /// [`Protocol::Tcp`] the transmits carry `proto: Tcp` and the host
    /// socket's address as `local`: the async layer keeps one TCP connection
    /// per (local, server), writes the bytes as they are (TURN over TCP has
    /// no RFC 4571 prefix: STUN and padded ChannelData delimit themselves)
    /// and splits what it reads with [`crate::tcp::turn_frame_len`] into
    /// [`crate::Datagram`]s with that same `local`, the server as `remote`
    /// and `proto: Tcp`.
    pub fn add_turn_server(
        &mut self,
        server: SocketAddr,
        transport: Protocol,
        username: &str,
        password: &str,
    ) {
        let t = TurnServer {
            server,
            proto: transport,
            username: username.to_string(),
            password: password.to_string(),
        };
        self.turn_servers.push(t);
        let now = self.now;
        let bases: Vec<SocketAddr> = self
            .locals
            .iter()
            .filter(|l| l.cand.kind == CandidateKind::Host && l.cand.protocol == Protocol::Udp)
            .map(|l| l.base)
            .collect();
        for base in bases {
            self.spawn_allocations_for_socket(now, base);
        }
    }

    /// Starts an allocation on every TURN server for this host socket.
    pub(crate) fn spawn_allocations_for_socket(&mut self, now: Instant, base: SocketAddr) {
        for t in self.turn_servers.clone() {
            if t.server.is_ipv4() != base.is_ipv4()
                || self
                    .allocations
                    .iter()
                    .any(|a| a.configured == t.server && a.local == base && a.proto == t.proto)
            {
                continue;
            }
            self.allocations.push(Allocation {
                configured: t.server,
                server: t.server,
                proto: t.proto,
                local: base,
                username: t.username,
                password: t.password,
                realm: None,
                nonce: None,
                key: None,
                state: AllocState::Allocating,
                auth_tries: 0,
                relayed: None,
                refresh_at: None,
                permissions: Vec::new(),
                channels: Vec::new(),
                next_channel: 0x4000,
                local_cand: None,
            });
            let ai = self.allocations.len() - 1;
            self.send_turn_request(now, ai, TurnOp::Allocate);
        }
    }

    /// The allocation whose server talks to us on this socket.
    pub(crate) fn allocation_for(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
        proto: Protocol,
    ) -> Option<usize> {
        self.allocations.iter().position(|a| {
            a.local == local
                && a.server == remote
                && a.proto == proto
                && a.state == AllocState::Allocated
        })
    }

    fn send_turn_request(&mut self, now: Instant, ai: usize, op: TurnOp) {
        let tid = self.new_transaction_id();
        let a = &self.allocations[ai];
        let (method, lifetime) = match op {
            TurnOp::Allocate => (Method::Allocate, None),
            TurnOp::Refresh => (
                Method::Refresh,
                Some(if a.state == AllocState::Released {
                    0
                } else {
                    LIFETIME_SECS
                }),
            ),
            TurnOp::Permission(_) => (Method::CreatePermission, None),
            TurnOp::ChannelBind(_) => (Method::ChannelBind, None),
        };
        let mut msg = Message::new(Class::Request, method, tid);
        match op {
            TurnOp::Allocate => msg.push(Attribute::RequestedTransport(TRANSPORT_UDP)),
            TurnOp::Refresh => {}
            TurnOp::Permission(ip) => msg.push(Attribute::XorPeerAddress(SocketAddr::new(ip, 0))),
            TurnOp::ChannelBind(peer) => {
                let number = a
                    .channels
                    .iter()
                    .find(|c| c.peer == peer)
                    .map_or(0, |c| c.number);
                msg.push(Attribute::ChannelNumber(number));
                msg.push(Attribute::XorPeerAddress(peer));
            }
        }
        if let Some(l) = lifetime {
            msg.push(Attribute::Lifetime(l));
        }
        if let Some(s) = &self.config.software {
            msg.push(Attribute::Software(s));
        }
        let key = a.key;
        if let (Some(realm), Some(nonce), Some(_)) = (&a.realm, &a.nonce, key) {
            msg.push(Attribute::Username(&a.username));
            msg.push(Attribute::Realm(realm));
            msg.push(Attribute::Nonce(nonce));
        }
        let bytes = match key {
            Some(k) => msg.to_vec(Some(Integrity::Sha1(&k)), true),
            None => msg.to_vec(None, true),
        };
        let (local, server, proto) = (a.local, a.server, a.proto);
        let max = self.config.max_server_transmits;
        let kind = TxKind::Turn { alloc: ai, op };
        let key = key.map(|k| k.to_vec()).unwrap_or_default();
        self.start_transaction(now, tid, kind, local, server, proto, bytes, max, key);
    }

    pub(crate) fn on_turn_response(
        &mut self,
        now: Instant,
        ai: usize,
        op: TurnOp,
        msg: &Message<'_>,
    ) {
        if ai >= self.allocations.len() || self.allocations[ai].state == AllocState::Released {
            return;
        }
        if msg.class == Class::ErrorResponse {
            let (code, reason) = msg.error_code().map_or((0, ""), |e| (e.code, e.reason));
            let a = &mut self.allocations[ai];
            if code == 300 && op == TurnOp::Allocate && a.auth_tries < MAX_AUTH_TRIES {
                // Try Alternate (RFC 8489 §10): same credentials, other server.
                if let Some(alt) = msg.attributes.iter().find_map(|x| match x {
                    Attribute::AlternateServer(s) => Some(*s),
                    _ => None,
                }) {
                    if alt.is_ipv4() == a.local.is_ipv4() && alt != a.server {
                        a.server = alt;
                        a.auth_tries += 1;
                        a.key = None;
                        a.realm = None;
                        a.nonce = None;
                        self.send_turn_request(now, ai, op);
                        return;
                    }
                }
            }
            if (code == 401 || code == 438) && a.auth_tries < MAX_AUTH_TRIES {
                let had_key = a.key.is_some();
                if let Some(n) = msg.nonce() {
                    a.nonce = Some(n.to_string());
                }
                if let Some(r) = msg.realm() {
                    a.realm = Some(r.to_string());
                }
                // A 401 after we already authenticated means wrong credentials;
                // 438 (stale nonce) just wants the new nonce.
                if !(code == 401 && had_key) && a.realm.is_some() && a.nonce.is_some() {
                    let realm = a.realm.clone().unwrap_or_default();
                    a.key = Some(long_term_key_md5(&a.username, &realm, &a.password));
                    a.auth_tries += 1;
                    self.send_turn_request(now, ai, op);
                    return;
                }
            }
            self.turn_failed(now, ai, op, code, reason.to_string());
            return;
        }
        self.allocations[ai].auth_tries = 0;
        match op {
            TurnOp::Allocate => self.on_allocated(now, ai, msg),
            TurnOp::Refresh => {
                let lifetime = msg.lifetime().unwrap_or(LIFETIME_SECS);
                self.allocations[ai].refresh_at = Some(now + refresh_delay(lifetime));
            }
            TurnOp::Permission(ip) => {
                if let Some(p) = self.allocations[ai]
                    .permissions
                    .iter_mut()
                    .find(|p| p.ip == ip)
                {
                    p.installed = true;
                    p.pending = false;
                    p.refresh_at = Some(now + PERMISSION_REFRESH);
                }
            }
            TurnOp::ChannelBind(peer) => {
                if let Some(c) = self.allocations[ai]
                    .channels
                    .iter_mut()
                    .find(|c| c.peer == peer)
                {
                    c.bound = true;
                    c.pending = false;
                    c.refresh_at = Some(now + CHANNEL_REFRESH);
                }
                // A channel binding also installs the permission.
                if let Some(p) = self.allocations[ai]
                    .permissions
                    .iter_mut()
                    .find(|p| p.ip == peer.ip())
                {
                    p.installed = true;
                }
            }
        }
    }

    fn on_allocated(&mut self, now: Instant, ai: usize, msg: &Message<'_>) {
        let Some(relayed) = msg.relayed_address() else {
            self.turn_failed(
                now,
                ai,
                TurnOp::Allocate,
                0,
                "Allocate response without XOR-RELAYED-ADDRESS".into(),
            );
            return;
        };
        let mapped = msg.mapped_address();
        let lifetime = msg.lifetime().unwrap_or(LIFETIME_SECS);
        let a = &mut self.allocations[ai];
        a.state = AllocState::Allocated;
        a.relayed = Some(relayed);
        a.refresh_at = Some(now + refresh_delay(lifetime));
        let (base, server) = (a.local, a.server);
        let local_pref = self.local_preference_of(base);
        // Over TCP the mapped address is the TCP connection's: no UDP srflx.
        if let (Some(mapped), Protocol::Udp) = (mapped, self.allocations[ai].proto) {
            self.add_srflx(base, mapped, server);
        }
        let cand = Candidate {
            foundation: compute_foundation(
                CandidateKind::Relayed,
                base.ip(),
                Some(server.ip()),
                Protocol::Udp,
            ),
            component: 1,
            protocol: Protocol::Udp,
            priority: compute_priority(CandidateKind::Relayed, Protocol::Udp, None, local_pref, 1),
            address: relayed,
            kind: CandidateKind::Relayed,
            related: mapped,
            tcp_type: None,
            hostname: None,
            ufrag: None,
        };
        self.locals.push(LocalCand {
            cand: cand.clone(),
            base,
            alloc: Some(ai),
            server: None,
            hidden: false,
        });
        let li = self.locals.len() - 1;
        self.allocations[ai].local_cand = Some(li);
        self.push_event(IceEvent::LocalCandidate(cand));
        // Permissions wanted before the allocation existed.
        let wanted: Vec<IpAddr> = self.allocations[ai]
            .permissions
            .iter()
            .map(|p| p.ip)
            .collect();
        for ip in wanted {
            self.send_turn_request(now, ai, TurnOp::Permission(ip));
            if let Some(p) = self.allocations[ai]
                .permissions
                .iter_mut()
                .find(|p| p.ip == ip)
            {
                p.pending = true;
            }
        }
        self.pair_local(li);
    }

    fn local_preference_of(&self, base: SocketAddr) -> u16 {
        self.locals
            .iter()
            .find(|l| l.cand.kind == CandidateKind::Host && l.base == base)
            .map_or(u16::MAX, |l| ((l.cand.priority >> 8) & 0xFFFF) as u16)
    }

    /// Records a server-reflexive candidate (unless it equals its base or is known).
    fn add_srflx(&mut self, base: SocketAddr, mapped: SocketAddr, server: SocketAddr) {
        if self.config.relay_only
            || mapped == base
            || self
                .locals
                .iter()
                .any(|l| l.cand.kind == CandidateKind::ServerReflexive && l.cand.address == mapped)
        {
            return;
        }
        let local_pref = self.local_preference_of(base);
        let cand = Candidate {
            foundation: compute_foundation(
                CandidateKind::ServerReflexive,
                base.ip(),
                Some(server.ip()),
                Protocol::Udp,
            ),
            component: 1,
            protocol: Protocol::Udp,
            priority: compute_priority(
                CandidateKind::ServerReflexive,
                Protocol::Udp,
                None,
                local_pref,
                1,
            ),
            address: mapped,
            kind: CandidateKind::ServerReflexive,
            related: Some(base),
            tcp_type: None,
            hostname: None,
            ufrag: None,
        };
        self.locals.push(LocalCand {
            cand: cand.clone(),
            base,
            alloc: None,
            server: Some(server),
            hidden: false,
        });
        self.push_event(IceEvent::LocalCandidate(cand));
    }

    fn turn_failed(&mut self, now: Instant, ai: usize, op: TurnOp, code: u16, text: String) {
        let a = &mut self.allocations[ai];
        match op {
            TurnOp::Allocate | TurnOp::Refresh => {
                let was_allocated = a.state == AllocState::Allocated;
                a.state = AllocState::Failed;
                let (server, local, transport) = (a.configured, a.local, a.proto);
                if let Some(li) = a.local_cand {
                    for p in self.pairs.iter_mut().filter(|p| p.local == li) {
                        p.state = PairState::Failed;
                    }
                }
                if !was_allocated || op == TurnOp::Allocate {
                    self.push_event(IceEvent::CandidateError {
                        server,
                        local,
                        transport,
                        code,
                        text,
                    });
                }
                self.update_state(now);
            }
            TurnOp::Permission(ip) => {
                if let Some(p) = a.permissions.iter_mut().find(|p| p.ip == ip) {
                    p.pending = false;
                    p.refresh_at = Some(now + RETRY);
                }
            }
            TurnOp::ChannelBind(peer) => {
                if let Some(c) = a.channels.iter_mut().find(|c| c.peer == peer) {
                    c.pending = false;
                    c.bound = false;
                    c.refresh_at = Some(now + RETRY);
                }
            }
        }
    }

    pub(crate) fn turn_timed_out(&mut self, now: Instant, ai: usize, op: TurnOp) {
        if ai < self.allocations.len() && self.allocations[ai].state != AllocState::Released {
            self.turn_failed(now, ai, op, 701, "TURN server did not answer".into());
        }
    }

    /// Makes sure the server lets `ip` send to the relayed address.
    pub(crate) fn ensure_permission(&mut self, now: Instant, ai: usize, ip: IpAddr) {
        let a = &mut self.allocations[ai];
        if a.permissions.iter().any(|p| p.ip == ip) {
            return;
        }
        let ready = a.state == AllocState::Allocated;
        a.permissions.push(Permission {
            ip,
            installed: false,
            pending: ready,
            refresh_at: None,
        });
        if ready {
            self.send_turn_request(now, ai, TurnOp::Permission(ip));
        }
    }

    /// Binds a channel to `peer` so data goes as 4-byte-header ChannelData.
    pub(crate) fn ensure_channel(&mut self, now: Instant, ai: usize, peer: SocketAddr) {
        let a = &mut self.allocations[ai];
        if a.state != AllocState::Allocated
            || a.channels.iter().any(|c| c.peer == peer)
            || a.next_channel > 0x4FFF
        {
            return;
        }
        let number = a.next_channel;
        a.next_channel += 1;
        a.channels.push(Channel {
            peer,
            number,
            bound: false,
            pending: true,
            refresh_at: None,
        });
        self.send_turn_request(now, ai, TurnOp::ChannelBind(peer));
    }

    /// Wraps `data` for `peer` through allocation `ai`: ChannelData when a
    /// channel is bound, else a Send indication.
    pub(crate) fn wrap_for_turn(
        &mut self,
        ai: usize,
        peer: SocketAddr,
        data: &[u8],
        out: &mut Vec<u8>,
    ) {
        let a = &self.allocations[ai];
        if let Some(ch) = a.bound_channel(peer) {
            ChannelData::encode(ch, data, a.proto == Protocol::Tcp, out);
            return;
        }
        let tid = self.new_transaction_id();
        let mut msg = Message::new(Class::Indication, Method::Send, tid);
        msg.push(Attribute::XorPeerAddress(peer));
        msg.push(Attribute::Data(data));
        msg.encode(None, false, out);
    }

    /// Sends due refreshes of allocations, permissions and channels.
    pub(crate) fn turn_tick(&mut self, now: Instant) {
        for ai in 0..self.allocations.len() {
            if self.allocations[ai].state != AllocState::Allocated {
                continue;
            }
            if self.allocations[ai].refresh_at.is_some_and(|t| t <= now) {
                self.allocations[ai].refresh_at = None;
                self.send_turn_request(now, ai, TurnOp::Refresh);
            }
            let due: Vec<IpAddr> = self.allocations[ai]
                .permissions
                .iter()
                .filter(|p| !p.pending && p.refresh_at.is_some_and(|t| t <= now))
                .map(|p| p.ip)
                .collect();
            for ip in due {
                // Refresh only while a live pair still goes through it.
                if !self.relay_peer_in_use(ai, |a| a.ip() == ip) {
                    self.allocations[ai].permissions.retain(|p| p.ip != ip);
                    continue;
                }
                if let Some(p) = self.allocations[ai]
                    .permissions
                    .iter_mut()
                    .find(|p| p.ip == ip)
                {
                    p.pending = true;
                    p.refresh_at = None;
                }
                self.send_turn_request(now, ai, TurnOp::Permission(ip));
            }
            let due: Vec<SocketAddr> = self.allocations[ai]
                .channels
                .iter()
                .filter(|c| !c.pending && c.refresh_at.is_some_and(|t| t <= now))
                .map(|c| c.peer)
                .collect();
            for peer in due {
                if !self.relay_peer_in_use(ai, |a| a == peer) {
                    // Unbound channels expire on the server; forget ours too
                    // (numbers are not reused, RFC 8656 §12).
                    self.allocations[ai].channels.retain(|c| c.peer != peer);
                    continue;
                }
                if let Some(c) = self.allocations[ai]
                    .channels
                    .iter_mut()
                    .find(|c| c.peer == peer)
                {
                    c.pending = true;
                    c.refresh_at = None;
                }
                self.send_turn_request(now, ai, TurnOp::ChannelBind(peer));
            }
        }
    }

    /// Whether a pair over allocation `ai` towards a matching remote address
    /// is still alive (not failed).
    fn relay_peer_in_use(&self, ai: usize, matches: impl Fn(SocketAddr) -> bool) -> bool {
        let Some(li) = self.allocations[ai].local_cand else {
            return false;
        };
        self.pairs.iter().any(|p| {
            p.local == li
                && p.state != PairState::Failed
                && matches(self.remotes[p.remote].cand.address)
        })
    }

    /// The earliest TURN refresh time.
    pub(crate) fn turn_deadline(&self) -> Option<Instant> {
        self.allocations
            .iter()
            .filter(|a| a.state == AllocState::Allocated)
            .flat_map(|a| {
                std::iter::once(a.refresh_at)
                    .chain(
                        a.permissions
                            .iter()
                            .filter(|p| !p.pending)
                            .map(|p| p.refresh_at),
                    )
                    .chain(
                        a.channels
                            .iter()
                            .filter(|c| !c.pending)
                            .map(|c| c.refresh_at),
                    )
            })
            .flatten()
            .min()
    }

    /// Deletes every allocation (Refresh with LIFETIME 0), without retries.
    pub(crate) fn release_allocations(&mut self, now: Instant) {
        for ai in 0..self.allocations.len() {
            if self.allocations[ai].state == AllocState::Allocated {
                self.allocations[ai].state = AllocState::Released;
                self.send_turn_request(now, ai, TurnOp::Refresh);
            }
        }
        // The release requests go out once; nobody waits for their answers.
        self.transactions
            .retain(|_, t| !matches!(t.kind, TxKind::Turn { .. }));
    }

    /// Sends a Binding request to a STUN server from host socket `base`.
    pub(crate) fn start_gather(&mut self, now: Instant, base: SocketAddr, server: SocketAddr) {
        if base.is_ipv4() != server.is_ipv4() {
            return;
        }
        let tid = self.new_transaction_id();
        let mut msg = Message::new(Class::Request, Method::Binding, tid);
        if let Some(s) = &self.config.software {
            msg.push(Attribute::Software(s));
        }
        let bytes = msg.to_vec(None, true);
        let max = self.config.max_server_transmits;
        self.start_transaction(
            now,
            tid,
            TxKind::Gather { server },
            base,
            server,
            Protocol::Udp,
            bytes,
            max,
            Vec::new(),
        );
    }

    pub(crate) fn on_gather_response(
        &mut self,
        msg: &Message<'_>,
        base: SocketAddr,
        server: SocketAddr,
    ) {
        if msg.class == Class::ErrorResponse {
            let (code, text) = msg
                .error_code()
                .map_or((0, String::new()), |e| (e.code, e.reason.to_string()));
            self.push_event(IceEvent::CandidateError {
                server,
                local: base,
                transport: Protocol::Udp,
                code,
                text,
            });
            return;
        }
        if let Some(mapped) = msg.mapped_address() {
            self.add_srflx(base, mapped, server);
        }
    }
}

fn refresh_delay(lifetime_secs: u32) -> Duration {
    let l = u64::from(lifetime_secs.max(2));
    Duration::from_secs(if l > 120 { l - 60 } else { l / 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_happens_before_expiry() {
        assert_eq!(refresh_delay(600), Duration::from_secs(540));
        assert_eq!(refresh_delay(60), Duration::from_secs(30));
        assert_eq!(refresh_delay(0), Duration::from_secs(1));
    }
}
