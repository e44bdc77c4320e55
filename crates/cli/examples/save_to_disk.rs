//! Save to disk: a browser sends its camera and microphone; we record the
//! VP8 video into an IVF file and the Opus audio into an Ogg file, as
//! received (no decoding), for a given length of media time.
//!
//! `cargo run -p rtcpeer-cli --example save_to_disk -- [127.0.0.1:8080] OUT_DIR [SECONDS]`
//! then open the printed address; `OUT_DIR/video-N.ivf` and
//! `OUT_DIR/audio-N.ogg` play with e.g. `ffplay`.

#[path = "util/mod.rs"]
mod util;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rtcpeer::rtp::codec::{vp8_keyframe_size, Codec};
use rtcpeer::rtp::media::{IvfHeader, IvfWriter, OggOpusWriter, OpusHead};
use rtcpeer::{Direction, MediaKind, PeerConnection, RtpReceiver, SessionDescription};
use tokio::sync::mpsc;
use util::Result;

/// What one recording wrote.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    pub video: Option<(PathBuf, u32)>,
    pub audio: Option<(PathBuf, u32)>,
}

/// Answers `offer` receive-only and records each offered video (VP8) and
/// audio (Opus) track into `dir/video-N.ivf` / `dir/audio-N.ogg` until
/// `length` of media time is saved or the connection ends. `done` gets the
/// result once both files are complete.
pub async fn record(
    offer: SessionDescription,
    dir: &Path,
    n: u64,
    length: Duration,
    done: mpsc::UnboundedSender<Result<Saved>>,
) -> Result<(PeerConnection, SessionDescription)> {
    let pc = PeerConnection::with_settings(Default::default(), util::settings())?;
    pc.set_remote_description(offer).await?;
    let mut jobs = Vec::new();
    for t in pc.get_transceivers() {
        t.set_direction(Direction::RecvOnly)?;
        let rx = t.receiver();
        match t.kind() {
            MediaKind::Video => {
                let path = dir.join(format!("video-{n}.ivf"));
                jobs.push(tokio::spawn(async move {
                    let frames = save_vp8(rx, &path, length).await?;
                    Ok::<_, util::Error>(Saved {
                        video: Some((path, frames)),
                        audio: None,
                    })
                }));
            }
            _ => {
                let path = dir.join(format!("audio-{n}.ogg"));
                jobs.push(tokio::spawn(async move {
                    let packets = save_opus(rx, &path, length).await?;
                    Ok::<_, util::Error>(Saved {
                        video: None,
                        audio: Some((path, packets)),
                    })
                }));
            }
        }
    }
    let answer = util::answer(&pc).await?;
    let conn = pc.clone();
    tokio::spawn(async move {
        let mut saved = Saved::default();
        let mut result = Ok(());
        for j in jobs {
            match j.await {
                Ok(Ok(s)) => {
                    saved.video = saved.video.or(s.video);
                    saved.audio = saved.audio.or(s.audio);
                }
                Ok(Err(e)) => result = Err(e),
                Err(e) => result = Err(e.into()),
            }
        }
        conn.close();
        let _ = done.send(result.map(|()| saved));
    });
    Ok((pc, answer))
}

/// Records VP8 frames from the first keyframe on (its size gives the IVF
/// header) until `length` of RTP time; returns the frame count.
pub async fn save_vp8(rx: RtpReceiver, path: &Path, length: Duration) -> Result<u32> {
    rx.request_keyframe();
    let mut writer: Option<(IvfWriter<std::fs::File>, u32)> = None;
    while let Some(f) = rx.read_frame().await {
        if f.codec != Codec::Vp8 {
            return Err(format!("can only save VP8 video, got {:?}", f.codec).into());
        }
        if writer.is_none() {
            let Some((width, height)) = vp8_keyframe_size(&f.data) else {
                continue; // wait for a keyframe
            };
            let header = IvfHeader {
                fourcc: *b"VP80",
                width,
                height,
                timebase_den: 90_000,
                timebase_num: 1,
                frame_count: 0,
            };
            writer = Some((
                IvfWriter::new(std::fs::File::create(path)?, header)?,
                f.timestamp,
            ));
        }
        let (w, t0) = writer.as_mut().expect("made above");
        let ts = u64::from(f.timestamp.wrapping_sub(*t0));
        w.write_frame(ts, &f.data)?;
        if ts >= length.as_millis() as u64 * 90 {
            break;
        }
    }
    let (w, _) = writer.ok_or("no VP8 keyframe arrived")?;
    let frames = w.frames();
    w.finish_seekable()?;
    Ok(frames)
}

/// Records Opus packets into an Ogg file until `length` of RTP time; returns
/// the packet count.
pub async fn save_opus(rx: RtpReceiver, path: &Path, length: Duration) -> Result<u32> {
    let head = OpusHead {
        channels: 2,
        pre_skip: 312,
        input_sample_rate: 48_000,
        output_gain: 0,
    };
    let mut w = OggOpusWriter::new(std::fs::File::create(path)?, head, 1)?;
    let mut first = None;
    let mut n = 0;
    while let Some(f) = rx.read_frame().await {
        if f.codec != Codec::Opus {
            return Err(format!("can only save Opus audio, got {:?}", f.codec).into());
        }
        let t0 = *first.get_or_insert(f.timestamp);
        w.write_opus(&f.data)?;
        n += 1;
        if u64::from(f.timestamp.wrapping_sub(t0)) >= length.as_millis() as u64 * 48 {
            break;
        }
    }
    w.finish()?;
    if n == 0 {
        return Err("no audio arrived".into());
    }
    Ok(n)
}

/// `/offer`: each offer starts a recording `n` (1, 2, …) into `dir`.
pub fn router(
    dir: PathBuf,
    length: Duration,
    done: mpsc::UnboundedSender<Result<Saved>>,
) -> Router {
    let next = Arc::new(AtomicU64::new(1));
    Router::new().route(
        "/offer",
        util::offer_route(move |offer| {
            let (dir, done, next) = (dir.clone(), done.clone(), next.clone());
            async move {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let (_pc, answer) = record(offer, &dir, n, length, done).await?;
                Ok(answer)
            }
        }),
    )
}

pub const PAGE: &str = r#"<!doctype html>
<title>rtcpeer save to disk</title>
<p>Recording your camera and microphone on the server…</p>
<video id="v" autoplay playsinline muted width="320"></video>
<pre id="log"></pre>
<script>
(async () => {
  const pc = new RTCPeerConnection();
  pc.onconnectionstatechange = () => (document.getElementById("log").textContent += pc.connectionState + "\n");
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  document.getElementById("v").srcObject = stream;
  for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: "sendonly", streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === "complete") r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); });
  const answer = await (await fetch((window.EXAMPLE_SERVER || "") + "/offer", { method: "POST", body: JSON.stringify(pc.localDescription) })).json();
  await pc.setRemoteDescription(answer);
})();
</script>
"#;

#[tokio::main]
#[allow(dead_code)]
async fn main() {
    let run = async {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let (addr, rest) = match args.first() {
            Some(a) if a.parse::<std::net::SocketAddr>().is_ok() => (a.clone(), &args[1..]),
            _ => ("127.0.0.1:8080".to_string(), &args[..]),
        };
        let dir = PathBuf::from(
            rest.first()
                .ok_or("usage: save_to_disk [ADDR] OUT_DIR [SECONDS]")?,
        );
        let secs: u64 = rest.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10);
        std::fs::create_dir_all(&dir)?;
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("open http://{}/ in a browser", listener.local_addr()?);
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(saved) = rx.recv().await {
                match saved {
                    Ok(s) => println!("saved {s:?}"),
                    Err(e) => println!("recording failed: {e}"),
                }
            }
        });
        util::serve(listener, PAGE, router(dir, Duration::from_secs(secs), tx)).await
    };
    if let Err(e) = run.await {
        eprintln!("save_to_disk: {e}");
        std::process::exit(1);
    }
}
