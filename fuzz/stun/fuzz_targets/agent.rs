//! Drives an ICE agent with an arbitrary sequence of inputs: raw datagrams,
//! correctly signed checks with fuzzed attributes, fuzzed answers to the
//! agent's own requests (checks, STUN, TURN), time steps, candidates,
//! restarts and sends. Property: nothing panics and timers stay sane.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcpeer_ice::{Candidate, Datagram, IceAgent, IceConfig, Protocol, Transmit};
use rtcpeer_stun::integrity::long_term_key_md5;
use rtcpeer_stun::{Attribute, Class, ErrorCode, Integrity, Message, Method, TransactionId};

const LOCAL: &str = "10.0.0.1:5000";
const TURN: &str = "192.0.2.1:3478";
const REMOTE_PWD: &str = "remotepasswordremotepass";
const PEERS: [&str; 4] = ["10.0.0.2:6000", "10.0.0.3:6001", "[2001:db8::2]:7000", TURN];

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn u64(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for _ in 0..8 {
            v = (v << 8) | u64::from(self.byte()?);
        }
        Some(v)
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = (self.byte()? as usize).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
}

fn answer(req: &Transmit, input: &mut Input<'_>) -> Option<Vec<u8>> {
    let data = if rtcpeer_stun::is_stun(&req.data) {
        req.data.clone()
    } else {
        return None;
    };
    let msg = Message::decode(&data).ok()?;
    if msg.class != Class::Request {
        return None;
    }
    let kind = input.byte()?;
    let mapped: SocketAddr = PEERS[kind as usize % PEERS.len()].parse().ok()?;
    let mut r = Message::new(
        if kind & 0x10 == 0 {
            Class::SuccessResponse
        } else {
            Class::ErrorResponse
        },
        msg.method,
        msg.transaction_id,
    );
    let realm = "realm";
    let nonce = "nonce";
    if kind & 0x10 != 0 {
        let code = [401u16, 438, 487, 400, 437, 500][(kind as usize >> 5) % 6];
        r.push(Attribute::ErrorCode(ErrorCode { code, reason: "x" }));
        r.push(Attribute::Realm(realm));
        r.push(Attribute::Nonce(nonce));
    } else {
        r.push(Attribute::XorMappedAddress(mapped));
        if msg.method == Method::Allocate {
            r.push(Attribute::XorRelayedAddress(
                "192.0.2.1:50000".parse().ok()?,
            ));
            r.push(Attribute::Lifetime(u32::from(input.byte()?)));
        }
    }
    let turn_key = long_term_key_md5("user", realm, "pass");
    let key: &[u8] = match msg.method {
        Method::Binding if msg.username().is_some() => REMOTE_PWD.as_bytes(),
        Method::Binding => return Some(r.to_vec(None, true)),
        _ => &turn_key,
    };
    Some(r.to_vec(Some(Integrity::Sha1(key)), kind & 0x80 == 0))
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mut now = Instant::now();
    let start = now;
    let config = IceConfig {
        controlling: data.first().is_some_and(|b| b & 1 == 1),
        rng_seed: Some(1),
        ..IceConfig::default()
    };
    let mut agent = IceAgent::new(config, now);
    let local: SocketAddr = LOCAL.parse().unwrap();
    agent
        .add_local_candidate(Candidate::host(local, Protocol::Udp, 65535))
        .unwrap();
    agent.add_turn_server(TURN.parse().unwrap(), Protocol::Udp, "user", "pass");
    agent.add_stun_server(TURN.parse().unwrap());
    agent.set_remote_credentials("rfrag", REMOTE_PWD);
    for p in &PEERS[..3] {
        let c = format!(
            "candidate:1 1 udp 2122260223 {} {} typ host",
            p.rsplit_once(':')
                .unwrap()
                .0
                .trim_matches(|c| c == '[' || c == ']'),
            p.rsplit_once(':').unwrap().1
        );
        let _ = agent.add_remote_candidate(Candidate::parse(&c).unwrap());
    }
    let mut last_sent: Vec<Transmit> = Vec::new();
    while let Some(op) = input.byte() {
        let from: SocketAddr = PEERS[(op >> 4) as usize % PEERS.len()].parse().unwrap();
        match op % 9 {
            0 => {
                let Some(bytes) = input.bytes() else { break };
                let d = Datagram {
                    local,
                    remote: from,
                    proto: Protocol::Udp,
                    data: bytes,
                };
                let _ = agent.handle_receive(now, d);
            }
            1 => {
                let Some(flags) = input.byte() else { break };
                let Some(tb) = input.u64() else { break };
                let (ufrag, pwd) = {
                    let (u, p) = agent.local_credentials();
                    (u.to_string(), p.to_string())
                };
                let username = format!("{ufrag}:rfrag");
                let mut m = Message::new(
                    Class::Request,
                    Method::Binding,
                    TransactionId::from_bytes([flags; 12]),
                );
                m.push(Attribute::Username(&username));
                m.push(Attribute::Priority(tb as u32));
                if flags & 1 != 0 {
                    m.push(Attribute::IceControlling(tb));
                } else {
                    m.push(Attribute::IceControlled(tb));
                }
                if flags & 2 != 0 {
                    m.push(Attribute::UseCandidate);
                }
                let raw = m.to_vec(Some(Integrity::Sha1(pwd.as_bytes())), flags & 4 != 0);
                let _ = agent.handle_receive(
                    now,
                    Datagram {
                        local,
                        remote: from,
                        proto: Protocol::Udp,
                        data: &raw,
                    },
                );
            }
            2 => {
                let Some(i) = input.byte() else { break };
                if last_sent.is_empty() {
                    continue;
                }
                let req = last_sent[i as usize % last_sent.len()].clone();
                if let Some(resp) = answer(&req, &mut input) {
                    let d = Datagram {
                        local: req.local,
                        remote: req.remote,
                        proto: req.proto,
                        data: &resp,
                    };
                    let _ = agent.handle_receive(now, d);
                }
            }
            3 => {
                let Some(step) = input.byte() else { break };
                now += Duration::from_millis(u64::from(step) * 37);
                agent.handle_timeout(now);
                assert!(agent.poll_timeout().is_none_or(|t| t > now), "timer did not advance");
            }
            4 => {
                let Some(bytes) = input.bytes() else { break };
                if let Ok(s) = std::str::from_utf8(bytes) {
                    if let Ok(c) = Candidate::parse(s) {
                        let _ = agent.add_remote_candidate(c);
                    }
                }
            }
            5 => agent.restart(now),
            6 => agent.set_remote_credentials("rfrag", REMOTE_PWD),
            7 => {
                let Some(bytes) = input.bytes() else { break };
                let _ = agent.send(bytes);
            }
            _ => {
                if let Some(t) = agent.poll_timeout() {
                    // Timers never go backwards by more than the time we skipped.
                    assert!(t + Duration::from_secs(3600) >= start);
                    now = now.max(t);
                    agent.handle_timeout(now);
                    assert!(agent.poll_timeout().is_none_or(|t| t > now), "timer did not advance");
                }
            }
        }
        while let Some(t) = agent.poll_transmit(now) {
            if last_sent.len() >= 16 {
                last_sent.remove(0);
            }
            last_sent.push(t);
        }
        while agent.poll_event().is_some() {}
        let _ = agent.pair_stats();
    }
    agent.close(now);
});
