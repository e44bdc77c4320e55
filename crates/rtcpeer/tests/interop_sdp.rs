//! SDP-level interop with real peers: Chromium, Firefox ESR and aiortc.
//!
//! Our offers must be accepted by them and their answers by us, and the other
//! way round; after each exchange the transceivers each side reports must
//! agree: the same mids with the same kinds, and each side's
//! `currentDirection` the mirror of the other's. Only signaling is checked:
//! no candidates are exchanged and nothing waits for ICE or DTLS.
//!
//! The other side runs `assets/sdp_lab.html` (browsers) or
//! `assets/sdp_lab.py` (aiortc): both take the same step-by-step commands
//! (`{"op": "offer"}`, `{"op": "remote", "description"}` …, listed in the
//! page) and answer each with their `getTransceivers()` view.
//!
//! Every test runs in its own network namespace (`testkit::isolate!()`).

use std::time::Duration;

use rtcpeer::{
    Direction, MediaKind, MediaStream, MediaStreamTrack, OfferOptions, PeerConnection,
    SessionDescription, SignalingState,
};
use rtcpeer_proto::TransceiverInit;
use serde_json::{json, Value};
use testkit::aiortc::AiortcPeer;
use testkit::browser::{Browser, BrowserProcess};
use testkit::http::{PagePeer, SignalingServer};

/// The time limit of one step on the other side (generous: shared machine).
const LIMIT: Duration = Duration::from_secs(60);

const LAB_HTML: &str = include_str!("assets/sdp_lab.html");
const LAB_PY: &str = include_str!("assets/sdp_lab.py");

/// Which real peer a test talks to.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Chromium,
    Firefox,
    Aiortc,
}

/// The other side: a browser on the lab page, or aiortc running the lab script.
enum Remote {
    Browser {
        page: PagePeer,
        // Dropped in order: the browser ends before its server.
        process: BrowserProcess,
        _server: SignalingServer,
    },
    Aiortc(AiortcPeer),
}

/// What one side says about one transceiver.
#[derive(Debug, Clone, PartialEq)]
struct View {
    mid: Option<String>,
    kind: String,
    direction: String,
    current_direction: Option<String>,
}

impl Remote {
    async fn start(kind: Kind) -> Remote {
        match kind {
            Kind::Aiortc => Remote::Aiortc(AiortcPeer::spawn(LAB_PY).await.expect("aiortc starts")),
            Kind::Chromium | Kind::Firefox => {
                let browser = match kind {
                    Kind::Chromium => Browser::Chromium,
                    _ => Browser::Firefox,
                };
                let server = SignalingServer::start().await.expect("signaling server");
                server.add_page("sdp_lab.html", LAB_HTML);
                let page = server.peer("lab");
                let process = browser
                    .launch(&page.url("sdp_lab.html"))
                    .expect("the browser starts");
                Remote::Browser {
                    page,
                    process,
                    _server: server,
                }
            }
        }
    }

    fn name(&self) -> String {
        match self {
            Remote::Browser { process, .. } => process.browser().name().to_string(),
            Remote::Aiortc(_) => "aiortc".to_string(),
        }
    }

    /// Sends one command and returns the whole reply (`ok` true or false).
    async fn command(&self, cmd: Value) -> Value {
        let reply = match self {
            Remote::Browser { page, .. } => {
                page.send(cmd.clone());
                page.recv_timeout(LIMIT).await
            }
            Remote::Aiortc(py) => {
                py.send(cmd.clone())
                    .await
                    .expect("aiortc takes the command");
                match tokio::time::timeout(LIMIT, py.recv()).await {
                    Ok(r) => r,
                    Err(_) => panic!(
                        "aiortc did not answer {cmd} within {LIMIT:?}; its log:\n{}",
                        py.log().join("\n")
                    ),
                }
            }
        };
        reply.unwrap_or_else(|e| panic!("{} did not answer {cmd}: {e}", self.name()))
    }

    /// Runs one command that must succeed; returns its reply (with `state`).
    async fn call(&self, cmd: Value) -> Value {
        let r = self.command(cmd.clone()).await;
        assert_eq!(
            r["ok"],
            true,
            "{} rejected {}: {}",
            self.name(),
            short(&cmd),
            r["error"]
        );
        r
    }

    /// Its `getTransceivers()`, as of its last reply.
    fn views(reply: &Value) -> Vec<View> {
        reply["state"]["transceivers"]
            .as_array()
            .expect("a reply has the transceivers")
            .iter()
            .map(|t| View {
                mid: t["mid"].as_str().map(str::to_string),
                kind: t["kind"].as_str().unwrap_or("?").to_string(),
                direction: t["direction"].as_str().unwrap_or("?").to_string(),
                current_direction: t["currentDirection"].as_str().map(str::to_string),
            })
            .collect()
    }

    async fn offer(&self, ice_restart: bool) -> SessionDescription {
        let r = self
            .call(json!({"op": "offer", "iceRestart": ice_restart}))
            .await;
        serde_json::from_value(r["reply"].clone()).expect("an offer in the browsers' JSON form")
    }

    async fn answer(&self) -> SessionDescription {
        let r = self.call(json!({"op": "answer"})).await;
        serde_json::from_value(r["reply"].clone()).expect("an answer in the browsers' JSON form")
    }

    async fn remote(&self, d: &SessionDescription) -> Value {
        let description = serde_json::to_value(d).expect("a description serializes");
        self.call(json!({"op": "remote", "description": description}))
            .await
    }

    async fn state(&self) -> Value {
        self.call(json!({"op": "state"})).await
    }

    /// Ends the other side and returns its final report.
    async fn finish(self) -> Value {
        match &self {
            Remote::Browser { page, process, .. } => {
                page.send(json!({"op": "finish"}));
                process
                    .wait_result(page, LIMIT)
                    .await
                    .expect("the page reports")
            }
            Remote::Aiortc(py) => {
                py.send(json!({"op": "finish"}))
                    .await
                    .expect("aiortc takes the command");
                py.wait_result(LIMIT).await.expect("aiortc reports")
            }
        }
    }
}

/// A command without its (long) SDP, for messages.
fn short(cmd: &Value) -> String {
    let mut c = cmd.clone();
    if let Some(d) = c.get_mut("description") {
        *d = json!({"type": d["type"], "sdp": "…"});
    }
    c.to_string()
}

fn pc() -> PeerConnection {
    PeerConnection::new(Default::default()).expect("a connection with defaults")
}

fn init(direction: Direction) -> TransceiverInit {
    TransceiverInit {
        direction: Some(direction),
        ..Default::default()
    }
}

fn our_views(pc: &PeerConnection) -> Vec<View> {
    pc.get_transceivers()
        .iter()
        .map(|t| View {
            mid: t.mid(),
            kind: t.kind().to_string(),
            direction: t.direction().to_string(),
            current_direction: t.current_direction().map(|d| d.to_string()),
        })
        .collect()
}

/// The direction the other side sees of a direction of ours.
fn mirror(d: &str) -> &str {
    match d {
        "sendonly" => "recvonly",
        "recvonly" => "sendonly",
        other => other,
    }
}

/// The negotiated direction of an answerer (JSEP 5.3.1): what it wants,
/// limited by the mirror of what was offered.
fn answered(offered: Direction, wanted: Direction) -> Direction {
    Direction::from_parts(
        wanted.sends() && offered.recvs(),
        wanted.recvs() && offered.sends(),
    )
}

fn table(views: &[View]) -> String {
    views
        .iter()
        .map(|v| {
            format!(
                "  mid {:<5} {:<6} direction {:<9} currentDirection {}",
                v.mid.as_deref().unwrap_or("null"),
                v.kind,
                v.direction,
                v.current_direction.as_deref().unwrap_or("null")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Both sides agree after a complete exchange: the same mids (in order), the
/// same kinds, and each `currentDirection` the mirror of the other's.
fn assert_agree(ours: &[View], theirs: &[View], who: &str, step: &str) {
    let show = || {
        format!(
            "after {step}, rtcpeer and {who} disagree\n rtcpeer:\n{}\n {who}:\n{}",
            table(ours),
            table(theirs)
        )
    };
    let live = |v: &[View]| -> Vec<View> {
        v.iter()
            .filter(|t| t.mid.is_some() && t.direction != "stopped")
            .cloned()
            .collect()
    };
    let (o, t) = (live(ours), live(theirs));
    assert_eq!(
        o.iter().map(|v| v.mid.clone()).collect::<Vec<_>>(),
        t.iter().map(|v| v.mid.clone()).collect::<Vec<_>>(),
        "mids: {}",
        show()
    );
    for (a, b) in o.iter().zip(&t) {
        assert_eq!(a.kind, b.kind, "kind of mid {:?}: {}", a.mid, show());
        let ours_cd = a.current_direction.as_deref();
        let theirs_cd = b.current_direction.as_deref().map(mirror);
        assert!(
            ours_cd.is_some(),
            "our currentDirection of mid {:?} is null after a complete exchange: {}",
            a.mid,
            show()
        );
        assert_eq!(
            ours_cd,
            theirs_cd,
            "currentDirection of mid {:?} (theirs mirrored): {}",
            a.mid,
            show()
        );
    }
}

/// The current direction of our transceiver with this mid.
fn our_current(pc: &PeerConnection, mid: &str) -> Option<Direction> {
    pc.get_transceivers()
        .into_iter()
        .find(|t| t.mid().as_deref() == Some(mid))
        .unwrap_or_else(|| panic!("we have no transceiver with mid {mid}"))
        .current_direction()
}

fn ufrag(d: &SessionDescription) -> String {
    d.sdp
        .lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .unwrap_or_else(|| panic!("no a=ice-ufrag in\n{}", d.sdp))
        .trim()
        .to_string()
}

/// We offer, they answer: apply everything and compare.
async fn we_offer(pc: &PeerConnection, remote: &Remote, opts: OfferOptions, step: &str) -> Value {
    let offer = pc.create_offer(opts).await.expect("we make an offer");
    pc.set_local_description(Some(offer.clone()))
        .await
        .expect("we apply our offer");
    remote.remote(&offer).await;
    let answer = remote.answer().await;
    pc.set_remote_description(answer.clone())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "we rejected {}'s answer: {e}\n{}",
                remote.name(),
                answer.sdp
            )
        });
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    let state = remote.state().await;
    assert_eq!(state["state"]["signalingState"], "stable");
    assert_agree(&our_views(pc), &Remote::views(&state), &remote.name(), step);
    state
}

/// They offer, we answer (after `before_answer` adjusts our side).
async fn they_offer(
    pc: &PeerConnection,
    remote: &Remote,
    ice_restart: bool,
    step: &str,
    before_answer: impl FnOnce(&PeerConnection),
) -> Value {
    let offer = remote.offer(ice_restart).await;
    pc.set_remote_description(offer.clone())
        .await
        .unwrap_or_else(|e| panic!("we rejected {}'s offer: {e}\n{}", remote.name(), offer.sdp));
    before_answer(pc);
    let answer = pc
        .create_answer(Default::default())
        .await
        .expect("we answer");
    pc.set_local_description(Some(answer.clone()))
        .await
        .expect("we apply our answer");
    remote.remote(&answer).await;
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    let state = remote.state().await;
    assert_eq!(state["state"]["signalingState"], "stable");
    assert_agree(&our_views(pc), &Remote::views(&state), &remote.name(), step);
    state
}

/// The directions we offer in the audio/video scenarios.
const OFFERED: [(MediaKind, Direction); 6] = [
    (MediaKind::Audio, Direction::SendRecv),
    (MediaKind::Video, Direction::SendRecv),
    (MediaKind::Audio, Direction::RecvOnly),
    (MediaKind::Video, Direction::SendOnly),
    (MediaKind::Video, Direction::RecvOnly),
    (MediaKind::Audio, Direction::SendOnly),
];

/// (b, c) We offer audio and video in every direction (tracks with a stream
/// for the first two, bare transceivers for the rest); they answer with the
/// transceivers their remote description made (direction `recvonly`), except
/// the first and third, which they switch to `sendrecv` and `sendonly` in a
/// second round they offer.
async fn we_offer_audio_video(kind: Kind) {
    let remote = Remote::start(kind).await;
    let pc = pc();
    let stream = MediaStream::new(vec![]);
    for (i, (k, d)) in OFFERED.iter().enumerate() {
        if i < 2 {
            pc.add_track(&MediaStreamTrack::new(*k), std::slice::from_ref(&stream))
                .expect("add_track");
        } else {
            pc.add_transceiver_with_kind(*k, init(*d))
                .expect("add_transceiver");
        }
    }
    let state = we_offer(
        &pc,
        &remote,
        OfferOptions::default(),
        "our audio/video offer",
    )
    .await;
    // Their transceivers were made by our offer: recvonly, so the result is
    // what JSEP computes from that.
    let mids: Vec<String> = our_views(&pc)
        .iter()
        .filter_map(|v| v.mid.clone())
        .collect();
    assert_eq!(mids.len(), OFFERED.len(), "every transceiver got a mid");
    for (mid, (_, d)) in mids.iter().zip(OFFERED) {
        let theirs = answered(d, Direction::RecvOnly);
        assert_eq!(
            our_current(&pc, mid),
            Some(Direction::from_parts(theirs.recvs(), theirs.sends())),
            "mid {mid}: offered {d}, they answered recvonly\n{}",
            table(&Remote::views(&state))
        );
    }
    // Their turn: the first becomes sendrecv on their side, they offer.
    remote
        .call(json!({"op": "setDirection", "mid": mids[0], "direction": "sendrecv"}))
        .await;
    // And the third (which we made recvonly) becomes sendonly: they send.
    remote
        .call(json!({"op": "setDirection", "mid": mids[2], "direction": "sendonly"}))
        .await;
    they_offer(&pc, &remote, false, "their re-offer", |_| {}).await;
    assert_eq!(our_current(&pc, &mids[0]), Some(Direction::SendRecv));
    assert_eq!(our_current(&pc, &mids[2]), Some(Direction::RecvOnly));
    remote.finish().await;
}

/// (b, c) They offer audio and video in several directions (fake tracks for
/// the first two); we answer, switching what we want on some of them.
async fn they_offer_audio_video(kind: Kind) {
    let remote = Remote::start(kind).await;
    let pc = pc();
    for (i, (k, d)) in OFFERED.iter().enumerate() {
        let cmd = if i < 2 {
            json!({"op": "addTrack", "kind": k.to_string()})
        } else {
            json!({"op": "addTransceiver", "kind": k.to_string(), "direction": d.to_string()})
        };
        remote.call(cmd).await;
    }
    // What we want on each (by position): the transceivers their offer made
    // on our side start as recvonly; change some before answering.
    let wanted = [
        Direction::SendRecv,
        Direction::RecvOnly,
        Direction::SendRecv,
        Direction::SendRecv,
        Direction::Inactive,
        Direction::RecvOnly,
    ];
    they_offer(&pc, &remote, false, "their audio/video offer", |pc| {
        let ts = pc.get_transceivers();
        assert_eq!(ts.len(), wanted.len(), "one transceiver per offered m-line");
        for (t, w) in ts.iter().zip(wanted) {
            assert_eq!(t.direction(), Direction::RecvOnly, "made by the offer");
            t.set_direction(w).expect("set_direction");
        }
    })
    .await;
    for ((t, (k, offered)), w) in pc.get_transceivers().iter().zip(OFFERED).zip(wanted) {
        assert_eq!(t.kind(), k);
        assert_eq!(
            t.current_direction(),
            Some(answered(offered, w)),
            "mid {:?}: they offered {offered}, we wanted {w}",
            t.mid()
        );
    }
    remote.finish().await;
}

/// (a) They offer a data channel only; we answer. Nobody has transceivers.
async fn they_offer_data_only(kind: Kind) {
    let remote = Remote::start(kind).await;
    let pc = pc();
    remote
        .call(json!({"op": "createDataChannel", "label": "chat"}))
        .await;
    let offer = remote.offer(false).await;
    assert!(
        offer.sdp.contains("m=application"),
        "a data-only offer:\n{}",
        offer.sdp
    );
    pc.set_remote_description(offer)
        .await
        .expect("we accept a data-only offer");
    let answer = pc
        .create_answer(Default::default())
        .await
        .expect("we answer");
    assert!(
        answer.sdp.contains("m=application") && answer.sdp.contains("a=sctp-port:"),
        "our answer accepts the data section:\n{}",
        answer.sdp
    );
    pc.set_local_description(Some(answer.clone()))
        .await
        .expect("we apply our answer");
    let state = remote.remote(&answer).await;
    assert_eq!(state["state"]["signalingState"], "stable");
    assert!(pc.get_transceivers().is_empty());
    assert_eq!(state["state"]["transceivers"], json!([]));
    remote.finish().await;
}

/// (a) We offer a data channel only; they answer; then audio is added and
/// they offer again, keeping the data section.
async fn we_offer_data_only(kind: Kind) {
    let remote = Remote::start(kind).await;
    let pc = pc();
    pc.create_data_channel("chat", Default::default())
        .expect("create_data_channel");
    let offer = pc
        .create_offer(Default::default())
        .await
        .expect("we make an offer");
    assert!(
        offer.sdp.contains("m=application") && !offer.sdp.contains("m=audio"),
        "a data-only offer:\n{}",
        offer.sdp
    );
    pc.set_local_description(Some(offer.clone()))
        .await
        .expect("we apply our offer");
    remote.remote(&offer).await;
    let answer = remote.answer().await;
    assert!(
        answer.sdp.contains("m=application") && answer.sdp.contains("a=sctp-port:"),
        "{} accepts the data section:\n{}",
        remote.name(),
        answer.sdp
    );
    pc.set_remote_description(answer)
        .await
        .expect("we accept their answer");
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    let state = remote.state().await;
    assert_eq!(state["state"]["signalingState"], "stable");
    assert_eq!(state["state"]["transceivers"], json!([]));
    // They add audio and offer: the data section keeps its place (mid 0 here).
    remote
        .call(json!({"op": "addTransceiver", "kind": "audio", "direction": "sendrecv"}))
        .await;
    let state = they_offer(&pc, &remote, false, "their offer adding audio", |_| {}).await;
    let theirs = Remote::views(&state);
    assert_eq!(theirs.len(), 1, "{state}");
    let mid = theirs[0].mid.clone().expect("a mid");
    assert_eq!(our_current(&pc, &mid), Some(Direction::RecvOnly));
    let sdp = pc.local_description().expect("our answer").sdp;
    assert!(sdp.contains("m=application"), "{sdp}");
    remote.finish().await;
}

/// (d) Renegotiation both ways: we offer audio, then add video and offer
/// again; then they add audio and offer, and we answer.
async fn renegotiation(kind: Kind) {
    let remote = Remote::start(kind).await;
    let pc = pc();
    pc.add_transceiver_with_kind(MediaKind::Audio, init(Direction::SendRecv))
        .expect("add_transceiver");
    we_offer(&pc, &remote, OfferOptions::default(), "the first exchange").await;
    pc.add_transceiver_with_kind(MediaKind::Video, init(Direction::SendOnly))
        .expect("add_transceiver");
    let state = we_offer(&pc, &remote, OfferOptions::default(), "our re-offer").await;
    assert_eq!(Remote::views(&state).len(), 2, "{state}");
    remote
        .call(json!({"op": "addTransceiver", "kind": "audio", "direction": "sendonly"}))
        .await;
    let state = they_offer(&pc, &remote, false, "their re-offer", |_| {}).await;
    let theirs = Remote::views(&state);
    assert_eq!(theirs.len(), 3, "{state}");
    let last = theirs[2].mid.clone().expect("a mid after negotiation");
    // Made by their offer, ours is recvonly: the result is recvonly here.
    assert_eq!(our_current(&pc, &last), Some(Direction::RecvOnly));
    remote.finish().await;
}

/// (e) They accept our ICE restarts (restart_ice() and the iceRestart
/// option), and we accept theirs: the ufrags change and each side sees the
/// other's new one.
async fn ice_restart(kind: Kind) {
    let remote = Remote::start(kind).await;
    let pc = pc();
    pc.add_transceiver_with_kind(MediaKind::Audio, init(Direction::SendRecv))
        .expect("add_transceiver");
    we_offer(&pc, &remote, OfferOptions::default(), "the first exchange").await;
    let mut ours = ufrag(&pc.local_description().expect("a local description"));

    pc.restart_ice().expect("restart_ice");
    let state = we_offer(&pc, &remote, OfferOptions::default(), "restart_ice()").await;
    let now = ufrag(&pc.local_description().expect("a local description"));
    assert_ne!(now, ours, "restart_ice() makes a new ufrag");
    assert_eq!(state["state"]["remoteUfrag"], now.as_str(), "{state}");
    ours = now;

    let opts = OfferOptions {
        ice_restart: true,
        ..Default::default()
    };
    let state = we_offer(&pc, &remote, opts, "an iceRestart offer").await;
    let now = ufrag(&pc.local_description().expect("a local description"));
    assert_ne!(now, ours, "ice_restart: true makes a new ufrag");
    assert_eq!(state["state"]["remoteUfrag"], now.as_str(), "{state}");

    let before = remote.state().await["state"]["localUfrag"].clone();
    they_offer(&pc, &remote, true, "their ICE restart", |_| {}).await;
    let theirs = ufrag(&pc.remote_description().expect("a remote description"));
    assert_ne!(json!(theirs), before, "their restart changed their ufrag");
    let answer_ufrag = ufrag(&pc.local_description().expect("a local description"));
    assert_ne!(answer_ufrag, now, "we answer a restart with a new ufrag");
    remote.finish().await;
}

macro_rules! interop_tests {
    ($($name:ident: $scenario:ident($kind:expr);)*) => {$(
        #[tokio::test]
        async fn $name() {
            testkit::isolate!();
            $scenario($kind).await;
        }
    )*};
}

interop_tests! {
    chromium_answers_our_audio_video_offer: we_offer_audio_video(Kind::Chromium);
    chromium_offers_audio_video_we_answer: they_offer_audio_video(Kind::Chromium);
    chromium_offers_data_only_we_answer: they_offer_data_only(Kind::Chromium);
    chromium_answers_our_data_only_offer: we_offer_data_only(Kind::Chromium);
    chromium_renegotiation_both_ways: renegotiation(Kind::Chromium);
    chromium_ice_restart_both_ways: ice_restart(Kind::Chromium);
    firefox_answers_our_audio_video_offer: we_offer_audio_video(Kind::Firefox);
    firefox_offers_audio_video_we_answer: they_offer_audio_video(Kind::Firefox);
    firefox_offers_data_only_we_answer: they_offer_data_only(Kind::Firefox);
    firefox_answers_our_data_only_offer: we_offer_data_only(Kind::Firefox);
    firefox_renegotiation_both_ways: renegotiation(Kind::Firefox);
    firefox_ice_restart_both_ways: ice_restart(Kind::Firefox);
    aiortc_answers_our_audio_video_offer: we_offer_audio_video(Kind::Aiortc);
    aiortc_offers_audio_video_we_answer: they_offer_audio_video(Kind::Aiortc);
    aiortc_offers_data_only_we_answer: they_offer_data_only(Kind::Aiortc);
    aiortc_answers_our_data_only_offer: we_offer_data_only(Kind::Aiortc);
    aiortc_renegotiation_both_ways: renegotiation(Kind::Aiortc);
}
