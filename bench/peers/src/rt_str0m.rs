//! str0m (sans-IO): every Rtc of a scenario driven by one thread, each with its
//! own non-blocking UDP socket on 127.0.0.1 that is also its host candidate;
//! `ppoll` waits for the first datagram or the earliest str0m timeout.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use str0m::channel::ChannelId;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

use crate::common::*;

const IMP: &str = "str0m";
/// str0m's default SCTP send buffer.
const STR0M_BUFFER: usize = 128 << 10;

struct Peer {
    rtc: Rtc,
    sock: UdpSocket,
    local: SocketAddr,
    timeout: Instant,
    /// The channel, once open on this side.
    cid: Option<ChannelId>,
}

fn socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_nonblocking(true).unwrap();
    // Room for a burst from the other peer while this thread is busy with it.
    let size: libc::c_int = 4 << 20;
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &size as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as u32,
        );
    }
    s
}

fn peer(now: Instant) -> Peer {
    let sock = socket();
    let local = sock.local_addr().unwrap();
    // str0m's send buffer stays at its default (128 KiB): with room for the shared
    // 1 MiB high-water mark it ran ~15x slower here (2.3 MB/s at 64 KiB messages).
    let mut rtc = Rtc::builder().build(now);
    rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
    Peer { rtc, sock, local, timeout: now, cid: None }
}

/// Offer from the first, answer from the second (candidates are in the SDP).
fn pair() -> (Peer, Peer) {
    let now = Instant::now();
    let (mut a, mut b) = (peer(now), peer(now));
    let mut change = a.rtc.sdp_api();
    change.add_channel("bench".into());
    let (offer, pending) = change.apply().unwrap();
    let answer = b.rtc.sdp_api().accept_offer(offer).unwrap();
    a.rtc.sdp_api().accept_answer(pending, answer).unwrap();
    (a, b)
}

/// Polls one peer's output until its next timeout: sends datagrams, hands events
/// to `on_event`. Returns whether any event came out (the app may have written).
fn drain(i: usize, p: &mut Peer, on_event: &mut dyn FnMut(usize, &mut Peer, Event)) -> bool {
    let mut any = false;
    loop {
        match p.rtc.poll_output().unwrap() {
            Output::Timeout(t) => {
                p.timeout = t;
                return any;
            }
            Output::Transmit(t) => {
                let _ = p.sock.send_to(&t.contents, t.destination);
            }
            Output::Event(e) => {
                any = true;
                if let Event::ChannelOpen(cid, _) = &e {
                    p.cid = Some(*cid);
                }
                on_event(i, p, e)
            }
        }
    }
}

/// Drains until no more events come out (what the app wrote in answer to one
/// is sent at once).
fn settle(i: usize, p: &mut Peer, on_event: &mut dyn FnMut(usize, &mut Peer, Event)) {
    while drain(i, p, on_event) {
        p.rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
    }
}

/// Drains every peer's output, then waits for a datagram or the earliest
/// timeout (at most `max_wait`) and feeds it in, draining after each input.
fn turn(peers: &mut [Peer], max_wait: Duration, on_event: &mut dyn FnMut(usize, &mut Peer, Event)) {
    for (i, p) in peers.iter_mut().enumerate() {
        settle(i, p, on_event);
    }
    let now = Instant::now();
    let earliest = peers.iter().map(|p| p.timeout).min().unwrap_or(now);
    let wait = earliest.saturating_duration_since(now).min(max_wait);
    let mut fds: Vec<libc::pollfd> = peers
        .iter()
        .map(|p| libc::pollfd { fd: p.sock.as_raw_fd(), events: libc::POLLIN, revents: 0 })
        .collect();
    let ts = libc::timespec { tv_sec: wait.as_secs() as _, tv_nsec: wait.subsec_nanos() as _ };
    unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as _, &ts, std::ptr::null()) };
    let mut buf = vec![0u8; 2000];
    for (i, fd) in fds.iter().enumerate() {
        if fd.revents & libc::POLLIN == 0 {
            continue;
        }
        let p = &mut peers[i];
        while let Ok((n, source)) = p.sock.recv_from(&mut buf) {
            if let Ok(r) = Receive::new(Protocol::Udp, source, p.local, &buf[..n]) {
                p.rtc.handle_input(Input::Receive(Instant::now(), r)).unwrap();
            }
            settle(i, p, on_event);
        }
    }
    let now = Instant::now();
    for (i, p) in peers.iter_mut().enumerate() {
        if p.timeout <= now {
            p.rtc.handle_input(Input::Timeout(now)).unwrap();
            settle(i, p, on_event);
        }
    }
}

fn open_all(peers: &mut [Peer]) {
    let t0 = Instant::now();
    while peers.iter().any(|p| p.cid.is_none()) {
        turn(peers, Duration::from_millis(50), &mut |_, _, _| {});
        assert!(t0.elapsed() < LIMIT, "channels open in time");
    }
}

pub fn run(sc: &str, o: &Opts) {
    str0m::crypto::from_feature_flags().install_process_default();
    match sc {
        "S" => s(o),
        "T" => t(o),
        "R" => r(o),
        "M" => m(o),
        _ => panic!("unknown scenario {sc}"),
    }
}

fn s(o: &Opts) {
    let mut ms = Vec::new();
    for _ in 0..o.n_or(20) {
        let t0 = Instant::now();
        let (a, b) = pair();
        let mut peers = [a, b];
        while peers[0].cid.is_none() {
            turn(&mut peers, Duration::from_millis(50), &mut |_, _, _| {});
            assert!(t0.elapsed() < LIMIT);
        }
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(20));
    }
    report_s(IMP, &mut ms);
}

fn t(o: &Opts) {
    let (a, b) = pair();
    let mut peers = [a, b];
    open_all(&mut peers);
    let total = o.total();
    let msg = vec![0x5a_u8; o.size];
    let cid = peers[0].cid.unwrap();
    peers[0].rtc.channel(cid).unwrap().set_buffered_amount_low_threshold(STR0M_BUFFER / 2);
    let (mut secs, mut cpu) = (Vec::new(), Vec::new());
    let mut got = 0usize;
    for _ in 0..o.runs {
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let mut sent = 0;
        let mut done = None;
        while done.is_none() {
            {
                let mut ch = peers[0].rtc.channel(cid).unwrap();
                while sent < total && ch.buffered_amount() + o.size <= HIGH_WATER.min(STR0M_BUFFER) {
                    if !ch.write(true, &msg).unwrap() {
                        break;
                    }
                    sent += o.size;
                }
            }
            turn(&mut peers, Duration::from_millis(50), &mut |i, _, e| {
                if let (1, Event::ChannelData(d)) = (i, e) {
                    got += d.data.len();
                    if got >= total {
                        got -= total;
                        done = Some(Instant::now());
                    }
                }
            });
            assert!(t0.elapsed() < LIMIT, "run in time");
        }
        secs.push((done.unwrap() - t0).as_secs_f64());
        cpu.push(cpu_seconds() - c0);
    }
    report_t(IMP, o.size, &mut secs, &mut cpu, total);
}

fn r(o: &Opts) {
    let (a, b) = pair();
    let mut peers = [a, b];
    open_all(&mut peers);
    let n = o.n_or(1000);
    let msg = [7u8; PING];
    let cid = peers[0].cid.unwrap();
    let mut us = Vec::new();
    for i in 0..n + 50 {
        let t0 = Instant::now();
        assert!(peers[0].rtc.channel(cid).unwrap().write(true, &msg).unwrap());
        let mut back = false;
        while !back {
            turn(&mut peers, Duration::from_millis(50), &mut |i, p, e| {
                if let Event::ChannelData(d) = e {
                    if i == 1 {
                        let _ = p.rtc.channel(d.id).unwrap().write(true, &d.data).unwrap();
                    } else {
                        back = true;
                    }
                }
            });
            assert!(t0.elapsed() < LIMIT);
        }
        if i >= 50 {
            us.push(t0.elapsed().as_secs_f64() * 1e6);
        }
    }
    report_r(IMP, &mut us);
}

fn m(o: &Opts) {
    let (a, b) = pair();
    let mut warm = vec![a, b];
    open_all(&mut warm);
    let rss0 = rss_kib();
    let mut peers = warm;
    for _ in 0..o.pcs / 2 {
        let (a, b) = pair();
        peers.push(a);
        peers.push(b);
    }
    open_all(&mut peers);
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        turn(&mut peers, Duration::from_millis(50), &mut |_, _, _| {});
    }
    let rss1 = rss_kib();
    report_m(IMP, rss0, rss1, peers.len() - 2);
}
