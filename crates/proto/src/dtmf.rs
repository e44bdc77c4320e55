//! `RTCDTMFSender` playout and telephone-event reception (sans-IO).
//!
//! [`DtmfPlayout`] is the W3C "DTMF playout task" of one sender: it takes
//! tones from the tone buffer one at a time, announces each (`tonechange`,
//! and a final empty one when the buffer runs dry) and yields the RFC 4733
//! payloads of the tone at their times; the media engine puts them on the
//! audio sender's SSRC and sequence numbers. [`DtmfDetector`] turns received
//! telephone-event packets back into tones (one per event, when it ends).

use std::time::{Duration, Instant};

use rtcpeer_rtp::codec::dtmf::{dtmf_event_code, tone_payloads, DtmfEvent};

use crate::error::{Error, ErrorKind};

/// `insertDTMF`'s default tone duration.
pub const DEFAULT_DURATION: Duration = Duration::from_millis(100);
/// `insertDTMF`'s default gap between tones.
pub const DEFAULT_GAP: Duration = Duration::from_millis(70);
/// How long a `,` in the tone buffer pauses.
pub const COMMA_PAUSE: Duration = Duration::from_secs(2);
/// Interval of telephone-event packets during a tone.
const PACKET_INTERVAL: Duration = Duration::from_millis(50);
/// Volume of our tones in −dBm0.
const VOLUME: u8 = 10;

/// Checks and normalizes `insertDTMF` arguments per W3C: the tones are
/// `0-9 A-D # * ,` (case-insensitive; uppercased), the duration is clamped
/// to 40..=6000 ms and the gap to 30..=6000 ms.
pub fn normalize(
    tones: &str,
    duration: Duration,
    gap: Duration,
) -> Result<(String, Duration, Duration), Error> {
    if let Some(c) = tones
        .chars()
        .find(|c| *c != ',' && dtmf_event_code(*c).is_none())
    {
        return Err(Error::new(
            ErrorKind::InvalidCharacterError,
            format!("{c:?} is not a DTMF tone"),
        ));
    }
    Ok((
        tones.to_ascii_uppercase(),
        duration.clamp(Duration::from_millis(40), Duration::from_millis(6000)),
        gap.clamp(Duration::from_millis(30), Duration::from_millis(6000)),
    ))
}

/// What the playout of one sender produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayoutOutput {
    /// `tonechange` with the tone now playing (`""` at the end).
    ToneChange(String),
    /// A telephone-event payload: `start` is true for the first packet of a
    /// tone (a new RTP timestamp, the marker bit). Its duration field is in
    /// milliseconds; [`rescale`] it to the negotiated clock rate.
    Packet {
        /// First packet of a tone.
        start: bool,
        /// The 4-byte payload.
        payload: [u8; 4],
    },
}

#[derive(Debug)]
struct Tone {
    start: Instant,
    duration: Duration,
    /// `(marker, payload)`, the last three being the end packets.
    payloads: Vec<(bool, [u8; 4])>,
    sent: usize,
}

impl Tone {
    fn due(&self, i: usize) -> Instant {
        let updates = self.payloads.len().saturating_sub(3);
        if i < updates {
            self.start + PACKET_INTERVAL * i as u32
        } else {
            self.start + self.duration
        }
    }
}

/// The DTMF playout of one sender. See the [module docs](self).
#[derive(Debug, Default)]
pub struct DtmfPlayout {
    buffer: String,
    duration: Duration,
    gap: Duration,
    /// When the playout task runs next (`None`: not running).
    task: Option<Instant>,
    tone: Option<Tone>,
    out: std::collections::VecDeque<PlayoutOutput>,
}

impl DtmfPlayout {
    /// `toneBuffer`.
    pub fn tone_buffer(&self) -> &str {
        &self.buffer
    }

    /// `insertDTMF` after [`normalize`]: replaces the tone buffer and starts
    /// the playout task unless it runs.
    pub fn insert(&mut self, now: Instant, tones: String, duration: Duration, gap: Duration) {
        self.buffer = tones;
        self.duration = duration;
        self.gap = gap;
        if self.buffer.is_empty() {
            return;
        }
        if self.task.is_none() {
            self.task = Some(now);
        }
    }

    /// Stops everything (the sender stopped sending).
    pub fn stop(&mut self) {
        self.buffer.clear();
        self.task = None;
        self.tone = None;
    }

    /// When [`Self::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tone = self
            .tone
            .as_ref()
            .filter(|t| t.sent < t.payloads.len())
            .map(|t| t.due(t.sent));
        match (self.task, tone) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        loop {
            let tone_due = self
                .tone
                .as_ref()
                .filter(|t| t.sent < t.payloads.len())
                .map(|t| t.due(t.sent))
                .filter(|d| *d <= now);
            let task_due = self.task.filter(|t| *t <= now);
            match (tone_due, task_due) {
                (Some(a), Some(b)) if b < a => self.run_task(now),
                (Some(_), _) => self.send_next(),
                (None, Some(_)) => self.run_task(now),
                (None, None) => break,
            }
        }
    }

    fn send_next(&mut self) {
        let Some(t) = self.tone.as_mut() else { return };
        let (start, payload) = t.payloads[t.sent];
        t.sent += 1;
        self.out.push_back(PlayoutOutput::Packet { start, payload });
    }

    /// The W3C DTMF playout task.
    fn run_task(&mut self, _now: Instant) {
        let Some(at) = self.task else { return };
        let mut chars = self.buffer.chars();
        let Some(c) = chars.next() else {
            self.task = None;
            self.out.push_back(PlayoutOutput::ToneChange(String::new()));
            return;
        };
        self.buffer = chars.as_str().to_string();
        let start = at;
        if c == ',' {
            self.task = Some(start + COMMA_PAUSE);
        } else if let Some(code) = dtmf_event_code(c) {
            let ms = self.duration.as_millis() as u32;
            // Durations in milliseconds here; the engine rescales them.
            self.tone = Some(Tone {
                start,
                duration: self.duration,
                payloads: tone_payloads(code, VOLUME, ms, 50, 1000),
                sent: 0,
            });
            self.task = Some(start + self.duration + self.gap);
        }
        self.out.push_back(PlayoutOutput::ToneChange(c.to_string()));
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<PlayoutOutput> {
        self.out.pop_front()
    }
}

/// A payload of [`PlayoutOutput::Packet`] with its duration turned from
/// milliseconds into ticks of `clock_rate` (capped at the field's 16 bits:
/// 1.36 s at 48 kHz).
pub fn rescale(payload: [u8; 4], clock_rate: u32) -> [u8; 4] {
    let ms = u16::from_be_bytes([payload[2], payload[3]]) as u64;
    let ticks = (ms * clock_rate as u64 / 1000).min(u16::MAX as u64) as u16;
    let d = ticks.to_be_bytes();
    [payload[0], payload[1], d[0], d[1]]
}

/// A tone received as telephone-events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedTone {
    /// The tone: `0-9`, `*`, `#`, `A-D` (or `?` for other events).
    pub tone: char,
    /// Its duration.
    pub duration: Duration,
    /// Its volume in −dBm0.
    pub volume: u8,
}

/// Turns telephone-event packets of one stream into tones.
#[derive(Debug, Default)]
pub struct DtmfDetector {
    /// RTP timestamp and event of the tone in progress, and its last payload.
    current: Option<(u32, DtmfEvent)>,
    /// RTP timestamp of the last tone reported.
    reported: Option<u32>,
}

impl DtmfDetector {
    /// One telephone-event payload with its RTP timestamp; returns the
    /// tones that ended. Malformed payloads are an error (count and drop).
    pub fn handle(
        &mut self,
        timestamp: u32,
        payload: &[u8],
        clock_rate: u32,
    ) -> Result<Vec<ReceivedTone>, rtcpeer_rtp::Error> {
        let e = DtmfEvent::parse(payload)?;
        let mut out = Vec::new();
        if self.reported == Some(timestamp) {
            return Ok(out); // a repeated end packet
        }
        if let Some((ts, prev)) = self.current {
            if ts != timestamp {
                // the previous tone's end packets were all lost
                out.push(tone(prev, clock_rate));
                self.reported = Some(ts);
                self.current = None;
            }
        }
        if e.end {
            out.push(tone(e, clock_rate));
            self.reported = Some(timestamp);
            self.current = None;
        } else {
            self.current = Some((timestamp, e));
        }
        Ok(out)
    }
}

fn tone(e: DtmfEvent, clock_rate: u32) -> ReceivedTone {
    const TONES: &[u8; 16] = b"0123456789*#ABCD";
    ReceivedTone {
        tone: TONES.get(e.event as usize).map_or('?', |b| *b as char),
        duration: Duration::from_micros(e.duration as u64 * 1_000_000 / clock_rate.max(1) as u64),
        volume: e.volume,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_and_clamped() {
        let (t, d, g) =
            normalize("12a#,*", Duration::from_millis(10), Duration::from_secs(9)).unwrap();
        assert_eq!(t, "12A#,*");
        assert_eq!(d, Duration::from_millis(40));
        assert_eq!(g, Duration::from_millis(6000));
        let (_, d, g) = normalize("1", Duration::from_secs(7), Duration::from_millis(1)).unwrap();
        assert_eq!(
            (d, g),
            (Duration::from_millis(6000), Duration::from_millis(30))
        );
        let e = normalize("12x", DEFAULT_DURATION, DEFAULT_GAP).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCharacterError);
    }

    fn run(p: &mut DtmfPlayout, from: Instant, until: Duration) -> Vec<(Duration, PlayoutOutput)> {
        let mut out = Vec::new();
        while let Some(t) = p.poll_timeout() {
            if t > from + until {
                break;
            }
            p.handle_timeout(t);
            while let Some(o) = p.poll_output() {
                out.push((t - from, o));
            }
        }
        out
    }

    #[test]
    fn playout_follows_the_w3c_task() {
        let now = Instant::now();
        let mut p = DtmfPlayout::default();
        p.insert(
            now,
            "1,2".into(),
            Duration::from_millis(100),
            Duration::from_millis(70),
        );
        let out = run(&mut p, now, Duration::from_secs(10));
        let changes: Vec<(u128, String)> = out
            .iter()
            .filter_map(|(t, o)| match o {
                PlayoutOutput::ToneChange(s) => Some((t.as_millis(), s.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            changes,
            vec![
                (0, "1".to_string()),
                (170, ",".to_string()),
                (2170, "2".to_string()),
                (2340, String::new())
            ]
        );
        let packets: Vec<(u128, bool)> = out
            .iter()
            .filter_map(|(t, o)| match o {
                PlayoutOutput::Packet { start, .. } => Some((t.as_millis(), *start)),
                _ => None,
            })
            .collect();
        // per tone: an update at 0 ms, three end packets at 100 ms
        assert_eq!(packets.len(), 8);
        assert_eq!(
            &packets[..4],
            &[(0, true), (100, false), (100, false), (100, false)]
        );
        assert_eq!(packets[4], (2170, true));
        assert_eq!(p.tone_buffer(), "");
        assert!(p.poll_timeout().is_none());
    }

    #[test]
    fn insert_while_playing_replaces_the_buffer() {
        let now = Instant::now();
        let mut p = DtmfPlayout::default();
        p.insert(now, "123".into(), DEFAULT_DURATION, DEFAULT_GAP);
        p.handle_timeout(now);
        assert_eq!(p.poll_output(), Some(PlayoutOutput::ToneChange("1".into())));
        assert_eq!(p.tone_buffer(), "23");
        p.insert(now, "9".into(), DEFAULT_DURATION, DEFAULT_GAP);
        let out = run(&mut p, now, Duration::from_secs(5));
        let tones: Vec<String> = out
            .into_iter()
            .filter_map(|(_, o)| match o {
                PlayoutOutput::ToneChange(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(tones, vec!["9".to_string(), String::new()]);
    }

    #[test]
    fn detector_reports_each_tone_once() {
        let mut d = DtmfDetector::default();
        let mut got = Vec::new();
        for (ts, e) in [(100u32, 1u8), (900, 11)] {
            for (_, p) in tone_payloads(e, 10, 100, 50, 8000) {
                got.extend(d.handle(ts, &p, 8000).unwrap());
            }
        }
        // the end of a tone whose end packets were lost
        got.extend(
            d.handle(2000, &tone_payloads(5, 10, 100, 50, 8000)[0].1, 8000)
                .unwrap(),
        );
        got.extend(
            d.handle(3000, &tone_payloads(6, 10, 100, 50, 8000)[0].1, 8000)
                .unwrap(),
        );
        let tones: String = got.iter().map(|t| t.tone).collect();
        assert_eq!(tones, "1#5");
        assert_eq!(got[0].duration, Duration::from_millis(100));
        assert!(d.handle(1, &[1, 2], 8000).is_err());
    }
}
