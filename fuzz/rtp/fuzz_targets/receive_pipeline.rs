//! The receive side fed an arbitrary packet sequence: jitter buffer with each
//! depacketizer, NACK generator, receiver stats and TWCC builder never panic,
//! and the jitter buffer stays within its bound.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcpeer_rtp::codec::Codec;
use rtcpeer_rtp::jitter::{JitterBuffer, JitterConfig};
use rtcpeer_rtp::nack::{NackConfig, NackGenerator};
use rtcpeer_rtp::rtcp::TwccBuilder;
use rtcpeer_rtp::stats::ReceiveStats;
use rtcpeer_rtp::{RtpHeader, RtpPacket};

fuzz_target!(|data: &[u8]| {
    let Some((&which, mut rest)) = data.split_first() else { return };
    let codecs = [Codec::Opus, Codec::Vp8, Codec::Vp9, Codec::H264, Codec::Av1];
    let codec = codecs[which as usize % codecs.len()];
    let cfg = JitterConfig { max_packets: 64, packet_per_frame: !codec.is_video(), ..Default::default() };
    let mut jb = JitterBuffer::new(codec.depacketizer(), cfg);
    let mut nack = NackGenerator::new(NackConfig { max_missing: 200, ..Default::default() });
    let mut stats = ReceiveStats::new(1, codec.clock_rate());
    let mut twcc = TwccBuilder::new();
    let mut now = Instant::now();
    while rest.len() >= 5 {
        let seq = u16::from_le_bytes([rest[0], rest[1]]);
        let ts = rest[2] as u32 * 3000;
        let flags = rest[3];
        let len = (rest[4] as usize).min(rest.len() - 5);
        let payload = &rest[5..5 + len];
        rest = &rest[5 + len..];
        now += Duration::from_millis(10 * ((flags >> 1) & 7) as u64);
        let h = RtpHeader { marker: flags & 1 != 0, payload_type: 96, sequence_number: seq, timestamp: ts, ssrc: 1, ..Default::default() };
        let pkt = h.to_packet(payload);
        let p = RtpPacket::parse(&pkt).expect("we wrote it");
        stats.on_packet(now, &p);
        nack.on_packet(now, seq);
        twcc.record(seq, now.elapsed().as_micros() as i64);
        jb.push_parsed(now, &p);
        while jb.pop_frame(now).is_some() {}
        assert!(jb.len() <= 65);
        let _ = nack.poll_nacks(now);
        if flags & 0x80 != 0 {
            let _ = stats.report_block(now);
            let _ = twcc.build(2, 1, 500);
        }
    }
    let _ = stats.inbound();
    let _ = nack.poll_timeout();
    let _ = jb.poll_timeout();
});
