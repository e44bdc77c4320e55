//! Unit tests of the DTLS transport's own logic (the handshake pair tests are
//! in `tests/transport_dtls.rs`).

use super::*;
use crate::certificate::CertificateParams;

fn transport() -> DtlsTransport {
    let cert = Certificate::generate(CertificateParams::default()).expect("P-256 generates");
    DtlsTransport::new(cert, DtlsConfig::default())
}

#[test]
fn states_have_w3c_names() {
    let names: Vec<_> = [
        DtlsState::New,
        DtlsState::Connecting,
        DtlsState::Connected,
        DtlsState::Closed,
        DtlsState::Failed,
    ]
    .into_iter()
    .map(DtlsState::as_str)
    .collect();
    assert_eq!(
        names,
        ["new", "connecting", "connected", "closed", "failed"]
    );
    assert_eq!(
        DtlsError::FingerprintMismatch.error_detail(),
        "fingerprint-failure"
    );
    assert_eq!(
        DtlsError::Protocol("x".into()).error_detail(),
        "dtls-failure"
    );
}

#[test]
fn keying_material_splits_as_rfc5764_says() {
    let material: Vec<u8> = (0..56).collect(); // AES-128-GCM: 2 * (16 + 12)
    let km = SrtpKeyingMaterial::split(SrtpProfile::AeadAes128Gcm, &material).unwrap();
    assert_eq!(km.client_key, (0..16).collect::<Vec<u8>>());
    assert_eq!(km.server_key, (16..32).collect::<Vec<u8>>());
    assert_eq!(km.client_salt, (32..44).collect::<Vec<u8>>());
    assert_eq!(km.server_salt, (44..56).collect::<Vec<u8>>());
    assert_eq!(km.local(DtlsRole::Client), km.remote(DtlsRole::Server));
    assert_eq!(km.local(DtlsRole::Server).0, &km.server_key[..]);
    assert!(SrtpKeyingMaterial::split(SrtpProfile::AeadAes128Gcm, &material[1..]).is_none());
    let cm: Vec<u8> = vec![0; 60];
    assert!(SrtpKeyingMaterial::split(SrtpProfile::Aes128CmSha1_80, &cm).is_some());
    assert!(!format!("{km:?}").contains("client_key"));
}

#[test]
fn a_new_transport_keeps_early_dtls_datagrams_only() {
    let mut t = transport();
    let now = Instant::now();
    assert_eq!(t.state(), DtlsState::New);
    assert_eq!(t.poll_timeout(), None);
    assert!(!is_dtls_datagram(&[0x00, 1, 2]));
    assert!(is_dtls_datagram(&[22, 0xfe, 0xfd]));
    t.handle_receive(now, &[0x00, 1, 2]); // STUN range: not ours
    for _ in 0..EARLY_DATAGRAMS + 3 {
        t.handle_receive(now, &[22, 0xfe, 0xfd]);
    }
    assert_eq!(t.early.len(), EARLY_DATAGRAMS);
    assert_eq!(t.stats().packets_dropped, 4);
    assert_eq!(
        t.send_application_data(b"x"),
        Err(DtlsCallError::NotConnected("new"))
    );
}

#[test]
fn a_started_client_sends_a_client_hello_and_wants_a_timer() {
    let mut t = transport();
    let now = Instant::now();
    t.start(DtlsRole::Client, now).unwrap();
    assert_eq!(
        t.start(DtlsRole::Client, now),
        Err(DtlsCallError::AlreadyStarted)
    );
    assert_eq!(t.state(), DtlsState::Connecting);
    let hello = t.poll_transmit().expect("a ClientHello");
    assert_eq!(hello[0], 22, "a handshake record");
    assert!(hello.len() <= DtlsConfig::default().datagram_budget);
    assert!(t.poll_timeout().is_some_and(|at| at > now));
    let stats = t.stats();
    assert_eq!(stats.dtls_role, "client");
    assert_eq!(stats.dtls_state, "connecting");
    assert_eq!(stats.packets_sent, 1);
}

#[test]
fn garbage_does_not_panic_a_server() {
    let mut t = transport();
    let now = Instant::now();
    t.start(DtlsRole::Server, now).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..2_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 200) as usize;
        let mut d: Vec<u8> = (0..len).map(|j| (seed >> (j % 56)) as u8).collect();
        if let Some(first) = d.first_mut() {
            *first = 20 + (i % 4) as u8;
        }
        t.handle_receive(now, &d);
        while t.poll_transmit().is_some() {}
        while t.poll_event().is_some() {}
    }
    // Whatever happened, the state is one of the defined ones and the
    // server never claims to be connected to noise.
    assert_ne!(t.state(), DtlsState::Connected);
}
