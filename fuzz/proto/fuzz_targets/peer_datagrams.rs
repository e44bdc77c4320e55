//! Two connected sans-IO PeerConnections with an open data channel, then an
//! arbitrary mix of hostile datagrams (from the peer's address, so they pass
//! the ICE demux, or from strangers), damaged real datagrams, dropped ones,
//! clock jumps, channel sends and closes. Nothing may panic, and the states
//! stay ones the spec allows.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcpeer_proto::certificate::{Certificate, CertificateParams};
use rtcpeer_proto::*;

fn certificates() -> &'static [Certificate; 2] {
    static CERTS: OnceLock<[Certificate; 2]> = OnceLock::new();
    CERTS.get_or_init(|| {
        [
            Certificate::generate(CertificateParams::default()).unwrap(),
            Certificate::generate(CertificateParams::default()).unwrap(),
        ]
    })
}

const ADDR: [&str; 2] = ["10.0.0.1:5000", "10.0.0.2:6000"];

struct Net {
    pcs: [PeerConnection; 2],
    addr: [SocketAddr; 2],
    now: Instant,
    /// Datagrams in flight: (to, from, bytes).
    wire: Vec<(usize, SocketAddr, Vec<u8>)>,
}

impl Net {
    fn new() -> Option<Net> {
        let certs = certificates();
        let mk = |i: usize| {
            PeerConnection::new(Configuration {
                certificates: vec![certs[i].clone()],
                ..Default::default()
            })
            .ok()
        };
        let mut net = Net {
            pcs: [mk(0)?, mk(1)?],
            addr: [ADDR[0].parse().ok()?, ADDR[1].parse().ok()?],
            now: Instant::now(),
            wire: Vec::new(),
        };
        let now = net.now;
        let [a, b] = &mut net.pcs;
        a.create_data_channel("fuzz", Default::default()).ok()?;
        let offer = a.create_offer(&Default::default()).ok()?;
        a.set_local_description(Some(offer)).ok()?;
        b.set_remote_description(a.local_description()?).ok()?;
        let answer = b.create_answer(&Default::default()).ok()?;
        b.set_local_description(Some(answer)).ok()?;
        a.set_remote_description(b.local_description()?).ok()?;
        let (aa, ba) = (net.addr[0], net.addr[1]);
        a.add_host_candidate(now, aa);
        b.add_host_candidate(now, ba);
        for (from, to) in [(0usize, 1usize), (1, 0)] {
            let mut cands = Vec::new();
            while let Some(e) = net.pcs[from].poll_event() {
                if let Event::IceCandidate(Some(c)) = e {
                    cands.push(c);
                }
            }
            for c in cands {
                let _ = net.pcs[to].add_ice_candidate(Some(c));
            }
        }
        // Run until both are connected (or give up: the input still runs).
        for _ in 0..400 {
            net.step(5);
            if net.pcs.iter().all(|p| p.connection_state() == PeerConnectionState::Connected) {
                break;
            }
        }
        // The input is meant for a connected pair (check with -runs=1).
        if std::env::var_os("PEER_DATAGRAMS_DEBUG").is_some() {
            eprintln!("setup: {:?} {:?}", net.pcs[0].connection_state(), net.pcs[1].connection_state());
        }
        Some(net)
    }

    /// Collects what both send, delivers everything in flight, advances time.
    fn step(&mut self, ms: u64) {
        self.collect();
        for (to, from, data) in std::mem::take(&mut self.wire) {
            let local = self.addr[to];
            self.pcs[to].handle_receive(self.now, local, from, &data);
        }
        self.now += Duration::from_millis(ms);
        for pc in &mut self.pcs {
            // As the async actor does after every turn: the core syncs its
            // transport with the descriptions and runs its timers.
            pc.handle_timeout(self.now);
            while pc.poll_event().is_some() {}
        }
        self.collect();
    }

    fn collect(&mut self) {
        for i in 0..2 {
            while let Some(t) = self.pcs[i].poll_transmit() {
                let to = if t.remote == self.addr[0] { 0 } else { 1 };
                self.wire.push((to, t.local, t.data));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(mut net) = Net::new() else { return };
    let mut input = data;
    let mut take = |n: usize| -> &[u8] {
        let (head, rest) = input.split_at(n.min(input.len()));
        input = rest;
        head
    };
    loop {
        let op = take(1);
        let Some(&op) = op.first() else { break };
        let who = (op & 1) as usize;
        match op >> 1 {
            // A hostile datagram from the peer's own address.
            0..=39 => {
                let len = take(1).first().copied().unwrap_or(0) as usize * 6;
                let bytes = take(len).to_vec();
                let (from, local) = (net.addr[1 - who], net.addr[who]);
                let now = net.now;
                net.pcs[who].handle_receive(now, local, from, &bytes);
            }
            // A real datagram in flight, damaged at one byte.
            40..=59 => {
                net.collect();
                let arg = take(2);
                if !net.wire.is_empty() && arg.len() == 2 {
                    let k = arg[0] as usize % net.wire.len();
                    let d = &mut net.wire[k].2;
                    if !d.is_empty() {
                        let at = arg[1] as usize % d.len();
                        d[at] ^= arg[1] | 1;
                    }
                }
            }
            // Drop what is in flight.
            60..=69 => {
                net.collect();
                net.wire.clear();
            }
            // From a stranger.
            70..=79 => {
                let bytes = take(64).to_vec();
                let local = net.addr[who];
                let now = net.now;
                net.pcs[who].handle_receive(now, local, "192.0.2.9:9".parse().unwrap(), &bytes);
            }
            // Time passes (up to ~65 s in one jump).
            80..=99 => {
                let ms = take(2).iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
                net.step(ms);
            }
            // The application sends on the first channel it has.
            100..=114 => {
                let len = take(1).first().copied().unwrap_or(0) as usize * 64;
                let id = net.pcs[who].transport().channels().channels().next().map(|(id, _)| id);
                if let Some(id) = id {
                    let _ = net.pcs[who].send_data(id, &vec![7u8; len], op & 2 == 0);
                }
            }
            115..=119 => {
                let id = net.pcs[who].transport().channels().channels().next().map(|(id, _)| id);
                if let Some(id) = id {
                    net.pcs[who].close_data_channel(id);
                }
            }
            120 => net.pcs[who].close(),
            _ => net.step(1),
        }
        for pc in &net.pcs {
            let s = pc.connection_state();
            if pc.is_closed() {
                assert_eq!(s, PeerConnectionState::Closed);
            }
        }
    }
    // Whatever happened, the pair keeps running without panicking.
    for _ in 0..20 {
        net.step(50);
    }
});
