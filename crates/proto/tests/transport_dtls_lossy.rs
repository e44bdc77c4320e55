//! DTLS handshakes and data over a seeded lossy, duplicating, reordering link
//! on virtual time, and hostile datagrams thrown at connected transports.

use std::time::{Duration, Instant};

use rtcpeer_proto::certificate::{Certificate, CertificateParams, FingerprintAlgorithm};
use rtcpeer_proto::dtls::{
    DtlsConfig, DtlsEvent, DtlsRole, DtlsState, DtlsTransport, DtlsVersionPolicy,
};

/// xorshift64*: a small deterministic generator, so every run is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A datagram on its way, due at `at`.
struct InFlight {
    at: Instant,
    to_server: bool,
    data: Vec<u8>,
}

struct Link {
    rng: Rng,
    loss: u64,
    duplicate: u64,
    /// Extra delay up to this many ms, so datagrams overtake each other.
    jitter_ms: u64,
    queue: Vec<InFlight>,
}

impl Link {
    fn send(&mut self, now: Instant, to_server: bool, data: Vec<u8>) {
        if self.rng.chance(self.loss) {
            return;
        }
        let copies = if self.rng.chance(self.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = Duration::from_millis(5 + self.rng.next() % (self.jitter_ms + 1));
            self.queue.push(InFlight {
                at: now + delay,
                to_server,
                data: data.clone(),
            });
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.queue.iter().map(|f| f.at).min()
    }

    fn take_due(&mut self, now: Instant) -> Vec<InFlight> {
        let (due, rest) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|f| f.at <= now);
        self.queue = rest;
        due
    }
}

fn cert() -> Certificate {
    Certificate::generate(CertificateParams::default()).expect("P-256 generates")
}

fn expect(c: &Certificate) -> Vec<rtcpeer_proto::certificate::RemoteFingerprint> {
    vec![c
        .fingerprint(FingerprintAlgorithm::Sha256)
        .to_remote()
        .expect("parses")]
}

/// Runs a handshake plus `messages` records each way over the link; returns
/// what each side received.
fn run(version: DtlsVersionPolicy, seed: u64, loss: u64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (cc, sc) = (cert(), cert());
    let mut now = Instant::now();
    let config = DtlsConfig {
        client_versions: version,
        flight_start_rto: Duration::from_millis(100),
        handshake_timeout: Duration::from_secs(120),
        ..Default::default()
    };
    let mut client = DtlsTransport::new(cc.clone(), config.clone());
    let mut server = DtlsTransport::new(sc.clone(), config);
    client.set_remote_fingerprints(expect(&sc));
    server.set_remote_fingerprints(expect(&cc));
    server.start(DtlsRole::Server, now).unwrap();
    client.start(DtlsRole::Client, now).unwrap();
    let mut link = Link {
        rng: Rng(seed),
        loss,
        duplicate: 10,
        jitter_ms: 30,
        queue: Vec::new(),
    };
    let (mut at_client, mut at_server) = (Vec::new(), Vec::new());
    let mut sent = false;
    for _ in 0..20_000 {
        while let Some(d) = client.poll_transmit() {
            link.send(now, true, d);
        }
        while let Some(d) = server.poll_transmit() {
            link.send(now, false, d);
        }
        for (t, sink) in [(&mut client, &mut at_client), (&mut server, &mut at_server)] {
            while let Some(e) = t.poll_event() {
                match e {
                    DtlsEvent::ApplicationData(d) => sink.push(d),
                    DtlsEvent::Failed(e) => panic!("seed {seed}: failed: {e}"),
                    _ => {}
                }
            }
        }
        let both = client.state() == DtlsState::Connected && server.state() == DtlsState::Connected;
        if both && !sent {
            // Application data is not retransmitted by DTLS: send it once
            // and count what arrives (SCTP above does the recovery).
            for i in 0..20u8 {
                client.send_application_data(&[i; 300]).unwrap();
                server.send_application_data(&[i; 200]).unwrap();
            }
            sent = true;
            continue;
        }
        if sent && link.queue.is_empty() {
            break;
        }
        let next = [
            client.poll_timeout(),
            server.poll_timeout(),
            link.next_due(),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("something is always pending until done");
        now = now.max(next);
        for f in link.take_due(now) {
            let t = if f.to_server {
                &mut server
            } else {
                &mut client
            };
            t.handle_receive(now, &f.data);
        }
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    assert!(sent, "seed {seed}: the handshake did not finish");
    (at_client, at_server)
}

#[test]
fn handshakes_survive_loss_duplication_and_reordering() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        for seed in 1..=8u64 {
            let (at_client, at_server) = run(version, seed * 7919, 20);
            // Whatever arrived is intact; duplicates are not delivered twice.
            for d in &at_server {
                assert_eq!(d.len(), 300);
                assert!(d.iter().all(|b| *b == d[0]));
            }
            for d in &at_client {
                assert_eq!(d.len(), 200);
            }
            let mut firsts: Vec<u8> = at_server.iter().map(|d| d[0]).collect();
            firsts.sort_unstable();
            firsts.dedup();
            assert_eq!(
                firsts.len(),
                at_server.len(),
                "{version:?} seed {seed}: a replay got through"
            );
            // With 20% loss most of the 20 records arrive.
            assert!(
                at_server.len() >= 8,
                "{version:?} seed {seed}: {}",
                at_server.len()
            );
        }
    }
}

#[test]
fn a_perfect_link_delivers_everything() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let (at_client, at_server) = run(version, 42, 0);
        // Duplicates and reordering, but no loss: every record exactly once.
        let mut got: Vec<u8> = at_server.iter().map(|d| d[0]).collect();
        got.sort_unstable();
        assert_eq!(got, (0..20).collect::<Vec<u8>>(), "{version:?}");
        assert_eq!(at_client.len(), 20);
    }
}

#[test]
fn connected_transports_shrug_off_garbage() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let (cc, sc) = (cert(), cert());
        let now = Instant::now();
        let config = DtlsConfig {
            client_versions: version,
            ..Default::default()
        };
        let mut client = DtlsTransport::new(cc.clone(), config.clone());
        let mut server = DtlsTransport::new(sc.clone(), config);
        client.set_remote_fingerprints(expect(&sc));
        server.set_remote_fingerprints(expect(&cc));
        server.start(DtlsRole::Server, now).unwrap();
        client.start(DtlsRole::Client, now).unwrap();
        let mut captured = Vec::new();
        for _ in 0..20 {
            while let Some(d) = client.poll_transmit() {
                captured.push(d.clone());
                server.handle_receive(now, &d);
            }
            while let Some(d) = server.poll_transmit() {
                captured.push(d.clone());
                client.handle_receive(now, &d);
            }
        }
        assert_eq!(client.state(), DtlsState::Connected);
        assert_eq!(server.state(), DtlsState::Connected);

        let mut rng = Rng(0xdead_beef);
        for i in 0..3_000 {
            // Mutated copies of real datagrams (replays, bit flips,
            // truncations) and plain noise in the DTLS byte range.
            let mut d = captured[i % captured.len()].clone();
            match rng.next() % 4 {
                0 => {}
                1 => {
                    let at = (rng.next() as usize) % d.len();
                    d[at] ^= 1 << (rng.next() % 8);
                }
                2 => d.truncate((rng.next() as usize) % d.len()),
                _ => {
                    let len = (rng.next() % 300) as usize;
                    d = (0..len).map(|_| rng.next() as u8).collect();
                    if let Some(b) = d.first_mut() {
                        *b = 20 + *b % 44;
                    }
                }
            }
            let target = if i % 2 == 0 { &mut client } else { &mut server };
            target.handle_receive(now, &d);
            while target.poll_transmit().is_some() {}
        }
        // A record from a peer still gets through afterwards.
        while client.poll_event().is_some() {}
        while server.poll_event().is_some() {}
        assert_eq!(client.state(), DtlsState::Connected, "{version:?}");
        assert_eq!(server.state(), DtlsState::Connected, "{version:?}");
        client.send_application_data(b"still here").unwrap();
        while let Some(d) = client.poll_transmit() {
            server.handle_receive(now, &d);
        }
        let mut got = Vec::new();
        while let Some(e) = server.poll_event() {
            if let DtlsEvent::ApplicationData(d) = e {
                got.push(d);
            }
        }
        assert_eq!(got, vec![b"still here".to_vec()], "{version:?}");
    }
}
