//! DTLS (`DtlsTransport` over dimpl) as server or client, DTLS 1.2, 1.3 or
//! either, started before or after the input arrives, fed a sequence of
//! arbitrary datagrams with time moving between them: nothing panics, and a
//! closed transport is `closed` (or stays `failed`), has no timer and sends
//! nothing more.
//!
//! Input: one selector byte, then datagrams, each a big-endian u16 length
//! and that many bytes. `scripts/capture-seeds` writes Chromium's and
//! Firefox's real handshake flights in this form to `seeds/dtls/`.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcpeer_proto::certificate::Certificate;
use rtcpeer_proto::dtls::{DtlsConfig, DtlsRole, DtlsState, DtlsTransport, DtlsVersionPolicy};

static CERT: OnceLock<Certificate> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut rest)) = data.split_first() else { return };
    let cert = CERT
        .get_or_init(|| Certificate::generate(Default::default()).expect("a certificate"))
        .clone();
    let policy = [DtlsVersionPolicy::Auto, DtlsVersionPolicy::Dtls12, DtlsVersionPolicy::Dtls13]
        [sel as usize % 3];
    let config = DtlsConfig {
        client_versions: policy,
        server_versions: policy,
        server_cookie: sel & 0x10 != 0,
        ..Default::default()
    };
    let mut t = DtlsTransport::new(cert, config);
    let role = if sel & 4 == 0 { DtlsRole::Server } else { DtlsRole::Client };
    let late_start = sel & 8 != 0;
    let mut now = Instant::now();
    if !late_start {
        let _ = t.start(role, now);
    }
    let mut i = 0u64;
    while rest.len() >= 2 {
        let len = (u16::from_be_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        let datagram = &rest[2..2 + len];
        rest = &rest[2 + len..];
        t.handle_receive(now, datagram);
        i += 1;
        // Time moves on now and then (up to 2.5 s), so flights retransmit.
        now += Duration::from_millis(u64::from(datagram.first().copied().unwrap_or(0)) * 10 * (i % 2));
        if t.poll_timeout().is_some_and(|at| at <= now) {
            t.handle_timeout(now);
        }
        while t.poll_transmit().is_some() {}
        while t.poll_event().is_some() {}
        let _ = t.send_application_data(b"fuzz");
        let _ = t.max_application_data_len();
    }
    if late_start {
        let _ = t.start(role, now);
        while t.poll_transmit().is_some() {}
    }
    let _ = t.stats();
    t.close();
    while t.poll_event().is_some() {}
    while t.poll_transmit().is_some() {}
    assert!(matches!(t.state(), DtlsState::Closed | DtlsState::Failed), "{:?}", t.state());
    assert!(t.poll_timeout().is_none(), "no timer after close");
    assert!(t.send_application_data(b"after close").is_err());
    t.handle_receive(now, &[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(t.poll_transmit().is_none(), "a closed transport sends nothing");
});
