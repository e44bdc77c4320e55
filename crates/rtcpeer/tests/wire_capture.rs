//! The wire trace (`rtcpeer::WIRE_TRACE_TARGET`) during a real session with
//! Chromium and with Firefox (audio, video and a data channel, inside a
//! private network namespace): every layer shows up, and what the browser
//! sent parses with our own parsers: STUN, DTLS record headers, RTP and RTCP
//! after SRTP, SCTP packets (with a valid CRC32c) after DTLS, DCEP messages.
//!
//! With `RTCPEER_CAPTURE_DIR=<repo>/fuzz` set, the captured samples are also
//! written as the fuzzers' seed corpus (`scripts/capture-seeds` does this):
//! `stun/seeds/`, `rtp/seeds/{rtp_parse,rtcp_parse,srtp_unprotect,depacketize}/`,
//! `sctp/seeds/chunks/`, `proto/seeds/dcep/`, and the browser's DTLS flights
//! as one `proto/seeds/dtls/` input.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Kind, Remote, LIMIT};
use rtcpeer::rtp::rtcp::parse_compound;
use rtcpeer::rtp::RtpPacket;
use rtcpeer::{MediaKind, MediaStreamTrack, PeerConnection, Sample, WIRE_TRACE_TARGET};
use serde_json::json;
use tokio::time::timeout;
use tracing::field::{Field, Visit};
use tracing::{span, Metadata};

/// What the trace delivered: (layer, bytes), in order.
static CAPTURED: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::new());

/// A `tracing` subscriber that keeps the wire trace and nothing else.
struct Capture;

#[derive(Default)]
struct Fields {
    layer: String,
    hex: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "layer" {
            self.layer = value.to_string();
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "hex" {
            self.hex = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == WIRE_TRACE_TARGET
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let bytes = (0..f.hex.len() / 2)
            .map(|i| u8::from_str_radix(&f.hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        CAPTURED.lock().unwrap().push((f.layer, bytes));
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

fn captured(layer: &str) -> Vec<Vec<u8>> {
    CAPTURED
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _)| l == layer)
        .map(|(_, b)| b.clone())
        .collect()
}

/// Received datagrams whose first byte is in `range` (RFC 7983 demux).
fn datagrams(range: std::ops::RangeInclusive<u8>) -> Vec<Vec<u8>> {
    captured("datagram")
        .into_iter()
        .filter(|d| d.first().is_some_and(|b| range.contains(b)))
        .collect()
}

/// Writes up to 24 samples of `items` (varied: one per distinct first two
/// bytes and length bucket) as `<dir>/<name>-<i>.bin`.
fn write_seeds(dir: &Path, name: &str, items: &[Vec<u8>]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut seen = BTreeSet::new();
    let mut n = 0;
    for item in items {
        let key = (item.get(..2).map(<[u8]>::to_vec), item.len() / 64);
        if n == 24 || !seen.insert(key) {
            continue;
        }
        std::fs::write(dir.join(format!("{name}-{n}.bin")), item).unwrap();
        n += 1;
    }
}

async fn session(kind: Kind) {
    // One subscriber for the process (each test runs in its own process
    // inside its namespace, but be safe when both share one).
    let _ = tracing::subscriber::set_global_default(Capture);
    CAPTURED.lock().unwrap().clear();

    let remote = Arc::new(
        Remote::launch(
            kind,
            json!({"role": "answerer", "echo": true, "media": {"audio": true, "video": true}}),
        )
        .await,
    );
    let pc =
        PeerConnection::with_settings(Default::default(), common::namespace_settings()).unwrap();
    let dc = pc
        .create_data_channel("capture", Default::default())
        .unwrap();
    let mut dc_events = dc.events();
    let mic = MediaStreamTrack::new(MediaKind::Audio);
    pc.add_transceiver_with_track(&mic, Default::default())
        .unwrap();
    pc.add_transceiver_with_kind(MediaKind::Video, Default::default())
        .unwrap();
    let (signaling, _) = common::signal(&pc, remote.clone(), None);
    common::offer(&pc, &remote).await;
    common::wait_open(&mut dc_events, "capture").await;

    // Messages of several sizes (the largest spans many SCTP packets), echoed.
    for len in [1usize, 100, 1_000, 20_000] {
        dc.send(&vec![0x5a; len]).unwrap();
        common::next_message(&mut dc_events, "capture").await;
    }
    // Our audio (Opus silence) until the browser's RTP and RTCP are both in.
    let silence = Sample {
        data: vec![0xf8, 0xff, 0xfe],
        duration: Duration::from_millis(20),
    };
    timeout(LIMIT, async {
        loop {
            mic.write_sample(&silence);
            tokio::time::sleep(Duration::from_millis(20)).await;
            let rtp = captured("rtp").len();
            if rtp > 200 && !captured("rtcp").is_empty() {
                return;
            }
        }
    })
    .await
    .expect("the browser's RTP and RTCP in time");
    signaling.abort();
    pc.close();

    let layers: BTreeMap<String, usize> =
        CAPTURED
            .lock()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, (l, _)| {
                *m.entry(l.clone()).or_default() += 1;
                m
            });
    println!("{kind:?}: captured {layers:?}");

    // STUN: every one decodes.
    let stun = datagrams(0..=3);
    assert!(!stun.is_empty(), "no STUN from {kind:?}");
    for d in &stun {
        rtcpeer_stun::Message::decode(d)
            .unwrap_or_else(|e| panic!("{kind:?}'s STUN does not decode: {e:?}"));
    }
    // DTLS: plaintext record headers with a DTLS version, or DTLS 1.3's
    // unified header for protected records (first bits 001, RFC 9147 §4).
    let dtls = datagrams(20..=63);
    assert!(!dtls.is_empty(), "no DTLS from {kind:?}");
    for d in &dtls {
        let unified = d[0] & 0xe0 == 0x20;
        let plain = d.len() >= 13 && (20..=26).contains(&d[0]) && d[1] == 0xfe;
        assert!(unified || plain, "not a DTLS record: {d:02x?}");
    }
    // SRTP: RTP and RTCP, as they were before protection.
    let srtp = datagrams(128..=191);
    let rtp = captured("rtp");
    let rtcp = captured("rtcp");
    assert!(!srtp.is_empty() && !rtp.is_empty() && !rtcp.is_empty());
    let mut payloads = Vec::new();
    let mut pts = BTreeSet::new();
    for p in &rtp {
        let parsed =
            RtpPacket::parse(p).unwrap_or_else(|e| panic!("{kind:?}'s RTP: {e:?} {p:02x?}"));
        pts.insert(parsed.payload_type());
        if payloads.len() < 200 {
            payloads.push(parsed.payload().to_vec());
        }
    }
    assert!(pts.len() >= 2, "audio and video payload types: {pts:?}");
    for p in &rtcp {
        parse_compound(p).unwrap_or_else(|e| panic!("{kind:?}'s RTCP: {e:?} {p:02x?}"));
    }
    // SCTP: a common header and a valid checksum on every packet.
    let sctp = captured("sctp");
    assert!(sctp.len() > 20, "SCTP packets: {}", sctp.len());
    for p in &sctp {
        rtcpeer_sctp::packet::CommonHeader::parse(p).expect("SCTP common header");
        assert!(rtcpeer_sctp::packet::checksum_ok(p), "CRC32c of {p:02x?}");
    }
    // DCEP: the browser's ACK for our channel.
    let dcep = captured("dcep");
    assert!(!dcep.is_empty(), "no DCEP from {kind:?}");
    for m in &dcep {
        rtcpeer_proto::dcep::DcepMessage::decode(m).expect("DCEP decodes");
    }

    if let Some(root) = std::env::var_os("RTCPEER_CAPTURE_DIR") {
        let root = Path::new(&root);
        let name = format!("{kind:?}").to_lowercase();
        write_seeds(&root.join("stun/seeds"), &name, &stun);
        // The dtls target's input: a selector byte (0: server, either
        // version) and length-prefixed datagrams: the browser's flights.
        let dir = root.join("proto/seeds/dtls");
        std::fs::create_dir_all(&dir).unwrap();
        let mut flights = vec![0u8];
        for d in dtls.iter().take(12) {
            flights.extend_from_slice(&(d.len() as u16).to_be_bytes());
            flights.extend_from_slice(d);
        }
        std::fs::write(dir.join(format!("{name}-handshake.bin")), flights).unwrap();
        write_seeds(&root.join("proto/seeds/dcep"), &name, &dcep);
        write_seeds(&root.join("rtp/seeds/srtp_unprotect"), &name, &srtp);
        write_seeds(&root.join("rtp/seeds/rtp_parse"), &name, &rtp);
        write_seeds(&root.join("rtp/seeds/rtcp_parse"), &name, &rtcp);
        write_seeds(&root.join("rtp/seeds/depacketize"), &name, &payloads);
        write_seeds(&root.join("sctp/seeds/chunks"), &name, &sctp);
        println!("seeds written under {}", root.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_session_on_the_wire_trace_parses() {
    testkit::isolate!();
    session(Kind::Chromium).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_session_on_the_wire_trace_parses() {
    testkit::isolate!();
    session(Kind::Firefox).await;
}
