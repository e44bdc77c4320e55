//! RTP packets (RFC 3550 §5.1) with header extensions (RFC 8285).
//!
//! [`RtpPacket`] is a zero-copy view that checks the layout once in
//! [`RtpPacket::parse`] and then reads fields straight from the bytes.
//! [`RtpHeader`] is the owned form used to write packets into caller buffers.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//! |                           timestamp                           |
//! |           synchronization source (SSRC) identifier            |
//! |            contributing source (CSRC) identifiers  (CC×)      |
//! |  extension profile            |  extension length (words)     |  (if X)
//! |  payload …                                    | padding | count |
//! ```

use crate::Error;

/// Fixed RTP header size without CSRCs or extensions.
pub const FIXED_HEADER_LEN: usize = 12;
/// Extension profile of one-byte header extensions (RFC 8285 §4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// Extension profile of two-byte header extensions (RFC 8285 §4.3), low 4 bits are app bits.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// A parsed RTP packet borrowing its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// Offset of the extension block's 4-byte header, if X is set.
    ext_at: Option<usize>,
    header_len: usize,
    payload_end: usize,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> RtpPacket<'a> {
    /// Checks the layout of `buf` and returns a view over it.
    ///
    /// Rejects: fewer than 12 bytes, version ≠ 2, CSRC list or extension block
    /// running past the end, and a padding count of 0 or larger than the payload area.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < FIXED_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if buf[0] >> 6 != 2 {
            return Err(Error::BadVersion);
        }
        let cc = (buf[0] & 0x0f) as usize;
        let mut header_len = FIXED_HEADER_LEN + 4 * cc;
        if buf.len() < header_len {
            return Err(Error::Truncated);
        }
        let mut ext_at = None;
        if buf[0] & 0x10 != 0 {
            if buf.len() < header_len + 4 {
                return Err(Error::Truncated);
            }
            let words = be16(buf, header_len + 2) as usize;
            ext_at = Some(header_len);
            header_len += 4 + 4 * words;
            if buf.len() < header_len {
                return Err(Error::Truncated);
            }
        }
        let mut payload_end = buf.len();
        if buf[0] & 0x20 != 0 {
            let pad = buf[buf.len() - 1] as usize;
            if pad == 0 || pad > buf.len() - header_len {
                return Err(Error::Malformed("RTP padding count"));
            }
            payload_end -= pad;
        }
        Ok(RtpPacket {
            buf,
            ext_at,
            header_len,
            payload_end,
        })
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// The padding bit (P).
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }
    /// Number of padding bytes at the end (0 when P is clear).
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end
    }
    /// The marker bit (M).
    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }
    /// The payload type (7 bits).
    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7f
    }
    /// The sequence number.
    pub fn sequence_number(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// The RTP timestamp.
    pub fn timestamp(&self) -> u32 {
        be32(self.buf, 4)
    }
    /// The synchronization source.
    pub fn ssrc(&self) -> u32 {
        be32(self.buf, 8)
    }
    /// The contributing sources.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        let buf = self.buf;
        let cc = (buf[0] & 0x0f) as usize;
        (0..cc).map(move |i| be32(buf, FIXED_HEADER_LEN + 4 * i))
    }
    /// The extension profile (for example 0xBEDE), if the X bit is set.
    pub fn extension_profile(&self) -> Option<u16> {
        self.ext_at.map(|at| be16(self.buf, at))
    }
    /// The raw extension block body (after its 4-byte header), empty without X.
    pub fn extension_data(&self) -> &'a [u8] {
        match self.ext_at {
            Some(at) => &self.buf[at + 4..self.header_len],
            None => &[],
        }
    }
    /// Iterates over RFC 8285 extension elements as `(id, data)`.
    /// Unknown profiles yield nothing; a malformed element ends the iteration.
    pub fn extensions(&self) -> ExtensionIter<'a> {
        let kind = match self.extension_profile() {
            Some(ONE_BYTE_PROFILE) => ExtKind::OneByte,
            Some(p) if p & 0xfff0 == TWO_BYTE_PROFILE => ExtKind::TwoByte,
            _ => ExtKind::None,
        };
        ExtensionIter {
            data: self.extension_data(),
            pos: 0,
            kind,
        }
    }
    /// The data of the extension element with `id`, if present.
    pub fn extension(&self, id: u8) -> Option<&'a [u8]> {
        self.extensions().find(|(i, _)| *i == id).map(|(_, d)| d)
    }
    /// Length of the header including CSRCs and extensions.
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// The payload, without padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len..self.payload_end]
    }
    /// An owned copy of the header (allocates only for CSRCs and extensions).
    pub fn header(&self) -> RtpHeader {
        let mut h = RtpHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
            csrcs: self.csrcs().collect(),
            extensions: Extensions::default(),
        };
        for (id, data) in self.extensions() {
            // Values from the wire fit: ids ≤ 255, lengths ≤ 255.
            let _ = h.extensions.set(id, data);
        }
        h
    }
}

#[derive(Debug, Clone, Copy)]
enum ExtKind {
    None,
    OneByte,
    TwoByte,
}

/// Iterator over RFC 8285 extension elements; see [`RtpPacket::extensions`].
#[derive(Debug, Clone)]
pub struct ExtensionIter<'a> {
    data: &'a [u8],
    pos: usize,
    kind: ExtKind,
}

impl<'a> Iterator for ExtensionIter<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let b = *self.data.get(self.pos)?;
            match self.kind {
                ExtKind::None => return None,
                ExtKind::OneByte => {
                    if b == 0 {
                        self.pos += 1;
                        continue;
                    }
                    let id = b >> 4;
                    if id == 15 {
                        self.pos = self.data.len();
                        return None;
                    }
                    let len = (b & 0x0f) as usize + 1;
                    let start = self.pos + 1;
                    let Some(d) = self.data.get(start..start + len) else {
                        self.pos = self.data.len();
                        return None;
                    };
                    self.pos = start + len;
                    return Some((id, d));
                }
                ExtKind::TwoByte => {
                    if b == 0 {
                        self.pos += 1;
                        continue;
                    }
                    let Some(&len) = self.data.get(self.pos + 1) else {
                        self.pos = self.data.len();
                        return None;
                    };
                    let start = self.pos + 2;
                    let Some(d) = self.data.get(start..start + len as usize) else {
                        self.pos = self.data.len();
                        return None;
                    };
                    self.pos = start + len as usize;
                    return Some((b, d));
                }
            }
        }
    }
}

/// A set of header extension elements to write, kept in one reusable buffer.
///
/// Written with the one-byte form when every id is 1..=14 and every value is
/// 1..=16 bytes long, otherwise with the two-byte form.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    /// (id, offset into `data`, length)
    items: Vec<(u8, u16, u8)>,
    data: Vec<u8>,
}

/// Equal when they hold the same `(id, value)` elements in the same order
/// (where the bytes sit in the buffer does not matter).
impl PartialEq for Extensions {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for Extensions {}

impl Extensions {
    /// Sets (or replaces) the element `id`. Fails for id 0 or data over 255 bytes.
    pub fn set(&mut self, id: u8, value: &[u8]) -> Result<(), Error> {
        if id == 0 || value.len() > 255 {
            return Err(Error::TooLarge);
        }
        self.remove(id);
        let off = u16::try_from(self.data.len()).map_err(|_| Error::TooLarge)?;
        self.data.extend_from_slice(value);
        self.items.push((id, off, value.len() as u8));
        Ok(())
    }
    /// The value of element `id`.
    pub fn get(&self, id: u8) -> Option<&[u8]> {
        self.items
            .iter()
            .find(|(i, _, _)| *i == id)
            .map(|&(_, off, len)| &self.data[off as usize..off as usize + len as usize])
    }
    /// Removes element `id` (its bytes stay in the buffer until [`Self::clear`]).
    pub fn remove(&mut self, id: u8) {
        self.items.retain(|(i, _, _)| *i != id);
    }
    /// Removes all elements, keeping the allocation.
    pub fn clear(&mut self) {
        self.items.clear();
        self.data.clear();
    }
    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Iterates `(id, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.items
            .iter()
            .map(|&(id, off, len)| (id, &self.data[off as usize..off as usize + len as usize]))
    }
    fn one_byte(&self) -> bool {
        self.items
            .iter()
            .all(|&(id, _, len)| (1..=14).contains(&id) && (1..=16).contains(&len))
    }
    /// Size of the extension block including its 4-byte header (0 when empty).
    pub fn block_len(&self) -> usize {
        if self.items.is_empty() {
            return 0;
        }
        let per = if self.one_byte() { 1 } else { 2 };
        let body: usize = self.items.iter().map(|&(_, _, l)| per + l as usize).sum();
        4 + body.div_ceil(4) * 4
    }
    fn write(&self, out: &mut [u8]) -> usize {
        let len = self.block_len();
        let one = self.one_byte();
        let profile = if one {
            ONE_BYTE_PROFILE
        } else {
            TWO_BYTE_PROFILE
        };
        out[0..2].copy_from_slice(&profile.to_be_bytes());
        out[2..4].copy_from_slice(&(((len - 4) / 4) as u16).to_be_bytes());
        let mut p = 4;
        for (id, v) in self.iter() {
            if one {
                out[p] = (id << 4) | (v.len() as u8 - 1);
                p += 1;
            } else {
                out[p] = id;
                out[p + 1] = v.len() as u8;
                p += 2;
            }
            out[p..p + v.len()].copy_from_slice(v);
            p += v.len();
        }
        out[p..len].fill(0);
        len
    }
}

/// An owned RTP header, used to write packets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit.
    pub marker: bool,
    /// Payload type (0..=127).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrcs: Vec<u32>,
    /// Header extension elements.
    pub extensions: Extensions,
}

impl RtpHeader {
    /// Bytes this header takes on the wire.
    pub fn marshal_size(&self) -> usize {
        FIXED_HEADER_LEN + 4 * self.csrcs.len() + self.extensions.block_len()
    }

    /// Writes the header into `out` and returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.write_with_padding(out, false)
    }

    fn write_with_padding(&self, out: &mut [u8], padding: bool) -> Result<usize, Error> {
        if self.csrcs.len() > 15 || self.payload_type > 127 {
            return Err(Error::TooLarge);
        }
        let len = self.marshal_size();
        if out.len() < len {
            return Err(Error::BufferTooSmall);
        }
        let x = !self.extensions.is_empty();
        out[0] = 0x80 | (u8::from(padding) << 5) | (u8::from(x) << 4) | self.csrcs.len() as u8;
        out[1] = (u8::from(self.marker) << 7) | self.payload_type;
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut p = FIXED_HEADER_LEN;
        for c in &self.csrcs {
            out[p..p + 4].copy_from_slice(&c.to_be_bytes());
            p += 4;
        }
        if x {
            p += self.extensions.write(&mut out[p..]);
        }
        Ok(p)
    }

    /// Writes header, payload and `padding` bytes of padding (0 for none) into `out`;
    /// returns the packet length.
    pub fn write_packet(
        &self,
        payload: &[u8],
        padding: u8,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let hl = self.marshal_size();
        let total = hl + payload.len() + padding as usize;
        if out.len() < total {
            return Err(Error::BufferTooSmall);
        }
        self.write_with_padding(out, padding > 0)?;
        out[hl..hl + payload.len()].copy_from_slice(payload);
        if padding > 0 {
            out[hl + payload.len()..total - 1].fill(0);
            out[total - 1] = padding;
        }
        Ok(total)
    }

    /// Convenience: header and payload in a new `Vec`.
    pub fn to_packet(&self, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0; self.marshal_size() + payload.len()];
        // The buffer was sized above and `write_packet` only fails on a too-small buffer
        // or out-of-range fields, which we surface as an empty packet rather than panic.
        match self.write_packet(payload, 0, &mut v) {
            Ok(n) => v.truncate(n),
            Err(_) => v.clear(),
        }
        v
    }
}

/// In-place rewrites of fields in a serialized RTP packet (for SFUs and RTX).
/// Each returns [`Error::Truncated`] when `buf` is shorter than a fixed header.
pub mod rewrite {
    use super::*;

    fn check(buf: &[u8]) -> Result<(), Error> {
        if buf.len() < FIXED_HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }
    /// Sets the sequence number.
    pub fn set_sequence_number(buf: &mut [u8], seq: u16) -> Result<(), Error> {
        check(buf)?;
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        Ok(())
    }
    /// Sets the timestamp.
    pub fn set_timestamp(buf: &mut [u8], ts: u32) -> Result<(), Error> {
        check(buf)?;
        buf[4..8].copy_from_slice(&ts.to_be_bytes());
        Ok(())
    }
    /// Sets the SSRC.
    pub fn set_ssrc(buf: &mut [u8], ssrc: u32) -> Result<(), Error> {
        check(buf)?;
        buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
        Ok(())
    }
    /// Sets the payload type (keeps the marker bit).
    pub fn set_payload_type(buf: &mut [u8], pt: u8) -> Result<(), Error> {
        check(buf)?;
        buf[1] = (buf[1] & 0x80) | (pt & 0x7f);
        Ok(())
    }
    /// Sets or clears the marker bit.
    pub fn set_marker(buf: &mut [u8], marker: bool) -> Result<(), Error> {
        check(buf)?;
        buf[1] = (buf[1] & 0x7f) | (u8::from(marker) << 7);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{hex, Rng};

    #[test]
    fn parse_rfc7714_packet() {
        let b = hex("8040f17b8041f8d35501a0b247616c6c6961");
        let p = RtpPacket::parse(&b).unwrap();
        assert_eq!(p.payload_type(), 0x40);
        assert!(!p.marker());
        assert_eq!(p.sequence_number(), 0xf17b);
        assert_eq!(p.timestamp(), 0x8041f8d3);
        assert_eq!(p.ssrc(), 0x5501a0b2);
        assert_eq!(p.payload(), b"Gallia");
        assert_eq!(p.extension_profile(), None);
    }

    #[test]
    fn round_trip_with_one_byte_extensions_csrcs_padding() {
        let mut h = RtpHeader {
            marker: true,
            payload_type: 111,
            sequence_number: 65535,
            timestamp: 0xdeadbeef,
            ssrc: 0x11223344,
            csrcs: vec![1, 2],
            ..Default::default()
        };
        h.extensions.set(1, b"mid").unwrap();
        h.extensions.set(3, &[1, 2, 3]).unwrap();
        let mut out = [0u8; 200];
        let n = h.write_packet(b"hello", 3, &mut out).unwrap();
        let p = RtpPacket::parse(&out[..n]).unwrap();
        assert_eq!(p.extension_profile(), Some(ONE_BYTE_PROFILE));
        assert_eq!(p.payload(), b"hello");
        assert_eq!(p.padding_len(), 3);
        assert_eq!(p.extension(1), Some(&b"mid"[..]));
        assert_eq!(p.extension(3), Some(&[1u8, 2, 3][..]));
        assert_eq!(p.header(), h);
    }

    #[test]
    fn two_byte_form_used_for_long_values_and_large_ids() {
        let mut h = RtpHeader::default();
        h.extensions.set(20, &[7; 40]).unwrap();
        h.extensions.set(2, &[]).unwrap();
        let v = h.to_packet(&[9]);
        let p = RtpPacket::parse(&v).unwrap();
        assert_eq!(p.extension_profile(), Some(TWO_BYTE_PROFILE));
        assert_eq!(p.extension(20), Some(&[7u8; 40][..]));
        assert_eq!(p.extension(2), Some(&[][..]));
        assert_eq!(p.payload(), &[9]);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(Error::Truncated));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(Error::BadVersion));
        // CC = 2 but no CSRCs.
        assert_eq!(
            RtpPacket::parse(&[0x82, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::Truncated)
        );
        // padding bit with a count of 0
        let mut b = [0u8; 13];
        b[0] = 0xa0;
        assert!(RtpPacket::parse(&b).is_err());
        // padding count larger than the payload
        b[12] = 5;
        assert!(RtpPacket::parse(&b).is_err());
        // extension length running past the end
        let b = hex("90000000000000000000000000BEDE0005");
        assert_eq!(RtpPacket::parse(&b), Err(Error::Truncated));
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = Rng(7);
        for _ in 0..20000 {
            let n = rng.below(64);
            let mut b = rng.bytes(n);
            if !b.is_empty() {
                b[0] = (b[0] & 0x3f) | 0x80;
            }
            if let Ok(p) = RtpPacket::parse(&b) {
                let _ = p.extensions().count();
                let _ = p.header();
                assert!(p.header_len() + p.payload().len() + p.padding_len() == b.len());
            }
        }
    }

    #[test]
    fn duplicate_extension_ids_keep_the_last_and_compare_by_value() {
        // Regression (fuzz): two-byte block with id 12 twice; the copy written
        // back must compare equal although its buffer layout differs.
        let b = hex("90000000 00000000 00000000 1000 0002 0c01 00 0c00 0100 0000");
        let p = RtpPacket::parse(&b).unwrap();
        let h = p.header();
        assert_eq!(h.extensions.get(12), Some(&[][..]));
        assert_eq!(h.extensions.get(1), Some(&[][..]));
        let written = h.to_packet(p.payload());
        let again = RtpPacket::parse(&written).unwrap();
        assert_eq!(again.header().extensions, h.extensions);
    }

    #[test]
    fn rewrite_fields() {
        let h = RtpHeader {
            marker: true,
            payload_type: 96,
            ..Default::default()
        };
        let mut v = h.to_packet(&[1, 2]);
        rewrite::set_sequence_number(&mut v, 42).unwrap();
        rewrite::set_ssrc(&mut v, 7).unwrap();
        rewrite::set_payload_type(&mut v, 97).unwrap();
        rewrite::set_timestamp(&mut v, 9).unwrap();
        let p = RtpPacket::parse(&v).unwrap();
        assert_eq!(
            (
                p.sequence_number(),
                p.ssrc(),
                p.payload_type(),
                p.timestamp(),
                p.marker()
            ),
            (42, 7, 97, 9, true)
        );
        assert!(rewrite::set_marker(&mut [0u8; 3], true).is_err());
    }
}
