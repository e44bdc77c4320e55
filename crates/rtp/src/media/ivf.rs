//! IVF container: a 32-byte file header, then frames of
//! `size (u32 LE) | timestamp (u64 LE) | data`.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::{invalid, read_full};

/// Largest frame accepted when reading (guards allocations on hostile files).
const MAX_FRAME: usize = 64 << 20;

/// The IVF file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvfHeader {
    /// Codec: `*b"VP80"`, `*b"VP90"` or `*b"AV01"`.
    pub fourcc: [u8; 4],
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Time base denominator (for example 30 for 1/30 s, or 90000).
    pub timebase_den: u32,
    /// Time base numerator.
    pub timebase_num: u32,
    /// Number of frames (as written in the header).
    pub frame_count: u32,
}

impl IvfHeader {
    fn to_bytes(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..4].copy_from_slice(b"DKIF");
        b[6..8].copy_from_slice(&32u16.to_le_bytes());
        b[8..12].copy_from_slice(&self.fourcc);
        b[12..14].copy_from_slice(&self.width.to_le_bytes());
        b[14..16].copy_from_slice(&self.height.to_le_bytes());
        b[16..20].copy_from_slice(&self.timebase_den.to_le_bytes());
        b[20..24].copy_from_slice(&self.timebase_num.to_le_bytes());
        b[24..28].copy_from_slice(&self.frame_count.to_le_bytes());
        b
    }
}

/// One IVF frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfFrame {
    /// Presentation timestamp in time base units.
    pub timestamp: u64,
    /// Frame bytes.
    pub data: Vec<u8>,
}

/// Reads IVF files.
#[derive(Debug)]
pub struct IvfReader<R> {
    r: R,
    header: IvfHeader,
}

impl<R: Read> IvfReader<R> {
    /// Reads and checks the file header.
    pub fn new(mut r: R) -> io::Result<Self> {
        let mut b = [0u8; 32];
        if !read_full(&mut r, &mut b)? || &b[0..4] != b"DKIF" {
            return Err(invalid("not an IVF file"));
        }
        let header_len = u16::from_le_bytes([b[6], b[7]]) as usize;
        if header_len < 32 {
            return Err(invalid("IVF header length"));
        }
        // skip any extra header bytes
        io::copy(
            &mut (&mut r).take((header_len - 32) as u64),
            &mut io::sink(),
        )?;
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let header = IvfHeader {
            fourcc: [b[8], b[9], b[10], b[11]],
            width: u16::from_le_bytes([b[12], b[13]]),
            height: u16::from_le_bytes([b[14], b[15]]),
            timebase_den: u32_at(16),
            timebase_num: u32_at(20),
            frame_count: u32_at(24),
        };
        Ok(IvfReader { r, header })
    }
    /// The file header.
    pub fn header(&self) -> IvfHeader {
        self.header
    }
    /// The next frame, or `None` at the end of the file.
    pub fn next_frame(&mut self) -> io::Result<Option<IvfFrame>> {
        let mut h = [0u8; 12];
        if !read_full(&mut self.r, &mut h)? {
            return Ok(None);
        }
        let size = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if size > MAX_FRAME {
            return Err(invalid("IVF frame too large"));
        }
        let timestamp = u64::from_le_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]);
        let mut data = vec![0; size];
        if !read_full(&mut self.r, &mut data)? && size > 0 {
            return Err(invalid("IVF frame truncated"));
        }
        Ok(Some(IvfFrame { timestamp, data }))
    }
}

/// Writes IVF files.
#[derive(Debug)]
pub struct IvfWriter<W> {
    w: W,
    frames: u32,
}

impl<W: Write> IvfWriter<W> {
    /// Writes the file header (its frame count is fixed up by [`Self::finish_seekable`]).
    pub fn new(mut w: W, header: IvfHeader) -> io::Result<Self> {
        w.write_all(&header.to_bytes())?;
        Ok(IvfWriter { w, frames: 0 })
    }
    /// Appends one frame.
    pub fn write_frame(&mut self, timestamp: u64, data: &[u8]) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| invalid("frame too large"))?;
        self.w.write_all(&size.to_le_bytes())?;
        self.w.write_all(&timestamp.to_le_bytes())?;
        self.w.write_all(data)?;
        self.frames += 1;
        Ok(())
    }
    /// Frames written so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }
    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

impl<W: Write + Seek> IvfWriter<W> {
    /// Writes the frame count into the header, flushes and returns the writer.
    pub fn finish_seekable(mut self) -> io::Result<W> {
        let end = self.w.stream_position()?;
        self.w.seek(SeekFrom::Start(24))?;
        self.w.write_all(&self.frames.to_le_bytes())?;
        self.w.seek(SeekFrom::Start(end))?;
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn write_then_read() {
        let header = IvfHeader {
            fourcc: *b"VP80",
            width: 640,
            height: 480,
            timebase_den: 30,
            timebase_num: 1,
            frame_count: 0,
        };
        let mut w = IvfWriter::new(Cursor::new(Vec::new()), header).unwrap();
        w.write_frame(0, &[1, 2, 3]).unwrap();
        w.write_frame(1, &[]).unwrap();
        w.write_frame(2, &[9; 1000]).unwrap();
        let bytes = w.finish_seekable().unwrap().into_inner();
        let mut r = IvfReader::new(&bytes[..]).unwrap();
        assert_eq!(
            r.header(),
            IvfHeader {
                frame_count: 3,
                ..header
            }
        );
        assert_eq!(
            r.next_frame().unwrap(),
            Some(IvfFrame {
                timestamp: 0,
                data: vec![1, 2, 3]
            })
        );
        assert_eq!(r.next_frame().unwrap().unwrap().data, Vec::<u8>::new());
        assert_eq!(r.next_frame().unwrap().unwrap().data.len(), 1000);
        assert_eq!(r.next_frame().unwrap(), None);
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert!(IvfReader::new(&b"RIFF...."[..]).is_err());
        let header = IvfHeader {
            fourcc: *b"AV01",
            width: 1,
            height: 1,
            timebase_den: 1,
            timebase_num: 1,
            frame_count: 0,
        };
        let mut w = IvfWriter::new(Vec::new(), header).unwrap();
        w.write_frame(0, &[1; 50]).unwrap();
        let bytes = w.finish().unwrap();
        let mut r = IvfReader::new(&bytes[..bytes.len() - 10]).unwrap();
        assert!(r.next_frame().is_err());
        let mut huge = bytes[..32].to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0; 8]);
        assert!(IvfReader::new(&huge[..]).unwrap().next_frame().is_err());
    }
}
