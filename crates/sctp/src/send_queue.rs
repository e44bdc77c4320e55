//! Send side, before the wire: per-stream message queues, a weighted
//! round-robin scheduler across streams, and lazy fragmentation (a message is
//! cut into fragments only as packets are written, sized to the room left).
//!
//! Scheduling: streams with sendable messages sit in a ring. The stream at the
//! front sends up to `weight` messages (or, with I-DATA, `weight` fragments)
//! and then moves to the back. The weight is the head message's priority /
//! 128 (WebRTC very-low 1, low 2, medium 4, high 8). Without I-DATA a started
//! message is always finished first: its fragments need consecutive TSNs.

use crate::chunk::data_flags;
use crate::config::{SctpEvent, SendOptions, StreamStats};
use crate::wire::IntBuildHasher;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// A fragment ready to be given a TSN and sent.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// Stream.
    pub stream_id: u16,
    /// SSN (DATA) or MID (I-DATA).
    pub mid: u32,
    /// Fragment sequence number (I-DATA).
    pub fsn: u32,
    /// Payload protocol identifier.
    pub ppid: u32,
    /// B/E/U flags.
    pub flags: u8,
    /// Payload (a slice of the message, no copy).
    pub data: Bytes,
    /// Identifies the message within this association (for abandoning it whole).
    pub msg_uid: u64,
    /// Partial reliability: most retransmissions.
    pub max_rtx: Option<u16>,
    /// Partial reliability: give up after this instant.
    pub expires: Option<Instant>,
}

#[derive(Debug)]
struct OutMsg {
    data: Bytes,
    ppid: u32,
    unordered: bool,
    max_rtx: Option<u16>,
    expires: Option<Instant>,
    priority: u16,
    offset: usize,
    mid: u32,
    fsn: u32,
    uid: u64,
}

#[derive(Debug, Default)]
struct OutStream {
    queue: VecDeque<OutMsg>,
    next_ssn: u32,
    next_unordered_mid: u32,
    buffered: usize,
    low_threshold: usize,
    in_ring: bool,
    reset_pending: bool,
    /// Messages queued before the reset request: they still go out first.
    sendable_before_reset: usize,
    stats: StreamStats,
}

impl OutStream {
    fn sendable(&self) -> bool {
        let paused_for_reset = self.reset_pending && self.sendable_before_reset == 0;
        !self.queue.is_empty() && !paused_for_reset
    }
}

/// All outgoing streams and the scheduler.
#[derive(Debug, Default)]
pub struct SendQueue {
    streams: HashMap<u16, OutStream, IntBuildHasher>,
    ring: VecDeque<u16>,
    turn_used: u32,
    total_bytes: usize,
    total_msgs: usize,
    next_uid: u64,
    /// Messages dropped unsent because their lifetime ran out.
    pub expired_unsent: u64,
}

fn weight(priority: u16) -> u32 {
    (priority / 128).clamp(1, 16) as u32
}

impl SendQueue {
    /// Messages queued (not fully fragmented yet).
    pub fn queued_messages(&self) -> usize {
        self.total_msgs
    }

    /// Bytes queued and not yet sent once.
    pub fn queued_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Queues a message.
    pub fn enqueue(
        &mut self,
        now: Instant,
        stream_id: u16,
        ppid: u32,
        data: Bytes,
        opts: &SendOptions,
    ) {
        let uid = self.next_uid;
        self.next_uid += 1;
        let len = data.len();
        let st = self.streams.entry(stream_id).or_default();
        st.queue.push_back(OutMsg {
            data,
            ppid,
            unordered: !opts.ordered,
            max_rtx: opts.max_retransmits,
            expires: opts.lifetime.map(|l| now + l),
            priority: opts.priority,
            offset: 0,
            mid: 0,
            fsn: 0,
            uid,
        });
        st.buffered += len;
        self.total_bytes += len;
        self.total_msgs += 1;
        if st.sendable() && !st.in_ring {
            st.in_ring = true;
            self.ring.push_back(stream_id);
        }
    }

    /// Cuts the next fragment (at most `max_payload` bytes) from the
    /// scheduled stream. `interleaving` is whether I-DATA is in use.
    pub fn next_fragment(
        &mut self,
        now: Instant,
        max_payload: usize,
        interleaving: bool,
        events: &mut VecDeque<SctpEvent>,
    ) -> Option<Fragment> {
        if max_payload == 0 {
            return None;
        }
        loop {
            let sid = *self.ring.front()?;
            let Some(st) = self.streams.get_mut(&sid) else {
                self.ring.pop_front();
                continue;
            };
            if !st.sendable() {
                st.in_ring = false;
                self.ring.pop_front();
                self.turn_used = 0;
                continue;
            }
            let msg = st.queue.front_mut().expect("sendable stream has a message");
            if msg.offset == 0 && msg.expires.is_some_and(|e| now >= e) {
                let len = msg.data.len();
                st.queue.pop_front();
                if st.reset_pending {
                    st.sendable_before_reset = st.sendable_before_reset.saturating_sub(1);
                }
                self.expired_unsent += 1;
                self.total_msgs -= 1;
                self.total_bytes -= len;
                Self::reduce_buffered(st, sid, len, events);
                continue;
            }
            if msg.offset == 0 {
                msg.mid = if !msg.unordered {
                    let m = st.next_ssn;
                    st.next_ssn = st.next_ssn.wrapping_add(1);
                    m
                } else if interleaving {
                    let m = st.next_unordered_mid;
                    st.next_unordered_mid = st.next_unordered_mid.wrapping_add(1);
                    m
                } else {
                    0
                };
            }
            let remaining = msg.data.len() - msg.offset;
            let cut = remaining.min(max_payload);
            let mut flags = if msg.unordered {
                data_flags::UNORDERED
            } else {
                0
            };
            if msg.offset == 0 {
                flags |= data_flags::BEGIN;
            }
            let last = cut == remaining;
            if last {
                flags |= data_flags::END;
            }
            let frag = Fragment {
                stream_id: sid,
                mid: msg.mid,
                fsn: msg.fsn,
                ppid: msg.ppid,
                flags,
                data: msg.data.slice(msg.offset..msg.offset + cut),
                msg_uid: msg.uid,
                max_rtx: msg.max_rtx,
                expires: msg.expires,
            };
            msg.offset += cut;
            msg.fsn = msg.fsn.wrapping_add(1);
            let w = weight(msg.priority);
            if last {
                let len = msg.data.len();
                st.queue.pop_front();
                st.stats.messages_sent += 1;
                st.stats.bytes_sent += len as u64;
                self.total_msgs -= 1;
                if st.reset_pending {
                    st.sendable_before_reset = st.sendable_before_reset.saturating_sub(1);
                }
            }
            self.total_bytes -= cut;
            Self::reduce_buffered(st, sid, cut, events);
            if interleaving || last {
                self.turn_used += 1;
                if self.turn_used >= w || !st.sendable() {
                    self.turn_used = 0;
                    self.ring.pop_front();
                    if st.sendable() {
                        self.ring.push_back(sid);
                    } else {
                        st.in_ring = false;
                    }
                }
            }
            return Some(frag);
        }
    }

    fn reduce_buffered(st: &mut OutStream, sid: u16, by: usize, events: &mut VecDeque<SctpEvent>) {
        let before = st.buffered;
        st.buffered -= by;
        if before > st.low_threshold && st.buffered <= st.low_threshold {
            events.push_back(SctpEvent::BufferedAmountLow { stream_id: sid });
        }
    }

    /// Drops the unsent rest of a partly sent message (partial reliability
    /// gave up on it). Returns whether something was dropped.
    pub fn abandon_rest(
        &mut self,
        stream_id: u16,
        uid: u64,
        events: &mut VecDeque<SctpEvent>,
    ) -> bool {
        let Some(st) = self.streams.get_mut(&stream_id) else {
            return false;
        };
        match st.queue.front() {
            Some(m) if m.uid == uid && m.offset > 0 => {
                let rest = m.data.len() - m.offset;
                st.queue.pop_front();
                if st.reset_pending {
                    st.sendable_before_reset = st.sendable_before_reset.saturating_sub(1);
                }
                self.total_msgs -= 1;
                self.total_bytes -= rest;
                Self::reduce_buffered(st, stream_id, rest, events);
                true
            }
            _ => false,
        }
    }

    /// The stream's bytes not yet sent.
    pub fn buffered_amount(&self, stream_id: u16) -> usize {
        self.streams.get(&stream_id).map_or(0, |s| s.buffered)
    }

    /// Sets the level at or below which `BufferedAmountLow` fires.
    pub fn set_low_threshold(&mut self, stream_id: u16, threshold: usize) {
        self.streams.entry(stream_id).or_default().low_threshold = threshold;
    }

    /// Marks streams to be reset once the messages already queued on them are sent.
    pub fn prepare_reset(&mut self, streams: &[u16]) {
        for &s in streams {
            let st = self.streams.entry(s).or_default();
            if !st.reset_pending {
                st.reset_pending = true;
                st.sendable_before_reset = st.queue.len();
            }
        }
    }

    /// Whether the stream has sent everything queued before its reset.
    pub fn ready_to_reset(&self, stream_id: u16) -> bool {
        self.streams.get(&stream_id).is_none_or(|s| {
            s.sendable_before_reset == 0 && s.queue.front().is_none_or(|m| m.offset == 0)
        })
    }

    /// The peer performed the reset: sequence numbers restart at zero and
    /// messages queued after the reset request may go.
    pub fn complete_reset(&mut self, streams: &[u16]) {
        for &s in streams {
            if let Some(st) = self.streams.get_mut(&s) {
                st.next_ssn = 0;
                st.next_unordered_mid = 0;
                st.reset_pending = false;
                st.sendable_before_reset = 0;
                if st.sendable() && !st.in_ring {
                    st.in_ring = true;
                    self.ring.push_back(s);
                }
            }
        }
    }

    /// Drops everything (association restart or end).
    pub fn clear(&mut self) {
        for st in self.streams.values_mut() {
            st.queue.clear();
            st.buffered = 0;
            st.in_ring = false;
            st.next_ssn = 0;
            st.next_unordered_mid = 0;
            st.reset_pending = false;
            st.sendable_before_reset = 0;
        }
        self.ring.clear();
        self.total_bytes = 0;
        self.total_msgs = 0;
    }

    /// The stream's send counters.
    pub fn stats(&self, stream_id: u16) -> StreamStats {
        self.streams
            .get(&stream_id)
            .map(|s| s.stats)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(priority: u16) -> SendOptions {
        SendOptions {
            priority,
            ..SendOptions::default()
        }
    }

    #[test]
    fn fragments_and_flags() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        let mut ev = VecDeque::new();
        q.enqueue(now, 1, 51, Bytes::from(vec![7u8; 10]), &opts(256));
        assert_eq!(q.buffered_amount(1), 10);
        let a = q.next_fragment(now, 4, false, &mut ev).unwrap();
        let b = q.next_fragment(now, 4, false, &mut ev).unwrap();
        let c = q.next_fragment(now, 4, false, &mut ev).unwrap();
        assert!(q.next_fragment(now, 4, false, &mut ev).is_none());
        assert_eq!(a.flags, data_flags::BEGIN);
        assert_eq!(b.flags, 0);
        assert_eq!(c.flags, data_flags::END);
        assert_eq!(c.data.len(), 2);
        assert_eq!(q.buffered_amount(1), 0);
        assert_eq!(q.stats(1).messages_sent, 1);
    }

    #[test]
    fn round_robin_with_weights() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        let mut ev = VecDeque::new();
        for _ in 0..6 {
            q.enqueue(now, 1, 0, Bytes::from_static(b"a"), &opts(128));
            q.enqueue(now, 2, 0, Bytes::from_static(b"b"), &opts(256));
        }
        let order: Vec<u16> = std::iter::from_fn(|| {
            q.next_fragment(now, 100, false, &mut ev)
                .map(|f| f.stream_id)
        })
        .collect();
        assert_eq!(order, vec![1, 2, 2, 1, 2, 2, 1, 2, 2, 1, 1, 1]);
    }

    #[test]
    fn ssn_assigned_per_stream_and_low_threshold() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        let mut ev = VecDeque::new();
        q.set_low_threshold(3, 5);
        q.enqueue(now, 3, 0, Bytes::from(vec![0; 8]), &opts(256));
        q.enqueue(now, 3, 0, Bytes::from(vec![0; 8]), &opts(256));
        let a = q.next_fragment(now, 100, false, &mut ev).unwrap();
        assert!(ev.is_empty());
        let b = q.next_fragment(now, 100, false, &mut ev).unwrap();
        assert_eq!((a.mid, b.mid), (0, 1));
        assert_eq!(
            ev.pop_front(),
            Some(SctpEvent::BufferedAmountLow { stream_id: 3 })
        );
    }

    #[test]
    fn expired_unsent_dropped_and_reset_waits() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        let mut ev = VecDeque::new();
        let o = SendOptions {
            lifetime: Some(std::time::Duration::from_millis(1)),
            ..opts(256)
        };
        q.enqueue(now, 1, 0, Bytes::from_static(b"old"), &o);
        q.prepare_reset(&[1]);
        q.enqueue(now, 1, 0, Bytes::from_static(b"after"), &opts(256));
        assert!(!q.ready_to_reset(1));
        let later = now + std::time::Duration::from_millis(5);
        assert!(
            q.next_fragment(later, 100, false, &mut ev).is_none(),
            "paused after expiry"
        );
        assert_eq!(q.expired_unsent, 1);
        assert!(q.ready_to_reset(1));
        q.complete_reset(&[1]);
        let f = q.next_fragment(later, 100, false, &mut ev).unwrap();
        assert_eq!((&f.data[..], f.mid), (&b"after"[..], 0));
    }
}
