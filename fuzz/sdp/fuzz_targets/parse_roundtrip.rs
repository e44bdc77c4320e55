//! Parses arbitrary bytes (as lossy UTF-8) as SDP. When parsing succeeds the
//! description is written, parsed again, and must equal the first parse; the
//! written text must also be a fixed point of write(parse(..)).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(sdp) = SessionDescription::parse(&text) {
        let written = sdp.to_string();
        let again = SessionDescription::parse(&written)
            .unwrap_or_else(|e| panic!("written SDP does not parse: {e}\n{written}"));
        assert_eq!(again, sdp, "model changed after write+parse\n{written}");
        assert_eq!(again.to_string(), written, "written text is not stable");
    }
});
