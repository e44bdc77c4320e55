//! SRTP and SRTCP (RFC 3711; AES-GCM per RFC 7714).
//!
//! An [`SrtpContext`] holds the session keys derived from one master key and
//! the per-SSRC state (rollover counter, SRTCP index, replay windows). Use one
//! context for what you send (protect) and another, built from the peer's
//! master key, for what you receive (unprotect). [`SrtpContext::from_dtls`]
//! builds both from DTLS-exported keying material.
//!
//! All operations work in place on caller buffers and do not allocate per
//! packet (the per-SSRC map allocates once per new SSRC).
//!
//! Wire layouts:
//! ```text
//! SRTP  (AES-CM): header | E(payload)            | tag (10 or 4) = HMAC-SHA1(header|E(payload)|ROC)
//! SRTP  (GCM):    header | E(payload) | tag (16)  AAD = header, IV = salt ^ (0|SSRC|ROC|SEQ)
//! SRTCP (AES-CM): header(8) | E(rest) | E+index (4) | tag (10)
//! SRTCP (GCM):    header(8) | E(rest) | tag (16) | E+index (4)   AAD = header(8) | E+index
//! ```

mod keys;
mod replay;

pub use keys::{split_keying_material, MasterKey, SrtpProfile};
pub use replay::{ReplayWindow, WINDOW_SIZE};

use std::collections::HashMap;

use aws_lc_rs::aead::{Aad, Nonce};
use aws_lc_rs::cipher::EncryptionContext;
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

use keys::{Cipher, SessionKeys};

use crate::seq::seq_diff;
use crate::Error;

/// Per-SSRC state.
#[derive(Debug, Default, Clone)]
struct Stream {
    /// Highest RTP packet index (ROC << 16 | SEQ) sent or accepted.
    rtp_index: Option<u64>,
    /// Replay window for received RTP.
    rtp_window: ReplayWindow,
    /// Next SRTCP index to send.
    rtcp_send_index: u32,
    /// Replay window for received SRTCP.
    rtcp_window: ReplayWindow,
    /// When the stream was last used (the context's use counter).
    last_used: u64,
}

/// Most SSRCs one context keeps state for (rollover counter, replay
/// windows). A packet of a new SSRC beyond this evicts the least recently
/// used SSRC's state (counted in [`SrtpCounters::streams_evicted`]), so a
/// peer sending under thousands of SSRCs cannot grow it without bound.
pub const MAX_STREAMS: usize = 1_024;

/// The state of `ssrc`, created (evicting the least recently used one when
/// [`MAX_STREAMS`] are kept) if needed.
fn stream_entry<'a>(
    streams: &'a mut HashMap<u32, Stream>,
    tick: &mut u64,
    evicted: &mut u64,
    ssrc: u32,
) -> &'a mut Stream {
    *tick += 1;
    if streams.len() >= MAX_STREAMS && !streams.contains_key(&ssrc) {
        let oldest = streams
            .iter()
            .min_by_key(|(_, s)| s.last_used)
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            streams.remove(&k);
            *evicted += 1;
        }
    }
    let s = streams.entry(ssrc).or_default();
    s.last_used = *tick;
    s
}

/// Counters of what a context did, for stats and debugging.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SrtpCounters {
    /// Packets protected.
    pub protected: u64,
    /// Packets unprotected successfully.
    pub unprotected: u64,
    /// Packets rejected for failed authentication.
    pub auth_failures: u64,
    /// Packets rejected as replays.
    pub replays: u64,
    /// Packets rejected as malformed or truncated.
    pub malformed: u64,
    /// SSRC states dropped to stay within [`MAX_STREAMS`].
    pub streams_evicted: u64,
}

/// SRTP/SRTCP crypto context for one direction of one session.
pub struct SrtpContext {
    profile: SrtpProfile,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    streams: HashMap<u32, Stream>,
    /// Counts stream uses, for eviction of the least recently used.
    tick: u64,
    /// When false, outgoing SRTCP is sent with E = 0 (authenticated only).
    pub encrypt_rtcp: bool,
    counters: SrtpCounters,
}

impl std::fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpContext")
            .field("profile", &self.profile)
            .field("streams", &self.streams.len())
            .field("tick", &self.tick)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// Length of the RTP header (fixed, CSRCs, extension) without checking padding.
fn rtp_header_len(buf: &[u8]) -> Result<usize, Error> {
    if buf.len() < 12 {
        return Err(Error::Truncated);
    }
    if buf[0] >> 6 != 2 {
        return Err(Error::BadVersion);
    }
    let mut n = 12 + 4 * (buf[0] & 0x0f) as usize;
    if buf[0] & 0x10 != 0 {
        if buf.len() < n + 4 {
            return Err(Error::Truncated);
        }
        n += 4 + 4 * u16::from_be_bytes([buf[n + 2], buf[n + 3]]) as usize;
    }
    if buf.len() < n {
        return Err(Error::Truncated);
    }
    Ok(n)
}

fn ssrc_at(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// AES-CM IV (RFC 3711 §4.1.1): (salt << 16) ^ (SSRC << 64) ^ (index << 16).
fn cm_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (i, b) in ssrc.to_be_bytes().iter().enumerate() {
        iv[4 + i] ^= b;
    }
    for (i, b) in index.to_be_bytes()[2..].iter().enumerate() {
        iv[8 + i] ^= b;
    }
    iv
}

/// GCM IV for SRTP (RFC 7714 §8.1): salt ^ (00 00 | SSRC | ROC | SEQ).
fn gcm_rtp_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
    iv[6..12].copy_from_slice(&index.to_be_bytes()[2..]);
    for (a, b) in iv.iter_mut().zip(salt) {
        *a ^= b;
    }
    iv
}

/// GCM IV for SRTCP (RFC 7714 §9.1): salt ^ (00 00 | SSRC | 00 00 | 0 | index).
fn gcm_rtcp_iv(salt: &[u8; 14], ssrc: u32, index: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
    iv[8..12].copy_from_slice(&index.to_be_bytes());
    for (a, b) in iv.iter_mut().zip(salt) {
        *a ^= b;
    }
    iv
}

fn ctr_xor(
    ctr: &aws_lc_rs::cipher::EncryptingKey,
    iv: [u8; 16],
    data: &mut [u8],
) -> Result<(), Error> {
    if data.is_empty() {
        return Ok(());
    }
    ctr.less_safe_encrypt(data, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map(|_| ())
        .map_err(|_| Error::Crypto)
}

fn hmac_tag(key: &hmac::Key, data: &[u8], trailer: Option<u32>) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(data);
    if let Some(t) = trailer {
        ctx.update(&t.to_be_bytes());
    }
    ctx.sign()
}

/// Estimates the packet index of `seq` given the highest index so far (RFC 3711 §3.3.1).
fn estimate_index(highest: Option<u64>, seq: u16) -> u64 {
    match highest {
        None => seq as u64,
        Some(h) => {
            let v = h as i64 + seq_diff(seq, h as u16) as i64;
            if v < 0 {
                seq as u64
            } else {
                v as u64
            }
        }
    }
}

impl SrtpContext {
    /// A context for `profile` from a master key and salt (derives the session keys).
    pub fn new(profile: SrtpProfile, master_key: &[u8], master_salt: &[u8]) -> Result<Self, Error> {
        Ok(Self::with_keys(
            profile,
            SessionKeys::derive(profile, master_key, master_salt, false)?,
            SessionKeys::derive(profile, master_key, master_salt, true)?,
        ))
    }

    fn with_keys(profile: SrtpProfile, rtp: SessionKeys, rtcp: SessionKeys) -> Self {
        SrtpContext {
            profile,
            rtp,
            rtcp,
            streams: HashMap::new(),
            tick: 0,
            encrypt_rtcp: true,
            counters: SrtpCounters::default(),
        }
    }

    /// Builds `(outbound, inbound)` contexts from DTLS-exported keying material
    /// (RFC 5764 §4.2). `is_dtls_client` is true when we were the DTLS client.
    pub fn from_dtls(
        profile: SrtpProfile,
        keying_material: &[u8],
        is_dtls_client: bool,
    ) -> Result<(SrtpContext, SrtpContext), Error> {
        let (client, server) = split_keying_material(profile, keying_material)?;
        let (local, remote) = if is_dtls_client {
            (client, server)
        } else {
            (server, client)
        };
        Ok((
            SrtpContext::new(profile, &local.key, &local.salt)?,
            SrtpContext::new(profile, &remote.key, &remote.salt)?,
        ))
    }

    /// The profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    /// What this context has done so far.
    pub fn counters(&self) -> SrtpCounters {
        self.counters
    }

    /// How many SSRCs the context keeps state for (at most [`MAX_STREAMS`]).
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// The rollover counter of an SSRC (sent or received), if known.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        self.streams
            .get(&ssrc)
            .and_then(|s| s.rtp_index)
            .map(|i| (i >> 16) as u32)
    }

    /// Sets the rollover counter and highest sequence number for an SSRC, for
    /// joining a stream that is already running.
    pub fn set_roc(&mut self, ssrc: u32, roc: u32, seq: u16) {
        stream_entry(
            &mut self.streams,
            &mut self.tick,
            &mut self.counters.streams_evicted,
            ssrc,
        )
        .rtp_index = Some(((roc as u64) << 16) | seq as u64);
    }

    /// Protects the RTP packet in `buf[..len]` in place; `buf` must have room for
    /// [`SrtpProfile::rtp_overhead`] more bytes. Returns the SRTP length.
    pub fn protect_rtp_in_place(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let tag_len = self.profile.rtp_tag_len();
        if len > buf.len() {
            return Err(Error::Truncated);
        }
        if buf.len() < len + tag_len {
            return Err(Error::BufferTooSmall);
        }
        let hl = rtp_header_len(&buf[..len])?;
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = ssrc_at(buf, 8);
        let stream = stream_entry(
            &mut self.streams,
            &mut self.tick,
            &mut self.counters.streams_evicted,
            ssrc,
        );
        let index = estimate_index(stream.rtp_index, seq);
        match &self.rtp.cipher {
            Cipher::CmHmac { ctr, auth } => {
                ctr_xor(ctr, cm_iv(&self.rtp.salt, ssrc, index), &mut buf[hl..len])?;
                let tag = hmac_tag(auth, &buf[..len], Some((index >> 16) as u32));
                buf[len..len + tag_len].copy_from_slice(&tag.as_ref()[..tag_len]);
            }
            Cipher::Gcm(key) => {
                let nonce = Nonce::assume_unique_for_key(gcm_rtp_iv(&self.rtp.salt, ssrc, index));
                let (head, rest) = buf.split_at_mut(hl);
                let tag = key
                    .seal_in_place_separate_tag(nonce, Aad::from(&head[..]), &mut rest[..len - hl])
                    .map_err(|_| Error::Crypto)?;
                rest[len - hl..len - hl + tag_len].copy_from_slice(tag.as_ref());
            }
        }
        if stream.rtp_index.is_none_or(|h| index > h) {
            stream.rtp_index = Some(index);
        }
        self.counters.protected += 1;
        Ok(len + tag_len)
    }

    /// Protects the RTP packet in `buf`, appending the tag.
    pub fn protect_rtp(&mut self, buf: &mut Vec<u8>) -> Result<(), Error> {
        let overhead = self.profile.rtp_overhead();
        grow_and_protect(buf, overhead, |b, len| self.protect_rtp_in_place(b, len))
    }

    /// Counts the outcome of an unprotect call.
    fn count_unprotect(&mut self, r: &Result<usize, Error>) {
        match r {
            Ok(_) => self.counters.unprotected += 1,
            Err(Error::AuthFailed) => self.counters.auth_failures += 1,
            Err(Error::Replayed) => self.counters.replays += 1,
            Err(_) => self.counters.malformed += 1,
        }
    }

    /// Authenticates and decrypts the SRTP packet `buf` in place; returns the
    /// length of the RTP packet now at the start of `buf`.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let r = self.unprotect_rtp_inner(buf);
        self.count_unprotect(&r);
        r
    }

    fn unprotect_rtp_inner(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let tag_len = self.profile.rtp_tag_len();
        let hl = rtp_header_len(buf)?;
        if buf.len() < hl + tag_len {
            return Err(Error::Truncated);
        }
        let len = buf.len() - tag_len;
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = ssrc_at(buf, 8);
        let highest = self.streams.get(&ssrc).and_then(|s| s.rtp_index);
        let index = estimate_index(highest, seq);
        if let Some(s) = self.streams.get(&ssrc) {
            s.rtp_window.check(index)?;
        }
        match &self.rtp.cipher {
            Cipher::CmHmac { ctr, auth } => {
                let tag = hmac_tag(auth, &buf[..len], Some((index >> 16) as u32));
                verify_slices_are_equal(&tag.as_ref()[..tag_len], &buf[len..])
                    .map_err(|_| Error::AuthFailed)?;
                ctr_xor(ctr, cm_iv(&self.rtp.salt, ssrc, index), &mut buf[hl..len])?;
            }
            Cipher::Gcm(key) => {
                let nonce = Nonce::assume_unique_for_key(gcm_rtp_iv(&self.rtp.salt, ssrc, index));
                let (head, rest) = buf.split_at_mut(hl);
                key.open_in_place(nonce, Aad::from(&head[..]), rest)
                    .map_err(|_| Error::AuthFailed)?;
            }
        }
        // Only authenticated packets create or advance state.
        let stream = stream_entry(
            &mut self.streams,
            &mut self.tick,
            &mut self.counters.streams_evicted,
            ssrc,
        );
        stream.rtp_window.update(index);
        if stream.rtp_index.is_none_or(|h| index > h) {
            stream.rtp_index = Some(index);
        }
        Ok(len)
    }

    /// Protects the RTCP packet in `buf[..len]` in place; `buf` must have room for
    /// [`SrtpProfile::rtcp_overhead`] more bytes. Returns the SRTCP length.
    pub fn protect_rtcp_in_place(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let tag_len = self.profile.rtcp_tag_len();
        if len > buf.len() {
            return Err(Error::Truncated);
        }
        if len < 8 {
            return Err(Error::Truncated);
        }
        if buf[0] >> 6 != 2 {
            return Err(Error::BadVersion);
        }
        if buf.len() < len + tag_len + 4 {
            return Err(Error::BufferTooSmall);
        }
        let ssrc = ssrc_at(buf, 4);
        let stream = stream_entry(
            &mut self.streams,
            &mut self.tick,
            &mut self.counters.streams_evicted,
            ssrc,
        );
        let index = stream.rtcp_send_index;
        stream.rtcp_send_index = (index + 1) & 0x7fff_ffff;
        let e = self.encrypt_rtcp;
        let word = (u32::from(e) << 31) | index;
        match &self.rtcp.cipher {
            Cipher::CmHmac { ctr, auth } => {
                if e {
                    ctr_xor(
                        ctr,
                        cm_iv(&self.rtcp.salt, ssrc, index as u64),
                        &mut buf[8..len],
                    )?;
                }
                buf[len..len + 4].copy_from_slice(&word.to_be_bytes());
                let tag = hmac_tag(auth, &buf[..len + 4], None);
                buf[len + 4..len + 4 + tag_len].copy_from_slice(&tag.as_ref()[..tag_len]);
            }
            Cipher::Gcm(key) => {
                let nonce = Nonce::assume_unique_for_key(gcm_rtcp_iv(&self.rtcp.salt, ssrc, index));
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&word.to_be_bytes());
                let tag_at = if e {
                    let tag = key
                        .seal_in_place_separate_tag(nonce, Aad::from(&aad[..]), &mut buf[8..len])
                        .map_err(|_| Error::Crypto)?;
                    buf[len..len + tag_len].copy_from_slice(tag.as_ref());
                    len
                } else {
                    // E = 0: the whole packet is AAD, nothing is encrypted (RFC 7714 §9.3).
                    let mut aad = Vec::with_capacity(len + 4);
                    aad.extend_from_slice(&buf[..len]);
                    aad.extend_from_slice(&word.to_be_bytes());
                    let tag = key
                        .seal_in_place_separate_tag(nonce, Aad::from(&aad[..]), &mut [])
                        .map_err(|_| Error::Crypto)?;
                    buf[len..len + tag_len].copy_from_slice(tag.as_ref());
                    len
                };
                buf[tag_at + tag_len..tag_at + tag_len + 4].copy_from_slice(&word.to_be_bytes());
            }
        }
        self.counters.protected += 1;
        Ok(len + tag_len + 4)
    }

    /// Protects the RTCP packet in `buf`, appending index and tag.
    pub fn protect_rtcp(&mut self, buf: &mut Vec<u8>) -> Result<(), Error> {
        let overhead = self.profile.rtcp_overhead();
        grow_and_protect(buf, overhead, |b, len| self.protect_rtcp_in_place(b, len))
    }

    /// Authenticates and decrypts the SRTCP packet `buf` in place; returns the
    /// length of the RTCP packet now at the start of `buf`.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let r = self.unprotect_rtcp_inner(buf);
        self.count_unprotect(&r);
        r
    }

    fn unprotect_rtcp_inner(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let tag_len = self.profile.rtcp_tag_len();
        if buf.len() < 8 + 4 + tag_len {
            return Err(Error::Truncated);
        }
        if buf[0] >> 6 != 2 {
            return Err(Error::BadVersion);
        }
        let ssrc = ssrc_at(buf, 4);
        let n = buf.len();
        match &self.rtcp.cipher {
            Cipher::CmHmac { ctr, auth } => {
                let len = n - tag_len - 4;
                let word = ssrc_at(buf, len);
                let (e, index) = (word >> 31 == 1, word & 0x7fff_ffff);
                if let Some(s) = self.streams.get(&ssrc) {
                    s.rtcp_window.check(index as u64)?;
                }
                let tag = hmac_tag(auth, &buf[..n - tag_len], None);
                verify_slices_are_equal(&tag.as_ref()[..tag_len], &buf[n - tag_len..])
                    .map_err(|_| Error::AuthFailed)?;
                if e {
                    ctr_xor(
                        ctr,
                        cm_iv(&self.rtcp.salt, ssrc, index as u64),
                        &mut buf[8..len],
                    )?;
                }
                stream_entry(
                    &mut self.streams,
                    &mut self.tick,
                    &mut self.counters.streams_evicted,
                    ssrc,
                )
                .rtcp_window
                .update(index as u64);
                Ok(len)
            }
            Cipher::Gcm(key) => {
                let len = n - tag_len - 4;
                let word = ssrc_at(buf, n - 4);
                let (e, index) = (word >> 31 == 1, word & 0x7fff_ffff);
                if let Some(s) = self.streams.get(&ssrc) {
                    s.rtcp_window.check(index as u64)?;
                }
                let nonce = Nonce::assume_unique_for_key(gcm_rtcp_iv(&self.rtcp.salt, ssrc, index));
                if e {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&word.to_be_bytes());
                    key.open_in_place(nonce, Aad::from(&aad[..]), &mut buf[8..n - 4])
                        .map_err(|_| Error::AuthFailed)?;
                } else {
                    let mut aad = Vec::with_capacity(len + 4);
                    aad.extend_from_slice(&buf[..len]);
                    aad.extend_from_slice(&word.to_be_bytes());
                    key.open_in_place(nonce, Aad::from(&aad[..]), &mut buf[len..n - 4])
                        .map_err(|_| Error::AuthFailed)?;
                }
                stream_entry(
                    &mut self.streams,
                    &mut self.tick,
                    &mut self.counters.streams_evicted,
                    ssrc,
                )
                .rtcp_window
                .update(index as u64);
                Ok(len)
            }
        }
    }

    /// Sets the next SRTCP index sent for `ssrc` (tests and stream hand-over).
    pub fn set_rtcp_index(&mut self, ssrc: u32, index: u32) {
        stream_entry(
            &mut self.streams,
            &mut self.tick,
            &mut self.counters.streams_evicted,
            ssrc,
        )
        .rtcp_send_index = index & 0x7fff_ffff;
    }

    #[cfg(test)]
    fn from_session_keys(profile: SrtpProfile, key: &[u8], salt: &[u8], auth: &[u8]) -> Self {
        Self::with_keys(
            profile,
            SessionKeys::from_session(profile, key, salt, auth).unwrap(),
            SessionKeys::from_session(profile, key, salt, auth).unwrap(),
        )
    }
}

#[cfg(test)]
mod tests;

/// Grows `buf` by `overhead`, protects it in place, and trims it to the
/// protected length (or back to the original length on error).
fn grow_and_protect(
    buf: &mut Vec<u8>,
    overhead: usize,
    protect: impl FnOnce(&mut [u8], usize) -> Result<usize, Error>,
) -> Result<(), Error> {
    let len = buf.len();
    buf.resize(len + overhead, 0);
    match protect(buf, len) {
        Ok(n) => {
            buf.truncate(n);
            Ok(())
        }
        Err(e) => {
            buf.truncate(len);
            Err(e)
        }
    }
}
