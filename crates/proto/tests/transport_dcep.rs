//! DCEP codec round trips and hostile input, through the public API.

use rtcpeer_proto::dcep::{
    priority, ChannelType, DataChannelEvent, DataChannelOpen, DataChannelRegistry, DcepMessage,
    DtlsRole, Ppid, Reliability, SctpAction,
};

fn all_channel_types() -> Vec<ChannelType> {
    let mut types = Vec::new();
    for ordered in [true, false] {
        for reliability in [
            Reliability::Reliable,
            Reliability::MaxRetransmits(0),
            Reliability::MaxRetransmits(u32::MAX),
            Reliability::MaxPacketLifeTime(150),
        ] {
            types.push(ChannelType {
                ordered,
                reliability,
            });
        }
    }
    types
}

#[test]
fn open_messages_round_trip() {
    for channel_type in all_channel_types() {
        for (label, protocol) in [("", ""), ("chat", ""), ("ünïcødé 🎉", "proto/1")] {
            let msg = DcepMessage::Open(DataChannelOpen {
                channel_type,
                priority: priority::MEDIUM,
                label: label.into(),
                protocol: protocol.into(),
            });
            let bytes = msg.encode();
            assert_eq!(bytes.len(), 12 + label.len() + protocol.len());
            assert_eq!(DcepMessage::decode(&bytes), Ok(msg));
        }
    }
    assert_eq!(
        DcepMessage::decode(&DcepMessage::Ack.encode()),
        Ok(DcepMessage::Ack)
    );
}

#[test]
fn every_truncation_and_bit_flip_is_rejected_or_decoded_without_panic() {
    let bytes = DcepMessage::Open(DataChannelOpen {
        channel_type: ChannelType {
            ordered: false,
            reliability: Reliability::MaxPacketLifeTime(1_000),
        },
        priority: priority::HIGH,
        label: "label".into(),
        protocol: "protocol".into(),
    })
    .encode();
    for cut in 0..bytes.len() {
        let result = DcepMessage::decode(&bytes[..cut]);
        if cut == 0 {
            assert!(result.is_err());
        } else {
            assert!(
                result.is_err(),
                "a truncated OPEN ({cut} bytes) must not decode"
            );
        }
    }
    let mut decoded = 0;
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1 << bit;
            if DcepMessage::decode(&flipped).is_ok() {
                decoded += 1;
            }
        }
    }
    // Flips in priority, reliability parameter and text may still decode;
    // flips in the lengths or type must not all pass.
    assert!(decoded > 0 && decoded < bytes.len() * 8);
}

#[test]
fn a_peer_open_is_acknowledged_on_the_same_stream() {
    let mut r = DataChannelRegistry::default();
    r.set_dtls_role(DtlsRole::Server);
    r.handle_sctp_connected();
    let open = DcepMessage::Open(DataChannelOpen {
        channel_type: ChannelType::RELIABLE,
        priority: priority::LOW,
        label: "from-browser".into(),
        protocol: String::new(),
    });
    r.handle_message(0, Ppid::Dcep.value(), &open.encode());
    let Some(DataChannelEvent::ChannelOpened(ch)) = r.poll_event() else {
        panic!("expected a datachannel event");
    };
    assert_eq!(r.channel(ch).unwrap().label, "from-browser");
    match r.poll_transmit() {
        Some(SctpAction::Send(m)) => {
            assert_eq!(m.header.stream_id, 0);
            assert_eq!(m.header.ppid, Ppid::Dcep);
            assert_eq!(DcepMessage::decode(&m.payload), Ok(DcepMessage::Ack));
        }
        other => panic!("expected an ACK, got {other:?}"),
    }
    // Our own channels take odd ids and skip nothing in use.
    let mine = r.create_channel("mine", Default::default()).unwrap();
    assert_eq!(r.channel(mine).unwrap().stream_id, Some(1));
}
