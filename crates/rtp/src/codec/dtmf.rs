//! DTMF over RTP: the `telephone-event` payload (RFC 4733 §2.3), for
//! `RTCDTMFSender`.
//!
//! ```text
//! |     event     |E|R| volume    |          duration             |
//! ```
//! One tone is sent as packets sharing the RTP timestamp of its start: the
//! first with the marker bit, then updates with the growing duration, and the
//! last three with E (end) set.

use crate::Error;

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    /// Event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`.
    pub event: u8,
    /// E bit: the tone has ended.
    pub end: bool,
    /// Volume in −dBm0 (0..=63).
    pub volume: u8,
    /// Duration so far in RTP timestamp units.
    pub duration: u16,
}

impl DtmfEvent {
    /// The 4-byte payload.
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
    /// Parses a payload (extra bytes, such as further events, are ignored).
    pub fn parse(p: &[u8]) -> Result<Self, Error> {
        if p.len() < 4 {
            return Err(Error::Truncated);
        }
        Ok(DtmfEvent {
            event: p[0],
            end: p[1] & 0x80 != 0,
            volume: p[1] & 0x3f,
            duration: u16::from_be_bytes([p[2], p[3]]),
        })
    }
}

/// The event code of a DTMF tone character (`0-9`, `*`, `#`, `A-D`, case-insensitive).
pub fn dtmf_event_code(tone: char) -> Option<u8> {
    Some(match tone.to_ascii_uppercase() {
        c @ '0'..='9' => c as u8 - b'0',
        '*' => 10,
        '#' => 11,
        c @ 'A'..='D' => 12 + (c as u8 - b'A'),
        _ => return None,
    })
}

/// The payloads of one tone lasting `duration_ms`, one every `packet_ms`
/// (typically 50), at `clock_rate` (typically 8000). Each item is
/// `(marker, payload)`; all share the tone's start timestamp. The end packet
/// is sent three times, as RFC 4733 §2.5.1.4 recommends.
pub fn tone_payloads(
    event: u8,
    volume: u8,
    duration_ms: u32,
    packet_ms: u32,
    clock_rate: u32,
) -> Vec<(bool, [u8; 4])> {
    let packet_ms = packet_ms.max(1);
    let ticks = |ms: u32| ((ms as u64 * clock_rate as u64 / 1000).min(u16::MAX as u64)) as u16;
    let mut out = Vec::new();
    let mut t = packet_ms;
    while t < duration_ms {
        let e = DtmfEvent {
            event,
            end: false,
            volume,
            duration: ticks(t),
        };
        out.push((out.is_empty(), e.to_bytes()));
        t += packet_ms;
    }
    let end = DtmfEvent {
        event,
        end: true,
        volume,
        duration: ticks(duration_ms),
    };
    for _ in 0..3 {
        out.push((out.is_empty(), end.to_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_round_trip() {
        assert_eq!(dtmf_event_code('5'), Some(5));
        assert_eq!(dtmf_event_code('#'), Some(11));
        assert_eq!(dtmf_event_code('d'), Some(15));
        assert_eq!(dtmf_event_code('x'), None);
        let e = DtmfEvent {
            event: 11,
            end: true,
            volume: 10,
            duration: 800,
        };
        assert_eq!(e.to_bytes(), [11, 0x8a, 0x03, 0x20]);
        assert_eq!(DtmfEvent::parse(&e.to_bytes()), Ok(e));
        assert!(DtmfEvent::parse(&[1, 2]).is_err());
    }

    #[test]
    fn tone_sequence() {
        let p = tone_payloads(1, 10, 100, 40, 8000);
        // updates at 40 and 80 ms, then three end packets at 100 ms
        assert_eq!(p.len(), 5);
        assert!(p[0].0 && !p[1].0);
        let ev: Vec<DtmfEvent> = p
            .iter()
            .map(|(_, b)| DtmfEvent::parse(b).unwrap())
            .collect();
        assert_eq!(
            ev.iter().map(|e| e.duration).collect::<Vec<_>>(),
            vec![320, 640, 800, 800, 800]
        );
        assert_eq!(ev.iter().filter(|e| e.end).count(), 3);
    }
}
