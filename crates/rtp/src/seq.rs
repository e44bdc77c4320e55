//! Sequence number and timestamp arithmetic with wrap-around.
//!
//! RTP sequence numbers are 16 bits and wrap every 65536 packets; timestamps
//! are 32 bits. The unwrappers extend them to 64 bits by choosing, for each
//! new value, the candidate closest to the previous one.

/// True when `a` comes after `b` in 16-bit serial arithmetic (RFC 1982).
pub fn seq_newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// Signed distance from `b` to `a` (positive when `a` is newer).
pub fn seq_diff(a: u16, b: u16) -> i32 {
    a.wrapping_sub(b) as i16 as i32
}

/// Extends 16-bit sequence numbers to 64 bits.
///
/// The first value maps to `65536 + seq` so that a slightly older packet
/// arriving next does not underflow.
#[derive(Debug, Clone, Default)]
pub struct SeqUnwrapper {
    last: Option<u64>,
}

impl SeqUnwrapper {
    /// A new unwrapper.
    pub fn new() -> Self {
        Self::default()
    }
    /// Unwraps `seq` relative to the last value (and remembers the newest seen).
    pub fn unwrap(&mut self, seq: u16) -> u64 {
        let v = self.peek(seq);
        if self.last.is_none_or(|l| v > l) {
            self.last = Some(v);
        }
        v
    }
    /// Unwraps without remembering.
    pub fn peek(&self, seq: u16) -> u64 {
        match self.last {
            None => 65536 + seq as u64,
            Some(l) => {
                let d = seq_diff(seq, l as u16) as i64;
                (l as i64 + d).max(0) as u64
            }
        }
    }
    /// The newest unwrapped value seen.
    pub fn last(&self) -> Option<u64> {
        self.last
    }
}

/// Extends 32-bit RTP timestamps to 64 bits.
#[derive(Debug, Clone, Default)]
pub struct TimestampUnwrapper {
    last: Option<i64>,
}

impl TimestampUnwrapper {
    /// A new unwrapper.
    pub fn new() -> Self {
        Self::default()
    }
    /// Unwraps `ts` relative to the previous value.
    pub fn unwrap(&mut self, ts: u32) -> i64 {
        let v = match self.last {
            None => (1i64 << 32) + ts as i64,
            Some(l) => l + ts.wrapping_sub(l as u32) as i32 as i64,
        };
        self.last = Some(v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_across_wrap_and_reorder() {
        let mut u = SeqUnwrapper::new();
        let a = u.unwrap(65534);
        assert_eq!(u.unwrap(65535), a + 1);
        assert_eq!(u.unwrap(1), a + 3);
        assert_eq!(u.unwrap(0), a + 2); // late packet
        assert_eq!(u.last(), Some(a + 3));
        assert_eq!(u.unwrap(65533), a - 1);
        // many wraps
        let mut u = SeqUnwrapper::new();
        let start = u.unwrap(0);
        let mut s = 0u16;
        for _ in 0..300_000 {
            s = s.wrapping_add(1);
            u.unwrap(s);
        }
        assert_eq!(u.last(), Some(start + 300_000));
    }

    #[test]
    fn serial_comparisons() {
        assert!(seq_newer(1, 65535));
        assert!(!seq_newer(65535, 1));
        assert!(!seq_newer(5, 5));
        assert_eq!(seq_diff(2, 65534), 4);
        assert_eq!(seq_diff(65534, 2), -4);
    }

    #[test]
    fn timestamps_unwrap() {
        let mut t = TimestampUnwrapper::new();
        let a = t.unwrap(u32::MAX - 10);
        assert_eq!(t.unwrap(10), a + 21);
        assert_eq!(t.unwrap(u32::MAX), a + 10);
    }
}
