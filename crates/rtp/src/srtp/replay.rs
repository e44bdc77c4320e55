//! Sliding replay window (RFC 3711 §3.3.2) over 64-bit packet indices.

use crate::Error;

/// Number of indices the window remembers behind the newest.
pub const WINDOW_SIZE: u64 = 128;

/// Remembers which of the last [`WINDOW_SIZE`] indices were accepted.
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    top: Option<u64>,
    /// Bit i set: index `top - i` was accepted.
    bits: u128,
}

impl ReplayWindow {
    /// Fails with [`Error::Replayed`] if `index` was accepted before or is too old.
    pub fn check(&self, index: u64) -> Result<(), Error> {
        let Some(top) = self.top else { return Ok(()) };
        if index > top {
            return Ok(());
        }
        let d = top - index;
        if d >= WINDOW_SIZE || self.bits & (1u128 << d) != 0 {
            return Err(Error::Replayed);
        }
        Ok(())
    }
    /// Marks `index` as accepted (call after authentication succeeded).
    pub fn update(&mut self, index: u64) {
        match self.top {
            None => {
                self.top = Some(index);
                self.bits = 1;
            }
            Some(top) if index > top => {
                let shift = index - top;
                self.bits = if shift >= WINDOW_SIZE {
                    0
                } else {
                    self.bits << shift
                };
                self.bits |= 1;
                self.top = Some(index);
            }
            Some(top) => {
                let d = top - index;
                if d < WINDOW_SIZE {
                    self.bits |= 1u128 << d;
                }
            }
        }
    }
    /// The highest accepted index.
    pub fn top(&self) -> Option<u64> {
        self.top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_accepts_reordered_rejects_duplicates_and_old() {
        let mut w = ReplayWindow::default();
        for i in [10u64, 12, 11, 200, 150, 73] {
            assert!(w.check(i).is_ok(), "{i}");
            w.update(i);
        }
        for i in [10u64, 12, 200, 150, 73, 72, 1] {
            assert_eq!(w.check(i), Err(Error::Replayed), "{i}");
        }
        assert!(w.check(74).is_ok());
        assert!(w.check(201).is_ok());
        assert_eq!(w.top(), Some(200));
    }
}
