//! The association: the public sans-IO API, packet assembly and timers.
//! Receiving (chunk handlers, handshake, stream reset) is in `receive.rs`.

use crate::chunk::{
    self, write_data, write_idata, write_sack, Chunk, Data, DATA_HEADER_LEN, IDATA_HEADER_LEN,
};
use crate::config::{
    AssociationStats, SctpConfig, SctpEvent, SendError, SendOptions, State, StreamStats,
};
use crate::cookie::{CookieKey, PeerCaps};
use crate::packet::{set_checksum, CommonHeader, COMMON_HEADER_LEN};
use crate::param::{cause, init_param, OutgoingResetRequest, EDMID_DTLS};
use crate::reassembly::Reassembly;
use crate::retransmit::{RetransmitQueue, RtoEstimator};
use crate::send_queue::SendQueue;
use crate::tsn::ReceivedTsns;
use crate::wire::Writer;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Most gap ranges tracked for the peer's TSNs.
pub(crate) const MAX_GAP_RANGES: usize = 256;
/// Furthest ahead of the cumulative TSN a DATA chunk may be (fits SACK offsets).
pub(crate) const MAX_TSN_AHEAD: u64 = 65_535;

/// A small seeded generator for tags and TSNs (SplitMix64).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A non-zero 32-bit value (verification tags must not be zero).
    pub(crate) fn nonzero_u32(&mut self) -> u32 {
        loop {
            let v = self.next_u64() as u32;
            if v != 0 {
                return v;
            }
        }
    }
}

/// A chunk waiting to be sent outside the data path (handshake, control).
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) vtag: u32,
    pub(crate) chunk: Vec<u8>,
    /// Whether this chunk may go in a packet without checksum.
    pub(crate) zero_ok: bool,
}

/// What we learned about the peer from its INIT / INIT-ACK / cookie.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerParams {
    pub(crate) tag: u32,
    pub(crate) initial_tsn: u32,
    pub(crate) a_rwnd: u32,
    pub(crate) outbound_streams: u16,
    pub(crate) inbound_streams: u16,
    pub(crate) caps: PeerCaps,
}

/// Stream reset (RFC 6525) bookkeeping.
#[derive(Debug, Default)]
pub(crate) struct Reconfig {
    pub(crate) next_req_seq: u32,
    pub(crate) peer_next_req_seq: u32,
    /// Streams the owner asked to reset, not yet in a request.
    pub(crate) pending: Vec<u16>,
    /// Our request in flight: (sequence, streams, encoded chunk).
    pub(crate) outstanding: Option<(u32, Vec<u16>, Vec<u8>)>,
    /// The peer's request waiting for its last TSN: (sequence, last TSN, streams).
    pub(crate) deferred: Option<(u32, u64, Vec<u16>)>,
    /// Result of the last peer request we performed (to answer a retransmission).
    pub(crate) last_result: u32,
}

/// Timers, as deadlines.
#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    pub(crate) t1: Option<Instant>,
    pub(crate) t2: Option<Instant>,
    pub(crate) t3: Option<Instant>,
    pub(crate) delayed_ack: Option<Instant>,
    pub(crate) heartbeat: Option<Instant>,
    pub(crate) reconfig: Option<Instant>,
}

/// A sans-IO SCTP association (RFC 9260) as WebRTC uses it over DTLS.
///
/// Feed it packets with [`handle_receive`](Self::handle_receive) and time with
/// [`handle_timeout`](Self::handle_timeout); after any call drain
/// [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event)
/// until they return `None`, and wake it again at
/// [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct Association {
    pub(crate) cfg: SctpConfig,
    pub(crate) state: State,
    pub(crate) ended: bool,
    pub(crate) epoch: Instant,
    pub(crate) rng: Rng,
    pub(crate) cookie_key: CookieKey,
    pub(crate) local_tag: u32,
    pub(crate) peer_tag: u32,
    pub(crate) local_initial_tsn: u32,
    pub(crate) pending_peer: Option<PeerParams>,
    pub(crate) cookie_echo: Option<Vec<u8>>,
    pub(crate) caps: PeerCaps,
    pub(crate) interleaving: bool,
    pub(crate) zero_checksum_tx: bool,
    pub(crate) outbound_streams: u16,
    pub(crate) inbound_streams: u16,
    pub(crate) send_queue: SendQueue,
    pub(crate) rtx: RetransmitQueue,
    pub(crate) rcv: ReceivedTsns,
    pub(crate) reasm: Reassembly,
    pub(crate) rto: RtoEstimator,
    pub(crate) sack_needed: bool,
    pub(crate) packets_since_sack: u32,
    pub(crate) forward_tsn_due: bool,
    pub(crate) control: VecDeque<Control>,
    pub(crate) timers: Timers,
    pub(crate) t1_count: u32,
    pub(crate) t2_count: u32,
    pub(crate) error_count: u32,
    pub(crate) hb_outstanding: Option<u64>,
    pub(crate) reconfig: Reconfig,
    pub(crate) events: VecDeque<SctpEvent>,
    pub(crate) stats: AssociationStats,
    pub(crate) rx_stats: HashMap<u16, StreamStats, crate::wire::IntBuildHasher>,
    fwd_scratch: Vec<(u16, bool, u32)>,
}

impl Association {
    /// A new, closed association. Call [`connect`](Self::connect) to start
    /// the handshake (in WebRTC both sides do).
    pub fn new(config: SctpConfig, now: Instant) -> Self {
        let seed = config.seed.unwrap_or_else(|| {
            let mut b = [0u8; 8];
            // The system generator only fails if the OS has no entropy
            // source at all; fall back to the clock rather than panic.
            if aws_lc_rs::rand::fill(&mut b).is_err() {
                b = (now.elapsed().as_nanos() as u64 ^ 0x5c7f_1a2b).to_le_bytes();
            }
            u64::from_le_bytes(b)
        });
        let mut rng = Rng(seed);
        let mut secret = [0u8; 32];
        if config.seed.is_some() || aws_lc_rs::rand::fill(&mut secret).is_err() {
            for c in secret.chunks_mut(8) {
                c.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
        }
        let local_tag = rng.nonzero_u32();
        let local_initial_tsn = rng.next_u64() as u32;
        let rto = RtoEstimator::new(config.rto_initial, config.rto_min, config.rto_max);
        let mtu = config.max_packet_size;
        let rwnd = config.max_receive_buffer as u32;
        let mms = config.inbound_message_limit();
        Self {
            rtx: RetransmitQueue::new(local_initial_tsn, mtu, rwnd),
            rcv: ReceivedTsns::new(0, MAX_GAP_RANGES, MAX_TSN_AHEAD),
            reasm: Reassembly::new(false, mms),
            cfg: config,
            state: State::Closed,
            ended: false,
            epoch: now,
            rng,
            cookie_key: CookieKey::new(&secret),
            local_tag,
            peer_tag: 0,
            local_initial_tsn,
            pending_peer: None,
            cookie_echo: None,
            caps: PeerCaps::default(),
            interleaving: false,
            zero_checksum_tx: false,
            outbound_streams: 0,
            inbound_streams: 0,
            send_queue: SendQueue::default(),
            rto,
            sack_needed: false,
            packets_since_sack: 0,
            forward_tsn_due: false,
            control: VecDeque::new(),
            timers: Timers::default(),
            t1_count: 0,
            t2_count: 0,
            error_count: 0,
            hb_outstanding: None,
            reconfig: Reconfig::default(),
            events: VecDeque::new(),
            stats: AssociationStats::default(),
            rx_stats: HashMap::default(),
            fwd_scratch: Vec::new(),
        }
    }

    /// Starts the handshake by sending INIT. Both WebRTC peers call this and
    /// the simultaneous INITs are resolved by the protocol.
    pub fn connect(&mut self, now: Instant) {
        if self.state != State::Closed || self.ended {
            return;
        }
        self.state = State::CookieWait;
        self.t1_count = 0;
        self.queue_init();
        self.timers.t1 = Some(now + self.rto.rto());
    }

    pub(crate) fn queue_init(&mut self) {
        let chunk = self.build_init(false, self.local_tag, self.local_initial_tsn, None, &[]);
        self.control.push_back(Control {
            vtag: 0,
            chunk,
            zero_ok: false,
        });
    }

    /// Encodes an INIT or INIT-ACK with our parameters.
    pub(crate) fn build_init(
        &self,
        ack: bool,
        tag: u32,
        tsn: u32,
        cookie: Option<&[u8]>,
        unrecognized: &[u8],
    ) -> Vec<u8> {
        let mut params = vec![0u8; 64 + cookie.map_or(0, |c| c.len() + 4) + unrecognized.len()];
        let n = {
            let mut w = Writer::new(&mut params);
            let mut ext = [0u8; 4];
            let mut next = 0;
            ext[next] = chunk::ty::RE_CONFIG;
            next += 1;
            if self.cfg.enable_partial_reliability {
                ext[next] = chunk::ty::FORWARD_TSN;
                next += 1;
            }
            if self.cfg.enable_interleaving {
                ext[next] = chunk::ty::I_DATA;
                ext[next + 1] = chunk::ty::I_FORWARD_TSN;
                next += 2;
            }
            let mut ok = w
                .tlv(init_param::SUPPORTED_EXTENSIONS, &ext[..next])
                .is_some();
            if self.cfg.enable_partial_reliability {
                ok &= w.tlv(init_param::FORWARD_TSN_SUPPORTED, &[]).is_some();
            }
            if self.cfg.zero_checksum {
                ok &= w
                    .tlv(
                        init_param::ZERO_CHECKSUM_ACCEPTABLE,
                        &EDMID_DTLS.to_be_bytes(),
                    )
                    .is_some();
            }
            if let Some(c) = cookie {
                ok &= w.tlv(init_param::STATE_COOKIE, c).is_some();
            }
            if !unrecognized.is_empty() {
                ok &= w.tlv(init_param::UNRECOGNIZED, unrecognized).is_some();
            }
            debug_assert!(ok, "parameter buffer sized above");
            w.len()
        };
        let init = chunk::Init {
            initiate_tag: tag,
            a_rwnd: self.cfg.max_receive_buffer as u32,
            outbound_streams: self.cfg.max_streams,
            inbound_streams: self.cfg.max_streams,
            initial_tsn: tsn,
            params: &params[..n],
        };
        let c = if ack {
            Chunk::InitAck(init)
        } else {
            Chunk::Init(init)
        };
        let mut out = vec![0u8; 20 + n + 4];
        let len = c.write(&mut out).unwrap_or(0);
        out.truncate(len);
        out
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// `(local, peer)` verification tags: the tag the peer must put in its
    /// packets to us, and the one we put in ours (0 before it is known).
    pub fn verification_tags(&self) -> (u32, u32) {
        (self.local_tag, self.peer_tag)
    }

    /// Whether I-DATA (RFC 8260) is in use.
    pub fn is_interleaving(&self) -> bool {
        self.interleaving
    }

    /// Whether our packets go out without checksum (RFC 9653).
    pub fn is_zero_checksum(&self) -> bool {
        self.zero_checksum_tx
    }

    /// Negotiated stream counts `(outbound, inbound)`.
    pub fn stream_counts(&self) -> (u16, u16) {
        (self.outbound_streams, self.inbound_streams)
    }

    /// Queues a message (copied once into the queue).
    pub fn send(
        &mut self,
        now: Instant,
        stream_id: u16,
        ppid: u32,
        data: &[u8],
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.check_send(stream_id, data.len())?;
        self.send_queue
            .enqueue(now, stream_id, ppid, Bytes::copy_from_slice(data), &options);
        Ok(())
    }

    /// Queues a message without copying it.
    pub fn send_bytes(
        &mut self,
        now: Instant,
        stream_id: u16,
        ppid: u32,
        data: Bytes,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.check_send(stream_id, data.len())?;
        self.send_queue
            .enqueue(now, stream_id, ppid, data, &options);
        Ok(())
    }

    fn check_send(&self, stream_id: u16, len: usize) -> Result<(), SendError> {
        if self.state != State::Established {
            return Err(SendError::NotConnected);
        }
        if len == 0 {
            return Err(SendError::Empty);
        }
        if len > self.cfg.max_message_size {
            return Err(SendError::TooLarge);
        }
        if stream_id >= self.outbound_streams {
            return Err(SendError::InvalidStream);
        }
        if self.send_queue.queued_messages() >= self.cfg.max_queued_messages
            || self.send_queue.queued_bytes() + len > self.cfg.max_queued_bytes
        {
            return Err(SendError::QueueFull);
        }
        Ok(())
    }

    /// Asks the peer to reset our outgoing streams (closing data channels).
    /// Messages already queued on them are sent first. When the peer has
    /// performed it, [`SctpEvent::OutgoingStreamsReset`] is emitted.
    pub fn reset_streams(&mut self, now: Instant, stream_ids: &[u16]) {
        if !matches!(self.state, State::Established) || !self.caps.reconfig {
            return;
        }
        self.send_queue.prepare_reset(stream_ids);
        for &s in stream_ids {
            if !self.reconfig.pending.contains(&s)
                && !self
                    .reconfig
                    .outstanding
                    .as_ref()
                    .is_some_and(|o| o.1.contains(&s))
            {
                self.reconfig.pending.push(s);
            }
        }
        self.maybe_send_reset_request(now);
    }

    pub(crate) fn maybe_send_reset_request(&mut self, now: Instant) {
        if self.reconfig.outstanding.is_some() || self.reconfig.pending.is_empty() {
            return;
        }
        let (mut ready, mut rest): (Vec<u16>, Vec<u16>) = self
            .reconfig
            .pending
            .iter()
            .partition(|&&s| self.send_queue.ready_to_reset(s));
        if ready.is_empty() {
            return;
        }
        // A chunk is never fragmented: as many streams as fit one packet
        // (common header, chunk header, request header; an even count needs
        // no padding), the rest next time.
        let fit = (self.cfg.max_packet_size.saturating_sub(12 + 4 + 16) / 2) & !1;
        if ready.len() > fit.max(1) {
            rest.extend(ready.split_off(fit.max(1)));
        }
        self.reconfig.pending = rest;
        let seq = self.reconfig.next_req_seq;
        self.reconfig.next_req_seq = seq.wrapping_add(1);
        let mut param = vec![0u8; 16 + 2 * ready.len() + 4];
        let n = {
            let mut w = Writer::new(&mut param);
            OutgoingResetRequest::write(
                &mut w,
                seq,
                self.reconfig.peer_next_req_seq.wrapping_sub(1),
                self.rtx.last_assigned_tsn32(),
                &ready,
            );
            w.len()
        };
        let mut c = vec![0u8; n + 4];
        let len = chunk::write_simple(&mut c, chunk::ty::RE_CONFIG, 0, &param[..n]).unwrap_or(0);
        c.truncate(len);
        self.control.push_back(Control {
            vtag: self.peer_tag,
            chunk: c.clone(),
            zero_ok: true,
        });
        self.reconfig.outstanding = Some((seq, ready, c));
        self.timers.reconfig = Some(now + self.rto.rto());
    }

    /// Bytes queued on the stream and not yet sent.
    pub fn buffered_amount(&self, stream_id: u16) -> usize {
        self.send_queue.buffered_amount(stream_id)
    }

    /// Sets the level at or below which [`SctpEvent::BufferedAmountLow`] fires.
    pub fn set_buffered_amount_low_threshold(&mut self, stream_id: u16, threshold: usize) {
        self.send_queue.set_low_threshold(stream_id, threshold);
    }

    /// Starts a graceful shutdown: queued data is sent and acknowledged, then
    /// SHUTDOWN / SHUTDOWN-ACK / SHUTDOWN-COMPLETE end the association.
    pub fn shutdown(&mut self, now: Instant) {
        match self.state {
            State::Established => {
                self.state = State::ShutdownPending;
                self.check_shutdown_progress(now);
            }
            State::Closed | State::CookieWait | State::CookieEchoed => {
                self.close_now();
                self.events.push_back(SctpEvent::Closed);
            }
            _ => {}
        }
    }

    /// Ends the association at once with an ABORT.
    pub fn abort(&mut self, _now: Instant) {
        if self.ended {
            return;
        }
        if self.state != State::Closed {
            let mut causes = [0u8; 4];
            let n = {
                let mut w = Writer::new(&mut causes);
                let _ = w.tlv(cause::USER_INITIATED_ABORT, &[]);
                w.len()
            };
            self.queue_control_simple(chunk::ty::ABORT, 0, &causes[..n], self.peer_tag);
        }
        self.close_now();
        self.events.push_back(SctpEvent::Aborted {
            reason: "aborted locally".into(),
        });
    }

    pub(crate) fn queue_control_simple(&mut self, ty: u8, flags: u8, value: &[u8], vtag: u32) {
        let mut c = vec![0u8; value.len() + 8];
        let n = chunk::write_simple(&mut c, ty, flags, value).unwrap_or(0);
        c.truncate(n);
        self.control.push_back(Control {
            vtag,
            chunk: c,
            zero_ok: true,
        });
    }

    /// Moves to Closed for good, dropping timers and queues.
    pub(crate) fn close_now(&mut self) {
        self.state = State::Closed;
        self.ended = true;
        self.timers = Timers::default();
        self.send_queue.clear();
        self.rtx.clear();
        self.sack_needed = false;
    }

    /// Ends the association because of a peer's misbehaviour or a timeout.
    pub(crate) fn abort_with(&mut self, code: u16, reason: &str) {
        if self.ended {
            return;
        }
        let mut causes = [0u8; 4];
        let n = {
            let mut w = Writer::new(&mut causes);
            let _ = w.tlv(code, &[]);
            w.len()
        };
        if self.state != State::Closed {
            self.queue_control_simple(chunk::ty::ABORT, 0, &causes[..n], self.peer_tag);
        }
        self.close_now();
        tracing::debug!(reason, "sctp association aborted");
        self.events.push_back(SctpEvent::Aborted {
            reason: reason.into(),
        });
    }

    /// Sends SHUTDOWN or SHUTDOWN-ACK once all data is sent and acknowledged.
    pub(crate) fn check_shutdown_progress(&mut self, now: Instant) {
        let drained = !self.rtx.has_unacked() && self.send_queue.queued_messages() == 0;
        if !drained {
            return;
        }
        match self.state {
            State::ShutdownPending => {
                self.state = State::ShutdownSent;
                self.t2_count = 0;
                self.queue_shutdown();
                self.timers.t2 = Some(now + self.rto.rto());
            }
            State::ShutdownReceived => {
                self.state = State::ShutdownAckSent;
                self.t2_count = 0;
                self.queue_control_simple(chunk::ty::SHUTDOWN_ACK, 0, &[], self.peer_tag);
                self.timers.t2 = Some(now + self.rto.rto());
            }
            _ => {}
        }
    }

    pub(crate) fn queue_shutdown(&mut self) {
        let cum = self.rcv.cum32().to_be_bytes();
        self.queue_control_simple(chunk::ty::SHUTDOWN, 0, &cum, self.peer_tag);
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SctpEvent> {
        let e = self.events.pop_front()?;
        if let SctpEvent::Message {
            stream_id, data, ..
        } = &e
        {
            let s = self.rx_stats.entry(*stream_id).or_default();
            s.messages_received += 1;
            s.bytes_received += data.len() as u64;
        }
        Some(e)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = &self.timers;
        [t.t1, t.t2, t.t3, t.delayed_ack, t.heartbeat, t.reconfig]
            .into_iter()
            .flatten()
            .min()
    }

    /// Association-wide counters.
    pub fn stats(&self) -> AssociationStats {
        let mut s = self.stats;
        s.cwnd = self.rtx.cwnd as u64;
        s.srtt_us = self.rto.srtt().map_or(0, |d| d.as_micros() as u64);
        s.rto_us = self.rto.rto().as_micros() as u64;
        s.retransmitted_chunks = self.rtx.retransmitted;
        s.messages_abandoned = self.rtx.abandoned_total + self.send_queue.expired_unsent;
        s
    }

    /// Per-stream counters (sent and received).
    pub fn stream_stats(&self, stream_id: u16) -> StreamStats {
        let mut s = self.send_queue.stats(stream_id);
        if let Some(r) = self.rx_stats.get(&stream_id) {
            s.messages_received = r.messages_received;
            s.bytes_received = r.bytes_received;
        }
        s
    }

    /// Handles expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.timers.t1) {
            self.on_t1(now);
        }
        if due(self.timers.t3) {
            self.on_t3(now);
        }
        if due(self.timers.delayed_ack) {
            self.timers.delayed_ack = None;
            self.sack_needed = true;
        }
        if due(self.timers.heartbeat) {
            self.on_heartbeat_timer(now);
        }
        if due(self.timers.t2) {
            self.on_t2(now);
        }
        if due(self.timers.reconfig) {
            self.timers.reconfig = None;
            if let Some((_, _, c)) = &self.reconfig.outstanding {
                let chunk = c.clone();
                self.control.push_back(Control {
                    vtag: self.peer_tag,
                    chunk,
                    zero_ok: true,
                });
                self.rto.back_off();
                self.timers.reconfig = Some(now + self.rto.rto());
            }
        }
    }

    fn on_t1(&mut self, now: Instant) {
        self.t1_count += 1;
        if self
            .cfg
            .max_init_retransmissions
            .is_some_and(|m| self.t1_count > m)
        {
            self.close_now();
            self.events.push_back(SctpEvent::Aborted {
                reason: "handshake timed out".into(),
            });
            return;
        }
        match self.state {
            State::CookieWait => self.queue_init(),
            State::CookieEchoed => {
                if let Some(c) = &self.cookie_echo {
                    let chunk = c.clone();
                    self.control.push_back(Control {
                        vtag: self.peer_tag,
                        chunk,
                        zero_ok: false,
                    });
                }
            }
            _ => {
                self.timers.t1 = None;
                return;
            }
        }
        self.rto.back_off();
        self.timers.t1 = Some(now + self.rto.rto());
    }

    fn count_error(&mut self) -> bool {
        self.error_count += 1;
        if self
            .cfg
            .max_retransmissions
            .is_some_and(|m| self.error_count > m)
        {
            self.abort_with(cause::PROTOCOL_VIOLATION, "too many retransmissions");
            return false;
        }
        true
    }

    fn on_t3(&mut self, now: Instant) {
        self.timers.t3 = None;
        if !self.rtx.has_unacked() {
            return;
        }
        self.stats.t3_expirations += 1;
        if !self.count_error() {
            return;
        }
        self.rto.back_off();
        self.rtx.on_t3_expired(now);
        self.forward_tsn_due |= self.rtx.forward_tsn_needed;
        self.drain_abandoned();
        self.timers.t3 = Some(now + self.rto.rto());
    }

    fn on_t2(&mut self, now: Instant) {
        self.timers.t2 = None;
        self.t2_count += 1;
        if self
            .cfg
            .max_retransmissions
            .is_some_and(|m| self.t2_count > m)
        {
            self.abort_with(cause::PROTOCOL_VIOLATION, "shutdown timed out");
            return;
        }
        match self.state {
            State::ShutdownSent => self.queue_shutdown(),
            State::ShutdownAckSent => {
                self.queue_control_simple(chunk::ty::SHUTDOWN_ACK, 0, &[], self.peer_tag)
            }
            _ => return,
        }
        self.rto.back_off();
        self.timers.t2 = Some(now + self.rto.rto());
    }

    fn on_heartbeat_timer(&mut self, now: Instant) {
        self.timers.heartbeat = None;
        if self.state != State::Established {
            return;
        }
        let Some(interval) = self.cfg.heartbeat_interval else {
            return;
        };
        if self.hb_outstanding.is_some() && !self.count_error() {
            return;
        }
        let nonce = self.rng.next_u64();
        let sent_us = now.saturating_duration_since(self.epoch).as_micros() as u64;
        let mut info = [0u8; 16];
        info[..8].copy_from_slice(&nonce.to_be_bytes());
        info[8..].copy_from_slice(&sent_us.to_be_bytes());
        let mut param = [0u8; 20];
        let n = {
            let mut w = Writer::new(&mut param);
            let _ = w.tlv(1, &info);
            w.len()
        };
        self.queue_control_simple(chunk::ty::HEARTBEAT, 0, &param[..n], self.peer_tag);
        self.hb_outstanding = Some(nonce);
        self.timers.heartbeat = Some(now + interval + self.rto.rto());
    }

    pub(crate) fn drain_abandoned(&mut self) {
        for (sid, uid) in std::mem::take(&mut self.rtx.abandoned) {
            self.send_queue.abandon_rest(sid, uid, &mut self.events);
        }
    }

    fn data_allowed(&self) -> bool {
        matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownReceived
        )
    }

    fn sack_allowed(&self) -> bool {
        matches!(
            self.state,
            State::Established
                | State::ShutdownPending
                | State::ShutdownSent
                | State::ShutdownReceived
        )
    }

    /// The window we advertise.
    pub(crate) fn a_rwnd(&self) -> u32 {
        self.cfg
            .max_receive_buffer
            .saturating_sub(self.reasm.held_bytes()) as u32
    }

    /// Writes the next packet into `buf` and returns its length, or `None`
    /// when there is nothing to send. Writes at most `max_packet_size` bytes.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let limit = buf.len().min(self.cfg.max_packet_size);
        if limit < COMMON_HEADER_LEN + 16 {
            return None;
        }
        if self.reconfig.outstanding.is_none() && !self.reconfig.pending.is_empty() {
            self.maybe_send_reset_request(now);
        }
        let mut pos = COMMON_HEADER_LEN;
        let mut zero_ok = self.zero_checksum_tx;
        let vtag;
        let mut data_path = self.sack_allowed();
        if let Some(front) = self.control.front() {
            vtag = front.vtag;
            data_path &= vtag == self.peer_tag;
            while let Some(c) = self.control.front() {
                if c.vtag != vtag {
                    break;
                }
                if pos + c.chunk.len() > limit {
                    if pos == COMMON_HEADER_LEN {
                        // Cannot fit even alone (tiny buffer): drop it.
                        self.control.pop_front();
                        continue;
                    }
                    break;
                }
                buf[pos..pos + c.chunk.len()].copy_from_slice(&c.chunk);
                pos += c.chunk.len();
                zero_ok &= c.zero_ok;
                self.control.pop_front();
            }
            if !self.control.is_empty() {
                data_path = false;
            }
        } else {
            vtag = self.peer_tag;
        }

        if data_path {
            pos = self.write_data_path(now, buf, pos, limit);
        }
        if pos == COMMON_HEADER_LEN {
            return None;
        }
        let hdr = CommonHeader {
            src_port: self.cfg.local_port,
            dst_port: self.cfg.remote_port,
            vtag,
            checksum: 0,
        };
        hdr.write(buf)?;
        if !zero_ok {
            set_checksum(&mut buf[..pos]);
        }
        self.stats.packets_sent += 1;
        Some(pos)
    }

    /// SACK, FORWARD-TSN, retransmissions, then new data.
    fn write_data_path(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        mut pos: usize,
        limit: usize,
    ) -> usize {
        if self.sack_needed {
            let gaps = self.rcv.gap_blocks();
            if let Some(n) = write_sack(
                &mut buf[pos..limit],
                self.rcv.cum32(),
                self.a_rwnd(),
                gaps,
                self.rcv.dups(),
            ) {
                pos += n;
                self.rcv.clear_dups();
                self.sack_needed = false;
                self.packets_since_sack = 0;
                self.timers.delayed_ack = None;
            }
        }
        if self.forward_tsn_due && self.rtx.forward_tsn_needed {
            if let Some(n) = self.write_forward_tsn(&mut buf[pos..limit]) {
                pos += n;
                self.forward_tsn_due = false;
            }
        }
        if !self.data_allowed() {
            return pos;
        }
        let hdr = if self.interleaving {
            IDATA_HEADER_LEN
        } else {
            DATA_HEADER_LEN
        };
        let mut wrote_data = false;
        let mut wrote_rtx = false;
        while self.rtx.has_retransmissions() {
            let room = (limit - pos).saturating_sub(hdr) & !3;
            let Some(tsn) = self.rtx.next_retransmission(now, room) else {
                break;
            };
            let n = self.write_chunk_for(tsn, &mut buf[pos..limit]);
            pos += n;
            wrote_rtx = true;
        }
        if wrote_rtx {
            self.rtx.end_fast_rtx_packet();
            wrote_data = true;
        }
        if !self.rtx.abandoned.is_empty() {
            // Abandoning just happened: tell the peer in the next packet.
            self.drain_abandoned();
            self.forward_tsn_due |= self.rtx.forward_tsn_needed;
        }
        let mut last_flags = None;
        if !self.rtx.has_retransmissions() {
            loop {
                let mut room = (limit - pos).saturating_sub(hdr) & !3;
                if room < 4 || !self.rtx.can_send_new(1) {
                    break;
                }
                if self.rtx.outstanding_bytes() > 0 {
                    room = room.min(self.rtx.peer_rwnd);
                }
                let Some(frag) =
                    self.send_queue
                        .next_fragment(now, room, self.interleaving, &mut self.events)
                else {
                    break;
                };
                let tsn = self.rtx.add(now, frag);
                last_flags = Some(pos + 1);
                pos += self.write_chunk_for(tsn, &mut buf[pos..limit]);
                wrote_data = true;
            }
        }
        // The window is full: ask for an immediate SACK (RFC 7053) so the
        // peer's delayed-ack timer cannot hold the transfer up.
        if let Some(at) = last_flags {
            if !self.rtx.can_send_new(1) {
                buf[at] |= chunk::data_flags::IMMEDIATE;
            }
        }
        if wrote_data && self.timers.t3.is_none() {
            self.timers.t3 = Some(now + self.rto.rto());
        }
        pos
    }

    fn write_chunk_for(&self, tsn: u64, out: &mut [u8]) -> usize {
        let Some(s) = self.rtx.get(tsn) else {
            return 0;
        };
        let f = &s.frag;
        let d = Data {
            flags: f.flags,
            tsn: tsn as u32,
            stream_id: f.stream_id,
            mid: f.mid,
            fsn: f.fsn,
            ppid: f.ppid,
            payload: &f.data,
        };
        let n = if self.interleaving {
            write_idata(out, &d)
        } else {
            write_data(out, &d)
        };
        // Room was checked by the caller; a miss here would only shorten the packet.
        n.unwrap_or(0)
    }

    fn write_forward_tsn(&mut self, out: &mut [u8]) -> Option<usize> {
        let mut entries = std::mem::take(&mut self.fwd_scratch);
        self.rtx
            .forward_tsn_entries(self.interleaving, &mut entries);
        let per = if self.interleaving { 8 } else { 4 };
        let max_entries = (out.len().saturating_sub(8)) / per;
        entries.truncate(max_entries);
        let mut w = Writer::new(out);
        let ty = if self.interleaving {
            chunk::ty::I_FORWARD_TSN
        } else {
            chunk::ty::FORWARD_TSN
        };
        let len = u16::try_from(8 + per * entries.len()).ok()?;
        let r = (|| {
            w.u8(ty)?;
            w.u8(0)?;
            w.u16(len)?;
            w.u32(self.rtx.forward_tsn_point32())?;
            for &(sid, unordered, mid) in &entries {
                w.u16(sid)?;
                if self.interleaving {
                    w.u16(unordered as u16)?;
                    w.u32(mid)?;
                } else {
                    w.u16(mid as u16)?;
                }
            }
            Some(w.len())
        })();
        self.fwd_scratch = entries;
        r
    }

    /// Resets the heartbeat timer (at establishment).
    pub(crate) fn start_heartbeat(&mut self, now: Instant) {
        self.timers.heartbeat = self.cfg.heartbeat_interval.map(|i| now + i);
    }

    /// Milliseconds since this association was created (cookie timestamps).
    pub(crate) fn now_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// The default delayed-ack interval as a duration.
    pub(crate) fn delayed_ack(&self) -> Duration {
        self.cfg.delayed_ack_timeout
    }
}
