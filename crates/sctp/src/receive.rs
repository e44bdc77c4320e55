//! Receiving: packet validation, the handshake (INIT, INIT-ACK, COOKIE-ECHO,
//! COOKIE-ACK, simultaneous open, restart), data, acknowledgements, shutdown,
//! heartbeats and stream reset (RFC 6525).

use crate::association::{Association, Control, PeerParams, MAX_GAP_RANGES, MAX_TSN_AHEAD};
use crate::chunk::{
    self, forward_tsn_streams, iforward_tsn_entries, unknown_chunk_action, Chunk, Data, Init,
};
use crate::config::{SctpEvent, State};
use crate::cookie::{Cookie, PeerCaps};
use crate::packet::{checksum_ok, CommonHeader, RawChunks};
use crate::param::{
    cause, init_param, reconfig_param, reconfig_result, unknown_param_action, OutgoingResetRequest,
    ReconfigResponse, EDMID_DTLS,
};
use crate::reassembly::Reassembly;
use crate::retransmit::RetransmitQueue;
use crate::tsn::{Observed, ReceivedTsns};
use crate::wire::{be32, Tlvs, Writer};
use std::time::Instant;

/// Reads the capabilities a peer announced and collects parameters to
/// report as unrecognized. Returns `None` if a mandatory field is invalid.
fn read_init(init: &Init<'_>, unrecognized: &mut Vec<u8>) -> Option<(PeerCaps, Option<Vec<u8>>)> {
    if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
        return None;
    }
    let mut caps = PeerCaps::default();
    let mut cookie = None;
    for p in init.params() {
        match p.ty {
            init_param::SUPPORTED_EXTENSIONS => {
                for &t in p.value {
                    match t {
                        chunk::ty::RE_CONFIG => caps.reconfig = true,
                        chunk::ty::I_DATA => caps.i_data = true,
                        chunk::ty::FORWARD_TSN => caps.forward_tsn = true,
                        _ => {}
                    }
                }
            }
            init_param::FORWARD_TSN_SUPPORTED => caps.forward_tsn = true,
            init_param::ZERO_CHECKSUM_ACCEPTABLE => {
                if p.value.len() >= 4 && be32(p.value, 0) == EDMID_DTLS {
                    caps.zero_checksum = true;
                }
            }
            init_param::STATE_COOKIE => cookie = Some(p.value.to_vec()),
            init_param::IPV4
            | init_param::IPV6
            | init_param::COOKIE_PRESERVATIVE
            | init_param::HOST_NAME
            | init_param::SUPPORTED_ADDRESS_TYPES
            | init_param::UNRECOGNIZED => {}
            other => {
                let a = unknown_param_action(other);
                if a.report && unrecognized.len() < 256 {
                    let mut tmp = vec![0u8; p.value.len() + 8];
                    let mut w = Writer::new(&mut tmp);
                    if w.tlv(other, p.value).is_some() {
                        let n = w.len();
                        unrecognized.extend_from_slice(&tmp[..n]);
                    }
                }
                if !a.skip {
                    break;
                }
            }
        }
    }
    Some((caps, cookie))
}

impl Association {
    /// Handles one received SCTP packet (the payload of one DTLS record).
    /// Malformed or unauthenticated packets are dropped and counted.
    pub fn handle_receive(&mut self, now: Instant, packet: &[u8]) {
        self.stats.packets_received += 1;
        let Ok(h) = CommonHeader::parse(packet) else {
            self.stats.packets_malformed += 1;
            return;
        };
        if h.dst_port != self.cfg.local_port || h.src_port != self.cfg.remote_port {
            self.stats.packets_bad_tag += 1;
            return;
        }
        let zero_checksum_accepted = h.checksum == 0 && self.cfg.zero_checksum;
        if !zero_checksum_accepted && !checksum_ok(packet) {
            self.stats.packets_bad_checksum += 1;
            return;
        }
        // Validate the chunk layout before acting on any of it.
        let mut first = None;
        let mut count = 0usize;
        for c in RawChunks::new(packet) {
            match c {
                Ok(c) => {
                    if first.is_none() {
                        first = Some((c.ty, c.flags));
                    }
                    count += 1;
                }
                Err(_) => {
                    self.stats.packets_malformed += 1;
                    return;
                }
            }
        }
        let Some((first_ty, first_flags)) = first else {
            self.stats.packets_malformed += 1;
            return;
        };
        // Verification tag rules (RFC 9260 §8.5, §8.5.1).
        let tag_ok = match first_ty {
            chunk::ty::INIT => h.vtag == 0 && count == 1,
            chunk::ty::ABORT | chunk::ty::SHUTDOWN_COMPLETE if first_flags & 1 != 0 => {
                h.vtag == self.peer_tag && self.peer_tag != 0
            }
            chunk::ty::COOKIE_ECHO => true, // checked against the cookie
            _ => h.vtag == self.local_tag,
        };
        if !tag_ok {
            self.stats.packets_bad_tag += 1;
            return;
        }

        if self.ended {
            // Out of the blue (RFC 9260 §8.4): answer a SHUTDOWN-ACK with a
            // SHUTDOWN-COMPLETE carrying the reflected tag, so a peer whose
            // SHUTDOWN-COMPLETE from us was lost can close too.
            if first_ty == chunk::ty::SHUTDOWN_ACK {
                self.queue_control_simple(chunk::ty::SHUTDOWN_COMPLETE, 1, &[], h.vtag);
            }
            return;
        }
        let mut had_data = false;
        let had_gaps = self.rcv.has_gaps();
        for raw in RawChunks::new(packet).flatten() {
            if self.ended && raw.ty != chunk::ty::ABORT {
                break;
            }
            let parsed = match raw.parse() {
                Ok(c) => c,
                Err(_) => {
                    self.stats.chunks_dropped += 1;
                    break;
                }
            };
            let go_on = match parsed {
                Chunk::Data(d) => {
                    had_data = true;
                    self.on_data(now, &d, false)
                }
                Chunk::IData(d) => {
                    had_data = true;
                    self.on_data(now, &d, true)
                }
                Chunk::Init(i) => {
                    self.on_init(now, &i);
                    false
                }
                Chunk::InitAck(i) => {
                    self.on_init_ack(now, &i);
                    false
                }
                Chunk::CookieEcho(c) => self.on_cookie_echo(now, h.vtag, c),
                Chunk::CookieAck => {
                    self.on_cookie_ack(now);
                    true
                }
                Chunk::Sack(s) => {
                    self.on_sack(now, s.cum_tsn, s.a_rwnd, s.gap_blocks());
                    true
                }
                Chunk::Heartbeat(info) => {
                    if self.state != State::Closed {
                        self.queue_control_simple(chunk::ty::HEARTBEAT_ACK, 0, info, self.peer_tag);
                    }
                    true
                }
                Chunk::HeartbeatAck(info) => {
                    self.on_heartbeat_ack(now, info);
                    true
                }
                Chunk::Abort { causes, .. } => {
                    self.on_abort(causes);
                    false
                }
                Chunk::Shutdown { cum_tsn } => {
                    self.on_shutdown(now, cum_tsn);
                    true
                }
                Chunk::ShutdownAck => {
                    self.on_shutdown_ack();
                    false
                }
                Chunk::ShutdownComplete { .. } => {
                    if self.state == State::ShutdownAckSent {
                        self.close_now();
                        self.events.push_back(SctpEvent::Closed);
                    }
                    false
                }
                Chunk::Error(causes) => {
                    self.on_error(now, causes);
                    true
                }
                Chunk::ForwardTsn {
                    new_cum_tsn,
                    streams,
                } => {
                    self.on_forward_tsn(now, new_cum_tsn, Some(streams), None);
                    true
                }
                Chunk::IForwardTsn {
                    new_cum_tsn,
                    entries,
                } => {
                    self.on_forward_tsn(now, new_cum_tsn, None, Some(entries));
                    true
                }
                Chunk::ReConfig(params) => {
                    self.on_reconfig(now, params);
                    true
                }
                Chunk::Unknown { ty, flags, value } => {
                    self.stats.chunks_dropped += 1;
                    let a = unknown_chunk_action(ty);
                    if a.report && self.state != State::Closed {
                        let mut raw = vec![0u8; value.len() + 8];
                        if let Some(n) = chunk::write_simple(&mut raw, ty, flags, value) {
                            let mut c = vec![0u8; n + 8];
                            let mut w = Writer::new(&mut c);
                            if w.tlv(cause::UNRECOGNIZED_CHUNK, &raw[..n]).is_some() {
                                let m = w.len();
                                self.queue_control_simple(
                                    chunk::ty::ERROR,
                                    0,
                                    &c[..m],
                                    self.peer_tag,
                                );
                            }
                        }
                    }
                    a.skip
                }
            };
            if !go_on {
                break;
            }
        }
        if had_data {
            // A packet that fills (part of) a gap is acknowledged at once
            // (RFC 9260 §6.7), so the sender's recovery is not held up by
            // the delayed-ack timer.
            self.sack_needed |= had_gaps;
            self.after_data(now);
        }
    }

    fn after_data(&mut self, now: Instant) {
        self.packets_since_sack += 1;
        let shutting = matches!(self.state, State::ShutdownSent | State::ShutdownReceived);
        if self.packets_since_sack >= 2 || self.rcv.has_gaps() || self.rcv.has_dups() || shutting {
            self.sack_needed = true;
        }
        if self.sack_needed {
            self.timers.delayed_ack = None;
        } else if self.timers.delayed_ack.is_none() {
            self.timers.delayed_ack = Some(now + self.delayed_ack());
        }
        self.perform_deferred_reset(now);
    }

    /// Returns whether to go on with the packet.
    fn on_data(&mut self, _now: Instant, d: &Data<'_>, idata: bool) -> bool {
        if !matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownSent
        ) {
            self.stats.chunks_dropped += 1;
            return true;
        }
        if idata != self.interleaving {
            self.abort_with(
                cause::PROTOCOL_VIOLATION,
                "wrong data chunk type for the negotiated mode",
            );
            return false;
        }
        let tsn = self.rcv.unwrap(d.tsn);
        let held = self.reasm.held_bytes();
        let over = held + d.payload.len() > self.cfg.max_receive_buffer;
        if over && (tsn != self.rcv.cum() + 1 || held > 2 * self.cfg.max_receive_buffer) {
            self.stats.data_dropped_limits += 1;
            self.sack_needed = true;
            return true;
        }
        if d.flags & chunk::data_flags::IMMEDIATE != 0 {
            self.sack_needed = true;
        }
        match self.rcv.observe(tsn) {
            Observed::New => {}
            Observed::Duplicate => {
                self.stats.duplicate_tsns += 1;
                self.sack_needed = true;
                return true;
            }
            Observed::Refused => {
                self.stats.data_dropped_limits += 1;
                self.sack_needed = true;
                return true;
            }
        }
        if d.stream_id >= self.inbound_streams {
            // Acknowledged (the TSN is consumed) but not delivered.
            let mut v = [0u8; 8];
            v[..2].copy_from_slice(&d.stream_id.to_be_bytes());
            let mut c = [0u8; 12];
            let mut w = Writer::new(&mut c);
            if w.tlv(cause::INVALID_STREAM, &v[..4]).is_some() {
                let n = w.len();
                self.queue_control_simple(chunk::ty::ERROR, 0, &c[..n], self.peer_tag);
            }
            self.stats.chunks_dropped += 1;
            return true;
        }
        if self.reasm.add(tsn, d, &mut self.events).is_err() {
            // Beyond the size we accept: that message is dropped (the TSN is
            // acknowledged), the stream and the association go on.
            self.stats.messages_too_large += 1;
        }
        true
    }

    fn on_sack(
        &mut self,
        now: Instant,
        cum: u32,
        a_rwnd: u32,
        gaps: impl Iterator<Item = (u16, u16)>,
    ) {
        if !matches!(
            self.state,
            State::Established
                | State::ShutdownPending
                | State::ShutdownSent
                | State::ShutdownReceived
        ) {
            return;
        }
        let out = self.rtx.handle_sack(now, cum, a_rwnd, gaps);
        if out.stale {
            return;
        }
        if let Some(r) = out.rtt {
            self.rto.sample(r);
        }
        self.stats.fast_retransmits += out.fast_retransmits as u64;
        if out.cum_advanced {
            self.error_count = 0;
            self.timers.t3 = if self.rtx.has_unacked() {
                Some(now + self.rto.rto())
            } else {
                None
            };
        }
        if self.rtx.forward_tsn_needed {
            self.forward_tsn_due = true;
        }
        self.drain_abandoned();
        self.check_shutdown_progress(now);
    }

    fn on_heartbeat_ack(&mut self, now: Instant, info: &[u8]) {
        let Some(p) = Tlvs::new(info).next() else {
            return;
        };
        if p.ty != 1 || p.value.len() != 16 {
            return;
        }
        let nonce = u64::from_be_bytes(p.value[..8].try_into().unwrap_or_default());
        let sent_us = u64::from_be_bytes(p.value[8..16].try_into().unwrap_or_default());
        if self.hb_outstanding != Some(nonce) {
            return;
        }
        self.hb_outstanding = None;
        self.error_count = 0;
        let now_us = now.saturating_duration_since(self.epoch).as_micros() as u64;
        if now_us >= sent_us {
            self.rto
                .sample(std::time::Duration::from_micros(now_us - sent_us));
        }
    }

    fn on_abort(&mut self, causes: &[u8]) {
        if self.ended {
            return;
        }
        let reason = Tlvs::new(causes)
            .next()
            .map_or("peer aborted", |c| cause::name(c.ty));
        self.close_now();
        self.events.push_back(SctpEvent::Aborted {
            reason: format!("peer: {reason}"),
        });
    }

    fn on_error(&mut self, now: Instant, causes: &[u8]) {
        for c in Tlvs::new(causes) {
            if c.ty == cause::STALE_COOKIE && self.state == State::CookieEchoed {
                // Start over (RFC 9260 §5.2.6, simplified: a fresh INIT).
                self.state = State::CookieWait;
                self.cookie_echo = None;
                self.queue_init();
                self.timers.t1 = Some(now + self.rto.rto());
            }
        }
    }

    fn on_shutdown(&mut self, now: Instant, cum: u32) {
        match self.state {
            State::Established | State::ShutdownPending => {
                let rwnd = self.rtx.peer_rwnd as u32;
                self.on_sack(now, cum, rwnd, std::iter::empty());
                self.state = State::ShutdownReceived;
                self.check_shutdown_progress(now);
            }
            State::ShutdownSent => {
                // Both sides shut down at once: acknowledge.
                self.state = State::ShutdownAckSent;
                self.queue_control_simple(chunk::ty::SHUTDOWN_ACK, 0, &[], self.peer_tag);
                self.t2_count = 0;
                self.timers.t2 = Some(now + self.rto.rto());
            }
            State::ShutdownReceived => {
                let rwnd = self.rtx.peer_rwnd as u32;
                self.on_sack(now, cum, rwnd, std::iter::empty());
            }
            _ => {}
        }
    }

    fn on_shutdown_ack(&mut self) {
        if matches!(self.state, State::ShutdownSent | State::ShutdownAckSent) {
            self.queue_control_simple(chunk::ty::SHUTDOWN_COMPLETE, 0, &[], self.peer_tag);
            self.close_now();
            self.events.push_back(SctpEvent::Closed);
        }
    }

    fn on_init(&mut self, now: Instant, init: &Init<'_>) {
        if self.ended {
            return;
        }
        let mut unrecognized = Vec::new();
        let Some((caps, _)) = read_init(init, &mut unrecognized) else {
            self.stats.chunks_dropped += 1;
            return;
        };
        let restart = !matches!(
            self.state,
            State::Closed | State::CookieWait | State::CookieEchoed
        );
        let (tag, tsn, tie) = if restart {
            (
                self.rng.nonzero_u32(),
                self.rng.next_u64() as u32,
                (self.local_tag, self.peer_tag),
            )
        } else {
            (self.local_tag, self.local_initial_tsn, (0, 0))
        };
        let cookie = Cookie {
            created_ms: self.now_ms(now),
            local_tag: tag,
            peer_tag: init.initiate_tag,
            local_initial_tsn: tsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            peer_outbound_streams: init.outbound_streams,
            peer_inbound_streams: init.inbound_streams,
            local_tie_tag: tie.0,
            peer_tie_tag: tie.1,
            caps,
        };
        let sealed = self.cookie_key.seal(&cookie);
        let chunk = self.build_init(true, tag, tsn, Some(&sealed), &unrecognized);
        self.control.push_back(Control {
            vtag: init.initiate_tag,
            chunk,
            zero_ok: false,
        });
    }

    fn on_init_ack(&mut self, now: Instant, init: &Init<'_>) {
        if self.state != State::CookieWait {
            return;
        }
        let mut unrecognized = Vec::new();
        let Some((caps, Some(cookie))) = read_init(init, &mut unrecognized) else {
            self.stats.chunks_dropped += 1;
            return;
        };
        self.pending_peer = Some(PeerParams {
            tag: init.initiate_tag,
            initial_tsn: init.initial_tsn,
            a_rwnd: init.a_rwnd,
            outbound_streams: init.outbound_streams,
            inbound_streams: init.inbound_streams,
            caps,
        });
        self.peer_tag = init.initiate_tag;
        let mut c = vec![0u8; cookie.len() + 8];
        let n = chunk::write_simple(&mut c, chunk::ty::COOKIE_ECHO, 0, &cookie).unwrap_or(0);
        c.truncate(n);
        self.cookie_echo = Some(c.clone());
        self.control.push_back(Control {
            vtag: self.peer_tag,
            chunk: c,
            zero_ok: false,
        });
        self.state = State::CookieEchoed;
        self.t1_count = 0;
        self.timers.t1 = Some(now + self.rto.rto());
    }

    /// Returns whether to go on with the rest of the packet.
    fn on_cookie_echo(&mut self, now: Instant, vtag: u32, raw: &[u8]) -> bool {
        if self.ended {
            return false;
        }
        let Some(c) = self.cookie_key.open(raw) else {
            self.stats.chunks_dropped += 1;
            return false;
        };
        if vtag != c.local_tag {
            self.stats.packets_bad_tag += 1;
            return false;
        }
        if self.now_ms(now).saturating_sub(c.created_ms)
            > self.cfg.cookie_lifetime.as_millis() as u64
        {
            let mut e = [0u8; 12];
            let mut w = Writer::new(&mut e);
            if w.tlv(cause::STALE_COOKIE, &[0, 0, 0, 0]).is_some() {
                let n = w.len();
                self.queue_control_simple(chunk::ty::ERROR, 0, &e[..n], c.peer_tag);
            }
            return false;
        }
        let peer = PeerParams {
            tag: c.peer_tag,
            initial_tsn: c.peer_initial_tsn,
            a_rwnd: c.peer_a_rwnd,
            outbound_streams: c.peer_outbound_streams,
            inbound_streams: c.peer_inbound_streams,
            caps: c.caps,
        };
        match self.state {
            State::Closed | State::CookieWait | State::CookieEchoed => {
                if c.local_tag != self.local_tag {
                    return false;
                }
                self.establish(now, peer, c.local_initial_tsn);
                self.events.push_back(SctpEvent::Connected);
            }
            _ => {
                let same_local = c.local_tag == self.local_tag;
                let same_peer = c.peer_tag == self.peer_tag;
                if same_local && same_peer {
                    // Duplicate cookie (case D): just acknowledge.
                } else if !same_local
                    && !same_peer
                    && c.local_tie_tag == self.local_tag
                    && c.peer_tie_tag == self.peer_tag
                {
                    // Peer restart (case A).
                    tracing::debug!("sctp peer restart");
                    self.local_tag = c.local_tag;
                    self.send_queue.clear();
                    self.establish(now, peer, c.local_initial_tsn);
                    self.events.push_back(SctpEvent::Restarted);
                } else if same_local && !same_peer {
                    // Collision (case B): the peer's side is new.
                    self.establish(now, peer, c.local_initial_tsn);
                } else {
                    return false;
                }
            }
        }
        self.queue_control_simple(chunk::ty::COOKIE_ACK, 0, &[], self.peer_tag);
        true
    }

    fn on_cookie_ack(&mut self, now: Instant) {
        if self.state != State::CookieEchoed {
            return;
        }
        let Some(peer) = self.pending_peer.take() else {
            return;
        };
        self.establish(now, peer, self.local_initial_tsn);
        self.events.push_back(SctpEvent::Connected);
    }

    /// Builds the data state of a freshly established association.
    fn establish(&mut self, now: Instant, peer: PeerParams, local_initial_tsn: u32) {
        self.peer_tag = peer.tag;
        self.local_initial_tsn = local_initial_tsn;
        self.caps = peer.caps;
        self.caps.forward_tsn &= self.cfg.enable_partial_reliability;
        self.interleaving = self.cfg.enable_interleaving && peer.caps.i_data;
        self.zero_checksum_tx = self.cfg.zero_checksum && peer.caps.zero_checksum;
        self.outbound_streams = self.cfg.max_streams.min(peer.inbound_streams);
        self.inbound_streams = self.cfg.max_streams.min(peer.outbound_streams);
        self.rtx = RetransmitQueue::new(local_initial_tsn, self.cfg.max_packet_size, peer.a_rwnd);
        self.rcv = ReceivedTsns::new(peer.initial_tsn, MAX_GAP_RANGES, MAX_TSN_AHEAD);
        self.reasm = Reassembly::new(self.interleaving, self.cfg.inbound_message_limit());
        self.reconfig = crate::association::Reconfig {
            next_req_seq: local_initial_tsn,
            peer_next_req_seq: peer.initial_tsn,
            ..Default::default()
        };
        self.state = State::Established;
        self.timers.t1 = None;
        self.timers.t3 = None;
        self.pending_peer = None;
        self.cookie_echo = None;
        self.error_count = 0;
        self.start_heartbeat(now);
        tracing::debug!(
            interleaving = self.interleaving,
            zero_checksum = self.zero_checksum_tx,
            "sctp established"
        );
    }

    fn on_forward_tsn(
        &mut self,
        _now: Instant,
        new_cum32: u32,
        streams: Option<&[u8]>,
        entries: Option<&[u8]>,
    ) {
        if !matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownSent
        ) {
            return;
        }
        if !self.caps.forward_tsn || streams.is_some() == self.interleaving {
            self.stats.chunks_dropped += 1;
            return;
        }
        let new_cum = self.rcv.unwrap(new_cum32);
        self.sack_needed = true;
        if new_cum <= self.rcv.cum() || new_cum > self.rcv.cum() + MAX_TSN_AHEAD {
            return;
        }
        self.rcv.forward_to(new_cum);
        if let Some(s) = streams {
            self.reasm
                .forward_tsn(new_cum, forward_tsn_streams(s), &mut self.events);
        } else if let Some(e) = entries {
            self.reasm
                .iforward_tsn(iforward_tsn_entries(e), &mut self.events);
        }
    }

    fn on_reconfig(&mut self, now: Instant, params: &[u8]) {
        if !matches!(
            self.state,
            State::Established
                | State::ShutdownPending
                | State::ShutdownReceived
                | State::ShutdownSent
        ) {
            return;
        }
        let mut responses: Vec<ReconfigResponse> = Vec::new();
        for p in Tlvs::new(params) {
            match p.ty {
                reconfig_param::OUTGOING_SSN_RESET => {
                    let Some(req) = OutgoingResetRequest::parse(p.value) else {
                        self.stats.chunks_dropped += 1;
                        continue;
                    };
                    let result = self.on_peer_reset_request(now, &req);
                    responses.push(ReconfigResponse {
                        response_seq: req.request_seq,
                        result,
                    });
                }
                reconfig_param::RESPONSE => {
                    if let Some(r) = ReconfigResponse::parse(p.value) {
                        self.on_reconfig_response(now, r);
                    }
                }
                reconfig_param::INCOMING_SSN_RESET
                | reconfig_param::SSN_TSN_RESET
                | reconfig_param::ADD_OUTGOING_STREAMS
                | reconfig_param::ADD_INCOMING_STREAMS => {
                    if p.value.len() >= 4 {
                        let seq = be32(p.value, 0);
                        let result = if seq == self.reconfig.peer_next_req_seq {
                            self.reconfig.peer_next_req_seq = seq.wrapping_add(1);
                            self.reconfig.last_result = reconfig_result::DENIED;
                            reconfig_result::DENIED
                        } else {
                            reconfig_result::ERROR_BAD_SEQ
                        };
                        responses.push(ReconfigResponse {
                            response_seq: seq,
                            result,
                        });
                    }
                }
                _ => self.stats.chunks_dropped += 1,
            }
        }
        if !responses.is_empty() {
            let mut v = [0u8; 32];
            let mut w = Writer::new(&mut v);
            for r in responses.iter().take(2) {
                let _ = r.write(&mut w);
            }
            let n = w.len();
            self.queue_control_simple(chunk::ty::RE_CONFIG, 0, &v[..n], self.peer_tag);
        }
    }

    fn on_peer_reset_request(&mut self, now: Instant, req: &OutgoingResetRequest<'_>) -> u32 {
        let seq = req.request_seq;
        let expected = self.reconfig.peer_next_req_seq;
        if seq == expected.wrapping_sub(1) {
            // A retransmission of the request we already handled.
            return self.reconfig.last_result;
        }
        if let Some((dseq, _, _)) = &self.reconfig.deferred {
            if *dseq == seq {
                return reconfig_result::IN_PROGRESS;
            }
        }
        if seq != expected {
            return reconfig_result::ERROR_BAD_SEQ;
        }
        let streams: Vec<u16> = req.stream_ids().take(65536).collect();
        let last_tsn = self.rcv.unwrap(req.last_tsn);
        if self.rcv.cum() >= last_tsn {
            self.perform_reset(seq, &streams);
            reconfig_result::SUCCESS_PERFORMED
        } else {
            self.reconfig.deferred = Some((seq, last_tsn, streams));
            let _ = now;
            reconfig_result::IN_PROGRESS
        }
    }

    fn perform_reset(&mut self, seq: u32, streams: &[u16]) {
        self.reasm.reset_streams(streams);
        self.reconfig.peer_next_req_seq = seq.wrapping_add(1);
        self.reconfig.last_result = reconfig_result::SUCCESS_PERFORMED;
        self.events.push_back(SctpEvent::StreamReset {
            stream_ids: streams.to_vec(),
        });
    }

    /// Performs a peer's reset request that waited for its last TSN.
    pub(crate) fn perform_deferred_reset(&mut self, _now: Instant) {
        let ready = self
            .reconfig
            .deferred
            .as_ref()
            .is_some_and(|(_, last, _)| self.rcv.cum() >= *last);
        if ready {
            if let Some((seq, _, streams)) = self.reconfig.deferred.take() {
                self.perform_reset(seq, &streams);
            }
        }
    }

    fn on_reconfig_response(&mut self, now: Instant, r: ReconfigResponse) {
        let Some((seq, streams, _)) = &self.reconfig.outstanding else {
            return;
        };
        if *seq != r.response_seq {
            return;
        }
        match r.result {
            reconfig_result::SUCCESS_PERFORMED | reconfig_result::SUCCESS_NOTHING => {
                let streams = streams.clone();
                self.reconfig.outstanding = None;
                self.timers.reconfig = None;
                self.send_queue.complete_reset(&streams);
                self.events.push_back(SctpEvent::OutgoingStreamsReset {
                    stream_ids: streams,
                });
                self.maybe_send_reset_request(now);
            }
            reconfig_result::IN_PROGRESS => {
                // Ask again after a while.
                self.timers.reconfig = Some(now + self.rto.rto());
            }
            _ => {
                let streams = streams.clone();
                self.reconfig.outstanding = None;
                self.timers.reconfig = None;
                self.send_queue.complete_reset(&streams);
                tracing::debug!(result = r.result, "sctp stream reset refused");
                self.maybe_send_reset_request(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_init_reports_unknown_and_rejects_zero_tag() {
        let mut params = [0u8; 64];
        let n = {
            let mut w = Writer::new(&mut params);
            w.tlv(init_param::FORWARD_TSN_SUPPORTED, &[]).unwrap();
            w.tlv(0xC123, &[1, 2]).unwrap();
            w.tlv(
                init_param::SUPPORTED_EXTENSIONS,
                &[chunk::ty::I_DATA, chunk::ty::RE_CONFIG],
            )
            .unwrap();
            w.tlv(0x0042, &[]).unwrap();
            w.tlv(
                init_param::ZERO_CHECKSUM_ACCEPTABLE,
                &EDMID_DTLS.to_be_bytes(),
            )
            .unwrap();
            w.len()
        };
        let init = Init {
            initiate_tag: 5,
            a_rwnd: 1,
            outbound_streams: 1,
            inbound_streams: 1,
            initial_tsn: 1,
            params: &params[..n],
        };
        let mut unrec = Vec::new();
        let (caps, cookie) = read_init(&init, &mut unrec).unwrap();
        assert!(caps.forward_tsn && caps.i_data && caps.reconfig);
        assert!(
            !caps.zero_checksum,
            "processing stopped at the 0x0042 parameter"
        );
        assert!(cookie.is_none());
        assert_eq!(unrec.len(), 8, "0xC123 reported");
        assert!(read_init(
            &Init {
                initiate_tag: 0,
                ..init
            },
            &mut unrec
        )
        .is_none());
    }
}
