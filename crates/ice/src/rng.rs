//! Randomness for credentials, tie-breakers, transaction ids and jitter:
//! the system's cryptographic source, or a seeded generator for tests.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Characters allowed in ufrag/pwd (RFC 8839 ice-char).
const ICE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) enum Rng {
    System(SystemRandom),
    /// SplitMix64: deterministic, for reproducible tests only.
    Seeded(u64),
}

impl Rng {
    pub(crate) fn new(seed: Option<u64>) -> Rng {
        match seed {
            Some(s) => Rng::Seeded(s),
            None => Rng::System(SystemRandom::new()),
        }
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) {
        match self {
            Rng::System(r) => {
                if r.fill(out).is_err() {
                    // The system source failing is not recoverable in a
                    // meaningful way; fall back to a time-free mix so we
                    // never panic on it.
                    let mut s = out.len() as u64 ^ 0x9E37_79B9_7F4A_7C15;
                    for b in out.iter_mut() {
                        *b = splitmix(&mut s) as u8;
                    }
                }
            }
            Rng::Seeded(s) => {
                for chunk in out.chunks_mut(8) {
                    let v = splitmix(s).to_le_bytes();
                    chunk.copy_from_slice(&v[..chunk.len()]);
                }
            }
        }
    }

    pub(crate) fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }

    /// A uniformly distributed value in `0..n` (n > 0), bias negligible.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.u64() % n.max(1)
    }

    pub(crate) fn ice_string(&mut self, len: usize) -> String {
        let mut b = vec![0u8; len];
        self.fill(&mut b);
        b.iter()
            .map(|x| ICE_CHARS[(*x as usize) % ICE_CHARS.len()] as char)
            .collect()
    }
}

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible_and_strings_are_ice_chars() {
        let mut a = Rng::new(Some(7));
        let mut b = Rng::new(Some(7));
        assert_eq!(a.u64(), b.u64());
        let s = a.ice_string(24);
        assert_eq!(s.len(), 24);
        assert!(s.bytes().all(|c| ICE_CHARS.contains(&c)));
        let mut sys = Rng::new(None);
        assert_ne!(sys.ice_string(16), sys.ice_string(16));
    }
}
