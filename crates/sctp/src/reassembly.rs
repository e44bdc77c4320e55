//! Receive side: fragments back into messages, and messages into stream order.
//!
//! Fragments are kept as *spans*: runs of consecutive fragments already
//! glued into one buffer. A fragment that continues a span is appended to it
//! (one copy, from the packet into the message buffer), and two spans that
//! meet are merged. In-order arrival therefore grows one buffer per message
//! and never revisits earlier fragments; a message is complete when its span
//! has both the first and the last fragment.
//!
//! With DATA (RFC 9260) spans are keyed by TSN, since fragments of a message
//! carry consecutive TSNs. With I-DATA (RFC 8260) messages interleave, so each
//! partial message is keyed by (stream, unordered, MID) and its spans by FSN.
//!
//! Complete ordered messages wait per stream until their SSN/MID is next.

use crate::chunk::Data;
use crate::config::SctpEvent;
use crate::tsn::{unwrap16, unwrap32, UNWRAP_BASE};
use crate::wire::IntBuildHasher;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Why a fragment could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReassemblyError {
    /// A message grew beyond the maximum message size: it is dropped (its
    /// bytes are released, its later fragments are discarded, and an
    /// ordered stream moves on past it), the rest of the stream goes on.
    TooLarge,
}

/// Bytes charged per span on top of its data, so that a peer sending many
/// tiny fragments cannot make us hold far more memory than the window says.
const SPAN_OVERHEAD: usize = 128;

#[derive(Debug)]
struct Span {
    /// Last TSN (DATA) or FSN (I-DATA) of the span.
    last: u64,
    begin: bool,
    end: bool,
    stream: u16,
    mid: u32,
    unordered: bool,
    ppid: u32,
    data: Vec<u8>,
    /// The message grew beyond the maximum message size: its data is
    /// released and the rest of its fragments only extend the span.
    dropped: bool,
}

#[derive(Debug, Default)]
struct Partial {
    /// Spans keyed by first FSN.
    spans: BTreeMap<u64, Span>,
}

#[derive(Debug)]
struct InStream {
    /// Next expected SSN/MID (unwrapped).
    next: u64,
    /// Complete messages waiting for an earlier one (`None`: a message
    /// dropped as too large, skipped when its turn comes).
    waiting: BTreeMap<u64, Option<(u32, Bytes)>>,
}

impl InStream {
    fn new() -> Self {
        Self {
            next: UNWRAP_BASE,
            waiting: BTreeMap::new(),
        }
    }
}

/// Reassembly and ordered delivery for all incoming streams.
#[derive(Debug)]
pub struct Reassembly {
    interleaved: bool,
    max_message_size: usize,
    /// DATA: spans keyed by first TSN.
    spans: BTreeMap<u64, Span>,
    /// I-DATA: partial messages.
    partial: HashMap<(u16, bool, u32), Partial, IntBuildHasher>,
    streams: HashMap<u16, InStream, IntBuildHasher>,
    held: usize,
}

impl Reassembly {
    /// Reassembly for DATA (`interleaved == false`) or I-DATA.
    pub fn new(interleaved: bool, max_message_size: usize) -> Self {
        Self {
            interleaved,
            max_message_size,
            spans: BTreeMap::new(),
            partial: HashMap::default(),
            streams: HashMap::default(),
            held: 0,
        }
    }

    /// Bytes held: fragments of incomplete messages and complete messages
    /// waiting for their turn.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Takes one new fragment (its TSN already accepted as new), pushing
    /// every message it completes to `out`.
    pub fn add(
        &mut self,
        tsn: u64,
        d: &Data<'_>,
        out: &mut VecDeque<SctpEvent>,
    ) -> Result<(), ReassemblyError> {
        let unordered = d.is_unordered();
        if d.is_begin() && d.is_end() {
            if d.payload.len() > self.max_message_size {
                self.skip_message(d.stream_id, unordered, d.mid, out);
                return Err(ReassemblyError::TooLarge);
            }
            self.complete(
                d.stream_id,
                unordered,
                d.mid,
                d.ppid,
                Bytes::copy_from_slice(d.payload),
                out,
            );
            return Ok(());
        }
        self.held += d.payload.len();
        let max = self.max_message_size;
        let (map, key) = if self.interleaved {
            let p = self
                .partial
                .entry((d.stream_id, unordered, d.mid))
                .or_default();
            (&mut p.spans, d.fsn as u64)
        } else {
            (&mut self.spans, tsn)
        };
        let interleaved = self.interleaved;
        let same = |s: &Span| {
            interleaved
                || (s.stream == d.stream_id
                    && s.unordered == unordered
                    && (unordered || s.mid == d.mid))
        };

        // Append to the span that ends just before, or start a new span.
        let mut start = key;
        let mut appended = false;
        if !d.is_begin() && key > 0 {
            if let Some((&k, s)) = map.range_mut(..key).next_back() {
                if s.last + 1 == key && !s.end && same(s) {
                    s.data.extend_from_slice(d.payload);
                    s.last = key;
                    s.end = d.is_end();
                    start = k;
                    appended = true;
                }
            }
        }
        if !appended {
            if map.contains_key(&key) {
                // Same FSN twice in one message (a hostile peer): ignore.
                self.held -= d.payload.len();
                return Ok(());
            }
            self.held += SPAN_OVERHEAD;
            let mut data = Vec::with_capacity(if d.is_end() {
                d.payload.len()
            } else {
                d.payload.len() * 8
            });
            data.extend_from_slice(d.payload);
            map.insert(
                key,
                Span {
                    last: key,
                    begin: d.is_begin(),
                    end: d.is_end(),
                    stream: d.stream_id,
                    mid: d.mid,
                    unordered,
                    ppid: d.ppid,
                    data,
                    dropped: false,
                },
            );
        }
        // Merge the span that starts right after, if any.
        let (last, end) = {
            let s = &map[&start];
            (s.last, s.end)
        };
        if !end {
            let follows = map.get(&(last + 1)).is_some_and(|n| !n.begin && same(n));
            if follows {
                if let Some(next) = map.remove(&(last + 1)) {
                    self.held -= SPAN_OVERHEAD;
                    if let Some(s) = map.get_mut(&start) {
                        s.data.extend_from_slice(&next.data);
                        s.last = next.last;
                        s.end = next.end;
                        s.dropped |= next.dropped;
                    }
                }
            }
        }
        let s = map
            .get_mut(&start)
            .expect("span present: inserted or appended to above");
        let mut result = Ok(());
        if !s.dropped && s.data.len() > max {
            // Too large: drop it, keep only the span's bounds so the rest of
            // its fragments are recognized and discarded.
            s.dropped = true;
            result = Err(ReassemblyError::TooLarge);
        }
        if s.dropped && !s.data.is_empty() {
            self.held -= s.data.len();
            s.data = Vec::new();
        }
        if s.begin && s.end {
            let s = map.remove(&start).expect("span present: looked up above");
            if self.interleaved {
                self.partial.remove(&(d.stream_id, unordered, d.mid));
            }
            self.held -= s.data.len() + SPAN_OVERHEAD;
            if s.dropped {
                self.skip_message(s.stream, s.unordered, s.mid, out);
            } else {
                // The span starts with the first fragment, which carries the
                // PPID (with I-DATA only the first fragment does).
                self.complete(
                    s.stream,
                    s.unordered,
                    s.mid,
                    s.ppid,
                    Bytes::from(s.data),
                    out,
                );
            }
        }
        result
    }

    /// A message dropped as too large: an ordered stream moves past it (at
    /// once, or when its turn comes), so the messages after it still arrive.
    fn skip_message(
        &mut self,
        stream: u16,
        unordered: bool,
        mid: u32,
        out: &mut VecDeque<SctpEvent>,
    ) {
        if unordered {
            return;
        }
        let st = self.streams.entry(stream).or_insert_with(InStream::new);
        let id = if self.interleaved {
            unwrap32(st.next, mid)
        } else {
            unwrap16(st.next, mid as u16)
        };
        if id == st.next {
            st.next += 1;
            Self::drain(st, &mut self.held, stream, out);
        } else if id > st.next {
            st.waiting.insert(id, None);
        }
    }

    fn complete(
        &mut self,
        stream: u16,
        unordered: bool,
        mid: u32,
        ppid: u32,
        data: Bytes,
        out: &mut VecDeque<SctpEvent>,
    ) {
        if unordered {
            out.push_back(SctpEvent::Message {
                stream_id: stream,
                ppid,
                data,
            });
            return;
        }
        let st = self.streams.entry(stream).or_insert_with(InStream::new);
        let id = if self.interleaved {
            unwrap32(st.next, mid)
        } else {
            unwrap16(st.next, mid as u16)
        };
        if id == st.next {
            out.push_back(SctpEvent::Message {
                stream_id: stream,
                ppid,
                data,
            });
            st.next += 1;
            Self::drain(st, &mut self.held, stream, out);
        } else if id > st.next {
            self.held += data.len();
            st.waiting.insert(id, Some((ppid, data)));
        }
        // id < next: an old message (after FORWARD-TSN); dropped.
    }

    fn drain(st: &mut InStream, held: &mut usize, stream: u16, out: &mut VecDeque<SctpEvent>) {
        while let Some(entry) = st.waiting.first_entry() {
            if *entry.key() != st.next {
                break;
            }
            st.next += 1;
            let Some((ppid, data)) = entry.remove() else {
                continue; // dropped as too large
            };
            *held -= data.len();
            out.push_back(SctpEvent::Message {
                stream_id: stream,
                ppid,
                data,
            });
        }
    }

    /// Skips ordered messages up to and including `ssn_or_mid` on `stream`
    /// (FORWARD-TSN / I-FORWARD-TSN), delivering complete ones that were
    /// waiting behind the skipped ones.
    fn skip_ordered(&mut self, stream: u16, ssn_or_mid: u32, out: &mut VecDeque<SctpEvent>) {
        let st = self.streams.entry(stream).or_insert_with(InStream::new);
        let id = if self.interleaved {
            unwrap32(st.next, ssn_or_mid)
        } else {
            unwrap16(st.next, ssn_or_mid as u16)
        };
        if id < st.next {
            return;
        }
        while let Some(entry) = st.waiting.first_entry() {
            if *entry.key() > id {
                break;
            }
            let Some((ppid, data)) = entry.remove() else {
                continue; // dropped as too large
            };
            self.held -= data.len();
            out.push_back(SctpEvent::Message {
                stream_id: stream,
                ppid,
                data,
            });
        }
        st.next = id + 1;
        Self::drain(st, &mut self.held, stream, out);
    }

    /// FORWARD-TSN (RFC 3758): drops fragments up to `new_cum` and skips
    /// the listed ordered messages.
    pub fn forward_tsn(
        &mut self,
        new_cum: u64,
        streams: impl Iterator<Item = (u16, u16)>,
        out: &mut VecDeque<SctpEvent>,
    ) {
        while let Some(e) = self.spans.first_entry() {
            if *e.key() > new_cum {
                break;
            }
            let s = e.remove();
            self.held -= s.data.len() + SPAN_OVERHEAD;
        }
        for (sid, ssn) in streams {
            self.skip_ordered(sid, ssn as u32, out);
        }
    }

    /// I-FORWARD-TSN (RFC 8260 §2.3): drops partial messages up to each
    /// listed MID and skips the ordered ones.
    pub fn iforward_tsn(
        &mut self,
        entries: impl Iterator<Item = (u16, bool, u32)>,
        out: &mut VecDeque<SctpEvent>,
    ) {
        for (sid, unordered, mid) in entries {
            let mut freed = 0;
            self.partial.retain(|&(s, u, m), p| {
                let drop = s == sid && u == unordered && (mid.wrapping_sub(m) as i32) >= 0;
                if drop {
                    freed += p
                        .spans
                        .values()
                        .map(|s| s.data.len() + SPAN_OVERHEAD)
                        .sum::<usize>();
                }
                !drop
            });
            self.held -= freed;
            if !unordered {
                self.skip_ordered(sid, mid, out);
            }
        }
    }

    /// Resets the sequence numbers of incoming streams (RFC 6525); all
    /// streams when `streams` is empty.
    pub fn reset_streams(&mut self, streams: &[u16]) {
        let mut freed = 0;
        if streams.is_empty() {
            for st in self.streams.values() {
                freed += st
                    .waiting
                    .values()
                    .flatten()
                    .map(|(_, d)| d.len())
                    .sum::<usize>();
            }
            self.streams.clear();
        } else {
            for s in streams {
                if let Some(st) = self.streams.remove(s) {
                    freed += st
                        .waiting
                        .values()
                        .flatten()
                        .map(|(_, d)| d.len())
                        .sum::<usize>();
                }
            }
        }
        self.held -= freed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::data_flags::{BEGIN, END, UNORDERED};

    fn frag(flags: u8, sid: u16, mid: u32, fsn: u32, payload: &[u8]) -> Data<'_> {
        Data {
            flags,
            tsn: 0,
            stream_id: sid,
            mid,
            fsn,
            ppid: 51,
            payload,
        }
    }

    fn msgs(out: &mut VecDeque<SctpEvent>) -> Vec<(u16, Vec<u8>)> {
        out.drain(..)
            .map(|e| match e {
                SctpEvent::Message {
                    stream_id, data, ..
                } => (stream_id, data.to_vec()),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn data_fragments_out_of_order_and_ordering() {
        let mut r = Reassembly::new(false, 1000);
        let mut out = VecDeque::new();
        // Message ssn 1 (tsn 13,14) completes before message ssn 0 (tsn 10..12).
        r.add(13, &frag(BEGIN, 1, 1, 0, b"ab"), &mut out).unwrap();
        r.add(14, &frag(END, 1, 1, 0, b"cd"), &mut out).unwrap();
        r.add(12, &frag(END, 1, 0, 0, b"3"), &mut out).unwrap();
        r.add(10, &frag(BEGIN, 1, 0, 0, b"1"), &mut out).unwrap();
        assert!(out.is_empty());
        assert!(r.held_bytes() > 0);
        r.add(11, &frag(0, 1, 0, 0, b"2"), &mut out).unwrap();
        assert_eq!(
            msgs(&mut out),
            vec![(1, b"123".to_vec()), (1, b"abcd".to_vec())]
        );
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn unordered_delivered_at_once() {
        let mut r = Reassembly::new(false, 1000);
        let mut out = VecDeque::new();
        r.add(5, &frag(BEGIN | END | UNORDERED, 2, 7, 0, b"x"), &mut out)
            .unwrap();
        assert_eq!(msgs(&mut out), vec![(2, b"x".to_vec())]);
    }

    #[test]
    fn idata_interleaved_messages() {
        let mut r = Reassembly::new(true, 1000);
        let mut out = VecDeque::new();
        r.add(1, &frag(BEGIN, 1, 0, 0, b"a"), &mut out).unwrap();
        r.add(2, &frag(BEGIN, 2, 0, 0, b"x"), &mut out).unwrap();
        r.add(3, &frag(END, 2, 0, 1, b"y"), &mut out).unwrap();
        r.add(5, &frag(END, 1, 0, 2, b"c"), &mut out).unwrap();
        r.add(4, &frag(0, 1, 0, 1, b"b"), &mut out).unwrap();
        assert_eq!(
            msgs(&mut out),
            vec![(2, b"xy".to_vec()), (1, b"abc".to_vec())]
        );
    }

    #[test]
    fn too_large_rejected() {
        let mut r = Reassembly::new(false, 3);
        let mut out = VecDeque::new();
        r.add(1, &frag(BEGIN, 1, 0, 0, b"ab"), &mut out).unwrap();
        assert_eq!(
            r.add(2, &frag(0, 1, 0, 0, b"cd"), &mut out),
            Err(ReassemblyError::TooLarge)
        );
        assert_eq!(
            r.add(3, &frag(BEGIN | END, 1, 1, 0, b"abcd"), &mut out),
            Err(ReassemblyError::TooLarge)
        );
    }

    #[test]
    fn too_large_message_is_dropped_and_the_stream_goes_on() {
        for interleaved in [false, true] {
            let mut r = Reassembly::new(interleaved, 4);
            let mut out = VecDeque::new();
            // Ordered message 0 never ends within the limit; message 1 waits behind it.
            r.add(1, &frag(BEGIN, 1, 0, 0, b"abc"), &mut out).unwrap();
            r.add(9, &frag(BEGIN | END, 1, 1, 0, b"next"), &mut out)
                .unwrap();
            assert_eq!(
                r.add(2, &frag(0, 1, 0, 1, b"def"), &mut out),
                Err(ReassemblyError::TooLarge)
            );
            // Only the span's bounds are kept, however long the message goes on.
            for i in 3..8u32 {
                r.add(u64::from(i), &frag(0, 1, 0, i - 1, &[7; 1000]), &mut out)
                    .unwrap();
            }
            assert_eq!(r.held_bytes(), 4 + SPAN_OVERHEAD, "{interleaved}");
            assert!(out.is_empty());
            // Its last fragment: skipped, and the message behind it is delivered.
            r.add(8, &frag(END, 1, 0, 7, b"z"), &mut out).unwrap();
            assert_eq!(msgs(&mut out), vec![(1, b"next".to_vec())]);
            assert_eq!(r.held_bytes(), 0);
            // An oversize message in one chunk is skipped too.
            assert_eq!(
                r.add(10, &frag(BEGIN | END, 1, 2, 0, b"12345"), &mut out),
                Err(ReassemblyError::TooLarge)
            );
            r.add(11, &frag(BEGIN | END, 1, 3, 0, b"ok"), &mut out)
                .unwrap();
            assert_eq!(msgs(&mut out), vec![(1, b"ok".to_vec())]);
        }
    }

    #[test]
    fn forward_tsn_skips_and_releases() {
        let mut r = Reassembly::new(false, 1000);
        let mut out = VecDeque::new();
        r.add(10, &frag(BEGIN, 1, 0, 0, b"lost-tail"), &mut out)
            .unwrap();
        r.add(12, &frag(BEGIN | END, 1, 1, 0, b"next"), &mut out)
            .unwrap();
        assert!(out.is_empty());
        r.forward_tsn(11, [(1u16, 0u16)].into_iter(), &mut out);
        assert_eq!(msgs(&mut out), vec![(1, b"next".to_vec())]);
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn iforward_tsn_drops_partials() {
        let mut r = Reassembly::new(true, 1000);
        let mut out = VecDeque::new();
        r.add(1, &frag(BEGIN, 3, 0, 0, b"aa"), &mut out).unwrap();
        r.add(2, &frag(BEGIN | END, 3, 1, 0, b"bb"), &mut out)
            .unwrap();
        r.iforward_tsn([(3u16, false, 0u32)].into_iter(), &mut out);
        assert_eq!(msgs(&mut out), vec![(3, b"bb".to_vec())]);
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn reset_restarts_ssn() {
        let mut r = Reassembly::new(false, 1000);
        let mut out = VecDeque::new();
        r.add(1, &frag(BEGIN | END, 1, 0, 0, b"a"), &mut out)
            .unwrap();
        r.reset_streams(&[1]);
        r.add(2, &frag(BEGIN | END, 1, 0, 0, b"b"), &mut out)
            .unwrap();
        assert_eq!(msgs(&mut out).len(), 2);
    }
}
