//! The SCTP common header (RFC 9260 §3.1), the CRC32c checksum (Appendix A,
//! computed with the CPU's CRC instruction by the `crc32c` crate) and chunk
//! iteration over a received packet.

use crate::chunk::{Chunk, ParseError};
use crate::wire::{be16, be32, pad4};

/// Bytes of the common header.
pub const COMMON_HEADER_LEN: usize = 12;

/// The common header of an SCTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommonHeader {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Verification tag.
    pub vtag: u32,
    /// Checksum as carried (0 when the sender used zero checksum).
    pub checksum: u32,
}

impl CommonHeader {
    /// Parses the first 12 bytes of `packet`.
    pub fn parse(packet: &[u8]) -> Result<Self, ParseError> {
        if packet.len() < COMMON_HEADER_LEN {
            return Err(ParseError::TooShort);
        }
        Ok(Self {
            src_port: be16(packet, 0),
            dst_port: be16(packet, 2),
            vtag: be32(packet, 4),
            checksum: u32::from_le_bytes([packet[8], packet[9], packet[10], packet[11]]),
        })
    }

    /// Writes the header with a zero checksum field into `buf[..12]`.
    pub fn write(&self, buf: &mut [u8]) -> Option<()> {
        let b = buf.get_mut(..COMMON_HEADER_LEN)?;
        b[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        b[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        b[4..8].copy_from_slice(&self.vtag.to_be_bytes());
        b[8..12].copy_from_slice(&[0; 4]);
        Some(())
    }
}

/// The CRC32c of a packet as if its checksum field were zero.
pub fn compute_checksum(packet: &[u8]) -> u32 {
    if packet.len() < COMMON_HEADER_LEN {
        return 0;
    }
    let c = crc32c::crc32c(&packet[..8]);
    let c = crc32c::crc32c_append(c, &[0; 4]);
    crc32c::crc32c_append(c, &packet[12..])
}

/// Fills in the checksum field of a finished packet (whose checksum field
/// is still zero, as [`CommonHeader::write`] leaves it).
pub fn set_checksum(packet: &mut [u8]) {
    if let Some(f) = packet.get_mut(8..12) {
        f.copy_from_slice(&[0; 4]);
    }
    let c = crc32c::crc32c(packet);
    if let Some(f) = packet.get_mut(8..12) {
        f.copy_from_slice(&c.to_le_bytes());
    }
}

/// Whether the packet's checksum field is correct.
pub fn checksum_ok(packet: &[u8]) -> bool {
    match CommonHeader::parse(packet) {
        Ok(h) => h.checksum == compute_checksum(packet),
        Err(_) => false,
    }
}

/// One chunk as found in a packet, before its value is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawChunk<'a> {
    /// Chunk type.
    pub ty: u8,
    /// Chunk flags.
    pub flags: u8,
    /// Chunk value (after the 4-byte header, without padding).
    pub value: &'a [u8],
}

impl<'a> RawChunk<'a> {
    /// Interprets the value.
    pub fn parse(&self) -> Result<Chunk<'a>, ParseError> {
        Chunk::parse(self.ty, self.flags, self.value)
    }
}

/// Iterates the chunks after the common header. Yields `Err` once (then
/// stops) when a chunk header is malformed.
#[derive(Debug, Clone)]
pub struct RawChunks<'a> {
    rest: &'a [u8],
}

impl<'a> RawChunks<'a> {
    /// The chunks of `packet` (which includes the common header).
    pub fn new(packet: &'a [u8]) -> Self {
        Self {
            rest: packet.get(COMMON_HEADER_LEN..).unwrap_or(&[]),
        }
    }
}

impl<'a> Iterator for RawChunks<'a> {
    type Item = Result<RawChunk<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        if self.rest.len() < 4 {
            self.rest = &[];
            return Some(Err(ParseError::TooShort));
        }
        let len = be16(self.rest, 2) as usize;
        if len < 4 || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(ParseError::BadLength));
        }
        let c = RawChunk {
            ty: self.rest[0],
            flags: self.rest[1],
            value: &self.rest[4..len],
        };
        let adv = pad4(len).min(self.rest.len());
        self.rest = &self.rest[adv..];
        Some(Ok(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::Chunk;

    /// RFC 3720 B.4 / RFC 9260 test vector: CRC32c of 32 zero bytes.
    #[test]
    fn crc32c_known_vector() {
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8A91_36AA);
    }

    #[test]
    fn header_checksum_and_chunks() {
        let mut p = [0u8; 64];
        CommonHeader {
            src_port: 5000,
            dst_port: 5001,
            vtag: 42,
            checksum: 0,
        }
        .write(&mut p)
        .unwrap();
        let mut n = COMMON_HEADER_LEN;
        n += Chunk::CookieAck.write(&mut p[n..]).unwrap();
        n += Chunk::Shutdown { cum_tsn: 3 }.write(&mut p[n..]).unwrap();
        set_checksum(&mut p[..n]);
        assert!(checksum_ok(&p[..n]));
        let h = CommonHeader::parse(&p[..n]).unwrap();
        assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 5001, 42));
        let chunks: Vec<_> = RawChunks::new(&p[..n])
            .map(|c| c.unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            chunks,
            vec![Chunk::CookieAck, Chunk::Shutdown { cum_tsn: 3 }]
        );
        p[20] ^= 1;
        assert!(!checksum_ok(&p[..n]));
    }

    #[test]
    fn truncated_chunk_is_an_error() {
        let mut p = [0u8; 20];
        p[12] = 1;
        p[15] = 200;
        let mut it = RawChunks::new(&p);
        assert_eq!(it.next(), Some(Err(ParseError::BadLength)));
        assert_eq!(it.next(), None);
        assert!(CommonHeader::parse(&p[..11]).is_err());
    }
}
