//! The harness the emulator tests share (`mod emulated;`): two complete
//! sans-IO `PeerConnection`s (JSEP, ICE, DTLS, SCTP, DCEP) joined by
//! `testkit::emulator` on one virtual clock.
//!
//! [`Net::step`] delivers what is due, runs due timers and jumps the clock to
//! the next thing that can happen, so a minute of traffic costs only the
//! packets it carries. [`Net::disappear`] makes one side vanish for good (a
//! crashed peer): it is never stepped again and everything sent to it is lost.

// Each test file uses its own part of the harness.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcpeer_proto::ice::IceConfig;
use rtcpeer_proto::{Event, PeerConnection};
use testkit::emulator::{Emulator, LinkConfig};

/// The offerer (ICE controlling).
pub const A: usize = 0;
/// The answerer.
pub const B: usize = 1;

/// Two peer connections and the network between them.
pub struct Net {
    /// A's and B's connections.
    pub pcs: [PeerConnection; 2],
    /// Their (only) host candidates.
    pub addrs: [SocketAddr; 2],
    /// The network; links and outages can be changed at any time.
    pub net: Emulator,
    /// Virtual time.
    pub now: Instant,
    /// Events each side produced that the test has not looked at yet.
    pub events: [Vec<Event>; 2],
    /// `false` once a side [disappeared](Net::disappear).
    pub alive: [bool; 2],
}

impl Net {
    /// A and B with default configurations over `link` in both directions.
    pub fn new(seed: u64, link: LinkConfig) -> Net {
        let mut net = Emulator::new(seed);
        net.link_both(A, B, link);
        // ICE's random choices (consent jitter, transaction ids) come from
        // the seed too, so a seed replays the same run.
        let pc = |side: u64| {
            let mut pc = PeerConnection::new(Default::default()).unwrap();
            pc.set_ice_config(IceConfig {
                rng_seed: Some(seed.wrapping_mul(2).wrapping_add(side)),
                ..IceConfig::default()
            });
            pc
        };
        Net {
            pcs: [pc(0), pc(1)],
            addrs: [
                "10.0.0.1:5000".parse().unwrap(),
                "10.0.0.2:5000".parse().unwrap(),
            ],
            net,
            now: Instant::now(),
            events: [Vec::new(), Vec::new()],
            alive: [true, true],
        }
    }

    /// `who` is gone for good: never stepped again, and every datagram that
    /// reaches it is lost.
    pub fn disappear(&mut self, who: usize) {
        self.alive[who] = false;
    }

    /// Sends what both sides queued, trickles candidates, keeps the rest of
    /// the events.
    pub fn flush(&mut self) {
        for who in [A, B] {
            if !self.alive[who] {
                continue;
            }
            while let Some(t) = self.pcs[who].poll_transmit() {
                let to = if t.remote == self.addrs[A] { A } else { B };
                self.net.send(who, to, t.data, self.now);
            }
            while let Some(e) = self.pcs[who].poll_event() {
                match e {
                    Event::IceCandidate(c) if self.alive[1 - who] => {
                        let other = &mut self.pcs[1 - who];
                        let _ = other.add_ice_candidate(c);
                        // As the async layer does after every API call.
                        other.handle_timeout(self.now);
                    }
                    Event::IceCandidate(_) => {}
                    e => self.events[who].push(e),
                }
            }
        }
    }

    /// Delivers what is due, runs due timers, moves time to the next thing.
    pub fn step(&mut self) {
        self.flush();
        while let Some((from, to, d)) = self.net.poll_deliver_from(self.now) {
            if !self.alive[to] {
                continue;
            }
            let (local, remote) = (self.addrs[to], self.addrs[from]);
            self.pcs[to].handle_receive(self.now, local, remote, &d);
            self.flush();
        }
        for who in [A, B] {
            if self.alive[who] && self.pcs[who].poll_timeout().is_some_and(|t| t <= self.now) {
                self.pcs[who].handle_timeout(self.now);
            }
        }
        self.flush();
        let next = [A, B]
            .into_iter()
            .filter(|&w| self.alive[w])
            .filter_map(|w| self.pcs[w].poll_timeout())
            .chain(self.net.next_event_time())
            .min();
        // Virtual time: jump to the next event (at least 1 µs forward when a
        // timer is already due, so a busy timer cannot stall the clock).
        self.now = match next {
            Some(t) if t > self.now => t,
            _ => self.now + Duration::from_micros(1),
        };
    }

    /// Whether nothing more can happen: no live side has a timer and no
    /// datagram is in flight (stepping would only move the clock).
    pub fn quiet(&self) -> bool {
        self.net.next_event_time().is_none()
            && [A, B]
                .into_iter()
                .all(|w| !self.alive[w] || self.pcs[w].poll_timeout().is_none())
    }

    /// Offer from A, answer from B, host candidates on both.
    pub fn negotiate(&mut self) {
        let offer = self.pcs[A].create_offer(&Default::default()).unwrap();
        self.pcs[A]
            .set_local_description(Some(offer.clone()))
            .unwrap();
        self.pcs[B].set_remote_description(offer).unwrap();
        let answer = self.pcs[B].create_answer(&Default::default()).unwrap();
        self.pcs[B]
            .set_local_description(Some(answer.clone()))
            .unwrap();
        self.pcs[A].set_remote_description(answer).unwrap();
        for who in [A, B] {
            let (now, addr) = (self.now, self.addrs[who]);
            self.pcs[who].add_host_candidate(now, addr);
            self.pcs[who].end_of_local_candidates(now);
            self.pcs[who].handle_timeout(now);
        }
        self.flush();
    }
}

/// Message `i`: `len` bytes of xorshift64 output seeded by `i`.
pub fn message(i: u32, len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(i);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}
