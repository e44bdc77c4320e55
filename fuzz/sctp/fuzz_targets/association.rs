//! Drives a connected pair with arbitrary input: forged packets with valid
//! tags injected into either side, sends, resets, timer jumps and shuffled
//! delivery. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_sctp::{Association, SctpConfig, SendOptions};
use std::time::{Duration, Instant};

fn cfg(seed: u64, interleave: bool) -> SctpConfig {
    SctpConfig {
        seed: Some(seed),
        enable_interleaving: interleave,
        max_receive_buffer: 64 * 1024,
        max_message_size: 16 * 1024,
        ..SctpConfig::default()
    }
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let interleave = data[0] & 1 != 0;
    let mut now = Instant::now();
    let mut a = Association::new(cfg(1, interleave), now);
    let mut b = Association::new(cfg(2, interleave), now);
    a.connect(now);
    b.connect(now);
    let mut buf = [0u8; 1500];
    let mut wire: Vec<(bool, Vec<u8>)> = Vec::new();
    let pump = |a: &mut Association, b: &mut Association, wire: &mut Vec<(bool, Vec<u8>)>, now: Instant| {
        let mut buf = [0u8; 1500];
        for _ in 0..64 {
            let mut moved = false;
            while let Some(n) = a.poll_transmit(now, &mut buf) {
                wire.push((true, buf[..n].to_vec()));
                moved = true;
            }
            while let Some(n) = b.poll_transmit(now, &mut buf) {
                wire.push((false, buf[..n].to_vec()));
                moved = true;
            }
            while a.poll_event().is_some() {}
            while b.poll_event().is_some() {}
            if !moved {
                break;
            }
            for (to_b, p) in wire.drain(..) {
                if to_b { b.handle_receive(now, &p) } else { a.handle_receive(now, &p) }
            }
        }
    };
    pump(&mut a, &mut b, &mut wire, now);

    let mut rest = &data[1..];
    while rest.len() >= 2 {
        let op = rest[0];
        let len = (rest[1] as usize).min(rest.len() - 2);
        let arg = &rest[2..2 + len];
        rest = &rest[2 + len..];
        let (target, other) = if op & 0x80 != 0 { (&mut a, &mut b) } else { (&mut b, &mut a) };
        match op & 0x7 {
            0 | 1 => {
                // A forged packet: right ports and tag, zero checksum, arbitrary chunks.
                let (tag, _) = target.verification_tags();
                let mut p = vec![0x13, 0x88, 0x13, 0x88];
                p.extend_from_slice(&tag.to_be_bytes());
                p.extend_from_slice(&[0, 0, 0, 0]);
                p.extend_from_slice(arg);
                target.handle_receive(now, &p);
            }
            2 => {
                let sid = arg.first().copied().unwrap_or(0) as u16 % 8;
                let opts = SendOptions {
                    ordered: arg.get(1).is_none_or(|x| x & 1 == 0),
                    max_retransmits: arg.get(1).filter(|x| *x & 2 != 0).map(|x| (*x >> 4) as u16),
                    ..SendOptions::default()
                };
                let size = arg.get(2).map_or(10, |x| *x as usize * 97);
                let _ = other.send(now, sid, 51, &vec![7u8; size.max(1)], opts);
            }
            3 => {
                let sids: Vec<u16> = arg.iter().map(|x| (*x % 8) as u16).collect();
                other.reset_streams(now, &sids);
            }
            4 => {
                now += Duration::from_millis(arg.first().copied().unwrap_or(1) as u64 * 37);
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            5 => {
                // Drop, duplicate or reverse what is in flight.
                let mut pending = Vec::new();
                while let Some(n) = other.poll_transmit(now, &mut buf) {
                    pending.push(buf[..n].to_vec());
                }
                let mode = arg.first().copied().unwrap_or(0) % 3;
                if mode == 1 {
                    pending.reverse();
                }
                for p in &pending {
                    if mode != 2 {
                        target.handle_receive(now, p);
                    }
                    if mode == 1 {
                        target.handle_receive(now, p);
                    }
                }
            }
            6 => {
                if arg.first().is_some_and(|x| *x == 0xAA) {
                    other.shutdown(now);
                } else if arg.first().is_some_and(|x| *x == 0x55) {
                    other.abort(now);
                }
            }
            _ => pump(&mut a, &mut b, &mut wire, now),
        }
        while a.poll_event().is_some() {}
        while b.poll_event().is_some() {}
    }
    pump(&mut a, &mut b, &mut wire, now);
    let _ = (a.stats(), b.stats(), a.poll_timeout(), b.buffered_amount(1));
});
