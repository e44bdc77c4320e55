//! The signaling server's HTTP routes, exercised with raw HTTP/1.1 on
//! loopback (no browser).

use std::time::Duration;

use serde_json::{json, Value};
use testkit::http::{Outcome, SignalingServer, PAGE_HELPER_JS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request with `Connection: close`; returns (status, body).
async fn request(server: &SignalingServer, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn routes_serve_pages_relay_signaling_and_collect_results() {
    let server = SignalingServer::start().await.unwrap();
    server.add_page("x.html", "<p>page-x</p>");
    let peer = server.peer("p1");

    let (status, body) = request(&server, "GET", "/x.html?peer=p1", "").await;
    assert_eq!((status, body.contains("page-x")), (200, true));
    let (status, body) = request(&server, "GET", "/testkit.js", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("signal") && PAGE_HELPER_JS.contains("done"));
    assert_eq!(request(&server, "GET", "/nope.html", "").await.0, 404);

    // page -> test
    let (status, _) = request(&server, "POST", "/signal/p1/to-test", r#"{"type":"offer"}"#).await;
    assert_eq!(status, 204);
    let got = peer.recv_timeout(Duration::from_secs(5)).await.unwrap();
    assert_eq!(got, json!({"type": "offer"}));

    // test -> page, in order
    peer.send(json!({"n": 1}));
    peer.send(json!({"n": 2}));
    for n in 1..=2 {
        let (status, body) = request(&server, "GET", "/signal/p1/from-test", "").await;
        assert_eq!(status, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"n": n})
        );
    }

    // console and result
    let (status, _) = request(
        &server,
        "POST",
        "/log/p1",
        r#"{"level":"warn","text":"hi"}"#,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(peer.console(), vec!["[warn] hi".to_string()]);
    assert_eq!(peer.outcome(), None);
    request(&server, "POST", "/result/p1", r#"{"done":{"ok":true}}"#).await;
    request(&server, "POST", "/result/p1", r#"{"fail":"late"}"#).await;
    assert_eq!(
        peer.wait_outcome().await,
        Outcome::Done(json!({"ok": true}))
    );

    // after the outcome, recv ends with an error carrying the console
    let err = peer.recv().await.unwrap_err().to_string();
    assert!(err.contains("[warn] hi"), "{err}");

    // malformed JSON is rejected, not a crash
    let (status, _) = request(&server, "POST", "/signal/p1/to-test", "{not json").await;
    assert!((400..500).contains(&status), "{status}");
}
