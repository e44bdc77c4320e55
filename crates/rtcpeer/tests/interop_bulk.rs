//! Bulk data and a tampered fingerprint against Chromium, inside
//! `testkit::isolate!()`.
//!
//! - 64 MiB to Chromium and back on one reliable channel, in 64 KiB binary
//!   messages, paced by `bufferedAmount` and `bufferedamountlow` on our side
//!   (the page's echo is paced by its own `bufferedAmount`): the SHA-256 of
//!   what came back equals the SHA-256 of what we sent.
//! - A fingerprint that does not match: Chromium answers, we tamper with the
//!   answer's `a=fingerprint` before applying it; our DTLS transport fires
//!   `error` (RTCError `fingerprint-failure`), goes `failed`, and so does the
//!   connection.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest::{Context, SHA256};
use common::{Kind, Remote};
use rtcpeer::{
    DataChannelEvent, DtlsTransportEvent, DtlsTransportState, ErrorDetail, ErrorKind, Event,
    Message, PeerConnection, PeerConnectionState, SessionDescription,
};
use serde_json::json;
use tokio::time::timeout;

const TOTAL: usize = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// We stop queueing above this many buffered bytes…
const HIGH_WATER: u64 = 4 * 1024 * 1024;
/// …and resume at `bufferedamountlow`, below this.
const LOW_WATER: u64 = 1024 * 1024;

/// Deterministic, incompressible-looking bytes (xorshift64*).
fn chunk(index: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (index as u64 + 1);
    let mut out = Vec::with_capacity(CHUNK);
    while out.len() < CHUNK {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_echoes_64_mib_with_flow_control() {
    testkit::isolate!();
    let remote = Arc::new(
        Remote::launch(
            Kind::Chromium,
            json!({"role": "answerer", "echo": true, "record": false}),
        )
        .await,
    );
    let pc =
        PeerConnection::with_settings(Default::default(), common::namespace_settings()).unwrap();
    let (task, _incoming) = common::signal(&pc, remote.clone(), None);
    let dc = pc.create_data_channel("bulk", Default::default()).unwrap();
    let mut events = dc.events();
    common::offer(&pc, &remote).await;
    common::wait_open(&mut events, "bulk").await;
    dc.set_buffered_amount_low_threshold(LOW_WATER);

    let chunks = TOTAL / CHUNK;
    let mut sent_hash = Context::new(&SHA256);
    let mut echo_hash = Context::new(&SHA256);
    let mut next = 0;
    let mut echoed = 0usize;
    let mut low_events = 0;
    let mut max_buffered = 0;
    let send_more = |next: &mut usize, sent_hash: &mut Context, max_buffered: &mut u64| {
        while *next < chunks && dc.buffered_amount() <= HIGH_WATER {
            let c = chunk(*next);
            sent_hash.update(&c);
            dc.send(&c).expect("send while open");
            *next += 1;
            *max_buffered = (*max_buffered).max(dc.buffered_amount());
        }
    };
    send_more(&mut next, &mut sent_hash, &mut max_buffered);
    // Generous: debug builds on a shared 2-core machine.
    let done = timeout(Duration::from_secs(120), async {
        while echoed < TOTAL {
            match events.recv().await {
                Some(DataChannelEvent::Message(Message::Binary(b))) => {
                    echoed += b.len();
                    echo_hash.update(&b);
                }
                Some(DataChannelEvent::BufferedAmountLow) => {
                    low_events += 1;
                    send_more(&mut next, &mut sent_hash, &mut max_buffered);
                }
                Some(e) => panic!("unexpected event {e:?} after {echoed} bytes"),
                None => panic!("channel gone after {echoed} bytes"),
            }
        }
    })
    .await;
    done.unwrap_or_else(|_| {
        panic!("64 MiB echoed in time: {echoed} bytes back, {next} of {chunks} chunks sent")
    });
    assert_eq!(next, chunks, "every chunk was sent");
    assert_eq!(echoed, TOTAL);
    assert!(
        max_buffered <= HIGH_WATER + CHUNK as u64,
        "we never buffered more than the high-water mark and one chunk ({max_buffered})"
    );
    assert!(
        low_events > 0,
        "the transfer was paced by bufferedamountlow"
    );
    assert_eq!(
        sent_hash.finish().as_ref(),
        echo_hash.finish().as_ref(),
        "SHA-256 of what came back equals what we sent"
    );

    let report = remote.report().await;
    assert_eq!(report["counts"]["bulk"]["bytes"], json!(TOTAL), "{report}");
    assert_eq!(report["counts"]["bulk"]["messages"], json!(chunks));
    task.abort();
    pc.close();
}

/// Flips the last hex digit of every `a=fingerprint` line.
fn tamper_fingerprint() -> common::Munge {
    Arc::new(|d: &mut SessionDescription| {
        let mut out = String::new();
        let mut tampered = 0;
        for line in d.sdp.split_inclusive("\r\n") {
            if line.starts_with("a=fingerprint:") {
                let body = line.trim_end();
                let (head, last) = body.split_at(body.len() - 1);
                let flipped = if last == "0" { "1" } else { "0" };
                out.push_str(&format!("{head}{flipped}\r\n"));
                tampered += 1;
            } else {
                out.push_str(line);
            }
        }
        assert!(tampered > 0, "the answer has a fingerprint to tamper with");
        d.sdp = out;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_with_a_wrong_fingerprint_fails_the_connection() {
    testkit::isolate!();
    let remote = Arc::new(
        Remote::launch(
            Kind::Chromium,
            json!({"role": "answerer", "echo": true, "events": true}),
        )
        .await,
    );
    let pc =
        PeerConnection::with_settings(Default::default(), common::namespace_settings()).unwrap();
    let mut pc_events = pc.events();
    let (task, _incoming) = common::signal(&pc, remote.clone(), Some(tamper_fingerprint()));
    let dc = pc.create_data_channel("never", Default::default()).unwrap();
    let mut dc_events = dc.events();
    common::offer(&pc, &remote).await;

    // The connection fails (and never connects on the way).
    timeout(common::LIMIT, async {
        loop {
            match pc_events.recv().await {
                Some(Event::ConnectionStateChange(PeerConnectionState::Failed)) => return,
                Some(Event::ConnectionStateChange(PeerConnectionState::Connected)) => {
                    panic!("connected despite a wrong fingerprint")
                }
                Some(_) => {}
                None => panic!("connection gone"),
            }
        }
    })
    .await
    .expect("the connection fails in time");
    assert_eq!(pc.connection_state(), PeerConnectionState::Failed);

    // The DTLS transport said why: error (fingerprint-failure), then failed.
    let sctp = pc.sctp().expect("data channels were negotiated");
    let dtls = sctp.transport();
    assert_eq!(dtls.state(), DtlsTransportState::Failed);
    let mut dtls_events = dtls.events();
    let mut seen = Vec::new();
    while let Some(e) = dtls_events.try_recv() {
        seen.push(e);
    }
    let error_at = seen
        .iter()
        .position(|e| matches!(e, DtlsTransportEvent::Error(_)))
        .unwrap_or_else(|| panic!("an error event: {seen:?}"));
    let DtlsTransportEvent::Error(err) = &seen[error_at] else {
        unreachable!()
    };
    assert_eq!(err.kind(), ErrorKind::OperationError);
    assert_eq!(
        err.detail(),
        Some(ErrorDetail::FingerprintFailure),
        "{err:?}"
    );
    assert!(
        matches!(
            seen[error_at + 1..],
            [
                DtlsTransportEvent::StateChange(DtlsTransportState::Failed),
                ..
            ]
        ),
        "statechange to failed follows the error: {seen:?}"
    );
    assert!(
        !seen.iter().any(|e| matches!(
            e,
            DtlsTransportEvent::StateChange(DtlsTransportState::Connected)
        )),
        "never connected: {seen:?}"
    );
    // The channel never opened.
    while let Some(e) = dc_events.try_recv() {
        assert_ne!(e, DataChannelEvent::Open, "the channel opened");
    }
    assert!(dc.send_text("x").is_err());
    task.abort();
    pc.close();
}
