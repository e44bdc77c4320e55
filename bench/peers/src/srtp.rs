//! P: SRTP protect + unprotect of 1200-byte RTP packets (12-byte header), one
//! thread: a sender context protects, a receiver context unprotects.

use std::time::{Duration, Instant};

use crate::common::*;

const KEY: [u8; 16] = [96, 180, 31, 4, 119, 137, 128, 252, 75, 194, 252, 44, 63, 56, 61, 55];
const SALT: [u8; 14] = [247, 26, 49, 94, 99, 29, 79, 94, 5, 111, 252, 216, 62, 195];
const PACKET: usize = 1200;
const SECONDS: f64 = 2.0;

fn packet(seq: u16) -> Vec<u8> {
    let mut p = vec![0u8; PACKET];
    p[0] = 0x80;
    p[1] = 96;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(seq as u32 * 3000).to_be_bytes());
    p[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    for (i, b) in p[12..].iter_mut().enumerate() {
        *b = i as u8;
    }
    p
}

/// Runs `one(seq)` for about SECONDS and returns packets per second.
fn rate(mut one: impl FnMut(u16)) -> f64 {
    let mut seq = 0u16;
    for _ in 0..1000 {
        one(seq);
        seq = seq.wrapping_add(1);
    }
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < Duration::from_secs_f64(SECONDS) {
        for _ in 0..256 {
            one(seq);
            seq = seq.wrapping_add(1);
        }
        n += 256;
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

pub fn run(imp: &str, _o: &Opts) {
    for gcm in [false, true] {
        let pps = match imp {
            "rtcpeer" => rtcpeer(gcm),
            "webrtc-rs" => webrtc(gcm),
            _ => {
                eprintln!("{imp}: no public SRTP API to measure");
                return;
            }
        };
        result(imp, if gcm { "P_gcm_pps" } else { "P_cm80_pps" }, pps);
    }
}

fn rtcpeer(gcm: bool) -> f64 {
    use rtcpeer_rtp::srtp::{SrtpContext, SrtpProfile};
    let (profile, salt) = if gcm {
        (SrtpProfile::AeadAes128Gcm, &SALT[..12])
    } else {
        (SrtpProfile::Aes128CmHmacSha1_80, &SALT[..])
    };
    let mut tx = SrtpContext::new(profile, &KEY, salt).unwrap();
    let mut rx = SrtpContext::new(profile, &KEY, salt).unwrap();
    let template = packet(0);
    let mut buf = Vec::with_capacity(PACKET + 32);
    rate(|seq| {
        buf.clear();
        buf.extend_from_slice(&template);
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        tx.protect_rtp(&mut buf).unwrap();
        let n = rx.unprotect_rtp(&mut buf).unwrap();
        assert_eq!(n, PACKET);
    })
}

fn webrtc(gcm: bool) -> f64 {
    use rtc::srtp::context::Context;
    use rtc::srtp::protection_profile::ProtectionProfile;
    let (profile, salt) = if gcm {
        (ProtectionProfile::AeadAes128Gcm, &SALT[..12])
    } else {
        (ProtectionProfile::Aes128CmHmacSha1_80, &SALT[..])
    };
    let provider = rtc::crypto::default_provider().unwrap();
    let mut tx = Context::new(&KEY, salt, profile, None, None, provider.crypto()).unwrap();
    let mut rx = Context::new(&KEY, salt, profile, None, None, provider.crypto()).unwrap();
    let mut buf = packet(0);
    rate(|seq| {
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        let enc = tx.encrypt_rtp(&buf).unwrap();
        let dec = rx.decrypt_rtp(&enc).unwrap();
        assert_eq!(dec.len(), PACKET);
    })
}
