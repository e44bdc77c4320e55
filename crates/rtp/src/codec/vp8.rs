//! VP8 payload format (RFC 7741).
//!
//! Payload descriptor written here (4 bytes):
//! ```text
//! |X|R|N|S|R| PID |   X=1, S=1 on a frame's first packet, PID=0
//! |I|L|T|K| RSV   |   I=1: picture id present
//! |M| PictureID (15 bits) |
//! ```
//! The depacketizer accepts every descriptor variant (I/L/T/K, 7 or 15-bit ids).

use super::{Depacketizer, Payloader};
use crate::Error;

/// VP8 payloader with a 15-bit picture id that increments per frame.
#[derive(Debug, Default, Clone)]
pub struct Vp8Payloader {
    picture_id: u16,
}

impl Vp8Payloader {
    /// Starts the picture id at `id` (15 bits used).
    pub fn with_picture_id(id: u16) -> Self {
        Vp8Payloader {
            picture_id: id & 0x7fff,
        }
    }
}

const DESC_LEN: usize = 4;

impl Payloader for Vp8Payloader {
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
        if mtu <= DESC_LEN {
            return Err(Error::TooLarge);
        }
        if frame.is_empty() {
            return Ok(());
        }
        let id = self.picture_id;
        for (i, chunk) in frame.chunks(mtu - DESC_LEN).enumerate() {
            let mut p = Vec::with_capacity(DESC_LEN + chunk.len());
            p.push(0x80 | if i == 0 { 0x10 } else { 0 });
            p.push(0x80);
            p.push(0x80 | (id >> 8) as u8);
            p.push(id as u8);
            p.extend_from_slice(chunk);
            out.push(p);
        }
        self.picture_id = (id + 1) & 0x7fff;
        Ok(())
    }
}

/// Parsed VP8 payload descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp8Descriptor {
    /// S bit: start of a partition.
    pub start: bool,
    /// Partition index.
    pub partition_id: u8,
    /// Picture id, if present.
    pub picture_id: Option<u16>,
    /// TL0PICIDX, if present.
    pub tl0_pic_idx: Option<u8>,
    /// Temporal layer index, if present.
    pub tid: Option<u8>,
    /// Descriptor length in bytes.
    pub len: usize,
}

/// Parses the descriptor at the start of a VP8 payload.
pub fn parse_descriptor(p: &[u8]) -> Result<Vp8Descriptor, Error> {
    let b0 = *p.first().ok_or(Error::Truncated)?;
    let mut d = Vp8Descriptor {
        start: b0 & 0x10 != 0,
        partition_id: b0 & 0x07,
        picture_id: None,
        tl0_pic_idx: None,
        tid: None,
        len: 1,
    };
    let get = |i: usize| p.get(i).copied().ok_or(Error::Truncated);
    if b0 & 0x80 != 0 {
        let x = get(1)?;
        d.len = 2;
        if x & 0x80 != 0 {
            let a = get(d.len)?;
            if a & 0x80 != 0 {
                d.picture_id = Some((((a & 0x7f) as u16) << 8) | get(d.len + 1)? as u16);
                d.len += 2;
            } else {
                d.picture_id = Some(a as u16);
                d.len += 1;
            }
        }
        if x & 0x40 != 0 {
            d.tl0_pic_idx = Some(get(d.len)?);
            d.len += 1;
        }
        if x & 0x30 != 0 {
            d.tid = Some(get(d.len)? >> 6);
            d.len += 1;
        }
    }
    if d.len >= p.len() {
        return Err(Error::Truncated);
    }
    Ok(d)
}

/// Width and height of a VP8 keyframe (RFC 6386 §9.1), `None` for interframes.
pub fn keyframe_size(frame: &[u8]) -> Option<(u16, u16)> {
    if frame.len() < 10 || frame[0] & 0x01 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let h = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    Some((w, h))
}

/// VP8 depacketizer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Vp8Depacketizer;

impl Depacketizer for Vp8Depacketizer {
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), Error> {
        let d = parse_descriptor(payload)?;
        frame.extend_from_slice(&payload[d.len..]);
        Ok(())
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        parse_descriptor(payload).is_ok_and(|d| d.start && d.partition_id == 0)
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        // The VP8 frame tag's P bit (bit 0 of the first byte) is 0 on keyframes.
        parse_descriptor(payload)
            .is_ok_and(|d| d.start && d.partition_id == 0 && payload[d.len] & 0x01 == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::round_trip_opaque;
    use super::super::*;
    use super::*;

    #[test]
    fn round_trips() {
        round_trip_opaque(Codec::Vp8, &|rng, n| rng.bytes(n));
    }

    #[test]
    fn keyframe_and_picture_id() {
        let mut p = Vp8Payloader::with_picture_id(0x7fff);
        let mut out = Vec::new();
        p.payload(100, &[0x10, 1, 2], &mut out).unwrap(); // P bit 0: keyframe
        p.payload(100, &[0x11, 1, 2], &mut out).unwrap(); // interframe
        let d = Vp8Depacketizer;
        assert!(d.is_keyframe(&out[0]));
        assert!(!d.is_keyframe(&out[1]));
        assert_eq!(parse_descriptor(&out[0]).unwrap().picture_id, Some(0x7fff));
        assert_eq!(parse_descriptor(&out[1]).unwrap().picture_id, Some(0));
    }

    #[test]
    fn keyframe_dimensions() {
        let key = [
            0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xff,
        ];
        assert_eq!(keyframe_size(&key), Some((640, 480)));
        let mut inter = key;
        inter[0] |= 1;
        assert_eq!(keyframe_size(&inter), None);
        assert_eq!(keyframe_size(&key[..5]), None);
    }

    #[test]
    fn parses_short_descriptors_like_browsers_send() {
        // X=1, I=1 with 7-bit picture id, L=1, T=1.
        let p = [0x90, 0xe0, 0x05, 0x09, 0x40, 0x10, 0xaa];
        let d = parse_descriptor(&p).unwrap();
        assert_eq!(
            (d.picture_id, d.tl0_pic_idx, d.tid, d.len),
            (Some(5), Some(9), Some(1), 5)
        );
        let mut f = Vec::new();
        Vp8Depacketizer.depacketize(&p, &mut f).unwrap();
        assert_eq!(f, vec![0x10, 0xaa]);
        assert!(parse_descriptor(&[0x90, 0x80]).is_err());
        assert!(parse_descriptor(&[]).is_err());
    }
}
