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
