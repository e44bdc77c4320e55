//! (e) coturn: two Chromium peer connections restricted to relay candidates
//! connect through the test's TURN server, proving its credentials work.

use serde_json::json;
use testkit::browser::{Browser, LaunchOptions};
use testkit::coturn::TurnServer;

use crate::{server_with_pages, LIMIT};

/// Connects the two-PC page with only `url` as ICE server, relay-only, and
/// returns the local candidate of the selected pair.
async fn relay_only(turn: &TurnServer, url: String) -> serde_json::Value {
    let server = server_with_pages().await;
    let page = server.peer("turn");
    page.send(json!({
        "iceServers": [turn.ice_server(&[url])],
        "iceTransportPolicy": "relay",
    }));
    let result = Browser::Chromium
        .run_page_with(
            &page,
            "two_pcs.html",
            LIMIT,
            &LaunchOptions::with_args(turn.chromium_trust_args()),
        )
        .await
        .unwrap();
    assert_eq!(result["ok"], true, "{result}");
    result["pair"]["local"].clone()
}

#[tokio::test]
async fn chromium_connects_through_coturn_udp() {
    testkit::isolate!();
    let turn = TurnServer::start().await.unwrap();
    let local = relay_only(&turn, turn.udp_url()).await;
    assert_eq!(local["candidateType"], "relay", "{local}");
    assert_eq!(local["relayProtocol"], "udp", "{local}");
}

#[tokio::test]
async fn chromium_connects_through_coturn_tcp() {
    testkit::isolate!();
    let turn = TurnServer::start().await.unwrap();
    let local = relay_only(&turn, turn.tcp_url()).await;
    assert_eq!(local["candidateType"], "relay", "{local}");
    assert_eq!(local["relayProtocol"], "tcp", "{local}");
}

#[tokio::test]
async fn chromium_connects_through_coturn_tls() {
    testkit::isolate!();
    let turn = TurnServer::start_tls().await.unwrap();
    let local = relay_only(&turn, turn.tls_url().unwrap()).await;
    assert_eq!(local["candidateType"], "relay", "{local}");
    assert_eq!(local["relayProtocol"], "tls", "{local}");
}

/// Wrong credentials must not connect: proves the server checks them.
#[tokio::test]
async fn wrong_turn_password_does_not_connect() {
    testkit::isolate!();
    let turn = TurnServer::start().await.unwrap();
    let server = server_with_pages().await;
    let page = server.peer("turn");
    page.send(json!({
        "iceServers": [{"urls": [turn.udp_url()], "username": "test", "credential": "wrong"}],
        "iceTransportPolicy": "relay",
    }));
    let err = Browser::Chromium
        .run_page(&page, "two_pcs.html", std::time::Duration::from_secs(15))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("timed out"), "{err}");
}
