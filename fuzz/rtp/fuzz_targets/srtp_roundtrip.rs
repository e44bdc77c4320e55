//! Any RTP/RTCP-looking input protected by one context is unprotected to the
//! same bytes by its peer, for every profile; one flipped bit is rejected.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtcpeer_rtp::{SrtpContext, SrtpProfile};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let profiles = [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
    ];
    let profile = profiles[sel as usize % 4];
    let key = vec![sel; profile.key_len()];
    let salt = vec![sel ^ 0x55; profile.salt_len()];
    let mut tx = SrtpContext::new(profile, &key, &salt).expect("valid lengths");
    let mut rx = SrtpContext::new(profile, &key, &salt).expect("valid lengths");
    let rtcp = sel & 0x10 != 0;
    let mut buf = rest.to_vec();
    let protected = if rtcp { tx.protect_rtcp(&mut buf) } else { tx.protect_rtp(&mut buf) };
    if protected.is_err() {
        return;
    }
    let mut flipped = buf.clone();
    let n = if rtcp { rx.unprotect_rtcp(&mut buf) } else { rx.unprotect_rtp(&mut buf) }.expect("peer decrypts");
    assert_eq!(&buf[..n], rest);
    if !flipped.is_empty() && profile != SrtpProfile::Aes128CmHmacSha1_32 {
        let i = (sel as usize * 7) % flipped.len();
        flipped[i] ^= 0x01;
        let mut rx2 = SrtpContext::new(profile, &key, &salt).expect("valid lengths");
        let r = if rtcp { rx2.unprotect_rtcp(&mut flipped) } else { rx2.unprotect_rtp(&mut flipped) };
        // A flipped bit either breaks authentication or the header layout.
        assert!(r.is_err());
    }
});
