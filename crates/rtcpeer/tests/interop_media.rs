//! Audio and video between rtcpeer and real browsers, over real UDP inside a
//! private network namespace (`testkit::isolate!()`). One browser launch per
//! test carries both directions:
//!
//! - browser → rtcpeer: the browser's fake camera and microphone; we save the
//!   video (IVF for VP8, Annex B for H264) and the audio (Ogg Opus), and
//!   ffprobe/ffmpeg must read and decode both;
//! - rtcpeer → browser: files ffmpeg makes in the test (testsrc and sine),
//!   sent at their own pace; the page's getStats must show decoded frames at
//!   320x240 and received audio packets.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rtcpeer::rtp::codec::{vp8_keyframe_size, Codec as RtpCodec};
use rtcpeer::rtp::media::H264Reader;
use rtcpeer::rtp::media::{opus_packet_samples, OggOpusReader, OggOpusWriter, OpusHead};
use rtcpeer::rtp::media::{IvfHeader, IvfReader, IvfWriter};
use rtcpeer::{
    Event, IceCandidateInit, InterfaceFilter, MediaKind, MediaStreamTrack, PeerConnection,
    PeerConnectionState, RtpReceiver, Sample, SessionDescription, Settings, TrackEvent,
};
use serde_json::{json, Value};
use testkit::browser::{Browser, DEFAULT_TIMEOUT};
use testkit::pages::BrowserPeer;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(30);
/// How much of the browser's media we record (the issue asks for 10 s).
const RECORD: Duration = Duration::from_millis(10_200);

fn namespace_settings() -> Settings {
    Settings {
        interfaces: InterfaceFilter::All,
        include_loopback: true,
        ..Settings::default()
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("ffmpeg/ffprobe run (scripts/install-peers installs them)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes the files we send: 4 s of testsrc at 320x240/30 and of a 440 Hz sine.
fn make_media(dir: &Path, codec: RtpCodec) -> (PathBuf, PathBuf) {
    let h264 = codec == RtpCodec::H264;
    let video = dir.join(if h264 { "send.h264" } else { "send.ivf" });
    let audio = dir.join("send.ogg");
    let mut v = Command::new("ffmpeg");
    v.args([
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=30",
        "-t",
        "4",
    ]);
    if h264 {
        v.args([
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-level",
            "3.1",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "30",
            "-bf",
            "0",
            "-tune",
            "zerolatency",
            "-f",
            "h264",
        ]);
    } else if codec == RtpCodec::Av1 {
        v.args([
            "-c:v",
            "libaom-av1",
            "-usage",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "400k",
            "-g",
            "30",
            "-lag-in-frames",
            "0",
        ]);
    } else if codec == RtpCodec::Vp9 {
        v.args([
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-b:v",
            "400k",
            "-g",
            "30",
            "-lag-in-frames",
            "0",
        ]);
    } else {
        v.args([
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-b:v",
            "400k",
            "-g",
            "30",
            "-auto-alt-ref",
            "0",
        ]);
    }
    run(v.arg(&video));
    run(Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=4:sample_rate=48000",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-frame_duration",
            "20",
        ])
        .arg(&audio));
    (video, audio)
}

/// Video frames of a file we send, with their duration.
fn video_frames(path: &Path, h264: bool) -> Vec<Sample> {
    let frame = Duration::from_millis(1000 / 30);
    if h264 {
        let mut r = H264Reader::new(std::fs::read(path).unwrap());
        std::iter::from_fn(|| r.next_access_unit())
            .map(|data| Sample {
                data,
                duration: frame,
            })
            .collect()
    } else {
        let mut r = IvfReader::new(std::fs::File::open(path).unwrap()).unwrap();
        std::iter::from_fn(|| r.next_frame().unwrap())
            .map(|f| Sample {
                data: f.data,
                duration: frame,
            })
            .collect()
    }
}

fn audio_packets(path: &Path) -> Vec<Sample> {
    let mut r = OggOpusReader::new(std::fs::File::open(path).unwrap()).unwrap();
    std::iter::from_fn(|| r.next_packet().unwrap())
        .map(|(data, _)| {
            let samples = opus_packet_samples(&data).unwrap_or(960);
            Sample {
                data,
                duration: Duration::from_micros(samples as u64 * 1_000_000 / 48_000),
            }
        })
        .collect()
}

/// Sends `samples` in a loop at their own pace until `until`; returns how many went out.
async fn play(track: MediaStreamTrack, samples: Vec<Sample>, until: Instant) -> usize {
    let start = tokio::time::Instant::now();
    let mut at = Duration::ZERO;
    let mut sent = 0;
    for s in samples.iter().cycle() {
        if Instant::now() >= until {
            break;
        }
        tokio::time::sleep_until(start + at).await;
        sent += track.write_sample(s);
        at += s.duration;
    }
    sent
}

/// Records a video receiver for `RECORD` of RTP time: VP8 and VP9 into IVF
/// (size from the first keyframe), H264 as Annex B. Returns the frame count.
async fn record_video(rx: RtpReceiver, path: PathBuf) -> usize {
    let mut frames = Vec::new();
    let mut first = None;
    while let Some(f) = rx.read_frame().await {
        let t0 = *first.get_or_insert(f.timestamp);
        let ts = f.timestamp.wrapping_sub(t0) as u64;
        frames.push((ts, f));
        if ts >= RECORD.as_millis() as u64 * 90 {
            break;
        }
    }
    let n = frames.len();
    if frames
        .first()
        .is_some_and(|(_, f)| f.codec == RtpCodec::H264)
    {
        let mut out = Vec::new();
        for (_, f) in &frames {
            out.extend_from_slice(&f.data);
        }
        std::fs::write(&path, out).unwrap();
    } else {
        let codec = frames.first().map(|(_, f)| f.codec);
        let (width, height) = frames
            .iter()
            .find_map(|(_, f)| match codec {
                Some(RtpCodec::Vp9) => rtcpeer::rtp::codec::vp9_frame_info(&f.data)?.size,
                // The decoder finds the size in the sequence header.
                Some(RtpCodec::Av1) => Some((320, 240)),
                _ => vp8_keyframe_size(&f.data),
            })
            .expect("a keyframe");
        let header = IvfHeader {
            fourcc: match codec {
                Some(RtpCodec::Vp9) => *b"VP90",
                Some(RtpCodec::Av1) => *b"AV01",
                _ => *b"VP80",
            },
            width,
            height,
            timebase_den: 90_000,
            timebase_num: 1,
            frame_count: n as u32,
        };
        let mut w = IvfWriter::new(std::fs::File::create(&path).unwrap(), header).unwrap();
        for (ts, f) in &frames {
            if codec == Some(RtpCodec::Av1) {
                // A temporal unit in IVF starts with a temporal delimiter,
                // which RTP does not carry.
                let mut tu = vec![0x12, 0x00];
                tu.extend_from_slice(&f.data);
                w.write_frame(*ts, &tu).unwrap();
            } else {
                w.write_frame(*ts, &f.data).unwrap();
            }
        }
        w.finish().unwrap();
    }
    n
}

/// Records an Opus receiver for `RECORD` of RTP time into Ogg.
async fn record_audio(rx: RtpReceiver, path: PathBuf) -> usize {
    let head = OpusHead {
        channels: 2,
        pre_skip: 312,
        input_sample_rate: 48_000,
        output_gain: 0,
    };
    let mut w = OggOpusWriter::new(std::fs::File::create(&path).unwrap(), head, 7).unwrap();
    let mut first = None;
    let mut n = 0;
    while let Some(f) = rx.read_frame().await {
        assert_eq!(f.codec, RtpCodec::Opus);
        let t0 = *first.get_or_insert(f.timestamp);
        w.write_opus(&f.data).unwrap();
        n += 1;
        if f.timestamp.wrapping_sub(t0) as u64 >= RECORD.as_millis() as u64 * 48 {
            break;
        }
    }
    w.finish().unwrap();
    n
}

/// Signals with the page until we are connected and have `tracks` remote tracks.
async fn negotiate(pc: &PeerConnection, page: &BrowserPeer, tracks: usize) -> Vec<TrackEvent> {
    let mut events = pc.events();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    page.send(serde_json::to_value(&offer).unwrap());
    let mut got = Vec::new();
    let mut connected = false;
    timeout(LIMIT, async {
        while !(connected && got.len() >= tracks) {
            tokio::select! {
                e = events.recv() => match e.expect("events") {
                    Event::IceCandidate(Some(c)) => page.send(serde_json::to_value(&c).unwrap()),
                    Event::IceCandidate(None) => page.send(json!({"candidate": ""})),
                    Event::Track(t) => got.push(t),
                    Event::ConnectionStateChange(PeerConnectionState::Connected) => connected = true,
                    Event::ConnectionStateChange(PeerConnectionState::Failed) => panic!("failed"),
                    _ => {}
                },
                m = page.recv() => {
                    let m: Value = m.expect("the page signals");
                    if m.get("type").is_some() && m.get("sdp").is_some() {
                        let d: SessionDescription = serde_json::from_value(m).unwrap();
                        pc.set_remote_description(d).await.unwrap();
                    } else if let Some(c) = m.get("candidate").and_then(Value::as_str) {
                        if c.is_empty() {
                            pc.add_ice_candidate(None).await.unwrap();
                        } else {
                            let c: IceCandidateInit = serde_json::from_value(m).unwrap();
                            let _ = pc.add_ice_candidate(Some(c)).await;
                        }
                    }
                },
            }
        }
    })
    .await
    .expect("connected with the remote tracks in time");
    got
}

/// Frames ffprobe decodes from a video file: (count, sizes, last pts in s).
fn probe_video(path: &Path, h264: bool) -> (usize, Vec<(u64, u64)>, f64) {
    let mut cmd = Command::new("ffprobe");
    cmd.args([
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "frame=pts_time,width,height",
        "-of",
        "json",
    ]);
    if h264 {
        // A raw stream has no timestamps: ffprobe counts at 30 fps.
        cmd.args(["-f", "h264", "-framerate", "30"]);
    }
    let v: Value = serde_json::from_str(&run(cmd.arg(path))).unwrap();
    let frames = v["frames"].as_array().cloned().unwrap_or_default();
    let sizes = frames
        .iter()
        .map(|f| (f["width"].as_u64().unwrap(), f["height"].as_u64().unwrap()))
        .collect();
    let last = frames
        .iter()
        .filter_map(|f| f["pts_time"].as_str()?.parse::<f64>().ok())
        .fold(0.0, f64::max);
    (frames.len(), sizes, last)
}

async fn both_ways(browser: Browser, codec: RtpCodec) {
    let h264 = codec == RtpCodec::H264;
    let dir = tempfile::tempdir().unwrap();
    let (send_video, send_audio) = make_media(dir.path(), codec);
    let page = BrowserPeer::launch(
        browser,
        json!({"role": "answerer", "media": {
            "audio": true,
            "video": {"width": {"exact": 320}, "height": {"exact": 240}, "frameRate": 30},
        }}),
    )
    .await
    .expect("the browser starts (scripts/install-peers installs it)");
    let pc = PeerConnection::with_settings(Default::default(), namespace_settings()).unwrap();
    let video = MediaStreamTrack::new(MediaKind::Video);
    let audio = MediaStreamTrack::new(MediaKind::Audio);
    let vt = pc
        .add_transceiver_with_track(&video, Default::default())
        .unwrap();
    pc.add_transceiver_with_track(&audio, Default::default())
        .unwrap();
    if codec != RtpCodec::Vp8 {
        let caps = rtcpeer_proto_codecs();
        let mut h264: Vec<_> = caps
            .iter()
            .filter(|c| {
                if codec == RtpCodec::Vp9 {
                    c.mime_type == "video/VP9" && c.sdp_fmtp_line == "profile-id=0"
                } else if codec == RtpCodec::Av1 {
                    c.mime_type == "video/AV1"
                } else {
                    c.mime_type == "video/H264"
                        && c.sdp_fmtp_line
                            .contains("packetization-mode=1;profile-level-id=42e01f")
                }
            })
            .cloned()
            .collect();
        assert_eq!(h264.len(), 1);
        // and its RTX, so that repair is negotiated too
        let apt = format!("apt={}", h264[0].payload_type);
        h264.extend(
            caps.iter()
                .filter(|c| c.mime_type == "video/rtx" && c.sdp_fmtp_line == apt)
                .cloned(),
        );
        assert_eq!(h264.len(), 2, "{caps:?}");
        vt.set_codec_preferences(h264).unwrap();
    }
    let tracks = negotiate(&pc, &page, 2).await;
    assert_eq!(vt.sender().codec(), Some(codec));
    let negotiated = vt.sender().get_parameters().unwrap().codecs;
    assert!(
        negotiated.iter().any(|c| c.mime_type == "video/rtx"),
        "RTX negotiated: {negotiated:?}"
    );

    let until = Instant::now() + RECORD + Duration::from_secs(1);
    let send_v = tokio::spawn(play(video.clone(), video_frames(&send_video, h264), until));
    let send_a = tokio::spawn(play(audio.clone(), audio_packets(&send_audio), until));
    let rec_video = dir.path().join(if h264 { "got.h264" } else { "got.ivf" });
    let rec_audio = dir.path().join("got.ogg");
    let receiver = |kind| {
        tracks
            .iter()
            .find(|t| t.track.kind() == kind)
            .map(|t| t.receiver.clone())
            .expect("a remote track of each kind")
    };
    let rec_v = tokio::spawn(record_video(receiver(MediaKind::Video), rec_video.clone()));
    let rec_a = tokio::spawn(record_audio(receiver(MediaKind::Audio), rec_audio.clone()));
    let recorded = match timeout(LIMIT, async {
        (rec_v.await.unwrap(), rec_a.await.unwrap())
    })
    .await
    {
        Ok(r) => r,
        Err(_) => panic!(
            "not recorded in time: video {:?}, audio {:?}, {:?}",
            receiver(MediaKind::Video).stats(),
            receiver(MediaKind::Audio).stats(),
            pc.media_counters()
        ),
    };
    let counts = [recorded.0, recorded.1];
    let (sent_v, sent_a) = (send_v.await.unwrap(), send_a.await.unwrap());
    assert!(
        sent_v > 250 && sent_a > 400,
        "sent {sent_v} frames, {sent_a} audio packets"
    );
    // Our packets carry transport-wide sequence numbers; the browser's
    // feedback reports them received.
    let fb = pc.transport_feedback();
    eprintln!("transport-wide CC feedback from the browser: {fb:?}");
    assert!(fb.packets_numbered > 600, "{fb:?}");
    assert!(
        fb.reported_received * 10 >= fb.packets_numbered * 9,
        "{fb:?}"
    );
    page.finish();
    let report = page.report(DEFAULT_TIMEOUT).await.unwrap();
    pc.close();

    // browser → rtcpeer: ffprobe decodes what we saved.
    let (frames, sizes, last) = probe_video(&rec_video, h264);
    eprintln!(
        "recorded {counts:?}; video: {frames} frames decoded, last pts {last}, first size {:?}",
        sizes.first()
    );
    assert!(sizes.iter().all(|s| *s == (320, 240)), "sizes {sizes:?}");
    // Every frame we saved decodes; by their RTP timestamps they span RECORD
    // (a raw H264 stream has no timestamps of its own).
    assert_eq!(frames, counts[0], "ffprobe decodes every frame we saved");
    if !h264 {
        assert!(last >= 10.0, "the video spans {last} s");
    }
    let out = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,channels:format=duration",
            "-of",
            "json",
        ])
        .arg(&rec_audio));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["streams"][0]["codec_name"], json!("opus"));
    let secs: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!(secs >= 10.0, "audio lasts {secs} s");
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&rec_audio)
        .args(["-f", "null", "-"]));

    // rtcpeer → browser: the page decoded our video at its size and got our audio.
    eprintln!("page inbound: {}", report["inbound"]);
    let inbound = report["inbound"].as_array().unwrap();
    let v = inbound
        .iter()
        .find(|s| s["kind"] == "video")
        .expect("inbound video");
    assert!(v["framesDecoded"].as_u64().unwrap() >= 200, "{v}");
    assert_eq!(v["frameWidth"], json!(320));
    assert_eq!(v["frameHeight"], json!(240));
    let a = inbound
        .iter()
        .find(|s| s["kind"] == "audio")
        .expect("inbound audio");
    assert!(a["packetsReceived"].as_u64().unwrap() >= 400, "{a}");
}

fn rtcpeer_proto_codecs() -> Vec<rtcpeer::Codec> {
    rtcpeer::RtpSender::get_capabilities(MediaKind::Video)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_vp8_and_opus_both_ways() {
    testkit::isolate!();
    both_ways(Browser::Chromium, RtpCodec::Vp8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_h264_and_opus_both_ways() {
    testkit::isolate!();
    both_ways(Browser::Chromium, RtpCodec::H264).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_vp8_and_opus_both_ways() {
    testkit::isolate!();
    both_ways(Browser::Firefox, RtpCodec::Vp8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_vp9_and_opus_both_ways() {
    testkit::isolate!();
    both_ways(Browser::Chromium, RtpCodec::Vp9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_vp9_and_opus_both_ways() {
    testkit::isolate!();
    both_ways(Browser::Firefox, RtpCodec::Vp9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_av1_and_opus_both_ways() {
    testkit::isolate!();
    both_ways(Browser::Chromium, RtpCodec::Av1).await;
}

/// The VP8 PictureID (RFC 7741 §4.2) of a payload, when it has one.
fn vp8_picture_id(payload: &[u8]) -> Option<u16> {
    let (&b0, rest) = payload.split_first()?;
    if b0 & 0x80 == 0 {
        return None;
    }
    let (&x, rest) = rest.split_first()?;
    if x & 0x80 == 0 {
        return None;
    }
    let (&m, rest) = rest.split_first()?;
    if m & 0x80 != 0 {
        Some((((m & 0x7f) as u16) << 8) | *rest.first()? as u16)
    } else {
        Some(m as u16)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_nack_and_rtx_repair_five_percent_loss() {
    testkit::isolate!();
    let dir = tempfile::tempdir().unwrap();
    let page = BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "answerer", "media": {
            "video": {"width": {"exact": 320}, "height": {"exact": 240}, "frameRate": 30},
        }}),
    )
    .await
    .expect("Chromium starts (scripts/install-peers installs it)");
    let pc = PeerConnection::with_settings(Default::default(), namespace_settings()).unwrap();
    pc.add_transceiver_with_kind(
        MediaKind::Video,
        rtcpeer::TransceiverInit {
            direction: Some(rtcpeer::Direction::RecvOnly),
            ..Default::default()
        },
    )
    .unwrap();
    // 5% of the media packets we receive are lost before anything sees them.
    pc.set_test_receive_loss(5, 0x5eed);
    let tracks = negotiate(&pc, &page, 1).await;
    let rx = tracks[0].receiver.clone();
    // Every packet that arrived (media and RTX): RTP timestamp -> PictureID.
    let tap = {
        let rx = rx.clone();
        tokio::spawn(async move {
            let mut ids = std::collections::HashMap::new();
            let mut rtx = 0;
            while let Some(p) = rx.read_rtp().await {
                let Ok(p) = rtcpeer::rtp::RtpPacket::parse(&p) else {
                    continue;
                };
                let payload = match p.payload_type() {
                    96 => p.payload(),
                    97 if p.payload().len() > 2 => {
                        rtx += 1;
                        &p.payload()[2..]
                    }
                    _ => continue,
                };
                if let Some(id) = vp8_picture_id(payload) {
                    ids.insert(p.timestamp(), id);
                }
            }
            (ids, rtx)
        })
    };
    let path = dir.path().join("repaired.ivf");
    let mut frames = Vec::new();
    timeout(LIMIT, async {
        let mut first = None;
        while let Some(f) = rx.read_frame().await {
            let t0 = *first.get_or_insert(f.timestamp);
            let done = f.timestamp.wrapping_sub(t0) >= 8 * 90_000;
            frames.push(f);
            if done {
                break;
            }
        }
    })
    .await
    .expect("8 s of video in time");
    let stats = rx.stats().unwrap();
    let counters = pc.media_counters();
    pc.close(); // ends the packet tap

    page.finish();
    let _ = page.report(DEFAULT_TIMEOUT).await;
    let (ids, rtx) = tap.await.unwrap();

    eprintln!(
        "loss repair: {} frames, {} packets dropped by the hook, {} RTX packets, {stats:?}",
        frames.len(),
        counters.test_dropped,
        rtx
    );
    // Chromium sends ~25 packets a second at 320x240 here: about 10 lost.
    assert!(counters.test_dropped >= 3, "{counters:?}");
    // Every packet the hook dropped came back as a retransmission
    // (packetsReceived counts RTX packets, probes included, so packetsLost
    // is no measure of repair here).
    assert!(
        stats.retransmitted_packets_received >= counters.test_dropped,
        "{stats:?}"
    );
    assert!(stats.nack_count > 0, "{stats:?}");
    assert!(rtx > 0, "the browser retransmitted");
    // No frame is missing: none follows a loss, and the PictureIDs of the
    // frames we kept are consecutive.
    assert!(frames.iter().all(|f| !f.after_loss));
    // From the very first frame on. (Without our transport-wide CC feedback
    // Chromium's estimate falls to 30 kbps and, in ~1 run of 5, it never
    // sends the frame or two after its first keyframe: their packets do not
    // arrive at all. Not seen in 8 runs with the feedback.)
    let pids: Vec<u16> = frames
        .iter()
        .map(|f| *ids.get(&f.timestamp).expect("a PictureID for every frame"))
        .collect();
    let seen: std::collections::HashSet<u16> = ids.values().copied().collect();
    for w in pids.windows(2) {
        let next = (w[0] + 1) & 0x7fff;
        assert_eq!(
            w[1],
            next,
            "frame {next} missing (its packets arrived: {}); PictureIDs {pids:?}",
            seen.contains(&next)
        );
    }
    // The saved IVF decodes frame for frame.
    let header = IvfHeader {
        fourcc: *b"VP80",
        width: 320,
        height: 240,
        timebase_den: 90_000,
        timebase_num: 1,
        frame_count: frames.len() as u32,
    };
    let mut w = IvfWriter::new(std::fs::File::create(&path).unwrap(), header).unwrap();
    let t0 = frames[0].timestamp;
    for f in &frames {
        w.write_frame(f.timestamp.wrapping_sub(t0) as u64, &f.data)
            .unwrap();
    }
    w.finish().unwrap();
    let (decoded, sizes, _) = probe_video(&path, false);
    assert_eq!(decoded, frames.len());
    assert!(sizes.iter().all(|s| *s == (320, 240)), "sizes {sizes:?}");
}

/// Chromium's whole `getStats()` report, through the page's `getStats` command.
async fn page_stats(page: &BrowserPeer) -> Value {
    page.send(json!({"getStats": true}));
    timeout(LIMIT, async {
        loop {
            let m = page.recv().await.expect("the page signals");
            if let Some(s) = m.get("stats") {
                return s.clone();
            }
        }
    })
    .await
    .expect("stats in time")
}

/// `(packetsReceived, codec mimeType)` of the page's audio `inbound-rtp`.
fn audio_inbound(stats: &Value) -> (u64, Option<String>) {
    let Some(obj) = stats.as_object() else {
        return (0, None);
    };
    obj.values()
        .find(|s| s["type"] == "inbound-rtp" && s["kind"] == "audio")
        .map(|s| {
            let codec = s["codecId"]
                .as_str()
                .and_then(|id| obj.get(id))
                .and_then(|c| c["mimeType"].as_str())
                .map(str::to_string);
            (s["packetsReceived"].as_u64().unwrap_or(0), codec)
        })
        .unwrap_or((0, None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_dtmf_both_ways() {
    testkit::isolate!();
    dtmf_both_ways(Browser::Chromium).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_dtmf_both_ways() {
    testkit::isolate!();
    dtmf_both_ways(Browser::Firefox).await;
}

/// The browser's RTCDTMFSender plays "1234#" to us; we play "1234#" to it.
async fn dtmf_both_ways(browser: Browser) {
    let page = BrowserPeer::launch(
        browser,
        json!({"role": "answerer", "events": true, "media": {"audio": true}}),
    )
    .await
    .expect("the browser starts (scripts/install-peers installs it)");
    let pc = PeerConnection::with_settings(Default::default(), namespace_settings()).unwrap();
    let audio = MediaStreamTrack::new(MediaKind::Audio);
    let sender = pc.add_track(&audio, &[]).unwrap();
    let tracks = negotiate(&pc, &page, 1).await;
    let rx = tracks[0].receiver.clone();
    let mut tones_in = rx.dtmf_events();

    // browser → us: its RTCDTMFSender plays "1234#"; we hear each tone.
    page.send(json!({"dtmf": {"tones": "1234#", "duration": 100, "gap": 70}}));
    let mut heard = Vec::new();
    timeout(LIMIT, async {
        while heard.len() < 5 {
            heard.push(tones_in.recv().await.expect("tones"));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("5 tones from the browser in time, got {heard:?}"));
    eprintln!("from {browser:?}: {heard:?}");
    assert_eq!(heard.iter().map(|t| t.tone).collect::<String>(), "1234#");
    assert!(
        heard
            .iter()
            .all(|t| t.duration >= Duration::from_millis(90)),
        "{heard:?}"
    );

    // us → browser: we send no audio, only tones, so every packet its audio
    // inbound-rtp counts is one of our telephone-events.
    let dtmf = sender.dtmf().unwrap();
    timeout(LIMIT, async {
        while !dtmf.can_insert_dtmf() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("canInsertDTMF once connected");
    let (before, _) = audio_inbound(&page_stats(&page).await);
    assert_eq!(before, 0, "we sent no audio yet");
    let mut changes = dtmf.events();
    dtmf.insert_dtmf(
        "1234#",
        Duration::from_millis(100),
        Duration::from_millis(70),
    )
    .unwrap();
    let mut seen = Vec::new();
    timeout(LIMIT, async {
        while seen.last().is_none_or(|t: &String| !t.is_empty()) {
            let Some(rtcpeer::DtmfSenderEvent::ToneChange(t)) = changes.recv().await else {
                panic!("events ended");
            };
            seen.push(t);
        }
    })
    .await
    .expect("our tones played in time");
    assert_eq!(seen, ["1", "2", "3", "4", "#", ""]);
    let sent = sender.stats().unwrap().packets_sent;
    let mut got = (0, None);
    timeout(LIMIT, async {
        loop {
            got = audio_inbound(&page_stats(&page).await);
            if got.0 >= sent {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{browser:?} counted {got:?} of our {sent} packets"));
    eprintln!("to {browser:?}: {sent} telephone-event packets sent, its inbound-rtp {got:?}");
    // 5 tones of 100 ms: a start packet and three end packets each.
    assert_eq!(sent, 20);
    assert_eq!(got.0, sent);
    page.finish();
    let report = page.report(DEFAULT_TIMEOUT).await.unwrap();
    assert_eq!(report["toneChanges"], json!(["1", "2", "3", "4", "#", ""]));
}

/// `availableOutgoingBitrate` of the page's selected candidate pair.
fn available_outgoing_bitrate(stats: &Value) -> Option<f64> {
    let obj = stats.as_object()?;
    let pair = obj
        .values()
        .find(|s| s["type"] == "transport")
        .and_then(|t| t["selectedCandidatePairId"].as_str())
        .and_then(|id| obj.get(id))?;
    pair["availableOutgoingBitrate"].as_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_bandwidth_estimate_rises_with_our_transport_cc_feedback() {
    testkit::isolate!();
    let page = BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "answerer", "media": {
            "video": {"width": {"exact": 320}, "height": {"exact": 240}, "frameRate": 30},
        }}),
    )
    .await
    .expect("Chromium starts (scripts/install-peers installs it)");
    let pc = PeerConnection::with_settings(Default::default(), namespace_settings()).unwrap();
    pc.add_transceiver_with_kind(
        MediaKind::Video,
        rtcpeer::TransceiverInit {
            direction: Some(rtcpeer::Direction::RecvOnly),
            ..Default::default()
        },
    )
    .unwrap();
    let tracks = negotiate(&pc, &page, 1).await;
    let rx = tracks[0].receiver.clone();
    let reader = tokio::spawn(async move { while rx.read_frame().await.is_some() {} });
    let start = available_outgoing_bitrate(&page_stats(&page).await);
    // Chromium starts its estimate at 300 kbps; only feedback about its
    // packets' arrival (its probes included) lets the estimate grow (without
    // feedback it falls to about 30 kbps). How fast it grows depends on the
    // machine's load, so the bar is half as much again as the start.
    let bar = start.unwrap_or(300_000.0) * 1.5;
    let mut now = start;
    let grown = timeout(Duration::from_secs(15), async {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            now = available_outgoing_bitrate(&page_stats(&page).await);
            if now.is_some_and(|b| b > bar) {
                break;
            }
        }
    })
    .await;
    let feedback = pc.media_counters();
    eprintln!("availableOutgoingBitrate: {start:?} at first, then {now:?}; {feedback:?}");
    pc.close();
    reader.await.unwrap();
    page.finish();
    let _ = page.report(DEFAULT_TIMEOUT).await;
    assert!(start.is_some_and(|b| b <= 600_000.0), "{start:?}");
    assert!(grown.is_ok(), "the estimate stayed at {now:?}");
}
