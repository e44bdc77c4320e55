//! H264 payload format (RFC 6184), packetization-mode 1: single NAL unit
//! packets, STAP-A aggregation (type 24) and FU-A fragmentation (type 28).
//!
//! Frames in and out are Annex B byte streams (NAL units behind `00 00 00 01`
//! start codes). The payloader remembers the latest SPS and PPS and sends them
//! before an IDR picture that comes without them, so a receiver can always
//! start decoding at a keyframe.

use super::{Depacketizer, Payloader};
use crate::Error;

/// NAL unit type: coded slice of an IDR picture.
pub const NAL_IDR: u8 = 5;
/// NAL unit type: sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// NAL unit type: picture parameter set.
pub const NAL_PPS: u8 = 8;
/// NAL unit type: access unit delimiter.
pub const NAL_AUD: u8 = 9;
const STAP_A: u8 = 24;
const FU_A: u8 = 28;

/// Splits an Annex B byte stream into NAL units (without start codes).
/// Input without any start code is returned as one NAL unit.
pub fn split_annexb(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new(); // (start code begin, nal begin)
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            let begin = if i > 0 && data[i - 1] == 0 { i - 1 } else { i };
            starts.push((begin, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    if starts.is_empty() {
        return if data.is_empty() { vec![] } else { vec![data] };
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &(_, nal_begin)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(data.len(), |s| s.0);
        // trailing zero bytes belong to the next start code
        let mut e = end;
        while e > nal_begin && data[e - 1] == 0 {
            e -= 1;
        }
        if e > nal_begin {
            out.push(&data[nal_begin..e]);
        }
    }
    out
}

/// H264 payloader (packetization-mode 1).
#[derive(Debug, Default, Clone)]
pub struct H264Payloader {
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
    single_nal: bool,
}

impl H264Payloader {
    /// A payloader for `packetization-mode=0`: one NAL unit per packet, no
    /// aggregation or fragmentation (a NAL unit larger than the MTU is an error).
    pub fn single_nal_mode() -> Self {
        H264Payloader {
            single_nal: true,
            ..Default::default()
        }
    }
    /// Sets the parameter sets sent before IDR pictures that lack them.
    pub fn set_parameter_sets(&mut self, sps: Vec<u8>, pps: Vec<u8>) {
        self.sps = Some(sps);
        self.pps = Some(pps);
    }
    /// Sets the parameter sets from an SDP `sprop-parameter-sets` value.
    pub fn set_sprop_parameter_sets(&mut self, value: &str) -> Result<(), Error> {
        let nals =
            parse_sprop_parameter_sets(value).ok_or(Error::Malformed("sprop-parameter-sets"))?;
        for n in nals {
            match n[0] & 0x1f {
                NAL_SPS => self.sps = Some(n),
                NAL_PPS => self.pps = Some(n),
                _ => {}
            }
        }
        Ok(())
    }
    /// The latest SPS and PPS seen or set.
    pub fn parameter_sets(&self) -> (Option<&[u8]>, Option<&[u8]>) {
        (self.sps.as_deref(), self.pps.as_deref())
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for ch in s.trim().bytes().filter(|&b| b != b'=') {
        let v = B64.iter().position(|&b| b == ch)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Parses an SDP `sprop-parameter-sets` value (comma-separated base64 NAL units).
pub fn parse_sprop_parameter_sets(value: &str) -> Option<Vec<Vec<u8>>> {
    value
        .split(',')
        .map(base64_decode)
        .filter(|n| n.as_ref().is_none_or(|n| !n.is_empty()))
        .collect()
}

/// Formats NAL units (SPS, PPS) as an SDP `sprop-parameter-sets` value.
pub fn format_sprop_parameter_sets(nals: &[&[u8]]) -> String {
    nals.iter()
        .map(|n| base64_encode(n))
        .collect::<Vec<_>>()
        .join(",")
}

/// The `profile-level-id` (6 hex digits) of an SPS NAL unit.
pub fn profile_level_id(sps: &[u8]) -> Option<String> {
    (sps.first()? & 0x1f == NAL_SPS && sps.len() >= 4)
        .then(|| format!("{:02x}{:02x}{:02x}", sps[1], sps[2], sps[3]))
}

fn flush_stap(stap: &mut Vec<&[u8]>, out: &mut Vec<Vec<u8>>) {
    match stap.len() {
        0 => {}
        1 => out.push(stap[0].to_vec()),
        _ => {
            let nri = stap.iter().map(|n| n[0] & 0x60).max().unwrap_or(0);
            let f = stap.iter().fold(0, |a, n| a | (n[0] & 0x80));
            let mut p = vec![f | nri | STAP_A];
            for n in stap.iter() {
                p.extend_from_slice(&(n.len() as u16).to_be_bytes());
                p.extend_from_slice(n);
            }
            out.push(p);
        }
    }
    stap.clear();
}

impl Payloader for H264Payloader {
    fn payload(&mut self, mtu: usize, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
        if mtu < 3 {
            return Err(Error::TooLarge);
        }
        let nals: Vec<&[u8]> = split_annexb(frame)
            .into_iter()
            .filter(|n| n[0] & 0x1f != NAL_AUD)
            .collect();
        let kinds = |t: u8| nals.iter().any(|n| n[0] & 0x1f == t);
        let (has_idr, has_sps, has_pps) = (kinds(NAL_IDR), kinds(NAL_SPS), kinds(NAL_PPS));
        for n in &nals {
            match n[0] & 0x1f {
                NAL_SPS => self.sps = Some(n.to_vec()),
                NAL_PPS => self.pps = Some(n.to_vec()),
                _ => {}
            }
        }
        let mut list: Vec<&[u8]> = Vec::with_capacity(nals.len() + 2);
        if has_idr && !(has_sps && has_pps) {
            if let (Some(s), Some(p)) = (&self.sps, &self.pps) {
                list.push(s);
                list.push(p);
            }
        }
        list.extend(nals.iter().copied());
        if self.single_nal {
            if list.iter().any(|n| n.len() > mtu) {
                return Err(Error::TooLarge);
            }
            out.extend(list.iter().map(|n| n.to_vec()));
            return Ok(());
        }
        let mut stap: Vec<&[u8]> = Vec::new();
        let mut stap_len = 1;
        for nal in list {
            if nal.len() > mtu {
                flush_stap(&mut stap, out);
                stap_len = 1;
                let (h, data) = (nal[0], &nal[1..]);
                let chunks: Vec<&[u8]> = data.chunks(mtu - 2).collect();
                for (i, c) in chunks.iter().enumerate() {
                    let mut p = Vec::with_capacity(2 + c.len());
                    p.push((h & 0xe0) | FU_A);
                    let s = if i == 0 { 0x80 } else { 0 };
                    let e = if i + 1 == chunks.len() { 0x40 } else { 0 };
                    p.push(s | e | (h & 0x1f));
                    p.extend_from_slice(c);
                    out.push(p);
                }
                continue;
            }
            let add = 2 + nal.len();
            let fits_single = stap.is_empty() && nal.len() <= mtu;
            if !fits_single && stap_len + add > mtu {
                flush_stap(&mut stap, out);
                stap_len = 1;
            }
            stap.push(nal);
            stap_len += add;
        }
        flush_stap(&mut stap, out);
        Ok(())
    }
}

/// H264 depacketizer producing Annex B.
#[derive(Debug, Default, Clone)]
pub struct H264Depacketizer {
    in_fu: bool,
}

const START: [u8; 4] = [0, 0, 0, 1];

/// The NAL types a payload carries (the inner type for STAP-A and FU-A starts).
fn nal_types(payload: &[u8]) -> Vec<u8> {
    let Some(&h) = payload.first() else {
        return vec![];
    };
    match h & 0x1f {
        STAP_A => {
            let mut v = Vec::new();
            let mut p = 1;
            while p + 2 < payload.len() {
                let n = u16::from_be_bytes([payload[p], payload[p + 1]]) as usize;
                if n == 0 || p + 2 + n > payload.len() {
                    break;
                }
                v.push(payload[p + 2] & 0x1f);
                p += 2 + n;
            }
            v
        }
        FU_A => match payload.get(1) {
            Some(&fu) if fu & 0x80 != 0 => vec![fu & 0x1f],
            _ => vec![],
        },
        t => vec![t],
    }
}

impl Depacketizer for H264Depacketizer {
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), Error> {
        let h = *payload.first().ok_or(Error::Truncated)?;
        match h & 0x1f {
            0 | 30 | 31 => Err(Error::Unsupported("H264 NAL type")),
            1..=23 => {
                self.in_fu = false;
                frame.extend_from_slice(&START);
                frame.extend_from_slice(payload);
                Ok(())
            }
            STAP_A => {
                self.in_fu = false;
                let mut p = 1;
                let start = frame.len();
                while p < payload.len() {
                    if p + 2 > payload.len() {
                        frame.truncate(start);
                        return Err(Error::Truncated);
                    }
                    let n = u16::from_be_bytes([payload[p], payload[p + 1]]) as usize;
                    let Some(nal) = payload.get(p + 2..p + 2 + n).filter(|n| !n.is_empty()) else {
                        frame.truncate(start);
                        return Err(Error::Malformed("STAP-A size"));
                    };
                    frame.extend_from_slice(&START);
                    frame.extend_from_slice(nal);
                    p += 2 + n;
                }
                Ok(())
            }
            FU_A => {
                let fu = *payload.get(1).ok_or(Error::Truncated)?;
                let data = &payload[2..];
                if fu & 0x80 != 0 {
                    frame.extend_from_slice(&START);
                    frame.push((h & 0xe0) | (fu & 0x1f));
                    self.in_fu = true;
                } else if !self.in_fu {
                    return Err(Error::Malformed("FU-A without its start"));
                }
                frame.extend_from_slice(data);
                if fu & 0x40 != 0 {
                    self.in_fu = false;
                }
                Ok(())
            }
            _ => Err(Error::Unsupported("H264 packetization mode 2 NAL types")),
        }
    }
    fn is_frame_start(&self, payload: &[u8]) -> bool {
        match payload.first().map(|h| h & 0x1f) {
            Some(FU_A) => payload.get(1).is_some_and(|fu| fu & 0x80 != 0),
            Some(t) => (1..=24).contains(&t),
            None => false,
        }
    }
    fn is_keyframe(&self, payload: &[u8]) -> bool {
        nal_types(payload)
            .iter()
            .any(|&t| t == NAL_IDR || t == NAL_SPS)
    }
    fn reset(&mut self) {
        self.in_fu = false;
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use crate::test_util::Rng;

    fn nal(rng: &mut Rng, t: u8, n: usize) -> Vec<u8> {
        let mut v = vec![0x60 | t];
        // avoid emulating start codes inside NAL bodies
        v.extend((1..n).map(|_| (rng.next_u64() as u8) | 0x04));
        v
    }

    fn annexb(nals: &[Vec<u8>]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| START.iter().copied().chain(n.iter().copied()))
            .collect()
    }

    #[test]
    fn round_trips_of_random_access_units() {
        let mut rng = Rng(77);
        let mut pay = H264Payloader::default();
        let mut dep = H264Depacketizer::default();
        for mtu in [50usize, 300, 1200] {
            for _ in 0..60 {
                let count = 1 + rng.below(5);
                let nals: Vec<Vec<u8>> = (0..count)
                    .map(|_| {
                        let size = 1 + rng.below(4000);
                        nal(&mut rng, 1, size)
                    })
                    .collect();
                let frame = annexb(&nals);
                let mut out = Vec::new();
                pay.payload(mtu, &frame, &mut out).unwrap();
                let mut back = Vec::new();
                for (i, p) in out.iter().enumerate() {
                    assert!(p.len() <= mtu);
                    if i == 0 {
                        assert!(dep.is_frame_start(p));
                    }
                    dep.depacketize(p, &mut back).unwrap();
                }
                assert_eq!(back, frame, "mtu {mtu}");
            }
        }
    }

    #[test]
    fn sps_pps_prepended_to_idr_and_aggregated() {
        let mut rng = Rng(1);
        let (sps, pps) = (nal(&mut rng, NAL_SPS, 12), nal(&mut rng, NAL_PPS, 4));
        let idr = nal(&mut rng, NAL_IDR, 3000);
        let mut pay = H264Payloader::default();
        let mut out = Vec::new();
        // First AU carries SPS/PPS: STAP-A with both, then FU-A IDR.
        pay.payload(
            1200,
            &annexb(&[sps.clone(), pps.clone(), idr.clone()]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out[0][0] & 0x1f, STAP_A);
        let dep = H264Depacketizer::default();
        assert!(dep.is_keyframe(&out[0]));
        // A later IDR without them gets them prepended.
        let mut out2 = Vec::new();
        pay.payload(1200, &annexb(std::slice::from_ref(&idr)), &mut out2)
            .unwrap();
        let mut dep = H264Depacketizer::default();
        let mut back = Vec::new();
        for p in &out2 {
            dep.depacketize(p, &mut back).unwrap();
        }
        assert_eq!(back, annexb(&[sps, pps, idr]));
        // Interframes are not keyframes.
        let mut out3 = Vec::new();
        pay.payload(1200, &annexb(&[nal(&mut rng, 1, 100)]), &mut out3)
            .unwrap();
        assert!(!dep.is_keyframe(&out3[0]));
        assert_eq!(out3.len(), 1);
    }

    #[test]
    fn fu_a_without_start_is_rejected_and_bad_stap_too() {
        let mut d = H264Depacketizer::default();
        let mut f = Vec::new();
        assert!(d.depacketize(&[0x7c, 0x05, 1, 2], &mut f).is_err());
        assert!(d.depacketize(&[0x78, 0x00, 0x09, 0x65], &mut f).is_err());
        assert!(d.depacketize(&[], &mut f).is_err());
        assert!(f.is_empty());
    }

    #[test]
    fn single_nal_mode_sends_one_nal_per_packet() {
        let mut rng = Rng(2);
        let nals = [
            nal(&mut rng, NAL_SPS, 10),
            nal(&mut rng, NAL_PPS, 4),
            nal(&mut rng, NAL_IDR, 900),
        ];
        let mut p = H264Payloader::single_nal_mode();
        let mut out = Vec::new();
        p.payload(1000, &annexb(&nals), &mut out).unwrap();
        assert_eq!(out, nals.to_vec());
        assert_eq!(
            p.payload(500, &annexb(&nals), &mut out),
            Err(Error::TooLarge)
        );
    }

    #[test]
    fn sprop_parameter_sets_round_trip() {
        // A common Chromium constrained-baseline SPS/PPS pair.
        let value = "Z0LAH9oBQBbsBEAAAAMAQAAADyPGDKg=,aM4PyA==";
        let nals = parse_sprop_parameter_sets(value).unwrap();
        assert_eq!(nals.len(), 2);
        assert_eq!(nals[0][0] & 0x1f, NAL_SPS);
        assert_eq!(nals[1][0] & 0x1f, NAL_PPS);
        assert_eq!(profile_level_id(&nals[0]).as_deref(), Some("42c01f"));
        assert_eq!(format_sprop_parameter_sets(&[&nals[0], &nals[1]]), value);
        let mut p = H264Payloader::default();
        p.set_sprop_parameter_sets(value).unwrap();
        assert_eq!(p.parameter_sets(), (Some(&nals[0][..]), Some(&nals[1][..])));
        assert!(p.set_sprop_parameter_sets("!!").is_err());
    }

    #[test]
    fn splits_annexb_with_3_and_4_byte_start_codes() {
        let data = [0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 3];
        assert_eq!(
            split_annexb(&data),
            vec![&[0x67, 1][..], &[0x68, 2][..], &[0x65, 3][..]]
        );
        assert_eq!(split_annexb(&[0x65, 1]), vec![&[0x65, 1][..]]);
        assert!(split_annexb(&[]).is_empty());
        let _ = Codec::H264;
    }
}
