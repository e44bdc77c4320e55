//! Stream framing helpers for the async layer.
//!
//! - ICE-TCP (RFC 6544) uses RFC 4571: each STUN or application packet on a
//!   TCP connection to the peer is preceded by its 16-bit big-endian length
//!   ([`frame`], [`FrameDecoder`]).
//! - TURN over TCP (RFC 8656 §12.5) has no prefix: STUN messages carry their
//!   length, and ChannelData is padded to 4 bytes ([`turn_frame_len`]).
//!
//! The agent always works on whole frames.

/// Length of the complete TURN-over-TCP message (STUN or padded ChannelData)
/// at the start of `stream`, or `None` until enough header bytes are there
/// or if the bytes are neither (the connection should then be closed).
pub fn turn_frame_len(stream: &[u8]) -> Option<usize> {
    match stream.first()? {
        0..=3 => rtcpeer_stun::Message::frame_len(stream),
        64..=79 => rtcpeer_stun::ChannelData::frame_len(stream),
        _ => None,
    }
}

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

    #[test]
    fn turn_stream_messages_delimit_themselves() {
        let mut stream = Vec::new();
        rtcpeer_stun::ChannelData::encode(0x4000, b"abcde", true, &mut stream);
        let msg = rtcpeer_stun::Message::new(
            rtcpeer_stun::Class::Indication,
            rtcpeer_stun::Method::Send,
            rtcpeer_stun::TransactionId::from_bytes([0; 12]),
        );
        let stun_len = msg.encode(None, true, &mut stream);
        assert_eq!(turn_frame_len(&stream), Some(12));
        assert_eq!(turn_frame_len(&stream[12..]), Some(stun_len));
        assert_eq!(turn_frame_len(&stream[..2]), None);
        assert_eq!(turn_frame_len(&[0x80, 0, 0, 0]), None);
    }
}
