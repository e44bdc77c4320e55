//! The negotiation-needed flag, the operations chain, ICE restart, close, and
//! candidates in the descriptions (webrtc-pc §4.7.3, §4.4.1.3).

use super::*;

impl PeerConnection {
    /// Called by the async layer when it starts running a queued operation
    /// (createOffer, createAnswer, set*Description, addIceCandidate).
    pub fn begin_operation(&mut self) {
        self.ops_in_progress += 1;
    }

    /// Called when that operation is done; an update of the negotiation-needed
    /// flag that waited for an empty operations chain runs now.
    pub fn end_operation(&mut self) {
        self.ops_in_progress = self.ops_in_progress.saturating_sub(1);
        if self.ops_in_progress == 0 && self.update_on_empty_chain {
            self.update_on_empty_chain = false;
            self.update_negotiation_needed();
        }
    }

    /// "Update the negotiation-needed flag".
    pub(super) fn update_negotiation_needed(&mut self) {
        if self.closed {
            return;
        }
        if self.ops_in_progress > 0 {
            self.update_on_empty_chain = true;
            return;
        }
        if self.signaling_state != SignalingState::Stable {
            return;
        }
        if !self.check_negotiation_needed() {
            self.negotiation_needed = false;
            return;
        }
        if self.negotiation_needed {
            return;
        }
        self.negotiation_needed = true;
        self.events.push_back(Event::NegotiationNeeded);
    }

    /// Whether `negotiationneeded` is due: the spec's "check if negotiation is needed".
    pub fn is_negotiation_needed(&self) -> bool {
        self.negotiation_needed
    }

    fn check_negotiation_needed(&self) -> bool {
        if self.pending_ice_restart {
            return true;
        }
        let Some(local) = self.current_local.as_ref() else {
            return self.data_wanted || self.transceivers.iter().any(|t| !t.stopped);
        };
        let remote = self.current_remote.as_ref();
        if self.data_wanted && !local.layout.contains(&Slot::Data) {
            return true;
        }
        for t in &self.transceivers {
            if t.stopping && !t.stopped {
                return true;
            }
            if t.stopped {
                continue;
            }
            let Some(i) = local
                .layout
                .iter()
                .position(|s| *s == Slot::Transceiver(t.id))
            else {
                return true;
            };
            let lm = &local.summary.media[i];
            if t.direction.sends() {
                let msid_streams: Vec<&str> = lm
                    .msids
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .filter(|s| *s != "-")
                    .collect();
                let want: Vec<&str> = t.sender.streams.iter().map(String::as_str).collect();
                if lm.msids.is_empty() || msid_streams != want {
                    return true;
                }
            }
            match local.desc.sdp_type {
                SdpType::Offer => {
                    let remote_dir = remote
                        .and_then(|r| r.summary.media.get(i))
                        .map(|m| m.direction.reverse());
                    if lm.direction != t.direction && remote_dir != Some(t.direction) {
                        return true;
                    }
                }
                _ => {
                    let offered = remote
                        .and_then(|r| r.summary.media.get(i))
                        .map(|m| m.direction.reverse())
                        .unwrap_or(Direction::SendRecv);
                    let want = Direction::from_parts(
                        t.direction.sends() && offered.sends(),
                        t.direction.recvs() && offered.recvs(),
                    );
                    if lm.direction != want {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Enter stable after an answer; `track_events` fire right after
    /// signalingstatechange, before negotiationneeded is checked again.
    pub(super) fn enter_stable(&mut self, track_events: Vec<Event>) {
        self.set_signaling_state(SignalingState::Stable);
        self.events.extend(track_events);
        self.negotiation_needed = false;
        self.update_negotiation_needed();
    }

    pub(super) fn enter_stable_after_rollback(&mut self) {
        self.negotiation_needed = false;
        self.update_negotiation_needed();
    }

    /// `restartIce()`: the next offer has new ICE credentials.
    pub fn restart_ice(&mut self) -> Result<()> {
        self.check_open()?;
        self.pending_ice_restart = true;
        self.update_negotiation_needed();
        Ok(())
    }

    /// `close()`: states move to closed without events; every later call fails
    /// with `InvalidStateError`.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.transport.close();
        self.signaling_state = SignalingState::Closed;
        self.ice_connection_state = IceConnectionState::Closed;
        self.connection_state = PeerConnectionState::Closed;
        for t in self.transceivers.iter_mut() {
            t.stopped = true;
            t.stopping = false;
            t.current_direction = Some(Direction::Stopped);
        }
        self.negotiation_needed = false;
    }

    /// The transport parameters of the negotiated session, once an answer is applied.
    pub fn transport_parameters(&self) -> Option<TransportParameters> {
        let remote = self.current_remote.as_ref()?;
        let role = self.dtls_role?;
        let m = remote
            .summary
            .media
            .iter()
            .find(|m| !m.is_rejected() && m.ice_ufrag.is_some())?;
        let sctp = remote
            .layout
            .iter()
            .position(|s| *s == Slot::Data)
            .and_then(|i| remote.summary.media.get(i))
            .filter(|m| !m.is_rejected())
            .map(|m| {
                (
                    m.sctp_port.unwrap_or(5000),
                    m.max_message_size.unwrap_or(65536),
                )
            });
        let we_offered = self
            .current_local
            .as_ref()
            .is_some_and(|l| l.desc.sdp_type == SdpType::Offer);
        Some(TransportParameters {
            remote_ufrag: m.ice_ufrag.clone()?,
            remote_pwd: m.ice_pwd.clone()?,
            remote_ice_lite: remote.summary.ice_lite,
            remote_fingerprints: m.fingerprints.clone(),
            dtls_role: role,
            ice_controlling: we_offered || remote.summary.ice_lite,
            sctp,
        })
    }

    /// The remote candidates of the description in effect (from the SDP and
    /// from addIceCandidate), with their m-section index.
    pub fn remote_candidates(&self) -> Vec<(usize, rtcpeer_sdp::Candidate)> {
        let mut out = Vec::new();
        if let Some(r) = self.remote_applied() {
            for m in &r.summary.media {
                for c in &m.candidates {
                    out.push((m.index, c.clone()));
                }
            }
        }
        for (i, line) in &self.remote_candidates {
            if let Ok(c) = line.parse() {
                out.push((*i, c));
            }
        }
        out
    }

    /// True once after a local description needs (new) candidates gathered:
    /// the transport layer starts gathering with the current credentials.
    pub fn take_gathering_request(&mut self) -> bool {
        std::mem::take(&mut self.gathering_requested)
    }

    /// True once after the local ICE credentials changed (an ICE restart was applied).
    pub fn take_ice_restart(&mut self) -> bool {
        std::mem::take(&mut self.ice_restart_requested)
    }

    /// A local candidate was gathered: it joins the local description and an
    /// `icecandidate` event is queued (one per media section, as browsers do
    /// for bundled sections they report once with the first mid).
    pub fn add_local_candidate(&mut self, candidate_line: String) {
        if self.closed {
            return;
        }
        let candidate_line = self.hide_host_address(candidate_line);
        if self.local_applied().is_none() {
            // Pooled: no events before setLocalDescription.
            if !self.pooled_candidates.contains(&candidate_line) {
                self.pooled_candidates.push(candidate_line);
            }
            return;
        }
        if self.gathering_state != IceGatheringState::Gathering {
            self.set_gathering_state(IceGatheringState::Gathering);
        }
        if self.local_candidates.contains(&candidate_line) {
            return;
        }
        self.local_candidates.push(candidate_line.clone());
        let (mid, index) = self
            .local_applied()
            .and_then(|l| {
                l.summary
                    .media
                    .iter()
                    .find(|m| !m.is_rejected())
                    .map(|m| (m.mid.clone(), m.index as u16))
            })
            .unwrap_or((None, 0));
        self.events
            .push_back(Event::IceCandidate(Some(IceCandidateInit {
                candidate: candidate_line,
                sdp_mid: mid,
                sdp_m_line_index: Some(index),
                username_fragment: Some(self.ice_ufrag.clone()),
            })));
    }

    /// Signals host candidates on `ip` as `name` (an mDNS `<uuid>.local`
    /// name the caller answers queries for), and the related address of
    /// server-reflexive and relayed candidates as `0.0.0.0 0`, as browsers
    /// do. Call before the host candidate is added.
    pub fn set_local_host_name(&mut self, ip: std::net::IpAddr, name: &str) {
        self.local_host_names.insert(ip, name.to_string());
    }

    fn hide_host_address(&self, line: String) -> String {
        if self.local_host_names.is_empty() {
            return line;
        }
        let Ok(mut c) = rtcpeer_ice::Candidate::parse(&line) else {
            return line;
        };
        match c.kind {
            rtcpeer_ice::CandidateKind::Host => {
                let Some(name) = self.local_host_names.get(&c.address.ip()) else {
                    return line;
                };
                let unspecified: std::net::IpAddr = if c.address.is_ipv4() {
                    std::net::Ipv4Addr::UNSPECIFIED.into()
                } else {
                    std::net::Ipv6Addr::UNSPECIFIED.into()
                };
                c.hostname = Some(name.clone());
                c.address = std::net::SocketAddr::new(unspecified, c.address.port());
            }
            _ => {
                if c.related.is_some() {
                    c.related = Some(std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
                }
            }
        }
        c.to_string()
    }

    /// The first local description is applied: the candidate pool's ICE
    /// agent takes its role, and what it gathered is signaled now.
    pub(super) fn adopt_pool(&mut self) {
        let Some(sdp_type) = self.local_applied().map(|l| l.desc.sdp_type) else {
            return;
        };
        if std::mem::take(&mut self.pool_role_pending) {
            let controlling = sdp_type == SdpType::Offer;
            self.transport.set_ice_controlling(controlling);
        }
        for c in std::mem::take(&mut self.pooled_candidates) {
            self.add_local_candidate(c);
        }
        if std::mem::take(&mut self.pooled_complete) {
            self.local_gathering_complete();
        }
    }

    /// Gathering is complete: `a=end-of-candidates`, the null candidate and the state change.
    pub fn local_gathering_complete(&mut self) {
        if self.closed || self.gathering_complete {
            return;
        }
        if self.local_applied().is_none() {
            self.pooled_complete = true;
            return;
        }
        if self.gathering_state == IceGatheringState::New {
            self.set_gathering_state(IceGatheringState::Gathering);
        }
        self.gathering_complete = true;
        self.set_gathering_state(IceGatheringState::Complete);
        self.events.push_back(Event::IceCandidate(None));
    }

    fn set_gathering_state(&mut self, s: IceGatheringState) {
        if self.gathering_state != s {
            self.gathering_state = s;
            self.events.push_back(Event::IceGatheringStateChange(s));
        }
    }

    /// The transport reports a new ICE connection state.
    pub fn set_ice_connection_state(&mut self, s: IceConnectionState) {
        if !self.closed && self.ice_connection_state != s {
            self.ice_connection_state = s;
            self.events.push_back(Event::IceConnectionStateChange(s));
        }
    }

    /// The transport reports a new aggregate connection state.
    pub fn set_connection_state(&mut self, s: PeerConnectionState) {
        if !self.closed && self.connection_state != s {
            self.connection_state = s;
            self.events.push_back(Event::ConnectionStateChange(s));
        }
    }

    pub(super) fn with_local_candidates(&self, a: &Applied) -> SessionDescription {
        let lines: Vec<String> = self
            .local_candidates
            .iter()
            .map(|c| format!("a={c}"))
            .collect();
        let all: Vec<(usize, String)> = (0..a.summary.media.len())
            .flat_map(|i| lines.iter().map(move |l| (i, l.clone())))
            .collect();
        SessionDescription {
            sdp_type: a.desc.sdp_type,
            sdp: insert_candidates(&a.desc.sdp, &all, self.gathering_complete),
        }
    }

    pub(super) fn with_remote_candidates(&self, a: &Applied) -> SessionDescription {
        if self.remote_candidates.is_empty() && !self.remote_end_of_candidates {
            return a.desc.clone();
        }
        let lines: Vec<(usize, String)> = self
            .remote_candidates
            .iter()
            .map(|(i, c)| (*i, format!("a={c}")))
            .collect();
        SessionDescription {
            sdp_type: a.desc.sdp_type,
            sdp: insert_candidates(&a.desc.sdp, &lines, self.remote_end_of_candidates),
        }
    }
}

/// Put candidate lines into the m-sections they belong to (after existing
/// candidates, or after the c= line), skipping rejected and bundle-only sections.
fn insert_candidates(sdp: &str, lines: &[(usize, String)], end: bool) -> String {
    let mut out = String::with_capacity(sdp.len() + lines.len() * 80);
    let mut section: Option<usize> = None;
    let mut live = false;
    let mut pending: Vec<&str> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<&str>, end_needed: bool| {
        for l in pending.drain(..) {
            out.push_str(l);
            out.push_str("\r\n");
        }
        if end_needed {
            out.push_str("a=end-of-candidates\r\n");
        }
    };
    let mut wrote_for_section = true;
    for raw in sdp.split_terminator('\n') {
        let line = raw.trim_end_matches('\r');
        if line.starts_with("m=") {
            section = Some(section.map_or(0, |s| s + 1));
            let port = line.split_whitespace().nth(1).unwrap_or("0");
            live = port != "0";
            wrote_for_section = false;
            pending = lines
                .iter()
                .filter(|(i, _)| Some(*i) == section)
                .map(|(_, l)| l.as_str())
                .collect();
        }
        if line == "a=end-of-candidates" {
            continue;
        }
        let existing = line.starts_with("a=candidate:");
        if existing {
            pending.retain(|p| *p != line);
        }
        out.push_str(line);
        out.push_str("\r\n");
        if section.is_some() && !wrote_for_section && live && line.starts_with("c=") {
            flush(&mut out, &mut pending, end);
            wrote_for_section = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::insert_candidates;

    #[test]
    fn candidates_go_after_the_connection_line_of_live_sections() {
        let sdp = "v=0\r\nm=audio 9 X 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\nm=video 0 X 0\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";
        let out = insert_candidates(
            sdp,
            &[
                (0, "a=candidate:1 1 udp 1 1.2.3.4 5 typ host".into()),
                (1, "a=candidate:2 1 udp 1 1.2.3.4 6 typ host".into()),
            ],
            true,
        );
        assert!(out.contains("c=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=end-of-candidates\r\na=mid:0"));
        assert!(
            !out.contains("candidate:2"),
            "a rejected section gets no candidates"
        );
    }
}
