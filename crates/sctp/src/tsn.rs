//! Sequence-number arithmetic and the receiver's record of TSNs seen, from
//! which SACKs are built (cumulative TSN, gap blocks, duplicates).
//!
//! Wrapping 32-bit TSNs (and 16-bit SSNs, 32-bit MIDs) are "unwrapped" into
//! monotonic u64 values relative to a nearby reference, so the rest of the
//! code compares plain integers. Unwrapped values start at `1 << 32` so a
//! step back from the reference never goes below zero.

/// The offset added to first values so that unwrapping never underflows.
pub const UNWRAP_BASE: u64 = 1 << 32;

/// Unwraps a 32-bit serial number `v` to the u64 closest to `reference`.
#[inline]
pub fn unwrap32(reference: u64, v: u32) -> u64 {
    let diff = v.wrapping_sub(reference as u32) as i32 as i64;
    (reference as i64).saturating_add(diff).max(0) as u64
}

/// Unwraps a 16-bit serial number `v` to the u64 closest to `reference`.
#[inline]
pub fn unwrap16(reference: u64, v: u16) -> u64 {
    let diff = v.wrapping_sub(reference as u16) as i16 as i64;
    (reference as i64).saturating_add(diff).max(0) as u64
}

/// What [`ReceivedTsns::observe`] concluded about a TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// New: process the chunk.
    New,
    /// Seen before: drop the chunk (it is reported as a duplicate).
    Duplicate,
    /// Outside what we are willing to track: drop it without acknowledging.
    Refused,
}

/// The receiver's view of the peer's TSN space.
#[derive(Debug, Clone)]
pub struct ReceivedTsns {
    /// Highest TSN such that it and every TSN before it were received.
    cum: u64,
    /// Received ranges above `cum + 1`, sorted and disjoint, inclusive.
    ranges: Vec<(u64, u64)>,
    /// Duplicates to report in the next SACK.
    dups: Vec<u32>,
    max_ranges: usize,
    max_ahead: u64,
}

/// Most duplicates remembered for one SACK.
const MAX_DUPS: usize = 32;

impl ReceivedTsns {
    /// A tracker for a peer whose initial TSN is `initial_tsn`. At most
    /// `max_ranges` gap ranges are kept, and no TSN more than `max_ahead`
    /// beyond the cumulative TSN is accepted.
    pub fn new(initial_tsn: u32, max_ranges: usize, max_ahead: u64) -> Self {
        Self {
            cum: UNWRAP_BASE + initial_tsn as u64 - 1,
            ranges: Vec::new(),
            dups: Vec::new(),
            max_ranges,
            max_ahead,
        }
    }

    /// The cumulative TSN (unwrapped).
    pub fn cum(&self) -> u64 {
        self.cum
    }

    /// The cumulative TSN as carried on the wire.
    pub fn cum32(&self) -> u32 {
        self.cum as u32
    }

    /// Unwraps a TSN received from the peer.
    pub fn unwrap(&self, tsn: u32) -> u64 {
        unwrap32(self.cum, tsn)
    }

    /// Whether some TSN above the cumulative one was received (a gap exists).
    pub fn has_gaps(&self) -> bool {
        !self.ranges.is_empty()
    }

    /// Whether duplicates wait to be reported.
    pub fn has_dups(&self) -> bool {
        !self.dups.is_empty()
    }

    /// Records a received TSN (unwrapped).
    pub fn observe(&mut self, tsn: u64) -> Observed {
        if tsn <= self.cum {
            self.note_dup(tsn);
            return Observed::Duplicate;
        }
        if tsn > self.cum + self.max_ahead {
            return Observed::Refused;
        }
        if tsn == self.cum + 1 {
            self.cum = tsn;
            if let Some(&(s, e)) = self.ranges.first() {
                if s == self.cum + 1 {
                    self.cum = e;
                    self.ranges.remove(0);
                }
            }
            return Observed::New;
        }
        // Find the first range whose end is >= tsn - 1.
        let i = self.ranges.partition_point(|&(_, e)| e + 1 < tsn);
        if let Some(&(s, e)) = self.ranges.get(i) {
            if tsn >= s && tsn <= e {
                self.note_dup(tsn);
                return Observed::Duplicate;
            }
            if e + 1 == tsn {
                // Extends range i at its end; maybe joins range i+1.
                self.ranges[i].1 = tsn;
                if let Some(&(ns, ne)) = self.ranges.get(i + 1) {
                    if ns == tsn + 1 {
                        self.ranges[i].1 = ne;
                        self.ranges.remove(i + 1);
                    }
                }
                return Observed::New;
            }
            if s == tsn + 1 {
                self.ranges[i].0 = tsn;
                return Observed::New;
            }
        }
        if self.ranges.len() >= self.max_ranges {
            return Observed::Refused;
        }
        self.ranges.insert(i, (tsn, tsn));
        Observed::New
    }

    fn note_dup(&mut self, tsn: u64) {
        if self.dups.len() < MAX_DUPS {
            self.dups.push(tsn as u32);
        }
    }

    /// Moves the cumulative TSN forward to `new_cum` (FORWARD-TSN), as if
    /// everything up to it had been received.
    pub fn forward_to(&mut self, new_cum: u64) {
        if new_cum <= self.cum {
            return;
        }
        self.cum = new_cum;
        self.ranges.retain(|&(_, e)| e > new_cum);
        if let Some(first) = self.ranges.first_mut() {
            if first.0 <= new_cum + 1 {
                self.cum = first.1;
                self.ranges.remove(0);
            }
        }
    }

    /// Gap ack blocks relative to the cumulative TSN (only those whose
    /// offsets fit in 16 bits).
    pub fn gap_blocks(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        let cum = self.cum;
        self.ranges
            .iter()
            .take_while(move |&&(_, e)| e - cum <= u16::MAX as u64)
            .map(move |&(s, e)| ((s - cum) as u16, (e - cum) as u16))
    }

    /// The duplicates to report.
    pub fn dups(&self) -> &[u32] {
        &self.dups
    }

    /// Forgets reported duplicates (after a SACK was written).
    pub fn clear_dups(&mut self) {
        self.dups.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_across_wrap() {
        let r = UNWRAP_BASE + u32::MAX as u64;
        assert_eq!(unwrap32(r, 0), r + 1);
        assert_eq!(unwrap32(r, u32::MAX - 1), r - 1);
        assert_eq!(unwrap16(UNWRAP_BASE + 65535, 2), UNWRAP_BASE + 65538);
        assert_eq!(unwrap16(UNWRAP_BASE + 65538, 65535), UNWRAP_BASE + 65535);
    }

    #[test]
    fn cum_gaps_and_dups() {
        let mut t = ReceivedTsns::new(u32::MAX - 1, 16, 1000);
        let b = t.cum();
        assert_eq!(t.observe(b + 1), Observed::New);
        assert_eq!(t.observe(b + 3), Observed::New);
        assert_eq!(t.observe(b + 5), Observed::New);
        assert_eq!(t.observe(b + 6), Observed::New);
        assert_eq!(t.observe(b + 3), Observed::Duplicate);
        assert_eq!(t.observe(b + 1), Observed::Duplicate);
        assert_eq!(t.cum(), b + 1);
        assert_eq!(t.gap_blocks().collect::<Vec<_>>(), vec![(2, 2), (4, 5)]);
        assert_eq!(t.dups().len(), 2);
        assert_eq!(t.observe(b + 4), Observed::New);
        assert_eq!(t.gap_blocks().collect::<Vec<_>>(), vec![(2, 5)]);
        assert_eq!(t.observe(b + 2), Observed::New);
        assert_eq!(t.cum(), b + 6);
        assert!(!t.has_gaps());
        assert_eq!(t.cum32(), (b + 6) as u32);
        assert_eq!(t.observe(b + 2000), Observed::Refused);
    }

    #[test]
    fn range_limit_refuses() {
        let mut t = ReceivedTsns::new(1, 2, 1000);
        let b = t.cum();
        assert_eq!(t.observe(b + 3), Observed::New);
        assert_eq!(t.observe(b + 5), Observed::New);
        assert_eq!(t.observe(b + 7), Observed::Refused);
        assert_eq!(t.observe(b + 6), Observed::New, "extending a range is fine");
    }

    #[test]
    fn forward_tsn_merges() {
        let mut t = ReceivedTsns::new(1, 8, 1000);
        let b = t.cum();
        t.observe(b + 5);
        t.observe(b + 6);
        t.observe(b + 9);
        t.forward_to(b + 4);
        assert_eq!(t.cum(), b + 6);
        assert_eq!(t.gap_blocks().collect::<Vec<_>>(), vec![(3, 3)]);
        t.forward_to(b + 10);
        assert_eq!(t.cum(), b + 10);
        assert!(!t.has_gaps());
    }
}
