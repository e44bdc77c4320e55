//! Extended reports (RFC 3611): receiver reference time (RRTR) and DLRR blocks
//! are decoded; other block types are kept as raw bytes.

use super::{Reader, Writer};
use crate::Error;

/// One DLRR sub-block: the reply to a receiver's RRTR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DlrrItem {
    /// The receiver that sent the RRTR.
    pub ssrc: u32,
    /// Middle 32 bits of its RRTR NTP time.
    pub last_rr: u32,
    /// Delay since that RRTR in 1/65536 s.
    pub delay_since_last_rr: u32,
}

/// One XR report block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XrBlock {
    /// Receiver reference time (BT 4): an NTP timestamp.
    ReceiverReferenceTime {
        /// 64-bit NTP time.
        ntp_time: u64,
    },
    /// DLRR (BT 5).
    Dlrr(Vec<DlrrItem>),
    /// Any other block type.
    Other {
        /// Block type.
        block_type: u8,
        /// Type-specific byte.
        type_specific: u8,
        /// Block contents (multiple of 4 bytes).
        data: Vec<u8>,
    },
}

/// Extended report packet (PT 207).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtendedReport {
    /// Sender of the report.
    pub ssrc: u32,
    /// Report blocks.
    pub blocks: Vec<XrBlock>,
}

impl XrBlock {
    fn len(&self) -> usize {
        4 + match self {
            XrBlock::ReceiverReferenceTime { .. } => 8,
            XrBlock::Dlrr(items) => 12 * items.len(),
            XrBlock::Other { data, .. } => data.len() / 4 * 4,
        }
    }
}

impl ExtendedReport {
    pub(super) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let ssrc = r.u32()?;
        let mut blocks = Vec::new();
        while r.remaining() >= 4 {
            let bt = r.u8()?;
            let ts = r.u8()?;
            let len = r.u16()? as usize * 4;
            let mut b = Reader::new(r.bytes(len)?);
            blocks.push(match bt {
                4 => XrBlock::ReceiverReferenceTime { ntp_time: b.u64()? },
                5 => {
                    let mut items = Vec::new();
                    while b.remaining() >= 12 {
                        items.push(DlrrItem {
                            ssrc: b.u32()?,
                            last_rr: b.u32()?,
                            delay_since_last_rr: b.u32()?,
                        });
                    }
                    XrBlock::Dlrr(items)
                }
                _ => XrBlock::Other {
                    block_type: bt,
                    type_specific: ts,
                    data: b.rest().to_vec(),
                },
            });
        }
        Ok(ExtendedReport { ssrc, blocks })
    }
    pub(super) fn body_len(&self) -> usize {
        4 + self.blocks.iter().map(XrBlock::len).sum::<usize>()
    }
    pub(super) fn write_body(&self, w: &mut Writer) {
        w.u32(self.ssrc);
        for b in &self.blocks {
            let words = ((b.len() - 4) / 4) as u16;
            match b {
                XrBlock::ReceiverReferenceTime { ntp_time } => {
                    w.u8(4);
                    w.u8(0);
                    w.u16(words);
                    w.u64(*ntp_time);
                }
                XrBlock::Dlrr(items) => {
                    w.u8(5);
                    w.u8(0);
                    w.u16(words);
                    for i in items {
                        w.u32(i.ssrc);
                        w.u32(i.last_rr);
                        w.u32(i.delay_since_last_rr);
                    }
                }
                XrBlock::Other {
                    block_type,
                    type_specific,
                    data,
                } => {
                    w.u8(*block_type);
                    w.u8(*type_specific);
                    w.u16(words);
                    w.bytes(&data[..data.len() / 4 * 4]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn xr_round_trip() {
        let xr = ExtendedReport {
            ssrc: 5,
            blocks: vec![
                XrBlock::ReceiverReferenceTime {
                    ntp_time: 0x0102030405060708,
                },
                XrBlock::Dlrr(vec![DlrrItem {
                    ssrc: 1,
                    last_rr: 2,
                    delay_since_last_rr: 3,
                }]),
                XrBlock::Other {
                    block_type: 42,
                    type_specific: 1,
                    data: vec![9, 9, 9, 9],
                },
            ],
        };
        let b = to_bytes(&[RtcpPacket::ExtendedReport(xr.clone())]).unwrap();
        assert_eq!(
            parse_compound(&b).unwrap(),
            vec![RtcpPacket::ExtendedReport(xr)]
        );
    }
}
