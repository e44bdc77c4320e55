//! Every depacketizer fed arbitrary payloads: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtcpeer_rtp::codec::Codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(blocks) = rtcpeer_rtp::codec::red::parse_red(data) {
        assert!(blocks.iter().map(|b| b.data.len()).sum::<usize>() <= data.len());
    }
    let _ = rtcpeer_rtp::codec::dtmf::DtmfEvent::parse(data);
    for codec in [Codec::Opus, Codec::Vp8, Codec::Vp9, Codec::H264, Codec::Av1] {
        let mut d = codec.depacketizer();
        let mut frame = Vec::new();
        // Split the input into a few payloads at arbitrary points.
        for payload in data.split(|&b| b == 0xff) {
            let _ = d.is_frame_start(payload);
            let _ = d.is_keyframe(payload);
            let _ = d.depacketize(payload, &mut frame);
        }
    }
});
