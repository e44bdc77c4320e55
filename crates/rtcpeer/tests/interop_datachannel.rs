//! rtcpeer against Chromium over real UDP inside a private network
//! namespace (`testkit::isolate!()`): rtcpeer offers a data channel,
//! Chromium's standard peer page answers and echoes.

use std::time::Duration;

use rtcpeer::{
    DataChannelEvent, Event, IceCandidateInit, InterfaceFilter, Message, PeerConnection,
    SessionDescription, Settings,
};
use serde_json::{json, Value};
use testkit::browser::{Browser, DEFAULT_TIMEOUT};
use testkit::pages::BrowserPeer;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(30);

/// Gather on every interface of the test's own namespace, loopback included.
fn namespace_settings() -> Settings {
    Settings {
        interfaces: InterfaceFilter::All,
        include_loopback: true,
        ..Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_answers_and_echoes_our_data_channel() {
    testkit::isolate!();
    let chromium =
        BrowserPeer::launch(Browser::Chromium, json!({"role": "answerer", "echo": true}))
            .await
            .expect("Chromium starts (scripts/install-peers installs it)");
    let pc = PeerConnection::with_settings(Default::default(), namespace_settings()).unwrap();
    let mut pc_events = pc.events();
    let dc = pc.create_data_channel("chat", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    chromium.send(serde_json::to_value(&offer).unwrap());

    // Signaling both ways until the channel is open.
    let opened = timeout(LIMIT, async {
        loop {
            tokio::select! {
                e = pc_events.recv() => match e {
                    Some(Event::IceCandidate(Some(c))) => chromium.send(serde_json::to_value(&c).unwrap()),
                    Some(Event::IceCandidate(None)) => chromium.send(json!({"candidate": ""})),
                    Some(_) => {}
                    None => return false,
                },
                m = chromium.recv() => {
                    let m: Value = m.expect("the page signals");
                    if m.get("type").is_some() {
                        let d: SessionDescription = serde_json::from_value(m).unwrap();
                        pc.set_remote_description(d).await.unwrap();
                    } else if let Some(c) = m.get("candidate").and_then(Value::as_str) {
                        if c.is_empty() {
                            pc.add_ice_candidate(None).await.unwrap();
                        } else {
                            let c: IceCandidateInit = serde_json::from_value(m).unwrap();
                            // Candidates we cannot use (TCP, mDNS) are not fatal.
                            let _ = pc.add_ice_candidate(Some(c)).await;
                        }
                    }
                },
                e = dc_events.recv() => if e == Some(DataChannelEvent::Open) { return true },
            }
        }
    })
    .await
    .expect("the channel opens in time");
    assert!(opened);

    dc.send_text("ping").unwrap();
    dc.send(&[1, 2, 3]).unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        match timeout(LIMIT, dc_events.recv())
            .await
            .expect("echo in time")
        {
            Some(DataChannelEvent::Message(m)) => got.push(m),
            Some(_) => {}
            None => panic!("channel gone"),
        }
    }
    assert_eq!(got[0], Message::Text("ping".into()));
    assert_eq!(got[1], Message::Binary(vec![1, 2, 3]));

    chromium.finish();
    let report = chromium.report(DEFAULT_TIMEOUT).await.unwrap();
    assert_eq!(report["received"]["chat"][0], json!("ping"));
    assert_eq!(report["connectionState"], json!("connected"));
    pc.close();
}
