//! Faults on the network between two complete sans-IO `PeerConnection`s
//! (JSEP, ICE, DTLS, SCTP, DCEP), on `testkit::emulator`'s virtual time.
//!
//! What it proves:
//! - through 1, 5, 10 and 20 % loss with reordering and duplication, through
//!   Gilbert–Elliott burst loss, and through 0–300 ms of delay with jitter, a
//!   reliable ordered channel delivers byte-exact (every message in order,
//!   SHA-256 of the stream) and a reliable unordered channel delivers every
//!   message exactly once, intact; the connection never leaves `connected`;
//! - a 10 s (and a 20 s) outage in both directions mid-transfer takes ICE and
//!   the connection to `disconnected` and back (consent lasts 30 s after the
//!   last answer, RFC 7675), the SCTP association survives it (no abort: its
//!   retransmission limit is not reached) and the transfer completes
//!   byte-exact;
//! - a peer that goes away for good (crashed mid-transfer, crashed while idle,
//!   or the network cut forever with both sides running) takes the other side
//!   through `disconnected` to `failed` (consent expired); its SCTP
//!   association ends, every data channel closes (`error` sctp-failure, then
//!   `close`), no timer is left (`poll_timeout()` is `None`), and `close()`
//!   is final;
//! - an outage during the handshake (ICE checks, the DTLS flights, SCTP's
//!   INIT) delays the connection but does not stop it.
//!
//! What the state events say is checked against the getters after every
//! step, and the tests assert sequences of states, bytes and counts — never
//! timings. The harness (`emulated/mod.rs`) is shared with
//! `datachannel_emulator.rs`.

mod emulated;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{Context, SHA256};
use emulated::{message, Net, A, B};
use rtcpeer_proto::dcep::{ChannelId, DataChannelInit, ReadyState};
use rtcpeer_proto::dtls::DtlsState;
use rtcpeer_proto::transport::SctpTransportState;
use rtcpeer_proto::{
    ErrorKind, Event, IceConnectionState as Ice, PeerConnection, PeerConnectionState as Conn,
    SignalingState,
};
use testkit::emulator::{BurstLoss, LinkConfig};

/// What one side's events said, in order. After every step,
/// [`Log::observe`] checks that the last event of each kind says what the
/// matching getter says.
#[derive(Debug, Default)]
struct Log {
    ice: Vec<Ice>,
    conn: Vec<Conn>,
    dtls: Vec<DtlsState>,
    sctp: Vec<SctpTransportState>,
    /// Per channel: `open`, `closing`, `error:<detail>`, `close`.
    channels: HashMap<ChannelId, Vec<String>>,
    /// Channels the peer announced (`datachannel`), with their labels.
    announced: Vec<(ChannelId, String)>,
}

impl Log {
    /// Takes `who`'s pending events, records the state changes, returns the
    /// messages as `(channel, data)`.
    fn observe(&mut self, n: &mut Net, who: usize) -> Vec<(ChannelId, Vec<u8>)> {
        let pc = &n.pcs[who];
        let mut messages = Vec::new();
        for e in n.events[who].drain(..) {
            match e {
                Event::IceConnectionStateChange(s) => self.ice.push(s),
                Event::ConnectionStateChange(s) => self.conn.push(s),
                Event::DtlsStateChange(s) => self.dtls.push(s),
                Event::SctpStateChange(s) => self.sctp.push(s),
                Event::DataChannel(id) => {
                    let label = pc.data_channel(id).unwrap().label.clone();
                    self.announced.push((id, label));
                }
                Event::DataChannelOpen(id) => self.channel(id, "open"),
                Event::DataChannelClosing(id) => self.channel(id, "closing"),
                Event::DataChannelClose(id) => self.channel(id, "close"),
                Event::DataChannelError { channel, error } => {
                    self.channel(channel, &format!("error:{error}"))
                }
                Event::DataChannelMessage { channel, data, .. } => messages.push((channel, data)),
                _ => {}
            }
        }
        if !pc.is_closed() {
            self.check_getters(pc);
        }
        messages
    }

    fn channel(&mut self, id: ChannelId, what: &str) {
        self.channels.entry(id).or_default().push(what.to_string());
    }

    /// The last event of each kind says what the getter says.
    fn check_getters(&self, pc: &PeerConnection) {
        assert_eq!(
            pc.ice_connection_state(),
            self.ice.last().copied().unwrap_or(Ice::New),
            "iceConnectionState getter against its events {:?}",
            self.ice
        );
        assert_eq!(
            pc.connection_state(),
            self.conn.last().copied().unwrap_or(Conn::New),
            "connectionState getter against its events {:?}",
            self.conn
        );
        assert_eq!(
            pc.dtls_state(),
            self.dtls.last().copied().unwrap_or(DtlsState::New),
            "dtls state getter against its events {:?}",
            self.dtls
        );
        if let Some(&s) = self.sctp.last() {
            assert_eq!(pc.sctp_state(), Some(s), "sctp state getter");
        }
        for (&id, seen) in &self.channels {
            let state = pc.data_channel(id).unwrap().ready_state;
            let expected = match seen.last().map(String::as_str) {
                Some("open") => ReadyState::Open,
                Some("closing") => ReadyState::Closing,
                Some("close") => ReadyState::Closed,
                other => panic!("a channel's last event is {other:?}"),
            };
            assert_eq!(state, expected, "readyState against its events {seen:?}");
        }
    }
}

/// The states recorded from index `from` on (see [`Log::mark`]).
fn after<T: Copy>(states: &[T], from: usize) -> Vec<T> {
    states[from..].to_vec()
}

/// Bytes one data channel carries from A to B: message `k` is `k` (4 bytes,
/// little-endian) then `message(salt + k, len(k) - 4)`, 4 B to 64 KiB.
struct Flow {
    label: &'static str,
    ordered: bool,
    tx: ChannelId,
    rx: Option<ChannelId>,
    total: usize,
    sent: usize,
    next_tx: u32,
    got: usize,
    next_rx: u32,
    /// Unordered: how many times each message arrived.
    seen: Vec<u8>,
    sent_hash: Context,
    got_hash: Context,
}

impl Flow {
    const SALT: u32 = 0x5EED_0000;

    fn new(pc: &mut PeerConnection, label: &'static str, ordered: bool, total: usize) -> Flow {
        let init = DataChannelInit {
            ordered,
            ..DataChannelInit::default()
        };
        Flow {
            label,
            ordered,
            tx: pc.create_data_channel(label, init).unwrap(),
            rx: None,
            total,
            sent: 0,
            next_tx: 0,
            got: 0,
            next_rx: 0,
            seen: Vec::new(),
            sent_hash: Context::new(&SHA256),
            got_hash: Context::new(&SHA256),
        }
    }

    fn len(k: u32) -> usize {
        // Small and large messages mixed (1 to 57 fragments of 1,1xx bytes).
        4 + (k as usize * 7_919 + 13) % 65_532
    }

    fn body(k: u32) -> Vec<u8> {
        let mut m = k.to_le_bytes().to_vec();
        m.extend_from_slice(&message(Self::SALT + k, Self::len(k) - 4));
        m
    }

    /// Sends whole messages until `total` is reached, while less than 1 MiB
    /// waits in A's `bufferedAmount`.
    fn pump(&mut self, pc: &mut PeerConnection) {
        while self.sent < self.total {
            let c = pc.data_channel(self.tx).unwrap();
            if c.ready_state != ReadyState::Open || c.buffered_amount >= 1 << 20 {
                return;
            }
            let m = Self::body(self.next_tx);
            pc.send_data(self.tx, &m, true).unwrap();
            self.sent_hash.update(&m);
            self.sent += m.len();
            self.seen.push(0);
            self.next_tx += 1;
        }
    }

    fn receive(&mut self, data: &[u8]) {
        let k = u32::from_le_bytes(data[..4].try_into().unwrap());
        if self.ordered {
            assert_eq!(k, self.next_rx, "{}: messages in order", self.label);
        }
        self.next_rx += 1;
        assert!(data == Self::body(k), "{}: message {k} intact", self.label);
        let n = &mut self.seen[k as usize];
        *n += 1;
        assert_eq!(*n, 1, "{}: message {k} delivered once", self.label);
        self.got += data.len();
        self.got_hash.update(data);
    }

    /// At least `total` bytes sent, all of them received.
    fn done(&self) -> bool {
        self.sent >= self.total && self.got == self.sent
    }

    /// Every byte arrived exactly once, intact (and in order if ordered).
    fn check(self) {
        assert!(
            self.done(),
            "{}: {} of {} bytes",
            self.label,
            self.got,
            self.sent
        );
        assert!(
            self.seen.iter().all(|&n| n == 1),
            "{}: each message once",
            self.label
        );
        if self.ordered {
            assert_eq!(
                self.sent_hash.finish().as_ref(),
                self.got_hash.finish().as_ref(),
                "{}: byte-exact",
                self.label
            );
        }
    }
}

/// Two connections over a link, with logs for both sides.
struct Run {
    n: Net,
    logs: [Log; 2],
    flows: Vec<Flow>,
}

impl Run {
    fn new(seed: u64, link: LinkConfig) -> Run {
        Run {
            n: Net::new(seed, link),
            logs: Default::default(),
            flows: Vec::new(),
        }
    }

    fn flow(&mut self, label: &'static str, ordered: bool, total: usize) {
        let f = Flow::new(&mut self.n.pcs[A], label, ordered, total);
        self.flows.push(f);
    }

    /// One step of the network, then both logs and the flows.
    fn step(&mut self) {
        for f in &mut self.flows {
            f.pump(&mut self.n.pcs[A]);
        }
        self.n.step();
        let _ = self.logs[A].observe(&mut self.n, A);
        let messages = self.logs[B].observe(&mut self.n, B);
        for (id, label) in &self.logs[B].announced {
            if let Some(f) = self.flows.iter_mut().find(|f| f.label == *label) {
                f.rx = Some(*id);
            }
        }
        for (channel, data) in messages {
            let f = self.flows.iter_mut().find(|f| f.rx == Some(channel));
            f.expect("a message on a channel A announced")
                .receive(&data);
        }
    }

    /// Steps until `done` holds or `limit` of virtual time has passed;
    /// returns whether `done` held.
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Run) -> bool) -> bool {
        let end = self.n.now + limit;
        while self.n.now < end {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    fn connected(&self) -> bool {
        [A, B]
            .iter()
            .all(|&w| self.n.pcs[w].connection_state() == Conn::Connected)
    }

    fn flows_done(&self) -> bool {
        self.flows.iter().all(Flow::done)
    }

    /// The connection came up and stayed up: both sides went
    /// connecting → connected and nothing else.
    fn assert_never_disconnected(&self, what: &str) {
        for w in [A, B] {
            assert_eq!(
                self.logs[w].conn,
                [Conn::Connecting, Conn::Connected],
                "{what}: side {w}'s connection states"
            );
            assert!(
                !self.logs[w]
                    .ice
                    .iter()
                    .any(|s| matches!(s, Ice::Disconnected | Ice::Failed)),
                "{what}: side {w}'s ICE states {:?}",
                self.logs[w].ice
            );
            assert_eq!(self.logs[w].sctp, [SctpTransportState::Connected], "{what}");
        }
    }
}

/// Runs an ordered (`total` bytes) and an unordered (`total / 2`) reliable
/// channel from A to B over `link` and checks what arrived.
fn transfer(seed: u64, link: LinkConfig, total: usize, what: &str) -> Run {
    let mut r = Run::new(seed, link);
    r.flow("ordered", true, total);
    r.flow("unordered", false, total / 2);
    r.n.negotiate();
    let finished = r.run_until(Duration::from_secs(1_800), Run::flows_done);
    assert!(
        finished,
        "{what}: ordered {}/{} unordered {}/{} bytes",
        r.flows[0].got, r.flows[0].total, r.flows[1].got, r.flows[1].total
    );
    r.assert_never_disconnected(what);
    for f in std::mem::take(&mut r.flows) {
        f.check();
    }
    r
}

fn sctp_stats(pc: &PeerConnection) -> rtcpeer_sctp::AssociationStats {
    pc.transport().sctp().expect("an association").stats()
}

#[test]
fn loss_sweep_with_reordering_and_duplication() {
    for (i, loss) in [0.01, 0.05, 0.10, 0.20].into_iter().enumerate() {
        let link = LinkConfig {
            loss,
            delay: Duration::from_millis(20),
            jitter: Duration::from_millis(5),
            reorder: 0.03,
            reorder_delay: Duration::from_millis(10),
            duplicate: 0.02,
            ..LinkConfig::default()
        };
        let what = format!("{}% loss", loss * 100.0);
        let r = transfer(100 + i as u64, link, 4 << 20, &what);
        let st = r.n.net.stats(A, B);
        assert!(
            st.lost > 0 && st.reordered > 0 && st.duplicated > 0,
            "{what}: the faults happened: {st:?}"
        );
        assert!(
            sctp_stats(&r.n.pcs[A]).retransmitted_chunks > 0,
            "{what}: SCTP repaired the loss"
        );
    }
}

#[test]
fn burst_loss() {
    // Gilbert–Elliott: ~1 packet in 50 starts a burst, bursts last ~4
    // packets, 80 % of a burst is lost; 0.5 % random loss besides.
    let link = LinkConfig {
        loss: 0.005,
        burst: Some(BurstLoss {
            enter_bad: 0.02,
            leave_bad: 0.25,
            loss_in_bad: 0.8,
        }),
        delay: Duration::from_millis(30),
        jitter: Duration::from_millis(5),
        ..LinkConfig::default()
    };
    let r = transfer(200, link, 4 << 20, "burst loss");
    let st = r.n.net.stats(A, B);
    assert!(st.lost > 0, "{st:?}");
    assert!(sctp_stats(&r.n.pcs[A]).retransmitted_chunks > 0);
}

#[test]
fn delay_sweep_with_jitter() {
    for (i, ms) in [0u64, 50, 150, 300].into_iter().enumerate() {
        let link = LinkConfig {
            delay: Duration::from_millis(ms),
            jitter: Duration::from_millis(ms / 10 + 1),
            loss: 0.01,
            ..LinkConfig::default()
        };
        transfer(300 + i as u64, link, 2 << 20, &format!("{ms} ms delay"));
    }
}

/// Index of the next event in each of a side's state logs: what happens
/// from here on is `after(&log.ice, mark.ice)` and so on.
#[derive(Debug, Clone, Copy)]
struct Mark {
    ice: usize,
    conn: usize,
    dtls: usize,
    sctp: usize,
}

impl Log {
    fn mark(&self) -> Mark {
        Mark {
            ice: self.ice.len(),
            conn: self.conn.len(),
            dtls: self.dtls.len(),
            sctp: self.sctp.len(),
        }
    }
}

/// An outage of `secs` in both directions a quarter into a transfer.
fn outage_mid_transfer(secs: u64) {
    let link = LinkConfig {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(2),
        loss: 0.01,
        ..LinkConfig::default()
    };
    let mut r = Run::new(400 + secs, link);
    r.flow("ordered", true, 4 << 20);
    r.flow("unordered", false, 1 << 20);
    r.n.negotiate();
    assert!(r.run_until(Duration::from_secs(120), |r| r.flows[0].got >= 1 << 20));
    let up = [A, B].map(|w| r.n.pcs[w].ice_connection_state());
    assert!(up
        .iter()
        .all(|s| matches!(s, Ice::Connected | Ice::Completed)));
    let marks = [A, B].map(|w| r.logs[w].mark());
    let t3_before = sctp_stats(&r.n.pcs[A]).t3_expirations;

    let (start, end) = (r.n.now, r.n.now + Duration::from_secs(secs));
    r.n.net.add_outage(A, B, start, end);
    r.n.net.add_outage(B, A, start, end);
    r.run_until(end - start, |_| false);
    // Consent answers stopped: both sides are disconnected, nothing failed.
    for w in [A, B] {
        let log = &r.logs[w];
        let what = format!("{secs} s: side {w} during the outage");
        assert_eq!(after(&log.ice, marks[w].ice), [Ice::Disconnected], "{what}");
        assert_eq!(
            after(&log.conn, marks[w].conn),
            [Conn::Disconnected],
            "{what}"
        );
    }
    assert!(
        !r.flows_done(),
        "{secs} s: the link comes back mid-transfer"
    );

    // The link is back: the transfer completes and everything recovers.
    assert!(
        r.run_until(Duration::from_secs(600), Run::flows_done),
        "{secs} s"
    );
    for w in [A, B] {
        let log = &r.logs[w];
        let who = format!("{secs} s: side {w}");
        assert_eq!(
            after(&log.ice, marks[w].ice),
            [Ice::Disconnected, up[w]],
            "{who}: ICE states from the outage on"
        );
        assert_eq!(
            after(&log.conn, marks[w].conn),
            [Conn::Disconnected, Conn::Connected],
            "{who}: connection states from the outage on"
        );
        assert_eq!(after(&log.dtls, marks[w].dtls), [], "{who}: DTLS untouched");
        assert_eq!(after(&log.sctp, marks[w].sctp), [], "{who}: SCTP untouched");
        let sctp = r.n.pcs[w].transport().sctp().unwrap();
        assert_eq!(sctp.state(), rtcpeer_sctp::State::Established, "{who}");
        for (id, events) in &log.channels {
            assert_eq!(events, &["open"], "{who}: channel {id:?} stayed open");
        }
    }
    assert!(
        sctp_stats(&r.n.pcs[A]).t3_expirations > t3_before,
        "{secs} s: SCTP's retransmission timer ran during the outage"
    );
    assert!(r.n.net.stats(A, B).lost > 0 && r.n.net.stats(B, A).lost > 0);
    for f in std::mem::take(&mut r.flows) {
        f.check();
    }
}

#[test]
fn ten_second_outage_both_ways_mid_transfer() {
    outage_mid_transfer(10);
}

/// Consent lasts 30 s after the last answer, and answers come every 4–6 s:
/// a 20 s outage must not fail the connection either.
#[test]
fn twenty_second_outage_both_ways_mid_transfer() {
    outage_mid_transfer(20);
}

/// How the peer goes away for good.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gone {
    /// B crashes during a transfer from A.
    CrashMidTransfer,
    /// B crashes while nothing is in flight: only SCTP heartbeats notice.
    CrashWhileIdle,
    /// The network between them is cut forever; both keep running.
    NetworkCut,
}

fn peer_goes_away(how: Gone) {
    let link = LinkConfig {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(2),
        ..LinkConfig::default()
    };
    let mut r = Run::new(500 + how as u64, link);
    let busy = how == Gone::CrashMidTransfer;
    r.flow("bulk", true, if busy { 4 << 20 } else { 0 });
    r.flow("idle", false, 0);
    r.n.negotiate();
    let ready = |r: &Run| {
        r.connected()
            && r.flows.iter().all(|f| f.rx.is_some())
            && r.logs[A].channels.len() == 2
            && r.flows[0].got >= r.flows[0].total / 8
    };
    assert!(r.run_until(Duration::from_secs(60), ready), "{how:?}: up");
    if !busy {
        // Let everything in flight be acknowledged first.
        r.run_until(Duration::from_secs(10), |_| false);
    }
    let marks = [A, B].map(|w| r.logs[w].mark());
    let channels = [
        r.flows.iter().map(|f| f.tx).collect::<Vec<_>>(),
        r.flows.iter().map(|f| f.rx.unwrap()).collect(),
    ];
    let sides: &[usize] = match how {
        Gone::NetworkCut => {
            let forever = r.n.now + Duration::from_secs(100 * 365 * 24 * 3600);
            r.n.net.add_outage(A, B, r.n.now, forever);
            r.n.net.add_outage(B, A, r.n.now, forever);
            &[A, B]
        }
        _ => {
            r.n.disappear(B);
            &[A]
        }
    };

    // Until nothing is left to happen: no timer on a live side, nothing in
    // flight.
    let quiet = r.run_until(Duration::from_secs(3_600), |r| r.n.quiet());
    assert!(
        quiet,
        "{how:?}: timers left: {:?}",
        [A, B].map(|w| r.n.pcs[w].poll_timeout())
    );
    for &w in sides {
        let pc = &r.n.pcs[w];
        let log = &r.logs[w];
        let mark = marks[w];
        // Consent expired (RFC 7675): disconnected, then failed.
        assert_eq!(
            after(&log.ice, mark.ice),
            [Ice::Disconnected, Ice::Failed],
            "{how:?}: side {w}'s ICE states"
        );
        assert_eq!(
            after(&log.conn, mark.conn),
            [Conn::Disconnected, Conn::Failed],
            "{how:?}: side {w}'s connection states"
        );
        // The association gave up, which closed the SCTP transport and
        // every channel with an sctp-failure error.
        assert_eq!(
            after(&log.sctp, mark.sctp),
            [SctpTransportState::Closed],
            "{how:?}: side {w}"
        );
        assert_eq!(
            pc.transport().sctp().unwrap().state(),
            rtcpeer_sctp::State::Closed,
            "{how:?}: side {w}'s association ended"
        );
        assert_eq!(after(&log.dtls, mark.dtls), [], "{how:?}: side {w}");
        for id in &channels[w] {
            let events = log.channels[id].as_slice();
            assert!(
                events.ends_with(&["error:sctp-failure".into(), "close".into()])
                    && events.iter().filter(|e| *e == "close").count() == 1,
                "{how:?}: side {w}: channel {id:?}'s events {events:?}"
            );
            assert_eq!(
                pc.data_channel(*id).unwrap().ready_state,
                ReadyState::Closed
            );
        }
        // Nothing is pending: no timer, no datagram, no event.
        assert_eq!(pc.poll_timeout(), None, "{how:?}: side {w}");
        assert!(
            r.n.pcs[w].send_data(channels[w][0], b"x", true).is_err(),
            "{how:?}: a closed channel refuses to send"
        );
    }
    // Much later, still nothing happens.
    let later = r.n.now + Duration::from_secs(3_600);
    r.n.now = later;
    r.step();
    for &w in sides {
        let mark = r.logs[w].mark();
        let pc = &mut r.n.pcs[w];
        pc.handle_timeout(later);
        assert!(pc.poll_transmit().is_none(), "{how:?}: nothing to send");
        assert!(pc.poll_event().is_none(), "{how:?}: no event");
        assert_eq!(r.logs[w].mark().ice, mark.ice);

        // close() works and is final.
        pc.close();
        assert!(pc.is_closed());
        assert_eq!(pc.signaling_state(), SignalingState::Closed);
        assert_eq!(pc.ice_connection_state(), Ice::Closed);
        assert_eq!(pc.connection_state(), Conn::Closed);
        assert_eq!(pc.sctp_state(), Some(SctpTransportState::Closed));
        assert_eq!(pc.dtls_state(), DtlsState::Closed);
        assert_eq!(pc.poll_timeout(), None);
        while pc.poll_transmit().is_some() {}
        assert!(
            pc.poll_event().is_none(),
            "{how:?}: close() fires no events"
        );
        let err = pc.create_data_channel("late", DataChannelInit::default());
        assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidStateError);
        assert_eq!(
            pc.create_offer(&Default::default()).unwrap_err().kind(),
            ErrorKind::InvalidStateError
        );
        let (local, remote) = (r.n.addrs[w], r.n.addrs[1 - w]);
        pc.handle_receive(later, local, remote, &[0x16, 0xfe, 0xfd, 0, 0]);
        pc.handle_timeout(later + Duration::from_secs(60));
        pc.close();
        assert!(pc.poll_transmit().is_none() && pc.poll_event().is_none());
        assert_eq!(pc.poll_timeout(), None);
        assert_eq!(pc.connection_state(), Conn::Closed);
    }
}

#[test]
fn peer_crashes_mid_transfer() {
    peer_goes_away(Gone::CrashMidTransfer);
}

#[test]
fn peer_crashes_while_idle() {
    peer_goes_away(Gone::CrashWhileIdle);
}

#[test]
fn network_cut_forever() {
    peer_goes_away(Gone::NetworkCut);
}

#[test]
fn outage_during_the_handshake() {
    // When the 4 s outage (both ways) starts.
    #[derive(Debug, Clone, Copy)]
    enum Phase {
        /// With the first connectivity checks.
        IceChecks,
        /// As soon as DTLS started on either side.
        DtlsFlights,
        /// As soon as DTLS is connected on either side (SCTP's INIT).
        SctpInit,
    }
    for (i, phase) in [Phase::IceChecks, Phase::DtlsFlights, Phase::SctpInit]
        .into_iter()
        .enumerate()
    {
        let link = LinkConfig {
            delay: Duration::from_millis(20),
            jitter: Duration::from_millis(2),
            ..LinkConfig::default()
        };
        let mut r = Run::new(600 + i as u64, link);
        r.flow("ordered", true, 64 << 10);
        r.flow("unordered", false, 64 << 10);
        r.n.negotiate();
        let dtls_is = |r: &Run, s: DtlsState| [A, B].iter().any(|&w| r.logs[w].dtls.contains(&s));
        let reached = match phase {
            Phase::IceChecks => true,
            Phase::DtlsFlights => r.run_until(Duration::from_secs(10), |r| {
                dtls_is(r, DtlsState::Connecting)
            }),
            Phase::SctpInit => r.run_until(Duration::from_secs(10), |r| {
                dtls_is(r, DtlsState::Connected)
            }),
        };
        assert!(reached, "{phase:?}");
        // The layer the outage hits is not up on at least one side.
        let layer_up = |r: &Run| {
            [A, B].iter().all(|&w| {
                let pc = &r.n.pcs[w];
                match phase {
                    Phase::IceChecks => {
                        matches!(pc.ice_connection_state(), Ice::Connected | Ice::Completed)
                    }
                    Phase::DtlsFlights => pc.dtls_state() == DtlsState::Connected,
                    Phase::SctpInit => pc.sctp_state() == Some(SctpTransportState::Connected),
                }
            })
        };
        assert!(!layer_up(&r), "{phase:?}: not up before the outage");
        let start: Instant = r.n.now;
        let end = start + Duration::from_secs(4);
        r.n.net.add_outage(A, B, start, end);
        r.n.net.add_outage(B, A, start, end);
        r.run_until(end - start, |_| false);
        assert!(!layer_up(&r), "{phase:?}: the outage held it back");

        assert!(
            r.run_until(Duration::from_secs(120), |r| r.connected()
                && r.flows_done()),
            "{phase:?}: connected and delivered ({:?})",
            [A, B].map(|w| r.n.pcs[w].connection_state())
        );
        assert!(
            r.n.net.stats(A, B).lost + r.n.net.stats(B, A).lost > 0,
            "{phase:?}: the outage dropped something"
        );
        r.assert_never_disconnected(&format!("{phase:?}"));
        for w in [A, B] {
            assert_eq!(
                r.logs[w].dtls,
                [DtlsState::Connecting, DtlsState::Connected],
                "{phase:?}: side {w}"
            );
        }
        for f in std::mem::take(&mut r.flows) {
            f.check();
        }
    }
}
