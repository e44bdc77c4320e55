//! Known-answer tests (RFC 3711 appendix B, RFC 7714 §16–17, the libsrtp
//! driver's reference packet) and behaviour tests.

use super::*;
use crate::test_util::{hex, Rng};

const ALL: [SrtpProfile; 4] = [
    SrtpProfile::Aes128CmHmacSha1_80,
    SrtpProfile::Aes128CmHmacSha1_32,
    SrtpProfile::AeadAes128Gcm,
    SrtpProfile::AeadAes256Gcm,
];

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, 96];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(seq as u32 * 90).to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

#[test]
fn rfc3711_b2_aes_cm_keystream() {
    let mut ctx = SrtpContext::from_session_keys(
        SrtpProfile::Aes128CmHmacSha1_80,
        &hex("2B7E151628AED2A6ABF7158809CF4F3C"),
        &hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
        &[0; 20],
    );
    let mut p = rtp(0, 0, &[0; 48]);
    ctx.protect_rtp(&mut p).unwrap();
    assert_eq!(
        p[12..60].to_vec(),
        hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0")
    );
}

#[test]
fn libsrtp_reference_packet_aes_cm_sha1_80() {
    let key = hex("e1f97a0d3e018be0d64fa32c06de4139");
    let salt = hex("0ec675ad498afeebb6960b3aabe6");
    let plain = hex("800f1234decafbadcafebabeabababababababababababababababab");
    let expected =
        hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
    let mut tx = SrtpContext::new(SrtpProfile::Aes128CmHmacSha1_80, &key, &salt).unwrap();
    let mut p = plain.clone();
    tx.protect_rtp(&mut p).unwrap();
    assert_eq!(p, expected);
    let mut rx = SrtpContext::new(SrtpProfile::Aes128CmHmacSha1_80, &key, &salt).unwrap();
    let n = rx.unprotect_rtp(&mut p).unwrap();
    assert_eq!(&p[..n], &plain[..]);
}

const GCM_RTP: &str = "8040f17b8041f8d35501a0b2 47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573";
const GCM_RTCP: &str = "81c8000d4d617273 4e5450314e545032525450200000042a0000e9304c756e61 deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

#[test]
fn rfc7714_aes_128_gcm_rtp() {
    let mk = || {
        SrtpContext::from_session_keys(
            SrtpProfile::AeadAes128Gcm,
            &hex("000102030405060708090a0b0c0d0e0f"),
            &hex("517569642070726f2071756f"),
            &[],
        )
    };
    let expected = hex(
        "8040f17b8041f8d35501a0b2 f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833 899d7f27beb16a9152cf765ee4390cce",
    );
    let mut p = hex(GCM_RTP);
    mk().protect_rtp(&mut p).unwrap();
    assert_eq!(p, expected);
    let n = mk().unprotect_rtp(&mut p).unwrap();
    assert_eq!(&p[..n], &hex(GCM_RTP)[..]);
    // a flipped bit fails
    let mut bad = expected.clone();
    bad[20] ^= 1;
    assert_eq!(mk().unprotect_rtp(&mut bad), Err(Error::AuthFailed));
}

#[test]
fn rfc7714_aes_128_gcm_rtcp() {
    let mk = || {
        SrtpContext::from_session_keys(
            SrtpProfile::AeadAes128Gcm,
            &hex("000102030405060708090a0b0c0d0e0f"),
            &hex("517569642070726f2071756f"),
            &[],
        )
    };
    let expected = hex(
        "81c8000d4d617273 63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275b c84aa45896cf4d2fc5abf87245d9eade 800005d4",
    );
    let mut tx = mk();
    tx.set_rtcp_index(0x4d617273, 0x5d4);
    let mut p = hex(GCM_RTCP);
    tx.protect_rtcp(&mut p).unwrap();
    assert_eq!(p, expected);
    let n = mk().unprotect_rtcp(&mut p).unwrap();
    assert_eq!(&p[..n], &hex(GCM_RTCP)[..]);
}

#[test]
fn round_trip_every_profile_with_rtcp_and_replay() {
    let mut rng = Rng(3);
    for profile in ALL {
        let key = rng.bytes(profile.key_len());
        let salt = rng.bytes(profile.salt_len());
        let mut tx = SrtpContext::new(profile, &key, &salt).unwrap();
        let mut rx = SrtpContext::new(profile, &key, &salt).unwrap();
        for seq in [65530u16, 65531, 65535, 0, 1, 2] {
            let plain = rtp(seq, 42, &rng.bytes(100));
            let mut p = plain.clone();
            tx.protect_rtp(&mut p).unwrap();
            assert_eq!(p.len(), plain.len() + profile.rtp_tag_len());
            assert_ne!(&p[12..plain.len()], &plain[12..]);
            let mut copy = p.clone();
            let n = rx.unprotect_rtp(&mut p).unwrap();
            assert_eq!(&p[..n], &plain[..], "{profile:?}");
            assert_eq!(rx.unprotect_rtp(&mut copy), Err(Error::Replayed));
        }
        assert_eq!(tx.roc(42), Some(1));
        assert_eq!(rx.roc(42), Some(1));
        for encrypt in [true, false] {
            tx.encrypt_rtcp = encrypt;
            let plain = hex("80c90001 0000002a");
            let mut p = plain.clone();
            tx.protect_rtcp(&mut p).unwrap();
            assert_eq!(p.len(), plain.len() + profile.rtcp_overhead());
            let mut copy = p.clone();
            let n = rx.unprotect_rtcp(&mut p).unwrap();
            assert_eq!(&p[..n], &plain[..], "{profile:?} e={encrypt}");
            assert_eq!(rx.unprotect_rtcp(&mut copy), Err(Error::Replayed));
        }
        assert_eq!(rx.counters().replays, 8);
    }
}

#[test]
fn wrong_key_and_truncation_fail_without_state_change() {
    for profile in ALL {
        let key = vec![1; profile.key_len()];
        let salt = vec![2; profile.salt_len()];
        let mut tx = SrtpContext::new(profile, &key, &salt).unwrap();
        let mut rx = SrtpContext::new(profile, &vec![3; profile.key_len()], &salt).unwrap();
        let mut p = rtp(1, 5, b"hello");
        tx.protect_rtp(&mut p).unwrap();
        assert_eq!(rx.unprotect_rtp(&mut p.clone()), Err(Error::AuthFailed));
        assert_eq!(rx.roc(5), None);
        assert!(rx.unprotect_rtp(&mut p[..13].to_vec()).is_err());
        assert!(rx.unprotect_rtcp(&mut [0x80, 200, 0, 1]).is_err());
    }
}

#[test]
fn reordered_packets_across_wrap_decrypt() {
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let mut tx = SrtpContext::new(profile, &[7; 16], &[8; 14]).unwrap();
    let mut rx = SrtpContext::new(profile, &[7; 16], &[8; 14]).unwrap();
    let seqs: Vec<u16> = (65000u32..66500).map(|s| s as u16).collect();
    let mut protected: Vec<Vec<u8>> = seqs
        .iter()
        .map(|&s| {
            let mut p = rtp(s, 9, &[s as u8; 20]);
            tx.protect_rtp(&mut p).unwrap();
            p
        })
        .collect();
    // swap neighbours to reorder
    for i in (0..protected.len() - 1).step_by(3) {
        protected.swap(i, i + 1);
    }
    for mut p in protected {
        let n = rx.unprotect_rtp(&mut p).unwrap();
        let pkt = crate::RtpPacket::parse(&p[..n]).unwrap();
        assert_eq!(pkt.payload()[0], pkt.sequence_number() as u8);
    }
}

#[test]
fn dtls_pair_talks_to_its_peer() {
    let profile = SrtpProfile::AeadAes128Gcm;
    let material: Vec<u8> = (0..profile.keying_material_len() as u8).collect();
    let (mut client_out, mut client_in) = SrtpContext::from_dtls(profile, &material, true).unwrap();
    let (mut server_out, mut server_in) =
        SrtpContext::from_dtls(profile, &material, false).unwrap();
    let mut p = rtp(1, 1, b"to server");
    client_out.protect_rtp(&mut p).unwrap();
    let n = server_in.unprotect_rtp(&mut p).unwrap();
    assert_eq!(&p[12..n], b"to server");
    let mut p = rtp(1, 2, b"to client");
    server_out.protect_rtp(&mut p).unwrap();
    let n = client_in.unprotect_rtp(&mut p).unwrap();
    assert_eq!(&p[12..n], b"to client");
}

#[test]
fn random_input_to_unprotect_never_panics() {
    let mut rng = Rng(11);
    for profile in ALL {
        let mut rx = SrtpContext::new(
            profile,
            &vec![1; profile.key_len()],
            &vec![2; profile.salt_len()],
        )
        .unwrap();
        for _ in 0..3000 {
            let n = rng.below(80);
            let mut b = rng.bytes(n);
            if !b.is_empty() {
                b[0] = 0x80 | (b[0] & 0x3f);
            }
            assert!(rx.unprotect_rtp(&mut b.clone()).is_err());
            assert!(rx.unprotect_rtcp(&mut b).is_err());
        }
    }
}

#[test]
fn in_place_needs_room_for_the_tag() {
    let mut tx = SrtpContext::new(SrtpProfile::Aes128CmHmacSha1_80, &[1; 16], &[2; 14]).unwrap();
    let p = rtp(1, 1, b"x");
    let mut buf = [0u8; 64];
    buf[..p.len()].copy_from_slice(&p);
    assert_eq!(
        tx.protect_rtp_in_place(&mut buf[..p.len() + 5], p.len()),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(tx.protect_rtp_in_place(&mut buf, p.len()), Ok(p.len() + 10));
}

const KEY_256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[test]
fn rfc7714_aes_256_gcm_rtp_and_rtcp() {
    let mk = || {
        SrtpContext::from_session_keys(
            SrtpProfile::AeadAes256Gcm,
            &hex(KEY_256),
            &hex("517569642070726f2071756f"),
            &[],
        )
    };
    let srtp = hex(
        "8040f17b8041f8d35501a0b2 32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13",
    );
    let mut p = hex(GCM_RTP);
    mk().protect_rtp(&mut p).unwrap();
    assert_eq!(p, srtp);
    let n = mk().unprotect_rtp(&mut p).unwrap();
    assert_eq!(&p[..n], &hex(GCM_RTP)[..]);

    let srtcp = hex(
        "81c8000d4d617273 d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be 800005d4",
    );
    let mut tx = mk();
    tx.set_rtcp_index(0x4d617273, 0x5d4);
    let mut p = hex(GCM_RTCP);
    tx.protect_rtcp(&mut p).unwrap();
    assert_eq!(p, srtcp);
    let n = mk().unprotect_rtcp(&mut p).unwrap();
    assert_eq!(&p[..n], &hex(GCM_RTCP)[..]);
}

#[test]
fn rfc7714_srtcp_authenticated_only() {
    // §17.3: E = 0, the packet and index word are AAD, nothing encrypted.
    let mk = || {
        SrtpContext::from_session_keys(
            SrtpProfile::AeadAes128Gcm,
            &hex("000102030405060708090a0b0c0d0e0f"),
            &hex("517569642070726f2071756f"),
            &[],
        )
    };
    let expected = hex(&format!(
        "{GCM_RTCP} 841dd9683dd78ec92ae58790125f62b3 000005d4"
    ));
    let mut tx = mk();
    tx.encrypt_rtcp = false;
    tx.set_rtcp_index(0x4d617273, 0x5d4);
    let mut p = hex(GCM_RTCP);
    tx.protect_rtcp(&mut p).unwrap();
    assert_eq!(p, expected);
    let n = mk().unprotect_rtcp(&mut p).unwrap();
    assert_eq!(&p[..n], &hex(GCM_RTCP)[..]);
}

#[test]
fn a_flood_of_ssrcs_keeps_state_bounded_and_evicts_the_least_recently_used() {
    let key = [7u8; 16];
    let salt = [9u8; 14];
    let profile = SrtpProfile::Aes128CmHmacSha1_80;
    let mut tx = SrtpContext::new(profile, &key, &salt).unwrap();
    let mut rx = SrtpContext::new(profile, &key, &salt).unwrap();
    let send = |tx: &mut SrtpContext, rx: &mut SrtpContext, seq: u16, ssrc: u32| {
        let mut p = rtp(seq, ssrc, b"media");
        tx.protect_rtp(&mut p).unwrap();
        let replay = p.clone();
        rx.unprotect_rtp(&mut p).map(|_| replay)
    };
    // A stream that keeps going through the flood keeps its replay window.
    let kept = send(&mut tx, &mut rx, 1, 0xAAAA).unwrap();
    for i in 0..3 * MAX_STREAMS as u32 {
        send(&mut tx, &mut rx, 1, 0x1_0000 + i).unwrap();
        if i % 64 == 0 {
            send(&mut tx, &mut rx, 2 + (i / 64) as u16, 0xAAAA).unwrap();
        }
    }
    assert_eq!(rx.stream_count(), MAX_STREAMS);
    assert_eq!(tx.stream_count(), MAX_STREAMS);
    let evicted = rx.counters().streams_evicted;
    assert!(evicted >= 2 * MAX_STREAMS as u64, "{evicted}");
    let mut again = kept.clone();
    assert_eq!(rx.unprotect_rtp(&mut again), Err(Error::Replayed));
}
