//! Single-port mode on 127.0.0.1: answerers that share one `UdpMux` socket,
//! each pair echoing on its own data channel; closing one leaves the others
//! working; the socket is freed once its last user is gone.

mod local;

use std::net::{Ipv4Addr, SocketAddr};

use local::{loopback_pc, Pair, LIMIT};
use rtcpeer::stats::StatsKind;
use rtcpeer::{DataChannelEvent, Message, PeerConnection, Settings, UdpMux};
use tokio::time::timeout;

fn muxed(mux: &UdpMux) -> PeerConnection {
    let settings = Settings {
        udp_mux: Some(mux.clone()),
        ..Settings::loopback_only()
    };
    PeerConnection::with_settings(Default::default(), settings).unwrap()
}

/// `a` sends `text`, `b` echoes it, `a` gets it back.
async fn echo(pair: &Pair, text: &str) {
    let (mut a, mut b) = (pair.a_dc.events(), pair.b_dc.events());
    pair.a_dc.send_text(text).unwrap();
    let back = timeout(LIMIT, async {
        loop {
            if let Some(DataChannelEvent::Message(Message::Text(t))) = b.recv().await {
                pair.b_dc.send_text(&t).unwrap();
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
    assert_eq!(back, Message::Text(text.to_string()));
}

/// The ports of `pc`'s local candidates.
async fn local_ports(pc: &PeerConnection) -> Vec<u16> {
    let report = pc.get_stats().await.unwrap();
    report
        .of_type("local-candidate")
        .filter_map(|s| match &s.kind {
            StatsKind::LocalCandidate(c) => Some(c.port),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answerers_share_one_port_and_each_echoes() {
    let mux = UdpMux::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let port = mux.local_addr().port();
    let mut pairs = Vec::new();
    for i in 0..3 {
        pairs.push(Pair::open_between(&format!("mux{i}"), loopback_pc(), muxed(&mux)).await);
    }
    assert_eq!(mux.connections(), 3);
    for (i, pair) in pairs.iter().enumerate() {
        // Every answerer's host candidate is the shared socket; every offerer
        // has a port of its own.
        assert_eq!(local_ports(&pair.b).await, vec![port], "answerer {i}");
        let theirs = local_ports(&pair.a).await;
        assert!(!theirs.is_empty() && !theirs.contains(&port), "{theirs:?}");
        echo(pair, &format!("hello {i}")).await;
    }

    // An ICE restart offered by the muxed answerer: new credentials on the
    // shared socket, and the channel still echoes.
    {
        let pair = &pairs[1];
        let ufrag = |pc: &PeerConnection| {
            let sdp = pc.local_description().unwrap().sdp;
            sdp.lines()
                .find_map(|l| l.strip_prefix("a=ice-ufrag:").map(str::to_string))
                .unwrap()
        };
        let before = ufrag(&pair.b);
        pair.b.restart_ice().unwrap();
        let offer = pair.b.create_offer(Default::default()).await.unwrap();
        pair.b
            .set_local_description(Some(offer.clone()))
            .await
            .unwrap();
        pair.a.set_remote_description(offer).await.unwrap();
        let answer = pair.a.create_answer(Default::default()).await.unwrap();
        pair.a
            .set_local_description(Some(answer.clone()))
            .await
            .unwrap();
        pair.b.set_remote_description(answer).await.unwrap();
        assert_ne!(ufrag(&pair.b), before);
        echo(pair, "after restart").await;
        assert_eq!(local_ports(&pair.b).await, vec![port]);
    }

    // A datagram no connection can be told from is dropped and counted.
    let stranger = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    stranger
        .send_to(b"\x17\xfe\xfd garbage", mux.local_addr())
        .unwrap();
    timeout(LIMIT, async {
        while mux.dropped() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the stranger's datagram is counted");

    // Closing one leaves the others working.
    pairs.remove(0).close();
    timeout(LIMIT, async {
        while mux.connections() != 2 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the closed connection leaves the mux");
    for (i, pair) in pairs.iter().enumerate() {
        echo(pair, &format!("still there {i}")).await;
    }

    // The last user gone, the port is free again.
    for pair in pairs {
        pair.close();
    }
    drop(mux);
    let rebound = timeout(LIMIT, async {
        loop {
            match std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, port)) {
                Ok(s) => return s,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    })
    .await
    .expect("the shared socket is closed once unused");
    assert_eq!(rebound.local_addr().unwrap().port(), port);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mux_needs_a_specific_address() {
    let err = UdpMux::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
