//! H264 Annex B elementary streams: splits NAL units and groups them into
//! access units (one picture each), ready for [`crate::codec::H264Payloader`].

use crate::codec::h264_split_annexb as split_annexb;

/// Reads NAL units and access units from an Annex B byte stream held in memory.
#[derive(Debug, Clone)]
pub struct H264Reader {
    nals: Vec<(usize, usize)>,
    data: Vec<u8>,
    pos: usize,
}

fn is_vcl(t: u8) -> bool {
    (1..=5).contains(&t)
}

impl H264Reader {
    /// Indexes the NAL units of `data`.
    pub fn new(data: Vec<u8>) -> Self {
        let base = data.as_ptr() as usize;
        let nals = split_annexb(&data)
            .into_iter()
            .map(|n| (n.as_ptr() as usize - base, n.len()))
            .collect();
        H264Reader { nals, data, pos: 0 }
    }

    /// Number of NAL units in the stream.
    pub fn nal_count(&self) -> usize {
        self.nals.len()
    }

    /// The next NAL unit (without start code).
    pub fn next_nal(&mut self) -> Option<&[u8]> {
        let &(at, len) = self.nals.get(self.pos)?;
        self.pos += 1;
        Some(&self.data[at..at + len])
    }

    /// The next access unit as Annex B (each NAL behind `00 00 00 01`).
    ///
    /// A new access unit starts at an AUD, SPS, PPS or SEI after a picture's
    /// slices, or at a slice whose `first_mb_in_slice` is 0.
    pub fn next_access_unit(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut seen_vcl = false;
        while let Some(&(at, len)) = self.nals.get(self.pos) {
            let nal = &self.data[at..at + len];
            let t = nal[0] & 0x1f;
            let starts_new = match t {
                6..=9 => seen_vcl,
                t if is_vcl(t) => seen_vcl && nal.get(1).is_some_and(|b| b & 0x80 != 0),
                _ => false,
            };
            if starts_new && !out.is_empty() {
                break;
            }
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
            seen_vcl |= is_vcl(t);
            self.pos += 1;
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_access_units() {
        let mut s = Vec::new();
        for nal in [
            &[0x09, 0xf0][..],   // AUD
            &[0x67, 0x42, 0x01], // SPS (a NAL never ends in 0x00)
            &[0x68, 0xce],       // PPS
            &[0x65, 0x88, 0x01], // IDR slice, first_mb 0
            &[0x65, 0x1a, 0x02], // IDR slice, first_mb != 0 (same picture)
            &[0x41, 0x9a, 0x03], // P slice, first_mb 0: new picture
            &[0x41, 0x9b, 0x04], // next picture
        ] {
            s.extend_from_slice(&[0, 0, 1]);
            s.extend_from_slice(nal);
        }
        let mut r = H264Reader::new(s);
        assert_eq!(r.nal_count(), 7);
        let au1 = r.next_access_unit().unwrap();
        assert_eq!(au1.len(), 5 * 4 + 2 + 3 + 2 + 3 + 3);
        let au2 = r.next_access_unit().unwrap();
        assert_eq!(au2, vec![0, 0, 0, 1, 0x41, 0x9a, 0x03]);
        assert_eq!(
            r.next_access_unit().unwrap(),
            vec![0, 0, 0, 1, 0x41, 0x9b, 0x04]
        );
        assert_eq!(r.next_access_unit(), None);
        let mut r = H264Reader::new(vec![0, 0, 1, 0x67, 1]);
        assert_eq!(r.next_nal(), Some(&[0x67, 1][..]));
        assert_eq!(r.next_nal(), None);
    }
}
