//! (a) and (b): one browser, two peer connections in one page, a data channel.

use serde_json::json;
use testkit::browser::Browser;

use crate::{server_with_pages, LIMIT};

/// Runs the two-PC page in `browser` and checks its report.
async fn two_pcs_connect(browser: Browser, ua_marker: &str) {
    let server = server_with_pages().await;
    let page = server.peer("solo");
    page.send(json!({}));
    let result = browser
        .run_page(&page, "two_pcs.html", LIMIT)
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    let ua = result["ua"].as_str().unwrap_or_default();
    assert!(ua.contains(ua_marker), "ran {ua:?}, wanted {ua_marker}");
    assert!(
        result["text"]
            .as_str()
            .unwrap_or_default()
            .contains(ua_marker),
        "{result}"
    );
    // The pair is a host pair inside the namespace.
    assert_eq!(result["pair"]["local"]["candidateType"], "host", "{result}");
}

#[tokio::test]
async fn chromium_two_pcs_data_channel() {
    testkit::isolate!();
    two_pcs_connect(Browser::Chromium, "Chrome").await;
}

#[tokio::test]
async fn firefox_two_pcs_data_channel() {
    testkit::isolate!();
    two_pcs_connect(Browser::Firefox, "Firefox").await;
}
