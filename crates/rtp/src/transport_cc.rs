//! Sender side of transport-wide congestion control: numbers outgoing packets
//! with the transport-wide sequence number, remembers when each was sent, and
//! matches incoming [`TransportCc`] feedback to those sends so a congestion
//! controller sees `(send time, arrival time or lost, size)` per packet.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::rtcp::TransportCc;

/// What feedback said about one sent packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketResult {
    /// Transport-wide sequence number.
    pub sequence: u16,
    /// When we sent it.
    pub sent_at: Instant,
    /// Its size in bytes as sent.
    pub size: usize,
    /// Arrival on the receiver's clock in µs (comparable between packets of
    /// one feedback stream only), or `None` if reported lost.
    pub arrival_us: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u64,
    at: Instant,
    size: usize,
}

/// Assigns transport-wide sequence numbers and keeps a bounded send log.
#[derive(Debug)]
pub struct TwccSendLog {
    next: u64,
    log: VecDeque<Sent>,
    max_age: Duration,
}

impl TwccSendLog {
    /// A log keeping sends for `max_age` (feedback for older packets is ignored).
    pub fn new(first_sequence: u16, max_age: Duration) -> Self {
        TwccSendLog {
            next: first_sequence as u64,
            log: VecDeque::new(),
            max_age,
        }
    }

    /// Takes the next transport-wide sequence number for a packet of `size`
    /// bytes sent at `now`; put it in the packet's transport-cc extension.
    pub fn on_send(&mut self, now: Instant, size: usize) -> u16 {
        let seq = self.next;
        self.next += 1;
        self.log.push_back(Sent { seq, at: now, size });
        while self
            .log
            .front()
            .is_some_and(|s| now.saturating_duration_since(s.at) > self.max_age)
        {
            self.log.pop_front();
        }
        seq as u16
    }

    /// Packets in the log.
    pub fn len(&self) -> usize {
        self.log.len()
    }

    /// True when nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// Matches feedback to logged sends. Packets no longer logged are skipped.
    pub fn on_feedback(&mut self, fb: &TransportCc) -> Vec<PacketResult> {
        let Some(front) = self.log.front().map(|s| s.seq) else {
            return Vec::new();
        };
        // Unwrap the feedback's base as the newest send at or before it.
        let base16 = fb.base_sequence;
        let newest = self.next.saturating_sub(1);
        let d = (newest as u16).wrapping_sub(base16) as u64;
        let Some(base) = newest.checked_sub(d) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(fb.deltas.len());
        for ((_, arrival), i) in fb.arrivals().into_iter().zip(0u64..) {
            let seq = base + i;
            if seq < front {
                continue;
            }
            let Some(s) = self.log.get((seq - front) as usize) else {
                break;
            };
            debug_assert_eq!(s.seq, seq);
            out.push(PacketResult {
                sequence: seq as u16,
                sent_at: s.at,
                size: s.size,
                arrival_us: arrival,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::TwccBuilder;

    #[test]
    fn feedback_matches_sends_across_wrap() {
        let t0 = Instant::now();
        let mut log = TwccSendLog::new(65534, Duration::from_secs(2));
        let mut rx = TwccBuilder::new();
        for i in 0..6u64 {
            let seq = log.on_send(t0 + Duration::from_millis(10 * i), 1000 + i as usize);
            if i != 3 {
                rx.record(seq, 5_000_000 + 10_000 * i as i64 + 3_000);
            }
        }
        let fbs = rx.build(1, 2, 100);
        let results = log.on_feedback(&fbs[0]);
        assert_eq!(results.len(), 6);
        assert_eq!(results[0].sequence, 65534);
        assert_eq!(results[2].sequence, 0);
        assert_eq!(results[3].arrival_us, None);
        assert_eq!(results[5].size, 1005);
        let a0 = results[0].arrival_us.unwrap();
        let a5 = results[5].arrival_us.unwrap();
        assert!((a5 - a0 - 50_000).abs() <= 250);
        assert_eq!(
            results[5].sent_at - results[0].sent_at,
            Duration::from_millis(50)
        );
    }

    #[test]
    fn old_sends_expire() {
        let t0 = Instant::now();
        let mut log = TwccSendLog::new(0, Duration::from_millis(100));
        log.on_send(t0, 1);
        log.on_send(t0 + Duration::from_millis(50), 1);
        log.on_send(t0 + Duration::from_millis(200), 1);
        assert_eq!(log.len(), 1);
        let fb = TransportCc {
            base_sequence: 0,
            deltas: vec![Some(1), Some(1), Some(1)],
            ..Default::default()
        };
        let r = log.on_feedback(&fb);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].sequence, 2);
    }
}
