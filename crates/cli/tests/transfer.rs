//! `rtcpeer send` and `rtcpeer receive` as two processes on loopback (the
//! network rule): the test pastes each side's token into the other's stdin.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const LIMIT: Duration = Duration::from_secs(180);

/// Writes `size` bytes of a seeded pseudo-random sequence.
fn make_file(path: &Path, size: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for b in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        let n = left.min(buf.len());
        f.write_all(&buf[..n]).unwrap();
        left -= n;
    }
    f.flush().unwrap();
}

fn same_contents(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (
        std::io::BufReader::new(std::fs::File::open(a).unwrap()),
        std::io::BufReader::new(std::fs::File::open(b).unwrap()),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

fn spawn(args: &[&str], dir: &Path) -> Child {
    Command::new(common::BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("rtcpeer runs")
}

/// Reads the first stdout line of `child` (its token); the reader keeps the rest.
async fn token(
    child: &mut Child,
) -> (
    String,
    tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a token in time")
        .unwrap()
        .expect("a token line");
    (line, lines)
}

async fn finish(
    mut child: Child,
    mut rest: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> (i32, String, String) {
    let mut out = String::new();
    while let Ok(Some(l)) = rest.next_line().await {
        out.push_str(&l);
        out.push('\n');
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        tokio::io::AsyncReadExt::read_to_string(&mut e, &mut err)
            .await
            .unwrap();
    }
    let status = child.wait().await.unwrap();
    (status.code().unwrap_or(-1), out, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_receive_200_mb_between_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let src = dir.path().join("payload.bin");
    make_file(&src, 200_000_000);

    let mut sender = spawn(
        &["send", src.to_str().unwrap(), "--interfaces", "loopback"],
        dir.path(),
    );
    let mut receiver = spawn(&["receive", "--interfaces", "loopback"], &out_dir);
    let (offer, sender_rest) = token(&mut sender).await;
    assert!(
        offer.len() < 1000
            && offer
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "a compact one-line token: {offer}"
    );
    let mut rin = receiver.stdin.take().unwrap();
    rin.write_all(format!("{offer}\n").as_bytes())
        .await
        .unwrap();
    let (answer, receiver_rest) = token(&mut receiver).await;
    let mut sin = sender.stdin.take().unwrap();
    sin.write_all(format!("{answer}\n").as_bytes())
        .await
        .unwrap();

    let both = async { tokio::join!(finish(sender, sender_rest), finish(receiver, receiver_rest)) };
    let ((scode, sout, serr), (rcode, rout, rerr)) = tokio::time::timeout(LIMIT, both)
        .await
        .expect("the transfer finishes");
    println!("sender: {sout}\nreceiver: {rout}");
    assert_eq!(rcode, 0, "receiver:\n{rout}\n{rerr}");
    assert_eq!(scode, 0, "sender:\n{sout}\n{serr}");
    assert!(sout.contains("confirmed by the receiver"), "{sout}");
    assert!(
        rout.contains("200000000 bytes") && rout.contains("matches"),
        "{rout}"
    );
    let dst = out_dir.join("payload.bin");
    assert_eq!(std::fs::metadata(&dst).unwrap().len(), 200_000_000);
    assert!(same_contents(&src, &dst), "the received file differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_refuses_a_bad_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = spawn(&["receive", "--interfaces", "loopback"], dir.path());
    let mut rin = receiver.stdin.take().unwrap();
    rin.write_all(b"this is not a token\n").await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(30), receiver.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a token"), "{err}");
}

/// `send` and `receive` with `args` each; (sender's and receiver's exit
/// code, stdout and stderr).
async fn transfer(src: &Path, out_dir: &Path, args: &[&str]) -> [(i32, String, String); 2] {
    let mut send_args = vec!["send", src.to_str().unwrap()];
    send_args.extend_from_slice(args);
    let mut receive_args = vec!["receive"];
    receive_args.extend_from_slice(args);
    let mut sender = spawn(&send_args, src.parent().unwrap());
    let mut receiver = spawn(&receive_args, out_dir);
    let (offer, sender_rest) = token(&mut sender).await;
    let mut rin = receiver.stdin.take().unwrap();
    rin.write_all(format!("{offer}\n").as_bytes())
        .await
        .unwrap();
    let (answer, receiver_rest) = token(&mut receiver).await;
    let mut sin = sender.stdin.take().unwrap();
    sin.write_all(format!("{answer}\n").as_bytes())
        .await
        .unwrap();
    let both = async { tokio::join!(finish(sender, sender_rest), finish(receiver, receiver_rest)) };
    let (s, r) = tokio::time::timeout(Duration::from_secs(60), both)
        .await
        .expect("the transfer finishes");
    [s, r]
}

/// Through coturn (TURN over UDP, then over TCP) with `--relay-only`: both
/// sides say they connected over relay candidates, and the file arrives
/// intact. (Our candidate stats have no `relayProtocol` yet, so the line
/// does not say which transport reached the TURN server.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_receive_through_a_turn_relay() {
    testkit::isolate!();
    let turn = testkit::coturn::TurnServer::start()
        .await
        .expect("coturn runs (scripts/install-peers installs it)");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let src = dir.path().join("payload.bin");
    make_file(&src, 5_000_000);
    for url in [turn.udp_url(), turn.tcp_url()] {
        let args = [
            "--interfaces",
            "loopback",
            "--ice-server",
            &url,
            "--ice-username",
            "test",
            "--ice-credential",
            "secret",
            "--relay-only",
        ];
        let [(scode, sout, serr), (rcode, rout, rerr)] = transfer(&src, &out_dir, &args).await;
        println!("{url}\nsender: {sout}{serr}\nreceiver: {rout}{rerr}");
        assert_eq!(
            rcode,
            0,
            "receiver:\n{rout}\n{rerr}\ncoturn:\n{}",
            turn.log_tail(30)
        );
        assert_eq!(scode, 0, "sender:\n{sout}\n{serr}");
        for err in [&serr, &rerr] {
            let path = err
                .lines()
                .find(|l| l.starts_with("connected: "))
                .unwrap_or_else(|| panic!("no path printed: {err}"));
            assert!(
                path.starts_with("connected: local relay 127.0.0.1:")
                    && path.contains("<-> remote relay 127.0.0.1:"),
                "{path}"
            );
        }
        assert!(
            rout.contains("5000000 bytes") && rout.contains("matches"),
            "{rout}"
        );
        let dst = out_dir.join("payload.bin");
        assert!(same_contents(&src, &dst), "the received file differs");
        std::fs::remove_file(&dst).unwrap();
    }
}
