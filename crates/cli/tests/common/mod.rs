//! Helpers for the `rtcpeer` command's tests: run the binary, talk to its
//! echo server.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The `rtcpeer` binary built with these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_rtcpeer");

/// Runs `rtcpeer args…` to the end (at most `limit`): (exit code, stdout, stderr).
pub async fn run(args: &[&str], limit: Duration) -> (i32, String, String) {
    let out = tokio::time::timeout(
        limit,
        Command::new(BIN).args(args).kill_on_drop(true).output(),
    )
    .await
    .unwrap_or_else(|_| panic!("rtcpeer {args:?} did not finish within {limit:?}"))
    .expect("rtcpeer runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `rtcpeer echo-server`, killed on drop.
pub struct EchoServer {
    /// `http://ip:port`.
    pub base: String,
    child: Child,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl EchoServer {
    /// Starts the server on a free port of 127.0.0.1 gathering on `interfaces`.
    pub async fn start(interfaces: &str) -> EchoServer {
        let mut child = Command::new(BIN)
            .args([
                "echo-server",
                "--listen",
                "127.0.0.1:0",
                "--interfaces",
                interfaces,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("rtcpeer echo-server starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the server says where it listens")
            .unwrap()
            .expect("a first line");
        let base = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                println!("echo-server: {line}");
                sink.lock().unwrap().push(line);
            }
        });
        EchoServer { base, child, log }
    }

    /// The offer URL.
    pub fn offer_url(&self) -> String {
        format!("{}/offer", self.base)
    }

    /// The server's output lines so far (after the first).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// `GET /stats`.
    pub async fn stats(&self) -> Value {
        serde_json::from_str(&get(&format!("{}/stats", self.base)).await).expect("stats are JSON")
    }

    /// Waits (at most `limit`) until the server holds no connection and has
    /// closed `closed` of them; panics with the last stats otherwise.
    pub async fn wait_all_closed(&self, closed: u64, limit: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let stats = self.stats().await;
            if stats["active"] == 0 && stats["closed"].as_u64() == Some(closed) {
                return stats;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("the server still holds connections after {limit:?}: {stats}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A plain `GET` of `url` (`http://ip:port/path`); the body (status 200 asserted).
pub async fn get(url: &str) -> String {
    let (status, body) = request("GET", url, "").await;
    assert_eq!(status, 200, "GET {url}: {body}");
    body
}

/// One HTTP/1.1 request with a JSON body: (status, body).
pub async fn request(method: &str, url: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_string())
}

/// Makes `dir/video.ivf`: 1 s of ffmpeg's testsrc in VP8 (320x240, 30 fps).
pub fn vp8_ivf(dir: &std::path::Path) -> String {
    let video = dir.join("video.ivf");
    let made = std::process::Command::new("ffmpeg")
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
            "1",
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-g",
            "30",
        ])
        .arg(&video)
        .status()
        .expect("ffmpeg runs (scripts/install-peers installs it)");
    assert!(made.success(), "ffmpeg made {video:?}");
    video.to_str().unwrap().to_string()
}
