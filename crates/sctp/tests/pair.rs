//! Two associations through the seeded network emulator on virtual time.

mod common;

use common::{cfg, payload, Pair, A, B};
use rtcpeer_sctp::{SctpConfig, SctpEvent, SendError, SendOptions, State};
use std::time::Duration;
use testkit::emulator::LinkConfig;

fn lossy(loss: f64) -> LinkConfig {
    LinkConfig {
        loss,
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        reorder: 0.02,
        reorder_delay: Duration::from_millis(15),
        duplicate: 0.01,
        ..LinkConfig::default()
    }
}

#[test]
fn simultaneous_init_connects_and_negotiates() {
    let p = Pair::connected(1);
    assert_eq!(p.a.state(), State::Established);
    assert_eq!(p.b.state(), State::Established);
    assert!(p.a.is_interleaving() && p.b.is_interleaving());
    assert!(p.a.is_zero_checksum() && p.b.is_zero_checksum());
    assert_eq!(p.a.stream_counts(), (65535, 65535));
    assert_eq!(
        p.ev_a
            .iter()
            .filter(|e| **e == SctpEvent::Connected)
            .count(),
        1
    );
}

#[test]
fn one_sided_connect_and_features_off() {
    let ca = SctpConfig {
        enable_interleaving: false,
        zero_checksum: false,
        max_streams: 16,
        ..cfg(2)
    };
    let mut p = Pair::new(2, ca, cfg(3), LinkConfig::default());
    let now = p.now;
    p.a.connect(now);
    p.run_until(Duration::from_secs(5), |p| {
        p.has(B, &SctpEvent::Connected) && p.has(A, &SctpEvent::Connected)
    });
    assert_eq!(p.a.state(), State::Established);
    assert_eq!(p.b.state(), State::Established);
    assert!(!p.a.is_interleaving() && !p.b.is_interleaving());
    assert!(!p.b.is_zero_checksum(), "a did not offer zero checksum");
    assert!(
        !p.a.is_zero_checksum(),
        "zero checksum needs both sides to offer it"
    );
    assert_eq!(p.b.stream_counts(), (16, 16));
    let now = p.now;
    assert_eq!(
        p.b.send(now, 16, 51, b"x", SendOptions::default()),
        Err(SendError::InvalidStream)
    );
}

#[test]
fn handshake_survives_loss() {
    let mut p = Pair::new(
        4,
        cfg(4),
        cfg(5),
        LinkConfig {
            loss: 0.5,
            ..lossy(0.0)
        },
    );
    let now = p.now;
    p.a.connect(now);
    p.b.connect(now);
    let ok = p.run_until(Duration::from_secs(120), |p| {
        p.a.state() == State::Established && p.b.state() == State::Established
    });
    assert!(ok, "connected through 50% loss");
}

fn exchange(seed: u64, interleave: bool, link: LinkConfig, n: u32) {
    let c = |s| SctpConfig {
        enable_interleaving: interleave,
        ..cfg(s)
    };
    let mut p = Pair::new(seed, c(seed), c(seed + 100), link);
    p.connect_both();
    let now = p.now;
    let mut expect_b = Vec::new();
    let mut expect_a = Vec::new();
    for i in 0..n {
        let len = [1usize, 100, 1100, 1101, 5000, 20_000][i as usize % 6];
        let sid = (i % 3) as u16;
        let m = payload(i, len);
        p.a.send(now, sid, 50 + i % 4, &m, SendOptions::default())
            .unwrap();
        expect_b.push((sid, 50 + i % 4, m.clone()));
        p.b.send(now, sid + 10, 51, &m, SendOptions::default())
            .unwrap();
        expect_a.push((sid + 10, 51, m));
    }
    let done = p.run_until(Duration::from_secs(600), |p| {
        p.messages(B).len() == n as usize && p.messages(A).len() == n as usize
    });
    assert!(
        done,
        "all messages arrived (b {} a {})",
        p.messages(B).len(),
        p.messages(A).len()
    );
    // Per stream, order is kept.
    for sid in 0..3u16 {
        let got: Vec<_> = p.messages(B).into_iter().filter(|m| m.0 == sid).collect();
        let want: Vec<_> = expect_b.iter().filter(|m| m.0 == sid).cloned().collect();
        assert_eq!(got, want, "stream {sid} in order and intact");
        let got: Vec<_> = p
            .messages(A)
            .into_iter()
            .filter(|m| m.0 == sid + 10)
            .collect();
        let want: Vec<_> = expect_a
            .iter()
            .filter(|m| m.0 == sid + 10)
            .cloned()
            .collect();
        assert_eq!(got, want);
    }
    let st = p.b.stream_stats(0);
    assert_eq!(
        st.messages_received,
        expect_b.iter().filter(|m| m.0 == 0).count() as u64
    );
}

#[test]
fn ordered_exchange_perfect_link_idata() {
    exchange(10, true, LinkConfig::default(), 60);
}

#[test]
fn ordered_exchange_perfect_link_data() {
    exchange(11, false, LinkConfig::default(), 60);
}

#[test]
fn ordered_exchange_loss_1_5_20_percent() {
    for (i, loss) in [0.01, 0.05, 0.20].into_iter().enumerate() {
        exchange(20 + i as u64, true, lossy(loss), 60);
        exchange(30 + i as u64, false, lossy(loss), 60);
    }
}

#[test]
fn burst_loss_and_outage_recover() {
    let link = LinkConfig {
        burst: Some(testkit::emulator::BurstLoss {
            enter_bad: 0.02,
            leave_bad: 0.3,
            loss_in_bad: 0.9,
        }),
        ..lossy(0.0)
    };
    let mut p = Pair::new(40, cfg(40), cfg(41), link);
    p.connect_both();
    let t = p.now;
    p.net.add_outage(
        A,
        B,
        t + Duration::from_millis(50),
        t + Duration::from_secs(3),
    );
    for i in 0..200u32 {
        let now = p.now;
        p.a.send(now, 1, 51, &payload(i, 3000), SendOptions::default())
            .unwrap();
    }
    assert!(p.run_until(Duration::from_secs(300), |p| p.messages(B).len() == 200));
    let got = p.messages(B);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, m)| m.2 == payload(i as u32, 3000)));
    let s = p.a.stats();
    assert!(
        s.t3_expirations > 0,
        "the outage forced a retransmission timeout"
    );
    assert!(s.retransmitted_chunks > 0);
}

#[test]
fn unordered_delivery_arrives_complete() {
    let mut p = Pair::new(50, cfg(50), cfg(51), lossy(0.05));
    p.connect_both();
    let now = p.now;
    let unordered = SendOptions {
        ordered: false,
        ..SendOptions::default()
    };
    for i in 0..100u32 {
        p.a.send(now, 2, 51, &payload(i, 2500), unordered).unwrap();
    }
    assert!(p.run_until(Duration::from_secs(300), |p| p.messages(B).len() == 100));
    let mut got: Vec<Vec<u8>> = p.messages(B).into_iter().map(|m| m.2).collect();
    let mut want: Vec<Vec<u8>> = (0..100).map(|i| payload(i, 2500)).collect();
    let in_order = got == want;
    got.sort();
    want.sort();
    assert_eq!(got, want, "every message arrived intact");
    assert!(!in_order, "with loss, unordered delivery overtook");
}

fn reliable_bulk(seed: u64, interleave: bool, total: usize, link: LinkConfig) {
    let c = |s| SctpConfig {
        enable_interleaving: interleave,
        ..cfg(s)
    };
    let (loss, dup) = (link.loss, link.duplicate);
    let mut p = Pair::new(seed, c(seed), c(seed + 1), link);
    p.connect_both();
    let mut sent = 0usize;
    let mut i = 0u32;
    let mut tx_hash = 0u32;
    let mut rx_hash = 0u32;
    let mut rx = 0usize;
    let mut rx_msgs = 0u32;
    let end = p.now + Duration::from_secs(3600);
    while rx < total && p.now < end {
        while sent < total && p.a.buffered_amount(1) < 2 << 20 {
            let len = (16 * 1024 + (i as usize * 7919) % (48 * 1024)).min(total - sent);
            let m = payload(i, len);
            tx_hash = crc32c::crc32c_append(tx_hash, &m);
            let now = p.now;
            p.a.send(now, 1, 53, &m, SendOptions::default()).unwrap();
            sent += len;
            i += 1;
        }
        if !p.step() {
            break;
        }
        for e in p.ev_b.drain(..) {
            if let SctpEvent::Message { data, .. } = e {
                rx_hash = crc32c::crc32c_append(rx_hash, &data);
                rx += data.len();
                rx_msgs += 1;
            }
        }
    }
    assert_eq!(rx, total, "every byte arrived");
    assert_eq!(rx_msgs, i);
    assert_eq!(rx_hash, tx_hash, "byte-exact");
    if loss > 0.0 {
        assert!(p.a.stats().fast_retransmits > 0);
    }
    if dup > 0.0 {
        assert!(p.b.stats().duplicate_tsns > 0);
    }
}

#[test]
fn hundred_megabytes_reliable_through_loss_reorder_duplication() {
    let link = LinkConfig {
        loss: 0.05,
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(2),
        reorder: 0.03,
        reorder_delay: Duration::from_millis(8),
        duplicate: 0.02,
        ..LinkConfig::default()
    };
    reliable_bulk(60, true, 100 << 20, link);
}

#[test]
fn bulk_reliable_with_data_chunks() {
    reliable_bulk(61, false, 8 << 20, lossy(0.03));
}

#[test]
fn partial_reliability_really_drops_and_goes_on() {
    for interleave in [true, false] {
        let c = |s| SctpConfig {
            enable_interleaving: interleave,
            ..cfg(s)
        };
        let mut p = Pair::new(70, c(70), c(71), lossy(0.2));
        p.connect_both();
        let now = p.now;
        let pr = SendOptions {
            max_retransmits: Some(0),
            ..SendOptions::default()
        };
        for i in 0..200u32 {
            p.a.send(now, 3, 51, &payload(i, 3000), pr).unwrap();
        }
        p.a.send(now, 4, 51, b"reliable tail", SendOptions::default())
            .unwrap();
        assert!(p.run_until(Duration::from_secs(300), |p| p
            .messages(B)
            .iter()
            .any(|m| m.0 == 4)));
        // Let the last FORWARD-TSNs and retransmissions settle.
        p.run_until(Duration::from_secs(20), |_| false);
        let got: Vec<_> = p.messages(B).into_iter().filter(|m| m.0 == 3).collect();
        assert!(
            got.len() < 200,
            "some messages were given up ({})",
            got.len()
        );
        assert!(got.len() > 50, "most went through ({})", got.len());
        // What arrived is intact and in order.
        let mut last = None;
        for m in &got {
            let idx = (0..200u32)
                .find(|&i| payload(i, 3000) == m.2)
                .expect("an intact sent message");
            assert!(last.is_none_or(|l| idx > l));
            last = Some(idx);
        }
        assert!(p.a.stats().messages_abandoned > 0);
        // The ordered stream is not stalled.
        let now = p.now;
        p.a.send(now, 3, 51, b"after", SendOptions::default())
            .unwrap();
        assert!(p.run_until(Duration::from_secs(60), |p| p
            .messages(B)
            .iter()
            .any(|m| m.2 == b"after")));
    }
}

#[test]
fn lifetime_expiry_abandons() {
    let mut p = Pair::new(
        72,
        cfg(72),
        cfg(73),
        LinkConfig {
            delay: Duration::from_millis(50),
            ..lossy(0.3)
        },
    );
    p.connect_both();
    let now = p.now;
    let pr = SendOptions {
        lifetime: Some(Duration::from_millis(10)),
        ordered: false,
        ..SendOptions::default()
    };
    for i in 0..300u32 {
        p.a.send(now, 5, 51, &payload(i, 1000), pr).unwrap();
    }
    p.run_until(Duration::from_secs(30), |_| false);
    let got = p.messages(B).len();
    assert!(got < 300, "expired messages were dropped ({got})");
    assert!(p.a.stats().messages_abandoned > 0);
    assert_eq!(p.a.state(), State::Established);
}

#[test]
fn stream_reset_both_sides_and_reuse() {
    let mut p = Pair::connected(80);
    let now = p.now;
    p.a.send(now, 7, 51, b"one", SendOptions::default())
        .unwrap();
    p.a.send(now, 7, 51, b"two", SendOptions::default())
        .unwrap();
    p.a.reset_streams(now, &[7]);
    p.a.send(now, 7, 51, b"after reset", SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(10), |p| p.has(
        B,
        &SctpEvent::StreamReset {
            stream_ids: vec![7]
        }
    ) && p.has(
        A,
        &SctpEvent::OutgoingStreamsReset {
            stream_ids: vec![7]
        }
    ) && p.messages(B).len() == 3));
    let got: Vec<_> = p.messages(B).into_iter().map(|m| m.2).collect();
    assert_eq!(
        got,
        vec![b"one".to_vec(), b"two".to_vec(), b"after reset".to_vec()]
    );
    // The peer closes its side too (as a data channel does).
    let now = p.now;
    p.b.reset_streams(now, &[7]);
    assert!(p.run_until(Duration::from_secs(10), |p| p.has(
        A,
        &SctpEvent::StreamReset {
            stream_ids: vec![7]
        }
    )));
}

#[test]
fn resetting_more_streams_than_one_packet_holds_takes_several_requests() {
    // A packet size whose room for stream ids is odd (padding matters).
    let c = |s| SctpConfig {
        max_packet_size: 1_127,
        ..cfg(s)
    };
    let mut p = Pair::new(83, c(83), c(84), LinkConfig::default());
    p.connect_both();
    let now = p.now;
    let streams: Vec<u16> = (0..1_500).map(|i| 2 * i + 1).collect();
    for s in &streams {
        p.a.reset_streams(now, &[*s]);
    }
    let reset = |p: &Pair, who: usize| {
        let evs = if who == A { &p.ev_a } else { &p.ev_b };
        let mut got: Vec<u16> = evs
            .iter()
            .flat_map(|e| match e {
                SctpEvent::StreamReset { stream_ids } if who == B => stream_ids.clone(),
                SctpEvent::OutgoingStreamsReset { stream_ids } if who == A => stream_ids.clone(),
                _ => Vec::new(),
            })
            .collect();
        got.sort_unstable();
        got
    };
    assert!(p.run_until(Duration::from_secs(30), |p| reset(p, A).len()
        == streams.len()));
    assert_eq!(reset(&p, A), streams);
    assert_eq!(reset(&p, B), streams);
}

#[test]
fn stream_reset_waits_for_data_under_loss() {
    let mut p = Pair::new(81, cfg(81), cfg(82), lossy(0.1));
    p.connect_both();
    let now = p.now;
    for i in 0..50u32 {
        p.a.send(now, 9, 51, &payload(i, 4000), SendOptions::default())
            .unwrap();
    }
    p.a.reset_streams(now, &[9]);
    assert!(p.run_until(Duration::from_secs(120), |p| p.has(
        B,
        &SctpEvent::StreamReset {
            stream_ids: vec![9]
        }
    )));
    // Every message sent before the reset arrived first.
    let pos_reset = p
        .ev_b
        .iter()
        .position(|e| matches!(e, SctpEvent::StreamReset { .. }))
        .unwrap();
    let before = p.ev_b[..pos_reset]
        .iter()
        .filter(|e| matches!(e, SctpEvent::Message { .. }))
        .count();
    assert_eq!(before, 50);
}

#[test]
fn peer_restart_is_detected() {
    let mut p = Pair::connected(90);
    let now = p.now;
    p.a.send(now, 1, 51, b"before", SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(5), |p| p.messages(B).len() == 1));
    // b restarts: a brand-new association on the same ports.
    p.b = rtcpeer_sctp::Association::new(cfg(999), p.now);
    p.ev_b.clear();
    let now = p.now;
    p.b.connect(now);
    assert!(
        p.run_until(Duration::from_secs(10), |p| p.has(A, &SctpEvent::Restarted)
            && p.has(B, &SctpEvent::Connected))
    );
    let now = p.now;
    p.a.send(now, 1, 51, b"after", SendOptions::default())
        .unwrap();
    p.b.send(now, 2, 51, b"back", SendOptions::default())
        .unwrap();
    assert!(
        p.run_until(Duration::from_secs(5), |p| p.messages(B).len() == 1
            && p.messages(A).len() == 1)
    );
    assert_eq!(p.messages(B)[0].2, b"after");
}

#[test]
fn graceful_shutdown_after_data() {
    let mut p = Pair::new(100, cfg(100), cfg(101), lossy(0.05));
    p.connect_both();
    let now = p.now;
    for i in 0..20u32 {
        p.a.send(now, 1, 51, &payload(i, 5000), SendOptions::default())
            .unwrap();
    }
    p.a.shutdown(now);
    assert_eq!(
        p.a.send(now, 1, 51, b"late", SendOptions::default()),
        Err(SendError::NotConnected)
    );
    assert!(
        p.run_until(Duration::from_secs(60), |p| p.has(A, &SctpEvent::Closed)
            && p.has(B, &SctpEvent::Closed))
    );
    assert_eq!(
        p.messages(B).len(),
        20,
        "queued data delivered before closing"
    );
    assert_eq!(p.a.state(), State::Closed);
    assert_eq!(p.b.state(), State::Closed);
}

#[test]
fn abort_reaches_peer() {
    let mut p = Pair::connected(110);
    let now = p.now;
    p.a.abort(now);
    assert!(p.run_until(Duration::from_secs(5), |p| p
        .ev_b
        .iter()
        .any(|e| matches!(e, SctpEvent::Aborted { .. }))));
    assert_eq!(p.b.state(), State::Closed);
}

#[test]
fn dead_peer_gives_up() {
    let mut p = Pair::connected(120);
    let t = p.now;
    p.net.add_outage(A, B, t, t + Duration::from_secs(100_000));
    p.net.add_outage(B, A, t, t + Duration::from_secs(100_000));
    p.a.send(t, 1, 51, b"into the void", SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(3600), |p| p
        .ev_a
        .iter()
        .any(|e| matches!(e, SctpEvent::Aborted { .. }))));
}

#[test]
fn idle_heartbeats_keep_association_and_measure_rtt() {
    let mut p = Pair::new(
        130,
        cfg(130),
        cfg(131),
        LinkConfig {
            delay: Duration::from_millis(40),
            ..LinkConfig::default()
        },
    );
    p.connect_both();
    p.run_until(Duration::from_secs(200), |_| false);
    assert_eq!(p.a.state(), State::Established);
    let srtt = p.a.stats().srtt_us;
    assert!(
        (70_000..=90_000).contains(&srtt),
        "srtt {srtt}us from heartbeats over an 80 ms round trip"
    );
}

#[test]
fn message_size_limits() {
    let big = SctpConfig {
        max_message_size: 1 << 20,
        ..cfg(140)
    };
    let small = SctpConfig {
        max_message_size: 10_000,
        ..cfg(141)
    };
    let mut p = Pair::new(140, big, small, LinkConfig::default());
    p.connect_both();
    let now = p.now;
    assert_eq!(
        p.b.send(now, 1, 51, &[0; 10_001], SendOptions::default()),
        Err(SendError::TooLarge)
    );
    assert_eq!(
        p.b.send(now, 1, 51, &[], SendOptions::default()),
        Err(SendError::Empty)
    );
    // a ignores b's limit: b drops that message (counted) and the stream
    // goes on with the next one; the association stays up.
    p.a.send(now, 1, 51, &[1; 50_000], SendOptions::default())
        .unwrap();
    p.a.send(now, 1, 51, b"after", SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(5), |p| !p.messages(B).is_empty()));
    assert_eq!(p.messages(B), vec![(1, 51, b"after".to_vec())]);
    assert_eq!(p.b.stats().messages_too_large, 1);
    assert!(!p
        .ev_b
        .iter()
        .any(|e| matches!(e, SctpEvent::Aborted { .. })));
    assert_eq!(p.b.state(), State::Established);
}

#[test]
fn send_queue_limit_and_buffered_amount_low() {
    let c = SctpConfig {
        max_queued_messages: 10,
        ..cfg(150)
    };
    let mut p = Pair::new(
        150,
        c,
        cfg(151),
        LinkConfig {
            delay: Duration::from_millis(10),
            ..LinkConfig::default()
        },
    );
    p.connect_both();
    let now = p.now;
    p.a.set_buffered_amount_low_threshold(1, 3000);
    for _ in 0..10 {
        p.a.send(now, 1, 51, &[0; 1000], SendOptions::default())
            .unwrap();
    }
    assert_eq!(
        p.a.send(now, 1, 51, &[0; 1000], SendOptions::default()),
        Err(SendError::QueueFull)
    );
    assert_eq!(p.a.buffered_amount(1), 10_000);
    assert!(p.run_until(Duration::from_secs(5), |p| p
        .has(A, &SctpEvent::BufferedAmountLow { stream_id: 1 })));
    p.run_until(Duration::from_secs(5), |p| p.messages(B).len() == 10);
    assert_eq!(p.a.buffered_amount(1), 0);
    assert_eq!(p.a.stream_stats(1).messages_sent, 10);
    assert_eq!(p.a.stream_stats(1).bytes_sent, 10_000);
}

#[test]
fn priorities_share_the_link() {
    let mut p = Pair::new(
        160,
        cfg(160),
        cfg(161),
        LinkConfig {
            delay: Duration::from_millis(5),
            rate_bytes_per_sec: Some(1_000_000),
            ..LinkConfig::default()
        },
    );
    p.connect_both();
    let now = p.now;
    let hi = SendOptions {
        priority: 1024,
        ..SendOptions::default()
    };
    let lo = SendOptions {
        priority: 128,
        ..SendOptions::default()
    };
    for i in 0..100u32 {
        p.a.send(now, 1, 51, &payload(i, 1000), lo).unwrap();
        p.a.send(now, 2, 51, &payload(i, 1000), hi).unwrap();
    }
    p.run_until(Duration::from_secs(60), |p| p.messages(B).len() >= 90);
    let first: Vec<_> = p.messages(B).into_iter().take(90).collect();
    let hi_n = first.iter().filter(|m| m.0 == 2).count();
    assert!(
        hi_n >= 70,
        "high priority got most of the first 90 ({hi_n})"
    );
}

#[test]
fn hostile_packets_are_counted_not_fatal() {
    let mut p = Pair::connected(170);
    let now = p.now;
    let junk: [&[u8]; 5] = [
        &[],
        &[1, 2, 3],
        &[0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0x13, 0x88, 0x13, 0x88, 1, 2, 3, 4, 0, 0, 0, 0],
        &[0; 64],
    ];
    for j in junk {
        p.b.handle_receive(now, j);
    }
    let s = p.b.stats();
    assert!(
        s.packets_malformed + s.packets_bad_tag + s.packets_bad_checksum >= 4,
        "{s:?}"
    );
    assert_eq!(p.b.state(), State::Established);
    let now = p.now;
    p.a.send(now, 1, 51, b"still fine", SendOptions::default())
        .unwrap();
    assert!(p.run_until(Duration::from_secs(5), |p| p.messages(B).len() == 1));
}
