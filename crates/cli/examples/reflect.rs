//! Reflect: a browser sends its camera and microphone, we send every frame
//! straight back on the same transceiver (no decoding), and the browser
//! shows its own video coming back over the network.
//!
//! `cargo run -p rtcpeer-cli --example reflect [127.0.0.1:8080]`, then open
//! the printed address. Signaling is the webrtc-echoes convention: the page
//! POSTs its complete offer to `/offer` and gets the complete answer back.

#[path = "util/mod.rs"]
mod util;

use std::time::Duration;

use axum::Router;
use rtcpeer::{
    Direction, MediaStreamTrack, PeerConnection, RtpTransceiver, Sample, SessionDescription,
};
use util::Result;

/// Answers `offer` with a connection that reflects each offered audio and
/// video transceiver back to the sender.
pub async fn reflect(offer: SessionDescription) -> Result<(PeerConnection, SessionDescription)> {
    let pc = PeerConnection::with_settings(Default::default(), util::settings())?;
    pc.set_remote_description(offer).await?;
    for t in pc.get_transceivers() {
        // A local track of the same kind on the offered transceiver, sent back.
        t.sender()
            .replace_track(Some(MediaStreamTrack::new(t.kind())))
            .await?;
        t.set_direction(Direction::SendRecv)?;
        tokio::spawn(reflect_transceiver(t));
    }
    let answer = util::answer(&pc).await?;
    Ok((pc, answer))
}

/// Writes every frame `t` receives to `t`'s own sender, with the duration
/// its RTP timestamps give; passes the browser's keyframe requests on to
/// the browser's encoder. Returns how many frames were reflected.
pub async fn reflect_transceiver(t: RtpTransceiver) -> u64 {
    let (receiver, sender) = (t.receiver(), t.sender());
    let mut last: Option<u32> = None;
    let mut reflected = 0;
    while let Some(frame) = receiver.read_frame().await {
        if sender.take_keyframe_request() {
            receiver.request_keyframe();
        }
        let rate = frame.codec.clock_rate().max(1);
        let ticks = last.map_or(rate / 50, |l| frame.timestamp.wrapping_sub(l).min(rate));
        last = Some(frame.timestamp);
        let sample = Sample {
            data: frame.data,
            duration: Duration::from_micros(u64::from(ticks) * 1_000_000 / u64::from(rate)),
        };
        if sender.write_sample(&sample) {
            reflected += 1;
        }
    }
    reflected
}

/// The HTTP side: the page at `/`, offers at `/offer`.
pub fn router() -> Router {
    Router::new().route(
        "/offer",
        util::offer_route(|offer| async move {
            let (pc, answer) = reflect(offer).await?;
            // Keep the connection until its peer goes.
            tokio::spawn(async move {
                let _ = util::connected(&pc).await;
                while !util::ended(&pc) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                pc.close();
            });
            Ok(answer)
        }),
    )
}

pub const PAGE: &str = r#"<!doctype html>
<title>rtcpeer reflect</title>
<p>Your camera, sent to rtcpeer and back:</p>
<video id="v" autoplay playsinline muted width="640"></video>
<pre id="log"></pre>
<script>
(async () => {
  const pc = new RTCPeerConnection();
  pc.ontrack = (e) => { document.getElementById("v").srcObject = e.streams[0] || new MediaStream([e.track]); };
  pc.onconnectionstatechange = () => (document.getElementById("log").textContent += pc.connectionState + "\n");
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
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
    let run = async { util::serve(util::listen_from_args().await?, PAGE, router()).await };
    if let Err(e) = run.await {
        eprintln!("reflect: {e}");
        std::process::exit(1);
    }
}
