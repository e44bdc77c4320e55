//! SRTP/SRTCP unprotect of arbitrary bytes with every profile: never panics,
//! never accepts a forgery.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtcpeer_rtp::{SrtpContext, SrtpProfile};

fuzz_target!(|data: &[u8]| {
    for profile in [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
    ] {
        let mut ctx = SrtpContext::new(profile, &vec![1; profile.key_len()], &vec![2; profile.salt_len()])
            .expect("valid key lengths");
        let mut buf = data.to_vec();
        // A 32-bit tag can collide by chance; the longer tags cannot in practice.
        let ok = ctx.unprotect_rtp(&mut buf).is_ok();
        assert!(!ok || profile == SrtpProfile::Aes128CmHmacSha1_32);
        let mut buf = data.to_vec();
        assert!(ctx.unprotect_rtcp(&mut buf).is_err());
    }
});
