//! A pair of associations joined by the seeded emulator on virtual time.
#![allow(dead_code)]

use rtcpeer_sctp::{Association, SctpConfig, SctpEvent};
use std::time::{Duration, Instant};
use testkit::emulator::{Emulator, LinkConfig};

pub const A: usize = 0;
pub const B: usize = 1;

pub struct Pair {
    pub a: Association,
    pub b: Association,
    pub net: Emulator,
    pub now: Instant,
    pub start: Instant,
    pub ev_a: Vec<SctpEvent>,
    pub ev_b: Vec<SctpEvent>,
    /// Packets handed to the network by each side.
    pub sent: [u64; 2],
    buf: Vec<u8>,
}

pub fn cfg(seed: u64) -> SctpConfig {
    SctpConfig {
        seed: Some(seed),
        ..SctpConfig::default()
    }
}

impl Pair {
    pub fn new(seed: u64, ca: SctpConfig, cb: SctpConfig, link: LinkConfig) -> Self {
        let now = Instant::now();
        let mut net = Emulator::new(seed);
        net.link_both(A, B, link);
        Self {
            a: Association::new(ca, now),
            b: Association::new(cb, now),
            net,
            now,
            start: now,
            ev_a: Vec::new(),
            ev_b: Vec::new(),
            sent: [0; 2],
            buf: vec![0u8; 1500],
        }
    }

    /// A pair over a perfect link, both sides connecting at once.
    pub fn connected(seed: u64) -> Self {
        let mut p = Self::new(seed, cfg(seed), cfg(seed + 1), LinkConfig::default());
        p.connect_both();
        p
    }

    pub fn connect_both(&mut self) {
        let now = self.now;
        self.a.connect(now);
        self.b.connect(now);
        self.run_until(Duration::from_secs(30), |p| {
            p.has(A, &SctpEvent::Connected) && p.has(B, &SctpEvent::Connected)
        });
        assert!(
            self.has(A, &SctpEvent::Connected) && self.has(B, &SctpEvent::Connected),
            "handshake completed"
        );
    }

    pub fn has(&self, who: usize, e: &SctpEvent) -> bool {
        let evs = if who == A { &self.ev_a } else { &self.ev_b };
        evs.iter().any(|x| x == e)
    }

    pub fn side(&mut self, who: usize) -> &mut Association {
        if who == A {
            &mut self.a
        } else {
            &mut self.b
        }
    }

    /// Sends everything both sides have and collects their events.
    pub fn flush(&mut self) {
        let now = self.now;
        for who in [A, B] {
            loop {
                let (assoc, buf) = if who == A {
                    (&mut self.a, &mut self.buf)
                } else {
                    (&mut self.b, &mut self.buf)
                };
                let Some(n) = assoc.poll_transmit(now, buf) else {
                    break;
                };
                assert!(n <= 1128, "packet within the budget");
                let pkt = buf[..n].to_vec();
                self.sent[who] += 1;
                self.net.send(who, 1 - who, pkt, now);
            }
            let assoc = if who == A { &mut self.a } else { &mut self.b };
            while let Some(e) = assoc.poll_event() {
                if who == A {
                    self.ev_a.push(e);
                } else {
                    self.ev_b.push(e);
                }
            }
        }
    }

    /// One step: deliver what is due, fire timers, advance time to the next
    /// thing that happens. Returns false when nothing will ever happen.
    pub fn step(&mut self) -> bool {
        self.flush();
        while let Some((to, pkt)) = self.net.poll_deliver(self.now) {
            let now = self.now;
            self.side(to).handle_receive(now, &pkt);
            self.flush();
        }
        let now = self.now;
        if self.a.poll_timeout().is_some_and(|t| t <= now) {
            self.a.handle_timeout(now);
        }
        if self.b.poll_timeout().is_some_and(|t| t <= now) {
            self.b.handle_timeout(now);
        }
        self.flush();
        let next = [
            self.net.next_event_time(),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(t) => {
                self.now = self.now.max(t);
                true
            }
            None => false,
        }
    }

    /// Steps until `done` holds or `limit` of virtual time has passed.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            if done(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return done(self);
            }
        }
    }

    /// Messages received by `who` as (stream, ppid, bytes).
    pub fn messages(&self, who: usize) -> Vec<(u16, u32, Vec<u8>)> {
        let evs = if who == A { &self.ev_a } else { &self.ev_b };
        evs.iter()
            .filter_map(|e| match e {
                SctpEvent::Message {
                    stream_id,
                    ppid,
                    data,
                } => Some((*stream_id, *ppid, data.to_vec())),
                _ => None,
            })
            .collect()
    }
}

/// Deterministic test payload: message `i` of length `len`.
pub fn payload(i: u32, len: usize) -> Vec<u8> {
    let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
