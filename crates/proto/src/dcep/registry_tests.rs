//! Tests of the data channel registry, mostly as a pair wired back to back.

use super::*;

/// Two registries joined by a perfect SCTP: sends arrive in order, resets are
/// done at once.
struct Pair {
    client: DataChannelRegistry,
    server: DataChannelRegistry,
    client_events: Vec<DataChannelEvent>,
    server_events: Vec<DataChannelEvent>,
    /// Every message the client's SCTP carried, for checks on framing.
    client_sent: Vec<OutgoingHeader>,
}

impl Pair {
    fn new() -> Pair {
        let mut client = DataChannelRegistry::default();
        let mut server = DataChannelRegistry::default();
        client.set_dtls_role(DtlsRole::Client);
        server.set_dtls_role(DtlsRole::Server);
        Pair {
            client,
            server,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_sent: Vec::new(),
        }
    }

    fn connect(&mut self) {
        self.client.handle_sctp_connected();
        self.server.handle_sctp_connected();
        self.pump();
    }

    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(action) = self.client.poll_transmit() {
                progressed = true;
                match action {
                    SctpAction::Send(m) => {
                        self.client_sent.push(m.header);
                        self.server.handle_message(
                            m.header.stream_id,
                            m.header.ppid.value(),
                            &m.payload,
                        );
                    }
                    SctpAction::ResetStream(s) => {
                        self.client.handle_outgoing_reset_done(s);
                        self.server.handle_stream_reset(s);
                    }
                }
            }
            while let Some(action) = self.server.poll_transmit() {
                progressed = true;
                match action {
                    SctpAction::Send(m) => self.client.handle_message(
                        m.header.stream_id,
                        m.header.ppid.value(),
                        &m.payload,
                    ),
                    SctpAction::ResetStream(s) => {
                        self.server.handle_outgoing_reset_done(s);
                        self.client.handle_stream_reset(s);
                    }
                }
            }
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
            }
            while let Some(e) = self.server.poll_event() {
                self.server_events.push(e);
            }
            if !progressed {
                break;
            }
        }
    }
}

fn remote_channel(events: &[DataChannelEvent]) -> ChannelId {
    events
        .iter()
        .find_map(|e| match e {
            DataChannelEvent::ChannelOpened(id) => Some(*id),
            _ => None,
        })
        .expect("the peer announced a channel")
}

#[test]
fn in_band_channel_opens_on_both_sides_and_carries_messages() {
    let mut p = Pair::new();
    let init = DataChannelInit {
        ordered: false,
        max_retransmits: Some(3),
        protocol: "chat-v1".into(),
        priority: priority::HIGH,
        ..Default::default()
    };
    let ch = p.client.create_channel("chat", init).unwrap();
    assert_eq!(p.client.channel(ch).unwrap().stream_id, Some(0));
    assert_eq!(
        p.client.channel(ch).unwrap().ready_state,
        ReadyState::Connecting
    );
    p.connect();

    assert!(p.client_events.contains(&DataChannelEvent::Open(ch)));
    let remote = remote_channel(&p.server_events);
    let info = p.server.channel(remote).unwrap();
    assert_eq!(info.label, "chat");
    assert_eq!(info.protocol, "chat-v1");
    assert_eq!(info.priority, priority::HIGH);
    assert_eq!(info.stream_id, Some(0));
    assert_eq!(info.ready_state, ReadyState::Open);
    assert!(!info.ordered());
    assert_eq!(info.max_retransmits(), Some(3));
    assert_eq!(info.max_packet_life_time(), None);
    assert_eq!(info.priority_name(), "high");
    assert_eq!(
        info.channel_type,
        ChannelType {
            ordered: false,
            reliability: Reliability::MaxRetransmits(3)
        }
    );

    let header = p.client.prepare_send(ch, 0, true).unwrap();
    assert_eq!(header.options.max_retransmits(), Some(3));
    assert_eq!(header.options.priority, priority::HIGH);
    assert_eq!(header.ppid, Ppid::BinaryEmpty);
    assert_eq!(header.payload(b""), [0]);
    p.client.send(ch, b"hello", false).unwrap();
    p.client.send(ch, &[1, 2, 3], true).unwrap();
    p.client.send(ch, b"", false).unwrap();
    p.client.send(ch, b"", true).unwrap();
    p.server.send(remote, b"back", false).unwrap();
    p.pump();

    let got: Vec<(bool, Vec<u8>)> = p
        .server_events
        .iter()
        .filter_map(|e| match e {
            DataChannelEvent::Message {
                channel,
                binary,
                data,
            } if *channel == remote => Some((*binary, data.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (false, b"hello".to_vec()),
            (true, vec![1, 2, 3]),
            (false, vec![]),
            (true, vec![]),
        ]
    );
    assert!(p.client_events.contains(&DataChannelEvent::Message {
        channel: ch,
        binary: false,
        data: b"back".to_vec()
    }));
    let info = p.client.channel(ch).unwrap();
    // Five messages: the empty one from prepare_send above and the four sent.
    assert_eq!((info.messages_sent, info.bytes_sent), (5, 8));
    assert_eq!((info.messages_received, info.bytes_received), (1, 4));
}

#[test]
fn unordered_channel_sends_ordered_until_the_peer_answers() {
    let mut p = Pair::new();
    let ch = p
        .client
        .create_channel(
            "u",
            DataChannelInit {
                ordered: false,
                ..Default::default()
            },
        )
        .unwrap();
    p.client.handle_sctp_connected();
    // Before the ACK: ordered, so data cannot overtake the OPEN.
    let early = p.client.prepare_send(ch, 1, true).unwrap();
    assert!(early.options.ordered);
    p.server.handle_sctp_connected();
    p.pump();
    let late = p.client.prepare_send(ch, 1, true).unwrap();
    assert!(!late.options.ordered);
    assert_eq!(late.options.priority, priority::LOW);
    assert_eq!(late.options.max_retransmits(), None);
    assert_eq!(late.options.lifetime(), None);
    // The OPEN itself is ordered and reliable on PPID 50.
    let open = p.client_sent[0];
    assert_eq!(open.ppid, Ppid::Dcep);
    assert!(open.options.ordered);
    assert_eq!(open.options.reliability, Reliability::Reliable);
}

#[test]
fn stream_ids_follow_the_dtls_role() {
    let mut p = Pair::new();
    let c: Vec<u16> = (0..3)
        .map(|i| {
            let id = p
                .client
                .create_channel(&i.to_string(), Default::default())
                .unwrap();
            p.client.channel(id).unwrap().stream_id.unwrap()
        })
        .collect();
    let s: Vec<u16> = (0..3)
        .map(|i| {
            let id = p
                .server
                .create_channel(&i.to_string(), Default::default())
                .unwrap();
            p.server.channel(id).unwrap().stream_id.unwrap()
        })
        .collect();
    assert_eq!(c, [0, 2, 4]);
    assert_eq!(s, [1, 3, 5]);
    p.connect();
    // Both sides see all six channels, each once.
    assert_eq!(p.client.channels().count(), 6);
    assert_eq!(p.server.channels().count(), 6);
}

#[test]
fn channels_created_before_the_role_get_ids_when_it_is_known() {
    let mut r = DataChannelRegistry::default();
    let a = r.create_channel("a", Default::default()).unwrap();
    assert_eq!(r.channel(a).unwrap().stream_id, None);
    r.set_dtls_role(DtlsRole::Server);
    assert_eq!(r.channel(a).unwrap().stream_id, Some(1));
}

#[test]
fn running_out_of_ids_fails_the_channel() {
    let mut r = DataChannelRegistry::default();
    r.set_max_streams(4); // ids 0..=3: the server may use 1 and 3
    let chans: Vec<ChannelId> = (0..3)
        .map(|_| r.create_channel("x", Default::default()).unwrap())
        .collect();
    r.set_dtls_role(DtlsRole::Server);
    assert_eq!(r.channel(chans[0]).unwrap().stream_id, Some(1));
    assert_eq!(r.channel(chans[1]).unwrap().stream_id, Some(3));
    assert_eq!(r.channel(chans[2]).unwrap().ready_state, ReadyState::Closed);
    let events: Vec<_> = std::iter::from_fn(|| r.poll_event()).collect();
    assert_eq!(
        events,
        [
            DataChannelEvent::Error {
                channel: chans[2],
                error: "OperationError"
            },
            DataChannelEvent::Closed(chans[2])
        ]
    );
    let err = r.create_channel("y", Default::default()).unwrap_err();
    assert_eq!(err, DcepError::NoFreeId);
    assert_eq!(err.w3c_name(), "OperationError");
}

#[test]
fn negotiated_channels_open_without_dcep() {
    let mut p = Pair::new();
    let init = DataChannelInit {
        negotiated: true,
        id: Some(7),
        ..Default::default()
    };
    let a = p.client.create_channel("n", init.clone()).unwrap();
    let b = p.server.create_channel("n", init).unwrap();
    p.connect();
    assert!(p.client_events.contains(&DataChannelEvent::Open(a)));
    assert!(p.server_events.contains(&DataChannelEvent::Open(b)));
    assert!(p.client_sent.is_empty(), "no DCEP for negotiated channels");
    p.client.send(a, b"x", false).unwrap();
    p.pump();
    assert!(p.server_events.contains(&DataChannelEvent::Message {
        channel: b,
        binary: false,
        data: b"x".to_vec()
    }));
    assert_eq!(p.server.stats().rejected_opens, 0);
}

#[test]
fn create_channel_validates_like_w3c() {
    let mut r = DataChannelRegistry::default();
    let cases = [
        (
            DataChannelInit {
                max_retransmits: Some(1),
                max_packet_life_time: Some(1),
                ..Default::default()
            },
            DcepError::ConflictingReliability,
        ),
        (
            DataChannelInit {
                negotiated: true,
                ..Default::default()
            },
            DcepError::NegotiatedWithoutId,
        ),
        (
            DataChannelInit {
                negotiated: true,
                id: Some(65_535),
                ..Default::default()
            },
            DcepError::IdOutOfRange(65_535),
        ),
        (
            DataChannelInit {
                protocol: "p".repeat(65_536),
                ..Default::default()
            },
            DcepError::ProtocolTooLong,
        ),
    ];
    for (init, expected) in cases {
        assert_eq!(r.create_channel("l", init).unwrap_err(), expected);
        assert_eq!(expected.w3c_name(), "TypeError");
    }
    assert_eq!(
        r.create_channel(&"l".repeat(65_536), Default::default())
            .unwrap_err(),
        DcepError::LabelTooLong
    );
    let fixed = DataChannelInit {
        negotiated: true,
        id: Some(3),
        ..Default::default()
    };
    r.create_channel("a", fixed.clone()).unwrap();
    let err = r.create_channel("b", fixed).unwrap_err();
    assert_eq!(err, DcepError::IdInUse(3));
    assert_eq!(err.w3c_name(), "OperationError");
}

#[test]
fn send_checks_state_and_size() {
    let mut p = Pair::new();
    let ch = p.client.create_channel("c", Default::default()).unwrap();
    let err = p.client.send(ch, b"x", false).unwrap_err();
    assert_eq!(err, DcepError::NotOpen("connecting"));
    assert_eq!(err.w3c_name(), "InvalidStateError");
    p.connect();
    p.client.set_max_message_size(4);
    assert_eq!(
        p.client.send(ch, b"12345", true).unwrap_err(),
        DcepError::MessageTooLarge { size: 5, max: 4 }
    );
    p.client.send(ch, b"1234", true).unwrap();
    assert_eq!(
        p.client.send(ChannelId(999), b"1", true).unwrap_err(),
        DcepError::UnknownChannel
    );
}

#[test]
fn closing_resets_both_streams_and_frees_the_id() {
    let mut p = Pair::new();
    let ch = p.client.create_channel("c", Default::default()).unwrap();
    p.connect();
    let remote = remote_channel(&p.server_events);
    p.client.close(ch);
    assert_eq!(
        p.client.channel(ch).unwrap().ready_state,
        ReadyState::Closing
    );
    assert!(p.client.send(ch, b"x", false).is_err());
    p.pump();
    assert_eq!(
        p.client.channel(ch).unwrap().ready_state,
        ReadyState::Closed
    );
    assert_eq!(
        p.server.channel(remote).unwrap().ready_state,
        ReadyState::Closed
    );
    // The remote side saw closing then close; the local side only close.
    let server_tail: Vec<_> = p
        .server_events
        .iter()
        .filter(|e| {
            matches!(
                e,
                DataChannelEvent::Closing(_) | DataChannelEvent::Closed(_)
            )
        })
        .cloned()
        .collect();
    assert_eq!(
        server_tail,
        [
            DataChannelEvent::Closing(remote),
            DataChannelEvent::Closed(remote)
        ]
    );
    assert!(p.client_events.contains(&DataChannelEvent::Closed(ch)));
    assert!(!p.client_events.contains(&DataChannelEvent::Closing(ch)));
    let stats = p.client.stats();
    assert_eq!((stats.channels_opened, stats.channels_closed), (1, 1));
    // Stream 0 is free again.
    let again = p
        .client
        .create_channel("again", Default::default())
        .unwrap();
    assert_eq!(p.client.channel(again).unwrap().stream_id, Some(0));
    assert!(p.client.forget(ch));
    assert!(!p.client.forget(again));
}

#[test]
fn closing_before_sctp_closes_at_once() {
    let mut r = DataChannelRegistry::default();
    let ch = r.create_channel("c", Default::default()).unwrap();
    r.close(ch);
    assert_eq!(r.channel(ch).unwrap().ready_state, ReadyState::Closed);
    assert_eq!(r.poll_transmit(), None);
    assert_eq!(r.poll_event(), Some(DataChannelEvent::Closed(ch)));
}

#[test]
fn sctp_failure_closes_everything_with_an_error() {
    let mut p = Pair::new();
    let ch = p.client.create_channel("c", Default::default()).unwrap();
    p.connect();
    p.client.handle_sctp_closed(true);
    let events: Vec<_> = std::iter::from_fn(|| p.client.poll_event()).collect();
    assert_eq!(
        events,
        [
            DataChannelEvent::Error {
                channel: ch,
                error: "sctp-failure"
            },
            DataChannelEvent::Closed(ch)
        ]
    );
    assert_eq!(
        p.client
            .create_channel("d", Default::default())
            .unwrap_err(),
        DcepError::TransportClosed
    );
}

#[test]
fn legacy_partial_messages_are_reassembled_and_bounded() {
    let mut r = DataChannelRegistry::new(RegistryConfig {
        max_receive_message_size: 8,
        ..RegistryConfig::default()
    });
    r.set_dtls_role(DtlsRole::Client);
    r.handle_sctp_connected();
    let open = DcepMessage::Open(DataChannelOpen {
        channel_type: ChannelType::RELIABLE,
        priority: priority::LOW,
        label: "legacy".into(),
        protocol: String::new(),
    });
    r.handle_message(1, Ppid::Dcep.value(), &open.encode());
    let ch = match r.poll_event() {
        Some(DataChannelEvent::ChannelOpened(ch)) => ch,
        other => panic!("expected ChannelOpened, got {other:?}"),
    };
    // The W3C order: datachannel, then open on the new channel.
    assert_eq!(r.poll_event(), Some(DataChannelEvent::Open(ch)));
    r.handle_message(1, Ppid::StringPartial.value(), b"ab");
    r.handle_message(1, Ppid::StringPartial.value(), b"cd");
    r.handle_message(1, Ppid::String.value(), b"ef");
    assert_eq!(
        r.poll_event(),
        Some(DataChannelEvent::Message {
            channel: ch,
            binary: false,
            data: b"abcdef".to_vec()
        })
    );
    // 5 + 5 + 5 bytes exceed the limit of 8: the whole message is dropped,
    // its last piece included.
    r.handle_message(1, Ppid::BinaryPartial.value(), b"12345");
    r.handle_message(1, Ppid::BinaryPartial.value(), b"67890");
    r.handle_message(1, Ppid::BinaryPartial.value(), b"abcde");
    r.handle_message(1, Ppid::Binary.value(), b"x");
    assert_eq!(r.stats().oversized_messages, 1);
    assert_eq!(r.poll_event(), None);
    // The next message is whole again.
    r.handle_message(1, Ppid::BinaryPartial.value(), b"1234");
    r.handle_message(1, Ppid::Binary.value(), b"5678");
    assert_eq!(
        r.poll_event(),
        Some(DataChannelEvent::Message {
            channel: ch,
            binary: true,
            data: b"12345678".to_vec()
        })
    );
}

#[test]
fn unexpected_input_is_dropped_and_counted() {
    let mut r = DataChannelRegistry::default();
    r.set_dtls_role(DtlsRole::Client);
    r.handle_sctp_connected();
    r.handle_message(9, Ppid::String.value(), b"no channel");
    r.handle_message(9, 1234, b"bad ppid");
    r.handle_message(9, Ppid::Dcep.value(), &[]);
    r.handle_message(9, Ppid::Dcep.value(), &[0x03, 0xff]);
    r.handle_message(9, Ppid::Dcep.value(), &[0x02]); // ACK for nothing
    let open = DcepMessage::Open(DataChannelOpen {
        channel_type: ChannelType::RELIABLE,
        priority: 0,
        label: "x".into(),
        protocol: String::new(),
    })
    .encode();
    r.handle_message(65_535, Ppid::Dcep.value(), &open);
    r.handle_message(3, Ppid::Dcep.value(), &open);
    r.handle_message(3, Ppid::Dcep.value(), &open); // stream already in use
    let stats = r.stats();
    assert_eq!(stats.dropped_messages, 3);
    assert_eq!(stats.malformed_dcep, 2);
    assert_eq!(stats.rejected_opens, 2);
    assert_eq!(r.channels().count(), 1);
}

#[test]
fn arbitrary_input_never_panics() {
    let mut r = DataChannelRegistry::default();
    r.set_dtls_role(DtlsRole::Server);
    r.handle_sctp_connected();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5_000 {
        let len = (next() % 40) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Some(first) = data.first_mut() {
            *first = [0x02, 0x03, *first][(next() % 3) as usize];
        }
        let stream = (next() % 8) as u16;
        let ppid = 48 + (next() % 12) as u32;
        match next() % 10 {
            0 => r.handle_stream_reset(stream),
            1 => r.handle_outgoing_reset_done(stream),
            _ => r.handle_message(stream, ppid, &data),
        }
        while r.poll_transmit().is_some() {}
        while r.poll_event().is_some() {}
    }
    let s = r.stats();
    assert!(s.malformed_dcep + s.dropped_messages + s.rejected_opens > 0);
}

#[test]
fn buffered_amount_tracks_sends_and_fires_low_once_per_crossing() {
    let mut p = Pair::new();
    let ch = p.client.create_channel("b", Default::default()).unwrap();
    p.connect();
    while p.client.poll_event().is_some() {}
    p.client.set_buffered_amount_low_threshold(ch, 10);
    p.client.prepare_send(ch, 8, true).unwrap();
    p.client.prepare_send(ch, 8, true).unwrap();
    assert_eq!(p.client.channel(ch).unwrap().buffered_amount, 16);
    p.client.handle_bytes_transmitted(0, 4); // 12: still above
    assert_eq!(p.client.poll_event(), None);
    p.client.handle_bytes_transmitted(0, 4); // 8: crossed
    assert_eq!(
        p.client.poll_event(),
        Some(DataChannelEvent::BufferedAmountLow(ch))
    );
    p.client.handle_bytes_transmitted(0, 8); // 0: already below, no new event
    assert_eq!(p.client.poll_event(), None);
    p.client.handle_bytes_transmitted(0, 100); // never negative
    assert_eq!(p.client.channel(ch).unwrap().buffered_amount, 0);
}

#[test]
fn peer_reliability_beyond_u16_is_clamped_for_the_w3c_attributes() {
    let mut r = DataChannelRegistry::default();
    r.set_dtls_role(DtlsRole::Client);
    r.handle_sctp_connected();
    for (stream, reliability) in [
        (1u16, Reliability::MaxRetransmits(100_000)),
        (3, Reliability::MaxPacketLifeTime(70_000)),
    ] {
        let open = DcepMessage::Open(DataChannelOpen {
            channel_type: ChannelType {
                ordered: true,
                reliability,
            },
            priority: priority::VERY_LOW,
            label: String::new(),
            protocol: String::new(),
        });
        r.handle_message(stream, Ppid::Dcep.value(), &open.encode());
    }
    let a = r.channel_by_stream(1).unwrap();
    let b = r.channel_by_stream(3).unwrap();
    assert_eq!(r.channel(a).unwrap().max_retransmits(), Some(u16::MAX));
    assert_eq!(r.channel(b).unwrap().max_packet_life_time(), Some(u16::MAX));
    assert_eq!(r.channel(b).unwrap().max_retransmits(), None);
    assert_eq!(r.channel(a).unwrap().priority_name(), "very-low");
}

#[test]
fn a_closing_channel_discards_incoming_messages() {
    let mut p = Pair::new();
    let ch = p.client.create_channel("c", Default::default()).unwrap();
    p.connect();
    while p.client.poll_event().is_some() {}
    p.client.close(ch);
    let dropped = p.client.stats().dropped_messages;
    p.client.handle_message(0, Ppid::String.value(), b"late");
    assert_eq!(p.client.poll_event(), None);
    assert_eq!(p.client.stats().dropped_messages, dropped + 1);
}

fn open_message(label: &str) -> Vec<u8> {
    DcepMessage::Open(DataChannelOpen {
        channel_type: ChannelType::RELIABLE,
        priority: 0,
        label: label.into(),
        protocol: String::new(),
    })
    .encode()
}

#[test]
fn peer_channels_beyond_the_limit_are_refused_and_reset() {
    let mut r = DataChannelRegistry::new(RegistryConfig {
        max_remote_channels: 3,
        ..RegistryConfig::default()
    });
    r.set_dtls_role(DtlsRole::Client);
    r.handle_sctp_connected();
    for s in 0..10u16 {
        r.handle_message(2 * s + 1, Ppid::Dcep.value(), &open_message("flood"));
    }
    assert_eq!(r.stats().channels_opened, 3);
    assert_eq!(r.stats().rejected_opens, 7);
    let mut resets = Vec::new();
    while let Some(a) = r.poll_transmit() {
        if let SctpAction::ResetStream(s) = a {
            resets.push(s);
        }
    }
    assert_eq!(resets, (3..10u16).map(|s| 2 * s + 1).collect::<Vec<_>>());
    // Our own reset of a refused stream, and the peer's answer, touch nothing.
    r.handle_outgoing_reset_done(7);
    r.handle_stream_reset(7);
    assert_eq!(r.channels().count(), 3);
    // A peer channel that closes frees a place.
    r.handle_stream_reset(1);
    while let Some(a) = r.poll_transmit() {
        if let SctpAction::ResetStream(s) = a {
            r.handle_outgoing_reset_done(s);
        }
    }
    assert_eq!(
        r.channel(ChannelId(0)).unwrap().ready_state,
        ReadyState::Closed
    );
    r.handle_message(41, Ppid::Dcep.value(), &open_message("again"));
    assert_eq!(r.stats().channels_opened, 4);
    assert!(r.channel_by_stream(41).is_some());
}

#[test]
fn peer_labels_are_bounded_in_total() {
    let mut r = DataChannelRegistry::new(RegistryConfig {
        max_remote_label_bytes: 10,
        ..RegistryConfig::default()
    });
    r.set_dtls_role(DtlsRole::Client);
    r.handle_sctp_connected();
    r.handle_message(1, Ppid::Dcep.value(), &open_message("123456"));
    r.handle_message(3, Ppid::Dcep.value(), &open_message("123456"));
    r.handle_message(5, Ppid::Dcep.value(), &open_message("1234"));
    assert!(r.channel_by_stream(1).is_some());
    assert!(r.channel_by_stream(3).is_none(), "6 + 6 bytes is over 10");
    assert!(r.channel_by_stream(5).is_some(), "6 + 4 bytes fits");
    assert_eq!(r.stats().rejected_opens, 1);
}

#[test]
fn closed_channel_records_are_bounded() {
    let mut r = DataChannelRegistry::new(RegistryConfig {
        max_closed_channels: 4,
        ..RegistryConfig::default()
    });
    r.set_dtls_role(DtlsRole::Client);
    r.handle_sctp_connected();
    // The peer opens and closes 20 channels in turn on one stream.
    for _ in 0..20 {
        r.handle_message(1, Ppid::Dcep.value(), &open_message("churn"));
        r.handle_stream_reset(1);
        while let Some(a) = r.poll_transmit() {
            if let SctpAction::ResetStream(s) = a {
                r.handle_outgoing_reset_done(s);
            }
        }
    }
    assert_eq!(r.stats().channels_opened, 20);
    assert_eq!(r.stats().channels_closed, 20);
    assert_eq!(r.channels().count(), 4, "only the 4 latest closed records");
    assert!(r.channel(ChannelId(19)).is_some());
    assert!(r.channel(ChannelId(0)).is_none());
}
