//! Broadcast: one sender to many receivers. A publisher sends its camera to
//! `/publish`; every viewer that offers to `/view` gets the same video, sent
//! on one shared local track (each frame is packetized per viewer, nothing
//! is decoded). Viewers' keyframe requests go on to the publisher, so a
//! viewer that joins late starts on a fresh keyframe.
//!
//! `cargo run -p rtcpeer-cli --example broadcast [127.0.0.1:8080]`, open the
//! address in one tab to publish, more tabs with `#view` to watch.

#[path = "util/mod.rs"]
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use rtcpeer::{
    Direction, MediaKind, MediaStreamTrack, PeerConnection, RtpReceiver, RtpSender, Sample,
    SessionDescription,
};
use util::Result;

/// The broadcast: the shared track, the publisher's receiver, the viewers.
#[derive(Clone)]
pub struct Broadcast {
    track: MediaStreamTrack,
    publisher: Arc<Mutex<Option<RtpReceiver>>>,
    viewers: Arc<Mutex<Vec<(PeerConnection, RtpSender)>>>,
    served: Arc<AtomicUsize>,
}

impl Default for Broadcast {
    fn default() -> Self {
        Broadcast {
            track: MediaStreamTrack::new(MediaKind::Video),
            publisher: Arc::default(),
            viewers: Arc::default(),
            served: Arc::default(),
        }
    }
}

impl Broadcast {
    /// Answers the publisher's offer (its first video is what everyone sees).
    pub async fn publish(
        &self,
        offer: SessionDescription,
    ) -> Result<(PeerConnection, SessionDescription)> {
        let pc = PeerConnection::with_settings(Default::default(), util::settings())?;
        pc.set_remote_description(offer).await?;
        let video = pc
            .get_transceivers()
            .into_iter()
            .find(|t| t.kind() == MediaKind::Video)
            .ok_or("the publisher offers no video")?;
        for t in pc.get_transceivers() {
            t.set_direction(if t == video {
                Direction::RecvOnly
            } else {
                Direction::Inactive
            })?;
        }
        let rx = video.receiver();
        *self.publisher.lock().unwrap() = Some(rx.clone());
        tokio::spawn(self.clone().forward(rx));
        let answer = util::answer(&pc).await?;
        Ok((pc, answer))
    }

    /// Copies each frame of the publisher to every viewer; returns how many
    /// frames were forwarded when the publisher's stream ends.
    async fn forward(self, rx: RtpReceiver) -> u64 {
        rx.request_keyframe();
        let mut last: Option<u32> = None;
        let mut frames = 0;
        while let Some(f) = rx.read_frame().await {
            let wanted = {
                let mut viewers = self.viewers.lock().unwrap();
                viewers.retain(|(pc, _)| !util::ended(pc));
                viewers
                    .iter()
                    .fold(false, |w, (_, s)| s.take_keyframe_request() || w)
            };
            if wanted {
                rx.request_keyframe();
            }
            let ticks = last.map_or(3000, |l| f.timestamp.wrapping_sub(l).min(90_000));
            last = Some(f.timestamp);
            let sample = Sample {
                data: f.data,
                duration: Duration::from_micros(u64::from(ticks) * 1_000 / 90),
            };
            self.track.write_sample(&sample);
            frames += 1;
        }
        frames
    }

    /// Answers a viewer's offer (receive-only video) with the shared track.
    pub async fn view(
        &self,
        offer: SessionDescription,
    ) -> Result<(PeerConnection, SessionDescription)> {
        let pc = PeerConnection::with_settings(Default::default(), util::settings())?;
        pc.set_remote_description(offer).await?;
        let video = pc
            .get_transceivers()
            .into_iter()
            .find(|t| t.kind() == MediaKind::Video)
            .ok_or("the viewer offers no video")?;
        video
            .sender()
            .replace_track(Some(self.track.clone()))
            .await?;
        video.set_direction(Direction::SendOnly)?;
        self.viewers
            .lock()
            .unwrap()
            .push((pc.clone(), video.sender()));
        self.served.fetch_add(1, Ordering::Relaxed);
        let answer = util::answer(&pc).await?;
        // A new viewer needs a keyframe to start from.
        let publisher = self.publisher.lock().unwrap().clone();
        let viewer = pc.clone();
        tokio::spawn(async move {
            if util::connected(&viewer).await.is_ok() {
                if let Some(rx) = publisher {
                    rx.request_keyframe();
                }
            }
        });
        Ok((pc, answer))
    }

    /// How many viewers were answered so far.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }
}

pub fn router(b: Broadcast) -> Router {
    let (p, v) = (b.clone(), b);
    Router::new()
        .route(
            "/publish",
            util::offer_route(move |offer| {
                let b = p.clone();
                async move { Ok(b.publish(offer).await?.1) }
            }),
        )
        .route(
            "/view",
            util::offer_route(move |offer| {
                let b = v.clone();
                async move { Ok(b.view(offer).await?.1) }
            }),
        )
}

pub const PAGE: &str = r##"<!doctype html>
<title>rtcpeer broadcast</title>
<p id="what"></p>
<video id="v" autoplay playsinline muted width="640"></video>
<script>
(async () => {
  const view = location.hash === "#view";
  document.getElementById("what").textContent = view ? "Watching the broadcast" : "Publishing your camera (open #view in other tabs)";
  const pc = new RTCPeerConnection();
  if (view) {
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => (document.getElementById("v").srcObject = new MediaStream([e.track]));
  } else {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    document.getElementById("v").srcObject = stream;
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: "sendonly" });
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === "complete") r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); });
  const answer = await (await fetch((window.EXAMPLE_SERVER || "") + (view ? "/view" : "/publish"), { method: "POST", body: JSON.stringify(pc.localDescription) })).json();
  await pc.setRemoteDescription(answer);
})();
</script>
"##;

#[tokio::main]
#[allow(dead_code)]
async fn main() {
    let run = async {
        util::serve(
            util::listen_from_args().await?,
            PAGE,
            router(Broadcast::default()),
        )
        .await
    };
    if let Err(e) = run.await {
        eprintln!("broadcast: {e}");
        std::process::exit(1);
    }
}
