//! Every offer captured from Chromium, Firefox and aiortc on this machine (the
//! golden corpus of `rtcpeer-sdp`) is applied as a remote offer and answered:
//! the answer parses, keeps the offer's m-lines and mids in order, accepts
//! each media section with one of the offer's own payload types, and is
//! applied locally without error.

use rtcpeer_proto::*;
use rtcpeer_sdp as sdp;

fn golden_offers() -> Vec<(String, String)> {
    let dir = format!("{}/../sdp/tests/golden", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.ends_with(".sdp")
                && n.contains("offer")
                && !n.contains("answer-to")
                && !n.contains("excerpt")
        })
        .map(|n| {
            let text = std::fs::read_to_string(format!("{dir}/{n}")).unwrap();
            (n, text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn we_answer_every_browser_offer() {
    let offers = golden_offers();
    assert!(
        offers.len() >= 15,
        "the corpus has the browsers' offers, found {}",
        offers.len()
    );
    for (name, text) in offers {
        let mut pc = PeerConnection::new(Configuration::default()).unwrap();
        pc.set_remote_description(SessionDescription::offer(text.clone()))
            .unwrap_or_else(|e| panic!("{name}: setRemoteDescription: {e}"));
        let answer = pc
            .create_answer(&AnswerOptions::default())
            .unwrap_or_else(|e| panic!("{name}: createAnswer: {e}"));
        pc.set_local_description(Some(answer.clone()))
            .unwrap_or_else(|e| panic!("{name}: setLocalDescription: {e}"));
        assert_eq!(pc.signaling_state(), SignalingState::Stable, "{name}");

        let offer: sdp::SessionDescription = text.parse().unwrap();
        let ans: sdp::SessionDescription = answer
            .sdp
            .parse()
            .unwrap_or_else(|e| panic!("{name}: our answer does not parse: {e}\n{}", answer.sdp));
        assert_eq!(offer.media.len(), ans.media.len(), "{name}: m-line count");
        let mut accepted = 0;
        for (o, a) in offer.media.iter().zip(ans.media.iter()) {
            assert_eq!(o.kind, a.kind, "{name}: kinds in order");
            assert_eq!(o.mid(), a.mid(), "{name}: mids in order");
            if o.port == 0 && !o.is_bundle_only() {
                assert_eq!(a.port, 0, "{name}: a rejected offer section stays rejected");
                continue;
            }
            if a.port == 0 {
                continue;
            }
            accepted += 1;
            match o.kind {
                sdp::MediaKind::Application => {
                    assert_eq!(a.sctp_port(), Some(5000), "{name}: sctp-port");
                    assert!(a.max_message_size().is_some(), "{name}: max-message-size");
                }
                _ => {
                    let offered: Vec<&String> = o.formats.iter().collect();
                    assert!(!a.formats.is_empty(), "{name}: a media answer with codecs");
                    for f in &a.formats {
                        assert!(offered.contains(&f), "{name}: answer pt {f} was offered");
                    }
                    if o.rids().next().is_some() && o.direction().sends_any() {
                        assert!(
                            a.rids().next().is_some(),
                            "{name}: we accept the simulcast layers"
                        );
                    }
                }
            }
            assert!(
                a.ice_ufrag().is_some() && a.fingerprints().next().is_some(),
                "{name}: transport attributes"
            );
        }
        assert!(accepted > 0, "{name}: something was accepted");
        if offer.bundle_groups().next().is_some() {
            assert!(
                ans.bundle_groups().next().is_some(),
                "{name}: bundle accepted"
            );
        }
    }
}

trait SendsAny {
    fn sends_any(&self) -> bool;
}

impl SendsAny for sdp::Direction {
    fn sends_any(&self) -> bool {
        matches!(self, sdp::Direction::SendRecv | sdp::Direction::SendOnly)
    }
}
