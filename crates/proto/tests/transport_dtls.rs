//! Two `DtlsTransport`s back to back in memory, on virtual time.

use std::time::{Duration, Instant};

use rtcpeer_proto::certificate::{Certificate, CertificateParams, FingerprintAlgorithm};
use rtcpeer_proto::dtls::{
    DtlsCallError, DtlsConfig, DtlsError, DtlsEvent, DtlsRole, DtlsState, DtlsTransport,
    DtlsVersionPolicy, SrtpKeyingMaterial,
};

fn cert() -> Certificate {
    Certificate::generate(CertificateParams::default()).expect("P-256 generates")
}

fn fingerprint_of(c: &Certificate) -> Vec<rtcpeer_proto::certificate::RemoteFingerprint> {
    vec![c
        .fingerprint(FingerprintAlgorithm::Sha256)
        .to_remote()
        .expect("our own fingerprint parses")]
}

/// What one side reported.
#[derive(Default)]
struct Seen {
    connected: usize,
    keys: Vec<SrtpKeyingMaterial>,
    data: Vec<Vec<u8>>,
    closed: usize,
    failed: Vec<DtlsError>,
}

impl Seen {
    fn take(&mut self, t: &mut DtlsTransport) {
        while let Some(e) = t.poll_event() {
            match e {
                DtlsEvent::Connected => self.connected += 1,
                DtlsEvent::KeyingMaterial(k) => self.keys.push(k),
                DtlsEvent::ApplicationData(d) => self.data.push(d),
                DtlsEvent::Closed => self.closed += 1,
                DtlsEvent::Failed(e) => self.failed.push(e),
            }
        }
    }
}

/// A client and a server joined by a link that may drop datagrams.
struct Pair {
    now: Instant,
    client: DtlsTransport,
    server: DtlsTransport,
    client_seen: Seen,
    server_seen: Seen,
    /// Datagrams sent by the client so far (index used by `drop_client`).
    client_sent: usize,
    /// The largest datagram either side sent.
    largest_datagram: usize,
    drop_client: Box<dyn FnMut(usize) -> bool>,
}

impl Pair {
    fn new(client_versions: DtlsVersionPolicy, server_versions: DtlsVersionPolicy) -> Pair {
        let (cc, sc) = (cert(), cert());
        Pair::with(
            cc.clone(),
            sc.clone(),
            DtlsConfig {
                client_versions,
                ..Default::default()
            },
            DtlsConfig {
                server_versions,
                ..Default::default()
            },
            fingerprint_of(&sc),
            fingerprint_of(&cc),
        )
    }

    fn with(
        client_cert: Certificate,
        server_cert: Certificate,
        client_config: DtlsConfig,
        server_config: DtlsConfig,
        client_expects: Vec<rtcpeer_proto::certificate::RemoteFingerprint>,
        server_expects: Vec<rtcpeer_proto::certificate::RemoteFingerprint>,
    ) -> Pair {
        let now = Instant::now();
        let mut client = DtlsTransport::new(client_cert, client_config);
        let mut server = DtlsTransport::new(server_cert, server_config);
        if !client_expects.is_empty() {
            client.set_remote_fingerprints(client_expects);
        }
        if !server_expects.is_empty() {
            server.set_remote_fingerprints(server_expects);
        }
        server.start(DtlsRole::Server, now).unwrap();
        client.start(DtlsRole::Client, now).unwrap();
        Pair {
            now,
            client,
            server,
            client_seen: Seen::default(),
            server_seen: Seen::default(),
            client_sent: 0,
            largest_datagram: 0,
            drop_client: Box::new(|_| false),
        }
    }

    /// Delivers datagrams both ways until both are quiet.
    fn exchange(&mut self) {
        loop {
            let mut moved = false;
            while let Some(d) = self.client.poll_transmit() {
                moved = true;
                self.largest_datagram = self.largest_datagram.max(d.len());
                let index = self.client_sent;
                self.client_sent += 1;
                if !(self.drop_client)(index) {
                    self.server.handle_receive(self.now, &d);
                }
            }
            while let Some(d) = self.server.poll_transmit() {
                moved = true;
                self.largest_datagram = self.largest_datagram.max(d.len());
                self.client.handle_receive(self.now, &d);
            }
            self.client_seen.take(&mut self.client);
            self.server_seen.take(&mut self.server);
            if !moved {
                break;
            }
        }
    }

    /// Exchanges, advancing virtual time to the next timer, until `done` or
    /// no timer is left (or `max_steps` timers fired).
    fn run_until(&mut self, max_steps: usize, done: impl Fn(&Pair) -> bool) {
        self.exchange();
        for _ in 0..max_steps {
            if done(self) {
                return;
            }
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { return };
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
            self.exchange();
        }
    }

    fn connect(&mut self) {
        self.run_until(100, |p| {
            p.client.state() == DtlsState::Connected && p.server.state() == DtlsState::Connected
        });
        assert_eq!(
            self.client.state(),
            DtlsState::Connected,
            "{:?}",
            self.client_seen.failed
        );
        assert_eq!(
            self.server.state(),
            DtlsState::Connected,
            "{:?}",
            self.server_seen.failed
        );
    }
}

fn assert_connected_with_shared_keys(p: &Pair) {
    assert_eq!(p.client_seen.connected, 1);
    assert_eq!(p.server_seen.connected, 1);
    assert_eq!(p.client_seen.keys.len(), 1);
    assert_eq!(p.server_seen.keys.len(), 1);
    let (ck, sk) = (&p.client_seen.keys[0], &p.server_seen.keys[0]);
    assert_eq!(ck, sk, "both sides export the same SRTP keys");
    assert_ne!(ck.client_key, ck.server_key);
    assert_eq!(ck.client_key.len(), ck.profile.key_len());
    assert_eq!(ck.server_salt.len(), ck.profile.salt_len());
    // What the client sends with, the server receives with.
    assert_eq!(ck.local(DtlsRole::Client), sk.remote(DtlsRole::Server));
}

fn exchange_data(p: &mut Pair) {
    let big: Vec<u8> = (0..p.client.max_application_data_len())
        .map(|i| i as u8)
        .collect();
    p.client
        .send_application_data(b"hello from client")
        .unwrap();
    p.client.send_application_data(&big).unwrap();
    p.server
        .send_application_data(b"hello from server")
        .unwrap();
    // More records than dimpl's 10-datagram transmit queue, sent in a row.
    for i in 0..50u8 {
        p.server.send_application_data(&[i; 100]).unwrap();
    }
    p.exchange();
    assert_eq!(p.server_seen.data, vec![b"hello from client".to_vec(), big]);
    assert_eq!(p.client_seen.data.len(), 51);
    assert_eq!(p.client_seen.data[0], b"hello from server");
    assert_eq!(p.client_seen.data[50], [49u8; 100]);
    // The largest write that fits makes a datagram of exactly the budget.
    assert_eq!(p.largest_datagram, 1_200);
}

#[test]
fn dtls12_handshake_exchanges_data_and_keys() {
    let mut p = Pair::new(DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Auto);
    p.connect();
    assert_connected_with_shared_keys(&p);
    let (cs, ss) = (p.client.stats(), p.server.stats());
    assert_eq!(cs.tls_version, Some("FEFD"));
    assert_eq!(ss.tls_version, Some("FEFD"));
    assert!(cs
        .dtls_cipher
        .is_some_and(|c| c.starts_with("TLS_ECDHE_ECDSA_WITH_")));
    assert_eq!(cs.dtls_cipher, ss.dtls_cipher);
    assert_eq!(
        cs.srtp_cipher,
        Some(p.client_seen.keys[0].profile.stats_name())
    );
    assert_eq!(
        cs.remote_fingerprint.as_deref(),
        Some(ss.local_fingerprint.as_str())
    );
    assert_eq!(ss.dtls_role, "server");
    assert_eq!(p.client.max_application_data_len(), 1_200 - 37);
    exchange_data(&mut p);
}

#[test]
fn dtls13_handshake_exchanges_data_and_keys() {
    let mut p = Pair::new(DtlsVersionPolicy::Dtls13, DtlsVersionPolicy::Auto);
    p.connect();
    assert_connected_with_shared_keys(&p);
    let (cs, ss) = (p.client.stats(), p.server.stats());
    assert_eq!(cs.tls_version, Some("FEFC"));
    assert_eq!(ss.tls_version, Some("FEFC"));
    assert!(cs
        .dtls_cipher
        .is_some_and(|c| c.starts_with("TLS_AES_") || c.starts_with("TLS_CHACHA")));
    assert_eq!(p.client.max_application_data_len(), 1_200 - 22);
    exchange_data(&mut p);
}

#[test]
fn auto_client_meets_auto_server_on_13_and_a_12_server_on_12() {
    let mut p = Pair::new(DtlsVersionPolicy::Auto, DtlsVersionPolicy::Auto);
    p.connect();
    assert_eq!(p.client.stats().tls_version, Some("FEFC"));
    assert_connected_with_shared_keys(&p);

    let mut p = Pair::new(DtlsVersionPolicy::Auto, DtlsVersionPolicy::Dtls12);
    p.connect();
    assert_eq!(p.client.stats().tls_version, Some("FEFD"));
    assert_connected_with_shared_keys(&p);
    exchange_data(&mut p);
}

#[test]
fn server_cookie_exchange_still_connects() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let (cc, sc) = (cert(), cert());
        let mut p = Pair::with(
            cc.clone(),
            sc.clone(),
            DtlsConfig {
                client_versions: version,
                ..Default::default()
            },
            DtlsConfig {
                server_cookie: true,
                ..Default::default()
            },
            fingerprint_of(&sc),
            fingerprint_of(&cc),
        );
        p.connect();
        assert_connected_with_shared_keys(&p);
    }
}

#[test]
fn p384_certificates_connect() {
    let params = CertificateParams {
        algorithm: rtcpeer_proto::certificate::KeyAlgorithm::EcdsaP384,
        expires: None,
    };
    let (cc, sc) = (
        Certificate::generate(params).unwrap(),
        Certificate::generate(params).unwrap(),
    );
    let mut p = Pair::with(
        cc.clone(),
        sc.clone(),
        DtlsConfig::default(),
        DtlsConfig::default(),
        fingerprint_of(&sc),
        fingerprint_of(&cc),
    );
    p.connect();
    assert_connected_with_shared_keys(&p);
}

#[test]
fn wrong_fingerprint_fails_and_releases_nothing() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let (cc, sc, stranger) = (cert(), cert(), cert());
        // The server expects someone else's certificate.
        let mut p = Pair::with(
            cc,
            sc.clone(),
            DtlsConfig {
                client_versions: version,
                ..Default::default()
            },
            DtlsConfig::default(),
            fingerprint_of(&sc),
            fingerprint_of(&stranger),
        );
        p.run_until(100, |p| p.server.state() == DtlsState::Failed);
        assert_eq!(p.server.state(), DtlsState::Failed);
        assert_eq!(p.server_seen.failed, vec![DtlsError::FingerprintMismatch]);
        assert_eq!(p.server_seen.connected, 0);
        assert!(p.server_seen.keys.is_empty());
        assert_eq!(p.server.poll_timeout(), None);
        assert!(matches!(
            p.server.send_application_data(b"x"),
            Err(DtlsCallError::NotConnected("failed"))
        ));
    }
}

#[test]
fn client_rejects_a_server_with_the_wrong_certificate() {
    let (cc, sc, stranger) = (cert(), cert(), cert());
    let mut p = Pair::with(
        cc.clone(),
        sc,
        DtlsConfig::default(),
        DtlsConfig::default(),
        fingerprint_of(&stranger),
        fingerprint_of(&cc),
    );
    p.run_until(100, |p| p.client.state() == DtlsState::Failed);
    assert_eq!(p.client_seen.failed, vec![DtlsError::FingerprintMismatch]);
    assert_eq!(p.client_seen.connected, 0);
    assert_eq!(
        p.client_seen.failed[0].error_detail(),
        "fingerprint-failure"
    );
}

#[test]
fn nothing_is_released_until_fingerprints_are_known() {
    let (cc, sc) = (cert(), cert());
    let mut p = Pair::with(
        cc.clone(),
        sc.clone(),
        DtlsConfig::default(),
        DtlsConfig::default(),
        Vec::new(), // the client has not seen the answer yet
        fingerprint_of(&cc),
    );
    p.run_until(100, |p| p.server.state() == DtlsState::Connected);
    assert_eq!(p.server.state(), DtlsState::Connected);
    p.server.send_application_data(b"early").unwrap();
    p.exchange();
    assert_eq!(p.client.state(), DtlsState::Connecting);
    assert_eq!(p.client_seen.connected, 0);
    assert!(p.client_seen.keys.is_empty() && p.client_seen.data.is_empty());
    assert!(p.client.remote_certificate().is_some());

    p.client.set_remote_fingerprints(fingerprint_of(&sc));
    p.client_seen.take(&mut p.client);
    assert_eq!(p.client.state(), DtlsState::Connected);
    assert_eq!(p.client_seen.connected, 1);
    assert_eq!(p.client_seen.data, vec![b"early".to_vec()]);
    assert_connected_with_shared_keys(&p);
}

#[test]
fn close_notify_reaches_the_peer() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let mut p = Pair::new(version, DtlsVersionPolicy::Auto);
        p.connect();
        p.client.close();
        assert_eq!(p.client.state(), DtlsState::Closed);
        p.exchange();
        assert_eq!(p.server_seen.closed, 1, "{version:?}");
        assert_eq!(p.server.state(), DtlsState::Closed);
        assert_eq!(p.client_seen.closed, 0, "no event for a local close");
        assert!(p.server.send_application_data(b"x").is_err());
    }
}

#[test]
fn a_lost_first_flight_is_retransmitted_on_virtual_time() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let mut p = Pair::new(version, DtlsVersionPolicy::Auto);
        p.drop_client = Box::new(|i| i == 0); // lose the first ClientHello
        let start = p.now;
        p.exchange();
        assert_eq!(p.server.stats().packets_received, 0);
        let first_timer = p.client.poll_timeout().expect("a retransmission timer");
        assert!(first_timer > start);
        p.connect();
        assert!(p.now >= first_timer, "connecting needed the timer to fire");
        assert!(p.client_sent >= 2);
        assert_connected_with_shared_keys(&p);
    }
}

#[test]
fn connected_idle_transports_have_no_timer() {
    for version in [DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13] {
        let mut p = Pair::new(version, DtlsVersionPolicy::Auto);
        p.connect();
        // Data both ways: the server knows the client finished too.
        p.client.send_application_data(b"ping").unwrap();
        p.server.send_application_data(b"pong").unwrap();
        p.exchange();
        p.run_until(100, |p| {
            p.client.poll_timeout().is_none() && p.server.poll_timeout().is_none()
        });
        // No distant "idle" deadline either: nothing is left to wake for.
        assert_eq!(p.client.poll_timeout(), None, "{version:?}");
        assert_eq!(p.server.poll_timeout(), None, "{version:?}");
        assert_eq!(p.client.state(), DtlsState::Connected);
        assert_eq!(p.server.state(), DtlsState::Connected);
        assert_eq!(p.server_seen.data, vec![b"ping".to_vec()]);
    }
}

#[test]
fn an_unanswered_handshake_times_out() {
    let config = DtlsConfig {
        handshake_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let (cc, sc) = (cert(), cert());
    let mut p = Pair::with(
        cc.clone(),
        sc.clone(),
        config,
        DtlsConfig::default(),
        fingerprint_of(&sc),
        fingerprint_of(&cc),
    );
    p.drop_client = Box::new(|_| true);
    p.run_until(1_000, |p| p.client.state() == DtlsState::Failed);
    assert_eq!(p.client.state(), DtlsState::Failed);
    assert!(matches!(
        p.client_seen.failed.as_slice(),
        [DtlsError::Timeout(_)]
    ));
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn oversized_writes_are_refused_without_harm() {
    let mut p = Pair::new(DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Auto);
    p.connect();
    let huge = vec![0u8; 16_385];
    assert_eq!(
        p.client.send_application_data(&huge),
        Err(DtlsCallError::TooLarge(16_385))
    );
    p.client.send_application_data(&huge[..16_384]).unwrap();
    p.exchange();
    assert_eq!(p.server_seen.data.len(), 1);
    assert_eq!(p.server_seen.data[0].len(), 16_384);
    assert_eq!(p.client.state(), DtlsState::Connected);
}

#[test]
fn data_held_before_fingerprints_is_bounded() {
    let (cc, sc) = (cert(), cert());
    let mut p = Pair::with(
        cc.clone(),
        sc.clone(),
        DtlsConfig::default(),
        DtlsConfig::default(),
        Vec::new(),
        fingerprint_of(&cc),
    );
    p.run_until(100, |p| p.server.state() == DtlsState::Connected);
    let limit = rtcpeer_proto::dtls::HELD_DATA_LIMIT;
    let record = vec![7u8; 1_000];
    let sent = limit / record.len() + 50;
    for _ in 0..sent {
        p.server.send_application_data(&record).unwrap();
        p.exchange();
    }
    p.client.set_remote_fingerprints(fingerprint_of(&sc));
    p.client_seen.take(&mut p.client);
    assert_eq!(p.client.state(), DtlsState::Connected);
    let held: usize = p.client_seen.data.iter().map(Vec::len).sum();
    assert!(held <= limit);
    assert_eq!(p.client_seen.data.len(), limit / record.len());
    assert_eq!(
        p.client.stats().packets_dropped,
        (sent - limit / record.len()) as u64
    );
}

#[test]
fn a_changed_remote_fingerprint_fails_an_established_transport() {
    let mut p = Pair::new(DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Auto);
    p.connect();
    // The same fingerprints again (a renegotiation that keeps them): fine.
    let server_fp = fingerprint_of(p.server.certificate());
    p.client.set_remote_fingerprints(server_fp);
    assert_eq!(p.client.state(), DtlsState::Connected);
    // Different ones: the peer is no longer who the SDP says.
    p.client.set_remote_fingerprints(fingerprint_of(&cert()));
    p.client_seen.take(&mut p.client);
    assert_eq!(p.client.state(), DtlsState::Failed);
    assert_eq!(p.client_seen.failed, vec![DtlsError::FingerprintMismatch]);
}
