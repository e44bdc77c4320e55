//! Scale: many connected PeerConnections with an open data channel in one
//! process, each echoing; prints the memory each connection costs.
//!
//! CI runs 25 pairs (50 connections). The run (#8) is
//! `SCALE_PAIRS=500 cargo test --release -p rtcpeer --test scale -- --nocapture`
//! (1,000 connections; one UDP socket each, so the fd limit must allow it).
//! With `SCALE_SINGLE_PORT=1` every answerer shares one `UdpMux` socket
//! (single-port mode); the offerers keep a socket each.

mod local;

use local::{loopback_pc, Pair, LIMIT};
use rtcpeer::{DataChannelEvent, Message, PeerConnection, Settings, UdpMux};
use tokio::time::timeout;

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4
}

async fn echo(pair: &Pair, i: usize) {
    let (mut a, mut b) = (pair.a_dc.events(), pair.b_dc.events());
    pair.a_dc.send(&i.to_be_bytes()).unwrap();
    let back = timeout(LIMIT, async {
        loop {
            if let Some(DataChannelEvent::Message(m)) = b.recv().await {
                if let Message::Binary(d) = m {
                    pair.b_dc.send(&d).unwrap();
                }
                break;
            }
        }
        loop {
            if let Some(DataChannelEvent::Message(m)) = a.recv().await {
                return m;
            }
        }
    })
    .await
    .expect("echo in time");
    assert_eq!(back, Message::Binary(i.to_be_bytes().to_vec()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connected_peers_each_echo() {
    let pairs: usize = std::env::var("SCALE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let mux = if std::env::var("SCALE_SINGLE_PORT").as_deref() == Ok("1") {
        let any = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        Some(UdpMux::bind(any).await.unwrap())
    } else {
        None
    };
    let open = |label: &'static str| {
        let b = match &mux {
            Some(m) => {
                let settings = Settings {
                    udp_mux: Some(m.clone()),
                    ..Settings::loopback_only()
                };
                PeerConnection::with_settings(Default::default(), settings).unwrap()
            }
            None => loopback_pc(),
        };
        Pair::open_between(label, loopback_pc(), b)
    };
    open("warm-up").await.close();
    let rss0 = rss_kib();
    let mut all = Vec::with_capacity(pairs);
    // Set up in batches so the handshakes do not all time out together on a
    // small machine.
    for batch in (0..pairs).collect::<Vec<_>>().chunks(25) {
        let mut set = tokio::task::JoinSet::new();
        for _ in batch {
            set.spawn(open("scale"));
        }
        while let Some(pair) = set.join_next().await {
            all.push(pair.expect("the pair opens"));
        }
    }
    let rss_connected = rss_kib();
    for (i, pair) in all.iter().enumerate() {
        echo(pair, i).await;
    }
    let connections = 2 * pairs as u64;
    let per = rss_connected.saturating_sub(rss0) * 1024 / connections;
    println!(
        "{connections} connected PeerConnections with an open data channel: \
         rss {rss0} -> {rss_connected} KiB, {per} bytes each"
    );
    assert_eq!(all.len(), pairs);
    if let Some(m) = &mux {
        println!(
            "single port {}: {} connections",
            m.local_addr(),
            m.connections()
        );
        assert_eq!(m.connections(), pairs);
    }
    for pair in all {
        pair.close();
    }
}
