//! The async API surface of `rtcpeer::PeerConnection`: events (stream and
//! `on_*` handlers, in W3C order), senders/receivers/transceivers, the
//! deprecated forms, W3C error names, `close()`, and the browsers' JSON
//! forms. Two connections in one process; no candidates are exchanged.

#![allow(deprecated)] // the deprecated W3C members are tested on purpose

use std::sync::{Arc, Mutex};

use rtcpeer::{
    Direction, ErrorKind, Event, EventStream, IceCandidateInit, MediaKind, MediaStream,
    MediaStreamTrack, PeerConnection, SdpType, SessionDescription, SignalingState,
};
use rtcpeer_proto::TransceiverInit;
use serde_json::json;

/// Loopback only: these tests run outside a network namespace, so the
/// connection must not gather on the machine's own interfaces.
fn pc() -> PeerConnection {
    PeerConnection::with_settings(Default::default(), rtcpeer::Settings::loopback_only())
        .expect("a connection with defaults")
}

/// A short name for an event, with what matters about it.
fn name(e: &Event) -> String {
    match e {
        Event::SignalingStateChange(s) => format!("signalingstatechange {s}"),
        Event::NegotiationNeeded => "negotiationneeded".into(),
        Event::Track(t) => format!(
            "track {} [{}]",
            t.track.kind(),
            t.streams
                .iter()
                .map(|s| s.id().to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Event::AddStream(s) => format!("addstream {}", s.id()),
        Event::RemoveStream(s) => format!("removestream {}", s.id()),
        other => format!("{other:?}"),
    }
}

/// Every event queued on `events` now (they are dispatched before each call returns).
fn drain(events: &mut EventStream) -> Vec<String> {
    std::iter::from_fn(|| events.try_recv())
        .map(|e| name(&e))
        .collect()
}

/// Offer from `a`, answer from `b`, both applied.
async fn negotiate(a: &PeerConnection, b: &PeerConnection) {
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    a.set_remote_description(answer).await.unwrap();
}

fn recorder(pc: &PeerConnection) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let push = |seen: &Arc<Mutex<Vec<String>>>| {
        let seen = seen.clone();
        move |e: Event| seen.lock().unwrap().push(name(&e))
    };
    pc.on_signaling_state_change(push(&seen));
    pc.on_negotiation_needed(push(&seen));
    pc.on_track(push(&seen));
    pc.on_add_stream(push(&seen));
    seen
}

#[tokio::test]
async fn events_arrive_in_w3c_order_on_streams_and_handlers() {
    let (a, b) = (pc(), pc());
    let (mut ea, mut eb) = (a.events(), b.events());
    let (ha, hb) = (recorder(&a), recorder(&b));

    let stream = MediaStream::with_id("cam", vec![]);
    a.add_track(&MediaStreamTrack::new(MediaKind::Audio), &[stream])
        .unwrap();
    assert_eq!(drain(&mut ea), ["negotiationneeded"]);

    let offer = a.create_offer(Default::default()).await.unwrap();
    assert!(drain(&mut ea).is_empty(), "createOffer fires nothing");
    a.set_local_description(Some(offer.clone())).await.unwrap();
    assert_eq!(drain(&mut ea), ["signalingstatechange have-local-offer"]);

    b.set_remote_description(offer).await.unwrap();
    // The order within this step is checked by
    // `signalingstatechange_precedes_track`; here, the set.
    let mut got = drain(&mut eb);
    got.sort();
    assert_eq!(
        got,
        [
            "addstream cam",
            "signalingstatechange have-remote-offer",
            "track audio [cam]"
        ]
    );
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    assert_eq!(drain(&mut eb), ["signalingstatechange stable"]);
    a.set_remote_description(answer).await.unwrap();
    assert_eq!(
        drain(&mut ea),
        ["signalingstatechange stable"],
        "b only receives: no track at a"
    );

    // The handlers saw exactly what the streams saw, in the same order.
    assert_eq!(
        *ha.lock().unwrap(),
        [
            "negotiationneeded",
            "signalingstatechange have-local-offer",
            "signalingstatechange stable"
        ]
    );
    let hb = hb.lock().unwrap().clone();
    assert_eq!(hb.len(), 4, "{hb:?}");
    let mut first3 = hb[..3].to_vec();
    first3.sort();
    assert_eq!(first3, got, "b's handlers saw what its stream saw");
    assert_eq!(hb[3], "signalingstatechange stable");
}

/// webrtc-pc §4.4.1.6 (set the session description, step 4.7): after a
/// remote offer, `signalingstatechange` fires first, then the track events.
///
/// Regression test: rtcpeer-proto's `apply_remote_offer` once queued `Track`
/// (from `process_remote_tracks`) before `SignalingStateChange` (fixed in
/// 04fc9f9).
#[tokio::test]
async fn signalingstatechange_precedes_track() {
    let (a, b) = (pc(), pc());
    let stream = MediaStream::with_id("cam", vec![]);
    a.add_track(&MediaStreamTrack::new(MediaKind::Audio), &[stream])
        .unwrap();
    let mut eb = b.events();
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let got: Vec<String> = drain(&mut eb)
        .into_iter()
        .filter(|e| !e.starts_with("addstream"))
        .collect();
    assert_eq!(
        got,
        [
            "signalingstatechange have-remote-offer",
            "track audio [cam]"
        ]
    );
}

/// `sender.track` is the very track given to `addTrack`, so the legacy
/// `add_stream` skips tracks already sent and `remove_stream` finds them.
///
/// Regression test: `MediaStreamTrack` once compared labels too, and
/// `RtpSender::track()` rebuilds the track with the id as its label; so a
/// second `add_stream` failed with InvalidAccessError "already has a sender"
/// and `remove_stream` silently removed nothing (fixed in 04fc9f9).
#[tokio::test]
async fn sender_track_is_the_added_track() {
    let a = pc();
    let mic = MediaStreamTrack::new(MediaKind::Audio);
    let stream = MediaStream::with_id("legacy", vec![mic.clone()]);
    let sender = a.add_track(&mic, std::slice::from_ref(&stream)).unwrap();
    assert_eq!(sender.track(), Some(mic.clone()));
    a.add_stream(&stream)
        .expect("addStream skips tracks already sent");
    assert_eq!(a.get_senders().len(), 1);
    // removeStream finds the senders of the stream's tracks by equality too.
    let b = pc();
    negotiate(&a, &b).await;
    a.remove_stream(&stream).unwrap();
    assert!(a.get_senders().iter().all(|s| s.track().is_none()));
    assert_eq!(a.get_senders().len(), 1, "the transceiver stays");
    let removed = Arc::new(Mutex::new(Vec::new()));
    let seen = removed.clone();
    b.on_remove_stream(move |e| seen.lock().unwrap().push(name(&e)));
    negotiate(&a, &b).await;
    assert_eq!(*removed.lock().unwrap(), ["removestream legacy"]);
}

#[tokio::test]
async fn several_streams_each_get_every_event_and_a_new_handler_replaces_the_old() {
    let a = pc();
    let (mut one, mut two) = (a.events(), a.events());
    let first = Arc::new(Mutex::new(0));
    let second = Arc::new(Mutex::new(0));
    let f = first.clone();
    a.on_negotiation_needed(move |_| *f.lock().unwrap() += 1);
    let s = second.clone();
    a.on_negotiation_needed(move |_| *s.lock().unwrap() += 1);
    a.add_transceiver_with_kind(MediaKind::Video, TransceiverInit::default())
        .unwrap();
    assert_eq!(drain(&mut one), ["negotiationneeded"]);
    assert_eq!(drain(&mut two), ["negotiationneeded"]);
    assert_eq!(
        *first.lock().unwrap(),
        0,
        "onnegotiationneeded = h replaces"
    );
    assert_eq!(*second.lock().unwrap(), 1);
}

#[tokio::test]
async fn track_event_carries_the_transceiver_receiver_and_streams() {
    let (a, b) = (pc(), pc());
    let stream = MediaStream::with_id("s1", vec![]);
    a.add_track(&MediaStreamTrack::new(MediaKind::Video), &[stream])
        .unwrap();
    let mut eb = b.events();
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let track = std::iter::from_fn(|| eb.try_recv())
        .find_map(|e| match e {
            Event::Track(t) => Some(t),
            _ => None,
        })
        .expect("a track event");
    assert_eq!(track.track.kind(), MediaKind::Video);
    assert_eq!(track.receiver.track(), track.track);
    assert_eq!(track.transceiver.receiver().track(), track.track);
    assert_eq!(track.transceiver.mid().as_deref(), Some("0"));
    assert_eq!(track.streams.len(), 1);
    assert_eq!(track.streams[0].id(), "s1");
    assert_eq!(b.get_transceivers(), vec![track.transceiver.clone()]);
}

#[tokio::test]
async fn senders_receivers_and_transceivers_agree() {
    let a = pc();
    assert!(a.get_transceivers().is_empty());
    let audio = MediaStreamTrack::new(MediaKind::Audio);
    let sender = a.add_track(&audio, &[]).unwrap();
    let video = a
        .add_transceiver_with_kind(
            MediaKind::Video,
            TransceiverInit {
                direction: Some(Direction::RecvOnly),
                ..Default::default()
            },
        )
        .unwrap();
    let ts = a.get_transceivers();
    assert_eq!(ts.len(), 2);
    assert_eq!(ts[0].sender(), sender);
    assert_eq!(sender.transceiver(), ts[0]);
    assert_eq!(ts[1], video);
    assert_eq!(ts[0].kind(), MediaKind::Audio);
    assert_eq!(ts[1].kind(), MediaKind::Video);
    assert_eq!(ts[0].direction(), Direction::SendRecv);
    assert_eq!(ts[1].direction(), Direction::RecvOnly);
    assert_eq!(ts[0].mid(), None, "no mid before negotiation");
    assert_eq!(ts[0].current_direction(), None);

    let senders = a.get_senders();
    assert_eq!(senders, vec![sender.clone(), video.sender()]);
    assert_eq!(
        senders[0].track().map(|t| (t.id().to_string(), t.kind())),
        Some((audio.id().to_string(), MediaKind::Audio)),
        "(full equality: `sender_track_is_the_added_track`)"
    );
    assert_eq!(
        senders[1].track(),
        None,
        "addTransceiver(kind) has no track"
    );
    let receivers = a.get_receivers();
    assert_eq!(receivers.len(), 2);
    assert_eq!(receivers[0].track().kind(), MediaKind::Audio);
    assert_eq!(receivers[1].track().kind(), MediaKind::Video);

    // Adding the same track again is InvalidAccessError (webrtc-pc addTrack step 7).
    assert_eq!(
        a.add_track(&audio, &[]).unwrap_err().kind(),
        ErrorKind::InvalidAccessError
    );
    // removeTrack leaves the transceiver, drops the track, stops sending.
    a.remove_track(&sender).unwrap();
    assert_eq!(a.get_transceivers().len(), 2);
    assert_eq!(sender.track(), None);
    assert_eq!(ts[0].direction(), Direction::RecvOnly);
}

#[tokio::test]
async fn directions_and_mids_after_negotiation() {
    let (a, b) = (pc(), pc());
    let t = a
        .add_transceiver_with_kind(
            MediaKind::Audio,
            TransceiverInit {
                direction: Some(Direction::SendOnly),
                ..Default::default()
            },
        )
        .unwrap();
    negotiate(&a, &b).await;
    let bt = &b.get_transceivers()[0];
    assert_eq!(t.mid(), bt.mid());
    assert!(t.mid().is_some());
    assert_eq!(bt.direction(), Direction::RecvOnly, "made by the offer");
    assert_eq!(t.current_direction(), Some(Direction::SendOnly));
    assert_eq!(bt.current_direction(), Some(Direction::RecvOnly));
    t.stop().unwrap();
    assert_eq!(t.direction(), Direction::Stopped);
}

#[tokio::test]
async fn deprecated_add_stream_and_remove_stream() {
    let (a, b) = (pc(), pc());
    let mic = MediaStreamTrack::new(MediaKind::Audio);
    let cam = MediaStreamTrack::new(MediaKind::Video);
    let stream = MediaStream::with_id("legacy", vec![mic.clone(), cam.clone()]);
    a.add_stream(&stream).unwrap();
    // (Adding it twice: `sender_track_is_the_added_track`.)
    let tracks: Vec<_> = a
        .get_senders()
        .iter()
        .map(|s| s.track().map(|t| t.id().to_string()))
        .collect();
    assert_eq!(
        tracks,
        vec![Some(mic.id().to_string()), Some(cam.id().to_string())],
        "one sender per track of the stream"
    );

    let added = Arc::new(Mutex::new(Vec::new()));
    let seen = added.clone();
    b.on_add_stream(move |e| seen.lock().unwrap().push(name(&e)));
    negotiate(&a, &b).await;
    assert_eq!(
        *added.lock().unwrap(),
        ["addstream legacy"],
        "one addstream for the two tracks of one stream"
    );

    // remove_stream: see `sender_track_is_the_added_track`.
}

/// Runs a callback-form call and returns which callback ran, with its value.
async fn callback_result<T: Send + 'static>(
    start: impl FnOnce(Box<dyn FnOnce(T) + Send>, Box<dyn FnOnce(rtcpeer::Error) + Send>),
) -> Result<T, rtcpeer::Error> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let (t1, t2) = (tx.clone(), tx);
    start(
        Box::new(move |v| {
            let _ = t1.lock().unwrap().take().unwrap().send(Ok(v));
        }),
        Box::new(move |e| {
            let _ = t2.lock().unwrap().take().unwrap().send(Err(e));
        }),
    );
    rx.await.expect("one of the callbacks runs")
}

#[tokio::test]
async fn deprecated_callback_forms() {
    let (a, b) = (pc(), pc());
    a.add_transceiver_with_kind(MediaKind::Audio, TransceiverInit::default())
        .unwrap();
    let offer =
        callback_result(|ok, err| a.create_offer_with_callbacks(ok, err, Default::default()))
            .await
            .expect("createOffer succeeds");
    assert_eq!(offer.sdp_type, SdpType::Offer);
    callback_result(|ok, err| {
        a.set_local_description_with_callbacks(offer.clone(), move || ok(()), err)
    })
    .await
    .expect("setLocalDescription succeeds");
    assert_eq!(a.signaling_state(), SignalingState::HaveLocalOffer);
    callback_result(|ok, err| {
        b.set_remote_description_with_callbacks(offer.clone(), move || ok(()), err)
    })
    .await
    .expect("setRemoteDescription succeeds");
    let answer = callback_result(|ok, err| b.create_answer_with_callbacks(ok, err))
        .await
        .expect("createAnswer succeeds");
    assert_eq!(answer.sdp_type, SdpType::Answer);

    // The failure callback gets the W3C error: an answer from `a`, which
    // has no remote offer, is InvalidStateError.
    let err = callback_result(|ok, err| a.create_answer_with_callbacks(ok, err))
        .await
        .expect_err("createAnswer in have-local-offer fails");
    assert_eq!(err.kind(), ErrorKind::InvalidStateError, "{err}");
    let err = callback_result(|ok, err| {
        let c = IceCandidateInit {
            candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
            sdp_mid: Some("0".into()),
            ..Default::default()
        };
        pc().add_ice_candidate_with_callbacks(c, move || ok(()), err)
    })
    .await
    .expect_err("addIceCandidate before a remote description fails");
    assert_eq!(err.kind(), ErrorKind::InvalidStateError, "{err}");
}

#[tokio::test]
async fn errors_carry_w3c_names() {
    let (a, b) = (pc(), pc());
    // An answer in stable.
    let err = a
        .set_remote_description(SessionDescription::answer("v=0\r\n"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidStateError, "{err}");
    assert_eq!(err.name(), "InvalidStateError");
    assert!(err.to_string().starts_with("InvalidStateError"), "{err}");
    // createAnswer without a remote offer.
    let err = a.create_answer(Default::default()).await.unwrap_err();
    assert_eq!(err.name(), "InvalidStateError", "{err}");
    // A candidate without sdpMid or sdpMLineIndex.
    b.add_transceiver_with_kind(MediaKind::Audio, TransceiverInit::default())
        .unwrap();
    let offer = b.create_offer(Default::default()).await.unwrap();
    a.set_remote_description(offer).await.unwrap();
    let err = a
        .add_ice_candidate(Some(IceCandidateInit {
            candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "TypeError", "{err}");
    // A sender of another connection.
    let other = b.get_senders().remove(0);
    let err = a.remove_track(&other).unwrap_err();
    assert_eq!(err.name(), "InvalidAccessError", "{err}");
    // Garbage SDP is rejected with an error, never a panic.
    let err = pc()
        .set_remote_description(SessionDescription::offer("this is not SDP"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::OperationError | ErrorKind::InvalidAccessError | ErrorKind::SyntaxError
        ),
        "{err}"
    );
    // An offer without DTLS fingerprints is InvalidAccessError.
    let c = pc();
    c.add_transceiver_with_kind(MediaKind::Audio, TransceiverInit::default())
        .unwrap();
    let offer = c.create_offer(Default::default()).await.unwrap();
    let stripped: String = offer
        .sdp
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=fingerprint:"))
        .collect();
    let err = pc()
        .set_remote_description(SessionDescription::offer(stripped))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "InvalidAccessError", "{err}");
}

#[tokio::test]
async fn close_makes_later_calls_fail_with_invalid_state() {
    let (a, b) = (pc(), pc());
    let sender = a
        .add_track(&MediaStreamTrack::new(MediaKind::Audio), &[])
        .unwrap();
    b.add_transceiver_with_kind(MediaKind::Audio, TransceiverInit::default())
        .unwrap();
    let offer = b.create_offer(Default::default()).await.unwrap();
    let mut events = a.events();
    a.close();
    a.close(); // a second close is a no-op
    assert_eq!(a.signaling_state(), SignalingState::Closed);
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| e.starts_with("signalingstatechange")),
        "close() fires no signalingstatechange"
    );

    let closed = |r: Result<(), rtcpeer::Error>, what: &str| {
        let err = r.expect_err(what);
        assert_eq!(err.kind(), ErrorKind::InvalidStateError, "{what}: {err}");
    };
    closed(
        a.create_offer(Default::default()).await.map(drop),
        "create_offer",
    );
    closed(
        a.create_answer(Default::default()).await.map(drop),
        "create_answer",
    );
    closed(a.set_local_description(None).await, "set_local_description");
    closed(
        a.set_remote_description(offer).await,
        "set_remote_description",
    );
    closed(
        a.add_ice_candidate(Some(IceCandidateInit {
            candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
            sdp_mid: Some("0".into()),
            ..Default::default()
        }))
        .await,
        "add_ice_candidate",
    );
    closed(
        a.add_track(&MediaStreamTrack::new(MediaKind::Video), &[])
            .map(drop),
        "add_track",
    );
    closed(a.remove_track(&sender), "remove_track");
    closed(
        a.add_transceiver_with_kind(MediaKind::Video, TransceiverInit::default())
            .map(drop),
        "add_transceiver",
    );
    closed(
        a.set_configuration(a.get_configuration()),
        "set_configuration",
    );
    // A clone is the same, closed, connection.
    let clone = a.clone();
    assert_eq!(clone.signaling_state(), SignalingState::Closed);
    closed(
        clone.create_offer(Default::default()).await.map(drop),
        "create_offer on a clone",
    );
}

#[test]
fn session_description_json_is_the_browsers() {
    // As `JSON.stringify(pc.localDescription)` gives it in a browser.
    let sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    let from_browser = json!({"type": "offer", "sdp": sdp});
    let d: SessionDescription = serde_json::from_value(from_browser.clone()).unwrap();
    assert_eq!(d.sdp_type, SdpType::Offer);
    assert_eq!(d.sdp, sdp);
    assert_eq!(serde_json::to_value(&d).unwrap(), from_browser);
    assert_eq!(
        SessionDescription::from_json(&d.to_json()).unwrap(),
        d,
        "to_json/from_json round trip"
    );
    for t in ["offer", "answer", "pranswer", "rollback"] {
        let v = json!({"type": t, "sdp": ""});
        let d: SessionDescription = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(d.sdp_type.as_str(), t);
        assert_eq!(serde_json::to_value(&d).unwrap(), v);
    }
    // A rollback without sdp, as `{type: 'rollback'}`.
    let d = SessionDescription::from_json(r#"{"type":"rollback"}"#).unwrap();
    assert_eq!(d, SessionDescription::rollback());
    // A bad type is a TypeError, as in a browser.
    let err = SessionDescription::from_json(r#"{"type":"bogus","sdp":""}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeError, "{err}");
    let err = SessionDescription::from_json(r#"{"sdp":""}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeError, "{err}");
}

#[test]
fn ice_candidate_json_is_the_browsers() {
    // As `JSON.stringify(event.candidate)` gives it in Chromium.
    let from_browser = json!({
        "candidate": "candidate:842163049 1 udp 1677729535 203.0.113.1 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag EsAw network-cost 999",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "EsAw"
    });
    let c: IceCandidateInit = serde_json::from_value(from_browser.clone()).unwrap();
    assert_eq!(c.sdp_mid.as_deref(), Some("0"));
    assert_eq!(c.sdp_m_line_index, Some(0));
    assert_eq!(c.username_fragment.as_deref(), Some("EsAw"));
    assert!(c.candidate.starts_with("candidate:842163049 1 udp"));
    assert_eq!(serde_json::to_value(&c).unwrap(), from_browser);
    assert_eq!(IceCandidateInit::from_json(&c.to_json()).unwrap(), c);

    // End of candidates as Firefox sends it, and with nulls.
    let end: IceCandidateInit = serde_json::from_value(json!({"candidate": ""})).unwrap();
    assert!(end.candidate.is_empty());
    assert_eq!(end.sdp_mid, None);
    let nulls: IceCandidateInit = serde_json::from_value(json!({
        "candidate": "", "sdpMid": null, "sdpMLineIndex": null, "usernameFragment": null
    }))
    .unwrap();
    assert_eq!(nulls, end);
    // sdpMLineIndex is an unsigned short.
    assert!(IceCandidateInit::from_json(r#"{"candidate":"","sdpMLineIndex":-1}"#).is_err());
}

#[tokio::test]
async fn browser_shaped_json_drives_a_whole_exchange() {
    // The descriptions cross as JSON values, as they would over a signaling
    // channel to a browser.
    let (a, b) = (pc(), pc());
    a.add_transceiver_with_kind(MediaKind::Video, TransceiverInit::default())
        .unwrap();
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer)).await.unwrap();
    let wire = serde_json::to_value(a.local_description().unwrap()).unwrap();
    assert_eq!(wire["type"], "offer");
    b.set_remote_description(serde_json::from_value(wire).unwrap())
        .await
        .unwrap();
    b.set_local_description(None).await.unwrap();
    let wire = serde_json::to_string(&b.local_description().unwrap()).unwrap();
    assert!(
        wire.starts_with(r#"{"type":"answer","sdp":"v=0\r\n"#),
        "{wire}"
    );
    a.set_remote_description(SessionDescription::from_json(&wire).unwrap())
        .await
        .unwrap();
    assert_eq!(a.signaling_state(), SignalingState::Stable);
    assert_eq!(a.get_transceivers()[0].mid(), b.get_transceivers()[0].mid());
}
