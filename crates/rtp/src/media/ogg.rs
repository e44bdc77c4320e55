//! Ogg Opus files (RFC 7845 on the Ogg container, RFC 3533).
//!
//! Page layout: `"OggS" | version | flags | granule (i64 LE) | serial | page
//! sequence | CRC-32 | segment count | segment table | data`. Packets are cut
//! into 255-byte lacing segments; a segment shorter than 255 ends a packet.
//! The first packet is `OpusHead`, the second `OpusTags`; granule positions
//! count 48 kHz samples including the pre-skip.

use std::io::{self, Read, Write};

use super::{invalid, read_full};

const FLAG_CONTINUED: u8 = 0x01;
const FLAG_BOS: u8 = 0x02;
const FLAG_EOS: u8 = 0x04;

/// Largest packet accepted when reading.
const MAX_PACKET: usize = 1 << 20;

/// Ogg's CRC-32: polynomial 0x04c11db7, initial 0, no reflection.
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut r = (i as u32) << 24;
            for _ in 0..8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04c1_1db7
                } else {
                    r << 1
                };
            }
            *e = r;
        }
        t
    });
    data.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ t[((crc >> 24) as u8 ^ b) as usize]
    })
}

/// Samples (at 48 kHz) in an Opus packet, from its TOC byte (RFC 6716 §3.1).
pub fn opus_packet_samples(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // frame duration in units of 2.5 ms
    let units = match config {
        0..=11 => [4, 8, 16, 24][(config % 4) as usize],
        12..=15 => [4, 8][(config % 2) as usize],
        _ => [1, 2, 4, 8][(config % 4) as usize],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => (*packet.get(1)? & 0x3f) as u32,
    };
    Some(units * 120 * frames)
}

/// The `OpusHead` identification header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    /// Channels (1 or 2 for mapping family 0).
    pub channels: u8,
    /// Samples at 48 kHz to drop at the start.
    pub pre_skip: u16,
    /// Sample rate of the original input (informational).
    pub input_sample_rate: u32,
    /// Output gain in Q7.8 dB.
    pub output_gain: i16,
}

impl OpusHead {
    fn to_bytes(self) -> Vec<u8> {
        let mut v = b"OpusHead".to_vec();
        v.push(1);
        v.push(self.channels);
        v.extend_from_slice(&self.pre_skip.to_le_bytes());
        v.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        v.extend_from_slice(&self.output_gain.to_le_bytes());
        v.push(0); // channel mapping family 0
        v
    }
    fn parse(p: &[u8]) -> io::Result<Self> {
        if p.len() < 19 || &p[..8] != b"OpusHead" || p[8] >> 4 != 0 {
            return Err(invalid("not an OpusHead packet"));
        }
        Ok(OpusHead {
            channels: p[9],
            pre_skip: u16::from_le_bytes([p[10], p[11]]),
            input_sample_rate: u32::from_le_bytes([p[12], p[13], p[14], p[15]]),
            output_gain: i16::from_le_bytes([p[16], p[17]]),
        })
    }
}

/// Writes an Ogg Opus file, one Opus packet per page.
#[derive(Debug)]
pub struct OggOpusWriter<W> {
    w: W,
    serial: u32,
    page_seq: u32,
    granule: u64,
    page: Vec<u8>,
    /// The last packet, held so that `finish` can mark its page end-of-stream
    /// (an empty end-of-stream packet is not valid Opus: decoders reject it).
    pending: Option<(Vec<u8>, u64)>,
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the `OpusHead` and `OpusTags` pages.
    pub fn new(w: W, head: OpusHead, serial: u32) -> io::Result<Self> {
        let mut s = OggOpusWriter {
            w,
            serial,
            page_seq: 0,
            granule: head.pre_skip as u64,
            page: Vec::new(),
            pending: None,
        };
        s.write_page(&head.to_bytes(), 0, FLAG_BOS)?;
        let mut tags = b"OpusTags".to_vec();
        let vendor = b"rtcpeer";
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes());
        s.write_page(&tags, 0, 0)?;
        Ok(s)
    }

    fn write_page(&mut self, packet: &[u8], granule: u64, flags: u8) -> io::Result<()> {
        let segments = packet.len() / 255 + 1;
        if segments > 255 {
            return Err(invalid("packet too large for one Ogg page"));
        }
        let p = &mut self.page;
        p.clear();
        p.extend_from_slice(b"OggS");
        p.push(0);
        p.push(flags);
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&self.serial.to_le_bytes());
        p.extend_from_slice(&self.page_seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(segments as u8);
        for i in 0..segments {
            p.push(if i + 1 < segments {
                255
            } else {
                (packet.len() % 255) as u8
            });
        }
        p.extend_from_slice(packet);
        let crc = crc32(p);
        p[22..26].copy_from_slice(&crc.to_le_bytes());
        self.page_seq += 1;
        self.w.write_all(&self.page)
    }

    /// Appends an Opus packet lasting `samples` (48 kHz); see [`opus_packet_samples`].
    pub fn write_packet(&mut self, packet: &[u8], samples: u32) -> io::Result<()> {
        self.granule += samples as u64;
        if let Some((p, g)) = self.pending.take() {
            self.write_page(&p, g, 0)?;
        }
        self.pending = Some((packet.to_vec(), self.granule));
        Ok(())
    }

    /// Appends an Opus packet, taking its duration from its TOC byte.
    pub fn write_opus(&mut self, packet: &[u8]) -> io::Result<()> {
        let samples = opus_packet_samples(packet).ok_or_else(|| invalid("empty Opus packet"))?;
        self.write_packet(packet, samples)
    }

    /// Writes an end-of-stream page and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        match self.pending.take() {
            Some((p, g)) => self.write_page(&p, g, FLAG_EOS)?,
            None => {
                let g = self.granule;
                self.write_page(&[], g, FLAG_EOS)?
            }
        }
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Reads an Ogg Opus file packet by packet (single logical stream).
#[derive(Debug)]
pub struct OggOpusReader<R> {
    r: R,
    head: OpusHead,
    /// Packets of the current page not yet returned, and the page granule.
    queue: std::collections::VecDeque<(Vec<u8>, u64)>,
    partial: Vec<u8>,
    eos: bool,
}

impl<R: Read> OggOpusReader<R> {
    /// Reads the `OpusHead` and `OpusTags` headers.
    pub fn new(r: R) -> io::Result<Self> {
        let mut s = OggOpusReader {
            r,
            head: OpusHead {
                channels: 0,
                pre_skip: 0,
                input_sample_rate: 0,
                output_gain: 0,
            },
            queue: Default::default(),
            partial: Vec::new(),
            eos: false,
        };
        let (head, _) = s.next_raw()?.ok_or_else(|| invalid("no OpusHead"))?;
        s.head = OpusHead::parse(&head)?;
        let (tags, _) = s.next_raw()?.ok_or_else(|| invalid("no OpusTags"))?;
        if tags.len() < 8 || &tags[..8] != b"OpusTags" {
            return Err(invalid("not an OpusTags packet"));
        }
        Ok(s)
    }

    /// The identification header.
    pub fn head(&self) -> OpusHead {
        self.head
    }

    fn read_page(&mut self) -> io::Result<bool> {
        let mut h = [0u8; 27];
        if !read_full(&mut self.r, &mut h)? {
            return Ok(false);
        }
        if &h[..4] != b"OggS" || h[4] != 0 {
            return Err(invalid("not an Ogg page"));
        }
        let flags = h[5];
        let granule = u64::from_le_bytes(h[6..14].try_into().expect("8 bytes"));
        let mut table = vec![0u8; h[26] as usize];
        if !read_full(&mut self.r, &mut table)? && !table.is_empty() {
            return Err(invalid("Ogg page truncated"));
        }
        let len: usize = table.iter().map(|&l| l as usize).sum();
        let mut data = vec![0u8; len];
        if !read_full(&mut self.r, &mut data)? && len > 0 {
            return Err(invalid("Ogg page truncated"));
        }
        let mut check = h.to_vec();
        check[22..26].fill(0);
        check.extend_from_slice(&table);
        check.extend_from_slice(&data);
        if crc32(&check) != u32::from_le_bytes([h[22], h[23], h[24], h[25]]) {
            return Err(invalid("Ogg CRC mismatch"));
        }
        if flags & FLAG_CONTINUED == 0 {
            self.partial.clear();
        }
        let mut p = 0;
        for &l in &table {
            self.partial.extend_from_slice(&data[p..p + l as usize]);
            p += l as usize;
            if self.partial.len() > MAX_PACKET {
                return Err(invalid("Ogg packet too large"));
            }
            if l < 255 {
                self.queue
                    .push_back((std::mem::take(&mut self.partial), granule));
            }
        }
        if flags & FLAG_EOS != 0 {
            self.eos = true;
        }
        Ok(true)
    }

    fn next_raw(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        loop {
            if let Some(x) = self.queue.pop_front() {
                return Ok(Some(x));
            }
            if self.eos || !self.read_page()? {
                return Ok(None);
            }
        }
    }

    /// The next Opus packet and the granule position of the page it ended on.
    pub fn next_packet(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        loop {
            match self.next_raw()? {
                Some((p, _)) if p.is_empty() => continue,
                other => return Ok(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_known_value() {
        // CRC-32/MPEG-2 style with init 0 ("CRC-32/BZIP2" without reflection/xor) of "123456789".
        assert_eq!(crc32(b"123456789"), 0x89a1_897f);
    }

    #[test]
    fn opus_durations() {
        assert_eq!(opus_packet_samples(&[0xf8]), Some(960)); // CELT 20 ms, 1 frame
        assert_eq!(opus_packet_samples(&[0x79]), Some(1920)); // hybrid config 15 (20 ms), code 1: 2 frames
        assert_eq!(opus_packet_samples(&[0x1b, 0x03]), Some(3 * 2880)); // SILK 60 ms, code 3, 3 frames
        assert_eq!(opus_packet_samples(&[]), None);
    }

    #[test]
    fn write_then_read_with_large_packets() {
        let head = OpusHead {
            channels: 2,
            pre_skip: 312,
            input_sample_rate: 48_000,
            output_gain: 0,
        };
        let mut w = OggOpusWriter::new(Vec::new(), head, 0x1234).unwrap();
        let packets: Vec<Vec<u8>> = vec![
            vec![0xf8, 1, 2],
            vec![0xfc; 600],
            vec![0xf8; 255],
            vec![0xf8; 510],
        ];
        for p in &packets {
            w.write_opus(p).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut r = OggOpusReader::new(&bytes[..]).unwrap();
        assert_eq!(r.head(), head);
        let mut granules = Vec::new();
        for p in &packets {
            let (got, g) = r.next_packet().unwrap().unwrap();
            assert_eq!(&got, p);
            granules.push(g);
        }
        assert_eq!(
            granules,
            vec![312 + 960, 312 + 1920, 312 + 2880, 312 + 3840]
        );
        assert_eq!(r.next_packet().unwrap(), None);
    }

    #[test]
    fn corrupted_page_is_rejected() {
        let head = OpusHead {
            channels: 1,
            pre_skip: 0,
            input_sample_rate: 48_000,
            output_gain: 0,
        };
        let mut w = OggOpusWriter::new(Vec::new(), head, 1).unwrap();
        w.write_opus(&[0xf8, 9, 9]).unwrap();
        let mut bytes = w.finish().unwrap();
        let n = bytes.len();
        bytes[n - 30] ^= 0x40;
        let mut r = OggOpusReader::new(&bytes[..]).unwrap();
        assert!(r.next_packet().is_err());
        assert!(OggOpusReader::new(&b"OggS"[..]).is_err());
    }
}
