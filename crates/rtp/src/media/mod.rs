//! Media files for feeding and recording tracks: IVF (VP8/VP9/AV1 frames),
//! Ogg Opus, and H264 Annex B elementary streams.
//!
//! Readers and writers work over any `std::io::Read`/`Write`; malformed
//! files give `io::ErrorKind::InvalidData`, never a panic.

mod annexb;
mod ivf;
mod ogg;

pub use annexb::H264Reader;
pub use ivf::{IvfFrame, IvfHeader, IvfReader, IvfWriter};
pub use ogg::{opus_packet_samples, OggOpusReader, OggOpusWriter, OpusHead};

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` at a clean end of input before any byte.
fn read_full(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "truncated",
                ))
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
