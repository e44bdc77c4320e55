//! Two complete sans-IO `PeerConnection`s (JSEP, ICE, DTLS, SCTP, DCEP)
//! joined by `testkit::emulator` on virtual time, through 5% loss with
//! reordering and duplication:
//!
//! - 100 MB on a reliable data channel arrive byte-exact (SHA-256);
//! - on an unordered `maxRetransmits: 0` channel next to it, messages really
//!   are given up (fewer arrive than were sent), and what arrives is intact.
//!
//! (`crates/sctp/tests/pair.rs` covers the same at the SCTP association
//! level; this is the same traffic through the whole data-channel stack.)

mod emulated;

use std::time::Duration;

use aws_lc_rs::digest::{Context, SHA256};
use emulated::{message, Net, A, B};
use rtcpeer_proto::dcep::{ChannelId, DataChannelInit, ReadyState};
use rtcpeer_proto::{Event, PeerConnection};
use testkit::emulator::LinkConfig;

fn lossy_link() -> LinkConfig {
    LinkConfig {
        loss: 0.05,
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(2),
        reorder: 0.03,
        reorder_delay: Duration::from_millis(8),
        duplicate: 0.02,
        ..LinkConfig::default()
    }
}

#[test]
fn hundred_megabytes_reliable_and_an_unreliable_channel_through_loss() {
    const TOTAL: usize = 100_000_000;

    const UNRELIABLE: u32 = 400;
    let mut n = Net::new(11, lossy_link());
    let bulk = n.pcs[A]
        .create_data_channel("bulk", DataChannelInit::default())
        .unwrap();
    let lossy = n.pcs[A]
        .create_data_channel(
            "lossy",
            DataChannelInit {
                ordered: false,
                max_retransmits: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
    n.negotiate();

    // Both channels open on both sides.
    let limit = n.now + Duration::from_secs(120);
    let mut remote: Vec<(ChannelId, String)> = Vec::new();
    while n.now < limit {
        n.step();
        for e in n.events[B].drain(..) {
            if let Event::DataChannel(id) = e {
                let label = n.pcs[B].data_channel(id).unwrap().label.clone();
                remote.push((id, label));
            }
        }
        let open = |pc: &PeerConnection, id| {
            pc.data_channel(id)
                .is_some_and(|c| c.ready_state == ReadyState::Open)
        };
        if remote.len() == 2 && open(&n.pcs[A], bulk) && open(&n.pcs[A], lossy) {
            break;
        }
    }
    assert_eq!(remote.len(), 2, "both channels announced through the loss");
    let id_of = |label: &str| remote.iter().find(|(_, l)| l == label).unwrap().0;
    let (bulk_b, lossy_b) = (id_of("bulk"), id_of("lossy"));

    // The unreliable channel first: 400 messages at once into a lossy path.
    for i in 0..UNRELIABLE {
        n.pcs[A].send_data(lossy, &message(i, 1_000), true).unwrap();
    }

    // Then 100 MB reliable, paced by bufferedAmount.
    let mut sent_hash = Context::new(&SHA256);
    let mut got_hash = Context::new(&SHA256);
    let (mut sent, mut got, mut i) = (0usize, 0usize, 0u32);
    let mut unreliable = Vec::new();
    let limit = n.now + Duration::from_secs(3_600);
    while got < TOTAL && n.now < limit {
        while sent < TOTAL && n.pcs[A].data_channel(bulk).unwrap().buffered_amount < 4 << 20 {
            let len = (64 * 1024).min(TOTAL - sent);
            let m = message(1_000_000 + i, len);
            sent_hash.update(&m);
            n.pcs[A].send_data(bulk, &m, true).unwrap();
            sent += len;
            i += 1;
        }
        n.step();
        for e in n.events[B].drain(..) {
            if let Event::DataChannelMessage { channel, data, .. } = e {
                if channel == bulk_b {
                    got += data.len();
                    got_hash.update(&data);
                } else if channel == lossy_b {
                    unreliable.push(data);
                }
            }
        }
        n.events[A].clear();
    }
    assert_eq!(got, TOTAL, "every reliable byte arrived");
    assert_eq!(
        sent_hash.finish().as_ref(),
        got_hash.finish().as_ref(),
        "byte-exact"
    );
    // The unreliable channel really dropped, and delivered only intact messages.
    assert!(
        (unreliable.len() as u32) < UNRELIABLE,
        "maxRetransmits 0 gave some messages up ({} of {UNRELIABLE} arrived)",
        unreliable.len()
    );
    assert!(
        unreliable.len() as u32 > UNRELIABLE / 2,
        "most unreliable messages arrived ({})",
        unreliable.len()
    );
    let sent_unreliable: std::collections::HashSet<Vec<u8>> =
        (0..UNRELIABLE).map(|i| message(i, 1_000)).collect();
    for m in &unreliable {
        assert!(
            sent_unreliable.contains(m),
            "an unreliable message arrived intact"
        );
    }
    let stats = n.net.stats(A, B);
    assert!(
        stats.lost > 0 && stats.duplicated > 0 && stats.reordered > 0,
        "{stats:?}"
    );
}
