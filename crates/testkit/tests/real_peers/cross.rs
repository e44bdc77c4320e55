//! (c) Chromium <-> Firefox, each in its own page, signaled through the test's
//! relay: proves the relay carries messages both ways.

use serde_json::json;
use testkit::browser::Browser;
use testkit::signal::relay_while;

use crate::{server_with_pages, LIMIT};

#[tokio::test]
async fn chromium_offers_firefox_answers_through_the_relay() {
    testkit::isolate!();
    let server = server_with_pages().await;
    let chromium_page = server.peer("chromium");
    let firefox_page = server.peer("firefox");
    chromium_page.send(json!({"role": "offerer"}));
    firefox_page.send(json!({"role": "answerer"}));

    let mut chromium = Browser::Chromium
        .launch(&chromium_page.url("peer.html"))
        .unwrap();
    let mut firefox = Browser::Firefox
        .launch(&firefox_page.url("peer.html"))
        .unwrap();
    let (offerer, answerer) = relay_while(&chromium_page, &firefox_page, async {
        tokio::join!(
            chromium.wait_result(&chromium_page, LIMIT),
            firefox.wait_result(&firefox_page, LIMIT)
        )
    })
    .await;
    chromium.stop();
    firefox.stop();
    let (offerer, answerer) = (offerer.unwrap(), answerer.unwrap());

    // Firefox received Chromium's message (offer and candidates went one way)
    // and Chromium received Firefox's echo of it (answer and candidates went
    // the other way).
    let to_firefox = answerer["received"].as_str().unwrap();
    assert!(
        to_firefox.starts_with("from ") && to_firefox.contains("Chrome"),
        "{answerer}"
    );
    assert!(
        answerer["ua"].as_str().unwrap().contains("Firefox"),
        "{answerer}"
    );
    let to_chromium = offerer["received"].as_str().unwrap();
    assert!(
        to_chromium.starts_with(&format!("echo: {to_firefox}")),
        "{offerer}"
    );
    assert!(to_chromium.contains("Firefox"), "{offerer}");
}
