//! Parses arbitrary bytes as an SCTP packet; every chunk that parses must
//! write back to bytes that parse to the same chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_sctp::chunk::Chunk;
use rtcpeer_sctp::packet::{checksum_ok, CommonHeader, RawChunks};

fuzz_target!(|data: &[u8]| {
    let _ = CommonHeader::parse(data);
    let _ = checksum_ok(data);
    let mut buf = vec![0u8; 70_000];
    for raw in RawChunks::new(data) {
        let Ok(raw) = raw else { break };
        let Ok(c) = raw.parse() else { continue };
        let n = c.write(&mut buf).expect("a parsed chunk fits 70 kB");
        let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
        let again = Chunk::parse(buf[0], buf[1], &buf[4..len]).expect("written chunk parses");
        assert_eq!(again, c);
        assert!(n >= len);
        if let Chunk::Sack(s) = c {
            let _ = s.gap_blocks().count() + s.dup_tsns().count();
        }
        if let Chunk::Init(i) | Chunk::InitAck(i) = c {
            let _ = i.params().count();
        }
    }
});
