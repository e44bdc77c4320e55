//! `rtcpeer echo-client`: the client side of the webrtc-echoes convention.
//!
//! Test 0: the connection gets through ICE and DTLS. Test 1: a data channel
//! opens and a text and a binary message come back unchanged. Test 2: media
//! echo: the frames of a VP8 IVF file (`--video`) go out at the file's pace
//! on a send-receive video transceiver and must come back on it.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtcpeer::rtp::codec::Codec;
use rtcpeer::rtp::media::IvfReader;
use rtcpeer::{
    Configuration, MediaKind, MediaStreamTrack, Message, PeerConnection, RtpTransceiver, Sample,
    SessionDescription, Settings,
};

/// Video frames that must come back for test 2 to pass.
const ECHOED_FRAMES: usize = 30;

use crate::common::{self, fail, CliResult};

/// Runs test `test` against the server's offer URL.
pub async fn run(
    url: &str,
    test: u8,
    video: Option<&Path>,
    settings: Settings,
    config: Configuration,
    limit: Duration,
) -> CliResult<()> {
    if test > 2 {
        return fail(format!("unknown test {test} (0, 1 or 2)"));
    }
    let video = match (test, video) {
        (2, None) => return fail("test 2 (media echo) needs --video FILE.ivf: VP8 frames to send"),
        (2, Some(path)) => Some(read_ivf(path)?),
        _ => None,
    };
    let url = if crate::http::parse_url(url)?.2 == "/" {
        format!("{}/offer", url.trim_end_matches('/'))
    } else {
        url.to_string()
    };
    let pc = PeerConnection::with_settings(config, settings)?;
    let result = session(&pc, &url, test, video, limit).await;
    pc.close();
    result
}

/// Closes the channel and waits a moment for the peer to confirm, so the
/// server learns that this client left without waiting for a timeout.
async fn leave(dc: &rtcpeer::DataChannel, events: &mut rtcpeer::DataChannelEventStream) {
    dc.close();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(e) = events.recv().await {
            if e == rtcpeer::DataChannelEvent::Close {
                break;
            }
        }
    })
    .await;
}

async fn session(
    pc: &PeerConnection,
    url: &str,
    test: u8,
    video: Option<Vec<Sample>>,
    limit: Duration,
) -> CliResult<()> {
    let started = Instant::now();
    let mut events = pc.events();
    // A data channel gives the offer its transport even for test 0.
    let dc = pc.create_data_channel("echo", Default::default())?;
    let mut dc_events = dc.events();
    let media = match video {
        Some(frames) => {
            let track = MediaStreamTrack::new(MediaKind::Video);
            let t = pc.add_transceiver_with_track(&track, Default::default())?;
            Some((track, t, frames))
        }
        None => None,
    };
    let offer = pc.create_offer(Default::default()).await?;
    pc.set_local_description(Some(offer)).await?;
    common::wait_gathering_complete(pc, &mut events, limit).await?;
    let offer = pc
        .local_description()
        .ok_or("no local description after gathering")?;
    let body = serde_json::to_string(&offer)?;
    let reply = crate::http::post_json(url, &body, limit).await?;
    let answer: SessionDescription = serde_json::from_str(&reply)
        .map_err(|e| format!("the server's answer is not an RTCSessionDescriptionInit: {e}"))?;
    pc.set_remote_description(answer).await?;
    common::wait_connected(pc, &mut events, limit).await?;
    println!("connected (ICE and DTLS) after {:?}", started.elapsed());
    if test == 0 {
        leave(&dc, &mut dc_events).await;
        return Ok(());
    }
    if let Some((track, t, frames)) = media {
        let result = media_echo(track, t, frames, limit).await;
        if result.is_ok() {
            println!("media echo done after {:?}", started.elapsed());
        }
        leave(&dc, &mut dc_events).await;
        return result;
    }
    common::wait_open(&mut dc_events, limit).await?;
    let text = "rtcpeer echo test";
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    dc.send_text(text)?;
    dc.send(&binary)?;
    let first = common::next_message(&mut dc_events, limit).await?;
    let second = common::next_message(&mut dc_events, limit).await?;
    if first != Message::Text(text.into()) {
        return fail(format!("expected the text echo, got {first:?}"));
    }
    if second != Message::Binary(binary) {
        return fail(format!("expected the binary echo, got {second:?}"));
    }
    println!(
        "data channel echo: text and binary came back after {:?}",
        started.elapsed()
    );
    leave(&dc, &mut dc_events).await;
    Ok(())
}

/// The frames of a VP8 IVF file, each lasting one frame of the file's time base.
fn read_ivf(path: &Path) -> CliResult<Vec<Sample>> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut r = IvfReader::new(file).map_err(|e| format!("{}: {e}", path.display()))?;
    let h = r.header();
    if &h.fourcc != b"VP80" {
        return fail(format!(
            "{}: not VP8 (fourcc {:?})",
            path.display(),
            h.fourcc
        ));
    }
    let (num, den) = (
        u64::from(h.timebase_num.max(1)),
        u64::from(h.timebase_den.max(1)),
    );
    let mut frames = Vec::new();
    while let Some(f) = r.next_frame()? {
        frames.push(f);
    }
    if frames.is_empty() {
        return fail(format!("{}: no frames", path.display()));
    }
    let mut out = Vec::with_capacity(frames.len());
    for i in 0..frames.len() {
        let ticks = frames
            .get(i + 1)
            .map(|n| n.timestamp.saturating_sub(frames[i].timestamp))
            .filter(|t| *t > 0)
            .unwrap_or(1);
        let duration =
            Duration::from_micros((ticks * num * 1_000_000 / den).clamp(1_000, 1_000_000));
        out.push(Sample {
            data: std::mem::take(&mut frames[i].data),
            duration,
        });
    }
    Ok(out)
}

/// Sends `frames` (looping, at their pace) on `track` and waits for
/// [`ECHOED_FRAMES`] VP8 frames back on `t`'s receiver, a keyframe among
/// them; says how many are byte for byte frames we sent (all, from a server
/// that reflects without transcoding).
async fn media_echo(
    track: MediaStreamTrack,
    t: RtpTransceiver,
    frames: Vec<Sample>,
    limit: Duration,
) -> CliResult<()> {
    let sent: HashSet<Vec<u8>> = frames.iter().map(|f| f.data.clone()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let player = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let mut at = Duration::ZERO;
            let mut n = 0u64;
            for f in frames.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                tokio::time::sleep_until(start + at).await;
                n += track.write_sample(f) as u64;
                at += f.duration;
            }
            n
        })
    };
    let receiver = t.receiver();
    let got = tokio::time::timeout(limit, async {
        let mut got = Vec::new();
        while got.len() < ECHOED_FRAMES {
            match receiver.read_frame().await {
                Some(f) => got.push(f),
                None => break,
            }
        }
        got
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let written = player.await.unwrap_or(0);
    let got = match got {
        Ok(got) if got.len() >= ECHOED_FRAMES => got,
        Ok(got) => {
            return fail(format!(
                "the video stream ended after {} frames came back",
                got.len()
            ))
        }
        Err(_) => {
            return fail(format!(
            "fewer than {ECHOED_FRAMES} video frames came back within {limit:?} ({written} sent)"
        ))
        }
    };
    if let Some(f) = got.iter().find(|f| f.codec != Codec::Vp8) {
        return fail(format!("a {:?} frame came back, expected VP8", f.codec));
    }
    if !got.iter().any(|f| f.keyframe) {
        return fail("no keyframe came back");
    }
    let identical = got.iter().filter(|f| sent.contains(&f.data)).count();
    println!(
        "media echo: {} video frames came back ({identical} identical to frames sent; {written} sent)",
        got.len()
    );
    Ok(())
}
