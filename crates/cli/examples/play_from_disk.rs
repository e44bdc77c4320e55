//! Play from disk: send a VP8 IVF file and an Ogg Opus file to a browser,
//! each at its own pace, looping, for as long as the browser stays.
//!
//! `cargo run -p rtcpeer-cli --example play_from_disk -- [127.0.0.1:8080] video.ivf audio.ogg`
//! then open the printed address. Make the files with e.g.
//! `ffmpeg -f lavfi -i testsrc=size=320x240:rate=30 -t 5 -c:v libvpx -g 30 video.ivf` and
//! `ffmpeg -f lavfi -i sine=frequency=440:duration=5 -c:a libopus audio.ogg`.

#[path = "util/mod.rs"]
mod util;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rtcpeer::{Direction, MediaKind, MediaStreamTrack, PeerConnection, Sample, SessionDescription};
use util::Result;

/// What to play: the frames of the video file and the packets of the audio file.
pub struct Media {
    pub video: Vec<Sample>,
    pub audio: Vec<Sample>,
}

impl Media {
    pub fn load(video: &std::path::Path, audio: &std::path::Path) -> Result<Media> {
        Ok(Media {
            video: util::read_ivf(video)?,
            audio: util::read_ogg_opus(audio)?,
        })
    }
}

/// Answers an offer with receive-only audio and/or video: the video file
/// plays on the video transceiver, the audio file on the audio one.
pub async fn play(
    offer: SessionDescription,
    media: &Media,
) -> Result<(PeerConnection, SessionDescription)> {
    let pc = PeerConnection::with_settings(Default::default(), util::settings())?;
    pc.set_remote_description(offer).await?;
    for t in pc.get_transceivers() {
        let track = MediaStreamTrack::new(t.kind());
        t.sender().replace_track(Some(track.clone())).await?;
        t.set_direction(Direction::SendOnly)?;
        let samples = match t.kind() {
            MediaKind::Video => media.video.clone(),
            _ => media.audio.clone(),
        };
        tokio::spawn(util::play_loop(pc.clone(), track, samples));
    }
    let answer = util::answer(&pc).await?;
    Ok((pc, answer))
}

pub fn router(media: Arc<Media>) -> Router {
    Router::new().route(
        "/offer",
        util::offer_route(move |offer| {
            let media = media.clone();
            async move {
                let (pc, answer) = play(offer, &media).await?;
                tokio::spawn(async move {
                    let _ = util::connected(&pc).await;
                    while !util::ended(&pc) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    pc.close();
                });
                Ok(answer)
            }
        }),
    )
}

pub const PAGE: &str = r#"<!doctype html>
<title>rtcpeer play from disk</title>
<p>Muted so that browsers let it start by itself: unmute with the controls.</p>
<video id="v" autoplay playsinline controls muted width="640"></video>
<pre id="log"></pre>
<script>
(async () => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (e) => { stream.addTrack(e.track); document.getElementById("v").srcObject = stream; };
  pc.onconnectionstatechange = () => (document.getElementById("log").textContent += pc.connectionState + "\n");
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
        let (video, audio) = match args.as_slice() {
            [_, v, a] | [v, a] => (PathBuf::from(v), PathBuf::from(a)),
            _ => return Err("usage: play_from_disk [ADDR] VIDEO.ivf AUDIO.ogg".into()),
        };
        let media = Arc::new(Media::load(&video, &audio)?);
        println!(
            "{} video frames, {} audio packets",
            media.video.len(),
            media.audio.len()
        );
        let listener = if args.len() == 3 {
            util::listen_from_args().await?
        } else {
            let l = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
            println!("open http://{}/ in a browser", l.local_addr()?);
            l
        };
        util::serve(listener, PAGE, router(media)).await
    };
    if let Err(e) = run.await {
        eprintln!("play_from_disk: {e}");
        std::process::exit(1);
    }
}
