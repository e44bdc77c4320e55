//! In-memory SCTP throughput: rtcpeer-sctp against sctp-proto 0.10 and
//! dcsctp 0.1.16 as published.
//!
//! One core, no UDP, no DTLS: the sender's packets are handed one at a time
//! to the receiver (as a socket would deliver them) and the receiver's
//! packets straight back. Zero round-trip time, the real clock (timers fire
//! when due; when both sides are idle the loop sleeps until the next timer).
//! A seeded generator drops the given share of packets in both directions.
//!
//! Usage: `cargo run --release -p bench-sctp [-- MiB [runs]]`

use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PACKET: usize = 1200;

struct Loss {
    state: u64,
    p: f64,
}

impl Loss {
    fn new(p: f64) -> Self {
        Self {
            state: 0x1234_5678_9abc_def1,
            p,
        }
    }
    fn drop(&mut self) -> bool {
        if self.p == 0.0 {
            return false;
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        ((self.state >> 11) as f64 / (1u64 << 53) as f64) < self.p
    }
}

struct Scenario {
    total: usize,
    msg: usize,
    loss: f64,
}

fn sleep_until(t: Option<Instant>) {
    let now = Instant::now();
    if let Some(t) = t {
        if t > now {
            std::thread::sleep(t - now);
        }
    } else {
        std::thread::sleep(Duration::from_micros(100));
    }
}

// ---------------------------------------------------------------- rtcpeer-sctp

fn run_ours(s: &Scenario, zero_checksum: bool) -> Duration {
    use rtcpeer_sctp::{Association, SctpConfig, SctpEvent, SendOptions};
    let cfg = |seed| SctpConfig {
        max_packet_size: PACKET,
        max_message_size: s.msg,
        zero_checksum,
        seed: Some(seed),
        ..SctpConfig::default()
    };
    let t0 = Instant::now();
    let mut a = Association::new(cfg(1), t0);
    let mut b = Association::new(cfg(2), t0);
    a.connect(t0);
    b.connect(t0);
    let mut loss = Loss::new(s.loss);
    let mut buf = vec![0u8; 1500];
    let mut buf2 = vec![0u8; 1500];
    let msg = Bytes::from(vec![0xA5u8; s.msg]);
    let mut sent = 0usize;
    let mut received = 0usize;
    let mut connected = false;
    let mut start = t0;
    let mut slept = Duration::ZERO;
    let mut sleeps = 0u32;
    loop {
        let now = Instant::now();
        while let Some(e) = a.poll_event() {
            if e == SctpEvent::Connected {
                connected = true;
                start = now;
            }
        }
        if connected {
            while sent < s.total && a.buffered_amount(1) < 1 << 20 {
                a.send_bytes(now, 1, 53, msg.clone(), SendOptions::default())
                    .expect("queued");
                sent += s.msg;
            }
        }
        let mut progressed = false;
        while let Some(n) = a.poll_transmit(now, &mut buf) {
            progressed = true;
            if !loss.drop() {
                b.handle_receive(now, &buf[..n]);
            }
            while let Some(e) = b.poll_event() {
                if let SctpEvent::Message { data, .. } = e {
                    received += data.len();
                }
            }
            while let Some(m) = b.poll_transmit(now, &mut buf2) {
                if !loss.drop() {
                    a.handle_receive(now, &buf2[..m]);
                }
            }
        }
        while let Some(m) = b.poll_transmit(now, &mut buf2) {
            progressed = true;
            if !loss.drop() {
                a.handle_receive(now, &buf2[..m]);
            }
        }
        if received >= s.total {
            if std::env::var_os("SCTP_BENCH_STATS").is_some() {
                eprintln!(
                    "sender {:?}\nreceiver {:?}\nslept {:?} in {} sleeps",
                    a.stats(),
                    b.stats(),
                    slept,
                    sleeps
                );
            }
            return start.elapsed();
        }
        if !progressed {
            let next = [a.poll_timeout(), b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let t = Instant::now();
            if std::env::var_os("SCTP_BENCH_STATS").is_some() && sleeps < 5 {
                eprintln!(
                    "sleep: a {:?} b {:?} outstanding {:?}",
                    a.poll_timeout().map(|x| x - t),
                    b.poll_timeout().map(|x| x - t),
                    a.stats().cwnd
                );
            }
            sleep_until(next);
            slept += t.elapsed();
            sleeps += 1;
            let now = Instant::now();
            a.handle_timeout(now);
            b.handle_timeout(now);
        }
    }
}

// ---------------------------------------------------------------- dcsctp

fn run_dcsctp(s: &Scenario, zero_checksum: bool) -> Duration {
    use dcsctp::api::{
        Message, Options, PpId, SendOptions, SocketEvent, SocketTime, StreamId,
        ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_LOWER_LAYER_DTLS,
    };
    let mut opts = Options {
        mtu: PACKET,
        max_message_size: s.msg,
        ..Options::default()
    };
    if zero_checksum {
        opts.zero_checksum_alternate_error_detection_method =
            ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_LOWER_LAYER_DTLS;
    }
    let mut a = dcsctp::new_socket("a", &opts);
    let mut b = dcsctp::new_socket("b", &opts);
    let t0 = Instant::now();
    let st = |t: Instant| SocketTime::zero() + t.duration_since(t0);
    a.advance_time(st(t0));
    b.advance_time(st(t0));
    a.connect();
    b.connect();
    let mut loss = Loss::new(s.loss);
    let mut sent = 0usize;
    let mut received = 0usize;
    let mut connected = false;
    let mut start = t0;
    let payload = vec![0xA5u8; s.msg];
    loop {
        let now = Instant::now();
        a.advance_time(st(now));
        b.advance_time(st(now));
        let mut progressed = false;
        if connected {
            while sent < s.total && a.buffered_amount(StreamId(1)) < 1 << 20 {
                let m = Message::new(StreamId(1), PpId(53), payload.clone());
                if a.send(m, &SendOptions::default()).is_err() {
                    break;
                }
                sent += s.msg;
            }
        }
        while let Some(e) = a.poll_event() {
            match e {
                SocketEvent::SendPacket(p) => {
                    progressed = true;
                    if !loss.drop() {
                        b.handle_input(&p);
                    }
                    while let Some(m) = b.get_next_message() {
                        received += m.payload.len();
                    }
                    while let Some(e) = b.poll_event() {
                        if let SocketEvent::SendPacket(p) = e {
                            if !loss.drop() {
                                a.handle_input(&p);
                            }
                        }
                    }
                }
                SocketEvent::OnConnected() => {
                    connected = true;
                    start = now;
                    progressed = true;
                }
                _ => {}
            }
        }
        while let Some(e) = b.poll_event() {
            if let SocketEvent::SendPacket(p) = e {
                progressed = true;
                if !loss.drop() {
                    a.handle_input(&p);
                }
            }
        }
        while let Some(m) = b.get_next_message() {
            received += m.payload.len();
        }
        if received >= s.total {
            return start.elapsed();
        }
        if !progressed {
            let next = a.poll_timeout().min(b.poll_timeout());
            let wait = next - st(Instant::now());
            let when = if next == SocketTime::infinite_future() {
                None
            } else {
                Some(Instant::now() + wait)
            };
            sleep_until(when);
        }
    }
}

// ---------------------------------------------------------------- sctp-proto

fn run_sctp_proto(s: &Scenario) -> Duration {
    use sctp_proto::{
        ClientConfig, DatagramEvent, Endpoint, EndpointConfig, Event, Payload,
        PayloadProtocolIdentifier, ServerConfig, StreamEvent, Transmit,
    };
    let addr_a: SocketAddr = "127.0.0.1:5000".parse().expect("address");
    let addr_b: SocketAddr = "127.0.0.1:5001".parse().expect("address");
    let mut ecfg = EndpointConfig::new();
    ecfg.max_payload_size(PACKET as u32);
    let ecfg = Arc::new(ecfg);
    let mut ep_a = Endpoint::new(ecfg.clone(), None);
    let mut ep_b = Endpoint::new(ecfg, Some(Arc::new(ServerConfig::new())));
    let (_ha, mut a) = ep_a.connect(ClientConfig::new(), addr_b).expect("connect");
    let mut b: Option<sctp_proto::Association> = None;
    let mut loss = Loss::new(s.loss);
    let t0 = Instant::now();
    let mut start = t0;
    let mut connected = false;
    let mut sent = 0usize;
    let mut received = 0usize;
    let msg = Bytes::from(vec![0xA5u8; s.msg]);
    let packets = |t: Transmit| -> Vec<Bytes> {
        match t.payload {
            Payload::RawEncode(v) => v,
            Payload::PartialDecode(_) => Vec::new(),
        }
    };
    loop {
        let now = Instant::now();
        let mut progressed = false;
        while let Some(e) = a.poll() {
            if let Event::Connected = e {
                connected = true;
                start = now;
                a.open_stream(1, PayloadProtocolIdentifier::Binary)
                    .expect("stream");
            }
        }
        if connected {
            let mut st = a.stream(1).expect("stream");
            while sent < s.total && st.buffered_amount().unwrap_or(0) < 1 << 20 {
                st.write_sctp(&msg, PayloadProtocolIdentifier::Binary)
                    .expect("write");
                sent += s.msg;
            }
        }
        while let Some(t) = a.poll_transmit(now) {
            for p in packets(t) {
                progressed = true;
                if loss.drop() {
                    continue;
                }
                if let Some((_, ev)) = ep_b.handle(now, addr_a, None, None, p) {
                    match ev {
                        DatagramEvent::NewAssociation(n) => b = Some(n),
                        DatagramEvent::AssociationEvent(ev) => {
                            if let Some(b) = b.as_mut() {
                                b.handle_event(ev)
                            }
                        }
                    }
                }
                if let Some(bb) = b.as_mut() {
                    while let Some(e) = bb.poll() {
                        if let Event::Stream(StreamEvent::Readable { id }) = e {
                            if let Ok(mut st) = bb.stream(id) {
                                while let Ok(Some(c)) = st.read_sctp() {
                                    received += c.len();
                                }
                            }
                        }
                    }
                    while let Some(t) = bb.poll_transmit(now) {
                        for p in packets(t) {
                            if loss.drop() {
                                continue;
                            }
                            if let Some((_, DatagramEvent::AssociationEvent(ev))) =
                                ep_a.handle(now, addr_b, None, None, p)
                            {
                                a.handle_event(ev);
                            }
                        }
                    }
                }
            }
        }
        if received >= s.total {
            return start.elapsed();
        }
        if !progressed {
            let next = [a.poll_timeout(), b.as_ref().and_then(|b| b.poll_timeout())]
                .into_iter()
                .flatten()
                .min();
            sleep_until(next);
            let now = Instant::now();
            a.handle_timeout(now);
            if let Some(b) = b.as_mut() {
                b.handle_timeout(now);
            }
        }
        let _ = ep_a.poll_transmit();
        let _ = ep_b.poll_transmit();
    }
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mib: usize = args.get(1).and_then(|x| x.parse().ok()).unwrap_or(256);
    let runs: usize = args.get(2).and_then(|x| x.parse().ok()).unwrap_or(3);
    let only: Option<String> = args.get(3).cloned();
    let total = mib << 20;
    println!("in memory, one core, {PACKET}-byte SCTP packets, {mib} MiB per run, median of {runs} (competitors: 1 run)");
    println!("| messages | loss | implementation | MB/s | vs rtcpeer-sctp (CRC32c) |");
    println!("|---|---|---|---:|---:|");
    for msg in [16 << 10, 64 << 10] {
        for loss in [0.0, 0.01] {
            let s = Scenario { total, msg, loss };
            let ours: f64 = median(
                (0..runs)
                    .map(|_| mbps(total, run_ours(&s, false)))
                    .collect(),
            );
            let ours_zc: f64 = median((0..runs).map(|_| mbps(total, run_ours(&s, true))).collect());
            let mut rows = vec![
                ("rtcpeer-sctp (CRC32c)", ours),
                ("rtcpeer-sctp (zero checksum)", ours_zc),
            ];
            if only.as_deref() != Some("ours") {
                rows.push((
                    "dcsctp 0.1.16 (as published)",
                    mbps(total, run_dcsctp(&s, false)),
                ));
                rows.push((
                    "dcsctp 0.1.16 (as published, zero checksum)",
                    mbps(total, run_dcsctp(&s, true)),
                ));
                rows.push((
                    "sctp-proto 0.10 (as published)",
                    mbps(total, run_sctp_proto(&s)),
                ));
            }
            for (name, v) in rows {
                println!(
                    "| {} KiB | {}% | {} | {:.1} | {:.2} |",
                    msg >> 10,
                    loss * 100.0,
                    name,
                    v,
                    v / ours
                );
            }
        }
    }
}
