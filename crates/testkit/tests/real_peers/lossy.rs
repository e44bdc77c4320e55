//! The lossy path between real peers: Chromium and Firefox connect and
//! exchange data-channel messages with every datagram going through it.

use std::time::Duration;

use serde_json::json;
use testkit::browser::Browser;
use testkit::lossy::{Impairment, LossyPath};
use testkit::pages::BrowserPeer;

use crate::LIMIT;

#[tokio::test]
async fn chromium_and_firefox_through_a_lossy_path() {
    testkit::isolate!();
    let path = LossyPath::new(Impairment {
        loss: 0.10,
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(10),
        seed: 42,
    });
    let chromium = BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "offerer", "greet": "hi", "echo": false, "expect": 2}),
    )
    .await
    .unwrap();
    let firefox = BrowserPeer::launch(
        Browser::Firefox,
        json!({"role": "answerer", "greet": "hey", "echo": true, "expect": 1}),
    )
    .await
    .unwrap();
    let (offerer, answerer) = path
        .relay_while(&chromium, &firefox, async {
            tokio::join!(chromium.report(LIMIT), firefox.report(LIMIT))
        })
        .await;
    let (offerer, answerer) = (offerer.unwrap(), answerer.unwrap());
    let stats = path.stats();
    println!("lossy path: {stats:?}");
    assert_eq!(
        offerer["received"]["chat"].as_array().unwrap().len(),
        2,
        "{offerer}"
    );
    assert_eq!(
        answerer["received"]["chat"].as_array().unwrap().len(),
        1,
        "{answerer}"
    );
    assert!(stats.candidates_rewritten > 0, "{stats:?}");
    // Every candidate either side saw was a listener's: the data crossed the path.
    assert!(stats.forwarded > 0, "{stats:?}");
    let remote = &offerer["pair"]["remote"];
    assert!(
        remote["candidateType"] == "host" || remote["candidateType"] == "prflx",
        "{offerer}"
    );
}
