//! What the real-peer data-channel tests share: the remote peer (a browser
//! running testkit's standard page, or testkit's standard aiortc peer, which
//! speak the same protocol) and the signaling between it and our
//! `PeerConnection`, run in the background while a test does its work.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use rtcpeer::{
    DataChannel, DataChannelEvent, Event, IceCandidateInit, InterfaceFilter, Message,
    PeerConnection, SdpType, SessionDescription, Settings,
};
use serde_json::{json, Value};
use testkit::aiortc::AiortcPeer;
use testkit::browser::Browser;
use testkit::pages::BrowserPeer;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Time for any one step (a launch, an open, an echo).
pub const LIMIT: Duration = Duration::from_secs(30);

/// The three peers we check against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chromium,
    Firefox,
    Aiortc,
}

/// A remote peer speaking the standard page protocol (`testkit::pages`).
pub enum Remote {
    Browser(BrowserPeer),
    Aiortc(AiortcPeer),
}

impl Remote {
    /// Starts `kind` with `{"setup": setup}`; aiortc gets `"trickle": false`
    /// semantics by itself (it does half-trickle).
    pub async fn launch(kind: Kind, setup: Value) -> Remote {
        match kind {
            Kind::Chromium => Remote::Browser(
                BrowserPeer::launch(Browser::Chromium, setup)
                    .await
                    .expect("Chromium starts (scripts/install-peers installs it)"),
            ),
            Kind::Firefox => Remote::Browser(
                BrowserPeer::launch(Browser::Firefox, setup)
                    .await
                    .expect("Firefox starts (scripts/install-peers installs it)"),
            ),
            Kind::Aiortc => Remote::Aiortc(
                AiortcPeer::standard(setup)
                    .await
                    .expect("aiortc starts (scripts/install-peers installs it)"),
            ),
        }
    }

    pub async fn send(&self, m: Value) {
        match self {
            Remote::Browser(b) => b.send(m),
            Remote::Aiortc(a) => a.send(m).await.expect("aiortc takes the message"),
        }
    }

    pub async fn recv(&self) -> testkit::Result<Value> {
        match self {
            Remote::Browser(b) => b.recv().await,
            Remote::Aiortc(a) => a.recv().await,
        }
    }

    /// Asks the peer to finish and returns its report.
    pub async fn report(&self) -> Value {
        match self {
            Remote::Browser(b) => {
                b.finish();
                b.report(Duration::from_secs(60))
                    .await
                    .expect("the page reports")
            }
            Remote::Aiortc(a) => {
                a.finish().await.expect("aiortc takes finish");
                a.wait_result(Duration::from_secs(60))
                    .await
                    .expect("aiortc reports")
            }
        }
    }
}

/// Gather on every interface of the test's own namespace, loopback included
/// (Firefox ignores a remote 127.0.0.1 and pairs with the veth addresses).
pub fn namespace_settings() -> Settings {
    Settings {
        interfaces: InterfaceFilter::All,
        include_loopback: true,
        ..Settings::default()
    }
}

/// A change made to every description the remote peer gives us before we
/// apply it (tests tamper with fingerprints or max-message-size this way).
pub type Munge = Arc<dyn Fn(&mut SessionDescription) + Send + Sync>;

/// Caps a remote `a=max-message-size` above `cap` (Firefox announces
/// 1073741823) to `cap`, so the "exactly max-message-size" message stays a
/// size a test can send; we then treat the peer as accepting `cap` bytes.
pub fn cap_max_message_size(cap: u64) -> Munge {
    Arc::new(move |d: &mut SessionDescription| {
        let mut out = String::with_capacity(d.sdp.len());
        for line in d.sdp.split_inclusive("\r\n") {
            match line
                .strip_prefix("a=max-message-size:")
                .and_then(|v| v.trim_end().parse::<u64>().ok())
            {
                Some(v) if v == 0 || v > cap => {
                    out.push_str(&format!("a=max-message-size:{cap}\r\n"))
                }
                _ => out.push_str(line),
            }
        }
        d.sdp = out;
    })
}

/// The background signaling between `pc` and `remote`: our candidates go to
/// the remote, its descriptions and candidates come to us (an offer is
/// answered). Returns the task (abort it when done) and the channels the
/// remote opened (`datachannel` events).
pub fn signal(
    pc: &PeerConnection,
    remote: Arc<Remote>,
    munge: Option<Munge>,
) -> (JoinHandle<()>, mpsc::UnboundedReceiver<DataChannel>) {
    let (dc_tx, dc_rx) = mpsc::unbounded_channel();
    pc.on_data_channel(move |e| {
        if let Event::DataChannel(dc) = e {
            let _ = dc_tx.send(dc);
        }
    });
    let mut events = pc.events();
    let pc = pc.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                e = events.recv() => match e {
                    Some(Event::IceCandidate(Some(c))) => remote.send(serde_json::to_value(&c).unwrap()).await,
                    Some(Event::IceCandidate(None)) => remote.send(json!({"candidate": ""})).await,
                    Some(_) => {}
                    None => return,
                },
                m = remote.recv() => {
                    let Ok(m) = m else { return };
                    if m.get("event").is_some() {
                        // A notification (setup.events), not signaling.
                    } else if m.get("type").is_some() {
                        let mut d: SessionDescription = serde_json::from_value(m).unwrap();
                        if let Some(f) = &munge {
                            f(&mut d);
                        }
                        let offer = d.sdp_type == SdpType::Offer;
                        pc.set_remote_description(d).await.expect("the remote description applies");
                        if offer {
                            let answer = pc.create_answer(Default::default()).await.unwrap();
                            pc.set_local_description(Some(answer.clone())).await.unwrap();
                            remote.send(serde_json::to_value(&answer).unwrap()).await;
                        }
                    } else if let Some(c) = m.get("candidate").and_then(Value::as_str) {
                        if c.is_empty() {
                            let _ = pc.add_ice_candidate(None).await;
                        } else {
                            let c: IceCandidateInit = serde_json::from_value(m).unwrap();
                            // Candidates we cannot use (TCP, mDNS) are not fatal.
                            let _ = pc.add_ice_candidate(Some(c)).await;
                        }
                    }
                },
            }
        }
    });
    (task, dc_rx)
}

/// Makes our offer and sends it to the remote.
pub async fn offer(pc: &PeerConnection, remote: &Remote) {
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    remote.send(serde_json::to_value(&offer).unwrap()).await;
}

/// Waits for `open` on a channel's event stream (other events before it are
/// dropped; a message before open is a failure).
pub async fn wait_open(events: &mut rtcpeer::DataChannelEventStream, label: &str) {
    let r = timeout(LIMIT, async {
        loop {
            match events.recv().await {
                Some(DataChannelEvent::Open) => return,
                Some(DataChannelEvent::Message(m)) => panic!("{label}: message {m:?} before open"),
                Some(_) => {}
                None => panic!("{label}: channel gone before open"),
            }
        }
    })
    .await;
    r.unwrap_or_else(|_| panic!("{label}: open in time"));
}

/// The next message on a channel's event stream.
pub async fn next_message(events: &mut rtcpeer::DataChannelEventStream, label: &str) -> Message {
    let r = timeout(LIMIT, async {
        loop {
            match events.recv().await {
                Some(DataChannelEvent::Message(m)) => return m,
                Some(DataChannelEvent::Close) => {
                    panic!("{label}: closed while waiting for a message")
                }
                Some(_) => {}
                None => panic!("{label}: channel gone"),
            }
        }
    })
    .await;
    r.unwrap_or_else(|_| panic!("{label}: a message in time"))
}
