//! Real-peer test: our agent against aioice (aiortc's independent ICE
//! implementation, from the `.peers-venv` that `scripts/install-peers`
//! makes) over real UDP sockets on 127.0.0.1. We take each role once. If the
//! venv or aioice is missing the test fails: it never passes silently.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use rtcpeer_ice::{Candidate, Datagram, IceAgent, IceConfig, IceConnectionState, Protocol};

/// The peer: gathers on 127.0.0.1, prints its credentials and candidates as
/// one line, reads ours as one line, connects, echoes one datagram.
const SCRIPT: &str = r#"
import asyncio, json, sys
import aioice
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
from aioice import Candidate, Connection

async def main():
    controlling = sys.argv[1] == "controlling"
    conn = Connection(ice_controlling=controlling, components=1, use_ipv4=True, use_ipv6=False)
    await conn.gather_candidates()
    print(json.dumps({"ufrag": conn.local_username, "pwd": conn.local_password,
                      "candidates": [c.to_sdp() for c in conn.local_candidates]}), flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    remote = json.loads(line)
    conn.remote_username = remote["ufrag"]
    conn.remote_password = remote["pwd"]
    for c in remote["candidates"]:
        await conn.add_remote_candidate(Candidate.from_sdp(c))
    await conn.add_remote_candidate(None)
    await asyncio.wait_for(conn.connect(), 20)
    print("connected", flush=True)
    data = await asyncio.wait_for(conn.recv(), 20)
    await conn.send(b"echo:" + data)
    print("echoed", flush=True)
    await asyncio.sleep(1)
    await conn.close()

asyncio.run(main())
"#;

struct Peer {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> PathBuf {
    let venv = std::env::var_os("TESTKIT_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers-venv"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "{} missing: run scripts/install-peers",
        py.display()
    );
    py
}

/// Minimal JSON string extraction for the one line aioice prints.
fn json_str(line: &str, key: &str) -> String {
    let k = format!("\"{key}\": \"");
    let start = line.find(&k).expect(key) + k.len();
    line[start..].split('"').next().unwrap().to_string()
}

fn json_list(line: &str, key: &str) -> Vec<String> {
    let k = format!("\"{key}\": [");
    let start = line.find(&k).expect(key) + k.len();
    let body = &line[start..line[start..].find(']').unwrap() + start];
    body.split("\", \"")
        .map(|s| s.trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn run(we_control: bool) {
    let mut child = Command::new(python())
        .args([
            "-c",
            SCRIPT,
            if we_control {
                "controlled"
            } else {
                "controlling"
            },
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut peer = Peer { child, out };
    let mut line = String::new();
    peer.out.read_line(&mut line).expect("aioice credentials");
    assert!(line.contains("ufrag"), "aioice said: {line:?}");

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let local = socket.local_addr().unwrap();
    let mut agent = IceAgent::new(
        IceConfig {
            controlling: we_control,
            ..IceConfig::default()
        },
        Instant::now(),
    );
    agent
        .add_local_candidate(Candidate::host(local, Protocol::Udp, 65535))
        .unwrap();
    agent.set_remote_credentials(&json_str(&line, "ufrag"), &json_str(&line, "pwd"));
    let cands = json_list(&line, "candidates");
    assert!(!cands.is_empty());
    for c in &cands {
        agent
            .add_remote_candidate(Candidate::parse(c).unwrap())
            .unwrap();
    }
    agent.end_of_remote_candidates();
    let (u, p) = agent.local_credentials();
    let ours: Vec<String> = agent
        .local_candidates()
        .iter()
        .map(|c| format!("\"{}\"", c.to_string().trim_start_matches("candidate:")))
        .collect();
    let msg = format!(
        "{{\"ufrag\": \"{u}\", \"pwd\": \"{p}\", \"candidates\": [{}]}}\n",
        ours.join(", ")
    );
    let stdin = peer.child.stdin.as_mut().unwrap();
    stdin.write_all(msg.as_bytes()).unwrap();
    stdin.flush().unwrap();

    let mut buf = vec![0u8; 2048];
    let mut echoed = None;
    let mut last_ping: Option<Instant> = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(25) && echoed.is_none() {
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let d = Datagram {
                local,
                remote: from,
                proto: Protocol::Udp,
                data: &buf[..n],
            };
            if let Some(r) = agent.handle_receive(Instant::now(), d) {
                echoed = Some(r.data.to_vec());
            }
        }
        let now = Instant::now();
        if agent.poll_timeout().is_some_and(|t| t <= now) {
            agent.handle_timeout(now);
        }
        let connected = matches!(
            agent.connection_state(),
            IceConnectionState::Connected | IceConnectionState::Completed
        );
        // aioice delivers data only once its own side is connected: resend
        // every 100 ms until the echo comes back.
        if connected && last_ping.is_none_or(|t: Instant| t.elapsed() > Duration::from_millis(100))
        {
            if let Some(t) = agent.send(b"ping") {
                socket.send_to(&t.data, t.remote).unwrap();
            }
            last_ping = Some(Instant::now());
        }
        while let Some(t) = agent.poll_transmit(Instant::now()) {
            assert!(t.remote.ip().is_loopback());
            let _ = socket.send_to(&t.data, t.remote);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        echoed.as_deref(),
        Some(&b"echo:ping"[..]),
        "state {:?}",
        agent.connection_state()
    );
    assert!(agent.selected_candidates().is_some());
    let stats = agent.pair_stats();
    let sel = stats.iter().find(|s| s.selected).unwrap();
    assert!(
        sel.responses_received >= 1 && sel.requests_received >= 1,
        "{sel:?}"
    );
}

#[test]
fn interop_with_aioice_we_control() {
    run(true);
}

#[test]
fn interop_with_aioice_it_controls() {
    run(false);
}
