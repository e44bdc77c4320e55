//! TURN ChannelData framing (RFC 8656 §12.4): a 4-byte header (channel
//! number, length) and the application data, padded to 4 bytes over TCP.

use crate::DecodeError;

/// A ChannelData message borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// Channel number, 0x4000..=0x4FFF.
    pub channel: u16,
    /// The application data.
    pub data: &'a [u8],
}

/// The valid channel number range (RFC 8656 §12).
pub const CHANNEL_RANGE: std::ops::RangeInclusive<u16> = 0x4000..=0x4FFF;

impl<'a> ChannelData<'a> {
    /// Decodes a ChannelData datagram. Trailing padding (TCP, or UDP senders
    /// that pad) after the announced length is accepted and ignored.
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < 4 {
            return Err(DecodeError::BadChannelData);
        }
        let channel = u16::from_be_bytes([buf[0], buf[1]]);
        if !CHANNEL_RANGE.contains(&channel) {
            return Err(DecodeError::BadChannelData);
        }
        let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
        let data = buf.get(4..4 + len).ok_or(DecodeError::BadChannelData)?;
        Ok(ChannelData { channel, data })
    }

    /// Length of a complete ChannelData frame at the start of a TCP byte
    /// stream (padded to 4 bytes), or `None` if the header is incomplete.
    pub fn frame_len(stream: &[u8]) -> Option<usize> {
        if stream.len() < 4 {
            return None;
        }
        let len = u16::from_be_bytes([stream[2], stream[3]]) as usize;
        Some(4 + ((len + 3) & !3))
    }

    /// Appends the framed message to `out`; `pad` adds the zero padding
    /// required over TCP. Data longer than 65535 bytes is cut to fit.
    pub fn encode(channel: u16, data: &[u8], pad: bool, out: &mut Vec<u8>) {
        let data = &data[..data.len().min(u16::MAX as usize)];
        out.extend_from_slice(&channel.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
        if pad {
            out.resize(out.len() + ((data.len() + 3) & !3) - data.len(), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_padding() {
        for pad in [false, true] {
            let mut out = Vec::new();
            ChannelData::encode(0x4001, b"abcde", pad, &mut out);
            assert_eq!(out.len(), if pad { 12 } else { 9 });
            assert_eq!(ChannelData::frame_len(&out), Some(12));
            let cd = ChannelData::decode(&out).unwrap();
            assert_eq!(
                cd,
                ChannelData {
                    channel: 0x4001,
                    data: b"abcde"
                }
            );
        }
    }

    #[test]
    fn rejects_bad_channel_and_short_data() {
        assert!(ChannelData::decode(&[0x3f, 0xff, 0, 0]).is_err());
        assert!(ChannelData::decode(&[0x50, 0x00, 0, 0]).is_err());
        assert!(ChannelData::decode(&[0x40, 0x00, 0, 5, 1, 2]).is_err());
        assert!(ChannelData::decode(&[0x40]).is_err());
    }
}
