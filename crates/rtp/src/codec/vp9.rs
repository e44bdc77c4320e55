//! VP9 payload format (RFC 9628).
//!
//! The payloader writes the non-flexible mode with one spatial layer:
//! ```text
//! |I|P|L|F|B|E|V|Z|   I=1, P=1 on interframes, B/E on first/last packet, V on keyframe start
//! |M| PictureID (15 bits) |
//! [SS: N_S=0 Y=1 G=0, width(16) height(16)]   on the first packet of a keyframe
//! ```
//! The depacketizer reads flexible and non-flexible descriptors, layer
//! indices, reference diffs and scalability structures.

use super::{Depacketizer, Payloader};
use crate::Error;

/// Key facts of a VP9 frame's uncompressed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp9FrameInfo {
    /// True for a keyframe.
    pub keyframe: bool,
    /// Width and height, known for keyframes.
    pub size: Option<(u16, u16)>,
}

struct Bits<'a> {
    d: &'a [u8],
    p: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let b = self.d.get(self.p / 8)?;
        let v = (b >> (7 - self.p % 8)) & 1;
        self.p += 1;
        Some(v as u32)
    }
    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |a, _| Some((a << 1) | self.bit()?))
    }
}

/// Reads frame type and (for keyframes) size from a VP9 frame's uncompressed header.
pub fn parse_frame_info(frame: &[u8]) -> Option<Vp9FrameInfo> {
    let mut r = Bits { d: frame, p: 0 };
    if r.bits(2)? != 2 {
        return None;
    }
    let low = r.bit()?;
    let profile = (r.bit()? << 1) | low;
    if profile == 3 {
        r.bit()?;
    }
    if r.bit()? == 1 {
        return Some(Vp9FrameInfo {
            keyframe: false,
            size: None,
        }); // show_existing_frame
    }
    let keyframe = r.bit()? == 0;
    if !keyframe {
        return Some(Vp9FrameInfo {
            keyframe,
            size: None,
        });
    }
    r.bits(2)?; // show_frame, error_resilient_mode
    if r.bits(24)? != 0x49_8342 {
        return Some(Vp9FrameInfo {
            keyframe,
            size: None,
        });
    }
    if profile >= 2 {
        r.bit()?;
    }
    let color_space = r.bits(3)?;
    if color_space != 7 {
        r.bit()?;
        if profile == 1 || profile == 3 {
            r.bits(3)?;
        }
    } else if profile == 1 || profile == 3 {
        r.bit()?;
    }
    let w = r.bits(16)? + 1;
    let h = r.bits(16)? + 1;
    Some(Vp9FrameInfo {
        keyframe,
        size: u16::try_from(w).ok().zip(u16::try_from(h).ok()),
    })
}

/// VP9 payloader (non-flexible mode, one spatial layer).
#[derive(Debug, Default, Clone)]
pub struct Vp9Payloader {
    picture_id: u16,
}

impl Payloader for Vp9Payloader {
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
        if frame.is_empty() {
            return Ok(());
        }
        let info = parse_frame_info(frame);
        let key = info.is_some_and(|i| i.keyframe);
        let size = info.and_then(|i| i.size);
        let id = self.picture_id;
        self.picture_id = (id + 1) & 0x7fff;
        let mut rest = frame;
        let mut first = true;
        while !rest.is_empty() {
            let ss = first && key && size.is_some();
            let desc = 3 + if ss { 5 } else { 0 };
            if mtu <= desc {
                return Err(Error::TooLarge);
            }
            let n = rest.len().min(mtu - desc);
            let last = n == rest.len();
            let mut b0 = 0x80; // I
            if !key {
                b0 |= 0x40;
            }
            if first {
                b0 |= 0x08;
            }
            if last {
                b0 |= 0x04;
            }
            if ss {
                b0 |= 0x02;
            }
            let mut p = Vec::with_capacity(desc + n);
            p.extend_from_slice(&[b0, 0x80 | (id >> 8) as u8, id as u8]);
            if let (true, Some((w, h))) = (ss, size) {
                p.push(0x10); // N_S = 0 (one layer), Y = 1, G = 0
                p.extend_from_slice(&w.to_be_bytes());
                p.extend_from_slice(&h.to_be_bytes());
            }
            p.extend_from_slice(&rest[..n]);
            out.push(p);
            rest = &rest[n..];
            first = false;
        }
        Ok(())
    }
}

/// The fields of a VP9 payload descriptor the receive side needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp9Descriptor {
    /// P: inter-picture predicted (not a keyframe).
    pub inter_predicted: bool,
    /// B: first packet of a layer frame.
    pub begin: bool,
    /// E: last packet of a layer frame.
    pub end: bool,
    /// Picture id, if present.
    pub picture_id: Option<u16>,
    /// Spatial layer id (0 without layer indices).
    pub spatial_id: u8,
    /// Temporal layer id, if present.
    pub temporal_id: Option<u8>,
    /// Descriptor length in bytes.
    pub len: usize,
}

/// Parses the descriptor at the start of a VP9 payload.
pub fn parse_descriptor(p: &[u8]) -> Result<Vp9Descriptor, Error> {
    let mut i = 0usize;
    let mut next = || -> Result<u8, Error> {
        let b = *p.get(i).ok_or(Error::Truncated)?;
        i += 1;
        Ok(b)
    };
    let b0 = next()?;
    let (has_i, has_p, has_l, flex, has_v) = (
        b0 & 0x80 != 0,
        b0 & 0x40 != 0,
        b0 & 0x20 != 0,
        b0 & 0x10 != 0,
        b0 & 0x02 != 0,
    );
    let mut d = Vp9Descriptor {
        inter_predicted: has_p,
        begin: b0 & 0x08 != 0,
        end: b0 & 0x04 != 0,
        picture_id: None,
        spatial_id: 0,
        temporal_id: None,
        len: 0,
    };
    if has_i {
        let a = next()?;
        d.picture_id = Some(if a & 0x80 != 0 {
            (((a & 0x7f) as u16) << 8) | next()? as u16
        } else {
            a as u16
        });
    }
    if has_l {
        let l = next()?;
        d.temporal_id = Some(l >> 5);
        d.spatial_id = (l >> 1) & 0x07;
        if !flex {
            next()?; // TL0PICIDX
        }
    }
    if flex && has_p {
        for _ in 0..3 {
            if next()? & 0x01 == 0 {
                break;
            }
        }
    }
    if has_v {
        let ss = next()?;
        let layers = (ss >> 5) as usize + 1;
        if ss & 0x10 != 0 {
            for _ in 0..layers * 4 {
                next()?;
            }
        }
        if ss & 0x08 != 0 {
            let groups = next()?;
            for _ in 0..groups {
                let g = next()?;
                for _ in 0..(g >> 2) & 0x03 {
                    next()?;
                }
            }
        }
    }
    d.len = i;
    if d.len >= p.len() {
        return Err(Error::Truncated);
    }
    Ok(d)
}

/// VP9 depacketizer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Vp9Depacketizer;

impl Depacketizer for Vp9Depacketizer {
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), Error> {
        let d = parse_descriptor(payload)?;
        frame.extend_from_slice(&payload[d.len..]);
        Ok(())
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        parse_descriptor(payload).is_ok_and(|d| d.begin && d.spatial_id == 0)
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        parse_descriptor(payload).is_ok_and(|d| d.begin && !d.inter_predicted && d.spatial_id == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::round_trip_opaque;
    use super::super::*;
    use super::*;

    /// A profile 0 keyframe header for `w`×`h` followed by filler.
    fn keyframe(w: u16, h: u16, n: usize) -> Vec<u8> {
        // 10 0 0 0 0 1 0 | sync 0x498342 | color_space 000, range 0 | w-1 | h-1
        let mut bits: Vec<u8> = vec![1, 0, 0, 0, 0, 0, 1, 0];
        for i in (0..24).rev() {
            bits.push(((0x49_8342u32 >> i) & 1) as u8);
        }
        bits.extend([0, 0, 0, 0]);
        for v in [w - 1, h - 1] {
            for i in (0..16).rev() {
                bits.push(((v >> i) & 1) as u8);
            }
        }
        let mut out: Vec<u8> = bits
            .chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |a, (i, b)| a | (b << (7 - i)))
            })
            .collect();
        out.resize(n.max(out.len()), 0x55);
        out
    }

    #[test]
    fn round_trips() {
        round_trip_opaque(Codec::Vp9, &|rng, n| {
            let mut v = rng.bytes(n);
            v[0] = 0x86; // interframe: frame marker 2, profile 0, frame_type 1
            v
        });
        round_trip_opaque(Codec::Vp9, &|_, n| keyframe(640, 480, n));
    }

    #[test]
    fn keyframe_carries_resolution() {
        let f = keyframe(1280, 720, 3000);
        assert_eq!(
            parse_frame_info(&f),
            Some(Vp9FrameInfo {
                keyframe: true,
                size: Some((1280, 720))
            })
        );
        let mut out = Vec::new();
        Vp9Payloader::default().payload(1200, &f, &mut out).unwrap();
        let d = Vp9Depacketizer;
        assert!(d.is_keyframe(&out[0]));
        assert!(!d.is_keyframe(&out[1]));
        assert_eq!(&out[0][3..8], &[0x10, 0x05, 0x00, 0x02, 0xd0]);
    }

    #[test]
    fn parses_flexible_mode_with_layers_and_diffs() {
        // I=1 P=1 L=1 F=1 B=1: 15-bit id, layer byte (tid 1, sid 0), two P_DIFFs.
        let p = [0xf8, 0x81, 0x02, 0x20, 0x03, 0x04, 0xaa];
        let d = parse_descriptor(&p).unwrap();
        assert_eq!(
            (d.picture_id, d.temporal_id, d.len),
            (Some(0x102), Some(1), 6)
        );
        assert!(parse_descriptor(&[0xf8, 0x81]).is_err());
    }
}
