//! ICE restart: a browser connects with a data channel, then restarts ICE
//! (`restartIce()`, a new offer with fresh credentials POSTed to the same
//! server); the server applies it to the same connection, answers with fresh
//! credentials of its own, and the channel carries on over the new ICE
//! session. Every message is echoed back, prefixed with the server's
//! current ICE username fragment, so the page sees the change.
//!
//! `cargo run -p rtcpeer-cli --example ice_restart [127.0.0.1:8080]`, open
//! the address and press "ICE restart".

#[path = "util/mod.rs"]
mod util;

use std::sync::{Arc, Mutex};

use axum::Router;
use rtcpeer::{DataChannelEvent, Event, Message, PeerConnection, SessionDescription};
use util::Result;

/// The one connection the server holds (a new offer replaces it, an offer
/// with new ICE credentials restarts it), and how many ICE restarts it took.
#[derive(Clone, Default)]
pub struct Server {
    pc: Arc<Mutex<Option<PeerConnection>>>,
    restarts: Arc<Mutex<u32>>,
}

/// `a=ice-ufrag` of a description.
pub fn ufrag(d: &SessionDescription) -> Option<String> {
    d.sdp
        .lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(|s| s.trim().to_string())
}

impl Server {
    /// Answers `offer`: on the current connection if it is still alive (an
    /// ICE restart when the offer's credentials changed), else on a new one.
    pub async fn offer(&self, offer: SessionDescription) -> Result<SessionDescription> {
        let current = self
            .pc
            .lock()
            .unwrap()
            .clone()
            .filter(|pc| !util::ended(pc));
        let pc = match current {
            Some(pc) => {
                let before = pc.remote_description().as_ref().and_then(ufrag);
                if before != ufrag(&offer) {
                    *self.restarts.lock().unwrap() += 1;
                    println!(
                        "ICE restart: remote ufrag {before:?} -> {:?}",
                        ufrag(&offer)
                    );
                }
                pc
            }
            None => {
                let pc = PeerConnection::with_settings(Default::default(), util::settings())?;
                echo_channels(&pc);
                *self.pc.lock().unwrap() = Some(pc.clone());
                pc
            }
        };
        pc.set_remote_description(offer).await?;
        let answer = util::answer(&pc).await?;
        println!("answered with ufrag {:?}", ufrag(&answer));
        Ok(answer)
    }

    /// ICE restarts so far.
    pub fn restarts(&self) -> u32 {
        *self.restarts.lock().unwrap()
    }
}

/// Echoes each message on its channel as `"<our ufrag> <message>"`.
fn echo_channels(pc: &PeerConnection) {
    let mut events = pc.events();
    let weak = pc.downgrade();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            let Event::DataChannel(ch) = e else { continue };
            let weak = weak.clone();
            tokio::spawn(async move {
                let mut ev = ch.events();
                while let Some(e) = ev.recv().await {
                    match e {
                        DataChannelEvent::Message(Message::Text(t)) => {
                            let ours = weak
                                .upgrade()
                                .and_then(|pc| pc.local_description())
                                .and_then(|d| ufrag(&d))
                                .unwrap_or_default();
                            let _ = ch.send_text(&format!("{ours} {t}"));
                        }
                        DataChannelEvent::Close => break,
                        _ => {}
                    }
                }
            });
        }
    });
}

pub fn router(server: Server) -> Router {
    Router::new().route(
        "/offer",
        util::offer_route(move |offer| {
            let server = server.clone();
            async move { server.offer(offer).await }
        }),
    )
}

pub const PAGE: &str = r#"<!doctype html>
<title>rtcpeer ICE restart</title>
<button id="restart" disabled>ICE restart</button>
<pre id="log"></pre>
<script>
const log = (s) => (document.getElementById("log").textContent += s + "\n");
(async () => {
  const pc = new RTCPeerConnection();
  pc.oniceconnectionstatechange = () => log("iceConnectionState: " + pc.iceConnectionState);
  const dc = pc.createDataChannel("chat");
  dc.onmessage = (e) => log("echo: " + e.data);
  dc.onopen = () => { document.getElementById("restart").disabled = false; setInterval(() => dc.send(new Date().toISOString()), 2000); };
  const signal = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { if (pc.iceGatheringState === "complete") r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); });
    const answer = await (await fetch((window.EXAMPLE_SERVER || "") + "/offer", { method: "POST", body: JSON.stringify(pc.localDescription) })).json();
    await pc.setRemoteDescription(answer);
  };
  document.getElementById("restart").onclick = () => { pc.restartIce(); signal(); };
  await signal();
})();
</script>
"#;

#[tokio::main]
#[allow(dead_code)]
async fn main() {
    let run = async {
        util::serve(
            util::listen_from_args().await?,
            PAGE,
            router(Server::default()),
        )
        .await
    };
    if let Err(e) = run.await {
        eprintln!("ice_restart: {e}");
        std::process::exit(1);
    }
}
