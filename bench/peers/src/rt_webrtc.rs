//! webrtc-rs 0.21 (async over the sans-IO `rtc` core), tokio runtime, UDP bound to
//! 127.0.0.1, mDNS off, non-trickle (the SDP is exchanged after gathering completes,
//! as its examples do). Flow control: its send-buffer limit, which makes `send`
//! wait while the channel's outstanding bytes exceed it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::sync::mpsc;
use tokio::time::timeout;
use webrtc::data_channel::{DataChannel, DataChannelEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState,
    SettingEngineBuilder,
};

use crate::common::*;

const IMP: &str = "webrtc-rs";

struct Handler {
    gathered: mpsc::UnboundedSender<()>,
    channels: mpsc::UnboundedSender<Arc<dyn DataChannel>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }
    async fn on_data_channel(&self, dc: Arc<dyn DataChannel>) {
        let _ = self.channels.send(dc);
    }
}

struct Side {
    pc: Box<dyn PeerConnection>,
    gathered: mpsc::UnboundedReceiver<()>,
    channels: mpsc::UnboundedReceiver<Arc<dyn DataChannel>>,
}

async fn side() -> Side {
    let (gtx, gathered) = mpsc::unbounded_channel();
    let (ctx, channels) = mpsc::unbounded_channel();
    let se = SettingEngineBuilder::new()
        .with_multicast_dns_mode(webrtc_mdns_disabled())
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_setting_engine(se)
        .with_runtime(webrtc::runtime::default_runtime().unwrap())
        .with_handler(Arc::new(Handler { gathered: gtx, channels: ctx }))
        .with_udp_addrs(vec!["127.0.0.1:0".to_string()])
        .with_data_channel_send_buffer_limit(HIGH_WATER)
        .build()
        .await
        .unwrap();
    Side { pc: Box::new(pc), gathered, channels }
}

fn webrtc_mdns_disabled() -> rtc::ice::mdns::MulticastDnsMode {
    rtc::ice::mdns::MulticastDnsMode::Disabled
}

struct Pair {
    a: Side,
    b: Side,
    dc_a: Arc<dyn DataChannel>,
    dc_b: Arc<dyn DataChannel>,
}

async fn pair() -> Pair {
    let mut a = side().await;
    let mut b = side().await;
    let dc_a = a.pc.create_data_channel("bench", None).await.unwrap();
    let offer = a.pc.create_offer(None).await.unwrap();
    a.pc.set_local_description(offer).await.unwrap();
    timeout(LIMIT, a.gathered.recv()).await.unwrap();
    let offer = a.pc.local_description().await.unwrap();
    b.pc.set_remote_description(offer).await.unwrap();
    let answer = b.pc.create_answer(None).await.unwrap();
    b.pc.set_local_description(answer).await.unwrap();
    timeout(LIMIT, b.gathered.recv()).await.unwrap();
    let answer = b.pc.local_description().await.unwrap();
    a.pc.set_remote_description(answer).await.unwrap();
    timeout(LIMIT, async {
        loop {
            match dc_a.poll().await {
                Some(DataChannelEvent::OnOpen) => return,
                Some(_) => {}
                None => panic!("channel gone"),
            }
        }
    })
    .await
    .expect("open in time");
    let dc_b = timeout(LIMIT, b.channels.recv()).await.unwrap().unwrap();
    Pair { a, b, dc_a, dc_b }
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
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        let _ = p.a.pc.close().await;
        let _ = p.b.pc.close().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report_s(IMP, &mut ms);
}

async fn t(o: &Opts) {
    let p = pair().await;
    let total = o.total();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let dc_b = p.dc_b.clone();
    tokio::spawn(async move {
        let mut got = 0usize;
        while let Some(e) = dc_b.poll().await {
            if let DataChannelEvent::OnMessage(m) = e {
                got += m.data.len();
                if got >= total {
                    got -= total;
                    let _ = done_tx.send(Instant::now());
                }
            }
        }
    });
    // Drain the sender's own events so its queue does not grow.
    let dc_ev = p.dc_a.clone();
    tokio::spawn(async move { while dc_ev.poll().await.is_some() {} });
    let msg = BytesMut::from(&vec![0x5a_u8; o.size][..]);
    let (mut secs, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..o.runs {
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let mut sent = 0;
        while sent < total {
            p.dc_a.send(msg.clone()).await.unwrap();
            sent += o.size;
        }
        let end = timeout(LIMIT, done_rx.recv()).await.expect("run in time").unwrap();
        secs.push((end - t0).as_secs_f64());
        cpu.push(cpu_seconds() - c0);
    }
    report_t(IMP, o.size, &mut secs, &mut cpu, total);
}

async fn r(o: &Opts) {
    let p = pair().await;
    let echo = p.dc_b.clone();
    tokio::spawn(async move {
        while let Some(e) = echo.poll().await {
            if let DataChannelEvent::OnMessage(m) = e {
                echo.send(m.data).await.unwrap();
            }
        }
    });
    let n = o.n_or(1000);
    let msg = BytesMut::from(&[7u8; PING][..]);
    let mut us = Vec::new();
    for i in 0..n + 50 {
        let t0 = Instant::now();
        p.dc_a.send(msg.clone()).await.unwrap();
        loop {
            match timeout(LIMIT, p.dc_a.poll()).await.expect("echo in time") {
                Some(DataChannelEvent::OnMessage(_)) => break,
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
