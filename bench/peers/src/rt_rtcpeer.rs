//! rtcpeer: two PeerConnections with `Settings::loopback_only()`, trickled candidates.

use std::time::{Duration, Instant};

use rtcpeer::{
    DataChannel, DataChannelEvent, DataChannelEventStream, Event, Message, PeerConnection, Settings,
};
use tokio::time::timeout;

use crate::common::*;

const IMP: &str = "rtcpeer";

fn pc() -> PeerConnection {
    PeerConnection::with_settings(Default::default(), Settings::loopback_only()).unwrap()
}

fn trickle(from: &PeerConnection, to: &PeerConnection) {
    let mut events = from.events();
    let to = to.clone();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::IceCandidate(c) = e {
                while to.remote_description().is_none() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let _ = to.add_ice_candidate(c).await;
            }
        }
    });
}

struct Pair {
    a: PeerConnection,
    b: PeerConnection,
    dc_a: DataChannel,
    ev_a: DataChannelEventStream,
    dc_b: DataChannel,
}

/// New pair, connected, with channel "bench" open on both sides.
async fn pair() -> Pair {
    let (a, b) = (pc(), pc());
    let mut b_events = b.events();
    let dc_a = a.create_data_channel("bench", Default::default()).unwrap();
    let mut ev_a = dc_a.events();
    trickle(&a, &b);
    trickle(&b, &a);
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    a.set_remote_description(answer).await.unwrap();
    timeout(LIMIT, async {
        while let Some(e) = ev_a.recv().await {
            if e == DataChannelEvent::Open {
                return;
            }
        }
        panic!("channel events ended");
    })
    .await
    .expect("open in time");
    let dc_b = timeout(LIMIT, async {
        loop {
            match b_events.recv().await {
                Some(Event::DataChannel(dc)) => return dc,
                Some(_) => {}
                None => panic!("b gone"),
            }
        }
    })
    .await
    .expect("remote channel in time");
    Pair { a, b, dc_a, ev_a, dc_b }
}

pub fn run(sc: &str, o: &Opts) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        match sc {
            "S" => s(o).await,
            "T" => t(o).await,
            "R" => r(o).await,
            "M" => m(o).await,
            _ => panic!("unknown scenario {sc}"),
        }
    });
}

async fn s(o: &Opts) {
    let mut ms = Vec::new();
    for _ in 0..o.n_or(20) {
        let t0 = Instant::now();
        let p = pair().await;
        // Time to the offerer's `open` (the answerer's channel is open by then too).
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        p.a.close();
        p.b.close();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report_s(IMP, &mut ms);
}

async fn t(o: &Opts) {
    let mut p = pair().await;
    let total = o.total();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut ev_b = p.dc_b.events();
    tokio::spawn(async move {
        let mut got = 0usize;
        while let Some(e) = ev_b.recv().await {
            if let DataChannelEvent::Message(Message::Binary(d)) = e {
                got += d.len();
                if got >= total {
                    got -= total;
                    let _ = done_tx.send(Instant::now());
                }
            }
        }
    });
    let msg = vec![0x5a_u8; o.size];
    p.dc_a.set_buffered_amount_low_threshold(LOW_WATER as u64);
    let (mut secs, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..o.runs {
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let mut sent = 0;
        while sent < total {
            while p.dc_a.buffered_amount() as usize + o.size > HIGH_WATER {
                match timeout(LIMIT, p.ev_a.recv()).await.expect("low in time") {
                    Some(_) => {}
                    None => panic!("channel gone"),
                }
            }
            p.dc_a.send(&msg).unwrap();
            sent += o.size;
        }
        let end = timeout(LIMIT, done_rx.recv()).await.expect("run in time").unwrap();
        secs.push((end - t0).as_secs_f64());
        cpu.push(cpu_seconds() - c0);
        while p.ev_a.try_recv().is_some() {}
    }
    report_t(IMP, o.size, &mut secs, &mut cpu, total);
}

async fn r(o: &Opts) {
    let mut p = pair().await;
    let mut ev_b = p.dc_b.events();
    let echo = p.dc_b.clone();
    tokio::spawn(async move {
        while let Some(e) = ev_b.recv().await {
            if let DataChannelEvent::Message(Message::Binary(d)) = e {
                echo.send(&d).unwrap();
            }
        }
    });
    let n = o.n_or(1000);
    let msg = [7u8; PING];
    let mut us = Vec::new();
    for i in 0..n + 50 {
        let t0 = Instant::now();
        p.dc_a.send(&msg).unwrap();
        loop {
            match timeout(LIMIT, p.ev_a.recv()).await.expect("echo in time") {
                Some(DataChannelEvent::Message(_)) => break,
                Some(_) => {}
                None => panic!("gone"),
            }
        }
        if i >= 50 {
            us.push(t0.elapsed().as_secs_f64() * 1e6);
        }
    }
    report_r(IMP, &mut us);
}

async fn m(o: &Opts) {
    // One pair first, so that lazily built process state is in the baseline.
    let _warm = pair().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss0 = rss_kib();
    let mut keep = Vec::new();
    for _ in 0..o.pcs / 2 {
        keep.push(pair().await);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss1 = rss_kib();
    report_m(IMP, rss0, rss1, keep.len() * 2);
}
