//! Send side, on the wire: chunks in flight until acknowledged, SACK
//! processing, congestion control (RFC 9260 §7), fast retransmit and
//! recovery, retransmission on timeout, partial reliability (RFC 3758) and
//! the RTO estimator (RFC 6298).
//!
//! Chunks live in a deque indexed by `tsn - (cum_ack + 1)`, so finding a
//! chunk by TSN is O(1) and an in-order SACK only pops from the front. The
//! chunks to retransmit are kept in their own ordered set: writing a packet
//! never walks the chunks in flight.

use crate::send_queue::Fragment;
use crate::tsn::{unwrap32, UNWRAP_BASE};
use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

/// Where a chunk in the queue stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkState {
    /// Sent, not acknowledged, counted in flight.
    InFlight,
    /// Acknowledged by a gap block, waiting for the cumulative ack.
    Acked,
    /// Marked lost; waiting to be sent again (not counted in flight).
    ToRetransmit,
    /// Given up (partial reliability); to be skipped with FORWARD-TSN.
    Abandoned,
}

/// A chunk that has been given a TSN.
#[derive(Debug)]
pub struct Sent {
    /// Its TSN (unwrapped).
    pub tsn: u64,
    /// What it carries.
    pub frag: Fragment,
    /// When it was last sent.
    pub sent_at: Instant,
    /// How many times it was sent.
    pub tx_count: u16,
    /// Its state.
    pub state: ChunkState,
    miss: u8,
    /// Only SACKs newly acknowledging a TSN at or above this one count as
    /// miss indications: chunks sent after this one's last transmission.
    /// This lets a lost retransmission be fast-retransmitted again (as
    /// dcSCTP does) instead of waiting for the T3 timer.
    miss_floor: u64,
}

/// What a SACK changed.
#[derive(Debug, Default, Clone, Copy)]
pub struct SackOutcome {
    /// The SACK was older than one already processed (ignored).
    pub stale: bool,
    /// The cumulative ack moved forward.
    pub cum_advanced: bool,
    /// A round-trip sample taken from this SACK.
    pub rtt: Option<Duration>,
    /// Chunks newly marked for fast retransmission.
    pub fast_retransmits: u32,
}

/// The retransmission queue and congestion state of one association.
#[derive(Debug)]
pub struct RetransmitQueue {
    q: VecDeque<Sent>,
    /// The peer's cumulative TSN ack (unwrapped, our TSN space).
    cum_ack: u64,
    next_tsn: u64,
    rtx: BTreeSet<u64>,
    outstanding: usize,
    /// Congestion window (bytes).
    pub cwnd: usize,
    ssthresh: usize,
    pba: usize,
    /// The peer's receiver window, less what is in flight.
    pub peer_rwnd: usize,
    mtu: usize,
    recovery_exit: Option<u64>,
    /// One packet of retransmissions may ignore cwnd (fast retransmit).
    fast_rtx_pending: bool,
    rtt_probe: Option<u64>,
    adv_peer_ack: u64,
    /// A FORWARD-TSN should be sent.
    pub forward_tsn_needed: bool,
    /// Messages abandoned since last asked (stream, uid), for the send queue.
    pub abandoned: Vec<(u16, u64)>,
    /// Chunks retransmitted in total.
    pub retransmitted: u64,
    /// Messages abandoned in total.
    pub abandoned_total: u64,
}

impl RetransmitQueue {
    /// A queue whose first TSN is `initial_tsn`; `mtu` is the largest packet.
    pub fn new(initial_tsn: u32, mtu: usize, peer_rwnd: u32) -> Self {
        let cum = UNWRAP_BASE + initial_tsn as u64 - 1;
        Self {
            q: VecDeque::new(),
            cum_ack: cum,
            next_tsn: cum + 1,
            rtx: BTreeSet::new(),
            outstanding: 0,
            cwnd: (4 * mtu).min((2 * mtu).max(4380)),
            ssthresh: peer_rwnd as usize,
            pba: 0,
            peer_rwnd: peer_rwnd as usize,
            mtu,
            recovery_exit: None,
            fast_rtx_pending: false,
            rtt_probe: None,
            adv_peer_ack: cum,
            forward_tsn_needed: false,
            abandoned: Vec::new(),
            retransmitted: 0,
            abandoned_total: 0,
        }
    }

    /// The last TSN assigned, as on the wire.
    pub fn last_assigned_tsn32(&self) -> u32 {
        (self.next_tsn - 1) as u32
    }

    /// Bytes in flight.
    pub fn outstanding_bytes(&self) -> usize {
        self.outstanding
    }

    /// Whether anything awaits acknowledgement (or a FORWARD-TSN).
    pub fn has_unacked(&self) -> bool {
        !self.q.is_empty()
    }

    /// Whether any chunk waits to be retransmitted.
    pub fn has_retransmissions(&self) -> bool {
        !self.rtx.is_empty()
    }

    /// Whether a new chunk of `len` bytes may be sent now (cwnd and the
    /// peer's window; one chunk may always probe an empty flight).
    pub fn can_send_new(&self, len: usize) -> bool {
        if self.outstanding == 0 {
            return true;
        }
        self.outstanding < self.cwnd && self.peer_rwnd >= len
    }

    /// Gives `frag` the next TSN and records it as sent.
    pub fn add(&mut self, now: Instant, frag: Fragment) -> u64 {
        let tsn = self.next_tsn;
        self.next_tsn += 1;
        let len = frag.data.len();
        self.outstanding += len;
        self.peer_rwnd = self.peer_rwnd.saturating_sub(len);
        if self.rtt_probe.is_none() {
            self.rtt_probe = Some(tsn);
        }
        self.q.push_back(Sent {
            tsn,
            frag,
            sent_at: now,
            tx_count: 1,
            state: ChunkState::InFlight,
            miss: 0,
            miss_floor: tsn + 1,
        });
        tsn
    }

    fn idx(&self, tsn: u64) -> Option<usize> {
        let i = tsn.checked_sub(self.cum_ack + 1)? as usize;
        (i < self.q.len()).then_some(i)
    }

    /// The chunk with this TSN, if still queued.
    pub fn get(&self, tsn: u64) -> Option<&Sent> {
        self.q.get(self.idx(tsn)?)
    }

    /// Picks the next chunk to retransmit, if one fits in `room` bytes of
    /// payload and the congestion window allows. Chunks whose message ran
    /// out of retransmissions or lifetime are abandoned instead.
    pub fn next_retransmission(&mut self, now: Instant, room: usize) -> Option<u64> {
        while let Some(&tsn) = self.rtx.first() {
            let Some(i) = self.idx(tsn) else {
                self.rtx.remove(&tsn);
                continue;
            };
            let s = &self.q[i];
            if s.state != ChunkState::ToRetransmit {
                self.rtx.remove(&tsn);
                continue;
            }
            let out_of_tries = s.frag.max_rtx.is_some_and(|m| s.tx_count > m);
            let expired = s.frag.expires.is_some_and(|e| now >= e);
            if out_of_tries || expired {
                let uid = s.frag.msg_uid;
                self.abandon(uid);
                continue;
            }
            let len = s.frag.data.len();
            if len > room {
                return None;
            }
            if !self.fast_rtx_pending && self.outstanding > 0 && self.outstanding + len > self.cwnd
            {
                return None;
            }
            self.rtx.remove(&tsn);
            let s = &mut self.q[i];
            s.state = ChunkState::InFlight;
            s.tx_count = s.tx_count.saturating_add(1);
            s.sent_at = now;
            s.miss = 0;
            s.miss_floor = self.next_tsn;
            self.outstanding += len;
            self.retransmitted += 1;
            if self.rtt_probe == Some(tsn) {
                self.rtt_probe = None;
            }
            return Some(tsn);
        }
        None
    }

    /// Ends the cwnd exemption of a fast retransmission (after one packet).
    pub fn end_fast_rtx_packet(&mut self) {
        self.fast_rtx_pending = false;
    }

    /// Processes a SACK.
    pub fn handle_sack(
        &mut self,
        now: Instant,
        cum32: u32,
        a_rwnd: u32,
        gaps: impl Iterator<Item = (u16, u16)>,
    ) -> SackOutcome {
        let mut out = SackOutcome::default();
        let cum = unwrap32(self.cum_ack, cum32);
        if cum < self.cum_ack || cum >= self.next_tsn {
            out.stale = true;
            return out;
        }
        let flight_before = self.outstanding;
        let mut newly = 0usize;
        let mut htna = 0u64;
        while self.q.front().is_some_and(|s| s.tsn <= cum) {
            let s = self.q.pop_front().expect("front checked");
            match s.state {
                ChunkState::InFlight => {
                    self.outstanding -= s.frag.data.len();
                    newly += s.frag.data.len();
                    htna = s.tsn;
                }
                ChunkState::ToRetransmit => {
                    self.rtx.remove(&s.tsn);
                    newly += s.frag.data.len();
                    htna = s.tsn;
                }
                ChunkState::Acked | ChunkState::Abandoned => {}
            }
            if self.rtt_probe == Some(s.tsn) {
                if s.tx_count == 1 && s.state == ChunkState::InFlight {
                    out.rtt = Some(now.saturating_duration_since(s.sent_at));
                }
                self.rtt_probe = None;
            }
        }
        out.cum_advanced = cum > self.cum_ack;
        self.cum_ack = cum;
        if self.rtt_probe.is_some_and(|p| p <= cum) {
            self.rtt_probe = None;
        }

        let mut highest_acked = cum;
        for (s, e) in gaps {
            if s == 0 || e < s {
                continue;
            }
            let lo = cum + s as u64;
            let hi = (cum + e as u64).min(self.next_tsn - 1);
            let (Some(a), Some(b)) = (self.idx(lo), self.idx(hi)) else {
                continue;
            };
            highest_acked = highest_acked.max(hi);
            for i in a..=b {
                let c = &mut self.q[i];
                match c.state {
                    ChunkState::InFlight => {
                        self.outstanding -= c.frag.data.len();
                    }
                    ChunkState::ToRetransmit => {
                        self.rtx.remove(&c.tsn);
                    }
                    ChunkState::Acked | ChunkState::Abandoned => continue,
                }
                c.state = ChunkState::Acked;
                newly += c.frag.data.len();
                htna = c.tsn;
            }
        }

        // Miss indications for chunks below the highest newly acked TSN.
        if highest_acked > cum && htna > cum {
            if let Some(end) = self.idx(htna) {
                for i in 0..end {
                    let c = &mut self.q[i];
                    if c.state != ChunkState::InFlight || htna < c.miss_floor {
                        continue;
                    }
                    c.miss = c.miss.saturating_add(1);
                    if c.miss >= 3 {
                        c.state = ChunkState::ToRetransmit;
                        self.outstanding -= c.frag.data.len();
                        self.rtx.insert(c.tsn);
                        out.fast_retransmits += 1;
                    }
                }
            }
        }
        if out.fast_retransmits > 0 && self.recovery_exit.is_none() {
            self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
            self.cwnd = self.ssthresh;
            self.pba = 0;
            self.recovery_exit = Some(self.next_tsn - 1);
            self.fast_rtx_pending = true;
        }

        self.peer_rwnd = (a_rwnd as usize).saturating_sub(self.outstanding);

        if out.cum_advanced {
            if self.recovery_exit.is_some_and(|x| cum >= x) {
                self.recovery_exit = None;
            }
            let fully_used = flight_before + self.mtu >= self.cwnd;
            if self.recovery_exit.is_none() && fully_used {
                if self.cwnd <= self.ssthresh {
                    self.cwnd += newly.min(self.mtu);
                } else {
                    self.pba += newly;
                    if self.pba >= self.cwnd {
                        self.pba -= self.cwnd;
                        self.cwnd += self.mtu;
                    }
                }
            }
        }
        if self.outstanding == 0 {
            self.pba = 0;
        }
        self.advance_peer_ack_point();
        out
    }

    fn advance_peer_ack_point(&mut self) {
        if self.adv_peer_ack < self.cum_ack {
            self.adv_peer_ack = self.cum_ack;
        }
        while let Some(i) = self.idx(self.adv_peer_ack + 1) {
            if self.q[i].state != ChunkState::Abandoned {
                break;
            }
            self.adv_peer_ack += 1;
        }
        self.forward_tsn_needed = self.adv_peer_ack > self.cum_ack;
    }

    /// Gives up on every chunk of message `uid`.
    pub fn abandon(&mut self, uid: u64) {
        let mut sid = None;
        for c in self.q.iter_mut() {
            if c.frag.msg_uid != uid {
                continue;
            }
            sid = Some(c.frag.stream_id);
            match c.state {
                ChunkState::InFlight => self.outstanding -= c.frag.data.len(),
                ChunkState::ToRetransmit => {
                    self.rtx.remove(&c.tsn);
                }
                ChunkState::Acked | ChunkState::Abandoned => continue,
            }
            c.state = ChunkState::Abandoned;
        }
        if let Some(sid) = sid {
            self.abandoned.push((sid, uid));
            self.abandoned_total += 1;
        }
        self.advance_peer_ack_point();
    }

    /// Abandons in-flight chunks whose lifetime ran out.
    pub fn expire(&mut self, now: Instant) {
        let expired: Vec<u64> = self
            .q
            .iter()
            .filter(|c| matches!(c.state, ChunkState::InFlight | ChunkState::ToRetransmit))
            .filter(|c| c.frag.expires.is_some_and(|e| now >= e))
            .map(|c| c.frag.msg_uid)
            .collect();
        for uid in expired {
            self.abandon(uid);
        }
    }

    /// The T3-rtx timer expired (RFC 9260 §6.3.3): everything in flight is
    /// marked for retransmission and the window collapses to one packet.
    pub fn on_t3_expired(&mut self, now: Instant) {
        self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
        self.cwnd = self.mtu;
        self.pba = 0;
        self.recovery_exit = None;
        self.rtt_probe = None;
        for c in self.q.iter_mut() {
            if c.state == ChunkState::InFlight {
                c.state = ChunkState::ToRetransmit;
                self.outstanding -= c.frag.data.len();
                self.rtx.insert(c.tsn);
            }
        }
        self.expire(now);
        self.forward_tsn_needed = self.adv_peer_ack > self.cum_ack;
    }

    /// The new cumulative TSN for a FORWARD-TSN, as on the wire.
    pub fn forward_tsn_point32(&self) -> u32 {
        self.adv_peer_ack as u32
    }

    /// The skipped messages a FORWARD-TSN must name: `(stream, unordered,
    /// ssn/mid)`, the highest per stream and kind. With DATA only ordered
    /// ones are named.
    pub fn forward_tsn_entries(&self, interleaved: bool, out: &mut Vec<(u16, bool, u32)>) {
        out.clear();
        let (Some(_), Some(end)) = (self.idx(self.cum_ack + 1), self.idx(self.adv_peer_ack)) else {
            return;
        };
        for i in 0..=end {
            let f = &self.q[i].frag;
            let unordered = f.flags & crate::chunk::data_flags::UNORDERED != 0;
            if unordered && !interleaved {
                continue;
            }
            match out
                .iter_mut()
                .find(|(s, u, _)| *s == f.stream_id && *u == unordered)
            {
                Some(e) => {
                    let newer = if interleaved {
                        (f.mid.wrapping_sub(e.2) as i32) > 0
                    } else {
                        ((f.mid as u16).wrapping_sub(e.2 as u16) as i16) > 0
                    };
                    if newer {
                        e.2 = f.mid;
                    }
                }
                None => out.push((f.stream_id, unordered, f.mid)),
            }
        }
    }

    /// Drops everything (restart).
    pub fn clear(&mut self) {
        self.q.clear();
        self.rtx.clear();
        self.outstanding = 0;
    }
}

/// Retransmission timeout from RTT samples (RFC 6298 with SCTP's bounds).
#[derive(Debug, Clone)]
pub struct RtoEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    min: Duration,
    max: Duration,
}

impl RtoEstimator {
    /// An estimator starting at `initial`, clamped to `[min, max]`.
    pub fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        Self {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial.clamp(min, max),
            min,
            max,
        }
    }

    /// Feeds one round-trip sample.
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        // G (clock granularity) is taken as 1 ms.
        let rto = srtt + (self.rttvar * 4).max(Duration::from_millis(1));
        self.rto = rto.clamp(self.min, self.max);
    }

    /// Doubles the timeout after an expiry (RFC 9260 §6.3.3 E2).
    pub fn back_off(&mut self) {
        self.rto = (self.rto * 2).min(self.max);
    }

    /// The current timeout.
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// The smoothed RTT, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frag(uid: u64, len: usize) -> Fragment {
        Fragment {
            stream_id: 1,
            mid: uid as u32,
            fsn: 0,
            ppid: 0,
            flags: crate::chunk::data_flags::BEGIN | crate::chunk::data_flags::END,
            data: Bytes::from(vec![0; len]),
            msg_uid: uid,
            max_rtx: Some(0),
            expires: None,
        }
    }

    #[test]
    fn sack_cum_and_gaps_then_fast_retransmit() {
        let now = Instant::now();
        let mut q = RetransmitQueue::new(100, 1000, 1 << 20);
        q.cwnd = 100_000;
        for i in 0..6 {
            q.add(
                now,
                Fragment {
                    max_rtx: None,
                    ..frag(i, 100)
                },
            );
        }
        assert_eq!(q.outstanding_bytes(), 600);
        // TSN 100 acked, 101 missing, 102..=102+k acked over three SACKs.
        let o = q.handle_sack(now, 100, 1 << 20, [(2u16, 2u16)].into_iter());
        assert!(o.cum_advanced && o.fast_retransmits == 0);
        q.handle_sack(now, 100, 1 << 20, [(2u16, 3u16)].into_iter());
        let o = q.handle_sack(now, 100, 1 << 20, [(2u16, 4u16)].into_iter());
        assert_eq!(o.fast_retransmits, 1);
        assert!(q.has_retransmissions());
        let tsn = q.next_retransmission(now, 1000).unwrap();
        assert_eq!(tsn as u32, 101);
        let o = q.handle_sack(now, 105, 1 << 20, std::iter::empty());
        assert!(o.cum_advanced);
        assert!(!q.has_unacked());
        assert_eq!(q.outstanding_bytes(), 0);
        assert!(q.handle_sack(now, 104, 1 << 20, std::iter::empty()).stale);
    }

    #[test]
    fn t3_then_abandon_with_forward_tsn() {
        let now = Instant::now();
        let mut q = RetransmitQueue::new(1, 1000, 1 << 20);
        q.add(now, frag(7, 100));
        q.add(
            now,
            Fragment {
                max_rtx: None,
                ..frag(8, 100)
            },
        );
        q.on_t3_expired(now);
        assert_eq!(q.cwnd, 1000);
        // Message 7 allows no retransmission: abandoned, FORWARD-TSN needed.
        let tsn = q.next_retransmission(now, 1000).unwrap();
        assert_eq!(tsn as u32, 2);
        assert!(q.forward_tsn_needed);
        assert_eq!(q.forward_tsn_point32(), 1);
        let mut e = Vec::new();
        q.forward_tsn_entries(false, &mut e);
        assert_eq!(e, vec![(1, false, 7)]);
        assert_eq!(q.abandoned, vec![(1, 7)]);
    }

    #[test]
    fn rto_estimator_bounds() {
        let mut r = RtoEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(5),
        );
        r.sample(Duration::from_millis(10));
        assert_eq!(r.rto(), Duration::from_millis(200));
        r.sample(Duration::from_millis(400));
        assert!(r.rto() > Duration::from_millis(400));
        for _ in 0..10 {
            r.back_off();
        }
        assert_eq!(r.rto(), Duration::from_secs(5));
    }
}
