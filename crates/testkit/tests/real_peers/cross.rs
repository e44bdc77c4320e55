//! (c) Chromium <-> Firefox, each in its own standard peer page, signaled
//! through the test's relay: proves the relay carries messages both ways, and
//! the standard page with data and with fake media.

use serde_json::{json, Value};
use testkit::browser::Browser;
use testkit::pages::{BrowserPeer, PEER_PAGE};
use testkit::signal::relay_while;

use crate::{server_with_pages, LIMIT};

/// Runs Chromium (offerer) against Firefox (answerer) with these setups and
/// returns both reports.
async fn chromium_and_firefox(offerer: Value, answerer: Value) -> (Value, Value) {
    let server = server_with_pages().await;
    let chromium_page = server.peer("chromium");
    let firefox_page = server.peer("firefox");
    chromium_page.send(json!({ "setup": offerer }));
    firefox_page.send(json!({ "setup": answerer }));

    let chromium = Browser::Chromium
        .launch(&chromium_page.url(PEER_PAGE))
        .unwrap();
    let firefox = Browser::Firefox
        .launch(&firefox_page.url(PEER_PAGE))
        .unwrap();
    let (a, b) = relay_while(&chromium_page, &firefox_page, async {
        tokio::join!(
            chromium.wait_result(&chromium_page, LIMIT),
            firefox.wait_result(&firefox_page, LIMIT)
        )
    })
    .await;
    chromium.stop();
    firefox.stop();
    (a.unwrap(), b.unwrap())
}

fn texts(report: &Value) -> Vec<String> {
    report["received"]["chat"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn chromium_offers_firefox_answers_through_the_relay() {
    testkit::isolate!();
    let (offerer, answerer) = chromium_and_firefox(
        json!({"role": "offerer", "greet": "hi", "echo": false, "expect": 2}),
        json!({"role": "answerer", "greet": "hey", "echo": true, "expect": 1}),
    )
    .await;
    assert!(
        offerer["ua"].as_str().unwrap().contains("Chrome"),
        "{offerer}"
    );
    assert!(
        answerer["ua"].as_str().unwrap().contains("Firefox"),
        "{answerer}"
    );
    // Firefox got Chromium's greeting: the offer and candidates crossed one way.
    let to_firefox = texts(&answerer);
    assert_eq!(to_firefox.len(), 1, "{answerer}");
    assert!(to_firefox[0].starts_with("hi | from") && to_firefox[0].contains("Chrome"));
    // Chromium got Firefox's greeting and its echo: the answer and candidates
    // crossed the other way.
    let mut to_chromium = texts(&offerer);
    to_chromium.sort();
    assert_eq!(to_chromium.len(), 2, "{offerer}");
    assert!(to_chromium[0].starts_with("hey | from") && to_chromium[0].contains("Firefox"));
    assert_eq!(
        to_chromium[1], to_firefox[0],
        "the echo is Chromium's own greeting"
    );
    assert_eq!(offerer["connectionState"], "connected");
}

/// Firefox offers, Chromium answers, both sending fake camera and microphone:
/// the standard page's media path, through two `BrowserPeer`s.
#[tokio::test]
async fn firefox_and_chromium_exchange_fake_media() {
    testkit::isolate!();
    let media = json!({"audio": true, "video": true});
    let firefox = BrowserPeer::launch(
        Browser::Firefox,
        json!({"role": "offerer", "media": media, "greet": "m", "echo": false, "expect": 1}),
    )
    .await
    .unwrap();
    let chromium = BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "answerer", "media": media, "echo": true, "expect": 1}),
    )
    .await
    .unwrap();
    let (offerer, answerer) = relay_while(&firefox, &chromium, async {
        tokio::join!(firefox.report(LIMIT), chromium.report(LIMIT))
    })
    .await;
    let (offerer, answerer) = (offerer.unwrap(), answerer.unwrap());
    assert!(
        offerer["ua"].as_str().unwrap().contains("Firefox"),
        "{offerer}"
    );
    for report in [&offerer, &answerer] {
        let inbound = report["inbound"].as_array().unwrap();
        let video = inbound
            .iter()
            .find(|s| s["kind"] == "video")
            .expect("inbound video");
        assert!(video["framesDecoded"].as_u64().unwrap() > 0, "{report}");
        assert!(video["frameWidth"].as_u64().unwrap() > 0, "{report}");
        assert!(
            video["codec"].as_str().unwrap().starts_with("video/"),
            "{report}"
        );
        let audio = inbound
            .iter()
            .find(|s| s["kind"] == "audio")
            .expect("inbound audio");
        assert!(audio["packetsReceived"].as_u64().unwrap() > 0, "{report}");
        // (A page finishes once it receives; its own sending may still be
        // starting, so only the presence of the outbound streams is checked.)
        let outbound = report["outbound"].as_array().unwrap();
        assert!(outbound.iter().any(|s| s["kind"] == "video"), "{report}");
        assert!(outbound.iter().any(|s| s["kind"] == "audio"), "{report}");
        let channels = report["dataChannels"].as_array().unwrap();
        assert!(
            channels
                .iter()
                .any(|c| c["label"] == "chat" && c["messagesReceived"].as_u64() >= Some(1)),
            "{report}"
        );
    }
}
