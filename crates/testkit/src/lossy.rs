//! A lossy UDP path between two real peers: every candidate they signal is
//! rewritten to point at a relay listener, which forwards datagrams to the
//! real address with seeded loss, delay and jitter (the kernel here has no
//! `netem`, so impairment happens in user space).
//!
//! How it works: for each UDP candidate `c` a peer signals, the path binds a
//! listener on `c`'s IP (another port) and the other peer sees the listener's
//! address instead. A datagram from source `x` to that listener leaves from a
//! socket made for `x` toward `c`; replies to that socket go back to `x` from
//! the listener. Each flow is mapped both ways like a NAT, so ICE connects
//! through it with peer-reflexive candidates, and no peer ever learns the
//! other's real address. TCP and mDNS (`.local`) candidates are dropped, in
//! trickled candidates and in `a=candidate` lines of descriptions alike.
//!
//! ```no_run
//! # async fn demo(a: testkit::pages::BrowserPeer, b: testkit::pages::BrowserPeer) {
//! use std::time::Duration;
//! use testkit::lossy::{Impairment, LossyPath};
//! let path = LossyPath::new(Impairment { loss: 0.05, delay: Duration::from_millis(20), ..Default::default() });
//! let (ra, rb) = path
//!     .relay_while(&a, &b, async { tokio::join!(a.report(Duration::from_secs(60)), b.report(Duration::from_secs(60))) })
//!     .await;
//! println!("{:?}", path.stats());
//! # }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::signal::SignalPeer;
use crate::{Error, Result};

/// What the path does to every datagram, in each direction.
#[derive(Clone, Debug)]
pub struct Impairment {
    /// Probability in `0.0..=1.0` that a datagram is dropped.
    pub loss: f64,
    /// Fixed one-way delay.
    pub delay: Duration,
    /// Extra random delay, uniform in `0..jitter` (reorders datagrams).
    pub jitter: Duration,
    /// Seed of the loss and jitter draws.
    pub seed: u64,
}

impl Default for Impairment {
    fn default() -> Self {
        Impairment {
            loss: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            seed: 1,
        }
    }
}

/// Datagram counts of a path so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathStats {
    /// Datagrams passed on.
    pub forwarded: u64,
    /// Datagrams dropped by the loss draw.
    pub dropped: u64,
    /// Candidates rewritten to a listener.
    pub candidates_rewritten: u64,
    /// Candidates removed (TCP, mDNS, unparsable).
    pub candidates_removed: u64,
}

struct Shared {
    impairment: Impairment,
    rng: Mutex<u64>,
    forwarded: AtomicU64,
    dropped: AtomicU64,
    rewritten: AtomicU64,
    removed: AtomicU64,
    /// Real candidate address -> listener address.
    listeners: Mutex<HashMap<SocketAddr, SocketAddr>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    /// xorshift64*: a small seeded generator; quality is ample for loss draws.
    fn next_unit(&self) -> f64 {
        let mut s = self.rng.lock().expect("rng lock poisoned");
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        let x = s.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Sends `data` from `socket` to `to` after the loss draw and the delay.
    async fn send(self: &Arc<Self>, socket: &Arc<UdpSocket>, data: &[u8], to: SocketAddr) {
        if self.impairment.loss > 0.0 && self.next_unit() < self.impairment.loss {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.forwarded.fetch_add(1, Ordering::Relaxed);
        let mut delay = self.impairment.delay;
        if !self.impairment.jitter.is_zero() {
            delay += self.impairment.jitter.mul_f64(self.next_unit());
        }
        if delay.is_zero() {
            // (try_send_to would drop datagrams on a socket the reactor has
            // not yet seen writable.)
            let _ = socket.send_to(data, to).await;
            return;
        }
        let socket = socket.clone();
        let data = data.to_vec();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = socket.send_to(&data, to).await;
        });
    }
}

/// A lossy path between two peers; see the [module docs](self). Its tasks
/// end when it is dropped. Needs a tokio runtime.
pub struct LossyPath {
    shared: Arc<Shared>,
}

impl LossyPath {
    /// A path with this impairment.
    pub fn new(impairment: Impairment) -> Self {
        let seed = impairment.seed.max(1);
        LossyPath {
            shared: Arc::new(Shared {
                impairment,
                rng: Mutex::new(seed),
                forwarded: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                rewritten: AtomicU64::new(0),
                removed: AtomicU64::new(0),
                listeners: Mutex::new(HashMap::new()),
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The counts so far.
    pub fn stats(&self) -> PathStats {
        let s = &self.shared;
        PathStats {
            forwarded: s.forwarded.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            candidates_rewritten: s.rewritten.load(Ordering::Relaxed),
            candidates_removed: s.removed.load(Ordering::Relaxed),
        }
    }

    /// The listener standing in for the real address `real` (made on first use).
    async fn listener_for(&self, real: SocketAddr) -> Result<SocketAddr> {
        if let Some(l) = self.shared.listeners.lock().expect("lock").get(&real) {
            return Ok(*l);
        }
        let socket = UdpSocket::bind((real.ip(), 0))
            .await
            .map_err(|e| Error::new(format!("lossy path: bind on {}: {e}", real.ip())))?;
        let local = socket
            .local_addr()
            .map_err(|e| Error::new(format!("lossy path: {e}")))?;
        let task = tokio::spawn(run_listener(self.shared.clone(), Arc::new(socket), real));
        self.shared.tasks.lock().expect("lock").push(task);
        self.shared
            .listeners
            .lock()
            .expect("lock")
            .insert(real, local);
        Ok(local)
    }

    /// A candidate line (`candidate:…`, with or without `a=`) with its address
    /// replaced by a listener's, or `None` when it must be removed.
    async fn rewrite_candidate(&self, line: &str) -> Option<String> {
        let mut tokens: Vec<String> = line.split(' ').map(String::from).collect();
        let parsed = (tokens.len() >= 8)
            .then(|| {
                let transport = tokens[2].to_ascii_lowercase();
                let ip: IpAddr = tokens[4].parse().ok()?;
                let port: u16 = tokens[5].parse().ok()?;
                (transport == "udp").then_some(SocketAddr::new(ip, port))
            })
            .flatten();
        let Some(real) = parsed else {
            self.shared.removed.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let listener = self.listener_for(real).await.ok()?;
        tokens[4] = listener.ip().to_string();
        tokens[5] = listener.port().to_string();
        self.shared.rewritten.fetch_add(1, Ordering::Relaxed);
        Some(tokens.join(" "))
    }

    /// Rewrites one signaling message (a description or an
    /// `RTCIceCandidateInit`) so every candidate in it points into the path.
    /// `None`: drop the message (a candidate that cannot pass).
    pub async fn rewrite(&self, mut message: Value) -> Option<Value> {
        if let Some(Value::String(c)) = message.get("candidate").cloned() {
            if c.is_empty() {
                return Some(message); // end-of-candidates
            }
            let new = self.rewrite_candidate(&c).await?;
            message["candidate"] = Value::String(new);
            return Some(message);
        }
        if let Some(Value::String(sdp)) = message.get("sdp").cloned() {
            let mut out = String::with_capacity(sdp.len());
            for line in sdp.split_inclusive('\n') {
                let body = line.trim_end_matches(['\r', '\n']);
                let end = &line[body.len()..];
                if let Some(c) = body.strip_prefix("a=") {
                    if c.starts_with("candidate:") {
                        if let Some(new) = self.rewrite_candidate(c).await {
                            out.push_str("a=");
                            out.push_str(&new);
                            out.push_str(end);
                        }
                        continue;
                    }
                }
                out.push_str(line);
            }
            message["sdp"] = Value::String(out);
        }
        Some(message)
    }

    /// Forwards every message `from` sends to `to`, rewritten, until `from` ends.
    pub async fn forward<A: SignalPeer, B: SignalPeer>(&self, from: &A, to: &B) {
        let (a, b) = (from.label(), to.label());
        while let Ok(message) = from.recv().await {
            let Some(message) = self.rewrite(message).await else {
                println!("lossy relay {a} -> {b}: removed a candidate");
                continue;
            };
            println!("lossy relay {a} -> {b}: {}", short(&message));
            if to.send(message).await.is_err() {
                return;
            }
        }
    }

    /// Like [`crate::signal::relay_while`], with every message rewritten so
    /// the peers' media and data take this path.
    pub async fn relay_while<A, B, F>(&self, a: &A, b: &B, work: F) -> F::Output
    where
        A: SignalPeer,
        B: SignalPeer,
        F: Future,
    {
        let both = async {
            tokio::join!(self.forward(a, b), self.forward(b, a));
            std::future::pending::<()>().await
        };
        tokio::select! {
            out = work => out,
            _ = both => unreachable!("pending() never completes"),
        }
    }
}

impl Drop for LossyPath {
    fn drop(&mut self) {
        for t in self.shared.tasks.lock().expect("lock").drain(..) {
            t.abort();
        }
    }
}

fn short(message: &Value) -> String {
    match (message.get("type"), message.get("candidate")) {
        (Some(t), _) => t.as_str().unwrap_or("?").to_string(),
        (_, Some(c)) => format!("candidate {}", c.as_str().unwrap_or("?")),
        _ => message.to_string(),
    }
}

/// Serves one listener: each source gets its own socket toward `real`.
async fn run_listener(shared: Arc<Shared>, listener: Arc<UdpSocket>, real: SocketAddr) {
    let mut flows: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut children = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, src)) = listener.recv_from(&mut buf).await else {
            break;
        };
        let outward = match flows.get(&src) {
            Some(s) => s.clone(),
            None => {
                let Ok(socket) = UdpSocket::bind((real.ip(), 0)).await else {
                    continue;
                };
                let socket = Arc::new(socket);
                flows.insert(src, socket.clone());
                // Replies to this flow's socket go back to `src` from the listener.
                let (sh, back, listener2) = (shared.clone(), socket.clone(), listener.clone());
                children.push(AbortOnDrop(tokio::spawn(async move {
                    let mut buf = vec![0u8; 65_536];
                    while let Ok((n, _)) = back.recv_from(&mut buf).await {
                        sh.send(&listener2, &buf[..n], src).await;
                    }
                })));
                socket
            }
        };
        shared.send(&outward, &buf[..n], real).await;
    }
}

/// Aborts the task when the listener's task ends (or is aborted).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn candidates_are_rewritten_or_removed() {
        rt().block_on(async {
            let path = LossyPath::new(Impairment::default());
            let c = json!({"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host generation 0", "sdpMid": "0"});
            let out = path.rewrite(c).await.unwrap();
            let text = out["candidate"].as_str().unwrap();
            assert!(text.starts_with("candidate:1 1 udp 2122260223 127.0.0.1 "), "{text}");
            assert!(!text.contains(" 40000 "), "{text}");
            assert_eq!(out["sdpMid"], "0");
            let tcp = json!({"candidate": "candidate:2 1 TCP 2105524479 127.0.0.1 9 typ host tcptype active"});
            assert!(path.rewrite(tcp).await.is_none());
            let mdns = json!({"candidate": "candidate:3 1 udp 1 abc.local 5000 typ host"});
            assert!(path.rewrite(mdns).await.is_none());
            let end = json!({"candidate": ""});
            assert_eq!(path.rewrite(end.clone()).await.unwrap(), end);
            let sdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 40000 typ host\r\na=candidate:2 1 tcp 1 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n";
            let out = path.rewrite(json!({"type": "offer", "sdp": sdp})).await.unwrap();
            let sdp = out["sdp"].as_str().unwrap();
            assert_eq!(sdp.matches("a=candidate:").count(), 1, "{sdp}");
            assert!(!sdp.contains(" 40000 ") && sdp.ends_with("a=end-of-candidates\r\n"), "{sdp}");
            let stats = path.stats();
            assert_eq!((stats.candidates_rewritten, stats.candidates_removed), (2, 3));
        });
    }

    #[test]
    fn datagrams_flow_both_ways_through_a_listener() {
        rt().block_on(async {
            let path = LossyPath::new(Impairment::default());
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let real = server.local_addr().unwrap();
            let line = format!("candidate:1 1 udp 1 127.0.0.1 {} typ host", real.port());
            let out = path.rewrite(json!({ "candidate": line })).await.unwrap();
            let port: u16 = out["candidate"]
                .as_str()
                .unwrap()
                .split(' ')
                .nth(5)
                .unwrap()
                .parse()
                .unwrap();
            let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            client.send_to(b"ping", ("127.0.0.1", port)).await.unwrap();
            let mut buf = [0u8; 16];
            let (n, via) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            assert_ne!(
                via,
                client.local_addr().unwrap(),
                "the real address stays hidden"
            );
            server.send_to(b"pong", via).await.unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"pong");
            assert_eq!(from.port(), port, "replies come from the listener");
            assert_eq!(path.stats().forwarded, 2);
        });
    }

    #[test]
    fn loss_draws_follow_the_rate_and_the_seed() {
        let draws = |seed| {
            let path = LossyPath::new(Impairment {
                loss: 0.3,
                seed,
                ..Default::default()
            });
            (0..10_000)
                .filter(|_| path.shared.next_unit() < 0.3)
                .count()
        };
        let n = draws(7);
        assert!((2_700..3_300).contains(&n), "{n}");
        assert_eq!(n, draws(7));
    }
}
