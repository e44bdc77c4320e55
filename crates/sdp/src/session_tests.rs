//! Parser and writer tests for whole descriptions: structure, line endings,
//! error line numbers, canonical order, accessors.

use super::*;
use crate::candidate::CandidateType;
use crate::types::{RidDirection, Setup};

const HEAD: &str = "v=0\r\no=- 4962303333179871722 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

fn sdp(body: &str) -> String {
    format!("{HEAD}{body}")
}

#[track_caller]
fn err_line(text: &str) -> (usize, String) {
    let e = SessionDescription::parse(text).expect_err("should fail");
    (e.line, e.message)
}

#[test]
fn minimal_description() {
    let d = SessionDescription::parse(HEAD).expect("valid");
    assert_eq!(d.origin.username, "-");
    assert_eq!(d.origin.session_id, 4962303333179871722);
    assert_eq!(d.origin.session_version, 1);
    assert_eq!(d.origin.unicast_address, "0.0.0.0");
    assert_eq!(d.session_name, "-");
    assert_eq!((d.timing.start, d.timing.stop), (0, 0));
    assert!(d.media.is_empty());
    assert_eq!(d.to_string(), HEAD);
}

#[test]
fn default_writes_a_valid_description() {
    let d = SessionDescription::default();
    let text = d.to_string();
    assert_eq!(text, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    assert_eq!(SessionDescription::parse(&text), Ok(d));
}

#[test]
fn lf_and_crlf_give_the_same_model() {
    let crlf = sdp("a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n");
    let lf = crlf.replace("\r\n", "\n");
    let a = SessionDescription::parse(&crlf).expect("crlf");
    let b = SessionDescription::parse(&lf).expect("lf");
    assert_eq!(a, b);
    assert_eq!(b.to_string(), crlf);
    // No final newline, and trailing blank lines.
    let trimmed = crlf.trim_end();
    assert_eq!(SessionDescription::parse(trimmed), Ok(a.clone()));
    assert_eq!(
        SessionDescription::parse(&format!("{crlf}\r\n")),
        Ok(a.clone())
    );
    assert_eq!(SessionDescription::parse(&format!("{lf}\n\n")), Ok(a));
}

#[test]
fn media_sections_collect_their_lines() {
    let text = sdp(concat!(
        "a=group:BUNDLE a v\r\n",
        "m=audio 10100 UDP/TLS/RTP/SAVPF 96 0\r\n",
        "i=voice\r\n",
        "c=IN IP4 203.0.113.100\r\n",
        "b=AS:64\r\n",
        "b=TIAS:64000\r\n",
        "a=mid:a\r\n",
        "a=rtpmap:96 opus/48000/2\r\n",
        "m=video 0/2 RTP/AVP 31\r\n",
        "c=IN IP6 ::1\r\n",
        "a=mid:v\r\n",
    ));
    let d = SessionDescription::parse(&text).expect("valid");
    assert_eq!(d.attributes.len(), 1);
    assert_eq!(d.media.len(), 2);
    let a = &d.media[0];
    assert_eq!(a.kind, MediaKind::Audio);
    assert_eq!(a.port, 10100);
    assert_eq!(a.port_count, None);
    assert_eq!(a.proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(a.formats, ["96", "0"]);
    assert_eq!(a.payload_types(), vec![96, 0]);
    assert_eq!(a.title.as_deref(), Some("voice"));
    assert_eq!(
        a.connection.as_ref().map(|c| c.address.as_str()),
        Some("203.0.113.100")
    );
    assert_eq!(a.bandwidths.len(), 2);
    assert_eq!(a.bandwidths[1].bwtype, "TIAS");
    assert_eq!(a.bandwidths[1].bandwidth, 64000);
    assert_eq!(a.attributes.len(), 2);
    let v = &d.media[1];
    assert_eq!(v.kind, MediaKind::Video);
    assert_eq!((v.port, v.port_count), (0, Some(2)));
    assert!(v.is_rejected());
    assert_eq!(
        v.connection.as_ref().map(|c| c.address_type.as_str()),
        Some("IP6")
    );
    assert_eq!(d.media_by_mid("v").map(|m| m.port), Some(0));
    assert!(d.media_by_mid("x").is_none());
    assert_eq!(d.to_string(), text);
}

#[test]
fn every_session_field_round_trips_in_canonical_order() {
    let text = concat!(
        "v=0\r\n",
        "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n",
        "s=SDP Seminar\r\n",
        "i=A Seminar on the session description protocol\r\n",
        "u=http://www.example.com/seminars/sdp.pdf\r\n",
        "e=j.doe@example.com (Jane Doe)\r\n",
        "p=+1 617 555-6011\r\n",
        "c=IN IP4 224.2.17.12/127\r\n",
        "b=CT:128\r\n",
        "t=2873397496 2873404696\r\n",
        "r=7d 1h 0 25h\r\n",
        "t=0 0\r\n",
        "z=2882844526 -1h 2898848070 0\r\n",
        "k=clear:secret\r\n",
        "a=recvonly\r\n",
        "m=audio 49170 RTP/AVP 0\r\n",
        "k=prompt\r\n",
        "m=video 51372 RTP/AVP 99\r\n",
        "a=rtpmap:99 h263-1998/90000\r\n",
    );
    let d = SessionDescription::parse(text).expect("RFC example parses");
    assert_eq!(d.origin.username, "jdoe");
    assert_eq!(
        d.information.as_deref(),
        Some("A Seminar on the session description protocol")
    );
    assert_eq!(
        d.uri.as_deref(),
        Some("http://www.example.com/seminars/sdp.pdf")
    );
    assert_eq!(d.emails, ["j.doe@example.com (Jane Doe)"]);
    assert_eq!(d.phones, ["+1 617 555-6011"]);
    assert_eq!(
        d.connection.as_ref().map(|c| c.address.as_str()),
        Some("224.2.17.12/127")
    );
    assert_eq!(d.timing.repeats, ["7d 1h 0 25h"]);
    assert_eq!(d.extra_timings.len(), 1);
    assert_eq!(d.time_zones.as_deref(), Some("2882844526 -1h 2898848070 0"));
    assert_eq!(d.encryption_key.as_deref(), Some("clear:secret"));
    assert_eq!(d.direction(), Some(Direction::RecvOnly));
    assert_eq!(d.media[0].encryption_key.as_deref(), Some("prompt"));
    assert_eq!(d.to_string(), text);

    // Lines out of order are accepted and written in canonical order.
    let shuffled = text.replace(
        "s=SDP Seminar\r\ni=A Seminar on the session description protocol\r\n",
        "i=A Seminar on the session description protocol\r\ns=SDP Seminar\r\n",
    );
    let d2 = SessionDescription::parse(&shuffled).expect("out of order parses");
    assert_eq!(d2, d);
    assert_eq!(d2.to_string(), text);
}

#[test]
fn error_line_numbers() {
    let cases: Vec<(String, usize, &str)> = vec![
        (String::new(), 1, "expected"),
        ("o=- 1 1 IN IP4 0.0.0.0\r\n".into(), 1, "v=0"),
        ("v=1\r\n".into(), 1, "version"),
        (sdp("garbage\r\n"), 5, "expected"),
        (sdp("A=foo\r\n"), 5, "expected"),
        (sdp("x=foo\r\n"), 5, "unknown line type"),
        (sdp("a=mid:0\r\n\r\na=mid:1\r\n"), 6, "expected"),
        (sdp("m=audio nine RTP/AVP 0\r\n"), 5, "port"),
        (sdp("m=audio 70000 RTP/AVP 0\r\n"), 5, "port"),
        (sdp("m=audio 9\r\n"), 5, "m="),
        (
            sdp("m=audio 9 UDP/TLS/RTP/SAVPF 111 opus\r\n"),
            5,
            "payload type",
        ),
        (
            sdp("m=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 200\r\n"),
            6,
            "payload type",
        ),
        (
            sdp("m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n"),
            6,
            "clock rate",
        ),
        (
            sdp("m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=fingerprint:sha-256 00:11\r\n"),
            7,
            "fingerprint",
        ),
        (
            sdp("m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp x 1.2.3.4 9 typ host\r\n"),
            6,
            "priority",
        ),
        (
            sdp("m=audio 9 RTP/AVP 0\r\na=extmap:one urn:x\r\n"),
            6,
            "extmap",
        ),
        (sdp("a=setup:maybe\r\n"), 5, "setup"),
        (sdp("m=audio 9 RTP/AVP 0\r\nc=IN IP4\r\n"), 6, "c="),
        (sdp("m=audio 9 RTP/AVP 0\r\nb=AS:lots\r\n"), 6, "bandwidth"),
        (sdp("m=audio 9 RTP/AVP 0\r\nt=0 0\r\n"), 6, "not allowed"),
        (sdp("m=audio 9 RTP/AVP 0\r\nv=0\r\n"), 6, "not allowed"),
        (
            sdp("m=audio 9 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.1\r\n"),
            7,
            "duplicate",
        ),
        (sdp("s=again\r\n"), 5, "duplicate s="),
        (sdp("v=0\r\n"), 5, "duplicate v="),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nr=1 2\r\nt=0 0\r\n".into(),
            4,
            "r= line before",
        ),
        (
            "v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n".into(),
            2,
            "session id",
        ),
        (
            "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n".into(),
            2,
            "6 fields",
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n".into(),
            4,
            "t=",
        ),
        (
            "v=0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n".into(),
            4,
            "missing o=",
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n".into(),
            3,
            "missing s=",
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n".into(),
            3,
            "missing t=",
        ),
        (sdp("a=mid:a\0b\r\n"), 5, "NUL"),
        (sdp("a=mid:a\rb\r\n"), 5, "CR"),
    ];
    for (text, line, needle) in cases {
        let (got, message) = err_line(&text);
        assert_eq!(got, line, "{text:?}: {message}");
        assert!(
            message.contains(needle),
            "{text:?}: {message:?} lacks {needle:?}"
        );
    }
    let e = SessionDescription::parse(&sdp("a=setup:maybe\r\n")).expect_err("bad setup");
    assert!(e.to_string().starts_with("line 5: "), "{e}");
}

#[test]
fn error_line_numbers_count_lf_only_lines() {
    let text =
        "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=video 9 RTP/AVP 96\na=mid:v\na=rtpmap:96 VP8\n";
    assert_eq!(err_line(text).0, 7);
}

#[test]
fn unknown_attributes_survive_round_trip() {
    let text = sdp("a=x-unknown:some value: with colons\r\nm=audio 9 RTP/AVP 0\r\na=rtcp-xr:rcvr-rtt=all\r\na=x-flag\r\n");
    let d = SessionDescription::parse(&text).expect("valid");
    assert_eq!(
        d.attributes[0],
        Attribute::Other {
            name: "x-unknown".into(),
            value: Some("some value: with colons".into())
        }
    );
    assert!(d.media[0].has("x-flag"));
    assert_eq!(d.to_string(), text);
}

#[test]
fn session_accessors() {
    let text = sdp(concat!(
        "a=group:BUNDLE 0 1\r\n",
        "a=group:LS 0 1\r\n",
        "a=ice-lite\r\n",
        "a=ice-ufrag:ETEn\r\n",
        "a=ice-pwd:OtSK0WpNtpUjkY4+86js7ZQl\r\n",
        "a=ice-options:trickle ice2\r\n",
        "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13\r\n",
        "a=setup:passive\r\n",
        "a=extmap-allow-mixed\r\n",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
        "a=identity:xyz\r\n",
        "a=msid-semantic: WMS s1 s2\r\n",
        "a=msid-semantic:WMS *\r\n",
    ));
    let mut d = SessionDescription::parse(&text).expect("valid");
    assert_eq!(d.groups().count(), 2);
    let bundles: Vec<_> = d.bundle_groups().collect();
    assert_eq!(bundles.len(), 1);
    assert_eq!(bundles[0].mids, ["0", "1"]);
    assert!(d.ice_lite());
    assert_eq!(d.ice_ufrag(), Some("ETEn"));
    assert_eq!(d.ice_pwd(), Some("OtSK0WpNtpUjkY4+86js7ZQl"));
    assert_eq!(d.ice_options(), ["trickle", "ice2"]);
    assert_eq!(d.fingerprints().next().map(|f| f.value.len()), Some(20));
    assert_eq!(d.setup(), Some(Setup::Passive));
    assert!(d.extmap_allow_mixed());
    assert_eq!(d.extmaps().next().map(|e| e.id), Some(1));
    assert_eq!(d.identity(), Some("xyz"));
    assert_eq!(d.direction(), None);
    assert_eq!(
        d.msid_semantics(),
        vec![("WMS", vec!["s1", "s2"]), ("WMS", vec!["*"])]
    );
    assert_eq!(d.remove_attributes("group"), 2);
    assert_eq!(d.groups().count(), 0);
    assert!(!d.has("group"));
    assert!(d.find("ice-lite").is_some());
}

#[test]
fn media_accessors_and_mutators() {
    let text = sdp(concat!(
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n",
        "a=mid:1\r\n",
        "a=ice-ufrag:abcd\r\n",
        "a=ice-pwd:0123456789012345678901\r\n",
        "a=ice-options:trickle\r\n",
        "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13\r\n",
        "a=setup:actpass\r\n",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
        "a=sendonly\r\n",
        "a=msid:s t\r\n",
        "a=rtcp:9 IN IP4 0.0.0.0\r\n",
        "a=rtcp-mux\r\n",
        "a=rtcp-mux-only\r\n",
        "a=rtcp-rsize\r\n",
        "a=rtpmap:96 VP8/90000\r\n",
        "a=rtcp-fb:* transport-cc\r\n",
        "a=rtcp-fb:96 nack pli\r\n",
        "a=rtcp-fb:97 nack\r\n",
        "a=rtpmap:97 rtx/90000\r\n",
        "a=fmtp:97 apt=96\r\n",
        "a=rid:q send pt=96\r\n",
        "a=rid:h send\r\n",
        "a=simulcast:send q;h\r\n",
        "a=ssrc-group:FID 1 2\r\n",
        "a=ssrc:1 cname:c\r\n",
        "a=ssrc:2 cname:c\r\n",
        "a=candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host\r\n",
        "a=end-of-candidates\r\n",
        "a=ptime:20\r\n",
        "a=maxptime:60\r\n",
        "a=extmap-allow-mixed\r\n",
        "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n",
        "a=bundle-only\r\n",
        "a=mid:2\r\n",
        "a=sctp-port:5000\r\n",
        "a=max-message-size:262144\r\n",
        "a=sctpmap:5000 webrtc-datachannel 1024\r\n",
    ));
    let mut d = SessionDescription::parse(&text).expect("valid");
    let v = &d.media[0];
    assert_eq!(v.mid(), Some("1"));
    assert_eq!(v.direction(), Direction::SendOnly);
    assert_eq!(v.ice_ufrag(), Some("abcd"));
    assert_eq!(v.ice_pwd(), Some("0123456789012345678901"));
    assert_eq!(v.ice_options(), ["trickle"]);
    assert_eq!(v.fingerprints().count(), 1);
    assert_eq!(v.setup(), Some(Setup::Actpass));
    assert_eq!(v.extmaps().map(|e| e.id).collect::<Vec<_>>(), [4]);
    assert_eq!(v.msids().collect::<Vec<_>>(), [("s", Some("t"))]);
    assert_eq!(v.rtcp().map(|(p, c)| (p, c.is_some())), Some((9, true)));
    assert!(v.rtcp_mux() && v.rtcp_mux_only() && v.rtcp_rsize());
    assert_eq!(v.rtpmaps().count(), 2);
    assert_eq!(v.rtpmap(97).map(|r| r.encoding.as_str()), Some("rtx"));
    assert_eq!(v.fmtp(97), Some("apt=96"));
    assert_eq!(v.fmtp(96), None);
    assert_eq!(
        v.rtcp_fbs(96).collect::<Vec<_>>(),
        [("transport-cc", None), ("nack", Some("pli"))]
    );
    assert_eq!(v.rtcp_fbs(97).count(), 2);
    let rids: Vec<_> = v.rids().collect();
    assert_eq!(rids.len(), 2);
    assert_eq!(rids[0].direction, RidDirection::Send);
    assert_eq!(rids[0].payload_types(), vec![96]);
    let sim = v.simulcast().expect("simulcast");
    assert_eq!(
        sim.send_rids().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["q", "h"]
    );
    assert_eq!(
        v.ssrc_groups().collect::<Vec<_>>(),
        [("FID", &[1u32, 2][..])]
    );
    assert_eq!(v.ssrcs().count(), 2);
    let c: Vec<_> = v.candidates().collect();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].typ, CandidateType::Host);
    assert!(v.end_of_candidates());
    assert_eq!(v.ptime(), Some(20));
    assert_eq!(v.max_ptime(), Some(60));
    assert!(v.extmap_allow_mixed());
    assert!(!v.is_bundle_only());
    assert_eq!(v.sctp_port(), None);

    let a = &d.media[1];
    assert_eq!(a.kind, MediaKind::Application);
    assert!(a.is_bundle_only());
    assert!(!a.is_rejected(), "port 0 with bundle-only is not rejected");
    assert_eq!(a.sctp_port(), Some(5000));
    assert_eq!(a.max_message_size(), Some(262144));
    assert_eq!(a.sctpmap().and_then(|s| s.streams), Some(1024));
    assert_eq!(a.direction(), Direction::SendRecv, "default direction");

    let v = d.media_by_mid_mut("1").expect("mid 1");
    v.set_direction(Direction::Inactive);
    assert_eq!(v.direction(), Direction::Inactive);
    assert_eq!(v.find_all("inactive").count(), 1);
    assert_eq!(v.remove_attributes("candidate"), 1);
    assert_eq!(v.candidates().count(), 0);
    v.push(Attribute::Direction(Direction::RecvOnly));
    v.set_direction(Direction::SendRecv);
    assert_eq!(
        v.find_all("sendrecv").count(),
        1,
        "set_direction leaves one direction"
    );
    assert!(!v.has("recvonly"));
    let a = &mut d.media[1];
    a.set_direction(Direction::RecvOnly);
    assert_eq!(
        a.attributes.last(),
        Some(&Attribute::Direction(Direction::RecvOnly))
    );
    let written = d.to_string();
    assert_eq!(SessionDescription::parse(&written), Ok(d));
}

#[test]
fn building_a_description_by_hand() {
    let mut d = SessionDescription::default();
    d.origin.session_id = 42;
    d.attributes.push(Attribute::Group(Group {
        semantics: "BUNDLE".into(),
        mids: vec!["0".into()],
    }));
    let mut m = MediaDescription::new(
        MediaKind::Application,
        9,
        "UDP/DTLS/SCTP",
        vec!["webrtc-datachannel".into()],
    );
    m.connection = Some(Connection::unspecified_ipv4());
    m.push(Attribute::Mid("0".into()));
    m.push(Attribute::SctpPort(5000));
    d.media.push(m);
    let text = d.to_string();
    assert_eq!(
        text,
        concat!(
            "v=0\r\no=- 42 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
            "a=group:BUNDLE 0\r\n",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
            "c=IN IP4 0.0.0.0\r\n",
            "a=mid:0\r\n",
            "a=sctp-port:5000\r\n",
        )
    );
    assert_eq!(text.parse::<SessionDescription>(), Ok(d));
}

#[test]
fn other_media_kinds_are_kept() {
    let text = sdp("m=text 9 RTP/AVP 98\r\nm=message 9 TCP/MSRP *\r\n");
    let d = SessionDescription::parse(&text).expect("valid");
    assert_eq!(d.media[0].kind, MediaKind::Other("text".into()));
    assert_eq!(d.media[1].kind.as_str(), "message");
    assert_eq!(d.to_string(), text);
}

#[test]
fn replace_keeps_position_and_removes_duplicates() {
    let text = sdp(concat!(
        "a=ice-ufrag:old1\r\n",
        "a=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\r\n",
        "a=ice-ufrag:old2\r\n",
        "m=audio 9 RTP/AVP 0\r\n",
        "a=mid:0\r\n",
    ));
    let mut d = SessionDescription::parse(&text).expect("valid");
    d.replace(Attribute::IceUfrag("new".into()));
    assert_eq!(
        d.attributes,
        [
            Attribute::IceUfrag("new".into()),
            Attribute::IcePwd("pwdpwdpwdpwdpwdpwdpwdpwd".into())
        ]
    );
    let m = &mut d.media[0];
    m.replace(Attribute::Setup(Setup::Active));
    m.replace(Attribute::Setup(Setup::Passive));
    assert_eq!(m.find_all("setup").count(), 1);
    assert_eq!(m.setup(), Some(Setup::Passive));
    assert_eq!(m.attributes[0], Attribute::Mid("0".into()));
}

#[test]
fn huge_descriptions_are_refused_with_the_line_crossing_the_limit() {
    // Too many bytes: the error names the line holding byte MAX_SDP_BYTES.
    let filler = "a=x-filler:".to_string() + &"z".repeat(1_000) + "\r\n";
    let n = MAX_SDP_BYTES / filler.len() + 10;
    let text = sdp(&filler.repeat(n));
    let (line, message) = err_line(&text);
    let expected = 1 + text.as_bytes()[..MAX_SDP_BYTES]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(line, expected);
    assert!(line > 4 && line < n + 4, "{line}");
    assert!(message.contains("exceeds the limit"), "{message}");
    // Just under the byte limit, the same lines parse.
    let ok = sdp(&filler.repeat((MAX_SDP_BYTES - HEAD.len()) / filler.len()));
    assert!(SessionDescription::parse(&ok).is_ok());

    // Too many media sections: refused at the first one beyond.
    let section = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
    let (line, message) = err_line(&sdp(&section.repeat(MAX_MEDIA_SECTIONS + 5)));
    assert_eq!(line, 4 + MAX_MEDIA_SECTIONS + 1);
    assert!(message.contains("media sections"), "{message}");
    assert!(SessionDescription::parse(&sdp(&section.repeat(MAX_MEDIA_SECTIONS))).is_ok());

    // A very long line: refused on that line.
    let long = format!("a=x-long:{}\r\n", "y".repeat(MAX_LINE_BYTES));
    let (line, message) = err_line(&sdp(&format!("a=ice-lite\r\n{long}")));
    assert_eq!(line, 6);
    assert!(message.contains("line of"), "{message}");
}
