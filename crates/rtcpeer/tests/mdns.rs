//! Remote `.local` (mDNS) candidates, inside a private network namespace
//! (`testkit::isolate!()`: multicast and port 5353 stay in it).
//!
//! The answerer's candidates reach the offerer only as `<uuid>.local`
//! names, and the offerer's candidates never reach the answerer: the only
//! way to connect is for the offerer to resolve the name (a responder in
//! the test answers its mDNS query) and send the first check.

mod local;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use local::{remote_channel, trickle, LIMIT};
use rtcpeer::stats::StatsKind;
use rtcpeer::{DataChannelEvent, Event, PeerConnection, Settings};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const NAME: &str = "1f0e5c1a-7d3b-4c55-9a52-0b6f6d0d4e21.local";

/// A responder on 0.0.0.0:5353 that answers A queries for `NAME` with
/// 127.0.0.1; returns how many queries for it it answered.
async fn responder(stop: tokio::sync::oneshot::Receiver<()>) -> usize {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    s.set_reuse_address(true).unwrap();
    s.set_nonblocking(true).unwrap();
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 5353)).into())
        .unwrap();
    for ip in ["127.0.0.1", "203.0.113.1", "203.0.113.2"] {
        let _ = s.join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 251), &ip.parse().unwrap());
    }
    let socket = UdpSocket::from_std(s.into()).unwrap();
    let mut question = vec![NAME.split('.').next().unwrap().len() as u8];
    question.extend_from_slice(NAME.split('.').next().unwrap().as_bytes());
    question.extend_from_slice(b"\x05local\x00\x00\x01");
    let mut answered = 0;
    let mut buf = [0u8; 1500];
    tokio::pin!(stop);
    loop {
        let (n, _) = tokio::select! {
            r = socket.recv_from(&mut buf) => r.unwrap(),
            _ = &mut stop => return answered,
        };
        let m = &buf[..n];
        // A query (QR bit clear) whose one question is NAME, type A.
        if n < 12 || m[2] & 0x80 != 0 || !m[12..].starts_with(&question) {
            continue;
        }
        let mut r = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        r.extend_from_slice(&question[..question.len() - 2]);
        r.extend_from_slice(&[0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 127, 0, 0, 1]);
        socket
            .send_to(&r, SocketAddr::from((Ipv4Addr::new(224, 0, 0, 251), 5353)))
            .await
            .unwrap();
        answered += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_candidate_is_resolved_by_mdns() {
    testkit::isolate!();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let responder = tokio::spawn(responder(stop_rx));

    let a = PeerConnection::with_settings(Default::default(), Settings::loopback_only()).unwrap();
    let b = PeerConnection::with_settings(Default::default(), Settings::loopback_only()).unwrap();
    let mut b_events = b.events();
    let mut b_channels = b.events();
    let dc = a.create_data_channel("mdns", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    assert!(!offer.sdp.contains("a=candidate"));
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    a.set_remote_description(answer).await.unwrap();

    // b's candidates, with its address hidden behind NAME; a's go nowhere.
    let mut hidden = 0;
    timeout(LIMIT, async {
        loop {
            match b_events.recv().await {
                Some(Event::IceCandidate(Some(mut c))) => {
                    assert!(c.candidate.contains(" 127.0.0.1 "), "{}", c.candidate);
                    c.candidate = c.candidate.replace(" 127.0.0.1 ", &format!(" {NAME} "));
                    a.add_ice_candidate(Some(c)).await.unwrap();
                    hidden += 1;
                }
                Some(Event::IceCandidate(None)) => break,
                Some(_) => {}
                None => panic!("b is gone"),
            }
        }
    })
    .await
    .expect("b gathers");
    assert!(hidden >= 1);

    let b_dc = remote_channel(&mut b_channels).await;
    timeout(LIMIT, async {
        while dc_events.recv().await != Some(DataChannelEvent::Open) {}
    })
    .await
    .expect("the channel opens over the resolved candidate");
    assert_eq!(b_dc.label(), "mdns");

    // a's view: the remote candidate is the signaled host one (its name, as
    // the stats show it), not one learned from b's checks.
    let report = a.get_stats().await.unwrap();
    let resolved: Vec<_> = report
        .of_type("remote-candidate")
        .filter_map(|s| match &s.kind {
            StatsKind::RemoteCandidate(c) => Some((c.address.clone(), c.candidate_type.clone())),
            _ => None,
        })
        .collect();
    assert!(
        resolved.contains(&(Some(NAME.into()), "host".into())),
        "{resolved:?}"
    );
    assert!(!resolved.iter().any(|(_, t)| t == "prflx"), "{resolved:?}");
    let _ = stop_tx.send(());
    let answered = timeout(Duration::from_secs(5), responder)
        .await
        .unwrap()
        .unwrap();
    assert!(answered >= 1);
    a.close();
    b.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_host_addresses_hide_behind_mdns_names() {
    testkit::isolate!();
    let hidden = Settings {
        mdns_host_names: true,
        ..Settings::loopback_only()
    };
    let a = PeerConnection::with_settings(Default::default(), hidden).unwrap();
    let b = PeerConnection::with_settings(Default::default(), Settings::loopback_only()).unwrap();
    let mut a_events = a.events();
    let mut b_channels = b.events();
    // Only a's candidates are signaled: b must resolve a's name to connect.
    trickle(&a, &b);
    let dc = a.create_data_channel("hidden", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    a.set_remote_description(answer).await.unwrap();

    let mut signaled = Vec::new();
    timeout(LIMIT, async {
        loop {
            match a_events.recv().await {
                Some(Event::IceCandidate(Some(c))) => signaled.push(c.candidate),
                Some(Event::IceCandidate(None)) => break,
                Some(_) => {}
                None => panic!("a is gone"),
            }
        }
    })
    .await
    .expect("a gathers");
    assert!(!signaled.is_empty());
    for c in &signaled {
        assert!(c.contains(".local ") && !c.contains("127.0.0.1"), "{c}");
    }
    let sdp = a.local_description().unwrap().sdp;
    let in_sdp: Vec<&str> = sdp
        .lines()
        .filter(|l| l.starts_with("a=candidate"))
        .collect();
    assert!(!in_sdp.is_empty());
    for c in &in_sdp {
        assert!(c.contains(".local ") && !c.contains("127.0.0.1"), "{c}");
    }

    let b_dc = remote_channel(&mut b_channels).await;
    timeout(LIMIT, async {
        while dc_events.recv().await != Some(DataChannelEvent::Open) {}
    })
    .await
    .expect("the channel opens: b resolved our name");
    assert_eq!(b_dc.label(), "hidden");
    a.close();
    b.close();
}
