//! RFC 5769 test vectors (and RFC 8489 Appendix B): decoding, integrity and
//! fingerprint checks on the exact published bytes, and re-encoding.

use rtcpeer_stun::integrity::{long_term_key_md5, short_term_key};
use rtcpeer_stun::{Attribute, Class, DecodeError, Integrity, IntegrityError, Message, Method};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

fn sample_request() -> Vec<u8> {
    hex("0001 0058 2112a442 b7e7a701 bc34d686 fa87dfae
         8022 0010 5354554e 20746573 7420636c 69656e74
         0024 0004 6e0001ff
         8029 0008 932ff9b1 51263b36
         0006 0009 6576746a 3a683676 59202020
         0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
         8028 0004 e57a3bcf")
}

fn sample_ipv4_response() -> Vec<u8> {
    hex("0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae
         8022 000b 74657374 20766563 746f7220
         0020 0008 0001a147 e112a643
         0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
         8028 0004 c07d4c96")
}

fn sample_ipv6_response() -> Vec<u8> {
    hex("0101 0048 2112a442 b7e7a701 bc34d686 fa87dfae
         8022 000b 74657374 20766563 746f7220
         0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9
         0008 0014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
         8028 0004 c8fb0b4c")
}

fn sample_long_term_request() -> Vec<u8> {
    hex("0001 0060 2112a442 78ad3433 c6ad72c0 29da412e
         0006 0012 e3839ee3 8388e383 aae38383 e382afe3 82b90000
         0015 001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341
         0014 000b 6578616d 706c652e 6f726700
         0008 0014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666")
}

#[test]
fn sample_request_decodes_and_verifies() {
    let raw = sample_request();
    let m = Message::decode(&raw).unwrap();
    assert_eq!(m.class, Class::Request);
    assert_eq!(m.method, Method::Binding);
    assert_eq!(m.software(), Some("STUN test client"));
    assert_eq!(m.priority(), Some(0x6e0001ff));
    assert_eq!(m.ice_controlled(), Some(0x932ff9b151263b36));
    assert_eq!(m.username(), Some("evtj:h6vY"));
    assert!(m.has_fingerprint());
    assert_eq!(m.verify_integrity(&raw, &short_term_key(PASSWORD)), Ok(()));
    assert_eq!(
        m.verify_integrity(&raw, b"wrong"),
        Err(IntegrityError::Mismatch)
    );
}

#[test]
fn sample_request_re_encodes_to_the_same_integrity_and_fingerprint() {
    let raw = sample_request();
    let m = Message::decode(&raw).unwrap();
    let out = m.to_vec(Some(Integrity::Sha1(PASSWORD.as_bytes())), true);
    // Padding bytes differ (the RFC pads USERNAME with spaces, we with zeros),
    // and the MAC covers them: so compare by verifying, and compare the rest.
    assert_eq!(out.len(), raw.len());
    assert_eq!(out[..68], raw[..68]);
    let back = Message::decode(&out).unwrap();
    assert_eq!(back.verify_integrity(&out, PASSWORD.as_bytes()), Ok(()));
    assert_eq!(back.attributes.len(), m.attributes.len());
}

#[test]
fn ipv4_response_decodes_verifies_and_re_encodes() {
    let raw = sample_ipv4_response();
    let m = Message::decode(&raw).unwrap();
    assert_eq!(m.class, Class::SuccessResponse);
    assert_eq!(m.mapped_address(), Some("192.0.2.1:32853".parse().unwrap()));
    assert_eq!(m.verify_integrity(&raw, PASSWORD.as_bytes()), Ok(()));
    let out = m.to_vec(Some(Integrity::Sha1(PASSWORD.as_bytes())), true);
    // Identical up to SOFTWARE's padding byte (the RFC pads with a space, we
    // with zero), and identical XOR-MAPPED-ADDRESS after it.
    assert_eq!(out.len(), raw.len());
    assert_eq!(out[..35], raw[..35]);
    assert_eq!(out[36..48], raw[36..48]);
    let back = Message::decode(&out).unwrap();
    assert_eq!(back.verify_integrity(&out, PASSWORD.as_bytes()), Ok(()));
}

#[test]
fn ipv6_response_decodes_and_verifies() {
    let raw = sample_ipv6_response();
    let m = Message::decode(&raw).unwrap();
    assert_eq!(
        m.mapped_address(),
        Some(
            "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                .parse()
                .unwrap()
        )
    );
    assert_eq!(m.verify_integrity(&raw, PASSWORD.as_bytes()), Ok(()));
}

#[test]
fn long_term_request_verifies_with_md5_key() {
    let raw = sample_long_term_request();
    let m = Message::decode(&raw).unwrap();
    let user = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    assert_eq!(m.username(), Some(user));
    assert_eq!(m.nonce(), Some("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(m.realm(), Some("example.org"));
    let key = long_term_key_md5(user, "example.org", "TheMatrIX");
    assert_eq!(m.verify_integrity(&raw, &key), Ok(()));
    let wrong = long_term_key_md5(user, "example.org", "TheMatrix");
    assert_eq!(
        m.verify_integrity(&raw, &wrong),
        Err(IntegrityError::Mismatch)
    );
}

#[test]
fn corrupted_vectors_are_rejected() {
    let raw = sample_request();
    // Flip a bit in the PRIORITY value: the fingerprint no longer matches.
    let mut bad = raw.clone();
    bad[48] ^= 1;
    assert_eq!(Message::decode(&bad), Err(DecodeError::FingerprintMismatch));
    // Flip a bit in a response without touching its fingerprint check by
    // recomputing nothing: still a mismatch.
    let mut bad = sample_ipv4_response();
    bad[30] ^= 0x80;
    assert!(Message::decode(&bad).is_err());
    // Truncations never panic and are errors.
    for n in 0..raw.len() {
        assert!(Message::decode(&raw[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn integrity_sha256_round_trip_and_attributes_after_integrity_ignored() {
    let tid = rtcpeer_stun::TransactionId::from_bytes([1; 12]);
    let mut m = Message::new(Class::Request, Method::Allocate, tid);
    m.push(Attribute::Username("u"));
    m.push(Attribute::RequestedTransport(rtcpeer_stun::TRANSPORT_UDP));
    let key = [5u8; 32];
    let raw = m.to_vec(Some(Integrity::Sha256(&key)), true);
    let back = Message::decode(&raw).unwrap();
    assert_eq!(back.verify_integrity(&raw, &key), Ok(()));
    assert_eq!(
        back.verify_integrity(&raw, &[6u8; 32]),
        Err(IntegrityError::Mismatch)
    );

    // Insert an attribute after MESSAGE-INTEGRITY by hand: it is ignored.
    let mut raw = m.to_vec(Some(Integrity::Sha1(b"k")), false);
    raw.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 1, 2, 3, 4]);
    let len = (raw.len() - 20) as u16;
    raw[2..4].copy_from_slice(&len.to_be_bytes());
    let back = Message::decode(&raw).unwrap();
    assert_eq!(back.priority(), None);
    // The integrity still verifies: it covers only what precedes it.
    assert_eq!(back.verify_integrity(&raw, b"k"), Ok(()));
}

/// RFC 8489 Appendix B.1: long-term credentials with USERHASH and
/// MESSAGE-INTEGRITY-SHA256 (no PASSWORD-ALGORITHM, so the key is the MD5 one).
#[test]
fn rfc8489_sha256_userhash_request() {
    let raw = hex("0001 0088 2112a442 78ad3433 c6ad72c0 29da412e
         001e 0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704
         0015 0029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39 46535476 79363473 41000000
         0014 000b 6578616d 706c652e 6f726700
         001c 0020 fd8c2738 60d2e18e bca4c89b 6973befa 7ee8ecc6 9e9642db 326fab65 a0b955ba");
    let m = Message::decode(&raw).unwrap();
    let user = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    let expected_hash = rtcpeer_stun::integrity::userhash(user, "example.org");
    assert_eq!(
        m.get(rtcpeer_stun::attr_type::USERHASH),
        Some(&Attribute::UserHash(&expected_hash))
    );
    assert_eq!(m.nonce(), Some("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"));
    let md5 = long_term_key_md5(user, "example.org", "TheMatrIX");
    assert_eq!(m.verify_integrity(&raw, &md5), Ok(()));
    let sha = rtcpeer_stun::integrity::long_term_key_sha256(user, "example.org", "TheMatrIX");
    assert_eq!(
        m.verify_integrity(&raw, &sha),
        Err(IntegrityError::Mismatch)
    );
}
