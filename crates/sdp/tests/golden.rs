//! Round-trips every file in `tests/golden/`: parse → write gives the input
//! text (modulo line endings), and parse → write → parse gives the same model.

use std::fs;
use std::path::Path;

use rtcpeer_sdp::SessionDescription;

/// The input with every line ending made CRLF and trailing blank lines removed.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end_matches(['\r', '\n']).split('\n') {
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push_str("\r\n");
    }
    out
}

/// Round-trips every `.sdp` file in `tests/<sub>/`; returns how many there were.
fn round_trip_dir(sub: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(sub);
    let mut count = 0;
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .expect("golden dir exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    entries.sort();
    for path in entries {
        let text = fs::read_to_string(&path).expect("golden file is UTF-8");
        let name = path.display();
        let sdp = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = sdp.to_string();
        assert_eq!(written, normalize(&text), "{name}: written text differs");
        let again = SessionDescription::parse(&written).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, sdp, "{name}: model differs after a round trip");
        assert!(!sdp.media.is_empty(), "{name}: no media sections parsed");
        count += 1;
    }
    count
}

#[test]
fn golden_browser_files_round_trip() {
    let n = round_trip_dir("golden");
    assert!(n >= 30, "expected the browser corpus, found {n} files");
}

#[test]
fn wpt_fixtures_round_trip() {
    let n = round_trip_dir("wpt");
    assert!(n >= 12, "expected the WPT fixtures, found {n} files");
}
