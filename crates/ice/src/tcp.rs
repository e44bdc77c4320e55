//! RFC 4571 framing for ICE-TCP (RFC 6544): each STUN or application packet
//! on a TCP connection is preceded by its 16-bit big-endian length. The agent
//! works on whole frames; the async layer uses these helpers on the stream.

/// Appends `packet` framed with its 2-byte length. Packets over 65535 bytes
/// cannot be framed and are refused (returns `false`).
pub fn frame(packet: &[u8], out: &mut Vec<u8>) -> bool {
    let Ok(len) = u16::try_from(packet.len()) else {
        return false;
    };
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(packet);
    true
}

/// Reassembles frames from TCP stream chunks.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, if one is buffered.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        let rest = &self.buf[self.start..];
        if rest.len() < 2 {
            return None;
        }
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        if rest.len() < 2 + len {
            return None;
        }
        let s = self.start + 2;
        self.start = s + len;
        if self.start > 1 << 16 {
            // Compact so the buffer does not grow without bound.
            self.buf.drain(..s - 2);
            self.start -= s - 2;
            let s = 2;
            return Some(&self.buf[s..s + len]);
        }
        Some(&self.buf[s..s + len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_across_reads_reassemble() {
        let mut stream = Vec::new();
        assert!(frame(b"hello", &mut stream));
        assert!(frame(b"", &mut stream));
        assert!(frame(&[7u8; 300], &mut stream));
        let mut d = FrameDecoder::new();
        let mut got = Vec::new();
        for chunk in stream.chunks(3) {
            d.push(chunk);
            while let Some(f) = d.next_frame() {
                got.push(f.to_vec());
            }
        }
        assert_eq!(got, vec![b"hello".to_vec(), Vec::new(), vec![7u8; 300]]);
        assert!(!frame(&vec![0u8; 70_000], &mut stream));
    }
}
