//! `getStats()` between two rtcpeer connections on 127.0.0.1: every type a
//! data-only session has, ids that link, and counters that agree across the
//! two sides.

use std::time::Duration;

use rtcpeer::stats::{StatsKind, StatsReport};
use rtcpeer::{
    DataChannelEvent, Event, IceGatheringState, Message, PeerConnection, PeerConnectionState,
    Settings,
};
use tokio::time::timeout;

/// A guard against hangs, not a timing assertion.
const LIMIT: Duration = Duration::from_secs(30);

fn pc() -> PeerConnection {
    PeerConnection::with_settings(Default::default(), Settings::loopback_only()).unwrap()
}

/// Waits until `pc` finished gathering (non-trickle signaling).
async fn gathered(pc: &PeerConnection) {
    let mut events = pc.events();
    while pc.ice_gathering_state() != IceGatheringState::Complete {
        let _ = timeout(Duration::from_millis(50), events.recv()).await;
    }
}

async fn until_connected(pc: &PeerConnection) {
    let mut events = pc.events();
    timeout(LIMIT, async {
        while pc.connection_state() != PeerConnectionState::Connected {
            let _ = timeout(Duration::from_millis(50), events.recv()).await;
        }
    })
    .await
    .expect("connected in time");
}

fn one<'a>(report: &'a StatsReport, type_name: &str) -> &'a rtcpeer::stats::Stats {
    let all: Vec<_> = report.of_type(type_name).collect();
    assert_eq!(all.len(), 1, "exactly one {type_name} in {report:#?}");
    all[0]
}

fn transport(report: &StatsReport) -> &rtcpeer::stats::TransportStats {
    match &one(report, "transport").kind {
        StatsKind::Transport(t) => t,
        _ => unreachable!(),
    }
}

fn data_channel(report: &StatsReport) -> &rtcpeer::stats::DataChannelStats {
    match &one(report, "data-channel").kind {
        StatsKind::DataChannel(d) => d,
        _ => unreachable!(),
    }
}

fn fingerprint(report: &StatsReport, id: &str) -> String {
    match &report.get(id).expect("certificate linked").kind {
        StatsKind::Certificate(c) => c.fingerprint.clone(),
        _ => panic!("{id} is not a certificate"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_of_a_data_session_link_and_agree() {
    let (a, b) = (pc(), pc());
    let mut b_events = b.events();
    let dc = a.create_data_channel("stats", Default::default()).unwrap();
    let mut dc_events = dc.events();

    // Before anything: a peer-connection, a transport and our certificate.
    let early = a.get_stats().await.unwrap();
    assert_eq!(one(&early, "peer-connection").id, "P");
    assert_eq!(transport(&early).dtls_state, "new");
    assert!(
        early.dangling_ids().is_empty(),
        "{:?}",
        early.dangling_ids()
    );

    // Non-trickle: descriptions carry every candidate.
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer)).await.unwrap();
    timeout(LIMIT, gathered(&a)).await.expect("a gathers");
    b.set_remote_description(a.local_description().unwrap())
        .await
        .unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer)).await.unwrap();
    timeout(LIMIT, gathered(&b)).await.expect("b gathers");
    a.set_remote_description(b.local_description().unwrap())
        .await
        .unwrap();
    until_connected(&a).await;
    until_connected(&b).await;

    // The answerer echoes three messages.
    let remote = timeout(LIMIT, async {
        loop {
            if let Some(Event::DataChannel(dc)) = b_events.recv().await {
                return dc;
            }
        }
    })
    .await
    .expect("datachannel event");
    let mut remote_events = remote.events();
    timeout(LIMIT, async {
        while dc.ready_state() != rtcpeer::DataChannelState::Open {
            dc_events.recv().await;
        }
    })
    .await
    .expect("open");
    let payloads = ["one", "two", "three!"];
    for p in payloads {
        dc.send_text(p).unwrap();
    }
    let mut echoed = 0;
    timeout(LIMIT, async {
        while echoed < payloads.len() {
            if let Some(DataChannelEvent::Message(Message::Text(t))) = remote_events.recv().await {
                remote.send_text(&t).unwrap();
                echoed += 1;
            }
        }
        let mut back = 0;
        while back < payloads.len() {
            if let Some(DataChannelEvent::Message(_)) = dc_events.recv().await {
                back += 1;
            }
        }
    })
    .await
    .expect("echo");

    let (sa, sb) = (a.get_stats().await.unwrap(), b.get_stats().await.unwrap());
    for (name, s) in [("offerer", &sa), ("answerer", &sb)] {
        assert!(
            s.dangling_ids().is_empty(),
            "{name}: {:?}",
            s.dangling_ids()
        );
        for t in [
            "peer-connection",
            "transport",
            "candidate-pair",
            "local-candidate",
            "remote-candidate",
            "certificate",
            "data-channel",
        ] {
            assert!(s.of_type(t).next().is_some(), "{name} has no {t}");
        }
        let t = transport(s);
        assert_eq!(t.dtls_state, "connected", "{name}");
        assert_eq!(t.ice_state, "connected", "{name}");
        // Both sides speak DTLS 1.3 by default, as client and as server.
        assert_eq!(t.tls_version.as_deref(), Some("FEFC"), "{name}");
        assert!(t.dtls_cipher.is_some(), "{name}");
        let pair_id = t
            .selected_candidate_pair_id
            .as_ref()
            .expect("a selected pair");
        let StatsKind::CandidatePair(pair) = &s.get(pair_id).expect("pair linked").kind else {
            panic!("{pair_id} is not a candidate-pair");
        };
        assert_eq!(pair.state, "succeeded", "{name}");
        assert!(pair.nominated, "{name}");
        assert!(pair.bytes_sent > 0 && pair.bytes_received > 0, "{name}");
        assert!(pair.responses_received > 0, "{name}: checks were answered");
        assert!(t.selected_candidate_pair_changes >= 1, "{name}");
        let StatsKind::PeerConnection(p) = &one(s, "peer-connection").kind else {
            unreachable!()
        };
        assert_eq!(p.data_channels_opened, 1, "{name}");
    }
    // Each side's remote certificate is the other's local one.
    let (ta, tb) = (transport(&sa), transport(&sb));
    assert_eq!(
        fingerprint(&sa, ta.remote_certificate_id.as_ref().unwrap()),
        fingerprint(&sb, tb.local_certificate_id.as_ref().unwrap())
    );
    assert_eq!(
        fingerprint(&sb, tb.remote_certificate_id.as_ref().unwrap()),
        fingerprint(&sa, ta.local_certificate_id.as_ref().unwrap())
    );
    assert_eq!(ta.dtls_role == "client", tb.dtls_role == "server");
    assert_ne!(ta.ice_role, tb.ice_role);
    // Data-channel counters agree across the two sides.
    let bytes: u64 = payloads.iter().map(|p| p.len() as u64).sum();
    let (da, db) = (data_channel(&sa), data_channel(&sb));
    assert_eq!((da.messages_sent, da.bytes_sent), (3, bytes));
    assert_eq!((db.messages_received, db.bytes_received), (3, bytes));
    assert_eq!((db.messages_sent, da.messages_received), (3, 3));
    assert_eq!(da.label, "stats");
    assert_eq!(da.data_channel_identifier, db.data_channel_identifier);
    assert_eq!(da.state, "open");

    // The JSON has the browsers' shape and reads back to the same report.
    let json = sa.to_json();
    assert_eq!(json["P"]["type"], "peer-connection");
    assert_eq!(json["T01"]["dtlsState"], "connected");
    assert_eq!(StatsReport::from_json(&json), sa);

    // After close: still answered, with the channel counted closed.
    a.close();
    let closed = a.get_stats().await.unwrap();
    let StatsKind::PeerConnection(p) = &one(&closed, "peer-connection").kind else {
        unreachable!()
    };
    assert_eq!(p.data_channels_closed, 1);
}
