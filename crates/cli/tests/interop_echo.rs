//! The echo commands against real peers, each inside a private network
//! namespace (`testkit::isolate!()`): Chromium and Firefox pages and aiortc's
//! client drive `rtcpeer echo-server`; `rtcpeer echo-client` passes against
//! aiortc's echo server.

mod common;

use std::time::Duration;

use common::{run, EchoServer};
use serde_json::{json, Value};
use testkit::aiortc::AiortcPeer;
use testkit::browser::Browser;
use testkit::http::SignalingServer;

const LIMIT: Duration = Duration::from_secs(30);

/// A page following the echo convention as a browser client would: complete
/// offer, `POST /offer` (cross-origin: the echo server allows it), a text and
/// a binary message back on the same channel, its camera and microphone
/// reflected back (decoded frames counted by getStats), then it leaves.
const ECHO_CLIENT_PAGE: &str = r#"<!doctype html>
<script src="/testkit.js"></script>
<script>
run(async () => {
  const { url } = await signal.recv();
  const pc = new RTCPeerConnection();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  const dc = pc.createDataChannel("echo");
  dc.binaryType = "arraybuffer";
  const got = [];
  dc.onmessage = (e) => got.push(typeof e.data === "string" ? e.data : Array.from(new Uint8Array(e.data)));
  const opened = new Promise((r) => (dc.onopen = r));
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === "complete", "gathering", 10000);
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(pc.localDescription),
  });
  if (!r.ok) throw new Error("POST " + url + ": " + r.status + " " + (await r.text()));
  const answer = await r.json();
  await pc.setRemoteDescription(answer);
  await opened;
  dc.send("hello echo");
  dc.send(new Uint8Array([0, 1, 2, 254, 255]));
  await waitFor(() => got.length >= 2, "two echoes", 10000);
  const inbound = async () => {
    const out = {};
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") out[s.kind] = s;
    });
    return out;
  };
  const until = Date.now() + 20000;
  let i = await inbound();
  while (!(i.video && i.video.framesDecoded > 10 && i.audio && i.audio.packetsReceived > 10)) {
    if (Date.now() > until) throw new Error("no reflected audio and video: " + JSON.stringify(i));
    await sleep(200);
    i = await inbound();
  }
  const media = {
    framesDecoded: i.video.framesDecoded,
    frameWidth: i.video.frameWidth,
    audioPackets: i.audio.packetsReceived,
  };
  const state = pc.connectionState;
  const candidates = answer.sdp.split("\r\n").filter((l) => l.startsWith("a=candidate:")).length;
  dc.close();
  await sleep(300);
  pc.close();
  return { got, state, candidates, answerType: answer.type, media };
});
</script>
"#;

async fn browser_drives_echo_server(browser: Browser) {
    let server = EchoServer::start("all").await;
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("echo-client.html", ECHO_CLIENT_PAGE);
    let page = signaling.peer("client");
    page.send(json!({ "url": server.offer_url() }));
    let result = browser
        .run_page(&page, "echo-client.html", LIMIT)
        .await
        .unwrap_or_else(|e| panic!("{} drives the echo server: {e}", browser.name()));
    assert_eq!(result["answerType"], "answer", "{result}");
    assert!(
        result["candidates"].as_u64().unwrap_or(0) > 0,
        "non-trickle answer: {result}"
    );
    assert_eq!(result["state"], "connected", "{result}");
    assert_eq!(result["got"], json!(["hello echo", [0, 1, 2, 254, 255]]));
    // Its own camera came back: decoded frames of the fake device's size.
    assert!(
        result["media"]["framesDecoded"].as_u64().unwrap_or(0) > 10,
        "{result}"
    );
    assert!(
        result["media"]["frameWidth"].as_u64().unwrap_or(0) > 0,
        "{result}"
    );
    assert!(
        result["media"]["audioPackets"].as_u64().unwrap_or(0) > 10,
        "{result}"
    );
    // The browser left: the server freed its connection.
    let stats = server.wait_all_closed(1, LIMIT).await;
    assert_eq!(stats["echoed"], 2, "{stats}");
    assert!(stats["reflected"].as_u64().unwrap_or(0) > 20, "{stats}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_page_drives_our_echo_server() {
    testkit::isolate!();
    browser_drives_echo_server(Browser::Chromium).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_page_drives_our_echo_server() {
    testkit::isolate!();
    browser_drives_echo_server(Browser::Firefox).await;
}

/// aiortc as an echo client: complete offer, POST, echoes of a text and a
/// binary message.
const AIORTC_CLIENT_PY: &str = r#"
import urllib.request

from peer_common import *


async def main():
    url = (await recv())["url"]
    pc = peer_connection()
    channel = pc.createDataChannel("echo")
    got = []
    opened = asyncio.Event()
    two = asyncio.Event()
    channel.on("open", lambda: opened.set())

    @channel.on("message")
    def on_message(m):
        got.append(m if isinstance(m, str) else list(m))
        if len(got) >= 2:
            two.set()

    await pc.setLocalDescription(await pc.createOffer())  # gathers completely
    body = json.dumps(description_json(pc.localDescription)).encode()

    def post():
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=20) as r:
            return json.loads(r.read())

    answer = await asyncio.get_running_loop().run_in_executor(None, post)
    await pc.setRemoteDescription(description_from_json(answer))
    await asyncio.wait_for(opened.wait(), 20)
    channel.send("hello from aiortc")
    channel.send(bytes([9, 8, 7]))
    await asyncio.wait_for(two.wait(), 20)
    state = pc.connectionState
    await pc.close()
    return {"got": got, "state": state}


run(main, timeout=60)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aiortc_client_drives_our_echo_server() {
    testkit::isolate!();
    let server = EchoServer::start("loopback").await;
    let client = AiortcPeer::spawn(AIORTC_CLIENT_PY)
        .await
        .expect("aiortc runs (scripts/install-peers installs it)");
    client
        .send(json!({ "url": server.offer_url() }))
        .await
        .unwrap();
    let result: Value = client
        .wait_result(LIMIT)
        .await
        .unwrap_or_else(|e| panic!("aiortc drives the echo server: {e}"));
    assert_eq!(result["state"], "connected", "{result}");
    assert_eq!(result["got"], json!(["hello from aiortc", [9, 8, 7]]));
    let stats = server.wait_all_closed(1, LIMIT).await;
    assert_eq!(stats["echoed"], 2, "{stats}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_echo_client_passes_against_aiortc_echo_server() {
    testkit::isolate!();
    let (aiortc, url) = AiortcPeer::echo_server()
        .await
        .expect("aiortc runs (scripts/install-peers installs it)");
    let dir = tempfile::tempdir().unwrap();
    let video = common::vp8_ivf(dir.path());
    for test in ["0", "1", "2"] {
        let args = [
            "echo-client",
            "--server",
            &url,
            "--test",
            test,
            "--video",
            &video,
        ];
        let (code, out, err) = run(&args, LIMIT).await;
        assert_eq!(code, 0, "test {test}\nstdout:\n{out}\nstderr:\n{err}");
        assert!(out.contains(&format!("test {test} passed")), "{out}");
        if test == "2" {
            // aiortc decodes and re-encodes: frames come back, not ours.
            assert!(
                out.contains("media echo: 30 video frames came back"),
                "{out}"
            );
        }
    }
    aiortc.finish().await.unwrap();
    let report = aiortc.wait_result(LIMIT).await.unwrap();
    assert_eq!(report["offers"], 3, "{report}");
    assert_eq!(report["echoed"], 2, "text and binary of test 1: {report}");
}

/// Checks the demo page (`GET /`, unchanged, with the server's address set
/// and the testkit helper added) in Chromium: its camera comes back and
/// plays, each graph has points from both sides and drew them, and the chat
/// echoes.
const DEMO_CHECK: &str = r#"<script>
run(async () => {
  const e = window.echo;
  const v = document.getElementById("reflected");
  const positive = (k) => (e.series[k] || []).filter((x) => x > 0).length;
  const keys = ["browserOut", "browserIn", "browserDecoded", "browserEncoded",
                "serverOut", "serverIn", "serverReflected"];
  await waitFor(() => !document.getElementById("text").disabled, "the chat opens", 20000);
  document.getElementById("text").value = "hello demo";
  document.getElementById("form").requestSubmit();
  const until = Date.now() + 25000;
  while (!(v.videoWidth > 0 && v.currentTime > 1 && !v.paused && keys.every((k) => positive(k) >= 5)
           && e.received.includes("hello demo"))) {
    if (e.error) throw new Error(e.error);
    if (Date.now() > until) {
      throw new Error("the demo is not there: " + JSON.stringify({ series: e.series, received: e.received,
        video: [v.videoWidth, v.currentTime, v.paused], state: e.state }));
    }
    await sleep(250);
  }
  // Pixels the lines drew below each graph's title and legend (from y = 36;
  // the plot starts at 40).
  const drawn = {};
  for (const id of ["bitrate", "rtt", "frames"]) {
    const c = document.getElementById(id);
    const d = c.getContext("2d").getImageData(0, 36, c.width, c.height - 36).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) n++;
    drawn[id] = n;
  }
  // What a video element shows: a frame copied to a canvas; the fake
  // camera's pattern has several colours, a blank frame one.
  const colours = (el) => {
    const shot = document.createElement("canvas");
    [shot.width, shot.height] = [el.videoWidth, el.videoHeight];
    const c = shot.getContext("2d");
    c.drawImage(el, 0, 0);
    const px = c.getImageData(0, 0, shot.width, shot.height).data;
    const seen = new Set();
    for (let i = 0; i < px.length; i += 4 * 7) seen.add((px[i] >> 3) << 10 | (px[i + 1] >> 3) << 5 | (px[i + 2] >> 3));
    return seen.size;
  };
  const points = Object.fromEntries(Object.entries(e.series).map(([k, s]) => [k, s.length]));
  const positives = Object.fromEntries(keys.map((k) => [k, positive(k)]));
  const local = document.getElementById("local");
  return { peer: e.peer, state: e.state, received: e.received, drawn, points, positives,
    last: Object.fromEntries(Object.entries(e.series).map(([k, s]) => [k, Math.round(s[s.length - 1])])),
    video: { width: v.videoWidth, height: v.videoHeight, localWidth: local.videoWidth, colours: colours(v), localColours: colours(local),
             localHeight: local.videoHeight, playing: !v.paused } };
});
</script>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_demo_page_reflects_the_camera_and_graphs_both_sides() {
    testkit::isolate!();
    let server = EchoServer::start("all").await;
    let demo = common::get(&format!("{}/", server.base)).await;
    let page = demo
        .replacen(
            "<head>",
            &format!(
                "<head><script src=\"/testkit.js\"></script>\
                 <script>window.ECHO_SERVER = \"{}/\";</script>",
                server.base
            ),
            1,
        )
        .replacen("</body>", &format!("{DEMO_CHECK}</body>"), 1);
    assert_ne!(page, demo);
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("demo.html", &page);
    let peer = signaling.peer("demo");
    // The only client is peer 1: keep its last server-side stats while the page runs.
    let url = format!("{}/peer/1/stats", server.base);
    let last_stats = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let poller = {
        let last = last_stats.clone();
        tokio::spawn(async move {
            loop {
                let (status, body) = common::request("GET", &url, "").await;
                if status == 200 {
                    *last.lock().unwrap() = Some(body);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    let report = Browser::Chromium
        .run_page(&peer, "demo.html", LIMIT)
        .await
        .unwrap_or_else(|e| panic!("the demo page in Chromium: {e}"));
    eprintln!("demo: {report}");
    assert_eq!(report["state"], "connected", "{report}");
    assert_eq!(report["received"], json!(["hello demo"]), "{report}");
    // The reflected video plays at the camera's size.
    assert!(report["video"]["width"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(
        report["video"]["width"], report["video"]["localWidth"],
        "{report}"
    );
    assert_eq!(
        report["video"]["height"], report["video"]["localHeight"],
        "{report}"
    );
    let colours = report["video"]["colours"].as_u64().unwrap();
    let local = report["video"]["localColours"].as_u64().unwrap();
    assert!(
        colours > 4 && colours * 2 >= local,
        "a picture like the camera's, not a blank: {report}"
    );
    // Every graph drew lines.
    for graph in ["bitrate", "rtt", "frames"] {
        assert!(
            report["drawn"][graph].as_u64().unwrap() > 20,
            "{graph}: {report}"
        );
    }
    // The server's side came from its stats endpoint for this peer.
    assert_eq!(report["peer"], "1", "the answer named the peer: {report}");
    assert!(
        report["positives"]["serverReflected"].as_u64().unwrap() >= 3,
        "{report}"
    );
    poller.abort();
    let stats = last_stats
        .lock()
        .unwrap()
        .clone()
        .expect("GET /peer/1/stats answered");
    let stats: Value = serde_json::from_str(&stats).unwrap_or_else(|e| panic!("peer stats: {e}"));
    let types: Vec<&str> = stats["report"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["type"].as_str())
        .collect();
    assert!(types.contains(&"transport"), "{types:?}");
    assert!(
        stats["reflected"]["video"].as_u64().unwrap() > 30,
        "{stats}"
    );
    server.stop().await;
}
