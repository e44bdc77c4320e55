//! iceCandidatePoolSize on 127.0.0.1: both connections gather before any
//! local description (their stats show the candidates, yet no event fires
//! and iceGatheringState stays "new"); setLocalDescription then has them at
//! once — in the description, as icecandidate events and with gathering
//! complete — and the pooled candidates connect the pair, each side in the
//! role its description gives.

mod local;

use std::time::Duration;

use local::{remote_channel, trickle, LIMIT};
use rtcpeer::stats::StatsKind;
use rtcpeer::{
    Configuration, DataChannelEvent, Event, EventStream, IceGatheringState, Message,
    PeerConnection, Settings,
};
use tokio::time::timeout;

fn pooled() -> PeerConnection {
    let config = Configuration {
        ice_candidate_pool_size: 1,
        ..Default::default()
    };
    PeerConnection::with_settings(config, Settings::loopback_only()).unwrap()
}

async fn local_candidates(pc: &PeerConnection) -> usize {
    pc.get_stats()
        .await
        .unwrap()
        .of_type("local-candidate")
        .count()
}

async fn ice_role(pc: &PeerConnection) -> String {
    let report = pc.get_stats().await.unwrap();
    let t = report.of_type("transport").next().expect("a transport");
    match &t.kind {
        StatsKind::Transport(t) => t.ice_role.clone(),
        _ => unreachable!(),
    }
}

/// Waits for the pool, then checks nothing was signaled yet.
async fn pool_ready(pc: &PeerConnection, events: &mut EventStream) {
    timeout(LIMIT, async {
        while local_candidates(pc).await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the pool gathers before setLocalDescription");
    assert_eq!(pc.ice_gathering_state(), IceGatheringState::New);
    assert!(pc.local_description().is_none());
    while let Some(e) = events.try_recv() {
        assert!(
            !matches!(
                e,
                Event::IceCandidate(_) | Event::IceGatheringStateChange(_)
            ),
            "{e:?} before setLocalDescription"
        );
    }
}

/// Right after setLocalDescription: the pooled candidates are there.
fn signaled_at_once(pc: &PeerConnection, events: &mut EventStream) {
    assert_eq!(pc.ice_gathering_state(), IceGatheringState::Complete);
    let sdp = pc.local_description().unwrap().sdp;
    assert!(sdp.contains("a=candidate:"), "{sdp}");
    assert!(sdp.contains("a=end-of-candidates"), "{sdp}");
    let mut candidates = 0;
    let mut end = false;
    while let Some(e) = events.try_recv() {
        match e {
            Event::IceCandidate(Some(_)) => candidates += 1,
            Event::IceCandidate(None) => end = true,
            _ => {}
        }
    }
    assert!(candidates >= 1 && end, "{candidates} candidates, end {end}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_candidates_are_signaled_at_set_local_description() {
    let (a, b) = (pooled(), pooled());
    let (mut a_events, mut b_events) = (a.events(), b.events());
    let mut b_channels = b.events();
    pool_ready(&a, &mut a_events).await;
    pool_ready(&b, &mut b_events).await;

    trickle(&a, &b);
    trickle(&b, &a);
    let dc = a.create_data_channel("pool", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    signaled_at_once(&a, &mut a_events);
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    signaled_at_once(&b, &mut b_events);
    a.set_remote_description(answer).await.unwrap();

    let b_dc = remote_channel(&mut b_channels).await;
    timeout(LIMIT, async {
        while dc_events.recv().await != Some(DataChannelEvent::Open) {}
    })
    .await
    .expect("open in time");
    let mut b_dc_events = b_dc.events();
    dc.send_text("pooled").unwrap();
    let got = timeout(LIMIT, async {
        loop {
            if let Some(DataChannelEvent::Message(m)) = b_dc_events.recv().await {
                return m;
            }
        }
    })
    .await
    .expect("message in time");
    assert_eq!(got, Message::Text("pooled".into()));
    assert_eq!(ice_role(&a).await, "controlling");
    assert_eq!(ice_role(&b).await, "controlled");
    a.close();
    b.close();
}
