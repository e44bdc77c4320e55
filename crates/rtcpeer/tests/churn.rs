//! Leaks and churn: connections with a data channel are made, used and
//! closed over and over in one process; afterwards the tasks and sockets
//! return to what they were, and memory stays bounded.
//!
//! CI runs 60 cycles. The long run (#8) is the same test with more:
//! `CHURN_CYCLES=10000 cargo test --release -p rtcpeer --test churn -- --nocapture`.

mod local;

use std::time::Duration;

use local::{Pair, LIMIT};
use rtcpeer::{DataChannelEvent, Message};
use tokio::time::timeout;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// One connection's life: connect, open, echo one message, close, drop.
async fn cycle(i: usize) {
    let pair = Pair::open("churn").await;
    let mut b_events = pair.b_dc.events();
    let mut a_events = pair.a_dc.events();
    let text = format!("cycle {i}");
    pair.a_dc.send_text(&text).unwrap();
    let got = timeout(LIMIT, async {
        loop {
            if let Some(DataChannelEvent::Message(m)) = b_events.recv().await {
                pair.b_dc.send_text(&format!("{m:?}")).unwrap();
                break;
            }
        }
        loop {
            if let Some(DataChannelEvent::Message(m)) = a_events.recv().await {
                return m;
            }
        }
    })
    .await
    .expect("echo in time");
    assert_eq!(got, Message::Text(format!("{:?}", Message::Text(text))));
    pair.close();
}

/// Waits (bounded) until `f` is at most `want`; returns the last value.
async fn settle(mut f: impl FnMut() -> usize, want: usize) -> usize {
    for _ in 0..400 {
        let v = f();
        if v <= want {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    f()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_made_and_closed_return_tasks_sockets_and_memory() {
    let cycles: usize = std::env::var("CHURN_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    // Warm up (lazy statics, the allocator's pools), then take the baseline.
    for i in 0..3 {
        cycle(i).await;
    }
    let (fds0, tasks0) = (settle(open_fds, 0).await, settle(alive_tasks, 0).await);
    let rss0 = rss_kib();
    let mut peak = rss0;
    for i in 0..cycles {
        cycle(i).await;
        peak = peak.max(rss_kib());
        if (i + 1) % 1000 == 0 {
            println!(
                "{} cycles: rss {} KiB, fds {}, tasks {}",
                i + 1,
                rss_kib(),
                open_fds(),
                alive_tasks()
            );
        }
    }
    let fds = settle(open_fds, fds0).await;
    let tasks = settle(alive_tasks, tasks0).await;
    let rss = rss_kib();
    println!(
        "after {cycles} cycles: fds {fds0} -> {fds}, tasks {tasks0} -> {tasks}, \
         rss {rss0} -> {rss} KiB (peak {peak} KiB)"
    );
    assert!(fds <= fds0, "sockets leaked: {fds0} -> {fds}");
    assert!(tasks <= tasks0, "tasks leaked: {tasks0} -> {tasks}");
    // Memory: bounded, not growing with the number of cycles (32 MiB covers
    // allocator slack on any count).
    assert!(
        rss.saturating_sub(rss0) < 32 * 1024,
        "memory grew by {} KiB over {cycles} cycles",
        rss - rss0
    );
}

#[tokio::test]
async fn close_ends_event_streams_and_weak_handles_do_not_keep_a_connection() {
    let pc = local::loopback_pc();
    let mut before = pc.events();
    let weak = pc.downgrade();
    assert!(weak.upgrade().is_some());
    pc.close();
    assert!(before.recv().await.is_none(), "the stream ends at close()");
    assert!(pc.events().recv().await.is_none(), "and new ones are ended");
    drop(pc);
    assert!(weak.upgrade().is_none(), "the weak handle does not keep it");
}
