//! `rtcpeer send FILE` and `rtcpeer receive`: peer-to-peer file transfer over
//! a data channel, with copy-and-paste signaling ([`crate::token`]).
//!
//! On the channel `file`: the sender's first message is the text
//! `{"name": …, "size": n}`, then the file in binary messages, then the text
//! `{"sha256": hex}`. The receiver answers `{"ok": true}` when its own digest
//! of what it wrote matches, `{"ok": false, "sha256": hex}` otherwise.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{Context, SHA256};
use indicatif::{ProgressBar, ProgressStyle};
use rtcpeer::{
    Configuration, DataChannel, DataChannelEvent, DataChannelEventStream, Message, PeerConnection,
    SdpType, Settings,
};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::common::{self, fail, CliResult};
use crate::token;

/// How long each step (signaling excepted) may stall.
const LIMIT: Duration = Duration::from_secs(30);
/// How long to wait for the other side's token on stdin.
const PASTE_LIMIT: Duration = Duration::from_secs(600);
const CHUNK: usize = 64 * 1024;
const HIGH_WATER: u64 = 4 * 1024 * 1024;
const LOW_WATER: u64 = 1024 * 1024;

fn progress(size: u64) -> ProgressBar {
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one non-empty line (the peer's token) from stdin.
async fn read_token() -> CliResult<String> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let waited = tokio::time::timeout(PASTE_LIMIT, async {
        loop {
            match lines.next_line().await? {
                Some(l) if !l.trim().is_empty() => return CliResult::Ok(l),
                Some(_) => {}
                None => return fail("stdin ended before a token was pasted"),
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| fail("no token pasted"))
}

/// Prints our token: alone on stdout (for scripts), with a hint on stderr.
fn print_token(hint: &str, token: &str) {
    eprintln!("{hint}");
    println!("{token}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// Waits for a text message holding JSON.
async fn next_json(events: &mut DataChannelEventStream, limit: Duration) -> CliResult<Value> {
    match common::next_message(events, limit).await? {
        Message::Text(t) => Ok(serde_json::from_str(&t)?),
        Message::Binary(_) => fail("expected a text message from the peer"),
    }
}

/// `rtcpeer send FILE`.
pub async fn send(path: &Path, settings: Settings, config: Configuration) -> CliResult<()> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file.metadata().await?.len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let pc = PeerConnection::with_settings(config, settings)?;
    let result = async {
        let mut events = pc.events();
        let dc = pc.create_data_channel("file", Default::default())?;
        let mut dc_events = dc.events();
        let offer = pc.create_offer(Default::default()).await?;
        pc.set_local_description(Some(offer)).await?;
        common::wait_gathering_complete(&pc, &mut events, LIMIT).await?;
        let offer = pc.local_description().ok_or("no local description")?;
        print_token(
            "Run `rtcpeer receive` on the other side, paste this offer token there, \
             then paste its answer token here:",
            &token::encode(&offer)?,
        );
        let answer = token::decode(&read_token().await?, SdpType::Answer)?;
        pc.set_remote_description(answer).await?;
        common::wait_open(&mut dc_events, LIMIT).await?;
        eprintln!("connected: {}", common::selected_path(&pc).await);
        eprintln!("sending {name} ({size} bytes)");
        send_file(&pc, &dc, &mut dc_events, &mut file, &name, size).await
    }
    .await;
    pc.close();
    result
}

async fn send_file(
    pc: &PeerConnection,
    dc: &DataChannel,
    events: &mut DataChannelEventStream,
    file: &mut tokio::fs::File,
    name: &str,
    size: u64,
) -> CliResult<()> {
    dc.send_text(&json!({ "name": name, "size": size }).to_string())?;
    let chunk = CHUNK.min(pc.max_message_size().max(1024));
    dc.set_buffered_amount_low_threshold(LOW_WATER);
    let bar = progress(size);
    let mut digest = Context::new(&SHA256);
    let mut buf = vec![0u8; chunk];
    let mut sent = 0u64;
    let started = Instant::now();
    loop {
        while dc.buffered_amount() > HIGH_WATER {
            match tokio::time::timeout(LIMIT, events.recv()).await {
                Ok(Some(DataChannelEvent::Close)) | Ok(None) => {
                    return fail("the receiver closed the channel")
                }
                Ok(Some(_)) => {}
                Err(_) => return fail("the transfer stalled"),
            }
            bar.set_position(sent.saturating_sub(dc.buffered_amount()));
        }
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        digest.update(&buf[..n]);
        dc.send(&buf[..n])?;
        sent += n as u64;
        bar.set_position(sent.saturating_sub(dc.buffered_amount()));
    }
    if sent != size {
        return fail(format!(
            "the file changed while sending ({sent} of {size} bytes)"
        ));
    }
    let sha = hex(digest.finish().as_ref());
    dc.send_text(&json!({ "sha256": sha }).to_string())?;
    let reply = next_json(events, LIMIT).await?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if reply["ok"] != json!(true) {
        return fail(format!(
            "the receiver's SHA-256 differs: {} (ours {sha})",
            reply["sha256"]
        ));
    }
    println!(
        "sent {name}: {size} bytes in {elapsed:.2?} ({}), SHA-256 {sha} confirmed by the receiver",
        common::rate(size, elapsed)
    );
    dc.close();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(e) = events.recv().await {
            if e == DataChannelEvent::Close {
                break;
            }
        }
    })
    .await;
    Ok(())
}

/// Keeps a file name from the peer inside the current directory.
fn safe_name(name: &str) -> CliResult<PathBuf> {
    let base = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if base.is_empty() || base == "." || base == ".." {
        return fail(format!(
            "the sender's file name {name:?} is not usable; use --output"
        ));
    }
    Ok(PathBuf::from(base))
}

/// `rtcpeer receive`: writes to `output`, or to the sender's file name in
/// the current directory (never overwriting an existing file).
pub async fn receive(
    output: Option<PathBuf>,
    settings: Settings,
    config: Configuration,
) -> CliResult<()> {
    eprintln!("Paste the sender's offer token:");
    let offer = token::decode(&read_token().await?, SdpType::Offer)?;
    let pc = PeerConnection::with_settings(config, settings)?;
    let result = async {
        let mut events = pc.events();
        let mut channels = pc.events();
        pc.set_remote_description(offer).await?;
        let answer = pc.create_answer(Default::default()).await?;
        pc.set_local_description(Some(answer)).await?;
        common::wait_gathering_complete(&pc, &mut events, LIMIT).await?;
        let answer = pc.local_description().ok_or("no local description")?;
        print_token(
            "Paste this answer token on the sending side:",
            &token::encode(&answer)?,
        );
        let dc = remote_channel(&mut channels, PASTE_LIMIT).await?;
        eprintln!("connected: {}", common::selected_path(&pc).await);
        let mut dc_events = dc.events();
        receive_file(&dc, &mut dc_events, output).await
    }
    .await;
    pc.close();
    result
}

async fn remote_channel(
    events: &mut rtcpeer::EventStream,
    limit: Duration,
) -> CliResult<DataChannel> {
    let waited = tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Some(rtcpeer::Event::DataChannel(ch)) if ch.label() == "file" => return Ok(ch),
                Some(_) => {}
                None => return fail("the connection went away"),
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| fail("the sender did not connect"))
}

async fn receive_file(
    dc: &DataChannel,
    events: &mut DataChannelEventStream,
    output: Option<PathBuf>,
) -> CliResult<()> {
    let header = next_json(events, LIMIT).await?;
    let name = header["name"].as_str().unwrap_or("file").to_string();
    let size = header["size"]
        .as_u64()
        .ok_or("the sender's header has no size")?;
    let (path, mut file) = match output {
        Some(p) => {
            let f = tokio::fs::File::create(&p)
                .await
                .map_err(|e| format!("{}: {e}", p.display()))?;
            (p, f)
        }
        None => {
            let p = safe_name(&name)?;
            let f = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .await
                .map_err(|e| format!("{}: {e} (use --output)", p.display()))?;
            (p, f)
        }
    };
    eprintln!("receiving {name} ({size} bytes) into {}", path.display());
    let bar = progress(size);
    let mut digest = Context::new(&SHA256);
    let mut got = 0u64;
    let started = Instant::now();
    let theirs = loop {
        match common::next_message(events, LIMIT).await? {
            Message::Binary(b) => {
                got += b.len() as u64;
                if got > size {
                    return fail(format!(
                        "the sender sent more than the {size} bytes announced"
                    ));
                }
                digest.update(&b);
                file.write_all(&b).await?;
                bar.set_position(got);
            }
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t)?;
                break v["sha256"].as_str().unwrap_or_default().to_string();
            }
        }
    };
    file.flush().await?;
    file.sync_all().await?;
    bar.finish_and_clear();
    let ours = hex(digest.finish().as_ref());
    let ok = got == size && ours == theirs;
    dc.send_text(&json!({ "ok": ok, "sha256": ours }).to_string())?;
    // Let the reply reach the sender; it closes the channel.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(e) = events.recv().await {
            if e == DataChannelEvent::Close {
                break;
            }
        }
    })
    .await;
    if !ok {
        return fail(format!(
            "{}: {got} of {size} bytes, SHA-256 {ours} but the sender's is {theirs}",
            path.display()
        ));
    }
    println!(
        "received {}: {size} bytes in {:.2?} ({}), SHA-256 {ours} matches",
        path.display(),
        started.elapsed(),
        common::rate(size, started.elapsed())
    );
    Ok(())
}
