//! DCEP (RFC 8832): arbitrary bytes decode without panicking; what decodes
//! encodes back to bytes that decode to the same message. Then the channel
//! registry is fed the same bytes as SCTP messages on arbitrary streams and
//! PPIDs: it drops and counts, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_proto::dcep::{DataChannelRegistry, DcepMessage, DtlsRole};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = DcepMessage::decode(data) {
        let again = DcepMessage::decode(&m.encode()).expect("what we encode decodes");
        assert_eq!(again, m);
    }
    let Some((head, rest)) = data.split_first_chunk::<4>() else { return };
    let mut reg = DataChannelRegistry::default();
    reg.set_dtls_role(if head[0] & 1 == 0 { DtlsRole::Client } else { DtlsRole::Server });
    reg.handle_sctp_connected();
    for (i, piece) in rest.chunks(64).enumerate() {
        let stream = u16::from_be_bytes([head[1], head[2]]).wrapping_add(i as u16 % 3);
        let ppid = [50, 51, 53, 54, 56, 57, u32::from(head[3])][i % 7];
        reg.handle_message(stream, ppid, piece);
        if i % 5 == 4 {
            reg.handle_stream_reset(stream);
        }
        while reg.poll_event().is_some() {}
        while reg.poll_transmit().is_some() {}
    }
});
