//! Two complete sans-IO `PeerConnection`s (JSEP, ICE, DTLS, SCTP, DCEP)
//! joined by `testkit::emulator` on virtual time, through 5% loss with
//! reordering and duplication:
//!
//! - 100 MB on a reliable data channel arrive byte-exact (SHA-256);
//! - on an unordered `maxRetransmits: 0` channel next to it, messages really
//!   are given up (fewer arrive than were sent), and what arrives is intact.
//!
//! (`crates/sctp/tests/pair.rs` covers the same at the SCTP association
//! level; this is the same traffic through the whole data-channel stack.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{Context, SHA256};
use rtcpeer_proto::dcep::{ChannelId, DataChannelInit, ReadyState};
use rtcpeer_proto::{Event, PeerConnection};
use testkit::emulator::{Emulator, LinkConfig};

const A: usize = 0;
const B: usize = 1;

struct Net {
    pcs: [PeerConnection; 2],
    addrs: [SocketAddr; 2],
    net: Emulator,
    now: Instant,
    /// Events each side produced that the test has not looked at yet.
    events: [Vec<Event>; 2],
}

impl Net {
    fn new(seed: u64, link: LinkConfig) -> Net {
        let mut net = Emulator::new(seed);
        net.link_both(A, B, link);
        Net {
            pcs: [
                PeerConnection::new(Default::default()).unwrap(),
                PeerConnection::new(Default::default()).unwrap(),
            ],
            addrs: [
                "10.0.0.1:5000".parse().unwrap(),
                "10.0.0.2:5000".parse().unwrap(),
            ],
            net,
            now: Instant::now(),
            events: [Vec::new(), Vec::new()],
        }
    }

    /// Sends what both sides queued, trickles candidates, keeps the rest of
    /// the events.
    fn flush(&mut self) {
        for who in [A, B] {
            while let Some(t) = self.pcs[who].poll_transmit() {
                let to = if t.remote == self.addrs[A] { A } else { B };
                self.net.send(who, to, t.data, self.now);
            }
            while let Some(e) = self.pcs[who].poll_event() {
                match e {
                    Event::IceCandidate(c) => {
                        let other = &mut self.pcs[1 - who];
                        let _ = other.add_ice_candidate(c);
                        // As the async layer does after every API call.
                        other.handle_timeout(self.now);
                    }
                    e => self.events[who].push(e),
                }
            }
        }
    }

    /// Delivers what is due, runs due timers, moves time to the next thing.
    fn step(&mut self) {
        self.flush();
        while let Some((from, to, d)) = self.net.poll_deliver_from(self.now) {
            let (local, remote) = (self.addrs[to], self.addrs[from]);
            self.pcs[to].handle_receive(self.now, local, remote, &d);
            self.flush();
        }
        for who in [A, B] {
            if self.pcs[who].poll_timeout().is_some_and(|t| t <= self.now) {
                self.pcs[who].handle_timeout(self.now);
            }
        }
        self.flush();
        let next = [
            self.pcs[A].poll_timeout(),
            self.pcs[B].poll_timeout(),
            self.net.next_event_time(),
        ]
        .into_iter()
        .flatten()
        .min();
        // Virtual time: jump to the next event (at least 1 µs forward when a
        // timer is already due, so a busy timer cannot stall the clock).
        self.now = match next {
            Some(t) if t > self.now => t,
            _ => self.now + Duration::from_micros(1),
        };
    }

    /// Offer from A, answer from B, host candidates on both.
    fn negotiate(&mut self) {
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

fn lossy_link() -> LinkConfig {
    LinkConfig {
        loss: 0.05,
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(2),
        reorder: 0.03,
        reorder_delay: Duration::from_millis(8),
        duplicate: 0.02,
        ..LinkConfig::default()
    }
}

/// Message `i`: `len` bytes of xorshift64 output seeded by `i`.
fn message(i: u32, len: usize) -> Vec<u8> {
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

#[test]
fn hundred_megabytes_reliable_and_an_unreliable_channel_through_loss() {
    const TOTAL: usize = 100_000_000;

    const UNRELIABLE: u32 = 400;
    let mut n = Net::new(11, lossy_link());
    let bulk = n.pcs[A]
        .create_data_channel("bulk", DataChannelInit::default())
        .unwrap();
    let lossy = n.pcs[A]
        .create_data_channel(
            "lossy",
            DataChannelInit {
                ordered: false,
                max_retransmits: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
    n.negotiate();

    // Both channels open on both sides.
    let limit = n.now + Duration::from_secs(120);
    let mut remote: Vec<(ChannelId, String)> = Vec::new();
    while n.now < limit {
        n.step();
        for e in n.events[B].drain(..) {
            if let Event::DataChannel(id) = e {
                let label = n.pcs[B].data_channel(id).unwrap().label.clone();
                remote.push((id, label));
            }
        }
        let open = |pc: &PeerConnection, id| {
            pc.data_channel(id)
                .is_some_and(|c| c.ready_state == ReadyState::Open)
        };
        if remote.len() == 2 && open(&n.pcs[A], bulk) && open(&n.pcs[A], lossy) {
            break;
        }
    }
    assert_eq!(remote.len(), 2, "both channels announced through the loss");
    let id_of = |label: &str| remote.iter().find(|(_, l)| l == label).unwrap().0;
    let (bulk_b, lossy_b) = (id_of("bulk"), id_of("lossy"));

    // The unreliable channel first: 400 messages at once into a lossy path.
    for i in 0..UNRELIABLE {
        n.pcs[A].send_data(lossy, &message(i, 1_000), true).unwrap();
    }

    // Then 100 MB reliable, paced by bufferedAmount.
    let mut sent_hash = Context::new(&SHA256);
    let mut got_hash = Context::new(&SHA256);
    let (mut sent, mut got, mut i) = (0usize, 0usize, 0u32);
    let mut unreliable = Vec::new();
    let limit = n.now + Duration::from_secs(3_600);
    while got < TOTAL && n.now < limit {
        while sent < TOTAL && n.pcs[A].data_channel(bulk).unwrap().buffered_amount < 4 << 20 {
            let len = (64 * 1024).min(TOTAL - sent);
            let m = message(1_000_000 + i, len);
            sent_hash.update(&m);
            n.pcs[A].send_data(bulk, &m, true).unwrap();
            sent += len;
            i += 1;
        }
        n.step();
        for e in n.events[B].drain(..) {
            if let Event::DataChannelMessage { channel, data, .. } = e {
                if channel == bulk_b {
                    got += data.len();
                    got_hash.update(&data);
                } else if channel == lossy_b {
                    unreliable.push(data);
                }
            }
        }
        n.events[A].clear();
    }
    assert_eq!(got, TOTAL, "every reliable byte arrived");
    assert_eq!(
        sent_hash.finish().as_ref(),
        got_hash.finish().as_ref(),
        "byte-exact"
    );
    // The unreliable channel really dropped, and delivered only intact messages.
    assert!(
        (unreliable.len() as u32) < UNRELIABLE,
        "maxRetransmits 0 gave some messages up ({} of {UNRELIABLE} arrived)",
        unreliable.len()
    );
    assert!(
        unreliable.len() as u32 > UNRELIABLE / 2,
        "most unreliable messages arrived ({})",
        unreliable.len()
    );
    let sent_unreliable: std::collections::HashSet<Vec<u8>> =
        (0..UNRELIABLE).map(|i| message(i, 1_000)).collect();
    for m in &unreliable {
        assert!(
            sent_unreliable.contains(m),
            "an unreliable message arrived intact"
        );
    }
    let stats = n.net.stats(A, B);
    assert!(
        stats.lost > 0 && stats.duplicated > 0 && stats.reordered > 0,
        "{stats:?}"
    );
}
