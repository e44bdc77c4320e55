//! The `rtcpeer` command on loopback only (the network rule): `loopback`,
//! `demo`, and `echo-client` against `echo-server`.

mod common;

use std::time::Duration;

use common::{run, EchoServer};

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_prints_offer_states_round_trip_and_throughput() {
    let (code, out, err) = run(&["loopback", "--megabytes", "2"], LIMIT).await;
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("--- offer ---\nv=0\r\n"), "{out}");
    assert!(
        out.contains("m=application "),
        "the offer is printed: {out}"
    );
    for who in ["alice", "bob"] {
        assert!(
            out.contains(&format!("[{who}] connectionstatechange: connected")),
            "{out}"
        );
        assert!(
            out.contains(&format!("[{who}] iceconnectionstatechange: checking")),
            "{out}"
        );
    }
    assert!(out.contains("round trip: \"ping\" came back"), "{out}");
    assert!(out.contains("throughput: 2000000 bytes in"), "{out}");
    assert!(out.trim_end().ends_with("done"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_still_runs() {
    let (code, out, err) = run(&["demo"], LIMIT).await;
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("--- answer ---"), "{out}");
    assert!(out.contains("round trip"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_client_passes_against_our_echo_server() {
    let server = EchoServer::start("loopback").await;
    let url = server.offer_url();
    for test in ["0", "1"] {
        let (code, out, err) = run(&["echo-client", "--server", &url, "--test", test], LIMIT).await;
        assert_eq!(code, 0, "test {test}\nstdout:\n{out}\nstderr:\n{err}");
        assert!(out.contains(&format!("test {test} passed")), "{out}");
    }
    // A bare address gets /offer added.
    let (code, out, err) = run(
        &["echo-client", "--server", &server.base, "--test", "1"],
        LIMIT,
    )
    .await;
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    // Media echo needs frames to send.
    let (code, _, err) = run(&["echo-client", "--server", &url, "--test", "2"], LIMIT).await;
    assert_eq!(code, 1);
    assert!(err.contains("needs --video"), "{err}");
    // With 1 s of VP8 made here, 30 frames come back, each one we sent.
    let dir = tempfile::tempdir().unwrap();
    let video = common::vp8_ivf(dir.path());
    let args = [
        "echo-client",
        "--server",
        &url,
        "--test",
        "2",
        "--video",
        &video,
    ];
    let (code, out, err) = run(&args, LIMIT).await;
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("media echo: 30 video frames came back (30 identical"),
        "{out}"
    );
    assert!(out.contains("test 2 passed"), "{out}");
    // Four clients connected, each freed once it left; two (test 1) echoed
    // a text and a binary message each, one (test 2) had its video reflected.
    let stats = server.wait_all_closed(4, Duration::from_secs(30)).await;
    assert_eq!(stats["offers"], 4, "{stats}");
    assert_eq!(stats["echoed"], 4, "{stats}");
    assert!(stats["reflected"].as_u64().unwrap() >= 30, "{stats}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_server_serves_many_clients_at_once_and_refuses_junk() {
    let server = EchoServer::start("loopback").await;
    let url = server.offer_url();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                run(&["echo-client", "--server", &url, "--test", "1"], LIMIT).await
            })
        })
        .collect();
    for c in clients {
        let (code, out, err) = c.await.unwrap();
        assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    }
    let stats = server.wait_all_closed(4, Duration::from_secs(30)).await;
    assert_eq!(stats["echoed"], 8, "{stats}");
    // The demo page is served.
    let page = common::get(&server.base).await;
    assert!(page.contains("createDataChannel"), "{page}");
    // Junk and answers are refused with 400 and change nothing.
    let (status, _) = common::request("POST", &url, "junk").await;
    assert_eq!(status, 400);
    let (status, body) = common::request("POST", &url, r#"{"type":"answer","sdp":""}"#).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = common::request("POST", &url, r#"{"type":"offer","sdp":"v=0"}"#).await;
    assert_eq!(status, 400);
    // A client with no server to talk to fails with 1.
    let (code, _, err) = run(
        &[
            "echo-client",
            "--server",
            "http://127.0.0.1:9/offer",
            "--test",
            "1",
            "--timeout",
            "5",
        ],
        LIMIT,
    )
    .await;
    assert_eq!(code, 1, "no server there: {err}");
    let stats = server.stats().await;
    assert_eq!(stats["active"], 0, "{stats}");
    server.stop().await;
}
