//! A deterministic, dependency-free cousin of the fuzz target that runs in
//! every `cargo test`: each corpus file is mutated many times with a seeded
//! generator; parsing must never panic, and whatever parses must round-trip
//! (write → parse gives the same model, and writing again gives the same text).

use std::fs;
use std::path::Path;

use rtcpeer_sdp::{Candidate, SessionDescription};

/// xorshift64*: small, fast, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const BYTES: &[u8] = b" :/;=,~*-.\r\n\t0123456789abcdefxyzABC";
const WORDS: &[&str] = &[
    "a=",
    "m=",
    "c=",
    "b=AS:",
    "t=0 0",
    "v=0",
    "typ",
    "raddr",
    "rport",
    "tcptype",
    "send",
    "recv",
    "sendrecv",
    "candidate:",
    "rtpmap:",
    "fmtp:",
    "rtcp-fb:",
    "extmap:",
    "simulcast:",
    "rid:",
    "ssrc:",
    "group:BUNDLE",
    "msid-semantic:",
    "fingerprint:sha-256",
    "setup:",
    "sctp-port:",
    "99999",
    "128",
    "-1",
    "",
    "\u{fffd}",
    "é",
];

/// One random edit of `text`, on character boundaries.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let mut out: Vec<char> = chars.clone();
    match rng.below(6) {
        0 if !out.is_empty() => {
            let end = (at + 1 + rng.below(8)).min(out.len());
            out.drain(at.min(out.len() - 1)..end);
        }
        1 => out.insert(at, BYTES[rng.below(BYTES.len())] as char),
        2 => {
            let w = WORDS[rng.below(WORDS.len())];
            out.splice(at..at, w.chars());
        }
        3 => {
            // Duplicate, drop or swap whole lines.
            let mut lines: Vec<&str> = text.split('\n').collect();
            let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
            match rng.below(3) {
                0 => lines.insert(j, lines[i]),
                1 => {
                    lines.remove(i);
                }
                _ => lines.swap(i, j),
            }
            return lines.join("\n");
        }
        4 if !out.is_empty() => {
            // Replace a character with a digit or separator.
            let i = at.min(out.len() - 1);
            out[i] = BYTES[rng.below(BYTES.len())] as char;
        }
        _ => {
            // Overwrite a span with a keyword.
            let w = WORDS[rng.below(WORDS.len())];
            let end = (at + w.len()).min(out.len());
            out.splice(at..end, w.chars());
        }
    }
    out.into_iter().collect()
}

#[track_caller]
fn check_round_trip(text: &str) -> bool {
    let Ok(sdp) = SessionDescription::parse(text) else {
        return false;
    };
    let written = sdp.to_string();
    let again = SessionDescription::parse(&written)
        .unwrap_or_else(|e| panic!("written SDP does not parse ({e}):\n{written}\nfrom:\n{text}"));
    assert_eq!(again, sdp, "model changed; input:\n{text}");
    assert_eq!(
        again.to_string(),
        written,
        "text not stable; input:\n{text}"
    );
    true
}

#[test]
fn mutated_corpus_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files: Vec<_> = ["golden", "wpt"]
        .iter()
        .flat_map(|d| fs::read_dir(root.join(d)).expect("corpus dir"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    files.sort();
    let mut rng = Rng(0x5EED_F5D9_0000_0001);
    let (mut tried, mut parsed) = (0, 0);
    for path in &files {
        let original = fs::read_to_string(path).expect("utf-8");
        for _ in 0..25 {
            let mut text = original.clone();
            for _ in 0..=rng.below(4) {
                text = mutate(&mut rng, &text);
            }
            tried += 1;
            parsed += usize::from(check_round_trip(&text));
        }
    }
    // Both outcomes must be exercised, or the test proves nothing.
    eprintln!("{parsed} of {tried} mutants parsed");
    assert!(
        parsed > tried / 10,
        "only {parsed} of {tried} mutants parsed"
    );
    assert!(parsed < tried, "every mutant parsed: mutations too weak");
}

#[test]
fn mutated_candidates_round_trip() {
    let mut rng = Rng(0xCA4D_1DA7_E000_0001);
    let seeds = [
        "candidate:1613635727 1 udp 2122260223 127.0.0.1 32808 typ host generation 0 ufrag mJpj network-id 1 network-cost 50",
        "candidate:1 1 TCP 2105524479 203.0.113.1 9 typ host tcptype active",
        "a=candidate:842163049 1 udp 1677729535 82.64.133.208 61015 typ srflx raddr 192.168.0.87 rport 61015 generation 0",
        "2 1 udp 1 ae11ed22-6a8e-4d29-8825-9bb7780a6e1a.local 5 typ relay raddr :: rport 0 tcptype so",
    ];
    let mut parsed = 0;
    for seed in seeds {
        for _ in 0..400 {
            let mut text = seed.to_string();
            for _ in 0..=rng.below(3) {
                text = mutate(&mut rng, &text);
            }
            if let Ok(c) = text.parse::<Candidate>() {
                parsed += 1;
                let again: Candidate = c.to_string().parse().unwrap_or_else(|e| {
                    panic!("written candidate does not parse ({e}): {c} from {text:?}")
                });
                assert_eq!(again, c, "from {text:?}");
            }
        }
    }
    assert!(parsed > 40, "only {parsed} mutants parsed");
}
