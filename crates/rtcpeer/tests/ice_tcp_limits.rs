//! A stranger opening ICE-TCP connections to our passive candidate (over
//! loopback): beyond `MAX_ICE_TCP_CONNECTIONS` they are closed as they are
//! accepted and counted; those that never send a whole RFC 4571 frame are
//! closed too; after that, a new connection is accepted again. The
//! PeerConnection stays usable throughout.

use std::net::SocketAddr;
use std::time::Duration;

use rtcpeer::{Event, IceGatheringState, PeerConnection, Settings, MAX_ICE_TCP_CONNECTIONS};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(30);

/// Whether the server closed `s` (EOF or reset) within `wait`.
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut b = [0u8; 16];
    matches!(timeout(wait, s.read(&mut b)).await, Ok(Ok(0) | Err(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_ice_tcp_connections_are_bounded_and_closed() {
    let settings = Settings {
        ice_tcp: true,
        ..Settings::loopback_only()
    };
    let pc = PeerConnection::with_settings(Default::default(), settings).unwrap();
    let mut events = pc.events();
    let _dc = pc.create_data_channel("x", Default::default()).unwrap();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer)).await.unwrap();
    timeout(LIMIT, async {
        while pc.ice_gathering_state() != IceGatheringState::Complete {
            if let Some(Event::IceGatheringStateChange(IceGatheringState::Complete)) | None =
                events.recv().await
            {
                break;
            }
        }
    })
    .await
    .expect("gathering completes");
    let sdp = pc.local_description().unwrap().sdp;
    let passive: SocketAddr = sdp
        .lines()
        .filter(|l| l.contains(" tcp ") && l.contains("tcptype passive"))
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{}:{}", f[4], f[5]).parse().ok()
        })
        .expect("a passive TCP candidate");

    // More connections than the limit, none of them sending anything.
    let extra = 8;
    let mut streams = Vec::new();
    for _ in 0..MAX_ICE_TCP_CONNECTIONS + extra {
        streams.push(TcpStream::connect(passive).await.unwrap());
    }
    // The ones over the limit are refused and counted.
    timeout(LIMIT, async {
        while pc.transport_counters().tcp_connections_refused < extra as u64 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the connections over the limit are refused");
    assert_eq!(
        pc.transport_counters().tcp_connections_refused,
        extra as u64
    );
    // Every one of them is closed in the end: the refused ones at once, the
    // accepted ones for never sending a frame.
    for (i, s) in streams.iter_mut().enumerate() {
        assert!(closed_within(s, LIMIT).await, "connection {i} left open");
    }
    // With the slots free again, a new connection is accepted (not counted).
    let mut again = TcpStream::connect(passive).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        pc.transport_counters().tcp_connections_refused,
        extra as u64,
        "a connection within the limit is accepted"
    );
    assert!(closed_within(&mut again, LIMIT).await);
    // The connection itself is unharmed: it still makes offers.
    assert!(pc.create_offer(Default::default()).await.is_ok());
    pc.close();
}
