//! Audio payload formats where a payload is just codec data: Opus (RFC 7587),
//! G.711 PCMU/PCMA and G.722 (RFC 3551).

use super::{Depacketizer, Payloader};
use crate::Error;

/// Opus: one frame (or Opus packet) per RTP payload; never split.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpusPayloader;

impl Payloader for OpusPayloader {
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
        if frame.is_empty() {
            return Ok(());
        }
        if frame.len() > mtu {
            return Err(Error::TooLarge);
        }
        out.push(frame.to_vec());
        Ok(())
    }
}

/// G.711 and G.722: sample bytes, split at any byte when longer than the MTU.
#[derive(Debug, Default, Clone, Copy)]
pub struct G711Payloader;

impl Payloader for G711Payloader {
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
        if mtu == 0 {
            return Err(Error::TooLarge);
        }
        out.extend(frame.chunks(mtu).map(<[u8]>::to_vec));
        Ok(())
    }
}

/// Depacketizer for payloads that are the frame itself (all audio codecs here).
#[derive(Debug, Default, Clone, Copy)]
pub struct RawDepacketizer;

impl Depacketizer for RawDepacketizer {
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), Error> {
        frame.extend_from_slice(payload);
        Ok(())
    }
    fn is_frame_start(&self, _payload: &[u8]) -> bool {
        true
    }
    fn is_keyframe(&self, _payload: &[u8]) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn opus_one_payload_per_frame() {
        let mut p = OpusPayloader;
        let mut out = Vec::new();
        p.payload(1200, &[1, 2, 3], &mut out).unwrap();
        assert_eq!(out, vec![vec![1, 2, 3]]);
        assert_eq!(p.payload(2, &[1, 2, 3], &mut out), Err(Error::TooLarge));
        let mut frame = Vec::new();
        RawDepacketizer.depacketize(&out[0], &mut frame).unwrap();
        assert_eq!(frame, vec![1, 2, 3]);
        assert!(RawDepacketizer.is_keyframe(&out[0]));
    }

    #[test]
    fn g711_splits_long_frames() {
        let mut out = Vec::new();
        G711Payloader.payload(160, &[7u8; 400], &mut out).unwrap();
        assert_eq!(
            out.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![160, 160, 80]
        );
    }
}
