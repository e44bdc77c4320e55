//! Every attribute variant parses from its text and writes the same text back.

use super::*;
use crate::candidate::{CandidateType, TcpType};
use crate::types::{RidDirection, SimulcastRid};

fn s(x: &str) -> String {
    x.to_string()
}

/// Asserts `text` parses to `expected` and `expected` writes `text`.
#[track_caller]
fn both_ways(text: &str, expected: Attribute) {
    assert_eq!(
        Attribute::parse(text).as_ref(),
        Ok(&expected),
        "parsing {text:?}"
    );
    assert_eq!(expected.to_string(), text, "writing {expected:?}");
}

#[test]
fn ice_attributes() {
    both_ways("ice-ufrag:mJpj", Attribute::IceUfrag(s("mJpj")));
    both_ways(
        "ice-pwd:0aUQ13NUK/+ETo5YntoxrmiW",
        Attribute::IcePwd(s("0aUQ13NUK/+ETo5YntoxrmiW")),
    );
    both_ways(
        "ice-options:trickle renomination",
        Attribute::IceOptions(vec![s("trickle"), s("renomination")]),
    );
    both_ways("ice-lite", Attribute::IceLite);
    both_ways("ice-mismatch", Attribute::IceMismatch);
    both_ways("end-of-candidates", Attribute::EndOfCandidates);
}

#[test]
fn dtls_attributes() {
    let hex = "61:B3:82:BC:7C:B9:60:48:BA:F4:79:D9:F6:BC:6C:8F:64:54:83:E5:40:4E:E6:6A:0D:4E:CA:01:36:DF:02:F6";
    let text = format!("fingerprint:sha-256 {hex}");
    let Ok(Attribute::Fingerprint(fp)) = Attribute::parse(&text) else {
        panic!("fingerprint did not parse");
    };
    assert_eq!(fp.algorithm, "sha-256");
    assert_eq!(fp.value.len(), 32);
    assert_eq!(fp.value[0], 0x61);
    assert_eq!(fp.value[31], 0xF6);
    assert_eq!(Attribute::Fingerprint(fp).to_string(), text);
    for (name, len) in [
        ("sha-1", 20),
        ("sha-224", 28),
        ("sha-384", 48),
        ("sha-512", 64),
    ] {
        let hex: Vec<String> = (0..len).map(|i| format!("{:02X}", i as u8)).collect();
        let text = format!("fingerprint:{name} {}", hex.join(":"));
        let attr = Attribute::parse(&text).expect("valid fingerprint");
        assert_eq!(attr.to_string(), text);
    }
    // Lower-case hex is accepted and written in upper case.
    let lower = Attribute::parse(
        "fingerprint:sha-1 ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01",
    )
    .expect("lower-case hex");
    assert!(lower
        .to_string()
        .ends_with("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"));
    both_ways("setup:actpass", Attribute::Setup(Setup::Actpass));
    both_ways("setup:active", Attribute::Setup(Setup::Active));
    both_ways("setup:passive", Attribute::Setup(Setup::Passive));
    both_ways("setup:holdconn", Attribute::Setup(Setup::Holdconn));
    assert_eq!(
        Attribute::parse("setup:ACTPASS"),
        Ok(Attribute::Setup(Setup::Actpass))
    );
    both_ways(
        "identity:eyJpZHAiOnt9fQ==",
        Attribute::Identity(s("eyJpZHAiOnt9fQ==")),
    );
}

#[test]
fn malformed_known_attributes_are_errors() {
    for bad in [
        "fingerprint:sha-256 AB:CD", // wrong length for sha-256
        "fingerprint:sha-256",       // no value
        "fingerprint:sha-1 GG:00",   // not hex
        "fingerprint:sha-1 A:BC",    // one digit
        "setup:sideways",
        "rtpmap:abc opus/48000",
        "rtpmap:111 opus", // no clock rate
        "rtpmap:111 opus/48000/2/1",
        "rtpmap:128 opus/48000", // pt out of range
        "rtpmap:111 /48000",
        "fmtp:x apt=96",
        "rtcp-fb:96",
        "rtcp-fb:abc nack",
        "extmap:x urn:a",
        "extmap:1",
        "extmap:1/sideways urn:a",
        "candidate:1 1 udp",
        "candidate:1 1 udp 5 1.2.3.4 99999 typ host",
        "candidate:1 1 udp 5 1.2.3.4 9 type host",
        "candidate:1 1 udp 5 1.2.3.4 9 typ elsewhere",
        "candidate:1 1 tcp 5 1.2.3.4 9 typ host tcptype sideways",
        "candidate:1 1 udp 5 1.2.3.4 9 typ host generation",
        "ssrc:abc cname:x",
        "ssrc:1",
        "ssrc-group:FID 1 x",
        "group: 0 1",
        "msid:a b c",
        "rid:q sideways",
        "rid:",
        "simulcast:send",
        "simulcast:sideways a",
        "simulcast:send a send b",
        "simulcast:send a;;b",
        "sctp-port:70000",
        "max-message-size:-1",
        "sctpmap:5000",
        "ptime:20.5",
        "maxptime:x",
        "rtcp:9 IN IP4",
        "mid",
        "candidate",
    ] {
        assert!(Attribute::parse(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn grouping_and_identity_attributes() {
    both_ways("mid:0", Attribute::Mid(s("0")));
    both_ways(
        "group:BUNDLE 0 1 2",
        Attribute::Group(Group {
            semantics: s("BUNDLE"),
            mids: vec![s("0"), s("1"), s("2")],
        }),
    );
    both_ways(
        "group:BUNDLE",
        Attribute::Group(Group {
            semantics: s("BUNDLE"),
            mids: vec![],
        }),
    );
    both_ways(
        "msid:stream track",
        Attribute::Msid {
            stream_id: s("stream"),
            track_id: Some(s("track")),
        },
    );
    both_ways(
        "msid:-",
        Attribute::Msid {
            stream_id: s("-"),
            track_id: None,
        },
    );
    both_ways(
        "msid-semantic:WMS *",
        Attribute::MsidSemantic {
            semantics: s("WMS"),
            ids: vec![s("*")],
        },
    );
    // Chromium's form with a space after the colon is kept verbatim.
    both_ways(
        "msid-semantic: WMS abc",
        Attribute::Other {
            name: s("msid-semantic"),
            value: Some(s(" WMS abc")),
        },
    );
    both_ways("bundle-only", Attribute::BundleOnly);
}

#[test]
fn rtp_attributes() {
    for (text, d) in [
        ("sendrecv", Direction::SendRecv),
        ("sendonly", Direction::SendOnly),
        ("recvonly", Direction::RecvOnly),
        ("inactive", Direction::Inactive),
    ] {
        both_ways(text, Attribute::Direction(d));
    }
    both_ways("rtcp-mux", Attribute::RtcpMux);
    both_ways("rtcp-mux-only", Attribute::RtcpMuxOnly);
    both_ways("rtcp-rsize", Attribute::RtcpRsize);
    both_ways(
        "rtcp:9 IN IP4 0.0.0.0",
        Attribute::Rtcp {
            port: 9,
            connection: Some(Connection::unspecified_ipv4()),
        },
    );
    both_ways(
        "rtcp:10101",
        Attribute::Rtcp {
            port: 10101,
            connection: None,
        },
    );
    both_ways(
        "rtpmap:111 opus/48000/2",
        Attribute::Rtpmap(Rtpmap {
            payload_type: 111,
            encoding: s("opus"),
            clock_rate: 48000,
            channels: Some(2),
        }),
    );
    both_ways(
        "rtpmap:96 VP8/90000",
        Attribute::Rtpmap(Rtpmap {
            payload_type: 96,
            encoding: s("VP8"),
            clock_rate: 90000,
            channels: None,
        }),
    );
    both_ways(
        "fmtp:111 minptime=10;useinbandfec=1",
        Attribute::Fmtp {
            payload_type: 111,
            params: s("minptime=10;useinbandfec=1"),
        },
    );
    both_ways(
        "rtcp-fb:96 nack pli",
        Attribute::RtcpFb {
            payload_type: Some(96),
            kind: s("nack"),
            param: Some(s("pli")),
        },
    );
    both_ways(
        "rtcp-fb:* transport-cc",
        Attribute::RtcpFb {
            payload_type: None,
            kind: s("transport-cc"),
            param: None,
        },
    );
    both_ways(
        "rtcp-fb:96 ccm tmmbr smaxpr=120",
        Attribute::RtcpFb {
            payload_type: Some(96),
            kind: s("ccm"),
            param: Some(s("tmmbr smaxpr=120")),
        },
    );
    both_ways(
        "extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        Attribute::Extmap(Extmap {
            id: 4,
            direction: None,
            uri: s("urn:ietf:params:rtp-hdrext:sdes:mid"),
            attributes: None,
        }),
    );
    both_ways(
        "extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        Attribute::Extmap(Extmap {
            id: 6,
            direction: Some(Direction::RecvOnly),
            uri: s("http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"),
            attributes: None,
        }),
    );
    both_ways(
        "extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on",
        Attribute::Extmap(Extmap {
            id: 2,
            direction: None,
            uri: s("urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
            attributes: Some(s("vad=on")),
        }),
    );
    both_ways("extmap-allow-mixed", Attribute::ExtmapAllowMixed);
    both_ways("ptime:20", Attribute::Ptime(20));
    both_ways("maxptime:120", Attribute::MaxPtime(120));
}

#[test]
fn ssrc_attributes() {
    both_ways(
        "ssrc:3609370161 cname:nqlkAajzRgtBgTin",
        Attribute::Ssrc {
            ssrc: 3609370161,
            attribute: s("cname"),
            value: Some(s("nqlkAajzRgtBgTin")),
        },
    );
    both_ways(
        "ssrc:1 msid:stream track",
        Attribute::Ssrc {
            ssrc: 1,
            attribute: s("msid"),
            value: Some(s("stream track")),
        },
    );
    both_ways(
        "ssrc:1 x-flag",
        Attribute::Ssrc {
            ssrc: 1,
            attribute: s("x-flag"),
            value: None,
        },
    );
    both_ways(
        "ssrc-group:FID 511864571 2075389559",
        Attribute::SsrcGroup {
            semantics: s("FID"),
            ssrcs: vec![511864571, 2075389559],
        },
    );
}

#[test]
fn rid_and_simulcast() {
    both_ways(
        "rid:q send",
        Attribute::Rid(Rid {
            id: s("q"),
            direction: RidDirection::Send,
            params: vec![],
        }),
    );
    let rid = Rid {
        id: s("h"),
        direction: RidDirection::Recv,
        params: vec![
            (s("pt"), Some(s("96,97"))),
            (s("max-width"), Some(s("1280"))),
            (s("depend"), None),
        ],
    };
    assert_eq!(rid.payload_types(), vec![96, 97]);
    assert_eq!(rid.param("max-width"), Some("1280"));
    both_ways(
        "rid:h recv pt=96,97;max-width=1280;depend",
        Attribute::Rid(rid),
    );

    let r = |id: &str, paused: bool| SimulcastRid { id: s(id), paused };
    both_ways(
        "simulcast:send q;h;f",
        Attribute::Simulcast(Simulcast {
            send: vec![
                vec![r("q", false)],
                vec![r("h", false)],
                vec![r("f", false)],
            ],
            recv: vec![],
        }),
    );
    both_ways(
        "simulcast:send 1,~2;3 recv 4",
        Attribute::Simulcast(Simulcast {
            send: vec![vec![r("1", false), r("2", true)], vec![r("3", false)]],
            recv: vec![vec![r("4", false)]],
        }),
    );
    // recv-first input is the same model; it is written send-first.
    let recv_first = Attribute::parse("simulcast:recv a send ~b").expect("valid simulcast");
    assert_eq!(recv_first.to_string(), "simulcast:send ~b recv a");
}

#[test]
fn data_channel_attributes() {
    both_ways("sctp-port:5000", Attribute::SctpPort(5000));
    both_ways("max-message-size:262144", Attribute::MaxMessageSize(262144));
    both_ways(
        "sctpmap:5000 webrtc-datachannel 1024",
        Attribute::Sctpmap(Sctpmap {
            port: 5000,
            protocol: s("webrtc-datachannel"),
            streams: Some(1024),
        }),
    );
}

#[test]
fn candidate_attribute() {
    both_ways(
        "candidate:1 1 TCP 2105524479 203.0.113.1 9 typ host tcptype active",
        Attribute::Candidate(Candidate {
            foundation: s("1"),
            component: 1,
            transport: s("TCP"),
            priority: 2105524479,
            address: s("203.0.113.1"),
            port: 9,
            typ: CandidateType::Host,
            related_address: None,
            related_port: None,
            tcp_type: Some(TcpType::Active),
            extensions: vec![],
        }),
    );
}

#[test]
fn unknown_attributes_are_kept_verbatim() {
    for text in [
        "rtcp-xr:rcvr-rtt=all",
        "x-google-flag:conference",
        "dtls-id:1",
        "tls-id:abc",
        "foo",
        "foo:",
        "foo:bar:baz",
        "rtcp-mux:1", // a flag written with a value
        "",
    ] {
        let a = Attribute::parse(text).expect("unknown attributes always parse");
        assert!(matches!(a, Attribute::Other { .. }), "{text:?} gave {a:?}");
        assert_eq!(a.to_string(), text);
    }
    let a = Attribute::parse("foo:bar:baz").expect("parses");
    assert_eq!(a.name(), "foo");
    assert_eq!(
        a,
        Attribute::Other {
            name: s("foo"),
            value: Some(s("bar:baz"))
        }
    );
}

#[test]
fn names_match_the_written_text() {
    for text in [
        "ice-ufrag:a",
        "ice-pwd:b",
        "ice-options:trickle",
        "ice-lite",
        "ice-mismatch",
        "setup:active",
        "mid:0",
        "group:BUNDLE 0",
        "msid:a",
        "msid-semantic:WMS",
        "sendonly",
        "rtcp-mux",
        "rtcp-mux-only",
        "rtcp-rsize",
        "rtcp:9",
        "rtpmap:0 PCMU/8000",
        "fmtp:0 x",
        "rtcp-fb:0 nack",
        "extmap:1 u",
        "extmap-allow-mixed",
        "ssrc:1 cname:x",
        "ssrc-group:FID 1",
        "rid:a send",
        "simulcast:recv a",
        "sctp-port:1",
        "max-message-size:1",
        "sctpmap:1 p",
        "end-of-candidates",
        "identity:x",
        "bundle-only",
        "ptime:1",
        "maxptime:1",
        "candidate:1 1 udp 1 h 1 typ host",
    ] {
        let a = Attribute::parse(text).expect("valid");
        assert!(
            !matches!(a, Attribute::Other { .. }),
            "{text:?} should be typed"
        );
        let name = text.split(':').next().unwrap_or_default();
        assert_eq!(a.name(), name);
    }
}

#[test]
fn trailing_whitespace_is_ignored() {
    for (text, written) in [
        ("rtcp-fb:111 transport-cc ", "rtcp-fb:111 transport-cc"),
        ("rtcp-fb:108 nack pli \t", "rtcp-fb:108 nack pli"),
        ("sendrecv ", "sendrecv"),
        ("setup:actpass  ", "setup:actpass"),
        ("x-custom:value ", "x-custom:value"),
    ] {
        let a = Attribute::parse(text).expect("trailing blanks are fine");
        assert!(!matches!(a, Attribute::Other { .. }) || text.starts_with("x-"));
        assert_eq!(a.to_string(), written);
        assert_eq!(Attribute::parse(written), Ok(a));
    }
    assert_eq!(
        Attribute::parse("rtcp-fb:111 transport-cc "),
        Ok(Attribute::RtcpFb {
            payload_type: Some(111),
            kind: s("transport-cc"),
            param: None,
        })
    );
}
