//! Connectivity checks (RFC 8445 §6–§8): pairing, pacing, answering and
//! sending Binding requests, nomination, role conflicts, consent (RFC 7675).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcpeer_stun::{Attribute, Class, ErrorCode, Integrity, Message, Method, TransactionId};

use crate::agent::{Pair, PairCounters, QueuedRequest, RemoteCand, TxKind};
use crate::candidate::{compute_foundation, compute_priority};
use crate::{
    Candidate, CandidateKind, IceAgent, IceEvent, PairId, PairState, Protocol, TcpType, Transmit,
};

/// Most requests kept while waiting for the remote credentials.
const MAX_QUEUED_REQUESTS: usize = 32;

/// RFC 8445 §6.1.2.3 pair priority.
pub(crate) fn pair_priority(controlling_prio: u32, controlled_prio: u32) -> u64 {
    // Valid priorities are below 2^31; clamp so hostile values cannot overflow.
    let clamp = |p: u32| u64::from(p.min((1 << 31) - 1));
    let (g, d) = (clamp(controlling_prio), clamp(controlled_prio));
    (1u64 << 32) * g.min(d) + 2 * g.max(d) + u64::from(g > d)
}

fn tcp_compatible(local: Option<TcpType>, remote: Option<TcpType>) -> bool {
    matches!(
        (local, remote),
        (Some(TcpType::Active), Some(TcpType::Passive))
            | (Some(TcpType::Passive), Some(TcpType::Active))
            | (Some(TcpType::So), Some(TcpType::So))
    )
}

impl IceAgent {
    // ---------------------------------------------------------------- pairing

    fn pairable_local(&self, li: usize) -> bool {
        let l = &self.locals[li];
        match l.cand.kind {
            CandidateKind::Host => !self.config.relay_only,
            CandidateKind::Relayed => l.alloc.is_some(),
            _ => false,
        }
    }

    fn compatible(&self, li: usize, ri: usize) -> bool {
        let l = &self.locals[li].cand;
        let r = &self.remotes[ri].cand;
        if r.is_unresolved() || l.address.is_ipv4() != r.address.is_ipv4() {
            return false;
        }
        match (l.protocol, r.protocol) {
            (Protocol::Udp, Protocol::Udp) => true,
            (Protocol::Tcp, Protocol::Tcp) => tcp_compatible(l.tcp_type, r.tcp_type),
            _ => false,
        }
    }

    /// Pairs a new local candidate with every current remote candidate.
    pub(crate) fn pair_local(&mut self, li: usize) {
        if !self.pairable_local(li) {
            return;
        }
        let gen = self.generation();
        for ri in 0..self.remotes.len() {
            if self.remotes[ri].generation == gen && self.compatible(li, ri) {
                self.add_pair(li, ri, gen);
            }
        }
        let now = self.now;
        self.schedule_checks(now);
    }

    /// Pairs a new remote candidate with every pairable local candidate.
    pub(crate) fn pair_remote(&mut self, ri: usize) {
        let gen = self.remotes[ri].generation;
        for li in 0..self.locals.len() {
            if self.pairable_local(li) && self.compatible(li, ri) {
                self.add_pair(li, ri, gen);
            }
        }
        let now = self.now;
        self.schedule_checks(now);
    }

    fn priority_of(&self, li: usize, ri: usize) -> u64 {
        let lp = self.locals[li].cand.priority;
        let rp = self.remotes[ri].cand.priority;
        if self.controlling {
            pair_priority(lp, rp)
        } else {
            pair_priority(rp, lp)
        }
    }

    /// Adds a pair unless an equal or better one with the same local base and
    /// remote address exists (pruning, RFC 8445 §6.1.2.4). Returns its index.
    pub(crate) fn add_pair(&mut self, li: usize, ri: usize, gen: u32) -> Option<usize> {
        let raddr = self.remotes[ri].cand.address;
        if let Some(i) = self.pairs.iter().position(|p| {
            p.generation == gen && p.local == li && self.remotes[p.remote].cand.address == raddr
        }) {
            return Some(i);
        }
        if self.pairs.len() >= self.config.max_pairs {
            // Full: make room by dropping the lowest-priority unchecked pair,
            // if the new one is better (RFC 8445 §6.1.2.5).
            let new_prio = self.priority_of(li, ri);
            let victim = self
                .pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    matches!(p.state, PairState::Frozen | PairState::Waiting)
                        && p.priority < new_prio
                })
                .min_by_key(|(_, p)| p.priority)
                .map(|(i, _)| i)?;
            let id = self.pairs.remove(victim).id;
            self.triggered.retain(|t| *t != id);
        }
        let foundation = format!(
            "{}:{}",
            self.locals[li].cand.foundation, self.remotes[ri].cand.foundation
        );
        let busy = self.pairs.iter().any(|p| {
            p.generation == gen
                && p.foundation == foundation
                && matches!(
                    p.state,
                    PairState::Waiting | PairState::InProgress | PairState::Succeeded
                )
        });
        let id = PairId(self.next_pair_id);
        self.next_pair_id += 1;
        self.pairs.push(Pair {
            id,
            local: li,
            remote: ri,
            generation: gen,
            priority: self.priority_of(li, ri),
            state: if busy {
                PairState::Frozen
            } else {
                PairState::Waiting
            },
            foundation,
            nominated: false,
            remote_nominated: false,
            nominating: false,
            last_response: None,
            consent_next: None,
            stats: PairCounters::default(),
        });
        if let Some(ai) = self.locals[li].alloc {
            let now = self.now;
            self.ensure_permission(now, ai, raddr.ip());
        }
        Some(self.pairs.len() - 1)
    }

    /// After a role change or candidate upgrade.
    pub(crate) fn recompute_priorities(&mut self) {
        for i in 0..self.pairs.len() {
            let (li, ri) = (self.pairs[i].local, self.pairs[i].remote);
            self.pairs[i].priority = self.priority_of(li, ri);
        }
    }

    // ------------------------------------------------------------- scheduling

    fn creds_known(&self, gen: u32) -> bool {
        self.generations
            .get(gen as usize)
            .is_some_and(|g| g.remote.is_some())
    }

    /// Whether a paced check could be sent now.
    pub(crate) fn has_checks_to_send(&self) -> bool {
        if self.closed || self.config.lite {
            return false;
        }
        !self.triggered.is_empty()
            || self.pairs.iter().any(|p| {
                matches!(p.state, PairState::Waiting | PairState::Frozen)
                    && self.creds_known(p.generation)
            })
    }

    /// Arms the Ta timer if there is something to check.
    pub(crate) fn schedule_checks(&mut self, now: Instant) {
        if self.next_check_at.is_none() && self.has_checks_to_send() {
            let earliest = self
                .last_check_at
                .map_or(now, |t| (t + self.config.ta).max(now));
            self.next_check_at = Some(earliest);
        }
    }

    /// Sends one paced check: triggered queue first, then the best Waiting
    /// pair, then unfreezes the best Frozen one. Returns whether one was sent.
    pub(crate) fn send_next_check(&mut self, now: Instant) -> bool {
        while let Some(id) = self.triggered.pop_front() {
            let Some(pi) = self.pair_index(id) else {
                continue;
            };
            let p = &self.pairs[pi];
            if p.state == PairState::Succeeded && !p.remote_nominated
                || !self.creds_known(p.generation)
            {
                continue;
            }
            self.send_check(now, pi, false, false);
            return true;
        }
        let best = |state: PairState, s: &Self| {
            s.pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.state == state && s.creds_known(p.generation))
                .max_by_key(|(_, p)| p.priority)
                .map(|(i, _)| i)
        };
        if let Some(pi) = best(PairState::Waiting, self).or_else(|| best(PairState::Frozen, self)) {
            self.send_check(now, pi, false, false);
            return true;
        }
        false
    }

    /// The route a packet from local candidate `li` to `remote` takes: the
    /// bytes are wrapped for TURN when `li` is relayed.
    pub(crate) fn transmit_from(
        &mut self,
        li: usize,
        remote: SocketAddr,
        payload: Vec<u8>,
    ) -> Transmit {
        let l = &self.locals[li];
        match l.alloc {
            Some(ai) => {
                let mut out = Vec::with_capacity(payload.len() + 40);
                self.wrap_for_turn(ai, remote, &payload, &mut out);
                let a = &self.allocations[ai];
                Transmit {
                    local: a.local_socket(),
                    remote: a.server,
                    proto: a.proto,
                    data: out,
                }
            }
            None => Transmit {
                local: l.base,
                remote,
                proto: l.cand.protocol,
                data: payload,
            },
        }
    }

    /// Sends a Binding request on pair `pi`.
    pub(crate) fn send_check(
        &mut self,
        now: Instant,
        pi: usize,
        use_candidate: bool,
        consent: bool,
    ) {
        let (li, ri, gen) = (
            self.pairs[pi].local,
            self.pairs[pi].remote,
            self.pairs[pi].generation,
        );
        let Some(remote_creds) = self.generations[gen as usize].remote.clone() else {
            return;
        };
        let local_ufrag = self.generations[gen as usize].local.ufrag.clone();
        let username = format!("{}:{}", remote_creds.ufrag, local_ufrag);
        let l = &self.locals[li].cand;
        let prflx_priority = compute_priority(
            CandidateKind::PeerReflexive,
            l.protocol,
            l.tcp_type,
            ((l.priority >> 8) & 0xFFFF) as u16,
            l.component,
        );
        let tid = self.new_transaction_id();
        let mut msg = Message::new(Class::Request, Method::Binding, tid);
        msg.push(Attribute::Username(&username));
        msg.push(Attribute::Priority(prflx_priority));
        if self.controlling {
            msg.push(Attribute::IceControlling(self.tie_breaker));
        } else {
            msg.push(Attribute::IceControlled(self.tie_breaker));
        }
        if use_candidate {
            msg.push(Attribute::UseCandidate);
        }
        if let Some(s) = &self.config.software {
            msg.push(Attribute::Software(s));
        }
        let bytes = msg.to_vec(Some(Integrity::Sha1(remote_creds.pwd.as_bytes())), true);
        let remote = self.remotes[ri].cand.address;
        let t = self.transmit_from(li, remote, bytes);
        let kind = TxKind::Check {
            pair: self.pairs[pi].id,
            use_candidate,
            consent,
            controlling: self.controlling,
        };
        let max = self.config.max_check_transmits;
        self.start_transaction(
            now,
            tid,
            kind,
            t.local,
            t.remote,
            t.proto,
            t.data,
            max,
            remote_creds.pwd.into_bytes(),
        );
        let p = &mut self.pairs[pi];
        p.stats.requests_sent += 1;
        if consent {
            p.stats.consent_requests_sent += 1;
        } else if p.state != PairState::Succeeded {
            p.state = PairState::InProgress;
        }
        if use_candidate {
            p.nominating = true;
        }
        self.checks_started = true;
        self.checks_started_at.get_or_insert(now);
    }

    // ------------------------------------------------------------------ input

    /// Handles one STUN message that arrived at local candidate `local`.
    pub(crate) fn handle_stun(
        &mut self,
        now: Instant,
        local: Option<usize>,
        remote: SocketAddr,
        proto: Protocol,
        raw: &[u8],
    ) {
        let msg = match Message::decode(raw) {
            Ok(m) => m,
            Err(_) => {
                self.counters.malformed += 1;
                return;
            }
        };
        match (msg.class, msg.method) {
            (Class::Request, Method::Binding) => match local {
                Some(li) => self.handle_request(now, &msg, raw, li, remote, proto),
                None => self.counters.ignored += 1,
            },
            (Class::SuccessResponse | Class::ErrorResponse, _) => {
                self.handle_response(now, &msg, raw, local, remote)
            }
            _ => self.counters.ignored += 1,
        }
    }

    fn handle_request(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        raw: &[u8],
        li: usize,
        remote: SocketAddr,
        proto: Protocol,
    ) {
        if self.config.relay_only && self.locals[li].alloc.is_none() {
            // iceTransportPolicy "relay": our host addresses stay silent.
            self.counters.ignored += 1;
            return;
        }
        let Some(lufrag) = msg.username().and_then(|u| u.split(':').next()) else {
            self.counters.bad_username += 1;
            return;
        };
        let Some(gen) = (0..self.generations.len())
            .rev()
            .find(|&g| self.generations[g].local.ufrag == lufrag)
        else {
            self.counters.bad_username += 1;
            return;
        };
        let gen = gen as u32;
        let pwd = self.generations[gen as usize].local.pwd.clone();
        if msg.verify_integrity(raw, pwd.as_bytes()).is_err() {
            self.counters.bad_integrity += 1;
            return;
        }
        if !self.creds_known(gen) {
            if gen == self.generation() && self.queued.len() < MAX_QUEUED_REQUESTS {
                self.queued.push(QueuedRequest {
                    local: li,
                    remote,
                    proto,
                    data: raw.to_vec(),
                });
                self.counters.queued_requests += 1;
            }
            return;
        }
        let unknown = msg.unknown_comprehension_required();
        if !unknown.is_empty() {
            let extra = Attribute::UnknownAttributes(unknown);
            self.send_error(
                msg.transaction_id,
                li,
                remote,
                &pwd,
                420,
                "Unknown Attribute",
                Some(extra),
            );
            return;
        }
        // Role conflict (RFC 8445 §7.3.1.1). An ICE-lite agent is always controlled.
        if self.config.lite {
            // Nothing to repair: the full peer must be controlling.
        } else if self.controlling {
            if let Some(tb) = msg.ice_controlling() {
                if self.tie_breaker >= tb {
                    self.send_error(
                        msg.transaction_id,
                        li,
                        remote,
                        &pwd,
                        487,
                        "Role Conflict",
                        None,
                    );
                    return;
                }
                self.set_role(false);
            }
        } else if let Some(tb) = msg.ice_controlled() {
            if self.tie_breaker >= tb {
                self.set_role(true);
            } else {
                self.send_error(
                    msg.transaction_id,
                    li,
                    remote,
                    &pwd,
                    487,
                    "Role Conflict",
                    None,
                );
                return;
            }
        }

        // Answer first: the response only needs our own password.
        let mut resp = Message::new(Class::SuccessResponse, Method::Binding, msg.transaction_id);
        resp.push(Attribute::XorMappedAddress(remote));
        if let Some(s) = &self.config.software {
            resp.push(Attribute::Software(s));
        }
        let bytes = resp.to_vec(Some(Integrity::Sha1(pwd.as_bytes())), true);
        let t = self.transmit_from(li, remote, bytes);
        self.transmits.push_back(t);
        self.checks_started = true;
        self.checks_started_at.get_or_insert(now);

        // Find or learn the remote candidate (peer-reflexive, §7.3.1.3).
        let ri = match self.remotes.iter().position(|r| {
            r.generation == gen && r.cand.address == remote && r.cand.protocol == proto
        }) {
            Some(ri) => ri,
            None => {
                if gen != self.generation()
                    || self.remotes.iter().filter(|r| r.generation == gen).count()
                        >= self.config.max_remote_candidates
                {
                    return;
                }
                let tcp_type = match (proto, self.locals[li].cand.tcp_type) {
                    (Protocol::Tcp, Some(TcpType::Passive)) => Some(TcpType::Active),
                    (Protocol::Tcp, Some(TcpType::Active)) => Some(TcpType::Passive),
                    (Protocol::Tcp, t) => t,
                    _ => None,
                };
                let cand = Candidate {
                    foundation: compute_foundation(
                        CandidateKind::PeerReflexive,
                        remote.ip(),
                        None,
                        proto,
                    ),
                    component: 1,
                    protocol: proto,
                    priority: msg.priority().unwrap_or(0),
                    address: remote,
                    kind: CandidateKind::PeerReflexive,
                    related: None,
                    tcp_type,
                    hostname: None,
                    ufrag: None,
                };
                self.remotes.push(RemoteCand {
                    cand,
                    generation: gen,
                });
                self.remotes.len() - 1
            }
        };
        let existing = self
            .pairs
            .iter()
            .position(|p| p.generation == gen && p.local == li && p.remote == ri);
        let pi = match existing {
            Some(pi) => pi,
            None if gen == self.generation() => match self.add_pair(li, ri, gen) {
                Some(pi) => pi,
                None => return,
            },
            None => return,
        };
        let id = self.pairs[pi].id;
        let use_candidate = msg.use_candidate() && !self.controlling;
        let lite = self.config.lite;
        let p = &mut self.pairs[pi];
        p.stats.requests_received += 1;
        p.stats.responses_sent += 1;
        if use_candidate {
            p.remote_nominated = true;
        }
        if lite {
            // RFC 8445 §7.3.2: a lite agent takes the pair as valid when it
            // answers, and selects it when nominated. Requests stand in for
            // responses as proof of liveness.
            p.state = PairState::Succeeded;
            p.last_response = Some(now);
            if use_candidate {
                p.nominated = true;
                self.select_pair(now, id);
            }
            return;
        }
        match p.state {
            PairState::Succeeded => {
                if use_candidate {
                    p.nominated = true;
                    self.select_pair(now, id);
                }
            }
            PairState::InProgress => {}
            _ => {
                p.state = PairState::Waiting;
                if !self.triggered.contains(&id) {
                    self.triggered.push_back(id);
                }
                self.schedule_checks(now);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn send_error(
        &mut self,
        tid: TransactionId,
        li: usize,
        remote: SocketAddr,
        pwd: &str,
        code: u16,
        reason: &str,
        extra: Option<Attribute<'_>>,
    ) {
        let mut resp = Message::new(Class::ErrorResponse, Method::Binding, tid);
        resp.push(Attribute::ErrorCode(ErrorCode { code, reason }));
        if let Some(a) = extra {
            resp.push(a);
        }
        let bytes = resp.to_vec(Some(Integrity::Sha1(pwd.as_bytes())), true);
        let t = self.transmit_from(li, remote, bytes);
        self.transmits.push_back(t);
    }

    fn handle_response(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        raw: &[u8],
        local: Option<usize>,
        remote: SocketAddr,
    ) {
        let tid = msg.transaction_id;
        let Some(tx) = self.transactions.get(&tid) else {
            self.counters.unmatched_responses += 1;
            return;
        };
        match tx.kind.clone() {
            TxKind::Check {
                pair,
                use_candidate,
                consent,
                controlling,
            } => {
                if msg.verify_integrity(raw, &tx.key).is_err() {
                    self.counters.bad_integrity += 1;
                    return;
                }
                let sent_at = tx.last_sent;
                let first_try = tx.transmits == 1;
                self.transactions.remove(&tid);
                let Some(pi) = self.pair_index(pair) else {
                    return;
                };
                self.on_check_response(
                    now,
                    msg,
                    pi,
                    local,
                    remote,
                    use_candidate,
                    consent,
                    controlling,
                    sent_at,
                    first_try,
                );
            }
            TxKind::Gather { server } => {
                if remote != server {
                    self.counters.unmatched_responses += 1;
                    return;
                }
                let base = tx.local;
                self.transactions.remove(&tid);
                self.on_gather_response(msg, base, server);
            }
            TxKind::Turn { alloc, op } => {
                if remote != tx.remote {
                    self.counters.unmatched_responses += 1;
                    return;
                }
                if !tx.key.is_empty()
                    && msg.has_integrity()
                    && msg.verify_integrity(raw, &tx.key).is_err()
                {
                    self.counters.bad_integrity += 1;
                    return;
                }
                self.transactions.remove(&tid);
                self.on_turn_response(now, alloc, op, msg);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_check_response(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        pi: usize,
        local: Option<usize>,
        remote: SocketAddr,
        use_candidate: bool,
        consent: bool,
        sent_as_controlling: bool,
        sent_at: Instant,
        first_try: bool,
    ) {
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        let id = self.pairs[pi].id;
        // Responses must be symmetric (RFC 8445 §7.2.5.2.1).
        if local != Some(li) || remote != self.remotes[ri].cand.address {
            if !consent {
                self.pairs[pi].state = PairState::Failed;
            }
            return;
        }
        if msg.class == Class::ErrorResponse {
            let code = msg.error_code().map(|e| e.code);
            if code == Some(487) {
                if sent_as_controlling == self.controlling {
                    self.set_role(!sent_as_controlling);
                }
                let p = &mut self.pairs[pi];
                p.nominating = false;
                if p.state != PairState::Succeeded {
                    p.state = PairState::Waiting;
                }
                if !self.triggered.contains(&id) {
                    self.triggered.push_back(id);
                }
                self.schedule_checks(now);
            } else if !consent {
                self.pairs[pi].state = PairState::Failed;
                self.pairs[pi].nominating = false;
            }
            return;
        }
        // Learn a local peer-reflexive address (§7.2.5.3.1).
        if let Some(mapped) = msg.mapped_address() {
            let known = self.locals.iter().any(|l| l.cand.address == mapped)
                || self.local_prflx.iter().any(|c| c.address == mapped);
            if !known && self.locals[li].alloc.is_none() {
                let l = &self.locals[li].cand;
                let c = Candidate {
                    foundation: compute_foundation(
                        CandidateKind::PeerReflexive,
                        l.address.ip(),
                        None,
                        l.protocol,
                    ),
                    component: l.component,
                    protocol: l.protocol,
                    priority: msg_priority_for_prflx(l),
                    address: mapped,
                    kind: CandidateKind::PeerReflexive,
                    related: Some(l.address),
                    tcp_type: l.tcp_type,
                    hostname: None,
                    ufrag: None,
                };
                self.local_prflx.push(c);
            }
        }
        let controlling = self.controlling;
        if self.selected == Some(id) {
            let jitter = self.consent_jitter();
            self.pairs[pi].consent_next = Some(now + jitter);
        }
        let p = &mut self.pairs[pi];
        p.stats.responses_received += 1;
        if first_try {
            let rtt = now.saturating_duration_since(sent_at);
            p.stats.current_rtt = Some(rtt);
            p.stats.total_rtt += rtt;
        }
        p.last_response = Some(now);
        let newly_valid = p.state != PairState::Succeeded;
        p.state = PairState::Succeeded;
        let mut select = false;
        if use_candidate && controlling {
            p.nominating = false;
            p.nominated = true;
            select = true;
        }
        if !controlling && p.remote_nominated {
            p.nominated = true;
            select = true;
        }
        if newly_valid {
            let (foundation, gen) = (p.foundation.clone(), p.generation);
            for q in self.pairs.iter_mut() {
                if q.generation == gen && q.state == PairState::Frozen && q.foundation == foundation
                {
                    q.state = PairState::Waiting;
                }
            }
            if self.first_valid_at.is_none() && gen == self.generation() {
                self.first_valid_at = Some(now);
            }
            self.schedule_checks(now);
        }
        if select {
            self.select_pair(now, id);
        }
    }

    // ------------------------------------------------------------- nomination

    fn nomination_done(&self) -> bool {
        let gen = self.generation();
        self.pairs
            .iter()
            .any(|p| p.generation == gen && (p.nominated || p.nominating))
    }

    /// When the controlling agent will nominate even if better pairs are pending.
    pub(crate) fn nomination_deadline(&self) -> Option<Instant> {
        let gen = self.generation();
        let any_valid = self
            .pairs
            .iter()
            .any(|p| p.generation == gen && p.state == PairState::Succeeded);
        if !self.controlling || !any_valid || self.nomination_done() {
            return None;
        }
        self.first_valid_at.map(|t| t + self.config.nomination_wait)
    }

    /// Controlling agent: nominates the best valid pair of the current
    /// generation once no better pair is pending, or after `nomination_wait`.
    pub(crate) fn decide_nomination(&mut self, now: Instant) {
        if !self.controlling || self.closed || self.nomination_done() {
            return;
        }
        let gen = self.generation();
        let Some(best) = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.generation == gen && p.state == PairState::Succeeded)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
        else {
            return;
        };
        let best_prio = self.pairs[best].priority;
        let better_pending = self.pairs.iter().any(|p| {
            p.generation == gen
                && p.priority > best_prio
                && matches!(
                    p.state,
                    PairState::Frozen | PairState::Waiting | PairState::InProgress
                )
        });
        let waited = self
            .first_valid_at
            .is_some_and(|t| now >= t + self.config.nomination_wait);
        if better_pending && !waited {
            return;
        }
        self.send_check(now, best, true, false);
    }

    /// Makes `id` the pair that carries data.
    pub(crate) fn select_pair(&mut self, now: Instant, id: PairId) {
        let Some(pi) = self.pair_index(id) else {
            return;
        };
        if let Some(cur) = self.selected.and_then(|c| self.pair_index(c)) {
            if self.pairs[cur].id == id {
                return;
            }
            let (c, n) = (&self.pairs[cur], &self.pairs[pi]);
            if c.generation == n.generation && c.priority >= n.priority && !self.consent_lost {
                return;
            }
        }
        let jitter = self.consent_jitter();
        let p = &mut self.pairs[pi];
        if p.last_response.is_none() {
            p.last_response = Some(now);
        }
        p.consent_next = Some(now + jitter);
        let gen = p.generation;
        self.selected = Some(id);
        self.consent_lost = false;
        // A pair of a newer generation retires the old ones (ICE restart done).
        if self.pairs.iter().any(|q| q.generation < gen) {
            self.pairs.retain(|q| q.generation >= gen);
            let pairs = &self.pairs;
            self.transactions.retain(|_, t| match &t.kind {
                TxKind::Check { pair, .. } => pairs.iter().any(|p| p.id == *pair),
                _ => true,
            });
            self.forget_old_remotes(gen);
        }
        let Some(pi) = self.pair_index(id) else {
            return;
        };
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        let local = self.locals[li].cand.clone();
        let remote = self.remotes[ri].cand.clone();
        if let Some(ai) = self.locals[li].alloc {
            self.ensure_channel(now, ai, remote.address);
        }
        self.push_event(IceEvent::SelectedPairChanged {
            pair: id,
            local,
            remote,
        });
        self.update_state(now);
    }

    /// Drops remote candidates of generations before `gen` (no pair uses
    /// them any more), so repeated restarts do not accumulate them.
    fn forget_old_remotes(&mut self, gen: u32) {
        let mut map = vec![usize::MAX; self.remotes.len()];
        let mut kept = 0;
        for (i, r) in self.remotes.iter().enumerate() {
            if r.generation >= gen {
                map[i] = kept;
                kept += 1;
            }
        }
        if kept == self.remotes.len() {
            return;
        }
        self.remotes.retain(|r| r.generation >= gen);
        for p in self.pairs.iter_mut() {
            p.remote = map[p.remote];
        }
    }

    // ---------------------------------------------------------------- consent

    fn consent_jitter(&mut self) -> Duration {
        // RFC 7675 §5.1: uniformly 0.8 to 1.2 times the interval.
        let base = self.config.consent_interval;
        let permille = 800 + self.rng.below(401);
        base * permille as u32 / 1000
    }

    /// Sends consent checks on the selected pair when due.
    pub(crate) fn consent_tick(&mut self, now: Instant) {
        // ICE-lite agents send no requests (RFC 7675 §4): the peer's
        // checks keep the pair alive instead.
        if self.consent_lost || self.config.lite {
            return;
        }
        let Some(pi) = self.selected.and_then(|id| self.pair_index(id)) else {
            return;
        };
        if self.pairs[pi].consent_next.is_some_and(|t| t <= now) {
            // Every ~5 s while answers come (each answer reschedules, see
            // `on_check_response`); after a request, probe again every
            // 500 ms until answered, so that loss alone does not make the
            // pair look disconnected.
            let silence =
                now.saturating_duration_since(self.pairs[pi].last_response.unwrap_or(now));
            let next = if silence >= self.config.consent_interval / 2 {
                Duration::from_millis(500)
            } else {
                self.consent_jitter()
            };
            self.pairs[pi].consent_next = Some(now + next);
            self.send_check(now, pi, false, true);
        }
    }
}

fn msg_priority_for_prflx(l: &Candidate) -> u32 {
    compute_priority(
        CandidateKind::PeerReflexive,
        l.protocol,
        l.tcp_type,
        ((l.priority >> 8) & 0xFFFF) as u16,
        l.component,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_priority_formula() {
        // RFC 8445 §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
        assert_eq!(pair_priority(10, 5), (5u64 << 32) + 20 + 1);
        assert_eq!(pair_priority(5, 10), (5u64 << 32) + 20);
        assert!(pair_priority(100, 100) > pair_priority(100, 99));
        // Out-of-range priorities from the wire do not overflow.
        assert!(pair_priority(u32::MAX, u32::MAX) >= pair_priority(1 << 30, 1 << 30));
    }

    #[test]
    fn tcp_types_pair_active_with_passive() {
        assert!(tcp_compatible(
            Some(TcpType::Active),
            Some(TcpType::Passive)
        ));
        assert!(tcp_compatible(Some(TcpType::So), Some(TcpType::So)));
        assert!(!tcp_compatible(
            Some(TcpType::Active),
            Some(TcpType::Active)
        ));
        assert!(!tcp_compatible(None, Some(TcpType::Passive)));
    }
}
