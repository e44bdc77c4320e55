//! RTP parsing of arbitrary bytes: never panics; what parses round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtcpeer_rtp::RtpPacket;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = RtpPacket::parse(data) {
        assert_eq!(p.header_len() + p.payload().len() + p.padding_len(), data.len());
        let exts = p.extensions().count();
        let h = p.header();
        assert!(h.extensions.iter().count() <= exts);
        let again = h.to_packet(p.payload());
        let q = RtpPacket::parse(&again).expect("what we write parses");
        assert_eq!(q.payload(), p.payload());
        assert_eq!(q.sequence_number(), p.sequence_number());
        assert_eq!(q.header().extensions, h.extensions);
    }
});
