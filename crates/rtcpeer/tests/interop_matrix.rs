//! The data-channel matrix against real peers, both roles: Chromium,
//! Firefox ESR and aiortc, each inside `testkit::isolate!()`. One launch of
//! the peer per role covers the whole matrix on one connection:
//!
//! - `reliable` (ordered reliable, with a sub-protocol), `unordered`,
//!   `rexmit0` (maxRetransmits 0), `lifetime100` (maxPacketLifeTime 100),
//!   `negotiated` (both sides create it with id 40, no DCEP), and ten more
//!   channels `ten-0`…`ten-9` opened at once: each echoes a text and a
//!   binary message (the path is lossless, so the unreliable ones deliver
//!   too);
//! - a binary message of exactly the negotiated max-message-size echoes back
//!   byte for byte, and one byte more is a `TypeError` from our `send`;
//! - both sides see the options each channel was created with;
//! - `pc.sctp()` is connected with the negotiated maxMessageSize and a
//!   maxChannels, over a DTLS transport that went connecting → connected.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{Kind, Remote};
use rtcpeer::{
    DataChannel, DataChannelInit, DtlsTransportEvent, DtlsTransportState, ErrorKind, Message,
    PeerConnection, SctpTransportEvent, SctpTransportState,
};
use serde_json::{json, Value};
use tokio::time::timeout;

const NEGOTIATED_ID: u16 = 40;
/// Firefox announces max-message-size 1073741823: it is capped to this.
const MMS_CAP: u64 = 262_144;

/// The matrix's channels as (label, page channel spec, our init).
fn matrix() -> Vec<(String, Value, DataChannelInit)> {
    let mut v = vec![
        (
            "reliable".to_string(),
            json!({"label": "reliable", "protocol": "matrix-v1"}),
            DataChannelInit {
                protocol: "matrix-v1".into(),
                ..Default::default()
            },
        ),
        (
            "unordered".to_string(),
            json!({"label": "unordered", "ordered": false}),
            DataChannelInit {
                ordered: false,
                ..Default::default()
            },
        ),
        (
            "rexmit0".to_string(),
            json!({"label": "rexmit0", "maxRetransmits": 0}),
            DataChannelInit {
                max_retransmits: Some(0),
                ..Default::default()
            },
        ),
        (
            "lifetime100".to_string(),
            json!({"label": "lifetime100", "maxPacketLifeTime": 100}),
            DataChannelInit {
                max_packet_life_time: Some(100),
                ..Default::default()
            },
        ),
    ];
    for i in 0..10 {
        let label = format!("ten-{i}");
        v.push((label.clone(), json!({ "label": label }), Default::default()));
    }
    v
}

fn negotiated_spec() -> Value {
    json!({"label": "negotiated", "negotiated": true, "id": NEGOTIATED_ID})
}

fn negotiated_init() -> DataChannelInit {
    DataChannelInit {
        negotiated: true,
        id: Some(NEGOTIATED_ID),
        ..Default::default()
    }
}

/// The test pattern for the big message: every byte depends on its offset.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn run_matrix(kind: Kind, we_offer: bool) {
    let setup = if we_offer {
        json!({"role": "answerer", "echo": true, "trickle": kind != Kind::Aiortc})
    } else {
        let mut specs: Vec<Value> = matrix().into_iter().map(|(_, s, _)| s).collect();
        specs.push(negotiated_spec());
        json!({"role": "offerer", "echo": true, "channels": specs, "trickle": kind != Kind::Aiortc})
    };
    let remote = Arc::new(Remote::launch(kind, setup).await);
    let pc =
        PeerConnection::with_settings(Default::default(), common::namespace_settings()).unwrap();
    let (task, mut incoming) = common::signal(
        &pc,
        remote.clone(),
        Some(common::cap_max_message_size(MMS_CAP)),
    );

    // Our handles on every channel, with their event streams.
    let mut channels: HashMap<String, (DataChannel, rtcpeer::DataChannelEventStream)> =
        HashMap::new();
    let neg = pc
        .create_data_channel("negotiated", negotiated_init())
        .unwrap();
    channels.insert("negotiated".into(), (neg.clone(), neg.events()));
    let all = matrix();
    if we_offer {
        remote
            .send(json!({ "createChannel": negotiated_spec() }))
            .await;
        for (label, _, init) in &all {
            let dc = pc.create_data_channel(label, init.clone()).unwrap();
            channels.insert(label.clone(), (dc.clone(), dc.events()));
        }
        common::offer(&pc, &remote).await;
    } else {
        while channels.len() < all.len() + 1 {
            let dc = timeout(common::LIMIT, incoming.recv())
                .await
                .expect("the peer's channels arrive in time")
                .expect("signaling runs");
            let events = dc.events();
            channels.insert(dc.label(), (dc, events));
        }
    }

    // Every channel opens, with the options it was made with.
    for (label, (dc, events)) in channels.iter_mut() {
        common::wait_open(events, label).await;
        assert_eq!(dc.label(), *label);
    }
    for (label, _, init) in &all {
        let dc = &channels[label].0;
        assert_eq!(dc.ordered(), init.ordered, "{label} ordered");
        assert_eq!(dc.max_retransmits(), init.max_retransmits, "{label}");
        assert_eq!(
            dc.max_packet_life_time(),
            init.max_packet_life_time,
            "{label}"
        );
        assert_eq!(dc.protocol(), init.protocol, "{label} protocol");
        assert!(!dc.negotiated(), "{label}");
        assert!(dc.id().is_some(), "{label} has an id once open");
    }
    assert_eq!(neg.id(), Some(NEGOTIATED_ID));
    assert!(neg.negotiated());

    // Send a text and a binary message on every channel, then collect echoes.
    for (label, (dc, _)) in &channels {
        dc.send_text(&format!("text on {label}")).unwrap();
        dc.send(label.as_bytes()).unwrap();
    }
    for (label, (dc, events)) in channels.iter_mut() {
        let mut got = vec![
            common::next_message(events, label).await,
            common::next_message(events, label).await,
        ];
        let want = vec![
            Message::Text(format!("text on {label}")),
            Message::Binary(label.as_bytes().to_vec()),
        ];
        if !dc.ordered() {
            got.sort_by_key(|m| matches!(m, Message::Binary(_)));
        }
        assert_eq!(got, want, "{label} echoes in order");
    }

    // Exactly the negotiated max-message-size, then one byte more.
    let mms = pc.max_message_size();
    // Chromium and aiortc 1.16 announce 262144; Firefox's is capped to it.
    assert_eq!(mms, MMS_CAP as usize, "the peer's max-message-size");
    let (dc, events) = channels.get_mut("reliable").unwrap();
    let big = pattern(mms);
    dc.send(&big).unwrap();
    match common::next_message(events, "reliable").await {
        Message::Binary(b) => {
            assert_eq!(b.len(), mms);
            assert!(b == big, "the max-size message echoes byte for byte");
        }
        m => panic!("expected the binary echo, got {m:?}"),
    }
    let too_big = dc.send(&pattern(mms + 1)).unwrap_err();
    assert_eq!(too_big.kind(), ErrorKind::TypeError);
    let too_big = dc.send_text(&"x".repeat(mms + 1)).unwrap_err();
    assert_eq!(too_big.kind(), ErrorKind::TypeError);

    // pc.sctp: connected, with the negotiated limits, over a connected DTLS
    // transport; both reported their state changes.
    let sctp = pc
        .sctp()
        .expect("pc.sctp once data channels are negotiated");
    assert_eq!(sctp.state(), SctpTransportState::Connected);
    assert_eq!(sctp.max_message_size(), mms);
    let max_channels = sctp.max_channels().expect("maxChannels once connected");
    assert!(max_channels > NEGOTIATED_ID, "maxChannels {max_channels}");
    assert_eq!(sctp.transport().state(), DtlsTransportState::Connected);
    let mut sctp_events = sctp.events();
    assert_eq!(
        sctp_events.try_recv(),
        Some(SctpTransportEvent::StateChange(
            SctpTransportState::Connected
        ))
    );
    let mut dtls_states = Vec::new();
    let mut dtls_events = sctp.transport().events();
    while let Some(e) = dtls_events.try_recv() {
        match e {
            DtlsTransportEvent::StateChange(s) => dtls_states.push(s),
            e => panic!("unexpected DTLS event {e:?}"),
        }
    }
    assert_eq!(
        dtls_states,
        [
            DtlsTransportState::Connecting,
            DtlsTransportState::Connected
        ]
    );

    // The DTLS version the handshake settled on (we offer 1.2 as client and
    // take what the peer's ClientHello offers as server).
    let stats = pc.get_stats().await.unwrap();
    let tls = stats.iter().find_map(|s| match &s.kind {
        rtcpeer::stats::StatsKind::Transport(t) => t.tls_version.clone(),
        _ => None,
    });
    println!("{kind:?} we_offer={we_offer}: DTLS version {tls:?}");
    assert!(matches!(tls.as_deref(), Some("FEFD" | "FEFC")), "{tls:?}");

    // The peer's view: every channel and its options, every message.
    let report = remote.report().await;
    assert_eq!(report["connectionState"], json!("connected"), "{report}");
    let page_channels: HashMap<String, Value> = report["channels"]
        .as_array()
        .expect("the report lists channels")
        .iter()
        .map(|c| (c["label"].as_str().unwrap().to_string(), c.clone()))
        .collect();
    assert_eq!(page_channels.len(), all.len() + 1, "{report}");
    for (label, _, init) in &all {
        let c = &page_channels[label];
        assert_eq!(c["ordered"], json!(init.ordered), "{label}: {c}");
        assert_eq!(
            c["maxRetransmits"],
            json!(init.max_retransmits),
            "{label}: {c}"
        );
        assert_eq!(
            c["maxPacketLifeTime"],
            json!(init.max_packet_life_time),
            "{label}: {c}"
        );
        assert_eq!(c["protocol"], json!(init.protocol), "{label}: {c}");
        assert_eq!(
            c["id"],
            json!(channels[label].0.id()),
            "{label}: same stream id"
        );
        let n = if label == "reliable" { 3 } else { 2 };
        assert_eq!(report["counts"][label]["messages"], json!(n), "{label}");
    }
    assert_eq!(page_channels["negotiated"]["id"], json!(NEGOTIATED_ID));
    assert_eq!(page_channels["negotiated"]["negotiated"], json!(true));
    assert_eq!(report["counts"]["negotiated"]["messages"], json!(2));
    assert_eq!(
        report["counts"]["reliable"]["bytes"],
        json!("text on reliable".len() + "reliable".len() + mms)
    );
    task.abort();
    pc.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_matrix_we_offer() {
    testkit::isolate!();
    run_matrix(Kind::Chromium, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_matrix_chromium_offers() {
    testkit::isolate!();
    run_matrix(Kind::Chromium, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_matrix_we_offer() {
    testkit::isolate!();
    run_matrix(Kind::Firefox, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_matrix_firefox_offers() {
    testkit::isolate!();
    run_matrix(Kind::Firefox, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aiortc_matrix_we_offer() {
    testkit::isolate!();
    run_matrix(Kind::Aiortc, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aiortc_matrix_aiortc_offers() {
    testkit::isolate!();
    run_matrix(Kind::Aiortc, false).await;
}
