//! The state cookie (RFC 9260 §5.1.3): everything needed to build the
//! association from a COOKIE-ECHO, authenticated with HMAC-SHA256 under a
//! key only this association knows, so that answering an INIT keeps no state.

use crate::wire::{be16, be32};
use aws_lc_rs::hmac;

/// Peer capabilities learned from its INIT or INIT-ACK.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerCaps {
    /// FORWARD-TSN supported (RFC 3758).
    pub forward_tsn: bool,
    /// I-DATA supported (RFC 8260).
    pub i_data: bool,
    /// RE-CONFIG supported (RFC 6525).
    pub reconfig: bool,
    /// The peer accepts packets without checksum (RFC 9653).
    pub zero_checksum: bool,
}

impl PeerCaps {
    fn to_bits(self) -> u8 {
        self.forward_tsn as u8
            | (self.i_data as u8) << 1
            | (self.reconfig as u8) << 2
            | (self.zero_checksum as u8) << 3
    }
    fn from_bits(b: u8) -> Self {
        Self {
            forward_tsn: b & 1 != 0,
            i_data: b & 2 != 0,
            reconfig: b & 4 != 0,
            zero_checksum: b & 8 != 0,
        }
    }
}

/// The contents of a state cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cookie {
    /// Milliseconds since the association's epoch when the cookie was made.
    pub created_ms: u64,
    /// Our verification tag (what the peer puts in its packets).
    pub local_tag: u32,
    /// The peer's verification tag.
    pub peer_tag: u32,
    /// Our initial TSN.
    pub local_initial_tsn: u32,
    /// The peer's initial TSN.
    pub peer_initial_tsn: u32,
    /// The peer's advertised receiver window.
    pub peer_a_rwnd: u32,
    /// The peer's outbound stream count.
    pub peer_outbound_streams: u16,
    /// The peer's maximum inbound stream count.
    pub peer_inbound_streams: u16,
    /// Our tag of the existing association when the INIT arrived (restart detection).
    pub local_tie_tag: u32,
    /// The peer's tag of the existing association when the INIT arrived.
    pub peer_tie_tag: u32,
    /// The peer's capabilities.
    pub caps: PeerCaps,
}

const VERSION: u8 = 1;
const BODY_LEN: usize = 1 + 8 + 4 * 5 + 2 * 2 + 4 * 2 + 1;
const MAC_LEN: usize = 32;
/// Size of an encoded cookie.
pub const COOKIE_LEN: usize = BODY_LEN + MAC_LEN;

/// Signs and verifies cookies.
pub struct CookieKey {
    key: hmac::Key,
}

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey(..)")
    }
}

impl CookieKey {
    /// A key from 32 secret bytes.
    pub fn new(secret: &[u8; 32]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// Encodes and signs `c`.
    pub fn seal(&self, c: &Cookie) -> [u8; COOKIE_LEN] {
        let mut out = [0u8; COOKIE_LEN];
        let b = &mut out[..BODY_LEN];
        b[0] = VERSION;
        b[1..9].copy_from_slice(&c.created_ms.to_be_bytes());
        b[9..13].copy_from_slice(&c.local_tag.to_be_bytes());
        b[13..17].copy_from_slice(&c.peer_tag.to_be_bytes());
        b[17..21].copy_from_slice(&c.local_initial_tsn.to_be_bytes());
        b[21..25].copy_from_slice(&c.peer_initial_tsn.to_be_bytes());
        b[25..29].copy_from_slice(&c.peer_a_rwnd.to_be_bytes());
        b[29..31].copy_from_slice(&c.peer_outbound_streams.to_be_bytes());
        b[31..33].copy_from_slice(&c.peer_inbound_streams.to_be_bytes());
        b[33..37].copy_from_slice(&c.local_tie_tag.to_be_bytes());
        b[37..41].copy_from_slice(&c.peer_tie_tag.to_be_bytes());
        b[41] = c.caps.to_bits();
        let tag = hmac::sign(&self.key, &out[..BODY_LEN]);
        out[BODY_LEN..].copy_from_slice(tag.as_ref());
        out
    }

    /// Verifies and decodes a cookie; `None` if it is not one of ours.
    pub fn open(&self, raw: &[u8]) -> Option<Cookie> {
        if raw.len() != COOKIE_LEN || raw[0] != VERSION {
            return None;
        }
        hmac::verify(&self.key, &raw[..BODY_LEN], &raw[BODY_LEN..]).ok()?;
        let b = raw;
        Some(Cookie {
            created_ms: u64::from_be_bytes(b[1..9].try_into().ok()?),
            local_tag: be32(b, 9),
            peer_tag: be32(b, 13),
            local_initial_tsn: be32(b, 17),
            peer_initial_tsn: be32(b, 21),
            peer_a_rwnd: be32(b, 25),
            peer_outbound_streams: be16(b, 29),
            peer_inbound_streams: be16(b, 31),
            local_tie_tag: be32(b, 33),
            peer_tie_tag: be32(b, 37),
            caps: PeerCaps::from_bits(b[41]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cookie {
        Cookie {
            created_ms: 12345,
            local_tag: 1,
            peer_tag: 2,
            local_initial_tsn: 3,
            peer_initial_tsn: 4,
            peer_a_rwnd: 5,
            peer_outbound_streams: 6,
            peer_inbound_streams: 7,
            local_tie_tag: 8,
            peer_tie_tag: 9,
            caps: PeerCaps {
                forward_tsn: true,
                i_data: false,
                reconfig: true,
                zero_checksum: true,
            },
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let k = CookieKey::new(&[7; 32]);
        let raw = k.seal(&sample());
        assert_eq!(k.open(&raw), Some(sample()));
    }

    #[test]
    fn tampered_or_foreign_cookie_rejected() {
        let k = CookieKey::new(&[7; 32]);
        let mut raw = k.seal(&sample());
        raw[10] ^= 1;
        assert_eq!(k.open(&raw), None);
        let other = CookieKey::new(&[8; 32]);
        assert_eq!(other.open(&k.seal(&sample())), None);
        assert_eq!(k.open(&raw[..10]), None);
    }
}
