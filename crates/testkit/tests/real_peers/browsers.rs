//! (a) and (b): one browser, two peer connections in one page, a data channel.

use serde_json::json;
use testkit::browser::{Browser, LaunchOptions};

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

/// The host addresses `browser` gathers, with or without mDNS names.
async fn host_addresses(browser: Browser, mdns: bool) -> Vec<String> {
    let server = server_with_pages().await;
    let page = server.peer("gather");
    let options = LaunchOptions {
        mdns,
        ..Default::default()
    };
    let result = browser
        .run_page_with(&page, "gather.html", LIMIT, &options)
        .await
        .unwrap();
    let hosts: Vec<String> = serde_json::from_value(result["hosts"].clone()).unwrap();
    assert!(
        !hosts.is_empty(),
        "{browser:?} gathered no host candidate: {result}"
    );
    hosts
}

/// By default the browsers offer real addresses (loopback or the veth
/// address); with `mdns` they offer only `.local` names.
#[tokio::test]
async fn chromium_host_candidates_with_and_without_mdns() {
    testkit::isolate!();
    let plain = host_addresses(Browser::Chromium, false).await;
    assert!(plain.iter().all(|a| !a.ends_with(".local")), "{plain:?}");
    assert!(
        plain
            .iter()
            .any(|a| a == "127.0.0.1" || a == testkit::netns::HOST_ADDR),
        "{plain:?}"
    );
    let mdns = host_addresses(Browser::Chromium, true).await;
    assert!(mdns.iter().all(|a| a.ends_with(".local")), "{mdns:?}");
}

#[tokio::test]
async fn firefox_host_candidates_with_and_without_mdns() {
    testkit::isolate!();
    let plain = host_addresses(Browser::Firefox, false).await;
    assert!(
        plain.contains(&testkit::netns::HOST_ADDR.to_string()),
        "{plain:?}"
    );
    let mdns = host_addresses(Browser::Firefox, true).await;
    assert!(mdns.iter().all(|a| a.ends_with(".local")), "{mdns:?}");
}
