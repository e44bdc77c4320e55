//! A tiny deterministic network for agent tests: virtual time, seeded loss,
//! optional NAT rewriting, traffic blocking, and a fake TURN server built on
//! `rtcpeer-stun`. No sockets; nothing leaves the process.
#![allow(dead_code)]

pub mod turn;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcpeer_ice::{
    Candidate, Datagram, IceAgent, IceConfig, IceConnectionState, IceEvent, Protocol, Transmit,
};

pub use turn::FakeTurn;

/// One datagram in flight.
#[derive(Debug, Clone)]
struct Packet {
    at: Instant,
    src: SocketAddr,
    dst: SocketAddr,
    proto: Protocol,
    data: Vec<u8>,
}

/// A peer: an agent, the sockets it owns, and what happened to it.
pub struct Peer {
    pub agent: IceAgent,
    pub sockets: Vec<SocketAddr>,
    pub events: Vec<IceEvent>,
    pub states: Vec<IceConnectionState>,
    pub received: Vec<Vec<u8>>,
}

impl Peer {
    pub fn gathered(&self) -> Vec<Candidate> {
        self.events
            .iter()
            .filter_map(|e| match e {
                IceEvent::LocalCandidate(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }
}

pub struct Net {
    pub now: Instant,
    pub peers: Vec<Peer>,
    in_flight: Vec<Packet>,
    rng: u64,
    /// Probability (per mille) that a packet is lost.
    pub loss_permille: u64,
    pub delay: Duration,
    /// Extra random delay up to this much (reorders packets).
    pub jitter: Duration,
    /// Probability (per mille) that a packet is delivered twice.
    pub dup_permille: u64,
    /// Source rewriting: a private socket appears as this public address.
    pub nat: HashMap<SocketAddr, SocketAddr>,
    /// Drop everything (consent loss).
    pub blackhole: bool,
    /// Drop packets going directly between peers (only TURN gets through).
    pub block_direct: bool,
    pub turn: Option<FakeTurn>,
    pub delivered: u64,
}

impl Net {
    pub fn new(seed: u64) -> Net {
        Net {
            now: Instant::now(),
            peers: Vec::new(),
            in_flight: Vec::new(),
            rng: seed,
            loss_permille: 0,
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
            dup_permille: 0,
            nat: HashMap::new(),
            blackhole: false,
            block_direct: false,
            turn: None,
            delivered: 0,
        }
    }

    fn rand(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Adds a peer with one UDP host candidate per socket.
    pub fn add_peer(&mut self, config: IceConfig, sockets: &[&str]) -> usize {
        let mut agent = IceAgent::new(config, self.now);
        let sockets: Vec<SocketAddr> = sockets.iter().map(|s| s.parse().unwrap()).collect();
        for (i, s) in sockets.iter().enumerate() {
            agent
                .add_local_candidate(Candidate::host(*s, Protocol::Udp, 65535 - i as u16))
                .unwrap();
        }
        self.peers.push(Peer {
            agent,
            sockets,
            events: Vec::new(),
            states: Vec::new(),
            received: Vec::new(),
        });
        self.peers.len() - 1
    }

    /// Signals credentials and all current candidates of `from` to `to`.
    pub fn signal(&mut self, from: usize, to: usize) {
        let (u, p) = {
            let (u, p) = self.peers[from].agent.local_credentials();
            (u.to_string(), p.to_string())
        };
        let cands = self.peers[from].agent.local_candidates();
        let agent = &mut self.peers[to].agent;
        agent.set_remote_credentials(&u, &p);
        for c in cands {
            // Through the SDP string form, as a real signaling path would.
            let parsed = Candidate::parse(&c.to_string()).unwrap();
            agent.add_remote_candidate(parsed).unwrap();
        }
    }

    /// Both ways.
    pub fn signal_both(&mut self) {
        self.signal(0, 1);
        self.signal(1, 0);
    }

    fn collect(&mut self) {
        for i in 0..self.peers.len() {
            while let Some(t) = self.peers[i].agent.poll_transmit(self.now) {
                self.send(t);
            }
            while let Some(e) = self.peers[i].agent.poll_event() {
                if let IceEvent::ConnectionStateChange(s) = &e {
                    self.peers[i].states.push(*s);
                }
                self.peers[i].events.push(e);
            }
        }
        if let Some(turn) = self.turn.as_mut() {
            let out = turn.drain();
            for (src, dst, data) in out {
                self.enqueue(src, dst, Protocol::Udp, data);
            }
        }
    }

    fn send(&mut self, t: Transmit) {
        let src = self.nat.get(&t.local).copied().unwrap_or(t.local);
        self.enqueue(src, t.remote, t.proto, t.data);
    }

    fn enqueue(&mut self, src: SocketAddr, dst: SocketAddr, proto: Protocol, data: Vec<u8>) {
        if self.blackhole {
            return;
        }
        if self.loss_permille > 0 && self.rand() % 1000 < self.loss_permille {
            return;
        }
        let copies = if self.dup_permille > 0 && self.rand() % 1000 < self.dup_permille {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter_us = self.jitter.as_micros() as u64;
            let extra = if jitter_us > 0 {
                Duration::from_micros(self.rand() % jitter_us)
            } else {
                Duration::ZERO
            };
            let at = self.now + self.delay + extra;
            self.in_flight.push(Packet {
                at,
                src,
                dst,
                proto,
                data: data.clone(),
            });
        }
    }

    fn owner(&self, addr: SocketAddr) -> Option<(usize, SocketAddr)> {
        // Reverse NAT: a public address leads back to its private socket.
        let private = self
            .nat
            .iter()
            .find(|(_, public)| **public == addr)
            .map(|(private, _)| *private)
            .unwrap_or(addr);
        self.peers
            .iter()
            .position(|p| p.sockets.contains(&private))
            .map(|i| (i, private))
    }

    fn deliver(&mut self, p: Packet) {
        if let Some(turn) = self.turn.as_mut() {
            if turn.owns(p.dst) {
                turn.receive(p.src, p.dst, &p.data);
                return;
            }
        }
        let Some((i, local)) = self.owner(p.dst) else {
            return;
        };
        let from_turn = self.turn.as_ref().is_some_and(|t| t.owns(p.src));
        if self.block_direct && !from_turn {
            return;
        }
        let now = self.now;
        let d = Datagram {
            local,
            remote: p.src,
            proto: p.proto,
            data: &p.data,
        };
        if let Some(r) = self.peers[i].agent.handle_receive(now, d) {
            self.peers[i].received.push(r.data.to_vec());
        }
        self.delivered += 1;
    }

    /// Runs until `done` holds or `limit` of virtual time passes. Returns
    /// whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Net) -> bool) -> bool {
        let end = self.now + limit;
        for i in 0..self.peers.len() {
            let now = self.now;
            self.peers[i].agent.handle_timeout(now);
        }
        loop {
            self.collect();
            if done(self) {
                return true;
            }
            let mut next = end;
            for p in &self.peers {
                if let Some(t) = p.agent.poll_timeout() {
                    next = next.min(t);
                }
            }
            for p in &self.in_flight {
                next = next.min(p.at);
            }
            if next >= end && self.now >= end {
                return done(self);
            }
            self.now = next.max(self.now);
            let due: Vec<Packet>;
            (due, self.in_flight) = std::mem::take(&mut self.in_flight)
                .into_iter()
                .partition(|p| p.at <= self.now);
            for p in due {
                self.deliver(p);
            }
            for i in 0..self.peers.len() {
                let now = self.now;
                if self.peers[i].agent.poll_timeout().is_some_and(|t| t <= now) {
                    self.peers[i].agent.handle_timeout(now);
                    // A timer still due right after handle_timeout would make
                    // the async layer spin.
                    let next = self.peers[i].agent.poll_timeout();
                    assert!(
                        next.is_none_or(|t| t > now),
                        "peer {i} timer did not advance"
                    );
                }
            }
            if self.now >= end {
                self.collect();
                return done(self);
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    pub fn connected(&self, i: usize) -> bool {
        matches!(
            self.peers[i].agent.connection_state(),
            IceConnectionState::Connected | IceConnectionState::Completed
        )
    }

    pub fn both_connected(&self) -> bool {
        self.connected(0) && self.connected(1)
    }

    /// Sends application data from peer `i` over its selected pair.
    pub fn send_app(&mut self, i: usize, data: &[u8]) -> bool {
        match self.peers[i].agent.send(data) {
            Some(t) => {
                self.send(t);
                true
            }
            None => false,
        }
    }
}

pub fn config(controlling: bool, seed: u64) -> IceConfig {
    IceConfig {
        controlling,
        rng_seed: Some(seed),
        ..IceConfig::default()
    }
}
