//! Decodes arbitrary bytes as STUN and as TURN ChannelData. Properties:
//! never panics; integrity verification never panics; a decoded message
//! re-encodes to bytes that decode to the same attributes, and integrity and
//! fingerprint added on re-encoding verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_stun::{Attribute, ChannelData, Integrity, Message};

fn plain<'a>(m: &Message<'a>) -> Vec<Attribute<'a>> {
    m.attributes
        .iter()
        .filter(|a| {
            !matches!(
                a,
                Attribute::MessageIntegrity(_)
                    | Attribute::MessageIntegritySha256(_)
                    | Attribute::Fingerprint(_)
            )
        })
        .cloned()
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let _ = ChannelData::decode(data);
    let _ = ChannelData::frame_len(data);
    let _ = Message::frame_len(data);
    let Ok(msg) = Message::decode(data) else {
        return;
    };
    let _ = msg.verify_integrity(data, b"key");
    let _ = msg.verify_integrity(&data[..data.len() / 2], b"key");
    let _ = msg.unknown_comprehension_required();
    if data.len() > 60_000 {
        return;
    }
    let wire = msg.to_vec(Some(Integrity::Sha1(b"pwd")), true);
    let back = Message::decode(&wire).expect("re-encoded message must decode");
    assert_eq!(back.class, msg.class);
    assert_eq!(back.method, msg.method);
    assert_eq!(back.transaction_id, msg.transaction_id);
    assert_eq!(plain(&back), plain(&msg));
    assert!(back.verify_integrity(&wire, b"pwd").is_ok());
    assert!(back.verify_integrity(&wire, b"other").is_err());
});
