//! Our `getStats()` side by side with Chromium's for the same session (inside
//! a private network namespace): the same types, each side's ids linked, and
//! counters that agree across the wire.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Kind, Remote, LIMIT};
use rtcpeer::stats::{Stats, StatsKind, StatsReport};
use rtcpeer::PeerConnection;
use serde_json::json;
use tokio::time::timeout;

fn transport(r: &StatsReport) -> &rtcpeer::stats::TransportStats {
    match &r.of_type("transport").next().expect("a transport").kind {
        StatsKind::Transport(t) => t,
        _ => unreachable!(),
    }
}

fn get<'a>(r: &'a StatsReport, id: &str) -> &'a Stats {
    r.get(id)
        .unwrap_or_else(|| panic!("{id} is linked but missing"))
}

fn pair(r: &StatsReport) -> &rtcpeer::stats::CandidatePairStats {
    let id = transport(r)
        .selected_candidate_pair_id
        .as_deref()
        .expect("a selected pair");
    match &get(r, id).kind {
        StatsKind::CandidatePair(p) => p,
        _ => panic!("{id} is not a pair"),
    }
}

fn endpoint(r: &StatsReport, id: &str) -> (String, u16) {
    match &get(r, id).kind {
        StatsKind::LocalCandidate(c) | StatsKind::RemoteCandidate(c) => {
            (c.address.clone().unwrap_or_default(), c.port)
        }
        _ => panic!("{id} is not a candidate"),
    }
}

fn fingerprint(r: &StatsReport, id: Option<&String>) -> String {
    match &get(r, id.expect("certificate id")).kind {
        StatsKind::Certificate(c) => c.fingerprint.to_ascii_uppercase(),
        _ => panic!("not a certificate"),
    }
}

fn channel(r: &StatsReport) -> &rtcpeer::stats::DataChannelStats {
    match &r
        .of_type("data-channel")
        .next()
        .expect("a data-channel")
        .kind
    {
        StatsKind::DataChannel(d) => d,
        _ => unreachable!(),
    }
}

fn opened(r: &StatsReport) -> u32 {
    match &r
        .of_type("peer-connection")
        .next()
        .expect("peer-connection")
        .kind
    {
        StatsKind::PeerConnection(p) => p.data_channels_opened,
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_stats_match_chromiums_for_the_same_session() {
    testkit::isolate!();
    let chromium =
        Arc::new(Remote::launch(Kind::Chromium, json!({"role": "answerer", "echo": true})).await);
    let pc =
        PeerConnection::with_settings(Default::default(), common::namespace_settings()).unwrap();
    let dc = pc.create_data_channel("stats", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let (signaling, _) = common::signal(&pc, chromium.clone(), None);
    common::offer(&pc, &chromium).await;
    common::wait_open(&mut dc_events, "stats").await;

    // Six messages out, six echoes back.
    let messages: Vec<Vec<u8>> = (0..6).map(|i| vec![b'x'; 100 * (i + 1)]).collect();
    let sent_bytes: u64 = messages.iter().map(|m| m.len() as u64).sum();
    for m in &messages {
        dc.send(m).unwrap();
    }
    for _ in &messages {
        common::next_message(&mut dc_events, "stats").await;
    }
    // Signaling is over; from here the page's messages are ours to read.
    signaling.abort();

    chromium.send(json!({"getStats": true})).await;
    let raw = timeout(LIMIT, async {
        loop {
            let m = chromium.recv().await.expect("the page answers");
            if let Some(s) = m.get("stats") {
                return s.clone();
            }
        }
    })
    .await
    .expect("Chromium's stats in time");
    let ours = pc.get_stats().await.unwrap();
    let theirs = StatsReport::from_json(&raw);
    println!(
        "ours: {}",
        serde_json::to_string_pretty(&ours.to_json()).unwrap()
    );
    println!(
        "Chromium's: {}",
        serde_json::to_string_pretty(&raw).unwrap()
    );

    // The same types.
    let types = |r: &StatsReport| r.iter().map(|s| s.type_name()).collect::<BTreeSet<_>>();
    let raw_types: BTreeSet<&str> = raw
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["type"].as_str())
        .collect();
    assert_eq!(types(&ours), raw_types, "the same stats types");
    assert_eq!(types(&theirs), raw_types, "we read every browser object");
    // Ids link on both sides.
    assert!(ours.dangling_ids().is_empty(), "{:?}", ours.dangling_ids());
    assert!(
        theirs.dangling_ids().is_empty(),
        "{:?}",
        theirs.dangling_ids()
    );

    // Transport: one DTLS session seen from both ends.
    let (to, tt) = (transport(&ours), transport(&theirs));
    assert_eq!(
        (to.dtls_state.as_str(), tt.dtls_state.as_str()),
        ("connected", "connected")
    );
    assert_eq!(to.tls_version, tt.tls_version);
    assert_eq!(to.dtls_cipher, tt.dtls_cipher);
    assert_eq!(
        BTreeSet::from([to.dtls_role.as_str(), tt.dtls_role.as_str()]),
        BTreeSet::from(["client", "server"])
    );
    assert_eq!(
        BTreeSet::from([to.ice_role.as_str(), tt.ice_role.as_str()]),
        BTreeSet::from(["controlled", "controlling"])
    );
    assert_eq!(
        fingerprint(&ours, to.local_certificate_id.as_ref()),
        fingerprint(&theirs, tt.remote_certificate_id.as_ref())
    );
    assert_eq!(
        fingerprint(&ours, to.remote_certificate_id.as_ref()),
        fingerprint(&theirs, tt.local_certificate_id.as_ref())
    );

    // The selected pair is the same two addresses, mirrored.
    let (po, pt) = (pair(&ours), pair(&theirs));
    assert_eq!(
        endpoint(&ours, &po.local_candidate_id),
        endpoint(&theirs, &pt.remote_candidate_id)
    );
    assert_eq!(
        endpoint(&ours, &po.remote_candidate_id),
        endpoint(&theirs, &pt.local_candidate_id)
    );
    assert_eq!(
        (po.state.as_str(), pt.state.as_str()),
        ("succeeded", "succeeded")
    );
    // Packets one side sent the other received, but for those in flight
    // (SCTP acks and heartbeats keep moving while the two reports are taken).
    println!(
        "pair packets: ours sent {} / Chromium received {}; Chromium sent {} / ours received {}",
        po.packets_sent, pt.packets_received, pt.packets_sent, po.packets_received
    );
    let in_flight = 8;
    assert!(po.packets_sent.abs_diff(pt.packets_received) <= in_flight);
    assert!(pt.packets_sent.abs_diff(po.packets_received) <= in_flight);

    // The data channel, counted the same on both ends.
    let (co, ct) = (channel(&ours), channel(&theirs));
    assert_eq!((co.label.as_str(), ct.label.as_str()), ("stats", "stats"));
    assert_eq!(co.data_channel_identifier, ct.data_channel_identifier);
    assert_eq!((co.messages_sent, co.bytes_sent), (6, sent_bytes));
    assert_eq!((ct.messages_received, ct.bytes_received), (6, sent_bytes));
    assert_eq!(
        (ct.messages_sent, ct.bytes_sent),
        (co.messages_received, co.bytes_received)
    );
    assert_eq!((opened(&ours), opened(&theirs)), (1, 1));

    chromium.report().await;
    pc.close();
}
