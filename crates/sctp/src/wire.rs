//! Byte-level helpers shared by the codec: a bounds-checked writer and
//! type-length-value iteration (parameters and error causes share one format).

/// Rounds `n` up to the next multiple of four (SCTP pads chunks and parameters
/// to 32-bit boundaries).
#[inline]
pub const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Writes big-endian fields into a caller's buffer, refusing (returning
/// `None`) rather than panicking when the buffer is too small.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// Bytes still free.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(b.len())?;
        self.buf.get_mut(self.pos..end)?.copy_from_slice(b);
        self.pos = end;
        Some(())
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> Option<()> {
        self.bytes(&[v])
    }

    /// Appends a big-endian u16.
    pub fn u16(&mut self, v: u16) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian u32.
    pub fn u32(&mut self, v: u32) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends zero bytes up to the next 4-byte boundary.
    pub fn pad(&mut self) -> Option<()> {
        let n = pad4(self.pos) - self.pos;
        self.bytes(&[0u8; 3][..n])
    }

    /// Overwrites a big-endian u16 at an earlier position (for lengths).
    pub fn set_u16(&mut self, at: usize, v: u16) -> Option<()> {
        self.buf
            .get_mut(at..at + 2)?
            .copy_from_slice(&v.to_be_bytes());
        Some(())
    }

    /// Appends a whole TLV (parameter or error cause) with its padding.
    pub fn tlv(&mut self, ty: u16, value: &[u8]) -> Option<()> {
        let len = u16::try_from(value.len() + 4).ok()?;
        self.u16(ty)?;
        self.u16(len)?;
        self.bytes(value)?;
        self.pad()
    }
}

/// One type-length-value item: an INIT parameter, a RE-CONFIG parameter, or
/// an error cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Type (parameter type or cause code).
    pub ty: u16,
    /// Value, without the 4-byte header or padding.
    pub value: &'a [u8],
}

/// Iterates TLVs in a byte region checked by [`validate_tlvs`]. On malformed
/// input the iteration simply stops.
#[derive(Debug, Clone)]
pub struct Tlvs<'a> {
    rest: &'a [u8],
}

impl<'a> Tlvs<'a> {
    /// TLVs in `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Self { rest: b }
    }
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Tlv<'a>;
    fn next(&mut self) -> Option<Tlv<'a>> {
        if self.rest.len() < 4 {
            return None;
        }
        let ty = be16(self.rest, 0);
        let len = be16(self.rest, 2) as usize;
        if len < 4 || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let value = &self.rest[4..len];
        let adv = pad4(len).min(self.rest.len());
        self.rest = &self.rest[adv..];
        Some(Tlv { ty, value })
    }
}

/// Checks that `b` is a well-formed sequence of TLVs (the final padding may
/// be missing). Returns the number of TLVs.
pub fn validate_tlvs(b: &[u8]) -> Option<usize> {
    let mut rest = b;
    let mut n = 0;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let len = be16(rest, 2) as usize;
        if len < 4 || len > rest.len() {
            return None;
        }
        let adv = pad4(len);
        if adv > rest.len() {
            // Only the last item may lack its padding.
            rest = &[];
        } else {
            if rest[len..adv].iter().any(|&x| x != 0) {
                // Non-zero padding is tolerated (the RFC says ignore it).
            }
            rest = &rest[adv..];
        }
        n += 1;
    }
    Some(n)
}

/// A fast, non-cryptographic hasher for the small integer keys of the
/// per-stream maps (stream ids, message ids). Keys come from the peer, but
/// the maps are bounded by the negotiated stream count and the receive
/// buffer, so hash flooding can only cost time within those bounds.
#[derive(Debug, Default, Clone, Copy)]
pub struct IntHasher(u64);

impl std::hash::Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u8(&mut self, v: u8) {
        self.write_u64(v as u64);
    }
    fn write_u16(&mut self, v: u16) {
        self.write_u64(v as u64);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

/// `BuildHasher` for [`IntHasher`].
pub type IntBuildHasher = std::hash::BuildHasherDefault<IntHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_refuses_overflow() {
        let mut b = [0u8; 5];
        let mut w = Writer::new(&mut b);
        assert!(w.u32(1).is_some());
        assert!(w.u16(1).is_none());
        assert_eq!(w.len(), 4);
        assert!(w.tlv(1, &[1, 2, 3]).is_none());
    }

    #[test]
    fn tlv_roundtrip_with_padding() {
        let mut b = [0u8; 32];
        let mut w = Writer::new(&mut b);
        w.tlv(7, &[1, 2, 3]).unwrap();
        w.tlv(9, &[]).unwrap();
        let n = w.len();
        assert_eq!(n, 12);
        assert_eq!(validate_tlvs(&b[..n]), Some(2));
        let v: Vec<_> = Tlvs::new(&b[..n]).collect();
        assert_eq!(
            v,
            vec![
                Tlv {
                    ty: 7,
                    value: &[1, 2, 3]
                },
                Tlv { ty: 9, value: &[] }
            ]
        );
    }

    #[test]
    fn malformed_tlvs_rejected() {
        assert_eq!(validate_tlvs(&[0, 1, 0, 3]), None);
        assert_eq!(validate_tlvs(&[0, 1, 0, 9, 0, 0, 0, 0]), None);
        assert_eq!(validate_tlvs(&[0, 1, 0]), None);
        assert_eq!(Tlvs::new(&[0, 1, 0, 2]).count(), 0);
    }
}
