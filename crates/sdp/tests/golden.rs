//! Round-trips every file in `tests/golden/`: parse → write gives the input
//! text (modulo line endings), and parse → write → parse gives the same model.

use std::fs;
use std::path::Path;

use rtcpeer_sdp::{
    Attribute, CandidateType, Direction, MediaKind, RidDirection, SessionDescription, TcpType,
};

/// The input with every line ending made CRLF and trailing blank lines removed.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end_matches(['\r', '\n']).split('\n') {
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push_str("\r\n");
    }
    out
}

/// Round-trips every `.sdp` file in `tests/<sub>/`; returns how many there were.
fn round_trip_dir(sub: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(sub);
    let mut count = 0;
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .expect("golden dir exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    entries.sort();
    for path in entries {
        let text = fs::read_to_string(&path).expect("golden file is UTF-8");
        let name = path.display();
        let sdp = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = sdp.to_string();
        assert_eq!(written, normalize(&text), "{name}: written text differs");
        let again = SessionDescription::parse(&written).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, sdp, "{name}: model differs after a round trip");
        assert!(!sdp.media.is_empty(), "{name}: no media sections parsed");
        count += 1;
    }
    count
}

#[test]
fn golden_browser_files_round_trip() {
    let n = round_trip_dir("golden");
    assert!(n >= 30, "expected the browser corpus, found {n} files");
}

#[test]
fn wpt_fixtures_round_trip() {
    let n = round_trip_dir("wpt");
    assert!(n >= 12, "expected the WPT fixtures, found {n} files");
}

fn load(name: &str) -> SessionDescription {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text = fs::read_to_string(&path).expect("golden file exists");
    SessionDescription::parse(&text).expect("golden file parses")
}

/// Attribute names the parser types; none of them may fall back to `Other`
/// in real browser output (except Chromium's `msid-semantic: WMS` form).
const TYPED: &[&str] = &[
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "fingerprint",
    "setup",
    "mid",
    "group",
    "msid",
    "sendrecv",
    "sendonly",
    "recvonly",
    "inactive",
    "rtcp-mux",
    "rtcp-rsize",
    "rtcp",
    "rtpmap",
    "fmtp",
    "rtcp-fb",
    "extmap",
    "extmap-allow-mixed",
    "ssrc",
    "ssrc-group",
    "rid",
    "simulcast",
    "sctp-port",
    "max-message-size",
    "candidate",
    "end-of-candidates",
    "bundle-only",
];

#[test]
fn browser_attributes_are_typed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for entry in fs::read_dir(&dir).expect("golden dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "sdp") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("utf-8");
        let sdp = SessionDescription::parse(&text).expect("parses");
        let all = sdp
            .attributes
            .iter()
            .chain(sdp.media.iter().flat_map(|m| &m.attributes));
        for a in all {
            if let Attribute::Other { name, .. } = a {
                assert!(
                    !TYPED.contains(&name.as_str()),
                    "{}: a={name} was not typed",
                    path.display()
                );
            }
        }
        // Every media section of a browser description has a mid, and ICE
        // credentials unless it is rejected.
        for m in &sdp.media {
            assert!(m.mid().is_some() || path.to_string_lossy().contains("safari"));
            let has_ice = m.ice_ufrag().or(sdp.ice_ufrag()).is_some();
            assert!(has_ice || m.is_rejected(), "{}", path.display());
        }
    }
}

#[test]
fn chromium_simulcast_offer() {
    let d = load("chromium-simulcast-offer.sdp");
    let video = d
        .media
        .iter()
        .find(|m| m.kind == MediaKind::Video)
        .expect("video section");
    let rids: Vec<&str> = video.rids().map(|r| r.id.as_str()).collect();
    assert_eq!(rids, ["q", "h", "f"]);
    let sim = video.simulcast().expect("a=simulcast");
    let send: Vec<&str> = sim.send_rids().map(|r| r.id.as_str()).collect();
    assert_eq!(send, ["q", "h", "f"]);
    assert!(sim.recv.is_empty());
    assert!(video
        .extmaps()
        .any(|e| e.uri.ends_with("sdes:rtp-stream-id")));
}

#[test]
fn simulcast_answers() {
    for browser in ["chromium", "firefox"] {
        // Browsers do not receive simulcast: their answer drops it.
        let d = load(&format!("{browser}-simulcast-answer.sdp"));
        assert!(d.media.iter().all(|m| m.simulcast().is_none()), "{browser}");
        // Answering an offer to receive simulcast, they send it.
        let d = load(&format!("{browser}-simulcast-send-answer.sdp"));
        let sim = d.media[0].simulcast().expect("a=simulcast in answer");
        let send: Vec<&str> = sim.send_rids().map(|r| r.id.as_str()).collect();
        assert_eq!(send, ["foo", "bar", "baz"], "{browser}");
        assert!(d.media[0].rids().all(|r| r.direction == RidDirection::Send));
    }
}

#[test]
fn firefox_gathered_offer_has_typed_candidates() {
    let d = load("firefox-datachannel-offer-gathered.sdp");
    let m = &d.media[0];
    let c: Vec<_> = m.candidates().collect();
    assert!(c.iter().any(|c| c.is_udp() && c.typ == CandidateType::Host));
    assert!(c
        .iter()
        .any(|c| c.is_tcp() && c.tcp_type == Some(TcpType::Active) && c.port == 9));
    assert!(m.end_of_candidates());
    assert_eq!(m.sctp_port(), Some(5000));
    assert_eq!(
        d.fingerprints().count(),
        1,
        "Firefox puts the fingerprint at session level"
    );
}

#[test]
fn ice_restart_changes_credentials() {
    for browser in ["chromium", "firefox"] {
        let first = load(&format!("{browser}-audiovideo-offer.sdp"));
        let restart = load(&format!("{browser}-audiovideo-icerestart-offer.sdp"));
        let ufrag =
            |d: &SessionDescription| d.media[0].ice_ufrag().or(d.ice_ufrag()).map(str::to_string);
        assert!(ufrag(&first).is_some());
        assert_ne!(ufrag(&first), ufrag(&restart), "{browser}");
        assert!(restart.origin.session_version > first.origin.session_version);
        assert_eq!(restart.origin.session_id, first.origin.session_id);
    }
}

#[test]
fn transceiver_directions_and_rejection() {
    for browser in ["chromium", "firefox"] {
        let offer = load(&format!("{browser}-transceivers-offer.sdp"));
        let dirs: Vec<Direction> = offer.media.iter().take(4).map(|m| m.direction()).collect();
        assert_eq!(
            dirs,
            [
                Direction::SendOnly,
                Direction::RecvOnly,
                Direction::SendRecv,
                Direction::Inactive
            ],
            "{browser}"
        );
        let answer = load(&format!("{browser}-transceivers-answer.sdp"));
        assert_eq!(
            answer.media[0].direction(),
            Direction::RecvOnly,
            "{browser}"
        );
        assert_eq!(answer.media.len(), offer.media.len());
        // After stopping the second transceiver, the next offer rejects its m-line.
        let stopped = load(&format!("{browser}-transceivers-stopped-offer.sdp"));
        assert_eq!(stopped.media[1].port, 0, "{browser}");
        assert!(stopped.media[1].is_rejected());
        assert!(!stopped.media[0].is_rejected());
    }
}

#[test]
fn aiortc_offer_has_several_fingerprints() {
    let d = load("aiortc-offer.sdp");
    let algs: Vec<&str> = d.media[0]
        .fingerprints()
        .map(|f| f.algorithm.as_str())
        .collect();
    assert_eq!(algs, ["sha-256", "sha-384", "sha-512"]);
    let lens: Vec<usize> = d.media[0].fingerprints().map(|f| f.value.len()).collect();
    assert_eq!(lens, [32, 48, 64]);
    assert!(d.media.iter().all(|m| m.end_of_candidates()));
}

#[test]
fn chromium_mdns_candidate() {
    let d = load("chromium-mdns-datachannel-offer-gathered.sdp");
    let c: Vec<_> = d.media[0].candidates().collect();
    assert!(!c.is_empty());
    assert!(c.iter().all(|c| c.is_mdns() && c.ip().is_none()));
    assert!(c.iter().all(|c| c.typ == CandidateType::Host));
}

#[test]
fn cross_answers_mirror_the_offers() {
    for (answer, offer) in [
        (
            "chromium-answer-to-firefox-audiovideo-offer.sdp",
            "firefox-audiovideo-offer.sdp",
        ),
        (
            "firefox-answer-to-chromium-audiovideo-offer.sdp",
            "chromium-audiovideo-offer.sdp",
        ),
        ("chromium-answer-to-aiortc-offer.sdp", "aiortc-offer.sdp"),
        ("firefox-answer-to-aiortc-offer.sdp", "aiortc-offer.sdp"),
    ] {
        let (a, o) = (load(answer), load(offer));
        assert_eq!(a.media.len(), o.media.len(), "{answer}");
        for (am, om) in a.media.iter().zip(&o.media) {
            assert_eq!(am.mid(), om.mid(), "{answer}: mids in the same order");
            assert_eq!(am.kind, om.kind, "{answer}");
            // An answer never uses actpass.
            let setup = am.setup().or(a.setup());
            assert!(
                matches!(setup, Some(s) if s != rtcpeer_sdp::Setup::Actpass),
                "{answer}"
            );
        }
    }
}
