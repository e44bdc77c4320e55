//! JSEP tests derived from the W3C web-platform-tests `webrtc/` files. Each
//! test names the WPT file whose assertions it carries over.

use rtcpeer_proto::*;

fn pc() -> PeerConnection {
    PeerConnection::new(Configuration::default()).expect("a connection with defaults")
}

fn events(pc: &mut PeerConnection) -> Vec<Event> {
    std::iter::from_fn(|| pc.poll_event()).collect()
}

fn negotiation_needed_count(pc: &mut PeerConnection) -> usize {
    events(pc)
        .into_iter()
        .filter(|e| *e == Event::NegotiationNeeded)
        .count()
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.sdp", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn audio() -> TrackOrKind {
    TrackOrKind::Kind(MediaKind::Audio)
}

fn video() -> TrackOrKind {
    TrackOrKind::Kind(MediaKind::Video)
}

fn track(id: &str, kind: MediaKind) -> Track {
    Track {
        id: id.into(),
        kind,
    }
}

/// Offer from `a`, answer from `b`, both applied.
fn negotiate(a: &mut PeerConnection, b: &mut PeerConnection) {
    let offer = a.create_offer(&OfferOptions::default()).unwrap();
    a.set_local_description(Some(offer.clone())).unwrap();
    b.set_remote_description(offer).unwrap();
    let answer = b.create_answer(&AnswerOptions::default()).unwrap();
    b.set_local_description(Some(answer.clone())).unwrap();
    a.set_remote_description(answer).unwrap();
}

fn m_lines(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("m=")).collect()
}

// ---- RTCPeerConnection-createOffer.html ----

#[test]
fn create_offer_does_not_change_state() {
    // RTCPeerConnection-createOffer.html: "createOffer() with no argument from a new connection should succeed"
    let mut pc = pc();
    let offer = pc.create_offer(&OfferOptions::default()).unwrap();
    assert_eq!(offer.sdp_type, SdpType::Offer);
    assert!(offer.sdp.starts_with("v=0\r\n"));
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    assert!(pc.local_description().is_none());
    assert!(
        events(&mut pc).is_empty(),
        "no signalingstatechange from createOffer"
    );
}

#[test]
fn create_offer_after_close_is_invalid_state() {
    // RTCPeerConnection-createOffer.html: "createOffer() after connection is closed should reject with InvalidStateError"
    let mut pc = pc();
    pc.close();
    assert_eq!(
        pc.create_offer(&OfferOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
    assert_eq!(pc.signaling_state(), SignalingState::Closed);
}

#[test]
fn create_offer_in_have_remote_offer_is_invalid_state() {
    // RTCPeerConnection-createOffer.html: "When media stream is added when createOffer() is running in parallel" / state checks
    let mut pc = pc();
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    assert_eq!(
        pc.create_offer(&OfferOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
}

#[test]
fn offer_to_receive_adds_recvonly_transceivers() {
    // RTCPeerConnection-createOffer-offerToReceive*.html (legacy)
    let mut pc = pc();
    let offer = pc
        .create_offer(&OfferOptions {
            offer_to_receive_audio: Some(true),
            offer_to_receive_video: Some(true),
            ..Default::default()
        })
        .unwrap();
    let ts = pc.transceivers();
    assert_eq!(ts.len(), 2);
    assert_eq!(ts[0].kind, MediaKind::Audio);
    assert_eq!(ts[0].direction, Direction::RecvOnly);
    assert_eq!(ts[1].kind, MediaKind::Video);
    assert_eq!(m_lines(&offer.sdp).len(), 2);
    assert!(offer.sdp.contains("a=recvonly"));
    // Asking again does not add more.
    pc.create_offer(&OfferOptions {
        offer_to_receive_audio: Some(true),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(pc.transceivers().len(), 2);
}

#[test]
fn offer_to_receive_false_drops_the_receive_half() {
    // RTCPeerConnection-createOffer-offerToReceive*.html (legacy): offerToReceiveAudio false on a sendrecv transceiver
    let mut pc = pc();
    pc.add_track(track("a1", MediaKind::Audio), vec!["s".into()])
        .unwrap();
    let offer = pc
        .create_offer(&OfferOptions {
            offer_to_receive_audio: Some(false),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(pc.transceivers()[0].direction, Direction::SendOnly);
    assert!(offer.sdp.contains("a=sendonly"));
}

#[test]
fn voice_activity_detection_false_drops_comfort_noise() {
    // RTCPeerConnection-createOffer.html: "createOffer() with voiceActivityDetection"
    let mut pc = pc();
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    let with = pc.create_offer(&OfferOptions::default()).unwrap();
    let without = pc
        .create_offer(&OfferOptions {
            voice_activity_detection: Some(false),
            ..Default::default()
        })
        .unwrap();
    assert!(with.sdp.contains(" CN/8000"));
    assert!(!without.sdp.contains(" CN/8000"));
}

#[test]
fn ice_restart_option_changes_credentials() {
    // RTCPeerConnection-createOffer.html / RTCPeerConnection-restartIce.https.html: iceRestart gives a new ufrag
    let (mut a, mut b) = (pc(), pc());
    a.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    negotiate(&mut a, &mut b);
    let ufrag = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("a=ice-ufrag:"))
            .unwrap()
            .to_string()
    };
    let first = ufrag(&a.current_local_description().unwrap().sdp);
    let again = a.create_offer(&OfferOptions::default()).unwrap();
    assert_eq!(ufrag(&again.sdp), first, "no restart without asking");
    let restart = a
        .create_offer(&OfferOptions {
            ice_restart: true,
            ..Default::default()
        })
        .unwrap();
    assert_ne!(ufrag(&restart.sdp), first);
    a.set_local_description(Some(restart.clone())).unwrap();
    b.set_remote_description(restart).unwrap();
    let answer = b.create_answer(&AnswerOptions::default()).unwrap();
    let b_first = ufrag(&b.current_local_description().unwrap().sdp);
    assert_ne!(ufrag(&answer.sdp), b_first, "the answerer restarts too");
}

#[test]
fn restart_ice_fires_negotiationneeded_and_next_offer_restarts() {
    // RTCPeerConnection-restartIce.https.html
    let (mut a, mut b) = (pc(), pc());
    a.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    negotiate(&mut a, &mut b);
    events(&mut a);
    let before = a.local_ice_credentials().0.to_string();
    a.restart_ice().unwrap();
    assert_eq!(negotiation_needed_count(&mut a), 1);
    let offer = a.create_offer(&OfferOptions::default()).unwrap();
    assert!(!offer.sdp.contains(&format!("a=ice-ufrag:{before}\r\n")));
}

// ---- RTCPeerConnection-createAnswer.html ----

#[test]
fn create_answer_needs_a_remote_offer() {
    // RTCPeerConnection-createAnswer.html: "createAnswer() with null remoteDescription should reject with InvalidStateError"
    let mut pc = pc();
    assert_eq!(
        pc.create_answer(&AnswerOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    let answer = pc.create_answer(&AnswerOptions::default()).unwrap();
    assert_eq!(answer.sdp_type, SdpType::Answer);
    assert_eq!(pc.signaling_state(), SignalingState::HaveRemoteOffer);
    pc.close();
    assert_eq!(
        pc.create_answer(&AnswerOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
}

#[test]
fn answer_keeps_offer_mids_and_payload_types() {
    // RTCPeerConnection-createAnswer.html + RTCRtpTransceiver-setCodecPreferences PT_OFFER style inputs
    let mut pc = pc();
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    let answer = pc.create_answer(&AnswerOptions::default()).unwrap();
    assert!(answer.sdp.contains("a=mid:mid1\r\n"));
    assert!(answer.sdp.contains("a=rtpmap:111 opus/48000/2\r\n"));
    assert!(
        answer.sdp.contains("a=recvonly\r\n"),
        "sendonly offer, no local track: recvonly"
    );
    assert!(answer.sdp.contains("a=setup:active\r\n"));
}

// ---- RTCPeerConnection-setLocalDescription*.html ----

#[test]
fn set_local_offer_moves_to_have_local_offer() {
    // RTCPeerConnection-setLocalDescription-offer.html
    let mut pc = pc();
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    events(&mut pc);
    let offer = pc.create_offer(&OfferOptions::default()).unwrap();
    pc.set_local_description(Some(offer.clone())).unwrap();
    assert_eq!(pc.signaling_state(), SignalingState::HaveLocalOffer);
    assert_eq!(pc.pending_local_description().unwrap().sdp, offer.sdp);
    assert!(pc.current_local_description().is_none());
    assert_eq!(
        events(&mut pc),
        vec![Event::SignalingStateChange(SignalingState::HaveLocalOffer)]
    );
    assert_eq!(pc.transceivers()[0].mid.as_deref(), Some("0"));
}

#[test]
fn set_local_offer_with_changed_sdp_is_invalid_modification() {
    // RTCPeerConnection-setLocalDescription-offer.html: "setLocalDescription() with offer not created by own createOffer() should reject with InvalidModificationError"
    let mut pc = pc();
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    let offer = pc.create_offer(&OfferOptions::default()).unwrap();
    let munged = SessionDescription::offer(offer.sdp.replace("a=rtcp-rsize\r\n", ""));
    let err = pc.set_local_description(Some(munged)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidModificationError);
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
}

#[test]
fn set_local_answer_in_stable_is_invalid_state() {
    // RTCPeerConnection-setLocalDescription-answer.html: "Calling setLocalDescription(answer) from stable state should reject with InvalidStateError"
    let mut pc = pc();
    let err = pc
        .set_local_description(Some(SessionDescription::answer("v=0\r\n")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidStateError);
}

#[test]
fn parameterless_set_local_description_makes_offer_and_answer() {
    // RTCPeerConnection-setLocalDescription-parameterless.https.html
    let (mut a, mut b) = (pc(), pc());
    a.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    a.set_local_description(None).unwrap();
    assert_eq!(a.signaling_state(), SignalingState::HaveLocalOffer);
    b.set_remote_description(a.local_description().unwrap())
        .unwrap();
    b.set_local_description(None).unwrap();
    assert_eq!(b.signaling_state(), SignalingState::Stable);
    assert_eq!(
        b.current_local_description().unwrap().sdp_type,
        SdpType::Answer
    );
    a.set_remote_description(b.local_description().unwrap())
        .unwrap();
    assert_eq!(a.signaling_state(), SignalingState::Stable);
}

#[test]
fn empty_sdp_uses_the_last_created_offer() {
    // RTCPeerConnection-setLocalDescription-parameterless.https.html: "{type: 'offer'} uses lastCreatedOffer"
    let mut pc = pc();
    pc.add_transceiver(video(), TransceiverInit::default())
        .unwrap();
    let offer = pc.create_offer(&OfferOptions::default()).unwrap();
    pc.set_local_description(Some(SessionDescription::offer("")))
        .unwrap();
    assert_eq!(pc.pending_local_description().unwrap().sdp, offer.sdp);
}

#[test]
fn rollback_of_local_offer() {
    // RTCPeerConnection-setLocalDescription-rollback.html
    let mut pc = pc();
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    assert_eq!(
        pc.set_local_description(Some(SessionDescription::rollback()))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError,
        "rollback from stable"
    );
    pc.set_local_description(None).unwrap();
    events(&mut pc);
    pc.set_local_description(Some(SessionDescription::rollback()))
        .unwrap();
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    assert!(pc.pending_local_description().is_none());
    assert_eq!(
        pc.transceivers()[0].mid,
        None,
        "the mid goes with the rolled-back offer"
    );
    let ev = events(&mut pc);
    assert_eq!(ev[0], Event::SignalingStateChange(SignalingState::Stable));
    assert!(
        ev.contains(&Event::NegotiationNeeded),
        "still needs negotiation after rollback"
    );
}

// ---- RTCPeerConnection-setRemoteDescription*.html ----

#[test]
fn malformed_sdp_is_an_rtc_error_with_line_number() {
    // RTCPeerConnection-setRemoteDescription.html: "setRemoteDescription with invalid SDP should reject with RTCError"
    let mut pc = pc();
    let bad =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio nine UDP/TLS/RTP/SAVPF 111\r\n";
    let err = pc
        .set_remote_description(SessionDescription::offer(bad))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OperationError);
    assert_eq!(err.detail(), Some(ErrorDetail::SdpSyntaxError));
    assert_eq!(err.sdp_line_number(), Some(5));
    assert_eq!(
        pc.signaling_state(),
        SignalingState::Stable,
        "nothing changed"
    );
    assert!(pc.remote_description().is_none());
}

#[test]
fn remote_answer_in_stable_is_invalid_state() {
    // RTCPeerConnection-setRemoteDescription-answer.html: "Calling setRemoteDescription(answer) from stable state should reject with InvalidStateError"
    let mut pc = pc();
    let err = pc
        .set_remote_description(SessionDescription::answer(fixture("ontrack_offer")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidStateError);
}

#[test]
fn remote_offer_fires_track_with_streams() {
    // RTCPeerConnection-ontrack.https.html: "setRemoteDescription should trigger ontrack event when the MSID of the stream is is parsed"
    let mut pc = pc();
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    let ev = events(&mut pc);
    // signalingstatechange first, then the stream and track events (webrtc-pc §4.4.1.6).
    assert_eq!(
        ev[0],
        Event::SignalingStateChange(SignalingState::HaveRemoteOffer)
    );
    assert_eq!(ev[1], Event::AddStream("stream1".into()));
    let track = ev.iter().find_map(|e| match e {
        Event::Track {
            transceiver,
            streams,
        } => Some((*transceiver, streams.clone())),
        _ => None,
    });
    let (t, streams) = track.expect("a track event");
    assert_eq!(streams, vec!["stream1".to_string()]);
    let t = pc.transceiver(t).unwrap();
    assert_eq!(t.mid.as_deref(), Some("mid1"));
    assert_eq!(t.receiver.remote_track_id.as_deref(), Some("track1"));
    assert!(ev.contains(&Event::SignalingStateChange(
        SignalingState::HaveRemoteOffer
    )));
}

#[test]
fn recvonly_remote_offer_fires_no_track() {
    // RTCPeerConnection-ontrack.https.html: "setRemoteDescription() with m= line of recvonly should not trigger ontrack event"
    let mut pc = pc();
    let sdp = fixture("ontrack_offer").replace("a=sendonly", "a=recvonly");
    pc.set_remote_description(SessionDescription::offer(sdp))
        .unwrap();
    assert!(!events(&mut pc)
        .iter()
        .any(|e| matches!(e, Event::Track { .. })));
}

#[test]
fn no_rtcp_mux_is_rejected_under_require() {
    // RTCConfiguration-rtcpMuxPolicy.html: "setRemoteDescription throws InvalidAccessError when called with an offer without rtcp-mux and rtcpMuxPolicy is set to require"
    let mut pc = pc();
    let err = pc
        .set_remote_description(SessionDescription::offer(fixture("nomux_offer")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAccessError);
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
}

#[test]
fn no_rtcp_mux_answer_is_rejected_under_require() {
    // RTCConfiguration-rtcpMuxPolicy.html: answer without rtcp-mux after a recvonly audio offer
    let mut pc = pc();
    pc.create_offer(&OfferOptions {
        offer_to_receive_audio: Some(true),
        ..Default::default()
    })
    .unwrap();
    pc.set_local_description(Some(SessionDescription::offer("")))
        .unwrap();
    let err = pc
        .set_remote_description(SessionDescription::answer(fixture("nomux_answer")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAccessError);
    assert_eq!(pc.signaling_state(), SignalingState::HaveLocalOffer);
}

#[test]
fn remote_offer_without_msid_gets_a_track_without_streams() {
    // RTCPeerConnection-setRemoteDescription-nomsid.html: "setRemoteDescription with an SDP without a=msid lines triggers ontrack with a default stream." (we give no stream, as current specs say)
    let mut pc = pc();
    pc.set_remote_description(SessionDescription::offer(fixture("nomsid_offer")))
        .unwrap();
    let ev = events(&mut pc);
    let streams = ev.iter().find_map(|e| match e {
        Event::Track { streams, .. } => Some(streams.clone()),
        _ => None,
    });
    assert_eq!(streams, Some(Vec::new()));
}

#[test]
fn rollback_of_remote_offer_removes_its_transceivers() {
    // RTCPeerConnection-setRemoteDescription-rollback.html: "rollback of a remote offer should remove a transceiver" and "… fire removetrack"
    let mut pc = pc();
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    assert_eq!(pc.transceivers().len(), 1);
    events(&mut pc);
    pc.set_remote_description(SessionDescription::rollback())
        .unwrap();
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    assert!(pc.transceivers().is_empty());
    assert!(pc.remote_description().is_none());
    let ev = events(&mut pc);
    assert!(ev
        .iter()
        .any(|e| matches!(e, Event::RemoteTrackRemoved { .. })));
    assert_eq!(
        pc.set_remote_description(SessionDescription::rollback())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
}

#[test]
fn rollback_keeps_a_transceiver_that_addtrack_used() {
    // RTCPeerConnection-setRemoteDescription-rollback.html: "rollback of a remote offer with a transceiver reused by addTrack should keep the transceiver"
    let mut pc = pc();
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    let id = pc
        .add_track(track("mine", MediaKind::Audio), vec![])
        .unwrap();
    assert_eq!(
        pc.transceivers().len(),
        1,
        "addTrack reused the offer's transceiver"
    );
    pc.set_remote_description(SessionDescription::rollback())
        .unwrap();
    let t = pc.transceiver(id).expect("kept");
    assert_eq!(t.mid, None);
    assert!(t.sender.track.is_some());
}

#[test]
fn remote_offer_in_have_local_offer_rolls_back_implicitly() {
    // RTCPeerConnection-perfect-negotiation.https.html (polite peer) and -setRemoteDescription-rollback.html implicit rollback
    let mut pc = pc();
    pc.add_transceiver(video(), TransceiverInit::default())
        .unwrap();
    pc.set_local_description(None).unwrap();
    events(&mut pc);
    pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
        .unwrap();
    assert_eq!(pc.signaling_state(), SignalingState::HaveRemoteOffer);
    let ev = events(&mut pc);
    assert_eq!(ev[0], Event::SignalingStateChange(SignalingState::Stable));
    assert!(ev.contains(&Event::SignalingStateChange(
        SignalingState::HaveRemoteOffer
    )));
    assert!(pc.pending_local_description().is_none());
}

// ---- RTCPeerConnection-addTransceiver.https.html ----

#[test]
fn add_transceiver_by_kind() {
    // RTCPeerConnection-addTransceiver.https.html: "addTransceiver('audio') should return an audio transceiver"
    let mut pc = pc();
    let id = pc
        .add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    let t = pc.transceiver(id).unwrap();
    assert_eq!(t.mid, None);
    assert_eq!(t.direction, Direction::SendRecv);
    assert_eq!(t.current_direction, None);
    assert!(t.sender.track.is_none());
    assert_eq!(t.receiver.track.kind, MediaKind::Audio);
    assert!(!t.stopped);
}

#[test]
fn add_transceiver_with_direction_and_encodings() {
    // RTCPeerConnection-addTransceiver.https.html: direction, sendEncodings validation
    let mut pc = pc();
    let id = pc
        .add_transceiver(
            video(),
            TransceiverInit {
                direction: Some(Direction::RecvOnly),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(pc.transceiver(id).unwrap().direction, Direction::RecvOnly);
    let dup = TransceiverInit {
        send_encodings: vec![Encoding::with_rid("a"), Encoding::with_rid("a")],
        ..Default::default()
    };
    assert_eq!(
        pc.add_transceiver(video(), dup).unwrap_err().kind(),
        ErrorKind::TypeError
    );
    let small = TransceiverInit {
        send_encodings: vec![Encoding {
            scale_resolution_down_by: Some(0.5),
            ..Encoding::new()
        }],
        ..Default::default()
    };
    assert_eq!(
        pc.add_transceiver(video(), small).unwrap_err().kind(),
        ErrorKind::RangeError
    );
    let no_rid = TransceiverInit {
        send_encodings: vec![Encoding::with_rid("a"), Encoding::new()],
        ..Default::default()
    };
    assert_eq!(
        pc.add_transceiver(video(), no_rid).unwrap_err().kind(),
        ErrorKind::TypeError
    );
    pc.close();
    assert_eq!(
        pc.add_transceiver(audio(), TransceiverInit::default())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
}

#[test]
fn simulcast_encodings_are_offered_as_rids() {
    // RTCPeerConnection-addTransceiver.https.html + simulcast/*.https.html: rids in the offer
    let mut pc = pc();
    pc.add_transceiver(
        video(),
        TransceiverInit {
            send_encodings: vec![Encoding::with_rid("lo"), Encoding::with_rid("hi")],
            ..Default::default()
        },
    )
    .unwrap();
    let offer = pc.create_offer(&OfferOptions::default()).unwrap();
    assert!(offer
        .sdp
        .contains("a=rid:lo send\r\na=rid:hi send\r\na=simulcast:send lo;hi\r\n"));
}

// ---- RTCPeerConnection-addTrack.https.html / -removeTrack.https.html ----

#[test]
fn add_track_reuses_a_transceiver_without_track() {
    // RTCPeerConnection-addTrack.https.html: "addTrack with existing transceiver with inactive direction should set direction to sendonly" / reuse
    let mut pc = pc();
    let t = pc
        .add_transceiver(
            audio(),
            TransceiverInit {
                direction: Some(Direction::RecvOnly),
                ..Default::default()
            },
        )
        .unwrap();
    let s = pc.add_track(track("t1", MediaKind::Audio), vec![]).unwrap();
    assert_eq!(s, t);
    assert_eq!(pc.transceiver(t).unwrap().direction, Direction::SendRecv);
    let v = pc.add_track(track("t2", MediaKind::Video), vec![]).unwrap();
    assert_ne!(v, t, "another kind gets a new transceiver");
    assert_eq!(
        pc.add_track(track("t1", MediaKind::Audio), vec![])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidAccessError,
        "the same track twice"
    );
    pc.close();
    assert_eq!(
        pc.add_track(track("t3", MediaKind::Audio), vec![])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
}

#[test]
fn remove_track_drops_the_send_half() {
    // RTCPeerConnection-removeTrack.https.html: "removeTrack() with a sender being used by a sendrecv transceiver should set direction to recvonly"
    let mut pc = pc();
    let s = pc.add_track(track("t1", MediaKind::Audio), vec![]).unwrap();
    pc.remove_track(s).unwrap();
    let t = pc.transceiver(s).unwrap();
    assert_eq!(t.direction, Direction::RecvOnly);
    assert!(t.sender.track.is_none());
    let so = pc
        .add_transceiver(
            TrackOrKind::Track(track("t2", MediaKind::Video)),
            TransceiverInit {
                direction: Some(Direction::SendOnly),
                ..Default::default()
            },
        )
        .unwrap();
    pc.remove_track(so).unwrap();
    assert_eq!(pc.transceiver(so).unwrap().direction, Direction::Inactive);
    pc.close();
    assert_eq!(
        pc.remove_track(s).unwrap_err().kind(),
        ErrorKind::InvalidStateError
    );
}

// ---- RTCPeerConnection-onnegotiationneeded.html ----

#[test]
fn negotiationneeded_fires_once_for_changes_in_stable() {
    // RTCPeerConnection-onnegotiationneeded.html: "Creating first data channel should fire negotiationneeded event", "calling createDataChannel twice should fire negotiationneeded event once", "addTransceiver() should fire negotiationneeded event"
    let mut pc = pc();
    pc.note_data_channel().unwrap();
    pc.note_data_channel().unwrap();
    assert_eq!(negotiation_needed_count(&mut pc), 1);
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    assert_eq!(
        negotiation_needed_count(&mut pc),
        0,
        "the flag is already set"
    );
}

#[test]
fn negotiationneeded_waits_for_stable() {
    // RTCPeerConnection-onnegotiationneeded.html: "negotiationneeded event should not fire if signaling state is not stable" and "… should fire again after returning to stable"
    let (mut a, mut b) = (pc(), pc());
    a.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    let offer = a.create_offer(&OfferOptions::default()).unwrap();
    a.set_local_description(Some(offer.clone())).unwrap();
    events(&mut a);
    a.add_transceiver(video(), TransceiverInit::default())
        .unwrap();
    assert_eq!(
        negotiation_needed_count(&mut a),
        0,
        "not in have-local-offer"
    );
    b.set_remote_description(offer).unwrap();
    let answer = b.create_answer(&AnswerOptions::default()).unwrap();
    b.set_local_description(Some(answer.clone())).unwrap();
    a.set_remote_description(answer).unwrap();
    assert_eq!(
        negotiation_needed_count(&mut a),
        1,
        "fires once stable with the video pending"
    );
    negotiate(&mut a, &mut b);
    events(&mut a);
    assert!(!a.is_negotiation_needed());
}

#[test]
fn negotiationneeded_after_direction_change_and_not_after_replace_track() {
    // RTCPeerConnection-onnegotiationneeded.html: "Updating the direction of the transceiver should cause negotiationneeded to fire"; RTCRtpSender-replaceTrack: no negotiation
    let (mut a, mut b) = (pc(), pc());
    let t = a
        .add_track(track("t", MediaKind::Audio), vec!["s".into()])
        .unwrap();
    negotiate(&mut a, &mut b);
    events(&mut a);
    a.replace_track(t, Some(track("t2", MediaKind::Audio)))
        .unwrap();
    assert_eq!(negotiation_needed_count(&mut a), 0);
    a.set_direction(t, Direction::RecvOnly).unwrap();
    assert_eq!(negotiation_needed_count(&mut a), 1);
    a.set_direction(t, Direction::SendRecv).unwrap();
    assert!(!a.is_negotiation_needed(), "back to what was negotiated");
}

#[test]
fn negotiationneeded_waits_for_the_operations_chain() {
    // RTCPeerConnection-onnegotiationneeded.html: "negotiationneeded event should not fire if the operations chain is not empty"
    let mut pc = pc();
    pc.begin_operation();
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    assert_eq!(negotiation_needed_count(&mut pc), 0);
    pc.end_operation();
    assert_eq!(negotiation_needed_count(&mut pc), 1);
}

// ---- RTCPeerConnection-perfect-negotiation*.html ----

#[test]
fn perfect_negotiation_settles_glare() {
    // RTCPeerConnection-perfect-negotiation.https.html: both peers offer at once; the polite one rolls back implicitly
    let (mut polite, mut impolite) = (pc(), pc());
    polite
        .add_track(track("p", MediaKind::Audio), vec!["ps".into()])
        .unwrap();
    impolite
        .add_track(track("i", MediaKind::Video), vec!["is".into()])
        .unwrap();
    polite.set_local_description(None).unwrap();
    impolite.set_local_description(None).unwrap();
    let polite_offer = polite.local_description().unwrap();
    let impolite_offer = impolite.local_description().unwrap();
    // The impolite peer ignores the colliding offer; the polite one accepts.
    let _ = polite_offer;
    polite.set_remote_description(impolite_offer).unwrap();
    polite.set_local_description(None).unwrap();
    impolite
        .set_remote_description(polite.local_description().unwrap())
        .unwrap();
    assert_eq!(polite.signaling_state(), SignalingState::Stable);
    assert_eq!(impolite.signaling_state(), SignalingState::Stable);
    // The polite peer's own track still needs negotiating: it fires and offers.
    assert!(events(&mut polite).contains(&Event::NegotiationNeeded));
    negotiate(&mut polite, &mut impolite);
    let mids = |p: &PeerConnection| {
        let mut v: Vec<_> = p
            .transceivers()
            .iter()
            .map(|t| (t.mid.clone().unwrap(), t.kind, t.current_direction))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let (a, b) = (mids(&polite), mids(&impolite));
    assert_eq!(a.len(), 2);
    assert_eq!(
        a.iter().map(|x| (&x.0, x.1)).collect::<Vec<_>>(),
        b.iter().map(|x| (&x.0, x.1)).collect::<Vec<_>>()
    );
    // Each side sends its own track and receives the other's.
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x.2.map(Direction::reverse), y.2, "mid {}", x.0);
        assert!(
            matches!(x.2, Some(Direction::SendOnly | Direction::RecvOnly)),
            "mid {}: {:?}",
            x.0,
            x.2
        );
    }
}

// ---- RTCPeerConnection-getTransceivers.html and full negotiation ----

#[test]
fn full_negotiation_between_two_cores() {
    // RTCPeerConnection-getTransceivers.html + RTCRtpTransceiver.https.html currentDirection checks
    let (mut a, mut b) = (pc(), pc());
    a.add_track(track("mic", MediaKind::Audio), vec!["s1".into()])
        .unwrap();
    a.add_transceiver(
        video(),
        TransceiverInit {
            direction: Some(Direction::RecvOnly),
            ..Default::default()
        },
    )
    .unwrap();
    a.note_data_channel().unwrap();
    negotiate(&mut a, &mut b);
    let offer = a.current_local_description().unwrap().sdp;
    assert!(offer.contains("a=group:BUNDLE 0 1 2\r\n"));
    assert!(offer.contains("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    assert!(offer.contains("a=setup:actpass\r\n"));
    assert!(offer.contains("a=msid:s1 mic\r\n"));
    assert_eq!(b.transceivers().len(), 2);
    assert_eq!(
        b.transceivers()[0].current_direction,
        Some(Direction::RecvOnly)
    );
    assert_eq!(
        b.transceivers()[1].current_direction,
        Some(Direction::Inactive)
    );
    assert_eq!(
        a.transceivers()[0].current_direction,
        Some(Direction::SendOnly)
    );
    assert_eq!(
        a.transceivers()[1].current_direction,
        Some(Direction::Inactive)
    );
    assert_eq!(b.data_mid(), Some("2"));
    let (ta, tb) = (
        a.transport_parameters().unwrap(),
        b.transport_parameters().unwrap(),
    );
    assert_ne!(ta.dtls_role, tb.dtls_role);
    assert!(ta.ice_controlling && !tb.ice_controlling);
    assert_eq!(ta.sctp, Some((5000, MAX_MESSAGE_SIZE)));
    assert_eq!(tb.remote_ufrag, a.local_ice_credentials().0);
}

#[test]
fn stopped_transceiver_is_rejected_removed_and_its_line_recycled() {
    // RTCRtpTransceiver-stop.html / RTCPeerConnection-transceivers.https.html: stop() then negotiation removes it; a new one recycles the m-line
    let (mut a, mut b) = (pc(), pc());
    let t = a
        .add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    negotiate(&mut a, &mut b);
    events(&mut a);
    a.stop_transceiver(t).unwrap();
    assert_eq!(
        a.transceiver(t).unwrap().effective_direction(),
        Direction::Stopped
    );
    assert_eq!(negotiation_needed_count(&mut a), 1);
    let offer = a.create_offer(&OfferOptions::default()).unwrap();
    assert!(offer.sdp.contains("m=audio 0 "));
    a.set_local_description(Some(offer.clone())).unwrap();
    b.set_remote_description(offer).unwrap();
    let answer = b.create_answer(&AnswerOptions::default()).unwrap();
    b.set_local_description(Some(answer.clone())).unwrap();
    a.set_remote_description(answer).unwrap();
    assert!(a.transceivers().is_empty());
    assert!(b.transceivers().is_empty());
    a.add_transceiver(video(), TransceiverInit::default())
        .unwrap();
    let offer = a.create_offer(&OfferOptions::default()).unwrap();
    let lines = m_lines(&offer.sdp);
    assert_eq!(lines.len(), 1, "the rejected line was recycled");
    assert!(lines[0].starts_with("m=video 9 "));
    assert!(offer.sdp.contains("a=mid:1\r\n"), "with a new mid");
}

// ---- RTCPeerConnection-addIceCandidate.html ----

#[test]
fn add_ice_candidate_errors() {
    // RTCPeerConnection-addIceCandidate.html
    let mut pc = pc();
    let cand = |c: &str, mid: Option<&str>, idx: Option<u16>, uf: Option<&str>| {
        Some(IceCandidateInit {
            candidate: c.into(),
            sdp_mid: mid.map(Into::into),
            sdp_m_line_index: idx,
            username_fragment: uf.map(Into::into),
        })
    };
    let a1 = "candidate:1 1 udp 2113929471 203.0.113.100 10100 typ host";
    let v1 = "candidate:1 2 udp 2113929470 203.0.113.100 10101 typ host";
    assert_eq!(
        pc.add_ice_candidate(cand(a1, Some("a1"), None, None))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError,
        "Add ICE candidate before setting remote description should reject with InvalidStateError"
    );
    pc.set_remote_description(SessionDescription::offer(fixture("add_ice_offer")))
        .unwrap();
    assert_eq!(
        pc.add_ice_candidate(cand(a1, None, None, None)).unwrap_err().kind(),
        ErrorKind::TypeError,
        "Add candidate with both sdpMid and sdpMLineIndex manually set to null should reject with TypeError"
    );
    assert_eq!(
        pc.add_ice_candidate(cand(a1, Some("invalid"), None, None))
            .unwrap_err()
            .kind(),
        ErrorKind::OperationError,
        "Add candidate with invalid sdpMid should reject with OperationError"
    );
    assert_eq!(
        pc.add_ice_candidate(cand(a1, None, Some(2), None))
            .unwrap_err()
            .kind(),
        ErrorKind::OperationError,
        "Add candidate with invalid sdpMLineIndex should reject with OperationError"
    );
    assert_eq!(
        pc.add_ice_candidate(cand(a1, Some("a1"), None, Some("invalid")))
            .unwrap_err()
            .kind(),
        ErrorKind::OperationError,
        "Add candidate with invalid usernameFragment should reject with OperationError"
    );
    assert_eq!(
        pc.add_ice_candidate(cand(
            "(Invalid) candidate \r\n string",
            Some("a1"),
            None,
            None
        ))
        .unwrap_err()
        .kind(),
        ErrorKind::OperationError,
        "Add candidate with invalid candidate string should reject with OperationError"
    );
    pc.add_ice_candidate(cand(a1, Some("a1"), None, Some("ETEn")))
        .unwrap();
    pc.add_ice_candidate(cand(v1, None, Some(1), None)).unwrap();
    let remote = pc.remote_description().unwrap().sdp;
    assert!(
        remote.contains(&format!("a={a1}")),
        "the candidate is in remoteDescription"
    );
    assert!(remote.contains(&format!("a={v1}")));
    pc.add_ice_candidate(None).unwrap();
    assert!(pc
        .remote_description()
        .unwrap()
        .sdp
        .contains("a=end-of-candidates"));
    pc.close();
    assert_eq!(
        pc.add_ice_candidate(cand(a1, Some("a1"), None, None))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidStateError
    );
}

// ---- RTCPeerConnection-canTrickleIceCandidates.html ----

#[test]
fn can_trickle_ice_candidates() {
    // RTCPeerConnection-canTrickleIceCandidates.html
    let mut pc = pc();
    assert_eq!(pc.can_trickle_ice_candidates(), None);
    pc.set_remote_description(SessionDescription::offer(fixture("trickle_offer")))
        .unwrap();
    assert_eq!(pc.can_trickle_ice_candidates(), Some(true));
    let mut pc2 = self::pc();
    let no = fixture("trickle_offer").replace("a=ice-options:trickle\n", "");
    pc2.set_remote_description(SessionDescription::offer(no))
        .unwrap();
    assert_eq!(pc2.can_trickle_ice_candidates(), Some(false));
}

// ---- RTCConfiguration-*.html / RTCPeerConnection-setConfiguration ----

#[test]
fn configuration_validation_and_changes() {
    // RTCConfiguration-iceServers.html, RTCConfiguration-bundlePolicy.html, RTCPeerConnection-getConfiguration
    let bad_url = Configuration {
        ice_servers: vec![IceServer::stun("stun:")],
        ..Default::default()
    };
    assert_eq!(
        PeerConnection::new(bad_url).unwrap_err().kind(),
        ErrorKind::SyntaxError
    );
    let no_cred = Configuration {
        ice_servers: vec![IceServer::stun("turn:turn.example.org")],
        ..Default::default()
    };
    assert_eq!(
        PeerConnection::new(no_cred).unwrap_err().kind(),
        ErrorKind::InvalidAccessError
    );
    let unknown = Configuration {
        ice_servers: vec![IceServer::stun("http://example.org")],
        ..Default::default()
    };
    assert_eq!(
        PeerConnection::new(unknown).unwrap_err().kind(),
        ErrorKind::NotSupportedError
    );
    let mut pc = pc();
    assert_eq!(
        pc.get_configuration().certificates.len(),
        1,
        "the generated certificate is reported"
    );
    let mut c = pc.get_configuration();
    c.bundle_policy = BundlePolicy::MaxBundle;
    assert_eq!(
        pc.set_configuration(c).unwrap_err().kind(),
        ErrorKind::InvalidModificationError
    );
    let mut c = pc.get_configuration();
    c.ice_servers = vec![IceServer::turn(
        "turn:127.0.0.1:3478?transport=tcp",
        "u",
        "p",
    )];
    pc.set_configuration(c).unwrap();
    assert_eq!(pc.get_configuration().ice_servers.len(), 1);
    let other = rtcpeer_proto::certificate::Certificate::generate(Default::default()).unwrap();
    let mut c = pc.get_configuration();
    c.certificates = vec![other];
    assert_eq!(
        pc.set_configuration(c).unwrap_err().kind(),
        ErrorKind::InvalidModificationError
    );
}

#[test]
fn max_bundle_marks_later_sections_bundle_only() {
    // RTCConfiguration-bundlePolicy.html / JSEP §5.2.1 max-bundle
    let mut pc = PeerConnection::new(Configuration {
        bundle_policy: BundlePolicy::MaxBundle,
        ..Default::default()
    })
    .unwrap();
    pc.add_transceiver(audio(), TransceiverInit::default())
        .unwrap();
    pc.add_transceiver(video(), TransceiverInit::default())
        .unwrap();
    let offer = pc.create_offer(&OfferOptions::default()).unwrap();
    let lines = m_lines(&offer.sdp);
    assert!(lines[0].starts_with("m=audio 9 "));
    assert!(lines[1].starts_with("m=video 0 "));
    assert_eq!(offer.sdp.matches("a=bundle-only").count(), 1);
}

// ---- JSON forms ----

#[test]
fn session_description_json_is_the_browsers() {
    // RTCSessionDescription toJSON (webrtc-pc §4.8.1)
    let d = SessionDescription::offer("v=0\r\n");
    assert_eq!(d.to_json(), r#"{"type":"offer","sdp":"v=0\r\n"}"#);
    let back = SessionDescription::from_json(r#"{"type":"answer","sdp":"x"}"#).unwrap();
    assert_eq!(back.sdp_type, SdpType::Answer);
    assert_eq!(
        SessionDescription::from_json(r#"{"type":"bogus","sdp":""}"#)
            .unwrap_err()
            .kind(),
        ErrorKind::TypeError
    );
    let c = IceCandidateInit {
        candidate: "candidate:1 1 udp 1 1.2.3.4 5 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: Some("abcd".into()),
    };
    assert_eq!(
        c.to_json(),
        r#"{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}"#
    );
}

#[test]
fn closed_connection_rejects_everything() {
    // RTCPeerConnection-close.html and the "when closed" cases of every method file
    let mut pc = pc();
    pc.close();
    assert_eq!(pc.signaling_state(), SignalingState::Closed);
    assert_eq!(pc.ice_connection_state(), IceConnectionState::Closed);
    assert_eq!(pc.connection_state(), PeerConnectionState::Closed);
    assert!(events(&mut pc).is_empty(), "close() fires no events");
    for err in [
        pc.set_remote_description(SessionDescription::offer(fixture("ontrack_offer")))
            .unwrap_err(),
        pc.set_local_description(None).unwrap_err(),
        pc.restart_ice().unwrap_err(),
        pc.note_data_channel().unwrap_err(),
        pc.set_configuration(Configuration::default()).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidStateError, "{err}");
    }
}
