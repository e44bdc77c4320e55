//! RTCP compound parsing of arbitrary bytes: never panics; what parses is
//! written again and parses to the same packets.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rtcpeer_rtp::rtcp;

fuzz_target!(|data: &[u8]| {
    if let Ok(pkts) = rtcp::parse_compound(data) {
        if let Ok(bytes) = rtcp::to_bytes(&pkts) {
            let again = rtcp::parse_compound(&bytes).expect("what we write parses");
            assert_eq!(again.len(), pkts.len());
        }
        for p in &pkts {
            let _ = p.media_ssrcs();
        }
    }
});
