//! Two agents on virtual time through an in-test network (see `common`).

mod common;

use std::time::Duration;

use common::{config, FakeTurn, Net};
use rtcpeer_ice::{
    Candidate, CandidateKind, Datagram, IceConnectionState, IceEvent, PairState, Protocol,
};
use rtcpeer_stun::{Attribute, Class, Integrity, Message, Method, TransactionId};

const A: &str = "10.0.0.1:5000";
const B: &str = "10.0.0.2:6000";

fn pair_net(seed: u64) -> Net {
    let mut net = Net::new(seed);
    net.add_peer(config(true, seed), &[A]);
    net.add_peer(config(false, seed + 1), &[B]);
    net
}

fn selected_remote(net: &Net, i: usize) -> Option<std::net::SocketAddr> {
    net.peers[i]
        .agent
        .selected_candidates()
        .map(|(_, r)| r.address)
}

#[test]
fn host_to_host_connects_and_carries_data() {
    let mut net = pair_net(1);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    assert_eq!(selected_remote(&net, 0), Some(B.parse().unwrap()));
    assert_eq!(selected_remote(&net, 1), Some(A.parse().unwrap()));
    // The controlled side learned about the nomination; both saw the pair.
    for p in &net.peers {
        assert!(p
            .events
            .iter()
            .any(|e| matches!(e, IceEvent::SelectedPairChanged { .. })));
        assert_eq!(p.states.first(), Some(&IceConnectionState::Checking));
    }
    assert!(net.send_app(0, b"hello from A"));
    assert!(net.send_app(1, b"hello from B"));
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.peers[1].received, vec![b"hello from A".to_vec()]);
    assert_eq!(net.peers[0].received, vec![b"hello from B".to_vec()]);
    let stats = net.peers[0].agent.pair_stats();
    let sel = stats.iter().find(|s| s.selected).unwrap();
    assert!(sel.nominated);
    assert_eq!(sel.state, PairState::Succeeded);
    assert_eq!((sel.packets_sent, sel.packets_received), (1, 1));
    assert_eq!(sel.bytes_sent, 12);
    assert!(sel.requests_sent >= 1 && sel.responses_received >= 1);
    assert!(sel.current_round_trip_time.is_some());
}

#[test]
fn completes_after_end_of_candidates() {
    let mut net = pair_net(2);
    net.signal_both();
    net.peers[0].agent.end_of_remote_candidates();
    net.peers[1].agent.end_of_remote_candidates();
    assert!(net.run_until(Duration::from_secs(10), |n| {
        n.peers[0].agent.connection_state() == IceConnectionState::Completed
    }));
}

#[test]
fn connects_through_a_lossy_network() {
    for seed in 10..16 {
        let mut net = pair_net(seed);
        net.loss_permille = 300;
        net.signal_both();
        assert!(
            net.run_until(Duration::from_secs(30), |n| n.both_connected()),
            "seed {seed}: {:?} / {:?}",
            net.peers[0].states,
            net.peers[1].states
        );
    }
}

#[test]
fn several_candidates_pick_the_best_pair() {
    let mut net = Net::new(3);
    net.add_peer(config(true, 3), &[A, "10.0.1.1:5001"]);
    net.add_peer(config(false, 4), &[B, "10.0.1.2:6001"]);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    // Highest local preference on both sides: the first sockets.
    assert_eq!(selected_remote(&net, 0), Some(B.parse().unwrap()));
    let (l, _) = net.peers[0].agent.selected_candidates().unwrap();
    assert_eq!(l.address, A.parse().unwrap());
}

#[test]
fn role_conflict_is_repaired() {
    for (a_ctl, b_ctl) in [(true, true), (false, false)] {
        let mut net = Net::new(5);
        net.add_peer(config(a_ctl, 5), &[A]);
        net.add_peer(config(b_ctl, 6), &[B]);
        net.signal_both();
        assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
        let roles = (
            net.peers[0].agent.is_controlling(),
            net.peers[1].agent.is_controlling(),
        );
        assert!(roles.0 != roles.1, "roles after repair: {roles:?}");
        let changed = net
            .peers
            .iter()
            .filter(|p| {
                p.events
                    .iter()
                    .any(|e| matches!(e, IceEvent::RoleChanged { .. }))
            })
            .count();
        assert_eq!(changed, 1);
    }
}

#[test]
fn peer_reflexive_remote_learned_from_checks() {
    // B advertises its private address, but the network shows its packets
    // as coming from a public one (a NAT). A learns B's prflx address.
    let mut net = pair_net(7);
    let public: std::net::SocketAddr = "203.0.113.2:40000".parse().unwrap();
    net.nat.insert(B.parse().unwrap(), public);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    let remotes = net.peers[0].agent.remote_candidates();
    let prflx = remotes
        .iter()
        .find(|c| c.address == public)
        .expect("prflx learned");
    assert_eq!(prflx.kind, CandidateKind::PeerReflexive);
    assert_eq!(selected_remote(&net, 0), Some(public));
    // B learned its own public address from A's answers.
    assert!(net.peers[1]
        .agent
        .local_peer_reflexive_candidates()
        .iter()
        .any(|c| c.address == public));
    assert!(net.send_app(0, b"via nat"));
    net.run_for(Duration::from_millis(50));
    assert_eq!(net.peers[1].received, vec![b"via nat".to_vec()]);
}

#[test]
fn checks_before_remote_credentials_are_answered_later() {
    let mut net = pair_net(8);
    // Only B knows A: B's checks reach A before A has B's credentials.
    net.signal(0, 1);
    net.run_for(Duration::from_millis(300));
    assert!(net.peers[0].agent.counters().queued_requests > 0);
    assert!(!net.connected(0));
    // A learns B's credentials but no candidates: B is found as prflx.
    let (u, p) = {
        let (u, p) = net.peers[1].agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    net.peers[0].agent.set_remote_credentials(&u, &p);
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    assert_eq!(selected_remote(&net, 0), Some(B.parse().unwrap()));
}

#[test]
fn mdns_candidates_wait_for_resolution() {
    let mut net = pair_net(9);
    let (u, p) = {
        let (u, p) = net.peers[1].agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    net.peers[0].agent.set_remote_credentials(&u, &p);
    let port = B.parse::<std::net::SocketAddr>().unwrap().port();
    let mdns = format!("candidate:1 1 udp 2122260223 abcd-1234.local {port} typ host");
    net.peers[0]
        .agent
        .add_remote_candidate(Candidate::parse(&mdns).unwrap())
        .unwrap();
    net.run_for(Duration::from_millis(200));
    assert!(
        net.peers[0].agent.pair_stats().is_empty(),
        "no pair for an unresolved name"
    );
    net.peers[0]
        .agent
        .resolve_remote_candidate("abcd-1234.local", "10.0.0.2".parse().unwrap());
    net.signal(0, 1);
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    assert_eq!(selected_remote(&net, 0), Some(B.parse().unwrap()));
}

#[test]
fn ice_restart_keeps_data_on_old_pair_then_moves() {
    let mut net = pair_net(11);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    let old = net.peers[0].agent.selected_pair_id().unwrap();
    let old_creds = net.peers[0].agent.local_credentials().0.to_string();

    net.peers[0].agent.restart(net.now);
    assert_ne!(net.peers[0].agent.local_credentials().0, old_creds);
    // Before the answer arrives, data still flows over the old pair.
    assert!(net.send_app(0, b"during restart"));
    net.run_for(Duration::from_millis(50));
    assert_eq!(net.peers[1].received, vec![b"during restart".to_vec()]);
    assert_eq!(net.peers[0].agent.selected_pair_id(), Some(old));

    // Offer to B (B restarts too on new remote credentials), answer to A.
    net.signal(0, 1);
    net.signal(1, 0);
    assert!(net.run_until(Duration::from_secs(10), |n| {
        n.peers[0]
            .agent
            .selected_pair_id()
            .is_some_and(|p| p != old)
            && n.both_connected()
    }));
    let changes = net.peers[0]
        .events
        .iter()
        .filter(|e| matches!(e, IceEvent::SelectedPairChanged { .. }))
        .count();
    assert_eq!(changes, 2);
    // The old generation's pairs are gone.
    assert!(net.peers[0].agent.pair_stats().iter().all(|s| s.id != old));
    // Never went through Disconnected/Failed during the restart.
    assert!(!net.peers[0].states.contains(&IceConnectionState::Failed));
    assert!(net.send_app(0, b"after restart"));
    net.run_for(Duration::from_millis(50));
    assert_eq!(net.peers[1].received.last().unwrap(), b"after restart");
}

#[test]
fn consent_loss_goes_disconnected_then_failed() {
    let mut net = pair_net(12);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    // Consent keeps a healthy connection alive for a long while.
    net.run_for(Duration::from_secs(60));
    assert!(net.both_connected());
    let sent = net.peers[0]
        .agent
        .pair_stats()
        .iter()
        .map(|s| s.consent_requests_sent)
        .sum::<u64>();
    assert!(sent >= 8, "consent requests sent in 60 s: {sent}");

    net.blackhole = true;
    assert!(net.run_until(Duration::from_secs(40), |n| {
        n.peers[0].agent.connection_state() == IceConnectionState::Failed
    }));
    let tail: Vec<_> = net.peers[0]
        .states
        .iter()
        .skip_while(|s| **s != IceConnectionState::Disconnected)
        .copied()
        .collect();
    assert_eq!(
        tail,
        vec![IceConnectionState::Disconnected, IceConnectionState::Failed]
    );
    assert!(
        !net.send_app(0, b"no consent"),
        "no data after consent is lost"
    );
}

#[test]
fn disconnected_recovers_when_traffic_returns() {
    let mut net = pair_net(13);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    net.blackhole = true;
    assert!(net.run_until(Duration::from_secs(20), |n| {
        n.peers[0].agent.connection_state() == IceConnectionState::Disconnected
    }));
    net.blackhole = false;
    assert!(net.run_until(Duration::from_secs(10), |n| n.connected(0)));
}

#[test]
fn relay_only_through_turn() {
    let mut net = pair_net(14);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    net.block_direct = true;
    for i in 0..2 {
        let a = &mut net.peers[i].agent;
        a.add_turn_server(
            "192.0.2.100:3478".parse().unwrap(),
            Protocol::Udp,
            "user",
            "pass",
        );
        a.end_of_local_candidates();
    }
    net.run_until(Duration::from_secs(5), |n| {
        n.peers
            .iter()
            .all(|p| p.events.contains(&IceEvent::GatheringComplete))
    });
    for p in &net.peers {
        let relays: Vec<_> = p
            .gathered()
            .into_iter()
            .filter(|c| c.kind == CandidateKind::Relayed)
            .collect();
        assert_eq!(relays.len(), 1, "one relayed candidate each");
        assert_eq!(relays[0].related, Some(p.sockets[0]));
    }
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(20), |n| n.both_connected()));
    let involves_relay = |i: usize| {
        let (l, r) = net.peers[i].agent.selected_candidates().unwrap();
        l.kind == CandidateKind::Relayed || r.kind == CandidateKind::Relayed
    };
    assert!(involves_relay(0) && involves_relay(1));
    // Data both ways, through the server.
    let before = net.turn.as_ref().unwrap().relayed_packets
        + net.turn.as_ref().unwrap().channel_data_packets;
    assert!(net.send_app(0, b"relayed A"));
    assert!(net.send_app(1, b"relayed B"));
    net.run_for(Duration::from_millis(200));
    assert_eq!(net.peers[1].received, vec![b"relayed A".to_vec()]);
    assert_eq!(net.peers[0].received, vec![b"relayed B".to_vec()]);
    let t = net.turn.as_ref().unwrap();
    assert!(t.relayed_packets + t.channel_data_packets > before);
    assert!(t.permissions_created >= 1);
    // The selected relayed pair got a channel; a long call keeps refreshing.
    assert!(t.channels_bound >= 1);
    net.run_for(Duration::from_secs(700));
    assert!(net.both_connected());
    let t = net.turn.as_ref().unwrap();
    assert!(t.refreshes >= 2, "allocation refreshes: {}", t.refreshes);
    assert!(net.send_app(0, b"late"));
    net.run_for(Duration::from_millis(200));
    assert_eq!(net.peers[1].received.last().unwrap(), b"late");
    assert!(net.turn.as_ref().unwrap().channel_data_packets >= 1);
}

#[test]
fn turn_with_bad_credentials_reports_candidate_error() {
    let mut net = pair_net(15);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    let a = &mut net.peers[0].agent;
    a.add_turn_server(
        "192.0.2.100:3478".parse().unwrap(),
        Protocol::Udp,
        "user",
        "wrong",
    );
    a.end_of_local_candidates();
    assert!(net.run_until(Duration::from_secs(5), |n| {
        n.peers[0].events.contains(&IceEvent::GatheringComplete)
    }));
    let errs: Vec<_> = net.peers[0]
        .events
        .iter()
        .filter_map(|e| match e {
            IceEvent::CandidateError { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(errs, vec![401]);
    assert!(net.peers[0].gathered().is_empty());
}

#[test]
fn stun_server_gathering_and_unreachable_server() {
    let mut net = pair_net(16);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    net.nat
        .insert(A.parse().unwrap(), "198.51.100.1:7000".parse().unwrap());
    let a = &mut net.peers[0].agent;
    a.add_stun_server("192.0.2.100:3478".parse().unwrap());
    a.add_stun_server("192.0.2.200:3478".parse().unwrap()); // nobody there
    a.end_of_local_candidates();
    assert!(net.run_until(Duration::from_secs(120), |n| {
        n.peers[0].events.contains(&IceEvent::GatheringComplete)
    }));
    let srflx: Vec<_> = net.peers[0].gathered();
    assert_eq!(srflx.len(), 1);
    assert_eq!(srflx[0].kind, CandidateKind::ServerReflexive);
    assert_eq!(srflx[0].address, "198.51.100.1:7000".parse().unwrap());
    assert!(net.peers[0].events.iter().any(|e| matches!(
        e,
        IceEvent::CandidateError { code: 701, server, .. } if *server == "192.0.2.200:3478".parse().unwrap()
    )));
    // The srflx candidate is signaled.
    assert!(net.peers[0]
        .agent
        .local_candidates()
        .iter()
        .any(|c| c.kind == CandidateKind::ServerReflexive));
}

#[test]
fn hostile_input_is_dropped_and_counted() {
    let mut net = pair_net(17);
    net.signal_both();
    let now = net.now;
    let local = A.parse().unwrap();
    let remote = "10.9.9.9:9999".parse().unwrap();
    let agent = &mut net.peers[0].agent;
    let (ufrag, pwd) = {
        let (u, p) = agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    fn datagram<'a>(
        local: std::net::SocketAddr,
        remote: std::net::SocketAddr,
        data: &'a [u8],
    ) -> Datagram<'a> {
        Datagram {
            local,
            remote,
            proto: Protocol::Udp,
            data,
        }
    }

    // A well-formed check signed with the wrong password.
    let username = format!("{ufrag}:x");
    let mut m = Message::new(
        Class::Request,
        Method::Binding,
        TransactionId::from_bytes([1; 12]),
    );
    m.push(Attribute::Username(&username));
    m.push(Attribute::Priority(1));
    m.push(Attribute::IceControlled(1));
    let bad = m.to_vec(Some(Integrity::Sha1(b"not the password")), true);
    assert!(agent
        .handle_receive(now, datagram(local, remote, &bad))
        .is_none());
    // Unknown ufrag.
    let mut m2 = m.clone();
    m2.attributes[0] = Attribute::Username("nobody:x");
    let unknown = m2.to_vec(Some(Integrity::Sha1(pwd.as_bytes())), true);
    assert!(agent
        .handle_receive(now, datagram(local, remote, &unknown))
        .is_none());
    // A response nobody asked for.
    let mut r = Message::new(
        Class::SuccessResponse,
        Method::Binding,
        TransactionId::from_bytes([2; 12]),
    );
    r.push(Attribute::XorMappedAddress(remote));
    let stray = r.to_vec(Some(Integrity::Sha1(b"k")), true);
    assert!(agent
        .handle_receive(now, datagram(local, remote, &stray))
        .is_none());
    // STUN-looking garbage: right cookie, broken body.
    let mut garbage = bad.clone();
    garbage[2] = 0xff;
    assert!(agent
        .handle_receive(now, datagram(local, remote, &garbage))
        .is_none());
    // Pseudo-random junk of every length: never panics.
    let mut x: u32 = 12345;
    for len in 0..300 {
        let mut buf = vec![0u8; len];
        for b in buf.iter_mut() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (x >> 16) as u8;
        }
        if len >= 8 {
            buf[0] &= 0x3f;
            buf[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes());
        }
        let _ = agent.handle_receive(now, datagram(local, remote, &buf));
    }
    let c = agent.counters();
    assert!(c.bad_integrity >= 1, "{c:?}");
    assert!(c.bad_username >= 1, "{c:?}");
    assert!(c.unmatched_responses >= 1, "{c:?}");
    assert!(c.malformed >= 1, "{c:?}");
    // None of it produced an answer or a candidate.
    while let Some(t) = agent.poll_transmit(now) {
        assert_ne!(t.remote, remote, "answered hostile input");
    }
    assert!(agent
        .remote_candidates()
        .iter()
        .all(|c| c.address != remote));
    // And the agent still connects afterwards.
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
}

#[test]
fn remote_ice_lite_makes_us_controlling() {
    let mut net = Net::new(18);
    net.add_peer(config(false, 18), &[A]);
    net.add_peer(config(false, 19), &[B]);
    net.peers[0].agent.set_remote_ice_lite(true);
    assert!(net.peers[0].agent.is_controlling());
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    assert!(!net.peers[1].agent.is_controlling());
}

#[test]
fn stale_generation_candidate_is_refused() {
    let mut net = pair_net(20);
    net.signal_both();
    let mut c = Candidate::parse("candidate:9 1 udp 100 10.0.0.9 9 typ host").unwrap();
    c.ufrag = Some("stale".into());
    assert!(net.peers[0].agent.add_remote_candidate(c).is_err());
}

#[test]
fn close_releases_turn_allocations() {
    let mut net = pair_net(21);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    net.peers[0].agent.add_turn_server(
        "192.0.2.100:3478".parse().unwrap(),
        Protocol::Udp,
        "user",
        "pass",
    );
    net.run_until(Duration::from_secs(5), |n| {
        !n.peers[0].gathered().is_empty()
    });
    let before = net.turn.as_ref().unwrap().refreshes;
    let now = net.now;
    net.peers[0].agent.close(now);
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.turn.as_ref().unwrap().refreshes, before + 1);
    assert_eq!(
        net.peers[0].agent.connection_state(),
        IceConnectionState::Closed
    );
    assert_eq!(net.peers[0].agent.poll_timeout(), None);
}

#[test]
fn turn_stale_nonce_is_retried() {
    let mut net = pair_net(22);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    net.peers[0].agent.add_turn_server(
        "192.0.2.100:3478".parse().unwrap(),
        Protocol::Udp,
        "user",
        "pass",
    );
    assert!(net.run_until(Duration::from_secs(5), |n| !n.peers[0]
        .gathered()
        .is_empty()));
    net.turn.as_mut().unwrap().nonce = "nonce-2".into();
    let refreshes = net.turn.as_ref().unwrap().refreshes;
    net.run_for(Duration::from_secs(600));
    let t = net.turn.as_ref().unwrap();
    assert!(t.stale_nonce_errors >= 1);
    assert!(
        t.refreshes > refreshes,
        "refresh succeeded after the new nonce"
    );
    assert!(!net.peers[0]
        .events
        .iter()
        .any(|e| matches!(e, IceEvent::CandidateError { .. })));
}

#[test]
fn unknown_comprehension_required_attribute_gets_420() {
    let mut net = pair_net(23);
    net.signal_both();
    let now = net.now;
    let agent = &mut net.peers[0].agent;
    let (ufrag, pwd) = {
        let (u, p) = agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    let username = format!("{ufrag}:x");
    let mut m = Message::new(
        Class::Request,
        Method::Binding,
        TransactionId::from_bytes([9; 12]),
    );
    m.push(Attribute::Username(&username));
    m.push(Attribute::IceControlled(1));
    m.push(Attribute::Unknown {
        typ: 0x7f01,
        value: &[1, 2, 3, 4],
    });
    let raw = m.to_vec(Some(Integrity::Sha1(pwd.as_bytes())), true);
    let remote = "10.0.0.2:6000".parse().unwrap();
    let d = Datagram {
        local: A.parse().unwrap(),
        remote,
        proto: Protocol::Udp,
        data: &raw,
    };
    assert!(agent.handle_receive(now, d).is_none());
    let mut answered = false;
    while let Some(t) = agent.poll_transmit(now) {
        if t.remote != remote {
            continue;
        }
        let Ok(r) = Message::decode(&t.data) else {
            continue;
        };
        if r.transaction_id == m.transaction_id {
            assert_eq!(r.class, Class::ErrorResponse);
            assert_eq!(r.error_code().map(|e| e.code), Some(420));
            assert!(r.get(rtcpeer_stun::attr_type::UNKNOWN_ATTRIBUTES).is_some());
            assert!(r.verify_integrity(&t.data, pwd.as_bytes()).is_ok());
            answered = true;
        }
    }
    assert!(answered);
}

#[test]
fn ice_tcp_active_to_passive_connects() {
    let mut net = Net::new(24);
    net.add_peer(config(true, 24), &[]);
    net.add_peer(config(false, 25), &[]);
    let a_addr: std::net::SocketAddr = "10.0.0.1:9".parse().unwrap();
    let b_addr: std::net::SocketAddr = "10.0.0.2:4443".parse().unwrap();
    net.peers[0].sockets.push(a_addr);
    net.peers[1].sockets.push(b_addr);
    let mut active = Candidate::host(a_addr, Protocol::Tcp, 65535);
    active.tcp_type = Some(rtcpeer_ice::TcpType::Active);
    active.priority = 0; // recomputed for an active candidate
    net.peers[0].agent.add_local_candidate(active).unwrap();
    net.peers[1]
        .agent
        .add_local_candidate(Candidate::host(b_addr, Protocol::Tcp, 65535))
        .unwrap();
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    let (l, r) = net.peers[0].agent.selected_candidates().unwrap();
    assert_eq!((l.protocol, r.protocol), (Protocol::Tcp, Protocol::Tcp));
    assert_eq!(r.tcp_type, Some(rtcpeer_ice::TcpType::Passive));
    let t = net.peers[0].agent.send(b"over tcp").unwrap();
    assert_eq!(t.proto, Protocol::Tcp);
}

#[test]
fn old_generation_candidates_refused_after_restart() {
    let mut net = pair_net(26);
    net.signal_both();
    let old_remote_ufrag = net.peers[1].agent.local_credentials().0.to_string();
    let now = net.now;
    net.peers[0].agent.restart(now);
    let mut c = Candidate::parse("candidate:9 1 udp 100 10.0.0.9 9 typ host").unwrap();
    c.ufrag = Some(old_remote_ufrag);
    assert!(net.peers[0].agent.add_remote_candidate(c).is_err());
}

#[test]
fn unreachable_peer_fails_with_and_without_end_of_candidates() {
    for eoc in [true, false] {
        let mut net = pair_net(27);
        net.blackhole = true;
        net.signal_both();
        if eoc {
            net.peers[0].agent.end_of_remote_candidates();
        }
        assert!(net.run_until(Duration::from_secs(120), |n| {
            n.peers[0].agent.connection_state() == IceConnectionState::Failed
        }));
        assert_eq!(
            net.peers[0].states,
            vec![IceConnectionState::Checking, IceConnectionState::Failed]
        );
        assert!(net.peers[0]
            .agent
            .pair_stats()
            .iter()
            .all(|s| s.state == PairState::Failed));
    }
}

#[test]
fn full_agent_connects_to_an_ice_lite_agent() {
    let mut net = Net::new(28);
    net.add_peer(config(false, 28), &[A]);
    let mut lite = config(true, 29); // asks for controlling: lite overrides
    lite.lite = true;
    net.add_peer(lite, &[B]);
    net.peers[0].agent.set_remote_ice_lite(true);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    assert!(net.peers[0].agent.is_controlling());
    assert!(!net.peers[1].agent.is_controlling());
    // The lite side never sent a request of its own.
    let lite_requests: u64 = net.peers[1]
        .agent
        .pair_stats()
        .iter()
        .map(|s| s.requests_sent)
        .sum();
    assert_eq!(lite_requests, 0);
    assert!(net.send_app(1, b"from lite"));
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.peers[0].received, vec![b"from lite".to_vec()]);
    // The full agent's consent checks keep both sides connected.
    assert!(net.both_connected());
}

#[test]
fn restart_initiated_by_the_controlled_side() {
    let mut net = pair_net(30);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    let old = net.peers[0].agent.selected_pair_id().unwrap();
    let a_ufrag = net.peers[0].agent.local_credentials().0.to_string();
    let now = net.now;
    net.peers[1].agent.restart(now);
    // New remote credentials make A restart too.
    net.signal(1, 0);
    assert_ne!(net.peers[0].agent.local_credentials().0, a_ufrag);
    net.signal(0, 1);
    assert!(net.run_until(Duration::from_secs(10), |n| {
        n.peers[0]
            .agent
            .selected_pair_id()
            .is_some_and(|p| p != old)
            && n.peers[1].agent.selected_pair_id().is_some()
            && n.both_connected()
    }));
    assert!(net.send_app(1, b"new generation"));
    net.run_for(Duration::from_millis(50));
    assert_eq!(net.peers[0].received.last().unwrap(), b"new generation");
}

#[test]
fn turn_try_alternate_server() {
    let mut net = pair_net(31);
    let mut turn = FakeTurn::new("192.0.2.100:3478", "user", "pass");
    turn.redirect_from = Some("192.0.2.99:3478".parse().unwrap());
    net.turn = Some(turn);
    net.peers[0].agent.add_turn_server(
        "192.0.2.99:3478".parse().unwrap(),
        Protocol::Udp,
        "user",
        "pass",
    );
    assert!(net.run_until(Duration::from_secs(5), |n| !n.peers[0]
        .gathered()
        .is_empty()));
    let relay = net.peers[0]
        .gathered()
        .into_iter()
        .find(|c| c.kind == CandidateKind::Relayed);
    assert_eq!(
        relay.map(|c| c.address.ip()),
        Some("192.0.2.100".parse().unwrap())
    );
}

#[test]
fn unused_permissions_are_not_refreshed_forever() {
    let mut net = pair_net(32);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    net.block_direct = true;
    for i in 0..2 {
        net.peers[i].agent.add_turn_server(
            "192.0.2.100:3478".parse().unwrap(),
            Protocol::Udp,
            "user",
            "pass",
        );
    }
    net.run_until(Duration::from_secs(5), |n| {
        n.peers.iter().all(|p| !p.gathered().is_empty())
    });
    // A remote candidate nobody answers for: its pair fails, its permission lapses.
    let ghost = Candidate::parse("candidate:7 1 udp 2122260223 10.7.7.7 7777 typ host").unwrap();
    net.peers[0].agent.add_remote_candidate(ghost).unwrap();
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(20), |n| n.both_connected()));
    net.run_for(Duration::from_secs(900));
    let log = &net.turn.as_ref().unwrap().permission_log;
    let count = |ip: &str| {
        log.iter()
            .filter(|x| **x == ip.parse::<std::net::IpAddr>().unwrap())
            .count()
    };
    // The dead candidate's permission was made once and then left to lapse;
    // the live peer's was refreshed every few minutes.
    assert_eq!(count("10.7.7.7"), 1, "{log:?}");
    assert!(count("10.0.0.2") >= 3, "{log:?}");
    assert!(net.both_connected());
}

#[test]
fn pair_limit_keeps_the_best_pairs() {
    let mut net = Net::new(33);
    let mut cfg = config(true, 33);
    cfg.max_pairs = 4;
    net.add_peer(cfg, &[A]);
    net.add_peer(config(false, 34), &[B]);
    // Low-priority junk first, then the real (high-priority) candidate.
    for i in 0..6 {
        let c = format!("candidate:{i} 1 udp {} 10.9.0.{i} 9 typ host", 100 + i);
        net.peers[0]
            .agent
            .add_remote_candidate(Candidate::parse(&c).unwrap())
            .unwrap();
    }
    net.signal_both();
    let stats = net.peers[0].agent.pair_stats();
    assert_eq!(stats.len(), 4);
    assert!(stats.iter().any(|s| s.remote.address == B.parse().unwrap()));
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
}

#[test]
fn relay_transport_policy_uses_only_relayed_candidates() {
    let mut net = Net::new(35);
    let mut cfg = config(true, 35);
    cfg.relay_only = true;
    net.add_peer(cfg, &[A]);
    net.add_peer(config(false, 36), &[B]);
    net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
    net.peers[0].agent.add_turn_server(
        "192.0.2.100:3478".parse().unwrap(),
        Protocol::Udp,
        "user",
        "pass",
    );
    net.peers[0]
        .agent
        .add_stun_server("192.0.2.100:3478".parse().unwrap());
    assert!(net.run_until(Duration::from_secs(5), |n| !n.peers[0]
        .gathered()
        .is_empty()));
    net.run_for(Duration::from_secs(1));
    // Only the relayed candidate is signaled: no host, no srflx.
    let kinds: Vec<_> = net.peers[0]
        .agent
        .local_candidates()
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(kinds, vec![CandidateKind::Relayed]);
    net.signal_both();
    assert!(net.run_until(Duration::from_secs(10), |n| n.both_connected()));
    let (l, _) = net.peers[0].agent.selected_candidates().unwrap();
    assert_eq!(l.kind, CandidateKind::Relayed);
    assert!(net.peers[0]
        .agent
        .pair_stats()
        .iter()
        .all(|s| s.local.kind == CandidateKind::Relayed));
}

#[test]
fn connects_with_reordering_and_duplication() {
    for seed in 40..44 {
        let mut net = pair_net(seed);
        net.jitter = Duration::from_millis(80);
        net.dup_permille = 200;
        net.loss_permille = 100;
        net.signal_both();
        assert!(
            net.run_until(Duration::from_secs(30), |n| n.both_connected()),
            "seed {seed}"
        );
        net.run_for(Duration::from_secs(20));
        assert!(
            net.both_connected(),
            "seed {seed}: {:?}",
            net.peers[0].states
        );
    }
}

#[test]
fn relay_only_with_trickle_through_a_lossy_network() {
    for seed in 50..54 {
        let mut net = pair_net(seed);
        net.turn = Some(FakeTurn::new("192.0.2.100:3478", "user", "pass"));
        net.block_direct = true;
        net.loss_permille = 150;
        for i in 0..2 {
            net.peers[i].agent.add_turn_server(
                "192.0.2.100:3478".parse().unwrap(),
                Protocol::Udp,
                "user",
                "pass",
            );
        }
        // Trickle: the host candidates now, relayed ones as they are gathered.
        net.signal_both();
        let mut trickled = [0usize; 2];
        for _ in 0..60 {
            for (i, sent) in trickled.iter_mut().enumerate() {
                let g = net.peers[i].gathered();
                for c in g.iter().skip(*sent) {
                    let parsed = Candidate::parse(&c.to_string()).unwrap();
                    net.peers[1 - i].agent.add_remote_candidate(parsed).unwrap();
                }
                *sent = g.len();
            }
            if net.run_until(Duration::from_secs(1), |n| n.both_connected()) {
                break;
            }
        }
        assert!(
            net.both_connected(),
            "seed {seed}: {:?}",
            net.peers[0].events
        );
        // Through a relay: ours, or the peer's (perhaps first learned as
        // peer-reflexive, before its trickled candidate arrived).
        let (l, r) = net.peers[0].agent.selected_candidates().unwrap();
        let turn = net.turn.as_ref().unwrap();
        assert!(
            l.kind == CandidateKind::Relayed || turn.owns(r.address),
            "{l:?} {r:?}"
        );
    }
}

#[test]
fn lossy_but_working_path_does_not_flap_to_disconnected() {
    for seed in 60..63 {
        let mut net = pair_net(seed);
        net.loss_permille = 100;
        net.signal_both();
        assert!(
            net.run_until(Duration::from_secs(30), |n| n.both_connected()),
            "seed {seed}"
        );
        net.run_for(Duration::from_secs(300));
        for p in &net.peers {
            assert!(
                !p.states.contains(&IceConnectionState::Disconnected),
                "seed {seed}: {:?}",
                p.states
            );
        }
    }
}
