//! What the tests of two rtcpeer connections in one process share: peers
//! gathering on loopback only (the network rule), trickle between them, and
//! a connected pair with an open data channel.
#![allow(dead_code)]

use std::time::Duration;

use rtcpeer::{DataChannel, DataChannelEvent, Event, EventStream, PeerConnection, Settings};
use tokio::time::timeout;

/// A guard against hangs, not a timing assertion.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A connection that gathers on 127.0.0.1 only.
pub fn loopback_pc() -> PeerConnection {
    PeerConnection::with_settings(Default::default(), Settings::loopback_only()).unwrap()
}

/// Forwards every candidate `from` gathers to `to` (once `to` has a remote
/// description). Holds `to` weakly, so the pair can still be freed; ends
/// when `from`'s events end (its `close()` or drop).
pub fn trickle(from: &PeerConnection, to: &PeerConnection) {
    let mut events = from.events();
    let to = to.downgrade();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            let Event::IceCandidate(c) = e else { continue };
            let Some(to) = to.upgrade() else { return };
            while to.remote_description().is_none() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let _ = to.add_ice_candidate(c).await;
        }
    });
}

/// Offer from `a`, answer from `b`, candidates trickled both ways.
pub async fn connect(a: &PeerConnection, b: &PeerConnection) {
    trickle(a, b);
    trickle(b, a);
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    a.set_remote_description(answer).await.unwrap();
}

/// The next `datachannel` event's channel.
pub async fn remote_channel(events: &mut EventStream) -> DataChannel {
    timeout(LIMIT, async {
        loop {
            match events.recv().await {
                Some(Event::DataChannel(dc)) => return dc,
                Some(_) => {}
                None => panic!("connection gone"),
            }
        }
    })
    .await
    .expect("datachannel in time")
}

/// Two connected peers; `a` opened `label`, `b` received it; both ends open.
pub struct Pair {
    pub a: PeerConnection,
    pub b: PeerConnection,
    pub a_dc: DataChannel,
    pub b_dc: DataChannel,
}

impl Pair {
    pub async fn open(label: &str) -> Pair {
        Pair::open_between(label, loopback_pc(), loopback_pc()).await
    }

    /// Like [`Pair::open`], with connections the caller made (`a` offers).
    pub async fn open_between(label: &str, a: PeerConnection, b: PeerConnection) -> Pair {
        let mut b_events = b.events();
        let a_dc = a.create_data_channel(label, Default::default()).unwrap();
        let mut a_dc_events = a_dc.events();
        connect(&a, &b).await;
        let b_dc = remote_channel(&mut b_events).await;
        timeout(LIMIT, async {
            while a_dc_events.recv().await != Some(DataChannelEvent::Open) {}
        })
        .await
        .expect("open in time");
        Pair { a, b, a_dc, b_dc }
    }

    pub fn close(self) {
        self.a.close();
        self.b.close();
    }
}
