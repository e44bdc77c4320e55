//! AV1 RTP payload format (AOM "RTP Payload Format For AV1", v1.0).
//!
//! Each payload starts with an aggregation header:
//! ```text
//! |Z|Y| W |N|-|-|-|   Z: first element continues an OBU from the previous packet
//!                     Y: last element continues in the next packet
//!                     W: element count (0 = every element has a leb128 length)
//!                     N: first packet of a coded video sequence
//! ```
//! OBU elements are OBUs without their size field. Frames in and out are
//! low-overhead OBU streams (every OBU with `obu_has_size_field` = 1), as
//! stored in IVF. Temporal delimiters, tile lists and padding are not sent.

use super::{Depacketizer, Payloader};
use crate::Error;

/// OBU type: sequence header.
pub const OBU_SEQUENCE_HEADER: u8 = 1;
/// OBU type: temporal delimiter.
pub const OBU_TEMPORAL_DELIMITER: u8 = 2;
const OBU_TILE_LIST: u8 = 8;
const OBU_PADDING: u8 = 15;

/// Reads an unsigned LEB128 value; returns it and its byte length.
pub fn read_leb128(d: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..8 {
        let b = *d.get(i)?;
        v |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Appends `v` as unsigned LEB128.
pub fn write_leb128(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn leb128_len(v: usize) -> usize {
    let mut n = 1;
    let mut v = v >> 7;
    while v > 0 {
        n += 1;
        v >>= 7;
    }
    n
}

/// Splits a low-overhead OBU stream into `(obu type, element)` where the
/// element is the OBU without its size field.
pub fn split_obus(data: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, Error> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < data.len() {
        let h = data[p];
        let ty = (h >> 3) & 0x0f;
        let hl = if h & 0x04 != 0 { 2 } else { 1 };
        if p + hl > data.len() {
            return Err(Error::Truncated);
        }
        let (size, sl) = if h & 0x02 != 0 {
            let (s, n) = read_leb128(&data[p + hl..]).ok_or(Error::Truncated)?;
            (usize::try_from(s).map_err(|_| Error::TooLarge)?, n)
        } else {
            (data.len() - p - hl, 0)
        };
        let start = p + hl + sl;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= data.len())
            .ok_or(Error::Truncated)?;
        let mut e = Vec::with_capacity(hl + size);
        e.push(h & !0x02);
        if hl == 2 {
            e.push(data[p + 1]);
        }
        e.extend_from_slice(&data[start..end]);
        out.push((ty, e));
        p = end;
    }
    Ok(out)
}

/// AV1 payloader.
#[derive(Debug, Default, Clone)]
pub struct Av1Payloader;

impl Payloader for Av1Payloader {
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
        if mtu < 3 {
            return Err(Error::TooLarge);
        }
        let obus = split_obus(frame)?;
        let new_sequence = obus.iter().any(|(t, _)| *t == OBU_SEQUENCE_HEADER);
        let elements: Vec<&[u8]> = obus
            .iter()
            .filter(|(t, _)| !matches!(*t, OBU_TEMPORAL_DELIMITER | OBU_TILE_LIST | OBU_PADDING))
            .map(|(_, e)| e.as_slice())
            .collect();
        let first_packet = out.len();
        let mut cur = vec![0u8];
        for el in elements {
            let mut rest = el;
            while !rest.is_empty() {
                let room = mtu - cur.len();
                if room < 2 {
                    out.push(std::mem::replace(&mut cur, vec![0u8]));
                    continue;
                }
                // largest fragment f with leb128_len(f) + f <= room
                let mut f = rest.len().min(room - 1);
                while f > 0 && leb128_len(f) + f > room {
                    f -= 1;
                }
                write_leb128(f as u64, &mut cur);
                cur.extend_from_slice(&rest[..f]);
                rest = &rest[f..];
                if !rest.is_empty() {
                    cur[0] |= 0x40; // Y
                    out.push(std::mem::replace(&mut cur, vec![0x80])); // next starts with Z
                }
            }
        }
        if cur.len() > 1 {
            out.push(cur);
        }
        if new_sequence {
            if let Some(p) = out.get_mut(first_packet) {
                p[0] |= 0x08;
            }
        }
        Ok(())
    }
}

/// AV1 depacketizer; keeps a partial OBU between packets.
#[derive(Debug, Default, Clone)]
pub struct Av1Depacketizer {
    pending: Vec<u8>,
    /// True while an OBU continues into the next packet.
    open: bool,
}

fn emit_obu(el: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let h = *el.first().ok_or(Error::Malformed("empty OBU element"))?;
    let hl = if h & 0x04 != 0 { 2 } else { 1 };
    if el.len() < hl {
        return Err(Error::Truncated);
    }
    out.push(h | 0x02);
    out.extend_from_slice(&el[1..hl]);
    write_leb128((el.len() - hl) as u64, out);
    out.extend_from_slice(&el[hl..]);
    Ok(())
}

impl Depacketizer for Av1Depacketizer {
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), Error> {
        let agg = *payload.first().ok_or(Error::Truncated)?;
        let (z, y, w) = (
            agg & 0x80 != 0,
            agg & 0x40 != 0,
            ((agg >> 4) & 0x03) as usize,
        );
        let mut p = 1;
        let mut idx = 0;
        let start_len = frame.len();
        if z && !self.open {
            self.pending.clear(); // the start of this OBU was lost
        }
        while p < payload.len() {
            let last_counted = w != 0 && idx + 1 == w;
            let len = if last_counted {
                payload.len() - p
            } else {
                let (l, n) = read_leb128(&payload[p..]).ok_or(Error::Truncated)?;
                p += n;
                usize::try_from(l).map_err(|_| Error::TooLarge)?
            };
            let Some(el) = payload.get(p..p.saturating_add(len)) else {
                frame.truncate(start_len);
                return Err(Error::Truncated);
            };
            p += len;
            let continues = idx == 0 && z;
            if continues {
                if self.open {
                    self.pending.extend_from_slice(el);
                }
            } else {
                self.pending.clear();
                self.pending.extend_from_slice(el);
                self.open = true;
            }
            let is_last = p >= payload.len() || (w != 0 && idx + 1 >= w);
            if !(is_last && y) && self.open {
                if !self.pending.is_empty() {
                    emit_obu(&self.pending, frame)?;
                }
                self.pending.clear();
                self.open = false;
            }
            idx += 1;
            if w != 0 && idx >= w {
                break;
            }
        }
        if !y {
            self.open = false;
            self.pending.clear();
        }
        Ok(())
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        payload.first().is_some_and(|a| a & 0x80 == 0)
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        payload.first().is_some_and(|a| a & 0x08 != 0)
    }
    fn reset(&mut self) {
        self.pending.clear();
        self.open = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::Rng;

    fn obu(ty: u8, ext: bool, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![(ty << 3) | 0x02 | if ext { 0x04 } else { 0 }];
        if ext {
            v.push(0x28);
        }
        write_leb128(payload.len() as u64, &mut v);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn leb128_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, 1 << 40] {
            let mut b = Vec::new();
            write_leb128(v, &mut b);
            assert_eq!(read_leb128(&b), Some((v, b.len())));
            assert_eq!(leb128_len(v as usize), b.len());
        }
        assert_eq!(read_leb128(&[0x80, 0x80]), None);
    }

    #[test]
    fn round_trips_random_obu_streams() {
        let mut rng = Rng(21);
        let mut pay = Av1Payloader;
        let mut dep = Av1Depacketizer::default();
        for mtu in [20usize, 100, 1200] {
            for _ in 0..100 {
                let count = 1 + rng.below(4);
                let mut frame = Vec::new();
                let key = rng.below(2) == 0;
                if key {
                    frame.extend(obu(OBU_SEQUENCE_HEADER, false, &rng.bytes(12)));
                }
                for _ in 0..count {
                    let n = rng.below(5000);
                    frame.extend(obu(6, rng.below(2) == 0, &rng.bytes(n)));
                }
                let mut with_td = obu(OBU_TEMPORAL_DELIMITER, false, &[]);
                with_td.extend_from_slice(&frame);
                let mut out = Vec::new();
                pay.payload(mtu, &with_td, &mut out).unwrap();
                assert_eq!(dep.is_keyframe(&out[0]), key);
                assert!(dep.is_frame_start(&out[0]));
                let mut back = Vec::new();
                for p in &out {
                    assert!(p.len() <= mtu, "{} > {mtu}", p.len());
                    dep.depacketize(p, &mut back).unwrap();
                }
                assert_eq!(back, frame, "mtu {mtu}");
            }
        }
    }

    #[test]
    fn counted_elements_from_a_chromium_style_packet() {
        // W=2: first element length-prefixed, last takes the rest.
        let a = [0x30, 1, 2]; // OBU type 6 (frame), no ext
        let b = [0x30, 3];
        let mut p = vec![0x20, a.len() as u8];
        p.extend_from_slice(&a);
        p.extend_from_slice(&b);
        let mut out = Vec::new();
        Av1Depacketizer::default()
            .depacketize(&p, &mut out)
            .unwrap();
        assert_eq!(out, [obu(6, false, &[1, 2]), obu(6, false, &[3])].concat());
    }

    #[test]
    fn lost_start_fragment_is_dropped() {
        let mut dep = Av1Depacketizer::default();
        let mut out = Vec::new();
        // Z=1 continuation without a start, then a complete OBU.
        dep.depacketize(&[0x80, 2, 9, 9, 2, 0x30, 7], &mut out)
            .unwrap();
        assert_eq!(out, obu(6, false, &[7]));
        assert!(dep.depacketize(&[0x00, 9, 1], &mut out).is_err());
    }
}
