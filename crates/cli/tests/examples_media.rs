//! The media examples against Chromium, each inside a private network
//! namespace (`testkit::isolate!()`): the example's HTTP side runs in this
//! process, a page in Chromium POSTs its complete offer to it (the same
//! exchange as the example's own page) and reports what its getStats saw.
// Each example includes `examples/util` itself, as a standalone program does.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/broadcast.rs"]
mod broadcast;
#[path = "../examples/ice_restart.rs"]
mod ice_restart;
#[path = "../examples/play_from_disk.rs"]
mod play_from_disk;
#[path = "../examples/reflect.rs"]
mod reflect;
#[path = "../examples/save_to_disk.rs"]
mod save_to_disk;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::browser::Browser;
use testkit::http::SignalingServer;

const LIMIT: Duration = Duration::from_secs(40);

/// A browser client of one example. Setup `{url, camera: "sendrecv" |
/// "sendonly" | null, recvonly: [kinds], want: {frames, audio}, hold}`:
/// sends its fake camera and microphone (320x240) with the given
/// direction, adds receive-only transceivers, offers (complete) to `url`,
/// waits until its inbound stats show `want.frames` decoded video frames
/// and `want.audio` audio packets, then (with `hold`) keeps sending until
/// the test says so; reports its inbound stats.
const CLIENT_PAGE: &str = r#"<!doctype html>
<script src="/testkit.js"></script>
<script>
run(async () => {
  const cfg = await signal.recv();
  const pc = new RTCPeerConnection();
  if (cfg.camera) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true, video: { width: { exact: 320 }, height: { exact: 240 }, frameRate: 30 } });
    for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: cfg.camera, streams: [stream] });
  }
  for (const k of cfg.recvonly || []) pc.addTransceiver(k, { direction: "recvonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === "complete", "gathering", 10000);
  const r = await fetch(cfg.url, { method: "POST", body: JSON.stringify(pc.localDescription) });
  if (!r.ok) throw new Error("POST " + cfg.url + ": " + r.status + " " + (await r.text()));
  await pc.setRemoteDescription(await r.json());
  await waitFor(() => pc.connectionState === "connected", "connected", 20000);
  log("connected");
  const inbound = async () => {
    const out = {};
    (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp") out[s.kind] = s; });
    return out;
  };
  const want = cfg.want || {};
  const until = Date.now() + 25000;
  let i = await inbound();
  while (((i.video && i.video.framesDecoded) || 0) < (want.frames || 0)
      || ((i.audio && i.audio.packetsReceived) || 0) < (want.audio || 0)) {
    if (Date.now() > until) throw new Error("not enough media: " + JSON.stringify(i));
    await sleep(200);
    i = await inbound();
  }
  if (cfg.hold) {
    signal.send({ sending: true });
    await signal.recv();
  }
  const pick = (s) => s && { framesDecoded: s.framesDecoded, frameWidth: s.frameWidth,
    frameHeight: s.frameHeight, packetsReceived: s.packetsReceived };
  const state = pc.connectionState;
  pc.close();
  return { state, video: pick(i.video), audio: pick(i.audio) };
});
</script>
"#;

/// Serves `router` (and `page`) on a free port of 127.0.0.1; the base URL.
async fn serve(page: &'static str, router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = router.route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Opens the client page in Chromium with `setup`; returns its report.
async fn chromium_client(setup: Value) -> Value {
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("client.html", CLIENT_PAGE);
    let page = signaling.peer("client");
    page.send(setup);
    Browser::Chromium
        .run_page(&page, "client.html", LIMIT)
        .await
        .unwrap_or_else(|e| panic!("the Chromium client: {e}"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("ffmpeg/ffprobe run (scripts/install-peers installs them)");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflect_example_sends_chromiums_camera_back() {
    testkit::isolate!();
    let base = serve(reflect::PAGE, reflect::router()).await;
    let report = chromium_client(json!({
        "url": format!("{base}/offer"),
        "camera": "sendrecv",
        "want": {"frames": 30, "audio": 30},
    }))
    .await;
    eprintln!("report: {report}");
    assert_eq!(report["state"], "connected", "{report}");
    // Its own 320x240 camera came back and decoded.
    assert!(
        report["video"]["framesDecoded"].as_u64().unwrap() >= 30,
        "{report}"
    );
    assert_eq!(report["video"]["frameWidth"], 320, "{report}");
    assert_eq!(report["video"]["frameHeight"], 240, "{report}");
    assert!(
        report["audio"]["packetsReceived"].as_u64().unwrap() >= 30,
        "{report}"
    );
}

/// 3 s of testsrc (VP8, 320x240, 30 fps) and of a 440 Hz sine (Opus).
fn make_media(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (video, audio) = (dir.join("video.ivf"), dir.join("audio.ogg"));
    run(Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=30",
        ])
        .args([
            "-t",
            "3",
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-b:v",
            "400k",
        ])
        .args(["-g", "30", "-auto-alt-ref", "0"])
        .arg(&video));
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi"])
        .args(["-i", "sine=frequency=440:duration=3:sample_rate=48000"])
        .args(["-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20"])
        .arg(&audio));
    (video, audio)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_from_disk_example_plays_files_to_chromium() {
    testkit::isolate!();
    let dir = tempfile::tempdir().unwrap();
    let (video, audio) = make_media(dir.path());
    let media = play_from_disk::Media::load(&video, &audio).unwrap();
    assert_eq!(media.video.len(), 90, "3 s at 30 fps");
    assert!(
        media.audio.len() >= 149,
        "3 s of 20 ms packets: {}",
        media.audio.len()
    );
    let base = serve(
        play_from_disk::PAGE,
        play_from_disk::router(Arc::new(media)),
    )
    .await;
    // 120 frames: more than the file holds, so the loop must have restarted.
    let report = chromium_client(json!({
        "url": format!("{base}/offer"),
        "recvonly": ["video", "audio"],
        "want": {"frames": 120, "audio": 50},
    }))
    .await;
    eprintln!("report: {report}");
    assert_eq!(report["state"], "connected", "{report}");
    assert!(
        report["video"]["framesDecoded"].as_u64().unwrap() >= 120,
        "{report}"
    );
    assert_eq!(report["video"]["frameWidth"], 320, "{report}");
    assert_eq!(report["video"]["frameHeight"], 240, "{report}");
    assert!(
        report["audio"]["packetsReceived"].as_u64().unwrap() >= 50,
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_to_disk_example_records_chromium_to_ivf_and_ogg() {
    testkit::isolate!();
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let length = Duration::from_secs(3);
    let router = save_to_disk::router(dir.path().to_path_buf(), length, tx);
    let base = serve(save_to_disk::PAGE, router).await;
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("client.html", CLIENT_PAGE);
    let page = signaling.peer("client");
    page.send(json!({"url": format!("{base}/offer"), "camera": "sendonly", "hold": true}));
    let browser = Browser::Chromium.launch(&page.url("client.html")).unwrap();
    // The page keeps sending until the recording is done.
    let saved = tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("the recording ends in time")
        .expect("a recording")
        .unwrap_or_else(|e| panic!("recording failed: {e}"));
    page.send(json!({"stop": true}));
    let report = browser.wait_result(&page, LIMIT).await.unwrap();
    assert_eq!(report["state"], "connected", "{report}");
    eprintln!("saved {saved:?}");
    let (video, frames) = saved.video.expect("a video file");
    let (audio, packets) = saved.audio.expect("an audio file");

    // ffprobe decodes every saved frame, all 320x240, spanning the length.
    let v: Value = serde_json::from_str(&run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["frame=pts_time,width,height", "-of", "json"])
        .arg(&video)))
    .unwrap();
    let decoded = v["frames"].as_array().unwrap();
    assert_eq!(decoded.len(), frames as usize, "every saved frame decodes");
    assert!(frames >= 30, "{frames} frames");
    assert!(
        decoded
            .iter()
            .all(|f| f["width"] == 320 && f["height"] == 240),
        "{v}"
    );
    let last = decoded
        .iter()
        .filter_map(|f| f["pts_time"].as_str()?.parse::<f64>().ok())
        .fold(0.0, f64::max);
    assert!(last >= 3.0, "the video spans {last} s");

    let a: Value = serde_json::from_str(&run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name:format=duration",
        ])
        .args(["-of", "json"])
        .arg(&audio)))
    .unwrap();
    assert_eq!(a["streams"][0]["codec_name"], "opus", "{a}");
    let secs: f64 = a["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!(secs >= 2.9, "audio lasts {secs} s ({packets} packets)");
}

/// One page, three connections: its camera published to `/publish`, then
/// two viewers on `/view`; each viewer must decode the broadcast.
const BROADCAST_PAGE: &str = r#"<!doctype html>
<script src="/testkit.js"></script>
<script>
run(async () => {
  const { base, viewers } = await signal.recv();
  const connect = async (pc, path) => {
    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(() => pc.iceGatheringState === "complete", "gathering", 10000);
    const r = await fetch(base + path, { method: "POST", body: JSON.stringify(pc.localDescription) });
    if (!r.ok) throw new Error("POST " + path + ": " + r.status + " " + (await r.text()));
    await pc.setRemoteDescription(await r.json());
    await waitFor(() => pc.connectionState === "connected", path + " connected", 20000);
  };
  const publisher = new RTCPeerConnection();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: 320 }, height: { exact: 240 }, frameRate: 30 } });
  publisher.addTransceiver(stream.getVideoTracks()[0], { direction: "sendonly" });
  await connect(publisher, "/publish");
  const watchers = [];
  for (let n = 0; n < viewers; n++) {
    const pc = new RTCPeerConnection();
    pc.addTransceiver("video", { direction: "recvonly" });
    await connect(pc, "/view");
    watchers.push(pc);
  }
  const video = async (pc) => {
    let v = {};
    (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") v = s; });
    return { framesDecoded: v.framesDecoded || 0, frameWidth: v.frameWidth, frameHeight: v.frameHeight };
  };
  const until = Date.now() + 25000;
  let seen = await Promise.all(watchers.map(video));
  while (seen.some((v) => v.framesDecoded < 30)) {
    if (Date.now() > until) throw new Error("viewers starve: " + JSON.stringify(seen));
    await sleep(200);
    seen = await Promise.all(watchers.map(video));
  }
  for (const pc of [publisher, ...watchers]) pc.close();
  return { viewers: seen };
});
</script>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_example_fans_one_camera_out_to_two_viewers() {
    testkit::isolate!();
    let b = broadcast::Broadcast::default();
    let base = serve(broadcast::PAGE, broadcast::router(b.clone())).await;
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("broadcast.html", BROADCAST_PAGE);
    let page = signaling.peer("broadcast");
    page.send(json!({"base": base, "viewers": 2}));
    let report = Browser::Chromium
        .run_page(&page, "broadcast.html", LIMIT)
        .await
        .unwrap_or_else(|e| panic!("the Chromium broadcast page: {e}"));
    eprintln!("report: {report}");
    let viewers = report["viewers"].as_array().unwrap();
    assert_eq!(viewers.len(), 2, "{report}");
    for v in viewers {
        assert!(v["framesDecoded"].as_u64().unwrap() >= 30, "{report}");
        assert_eq!(v["frameWidth"], 320, "{report}");
        assert_eq!(v["frameHeight"], 240, "{report}");
    }
    // Both viewers were served by the one broadcast.
    assert_eq!(b.served(), 2);
}

/// Connects with a data channel, gets an echo, restarts ICE (a new offer to
/// the same server), waits until its transport runs on the new local
/// credentials and gets another echo.
const ICE_RESTART_PAGE: &str = r#"<!doctype html>
<script src="/testkit.js"></script>
<script>
run(async () => {
  const { url } = await signal.recv();
  const ufrag = (sdp) => sdp.split("\r\n").find((l) => l.startsWith("a=ice-ufrag:")).slice(12);
  const pc = new RTCPeerConnection();
  const dc = pc.createDataChannel("chat");
  const got = [];
  dc.onmessage = (e) => got.push(e.data);
  const opened = new Promise((r) => (dc.onopen = r));
  const remote = [];
  const negotiate = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(() => pc.iceGatheringState === "complete", "gathering", 10000);
    const r = await fetch(url, { method: "POST", body: JSON.stringify(pc.localDescription) });
    if (!r.ok) throw new Error("POST: " + r.status + " " + (await r.text()));
    const answer = await r.json();
    remote.push(ufrag(answer.sdp));
    await pc.setRemoteDescription(answer);
  };
  const transport = async () => {
    let t = {};
    (await pc.getStats()).forEach((s) => { if (s.type === "transport") t = s; });
    return t;
  };
  await negotiate();
  await opened;
  const local = [ufrag(pc.localDescription.sdp)];
  dc.send("before");
  await waitFor(() => got.length >= 1, "the first echo", 10000);
  pc.restartIce();
  await negotiate();
  local.push(ufrag(pc.localDescription.sdp));
  const until = Date.now() + 20000;
  let t = await transport();
  while (!(t.iceLocalUsernameFragment === local[1] && t.iceState === "connected")) {
    if (Date.now() > until) throw new Error("the transport did not restart: " + JSON.stringify(t));
    await sleep(100);
    t = await transport();
  }
  dc.send("after");
  await waitFor(() => got.length >= 2, "the second echo", 10000);
  const state = pc.connectionState;
  pc.close();
  return { got, local, remote, state, transportUfrag: t.iceLocalUsernameFragment };
});
</script>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ice_restart_example_keeps_chromiums_channel_through_a_restart() {
    testkit::isolate!();
    let server = ice_restart::Server::default();
    let base = serve(ice_restart::PAGE, ice_restart::router(server.clone())).await;
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("restart.html", ICE_RESTART_PAGE);
    let page = signaling.peer("restart");
    page.send(json!({"url": format!("{base}/offer")}));
    let report = Browser::Chromium
        .run_page(&page, "restart.html", LIMIT)
        .await
        .unwrap_or_else(|e| panic!("the Chromium ICE restart page: {e}"));
    eprintln!("report: {report}");
    assert_eq!(report["state"], "connected", "{report}");
    let (local, remote) = (&report["local"], &report["remote"]);
    assert_ne!(
        local[0], local[1],
        "Chromium's credentials changed: {report}"
    );
    assert_ne!(remote[0], remote[1], "our credentials changed: {report}");
    assert_eq!(report["transportUfrag"], local[1], "{report}");
    // Each echo came from the credentials of its time.
    let r = |i: usize| remote[i].as_str().unwrap().to_string();
    assert_eq!(
        report["got"],
        json!([format!("{} before", r(0)), format!("{} after", r(1))])
    );
    assert_eq!(server.restarts(), 1);
}

/// An example's own page, served by the test's signaling server with the
/// example's address and the testkit helper added, and `check` (a script
/// that ends with `done`/`fail`) appended; the page's result.
async fn own_page(
    base: &str,
    page: &str,
    check: &str,
    during: impl std::future::Future<Output = ()>,
) -> Value {
    let html = page.replacen(
        "<!doctype html>",
        &format!(
            "<!doctype html><script src=\"/testkit.js\"></script>\
             <script>window.EXAMPLE_SERVER = \"{base}\";</script>"
        ),
        1,
    ) + check;
    let signaling = SignalingServer::start().await.unwrap();
    signaling.add_page("own.html", &html);
    let peer = signaling.peer("own");
    let browser = Browser::Chromium.launch(&peer.url("own.html")).unwrap();
    during.await;
    peer.send(json!({"go": true}));
    let result = browser.wait_result(&peer, LIMIT).await;
    browser.stop();
    result.unwrap_or_else(|e| panic!("the example's own page: {e}"))
}

/// The video element `#v` plays (its size and time).
const PLAYS: &str = r#"<script>
run(async () => {
  const v = document.getElementById("v");
  await waitFor(() => v.videoWidth > 0 && v.currentTime > 1, "the video plays", 25000);
  return { width: v.videoWidth, height: v.videoHeight };
});
</script>
"#;

/// The reflect and play_from_disk pages that `cargo run --example` serves
/// work as they are in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflect_and_play_from_disk_pages_work_in_chromium() {
    testkit::isolate!();
    // reflect: the camera (640x480 by default) comes back and plays.
    let base = serve(reflect::PAGE, reflect::router()).await;
    let r = own_page(&base, reflect::PAGE, PLAYS, async {}).await;
    assert_eq!(r, json!({"width": 640, "height": 480}), "reflect");

    // play_from_disk: the 320x240 file plays.
    let dir = tempfile::tempdir().unwrap();
    let (video, audio) = make_media(dir.path());
    let media = Arc::new(play_from_disk::Media::load(&video, &audio).unwrap());
    let base = serve(play_from_disk::PAGE, play_from_disk::router(media)).await;
    let r = own_page(&base, play_from_disk::PAGE, PLAYS, async {}).await;
    assert_eq!(r, json!({"width": 320, "height": 240}), "play_from_disk");
}

/// The save_to_disk and ice_restart pages that `cargo run --example` serves
/// work as they are in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_to_disk_and_ice_restart_pages_work_in_chromium() {
    testkit::isolate!();
    let dir = tempfile::tempdir().unwrap();

    // save_to_disk: the page sends until a 2 s recording is saved.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let router = save_to_disk::router(dir.path().to_path_buf(), Duration::from_secs(2), tx);
    let base = serve(save_to_disk::PAGE, router).await;
    let wait = r#"<script>run(async () => { await signal.recv(); return "sent"; });</script>"#;
    let saved = Arc::new(std::sync::Mutex::new(None));
    let got = saved.clone();
    let recorded = async move {
        let s = tokio::time::timeout(LIMIT, rx.recv())
            .await
            .expect("saved in time");
        *got.lock().unwrap() = s;
    };
    assert_eq!(
        own_page(&base, save_to_disk::PAGE, wait, recorded).await,
        "sent"
    );
    let saved = saved.lock().unwrap().take().expect("a recording").unwrap();
    assert!(saved.video.expect("video").1 >= 20, "save_to_disk");
    assert!(saved.audio.expect("audio").1 >= 90, "save_to_disk");

    // ice_restart: echoes carry the server's ufrag; after a click on the
    // button they carry a new one.
    let server = ice_restart::Server::default();
    let base = serve(ice_restart::PAGE, ice_restart::router(server.clone())).await;
    let check = r#"<script>
run(async () => {
  const echoes = () => document.getElementById("log").textContent.split("\n")
    .filter((l) => l.startsWith("echo: ")).map((l) => l.split(" ")[1]);
  const button = document.getElementById("restart");
  await waitFor(() => !button.disabled && echoes().length > 0, "a first echo", 20000);
  const first = echoes()[0];
  button.click();
  await waitFor(() => echoes().some((u) => u !== first), "an echo after the restart", 20000);
  return Array.from(new Set(echoes())).length;
});
</script>
"#;
    assert_eq!(
        own_page(&base, ice_restart::PAGE, check, async {}).await,
        2,
        "ice_restart"
    );
    assert_eq!(server.restarts(), 1);
}
