//! The standard page's commands and events: the test drives Chromium through
//! an ICE restart with Firefox and sends messages before and after it.

use serde_json::{json, Value};
use testkit::browser::Browser;
use testkit::pages::BrowserPeer;

use crate::LIMIT;

fn ufrag(sdp: &Value) -> Option<String> {
    let sdp = sdp.as_str()?;
    let line = sdp.lines().find(|l| l.starts_with("a=ice-ufrag:"))?;
    Some(line["a=ice-ufrag:".len()..].trim().to_string())
}

#[tokio::test]
async fn chromium_restarts_ice_with_firefox_on_command() {
    testkit::isolate!();
    let chromium = BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "offerer", "events": true, "echo": false}),
    )
    .await
    .unwrap();
    let firefox = BrowserPeer::launch(
        Browser::Firefox,
        json!({"role": "answerer", "echo": false, "expect": 2}),
    )
    .await
    .unwrap();

    let mut offer_ufrags = Vec::new();
    let driver = async {
        let mut answers = 0;
        loop {
            tokio::select! {
                m = chromium.recv() => {
                    let m = m?;
                    match m.get("event").and_then(Value::as_str) {
                        Some("open") => {
                            chromium.send(json!({"send": {"label": "chat", "data": "before restart"}}));
                            chromium.send(json!({"restartIce": true}));
                        }
                        Some("remoteDescription") => {
                            answers += 1;
                            if answers == 2 {
                                chromium.send(json!({"send": {"label": "chat", "data": "after restart"}}));
                            }
                        }
                        Some(_) => {}
                        None => {
                            if m["type"] == "offer" {
                                offer_ufrags.extend(ufrag(&m["sdp"]));
                            }
                            firefox.send(m);
                        }
                    }
                }
                m = firefox.recv() => chromium.send(m?),
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), testkit::Error>(())
    };
    let answerer = tokio::select! {
        biased;
        r = firefox.report(LIMIT) => r.unwrap(),
        r = driver => panic!("the driver stopped: {r:?}"),
    };
    chromium.finish();
    let offerer = chromium.report(LIMIT).await.unwrap();

    assert_eq!(
        answerer["received"]["chat"],
        json!(["before restart", "after restart"]),
        "{answerer}"
    );
    assert_eq!(offerer["restarts"], 1, "{offerer}");
    assert_eq!(offer_ufrags.len(), 2, "two offers: {offer_ufrags:?}");
    assert_ne!(
        offer_ufrags[0], offer_ufrags[1],
        "the restart changed the ufrag"
    );
    assert_eq!(offerer["iceUfrag"].as_str(), Some(offer_ufrags[1].as_str()));
    assert_eq!(offerer["connectionState"], "connected", "{offerer}");
}
