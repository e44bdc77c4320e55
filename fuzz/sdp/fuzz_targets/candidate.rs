//! Parses arbitrary bytes (as lossy UTF-8) as an ICE candidate string; when
//! it parses, writing and re-parsing must give the same candidate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_sdp::Candidate;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(c) = text.parse::<Candidate>() {
        let written = c.to_string();
        let again: Candidate = written
            .parse()
            .unwrap_or_else(|e| panic!("written candidate does not parse: {e}: {written}"));
        assert_eq!(again, c);
    }
});
