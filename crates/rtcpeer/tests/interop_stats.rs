//! Our `getStats()` side by side with Chromium's for the same session (inside
//! a private network namespace): the same types, each side's ids linked, and
//! counters that agree across the wire.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Kind, Remote, LIMIT};
use rtcpeer::stats::{Stats, StatsKind, StatsReport};
use rtcpeer::{MediaKind, MediaStreamTrack, PeerConnection, Sample};
use serde_json::json;
use std::time::Duration;
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

/// Chromium's whole report (raw JSON and read) and ours, taken right after it.
async fn both_reports(
    pc: &PeerConnection,
    chromium: &Remote,
) -> (StatsReport, serde_json::Value, StatsReport) {
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
    (ours, raw, theirs)
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

    // Both sides must come to name the same pair; while checks still run
    // (both have loopback and veth candidates) one report can be taken just
    // before the other side switched, so ask again for a while.
    let mut reports = both_reports(&pc, &chromium).await;
    for _ in 0..40 {
        let (ours, _, theirs) = &reports;
        let (po, pt) = (pair(ours), pair(theirs));
        if endpoint(ours, &po.local_candidate_id) == endpoint(theirs, &pt.remote_candidate_id)
            && endpoint(ours, &po.remote_candidate_id) == endpoint(theirs, &pt.local_candidate_id)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        reports = both_reports(&pc, &chromium).await;
    }
    let (ours, raw, theirs) = reports;

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

fn by_ssrc<'a>(r: &'a StatsReport, type_name: &str, kind: &str) -> Vec<&'a Stats> {
    r.of_type(type_name)
        .filter(|s| serde_json::to_value(s).unwrap()["kind"] == kind)
        .collect()
}

fn field(s: &Stats, name: &str) -> serde_json::Value {
    serde_json::to_value(s).unwrap()[name].clone()
}

fn count(s: &Stats, name: &str) -> u64 {
    field(s, name)
        .as_u64()
        .unwrap_or_else(|| panic!("{} has no {name}", s.id))
}

/// The RTP half: Chromium sends its fake camera and microphone, we send
/// audio; both reports must have the same RTP objects for the same SSRCs,
/// with counters that agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_rtp_stats_match_chromiums_for_the_same_session() {
    testkit::isolate!();
    let chromium = Arc::new(
        Remote::launch(
            Kind::Chromium,
            json!({"role": "answerer", "media": {"audio": true, "video": true}}),
        )
        .await,
    );
    let pc =
        PeerConnection::with_settings(Default::default(), common::namespace_settings()).unwrap();
    let mic = MediaStreamTrack::new(MediaKind::Audio);
    pc.add_transceiver_with_track(&mic, Default::default())
        .unwrap();
    pc.add_transceiver_with_kind(MediaKind::Video, Default::default())
        .unwrap();
    let (signaling, _) = common::signal(&pc, chromium.clone(), None);
    common::offer(&pc, &chromium).await;

    // Our audio: Opus silence frames (a valid 20 ms packet) until both sides
    // have each other's RTCP reports.
    let silence = Sample {
        data: vec![0xf8, 0xff, 0xfe],
        duration: Duration::from_millis(20),
    };
    timeout(LIMIT, async {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tick.tick().await;
            mic.write_sample(&silence);
            let ours = pc.get_stats().await.unwrap();
            let remote = ["remote-inbound-rtp", "remote-outbound-rtp"]
                .iter()
                .all(|t| ours.of_type(t).next().is_some());
            if remote && ours.of_type("inbound-rtp").count() == 2 {
                return;
            }
        }
    })
    .await
    .expect("media both ways and RTCP reports on our side in time");
    // Two more seconds of audio, so Chromium has our sender reports too.
    for _ in 0..100 {
        mic.write_sample(&silence);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let what we sent arrive before the reports are taken.
    tokio::time::sleep(Duration::from_millis(300)).await;
    signaling.abort();
    let (ours, _raw, theirs) = both_reports(&pc, &chromium).await;

    // The same types, but media-playout (we do not play audio out).
    let types = |r: &StatsReport| r.iter().map(|s| s.type_name()).collect::<BTreeSet<_>>();
    let (to, tt) = (types(&ours), types(&theirs));
    assert!(to.is_subset(&tt), "we report {to:?}, Chromium {tt:?}");
    let missing: Vec<_> = tt.difference(&to).collect();
    assert_eq!(
        missing,
        vec![&"media-playout"],
        "only media-playout is Chromium's alone"
    );
    assert!(ours.dangling_ids().is_empty(), "{:?}", ours.dangling_ids());
    assert!(
        theirs.dangling_ids().is_empty(),
        "{:?}",
        theirs.dangling_ids()
    );

    // Chromium → us: each of its outbound streams is one of our inbound ones.
    for kind in ["audio", "video"] {
        let sent = by_ssrc(&theirs, "outbound-rtp", kind);
        let got = by_ssrc(&ours, "inbound-rtp", kind);
        assert_eq!((sent.len(), got.len()), (1, 1), "{kind}");
        let (sent, got) = (sent[0], got[0]);
        assert_eq!(field(sent, "ssrc"), field(got, "ssrc"), "{kind} ssrc");
        let mime = |r: &StatsReport, s: &Stats| {
            field(
                r.get(field(s, "codecId").as_str().unwrap()).unwrap(),
                "mimeType",
            )
        };
        assert_eq!(mime(&theirs, sent), mime(&ours, got), "{kind} codec");
        // Media keeps flowing while the reports are taken: ours is later.
        let (s, g) = (count(sent, "packetsSent"), count(got, "packetsReceived"));
        println!("{kind}: Chromium sent {s}, we received {g}");
        assert!(g + 5 >= s && g <= s + 200, "{kind}: sent {s}, received {g}");
        // Our receiver reports reached Chromium, its sender reports us.
        assert!(
            theirs
                .get(
                    field(sent, "remoteId")
                        .as_str()
                        .expect("Chromium has our RR")
                )
                .is_some(),
            "{kind}"
        );
        assert!(
            ours.get(
                field(got, "remoteId")
                    .as_str()
                    .expect("we have Chromium's SR")
            )
            .is_some(),
            "{kind}"
        );
    }

    // Us → Chromium: our audio arrived, all of it (we stopped sending).
    let sent = by_ssrc(&ours, "outbound-rtp", "audio");
    let got = by_ssrc(&theirs, "inbound-rtp", "audio");
    assert_eq!((sent.len(), got.len()), (1, 1));
    let (sent, got) = (sent[0], got[0]);
    assert_eq!(field(sent, "ssrc"), field(got, "ssrc"));
    assert_eq!(count(sent, "packetsSent"), count(got, "packetsReceived"));
    assert_eq!(count(sent, "bytesSent"), count(got, "bytesReceived"));
    let ri = ours
        .get(
            field(sent, "remoteId")
                .as_str()
                .expect("Chromium's RR about our audio"),
        )
        .unwrap();
    assert!(
        count(ri, "roundTripTimeMeasurements") >= 1,
        "RTT measured from LSR/DLSR"
    );
    assert_eq!(field(ri, "packetsLost"), 0);
    let ro = theirs
        .get(
            field(got, "remoteId")
                .as_str()
                .expect("our SR reached Chromium"),
        )
        .unwrap();
    assert!(count(ro, "packetsSent") <= count(sent, "packetsSent"));
    assert!(count(ro, "packetsSent") > 0);

    // The selector forms: one sender's / receiver's objects and what they refer to.
    let by_track = pc.get_stats_for_track(&mic).await.unwrap();
    let sender = pc
        .get_senders()
        .into_iter()
        .find(|s| s.track().is_some_and(|t| t.id() == mic.id()))
        .unwrap();
    let of_sender = sender.get_stats().await.unwrap();
    for r in [&by_track, &of_sender] {
        let types = r.iter().map(|s| s.type_name()).collect::<BTreeSet<_>>();
        assert_eq!(r.of_type("outbound-rtp").count(), 1, "{types:?}");
        assert_eq!(r.of_type("inbound-rtp").count(), 0, "{types:?}");
        for t in [
            "codec",
            "transport",
            "media-source",
            "remote-inbound-rtp",
            "candidate-pair",
        ] {
            assert!(types.contains(t), "{t} missing from {types:?}");
        }
        assert!(r.dangling_ids().is_empty());
    }
    let video_rx = pc
        .get_receivers()
        .into_iter()
        .find(|r| r.track().kind() == MediaKind::Video)
        .unwrap();
    let of_receiver = video_rx.get_stats().await.unwrap();
    assert_eq!(of_receiver.of_type("inbound-rtp").count(), 1);
    assert_eq!(of_receiver.of_type("outbound-rtp").count(), 0);
    let unknown = MediaStreamTrack::new(MediaKind::Audio);
    let e = pc.get_stats_for_track(&unknown).await.unwrap_err();
    assert_eq!(e.kind(), rtcpeer::ErrorKind::InvalidAccessError);

    chromium.report().await;
    pc.close();
}
