//! NACK generator (RFC 4585 generic NACK) on virtual time.
//!
//! Feed every received sequence number to [`NackGenerator::on_packet`]; gaps
//! become missing entries. [`NackGenerator::poll_nacks`] returns the sequence
//! numbers due for a NACK now: new losses at once (after an optional reorder
//! delay), then again every RTT until a retry limit or maximum age.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::rtcp::Nack;
use crate::seq::SeqUnwrapper;

/// Tuning of a [`NackGenerator`].
#[derive(Debug, Clone, Copy)]
pub struct NackConfig {
    /// NACKs per missing packet before giving up.
    pub max_retries: u32,
    /// Give up on a packet missing for longer than this.
    pub max_age: Duration,
    /// Most missing packets tracked; beyond this the oldest are dropped and a
    /// keyframe request is suggested.
    pub max_missing: usize,
    /// Wait this long after detecting a gap before the first NACK (reordering).
    pub reorder_delay: Duration,
    /// Lower bound of the interval between NACKs of one packet.
    pub min_interval: Duration,
}

impl Default for NackConfig {
    fn default() -> Self {
        NackConfig {
            max_retries: 10,
            max_age: Duration::from_secs(1),
            max_missing: 1000,
            reorder_delay: Duration::ZERO,
            min_interval: Duration::from_millis(5),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Missing {
    detected: Instant,
    last_sent: Option<Instant>,
    retries: u32,
}

/// Tracks missing packets of one SSRC and decides when to NACK them.
#[derive(Debug)]
pub struct NackGenerator {
    config: NackConfig,
    unwrapper: SeqUnwrapper,
    highest: Option<u64>,
    missing: BTreeMap<u64, Missing>,
    rtt: Duration,
    keyframe_needed: bool,
    /// NACK requests produced (per sequence number).
    pub nacks_sent: u64,
    /// Packets recovered after being NACKed or reordered.
    pub recovered: u64,
    /// Packets given up on.
    pub given_up: u64,
}

impl NackGenerator {
    /// A generator with `config` and an initial RTT guess of 100 ms.
    pub fn new(config: NackConfig) -> Self {
        NackGenerator {
            config,
            unwrapper: SeqUnwrapper::new(),
            highest: None,
            missing: BTreeMap::new(),
            rtt: Duration::from_millis(100),
            keyframe_needed: false,
            nacks_sent: 0,
            recovered: 0,
            given_up: 0,
        }
    }

    /// Updates the round-trip time used to pace repeated NACKs.
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt;
    }

    /// Records a received packet (including retransmissions, with their original sequence number).
    pub fn on_packet(&mut self, now: Instant, seq: u16) {
        let s = self.unwrapper.unwrap(seq);
        match self.highest {
            None => self.highest = Some(s),
            Some(h) if s > h => {
                let gap = s - h - 1;
                if gap as usize > self.config.max_missing {
                    self.given_up += self.missing.len() as u64 + gap;
                    self.missing.clear();
                    self.keyframe_needed = true;
                } else {
                    for m in h + 1..s {
                        self.missing.insert(
                            m,
                            Missing {
                                detected: now,
                                last_sent: None,
                                retries: 0,
                            },
                        );
                    }
                }
                self.highest = Some(s);
                while self.missing.len() > self.config.max_missing {
                    self.missing.pop_first();
                    self.given_up += 1;
                    self.keyframe_needed = true;
                }
            }
            Some(_) => {
                if self.missing.remove(&s).is_some() {
                    self.recovered += 1;
                }
            }
        }
    }

    /// Number of packets currently missing.
    pub fn missing_count(&self) -> usize {
        self.missing.len()
    }

    /// True (once) when losses exceeded what NACK can repair: send a PLI.
    pub fn take_keyframe_request(&mut self) -> bool {
        std::mem::take(&mut self.keyframe_needed)
    }

    fn interval(&self) -> Duration {
        self.rtt.max(self.config.min_interval)
    }

    fn due(&self, m: &Missing) -> Instant {
        match m.last_sent {
            None => m.detected + self.config.reorder_delay,
            Some(t) => t + self.interval(),
        }
    }

    /// Sequence numbers to NACK at `now`; marks them sent.
    pub fn poll_nacks(&mut self, now: Instant) -> Vec<u16> {
        let (max_age, max_retries) = (self.config.max_age, self.config.max_retries);
        let before = self.missing.len();
        self.missing.retain(|_, m| {
            m.retries < max_retries && now.saturating_duration_since(m.detected) <= max_age
        });
        let dropped = before - self.missing.len();
        if dropped > 0 {
            self.given_up += dropped as u64;
            self.keyframe_needed = true;
        }
        let interval = self.interval();
        let reorder = self.config.reorder_delay;
        let mut out = Vec::new();
        for (&s, m) in self.missing.iter_mut() {
            let due = match m.last_sent {
                None => m.detected + reorder,
                Some(t) => t + interval,
            };
            if now >= due {
                m.last_sent = Some(now);
                m.retries += 1;
                out.push(s as u16);
            }
        }
        self.nacks_sent += out.len() as u64;
        out
    }

    /// Like [`Self::poll_nacks`], packed into a NACK packet.
    pub fn poll_nack_packet(
        &mut self,
        now: Instant,
        sender_ssrc: u32,
        media_ssrc: u32,
    ) -> Option<Nack> {
        let seqs = self.poll_nacks(now);
        (!seqs.is_empty()).then(|| Nack::from_sequence_numbers(sender_ssrc, media_ssrc, &seqs))
    }

    /// When something next becomes due (a NACK or an expiry).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.missing
            .values()
            .map(|m| self.due(m).min(m.detected + self.config.max_age))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nacks_gaps_then_repeats_every_rtt_until_retry_limit() {
        let cfg = NackConfig {
            max_retries: 3,
            ..Default::default()
        };
        let mut g = NackGenerator::new(cfg);
        g.set_rtt(Duration::from_millis(50));
        let t0 = Instant::now();
        g.on_packet(t0, 65534);
        g.on_packet(t0, 1); // 65535 and 0 missing
        assert_eq!(g.missing_count(), 2);
        assert_eq!(g.poll_nacks(t0), vec![65535, 0]);
        assert_eq!(
            g.poll_nacks(t0 + Duration::from_millis(10)),
            Vec::<u16>::new()
        );
        assert_eq!(g.poll_timeout(), Some(t0 + Duration::from_millis(50)));
        assert_eq!(g.poll_nacks(t0 + Duration::from_millis(50)), vec![65535, 0]);
        g.on_packet(t0 + Duration::from_millis(60), 0); // retransmission arrives
        assert_eq!(g.recovered, 1);
        assert_eq!(g.poll_nacks(t0 + Duration::from_millis(100)), vec![65535]);
        // retry limit reached
        assert!(g.poll_nacks(t0 + Duration::from_millis(200)).is_empty());
        assert_eq!(g.missing_count(), 0);
        assert_eq!(g.given_up, 1);
        assert!(g.take_keyframe_request());
        assert!(!g.take_keyframe_request());
    }

    #[test]
    fn reorder_delay_and_age_limit() {
        let cfg = NackConfig {
            reorder_delay: Duration::from_millis(20),
            max_age: Duration::from_millis(100),
            ..Default::default()
        };
        let mut g = NackGenerator::new(cfg);
        let t0 = Instant::now();
        g.on_packet(t0, 10);
        g.on_packet(t0, 12);
        assert!(g.poll_nacks(t0).is_empty());
        g.on_packet(t0 + Duration::from_millis(5), 11); // just reordered
        assert!(g.poll_nacks(t0 + Duration::from_millis(30)).is_empty());
        g.on_packet(t0, 14);
        assert_eq!(g.poll_nacks(t0 + Duration::from_millis(20)), vec![13]);
        assert!(g.poll_nacks(t0 + Duration::from_millis(200)).is_empty());
        assert_eq!(g.given_up, 1);
    }

    #[test]
    fn huge_gap_asks_for_keyframe() {
        let mut g = NackGenerator::new(NackConfig {
            max_missing: 100,
            ..Default::default()
        });
        let t0 = Instant::now();
        g.on_packet(t0, 0);
        g.on_packet(t0, 5000);
        assert_eq!(g.missing_count(), 0);
        assert!(g.take_keyframe_request());
        let n = {
            g.on_packet(t0, 5003);
            g.poll_nack_packet(t0, 1, 2).unwrap()
        };
        assert_eq!(n.sequence_numbers().collect::<Vec<_>>(), vec![5001, 5002]);
    }
}
