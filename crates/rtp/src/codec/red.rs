//! Redundant audio data (RFC 2198), as browsers negotiate `red/48000/2` for Opus.
//!
//! ```text
//! redundant block header: |1| block PT | timestamp offset (14) | block length (10) |
//! primary block header:   |0| block PT |
//! then the redundant blocks' data in order, then the primary data
//! ```

use crate::Error;

/// One block of a RED payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedBlock<'a> {
    /// Payload type of the block's data.
    pub payload_type: u8,
    /// How much earlier than the packet's timestamp this block's data was
    /// (0 for the primary block).
    pub timestamp_offset: u16,
    /// The encoded data.
    pub data: &'a [u8],
}

/// Splits a RED payload into its blocks, oldest first, primary last.
pub fn parse_red(payload: &[u8]) -> Result<Vec<RedBlock<'_>>, Error> {
    let mut headers = Vec::new();
    let mut p = 0;
    loop {
        let b = *payload.get(p).ok_or(Error::Truncated)?;
        if b & 0x80 == 0 {
            headers.push((b & 0x7f, 0u16, None));
            p += 1;
            break;
        }
        let h = payload.get(p..p + 4).ok_or(Error::Truncated)?;
        let offset = ((h[1] as u16) << 6) | (h[2] >> 2) as u16;
        let len = (((h[2] & 0x03) as usize) << 8) | h[3] as usize;
        headers.push((b & 0x7f, offset, Some(len)));
        p += 4;
    }
    let mut out = Vec::with_capacity(headers.len());
    for (pt, offset, len) in headers {
        let len = len.unwrap_or(payload.len().saturating_sub(p));
        let data = payload.get(p..p + len).ok_or(Error::Truncated)?;
        p += len;
        out.push(RedBlock {
            payload_type: pt,
            timestamp_offset: offset,
            data,
        });
    }
    Ok(out)
}

/// Builds a RED payload from redundant blocks (oldest first) and the primary block.
pub fn build_red(
    redundant: &[RedBlock<'_>],
    primary_pt: u8,
    primary: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(
        1 + 4 * redundant.len()
            + primary.len()
            + redundant.iter().map(|b| b.data.len()).sum::<usize>(),
    );
    for b in redundant {
        if b.data.len() > 0x3ff || b.timestamp_offset > 0x3fff {
            return Err(Error::TooLarge);
        }
        out.push(0x80 | (b.payload_type & 0x7f));
        out.push((b.timestamp_offset >> 6) as u8);
        out.push(((b.timestamp_offset as u8 & 0x3f) << 2) | (b.data.len() >> 8) as u8);
        out.push(b.data.len() as u8);
    }
    out.push(primary_pt & 0x7f);
    for b in redundant {
        out.extend_from_slice(b.data);
    }
    out.extend_from_slice(primary);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_known_layout() {
        let red = [RedBlock {
            payload_type: 111,
            timestamp_offset: 960,
            data: &[1, 2, 3],
        }];
        let p = build_red(&red, 111, &[9, 9]).unwrap();
        assert_eq!(p, vec![0xef, 0x0f, 0x00, 0x03, 0x6f, 1, 2, 3, 9, 9]);
        let blocks = parse_red(&p).unwrap();
        assert_eq!(
            blocks,
            vec![
                red[0],
                RedBlock {
                    payload_type: 111,
                    timestamp_offset: 0,
                    data: &[9, 9]
                }
            ]
        );
    }

    #[test]
    fn rejects_truncated_and_oversized() {
        assert!(parse_red(&[]).is_err());
        assert!(parse_red(&[0xef, 0x0f]).is_err());
        assert!(parse_red(&[0xef, 0x0f, 0x00, 0x10, 0x6f, 1]).is_err());
        let big = [0u8; 2000];
        assert!(build_red(
            &[RedBlock {
                payload_type: 1,
                timestamp_offset: 0,
                data: &big
            }],
            1,
            &[]
        )
        .is_err());
        // primary only
        assert_eq!(
            parse_red(&[0x6f, 5]).unwrap(),
            vec![RedBlock {
                payload_type: 111,
                timestamp_offset: 0,
                data: &[5]
            }]
        );
    }
}
