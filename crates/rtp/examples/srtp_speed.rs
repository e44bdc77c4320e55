//! SRTP microbenchmark: protect + unprotect of 1200-byte RTP packets per profile.
//!
//! `cargo run --release -p rtcpeer-rtp --example srtp_speed`

use std::time::Instant;

use rtcpeer_rtp::{RtpHeader, SrtpContext, SrtpProfile};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    for profile in [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
    ] {
        let key = vec![7u8; profile.key_len()];
        let salt = vec![9u8; profile.salt_len()];
        let mut tx = SrtpContext::new(profile, &key, &salt).expect("valid key lengths");
        let mut rx = SrtpContext::new(profile, &key, &salt).expect("valid key lengths");
        let mut header = RtpHeader {
            payload_type: 96,
            ssrc: 1234,
            ..Default::default()
        };
        let payload = vec![0xabu8; 1200 - 12];
        let mut buf = vec![0u8; 1200 + profile.rtp_overhead()];
        let start = Instant::now();
        let mut bytes = 0u64;
        for i in 0..n {
            header.sequence_number = i as u16;
            let len = header
                .write_packet(&payload, 0, &mut buf)
                .expect("buffer sized for the packet");
            let srtp_len = tx.protect_rtp_in_place(&mut buf, len).expect("protect");
            let plain = rx.unprotect_rtp(&mut buf[..srtp_len]).expect("unprotect");
            bytes += plain as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:<22} {:>9.0} packets/s protect+unprotect ({:>6.0} MB/s, {:.2} µs per packet pair)",
            format!("{profile:?}"),
            n as f64 / secs,
            bytes as f64 / secs / 1e6,
            secs * 1e6 / n as f64
        );
    }
}
