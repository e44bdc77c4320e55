//! Unit tests of the transport's state derivation and demux.

use super::*;

#[test]
fn connection_state_follows_the_w3c_table() {
    use IceConnectionState as I;
    assert_eq!(
        connection_state(I::New, DtlsState::New),
        PeerConnectionState::New
    );
    assert_eq!(
        connection_state(I::Checking, DtlsState::New),
        PeerConnectionState::Connecting
    );
    assert_eq!(
        connection_state(I::Connected, DtlsState::Connecting),
        PeerConnectionState::Connecting
    );
    assert_eq!(
        connection_state(I::Connected, DtlsState::Connected),
        PeerConnectionState::Connected
    );
    assert_eq!(
        connection_state(I::Completed, DtlsState::Connected),
        PeerConnectionState::Connected
    );
    assert_eq!(
        connection_state(I::Disconnected, DtlsState::Connected),
        PeerConnectionState::Disconnected
    );
    assert_eq!(
        connection_state(I::Connected, DtlsState::Failed),
        PeerConnectionState::Failed
    );
    assert_eq!(
        connection_state(I::Failed, DtlsState::New),
        PeerConnectionState::Failed
    );
    // The peer's close_notify leaves DTLS closed: still connected by the
    // table (connected/completed/closed ICE, connected/closed DTLS).
    assert_eq!(
        connection_state(I::Connected, DtlsState::Closed),
        PeerConnectionState::Connected
    );
    assert_eq!(
        connection_state(I::Checking, DtlsState::Closed),
        PeerConnectionState::Connecting
    );
    assert_eq!(
        connection_state(I::Closed, DtlsState::Closed),
        PeerConnectionState::Closed
    );
}

#[test]
fn datagrams_before_ice_or_of_no_protocol_are_dropped_and_counted() {
    let cert = Certificate::generate(Default::default()).expect("a certificate");
    let mut t = Transport::new(cert);
    let now = Instant::now();
    let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
    t.handle_receive(now, a, b, &[200, 1, 2]);
    assert_eq!(t.counters().unknown_dropped, 1);
    t.start_ice("ufrag", "passwordpasswordpassword", true, now);
    assert!(t.add_host(a).is_some_and(|l| l.starts_with("candidate:")));
    t.handle_receive(now, a, b, &[150, 1, 2]);
    assert_eq!(t.counters().srtp_dropped, 1);
    t.handle_receive(now, a, b, &[]);
    assert!(t.poll_transmit().is_none(), "nothing to answer");
}
