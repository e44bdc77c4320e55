//! Hostile peers against a sans-IO `PeerConnection` (issue #8).
//!
//! Two cores, A (ours, under attack) and B (the peer), are connected through
//! `testkit::emulator` on virtual time with a data channel (and audio where
//! SRTP is needed). Then A is fed hostile input: malformed and oversize
//! STUN, STUN with a wrong MESSAGE-INTEGRITY, garbage DTLS records, garbage
//! SCTP packets inside DTLS, a message beyond our max-message-size, thousands
//! of DCEP OPENs, RTP under thousands of SSRCs, a candidate flood, huge SDP.
//! After each, the counter or the error says what happened, and a
//! data-channel message still makes the round trip.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcpeer_proto::dcep::{ChannelId, DataChannelInit, ReadyState, MAX_REMOTE_CHANNELS};
use rtcpeer_proto::{
    ErrorDetail, ErrorKind, Event, IceCandidateInit, IceConnectionState, MediaKind, PeerConnection,
    PeerConnectionState, SessionDescription, SignalingState, Track, TrackOrKind, TransceiverInit,
};
use testkit::emulator::{Emulator, LinkConfig};

const A: usize = 0;
const B: usize = 1;

struct Net {
    pcs: [PeerConnection; 2],
    addrs: [SocketAddr; 2],
    net: Emulator,
    now: Instant,
    /// Events each side produced that the test has not looked at yet.
    events: [Vec<Event>; 2],
    /// The channel "chat" on A and on B.
    chat: (ChannelId, ChannelId),
    rounds: u32,
}

/// How the pair is set up.
#[derive(Default)]
struct Setup {
    /// An audio transceiver both ways (SRTP keys, a receiver on A).
    audio: bool,
    /// Rewrites A's offer before B applies it.
    munge_offer: Option<fn(String) -> String>,
    /// Rewrites B's answer before A applies it.
    munge_answer: Option<fn(String) -> String>,
}

impl Net {
    fn connected(setup: Setup) -> Net {
        let mut net = Emulator::new(8);
        net.link_both(
            A,
            B,
            LinkConfig {
                delay: Duration::from_millis(5),
                ..LinkConfig::default()
            },
        );
        let mut n = Net {
            pcs: [
                PeerConnection::new(Default::default()).unwrap(),
                PeerConnection::new(Default::default()).unwrap(),
            ],
            addrs: [
                "10.0.0.1:5000".parse().unwrap(),
                "10.0.0.2:5000".parse().unwrap(),
            ],
            net,
            now: Instant::now(),
            events: [Vec::new(), Vec::new()],
            chat: (ChannelId(0), ChannelId(0)),
            rounds: 0,
        };
        let chat = n.pcs[A]
            .create_data_channel("chat", DataChannelInit::default())
            .unwrap();
        if setup.audio {
            n.pcs[A]
                .add_transceiver(
                    TrackOrKind::Kind(MediaKind::Audio),
                    TransceiverInit::default(),
                )
                .unwrap();
            let track = Track {
                id: "b-audio".into(),
                kind: MediaKind::Audio,
            };
            n.pcs[B].add_track(track, vec!["s".into()]).unwrap();
        }
        let offer = n.pcs[A].create_offer(&Default::default()).unwrap();
        n.pcs[A].set_local_description(Some(offer.clone())).unwrap();
        let offer = match setup.munge_offer {
            Some(f) => SessionDescription::offer(f(offer.sdp)),
            None => offer,
        };
        n.pcs[B].set_remote_description(offer).unwrap();
        let answer = n.pcs[B].create_answer(&Default::default()).unwrap();
        n.pcs[B]
            .set_local_description(Some(answer.clone()))
            .unwrap();
        let answer = match setup.munge_answer {
            Some(f) => SessionDescription::answer(f(answer.sdp)),
            None => answer,
        };
        n.pcs[A].set_remote_description(answer).unwrap();
        for who in [A, B] {
            let (now, addr) = (n.now, n.addrs[who]);
            n.pcs[who].add_host_candidate(now, addr);
            n.pcs[who].end_of_local_candidates(now);
            n.pcs[who].handle_timeout(now);
        }
        n.flush();
        let mut remote = None;
        let up = n.run_until(Duration::from_secs(30), |n| {
            for e in n.events[B].drain(..) {
                if let Event::DataChannel(id) = e {
                    remote = Some(id);
                }
            }
            remote.is_some() && n.open(A, chat)
        });
        assert!(up, "the pair connects and the channel opens");
        n.chat = (chat, remote.unwrap());
        n.events = [Vec::new(), Vec::new()];
        n.round_trip();
        n
    }

    fn open(&self, who: usize, id: ChannelId) -> bool {
        self.pcs[who]
            .data_channel(id)
            .is_some_and(|c| c.ready_state == ReadyState::Open)
    }

    /// Sends what both sides queued (datagrams to addresses nobody has are
    /// lost), trickles candidates, keeps the other events.
    fn flush(&mut self) {
        for who in [A, B] {
            while let Some(t) = self.pcs[who].poll_transmit() {
                let to = match self.addrs.iter().position(|a| *a == t.remote) {
                    Some(to) => to,
                    None => continue,
                };
                self.net.send(who, to, t.data, self.now);
            }
            while let Some(e) = self.pcs[who].poll_event() {
                match e {
                    Event::IceCandidate(c) => {
                        let other = &mut self.pcs[1 - who];
                        let _ = other.add_ice_candidate(c);
                        other.handle_timeout(self.now);
                    }
                    e => self.events[who].push(e),
                }
            }
            while self.pcs[who].poll_media_event().is_some() {}
        }
    }

    /// Delivers what is due, runs due timers, moves time to the next thing.
    fn step(&mut self) {
        self.flush();
        while let Some((from, to, d)) = self.net.poll_deliver_from(self.now) {
            let (local, remote) = (self.addrs[to], self.addrs[from]);
            self.pcs[to].handle_receive(self.now, local, remote, &d);
            self.flush();
        }
        for who in [A, B] {
            if self.pcs[who].poll_timeout().is_some_and(|t| t <= self.now) {
                self.pcs[who].handle_timeout(self.now);
            }
        }
        self.flush();
        let next = [
            self.pcs[A].poll_timeout(),
            self.pcs[B].poll_timeout(),
            self.net.next_event_time(),
        ]
        .into_iter()
        .flatten()
        .min();
        self.now = match next {
            Some(t) if t > self.now => t,
            _ => self.now + Duration::from_micros(1),
        };
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Net) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// A datagram from B's address straight into A.
    fn inject(&mut self, data: &[u8]) {
        let now = self.now;
        self.pcs[A].handle_receive(now, self.addrs[A], self.addrs[B], data);
    }

    /// A message from A to B on "chat" and the answer back: the
    /// connection still works.
    #[track_caller]
    fn round_trip(&mut self) {
        self.rounds += 1;
        let ping = format!("ping {}", self.rounds).into_bytes();
        let (a, b) = self.chat;
        self.pcs[A].send_data(a, &ping, false).unwrap();
        let got = self.receive(B, b, &ping);
        assert!(got, "B received {:?}", String::from_utf8_lossy(&ping));
        let pong = format!("pong {}", self.rounds).into_bytes();
        self.pcs[B].send_data(b, &pong, false).unwrap();
        self.pcs[B].handle_timeout(self.now);
        let got = self.receive(A, a, &pong);
        assert!(got, "A received {:?}", String::from_utf8_lossy(&pong));
        assert_eq!(
            self.pcs[A].connection_state(),
            PeerConnectionState::Connected
        );
    }

    fn receive(&mut self, who: usize, channel: ChannelId, want: &[u8]) -> bool {
        self.run_until(Duration::from_secs(10), |n| {
            n.events[who].drain(..).any(|e| {
                matches!(e, Event::DataChannelMessage { channel: c, ref data, .. }
                    if c == channel && data == want)
            })
        })
    }

    /// The messages `who` gets on `channel` in the first turn that brings any.
    fn first_messages(&mut self, who: usize, channel: ChannelId) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        self.run_until(Duration::from_secs(10), |n| {
            for e in n.events[who].drain(..) {
                if let Event::DataChannelMessage {
                    channel: c, data, ..
                } = e
                {
                    if c == channel {
                        got.push(data);
                    }
                }
            }
            !got.is_empty()
        });
        got
    }

    fn ice_counters(&self) -> rtcpeer_proto::ice::IceCounters {
        self.pcs[A].transport().ice().unwrap().counters()
    }
}

/// A STUN Binding request with this USERNAME and a MESSAGE-INTEGRITY of
/// garbage (RFC 8489 layout, no FINGERPRINT).
fn stun_request_with_bad_integrity(username: &str, txid: [u8; 12]) -> Vec<u8> {
    let mut attrs = Vec::new();
    let user = username.as_bytes();
    attrs.extend_from_slice(&0x0006u16.to_be_bytes());
    attrs.extend_from_slice(&(user.len() as u16).to_be_bytes());
    attrs.extend_from_slice(user);
    attrs.resize(attrs.len().next_multiple_of(4), 0);
    // PRIORITY, USE-CANDIDATE, ICE-CONTROLLING: a nominating check.
    attrs.extend_from_slice(&[0x00, 0x24, 0, 4, 0x6e, 0, 0x1e, 0xff]);
    attrs.extend_from_slice(&[0x00, 0x25, 0, 0]);
    attrs.extend_from_slice(&[0x80, 0x2a, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    attrs.extend_from_slice(&[0x00, 0x08, 0, 20]);
    attrs.extend_from_slice(&[0xAB; 20]);
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    m.extend_from_slice(&txid);
    m.extend_from_slice(&attrs);
    m
}

#[test]
fn malformed_and_oversize_stun_is_dropped_and_counted() {
    let mut n = Net::connected(Setup::default());
    let before = n.ice_counters();
    let unknown_before = n.pcs[A].transport().counters().unknown_dropped;
    // A STUN header whose length runs past the datagram.
    let mut truncated = vec![0x00, 0x01, 0x00, 0x40];
    truncated.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    truncated.extend_from_slice(&[7; 12]);
    n.inject(&truncated);
    // Attributes whose lengths lie.
    let mut lying = truncated.clone();
    lying[2..4].copy_from_slice(&8u16.to_be_bytes());
    lying.extend_from_slice(&[0x00, 0x06, 0xff, 0xff, 1, 2, 3, 4]);
    n.inject(&lying);
    // The largest datagram UDP can carry, STUN-shaped, all garbage.
    let mut huge = truncated.clone();
    huge[2..4].copy_from_slice(&0xffecu16.to_be_bytes());
    huge.resize(65_535, 0xEE);
    n.inject(&huge);
    // Too short to be STUN at all, and garbage of no protocol.
    n.inject(&[0x00, 0x01, 0x00]);
    n.inject(&vec![0xC8; 65_535]);
    n.inject(&[]);
    let after = n.ice_counters();
    assert_eq!(after.malformed - before.malformed, 3, "{after:?}");
    assert_eq!(
        n.pcs[A].transport().counters().unknown_dropped - unknown_before,
        3
    );
    assert_eq!(
        n.pcs[A].ice_connection_state(),
        IceConnectionState::Connected
    );
    n.round_trip();
}

#[test]
fn stun_with_a_wrong_integrity_gets_no_answer_and_changes_nothing() {
    let mut n = Net::connected(Setup::default());
    n.flush();
    let before = n.ice_counters();
    let pairs = n.pcs[A].transport().ice().unwrap().pair_stats().len();
    let state = n.pcs[A].ice_connection_state();
    let username = format!(
        "{}:{}",
        n.pcs[A].local_ice_credentials().0,
        n.pcs[B].local_ice_credentials().0
    );
    // From B's address and from an address nobody signaled (which a valid
    // check would make a peer-reflexive candidate and a new pair).
    let stranger: SocketAddr = "10.0.0.66:4444".parse().unwrap();
    for i in 0..50u8 {
        let txid = [i; 12];
        let req = stun_request_with_bad_integrity(&username, txid);
        let from = if i % 2 == 0 { n.addrs[B] } else { stranger };
        let now = n.now;
        n.pcs[A].handle_receive(now, n.addrs[A], from, &req);
        while let Some(t) = n.pcs[A].poll_transmit() {
            assert!(
                !t.data.windows(12).any(|w| w == txid),
                "no response to a request with a wrong integrity"
            );
            if let Some(to) = n.addrs.iter().position(|a| *a == t.remote) {
                n.net.send(A, to, t.data, now);
            }
        }
    }
    let after = n.ice_counters();
    assert_eq!(after.bad_integrity - before.bad_integrity, 50, "{after:?}");
    assert_eq!(
        n.pcs[A].transport().ice().unwrap().pair_stats().len(),
        pairs,
        "no peer-reflexive candidate, no new pair"
    );
    assert_eq!(n.pcs[A].ice_connection_state(), state);
    n.round_trip();
}

#[test]
fn garbage_dtls_records_are_dropped() {
    let mut n = Net::connected(Setup::default());
    let received_before = n.pcs[A].transport().dtls().stats().packets_received;
    let record = |ty: u8, epoch: u16, body: &[u8]| {
        let mut r = vec![ty, 0xfe, 0xfd];
        r.extend_from_slice(&epoch.to_be_bytes());
        r.extend_from_slice(&[0, 0, 0, 0, 0x12, 0x34]);
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    };
    let garbage: Vec<Vec<u8>> = vec![
        // Application data that does not decrypt, in the current and other epochs.
        record(23, 1, &[0x5A; 100]),
        record(23, 7, &[0x5A; 1_000]),
        // Handshake, alert and change-cipher-spec records of garbage.
        record(22, 0, &[1, 0, 0, 200, 0, 0]),
        record(22, 1, &[0x11; 64]),
        record(21, 0, &[2, 40]),
        record(21, 1, &[0x22; 40]),
        record(20, 0, &[1]),
        // A header that promises more than there is, and half a header.
        {
            let mut r = record(23, 1, &[0; 10]);
            r[11..13].copy_from_slice(&5_000u16.to_be_bytes());
            r
        },
        vec![23, 0xfe],
        // Several records in one datagram, all garbage.
        [record(23, 1, &[1; 30]), record(22, 0, &[9; 30])].concat(),
        // The largest datagram, a DTLS first byte and garbage.
        {
            let mut r = record(23, 1, &[0x77; 16_000]);
            r.resize(65_535, 0x77);
            r
        },
    ];
    for g in &garbage {
        n.inject(g);
        n.flush();
    }
    let stats = n.pcs[A].transport().dtls().stats();
    assert_eq!(stats.dtls_state, "connected", "{stats:?}");
    // Every datagram reached DTLS, which discarded it (RFC 9147 §4.5.2:
    // invalid records are silently dropped) and stayed connected.
    assert_eq!(
        stats.packets_received - received_before,
        garbage.len() as u64,
        "{stats:?}"
    );
    n.round_trip();
}

#[test]
fn garbage_sctp_inside_dtls_is_dropped_and_counted() {
    let mut n = Net::connected(Setup::default());
    let before = n.pcs[A].transport().sctp().unwrap().stats();
    let header = |vtag: u32, checksum: u32| {
        let mut h = vec![0x13, 0x88, 0x13, 0x88];
        h.extend_from_slice(&vtag.to_be_bytes());
        h.extend_from_slice(&checksum.to_be_bytes());
        h
    };
    let garbage: Vec<Vec<u8>> = vec![
        vec![1, 2, 3],
        vec![0; 12],
        // Wrong checksum.
        [header(1, 0xdead_beef), vec![0, 3, 0, 20], vec![0; 16]].concat(),
        // Zero checksum, chunk lengths that lie.
        [header(1, 0), vec![0, 0, 0xff, 0xff, 1, 2, 3, 4]].concat(),
        [header(1, 0), vec![0, 0, 0, 2]].concat(),
        // Well-formed DATA, ABORT and INIT under a tag that is not ours.
        [header(0x0bad_0bad, 0), vec![0, 3, 0, 20], vec![0; 16]].concat(),
        [header(0x0bad_0bad, 0), vec![6, 0, 0, 4]].concat(),
        [header(0x0bad_0bad, 0), vec![1, 0, 0, 20], vec![0; 16]].concat(),
        // A packet as large as a record can be.
        [header(7, 0), vec![0x40; 16_000]].concat(),
    ];
    for g in &garbage {
        assert!(n.pcs[B].send_raw_sctp(g), "B's DTLS carries it");
    }
    n.run_until(Duration::from_millis(100), |_| false);
    let after = n.pcs[A].transport().sctp().unwrap().stats();
    let counted = (after.packets_malformed - before.packets_malformed)
        + (after.packets_bad_checksum - before.packets_bad_checksum)
        + (after.packets_bad_tag - before.packets_bad_tag);
    assert_eq!(counted, garbage.len() as u64, "{after:?}");
    assert_eq!(
        n.pcs[A].sctp_state(),
        Some(rtcpeer_proto::transport::SctpTransportState::Connected)
    );
    n.round_trip();
}

#[test]
fn a_message_beyond_our_max_message_size_is_dropped_and_the_channel_goes_on() {
    // B is told we accept 1 MiB; we announced (and accept) 256 KiB.
    let mut n = Net::connected(Setup {
        munge_offer: Some(|sdp| {
            sdp.replace(
                &format!("a=max-message-size:{}", rtcpeer_proto::MAX_MESSAGE_SIZE),
                "a=max-message-size:1048576",
            )
        }),
        ..Setup::default()
    });
    let b = n.chat.1;
    let big = vec![0x42u8; 300_000];
    n.pcs[B].send_data(b, &big, true).unwrap();
    n.pcs[B].send_data(b, b"after the big one", true).unwrap();
    n.pcs[B].handle_timeout(n.now);
    let got = n.first_messages(A, n.chat.0);
    assert_eq!(got, vec![b"after the big one".to_vec()]);
    let stats = n.pcs[A].transport().sctp().unwrap().stats();
    assert_eq!(stats.messages_too_large, 1, "{stats:?}");
    n.round_trip();
}

#[test]
fn a_peer_announcing_no_limit_gets_what_the_registry_accepts_sent() {
    // A announces max-message-size 0 ("no limit"): B's channel accepts a
    // 300 KB message and SCTP really sends it (it used to vanish between the
    // two); A, which accepts 256 KiB, drops it and counts it.
    let mut n = Net::connected(Setup {
        munge_offer: Some(|sdp| {
            sdp.replace(
                &format!("a=max-message-size:{}", rtcpeer_proto::MAX_MESSAGE_SIZE),
                "a=max-message-size:0",
            )
        }),
        ..Setup::default()
    });
    let b = n.chat.1;
    assert_eq!(n.pcs[B].max_message_size(), usize::MAX);
    n.pcs[B].send_data(b, &vec![7u8; 300_000], true).unwrap();
    n.pcs[B].send_data(b, b"next", true).unwrap();
    n.pcs[B].handle_timeout(n.now);
    let got = n.first_messages(A, n.chat.0);
    assert_eq!(got, vec![b"next".to_vec()]);
    let stats = n.pcs[A].transport().sctp().unwrap().stats();
    assert_eq!(
        stats.messages_too_large, 1,
        "the big one was sent: {stats:?}"
    );
}

#[test]
fn thousands_of_dcep_opens_are_bounded() {
    let mut n = Net::connected(Setup::default());
    const FLOOD: usize = 2_000;
    let mut mine = Vec::new();
    for i in 0..FLOOD {
        let id = n.pcs[B]
            .create_data_channel(&format!("flood {i}"), DataChannelInit::default())
            .unwrap();
        mine.push(id);
    }
    n.pcs[B].handle_timeout(n.now);
    let refused = FLOOD - MAX_REMOTE_CHANNELS; // "chat" is A's own, not counted
    let done = n.run_until(Duration::from_secs(60), |n| {
        n.events = [Vec::new(), Vec::new()];
        mine.iter()
            .filter(|id| {
                n.pcs[B]
                    .data_channel(**id)
                    .is_none_or(|c| c.ready_state == ReadyState::Closed)
            })
            .count()
            == refused
            && n.pcs[A].transport().channels().stats().rejected_opens == refused as u64
    });
    let closed_at_b = mine
        .iter()
        .filter(|id| {
            n.pcs[B]
                .data_channel(**id)
                .is_none_or(|c| c.ready_state == ReadyState::Closed)
        })
        .count();
    assert!(
        done,
        "A refused {refused} OPENs and B's channels closed: {:?}, {closed_at_b} closed at B",
        n.pcs[A].transport().channels().stats()
    );
    let stats = n.pcs[A].transport().channels().stats();
    assert_eq!(stats.rejected_opens, refused as u64, "{stats:?}");
    let open_at_a = n.pcs[A]
        .transport()
        .channels()
        .channels()
        .filter(|(_, c)| c.ready_state == ReadyState::Open)
        .count();
    assert_eq!(
        open_at_a,
        MAX_REMOTE_CHANNELS + 1,
        "the peer's 1024 and chat"
    );
    n.round_trip();
}

#[test]
fn rtp_under_thousands_of_ssrcs_keeps_state_bounded() {
    let mut n = Net::connected(Setup {
        audio: true,
        ..Setup::default()
    });
    let pt = n.pcs[A].transceivers()[0]
        .negotiated_codecs
        .iter()
        .find(|c| c.mime_type.eq_ignore_ascii_case("audio/opus"))
        .map(|c| c.payload_type)
        .expect("opus negotiated");
    for i in 0..3_000u32 {
        let mut p = vec![0x80, pt, 0, 1, 0, 0, 0, 0];
        p.extend_from_slice(&(0x5000_0000 + i).to_be_bytes());
        p.extend_from_slice(&[0xF8, 0xFF, 0xFE]);
        assert!(n.pcs[B].send_raw_rtp(&p));
        if i % 100 == 0 {
            n.step();
        }
    }
    n.run_until(Duration::from_millis(200), |_| false);
    let srtp = n.pcs[A].transport().srtp_receive_counters().unwrap();
    assert!(srtp.unprotected >= 3_000, "{srtp:?}");
    assert!(
        srtp.streams_evicted >= 3_000 - rtcpeer_rtp::srtp::MAX_STREAMS as u64,
        "{srtp:?}"
    );
    let media = n.pcs[A].media_counters();
    assert!(media.ssrcs_forgotten > 0, "{media:?}");
    n.round_trip();
}

#[test]
fn a_candidate_flood_is_refused_beyond_the_limit() {
    let mut n = Net::connected(Setup::default());
    let mut refused = 0;
    let mut accepted = 0;
    for i in 0..10_000u32 {
        let c = IceCandidateInit {
            candidate: format!(
                "candidate:{i} 1 udp {} 192.0.2.{} {} typ host",
                1_000 + i,
                i % 250 + 1,
                10_000 + i % 50_000
            ),
            sdp_mid: Some("0".into()),
            ..Default::default()
        };
        match n.pcs[A].add_ice_candidate(Some(c)) {
            Ok(_) => accepted += 1,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::OperationError);
                assert!(e.message().contains("too many"), "{}", e.message());
                refused += 1;
            }
        }
    }
    assert!(accepted < 100 && refused > 9_900, "{accepted} / {refused}");
    n.pcs[A].handle_timeout(n.now);
    let ice = n.pcs[A].transport().ice().unwrap();
    assert!(ice.remote_candidates().len() <= 100);
    n.round_trip();
}

#[test]
fn many_candidates_in_the_sdp_are_bounded_and_counted() {
    // B's answer carries its real candidate, then 999 nobody answers for.
    let mut n = Net::connected(Setup {
        munge_answer: Some(|sdp| {
            let mut lines =
                String::from("a=candidate:9 1 udp 2122260223 10.0.0.2 5000 typ host\r\n");
            for i in 0..999u32 {
                lines.push_str(&format!(
                    "a=candidate:{i} 1 udp {} 192.0.2.{} {} typ host\r\n",
                    100 + i,
                    i % 250 + 1,
                    20_000 + i
                ));
            }
            sdp.replacen("a=mid:0\r\n", &format!("a=mid:0\r\n{lines}"), 1)
        }),
        ..Setup::default()
    });
    let ice = n.pcs[A].transport().ice().unwrap();
    assert!(ice.remote_candidates().len() <= 100);
    assert!(n.pcs[A].transport().counters().bad_remote_candidates >= 900);
    n.round_trip();
}

#[test]
fn huge_sdp_is_refused_with_the_line_number() {
    let mut n = Net::connected(Setup::default());
    let offer = n.pcs[B].create_offer(&Default::default()).unwrap();
    let base = offer.sdp.clone();
    let lines_before = base.lines().count();
    // 2 MiB of attribute lines.
    let filler = format!("a=x-filler:{}\r\n", "z".repeat(1_000));
    let huge = base.clone() + &filler.repeat(2_100);
    // 2,000 media sections.
    let sections = base.clone() + &"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n".repeat(2_000);
    // One line of 100 kB.
    let long = base.clone() + &format!("a=x-long:{}\r\n", "y".repeat(100_000));
    for (sdp, what) in [
        (huge, "exceeds the limit"),
        (sections, "media sections"),
        (long, "line of"),
    ] {
        let e = n.pcs[A]
            .set_remote_description(SessionDescription::offer(sdp))
            .expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::OperationError);
        assert_eq!(e.detail(), Some(ErrorDetail::SdpSyntaxError));
        let line = e.sdp_line_number().expect("a line number");
        assert!(line > lines_before, "{line}");
        assert!(e.message().contains(what), "{}", e.message());
        assert_eq!(n.pcs[A].signaling_state(), SignalingState::Stable);
    }
    n.round_trip();
}
