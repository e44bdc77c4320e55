//! Checks derived from the web-platform-tests `webrtc/` SDP fixtures
//! (`tests/wpt/*.sdp`) and the variants those tests make of them.

use std::fs;
use std::path::Path;

use rtcpeer_sdp::{is_ice_chars, Candidate, Direction, SessionDescription};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/wpt")
        .join(name);
    fs::read_to_string(path).expect("fixture exists")
}

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn add_ice_candidate_offer_and_candidates() {
    let d = parse(&fixture("add-ice-offer.sdp"));
    let mids: Vec<_> = d.media.iter().filter_map(|m| m.mid()).collect();
    assert_eq!(mids, ["a1", "v1"]);
    assert_eq!(d.bundle_groups().count(), 1);
    assert_eq!(d.groups().count(), 2, "BUNDLE and LS");
    assert_eq!(d.media[0].ice_ufrag(), Some("ETEn"));
    assert_eq!(d.media[1].ice_ufrag(), Some("BGKk"));
    assert_eq!(d.media[0].rtcp().map(|(p, _)| p), Some(10101));
    let c: Candidate = "candidate:1 1 udp 2113929471 203.0.113.100 10100 typ host"
        .parse()
        .expect("valid candidate");
    assert_eq!((c.component, c.port), (1, 10100));
    let c: Candidate = "candidate:1 2 udp 2113929470 203.0.113.100 10101 typ host"
        .parse()
        .expect("valid candidate");
    assert_eq!(c.component, 2);
    assert!("(Invalid) candidate \r\n string"
        .parse::<Candidate>()
        .is_err());
}

#[test]
fn trickle_and_mux_fixtures() {
    let t = parse(&fixture("trickle-offer.sdp"));
    assert_eq!(t.ice_options(), ["trickle"]);
    let without = fixture("trickle-offer.sdp").replace("a=ice-options:trickle\n", "");
    assert!(parse(&without).ice_options().is_empty());
    assert!(!parse(&fixture("nomux-offer.sdp")).media[0].rtcp_mux());
    assert!(parse(&fixture("nomsid-offer.sdp")).media[0]
        .msids()
        .next()
        .is_none());
    let ontrack = parse(&fixture("ontrack-offer.sdp"));
    assert_eq!(ontrack.media[0].direction(), Direction::SendOnly);
    assert_eq!(ontrack.msid_semantics(), vec![("WMS", vec!["*"])]);
}

#[test]
fn msid_variants() {
    let base = fixture("msid-base.sdp");
    let variants = [
        "a=msid:1 2\na=ssrc:3 cname:4\na=ssrc:3 msid:1 2\n",
        "a=ssrc:3 cname:4\na=ssrc:3 msid:1 2\n",
        "a=msid:1 2\na=ssrc:3 cname:4\na=ssrc:3 msid:3 2\n",
        "a=msid:-\n",
        "a=msid:1 2\na=msid:1 2\n",
    ];
    for v in variants {
        let d = parse(&format!("{base}{v}"));
        let ssrc_lines = d.media[0].ssrcs().count();
        assert_eq!(ssrc_lines, v.matches("a=ssrc:").count(), "{v}");
    }
    let renamed = base.replace("msid-semantic", "unknownattr");
    let d = parse(&renamed);
    assert!(d.msid_semantics().is_empty());
    assert!(d.has("unknownattr"));
    assert!(d.ice_lite());
    assert_eq!(
        d.media[0].connection.as_ref().map(|c| c.address.as_str()),
        Some("::")
    );
}

#[test]
fn ufrag_with_invalid_characters_parses_but_is_flagged() {
    let base = fixture("ufrag-preamble.sdp");
    let ok = format!("{base}a=ice-ufrag:ETEn\r\na=ice-pwd:OtSK0WpNtpUjkY4+86js7Z/l\r\n");
    let d = parse(&ok);
    assert!(is_ice_chars(d.media[0].ice_ufrag().expect("ufrag")));
    let bad = format!("{base}a=ice-ufrag:ET$En\r\na=ice-pwd:OtSK0WpNtpUjkY4+86js7Z/l\r\n");
    let d = parse(&bad);
    // The parser keeps the value; JSEP rejects it with is_ice_chars.
    assert!(!is_ice_chars(d.media[0].ice_ufrag().expect("ufrag")));
}

#[test]
fn payload_type_range() {
    let template = fixture("pt-offer.sdp").replace("111", "{pt}");
    for pt in [0u32, 35, 63, 64, 95, 96, 127] {
        let d = parse(&template.replace("{pt}", &pt.to_string()));
        assert_eq!(
            d.media[0].rtpmaps().next().map(|r| r.payload_type as u32),
            Some(pt)
        );
    }
    for pt in ["128", "255", "256", "-1", "x"] {
        let e = SessionDescription::parse(&template.replace("{pt}", pt)).expect_err(pt);
        assert_eq!(e.line, 8, "{pt}: the m= line is the first offender ({e})");
    }
}

#[test]
fn simulcast_and_fmtp_fixtures() {
    let d = parse(&fixture("simulcast-recv-offer.sdp"));
    let sim = d.media[0].simulcast().expect("simulcast");
    let recv: Vec<_> = sim.recv_rids().map(|r| r.id.as_str()).collect();
    assert_eq!(recv, ["foo", "bar", "baz"]);
    assert_eq!(d.msid_semantics(), vec![("WMS", vec![])]);
    let d = parse(&fixture("vp8-fmtp-offer.sdp"));
    let params = rtcpeer_sdp::parse_fmtp_params(d.media[0].fmtp(100).expect("fmtp"));
    assert_eq!(
        params,
        vec![("max-fr", Some("30")), ("max-fs", Some("3600"))]
    );
}
