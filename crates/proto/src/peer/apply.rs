//! setLocalDescription, setRemoteDescription, rollback and addIceCandidate
//! (W3C webrtc-pc §4.4.1.5–6, RFC 9429 §5.7–5.10).

use super::*;

impl PeerConnection {
    /// `setLocalDescription(description)`; `None` is the argument-less form
    /// that creates the offer or answer itself.
    pub fn set_local_description(&mut self, desc: Option<SessionDescription>) -> Result<()> {
        self.check_open()?;
        let implicit_offer = matches!(
            self.signaling_state,
            SignalingState::Stable
                | SignalingState::HaveLocalOffer
                | SignalingState::HaveRemotePranswer
        );
        let desc = match desc {
            None if implicit_offer => self.create_offer(&OfferOptions::default())?,
            None => self.create_answer(&AnswerOptions::default())?,
            Some(d) => d,
        };
        match desc.sdp_type {
            SdpType::Rollback => self.rollback_local(),
            SdpType::Offer => {
                if !matches!(
                    self.signaling_state,
                    SignalingState::Stable | SignalingState::HaveLocalOffer
                ) {
                    return Err(Error::invalid_state(format!(
                        "setLocalDescription(offer) in signaling state {}",
                        self.signaling_state
                    )));
                }
                let sdp = if desc.sdp.is_empty() {
                    match &self.last_offer {
                        Some(o) => o.sdp.clone(),
                        None => self.create_offer(&OfferOptions::default())?.sdp,
                    }
                } else {
                    desc.sdp
                };
                let created = match &self.last_offer {
                    Some(o) if o.sdp == sdp => o.clone(),
                    _ => {
                        return Err(Error::invalid_modification(
                            "the offer is not the last one createOffer returned",
                        ))
                    }
                };
                self.apply_local_offer(created)?;
                self.adopt_pool();
                Ok(())
            }
            SdpType::Answer | SdpType::Pranswer => {
                if !matches!(
                    self.signaling_state,
                    SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer
                ) {
                    return Err(Error::invalid_state(format!(
                        "setLocalDescription({}) in signaling state {}",
                        desc.sdp_type.as_str(),
                        self.signaling_state
                    )));
                }
                let sdp = if desc.sdp.is_empty() {
                    match &self.last_answer {
                        Some(a) => a.sdp.clone(),
                        None => self.create_answer(&AnswerOptions::default())?.sdp,
                    }
                } else {
                    desc.sdp
                };
                let created = match &self.last_answer {
                    Some(a) if a.sdp == sdp => a.clone(),
                    _ => {
                        return Err(Error::invalid_modification(
                            "the answer is not the last one createAnswer returned",
                        ))
                    }
                };
                self.apply_local_answer(created, desc.sdp_type)?;
                self.adopt_pool();
                Ok(())
            }
        }
    }

    fn applied_from(&self, sdp_type: SdpType, sdp: String, layout: Vec<Slot>) -> Result<Applied> {
        let parsed = summary::parse(&sdp)?;
        Ok(Applied {
            desc: SessionDescription { sdp_type, sdp },
            summary: summary::summarize(&parsed),
            layout,
        })
    }

    fn adopt_ice(&mut self, ice: &(String, String)) {
        if self.ice_ufrag != ice.0 {
            self.ice_ufrag = ice.0.clone();
            self.ice_pwd = ice.1.clone();
            self.local_candidates.clear();
            self.gathering_complete = false;
            self.ice_restart_requested = true;
        }
        self.pending_ice_restart = false;
    }

    fn apply_local_offer(&mut self, created: Created) -> Result<()> {
        let applied =
            self.applied_from(SdpType::Offer, created.sdp.clone(), created.layout.clone())?;
        for (i, slot) in created.layout.iter().enumerate() {
            match slot {
                Slot::Transceiver(id) => {
                    let t = self.transceiver_mut(*id)?;
                    t.mid = Some(created.mids[i].clone());
                    t.mline = Some(i);
                }
                Slot::Data => self.data_mid = Some(created.mids[i].clone()),
                Slot::Rejected => {}
            }
        }
        self.adopt_ice(&created.ice);
        self.pending_local = Some(applied);
        self.gathering_requested = true;
        self.set_signaling_state(SignalingState::HaveLocalOffer);
        Ok(())
    }

    fn apply_local_answer(&mut self, created: Created, sdp_type: SdpType) -> Result<()> {
        let applied = self.applied_from(sdp_type, created.sdp.clone(), created.layout.clone())?;
        self.adopt_ice(&created.ice);
        self.gathering_requested = true;
        if sdp_type == SdpType::Pranswer {
            self.pending_local = Some(applied);
            self.set_signaling_state(SignalingState::HaveLocalPranswer);
            return Ok(());
        }
        let setup = applied.summary.media.iter().find_map(|m| m.setup);
        self.dtls_role = Some(match setup {
            Some(Setup::Passive) => DtlsRole::Server,
            _ => DtlsRole::Client,
        });
        let remote = self
            .pending_remote
            .take()
            .expect("have-remote-offer has a pending remote description");
        self.finish_negotiation(&applied, &remote, true);
        self.current_local = Some(applied);
        self.pending_local = None;
        self.current_remote = Some(remote);
        self.rollback_snapshot = None;
        self.enter_stable(Vec::new());
        Ok(())
    }

    /// Set currentDirection and negotiated parameters from a completed
    /// offer/answer exchange, stop the transceivers whose m-section was
    /// rejected, and drop the stopped ones.
    fn finish_negotiation(&mut self, local: &Applied, remote: &Applied, local_is_answer: bool) {
        let answer = if local_is_answer { local } else { remote };
        for (i, slot) in answer.layout.iter().enumerate() {
            let Slot::Transceiver(id) = slot else {
                continue;
            };
            let am = &answer.summary.media[i];
            let lm = &local.summary.media[i];
            let Some(t) = self.transceivers.iter_mut().find(|t| t.id == *id) else {
                continue;
            };
            if am.is_rejected() || t.stopping {
                t.stopped = true;
                t.stopping = false;
                t.current_direction = Some(Direction::Stopped);
                continue;
            }
            t.current_direction = Some(if local_is_answer {
                lm.direction
            } else {
                am.direction.reverse()
            });
            t.negotiated_codecs = am.codecs.clone();
            t.negotiated_extensions = am.extensions.clone();
        }
        // Transceivers whose m-section this exchange rejected are stopped too
        // (their slot is `Rejected`, so the loop above did not see them).
        for t in self.transceivers.iter_mut() {
            if let Some(i) = t.mline {
                if answer.summary.media.get(i).is_some_and(|m| m.is_rejected()) {
                    t.stopped = true;
                    t.stopping = false;
                    t.current_direction = Some(Direction::Stopped);
                }
            }
        }
        // A stopped transceiver whose m-section is rejected on both sides is gone.
        self.transceivers.retain(|t| !t.stopped);
    }

    /// `setRemoteDescription(description)`.
    pub fn set_remote_description(&mut self, desc: SessionDescription) -> Result<()> {
        self.check_open()?;
        self.remote_candidates_dirty = true;
        match desc.sdp_type {
            SdpType::Rollback => self.rollback_remote(),
            SdpType::Offer => {
                if self.signaling_state == SignalingState::HaveLocalOffer {
                    // Perfect negotiation: an offer in have-local-offer rolls ours back first.
                    self.rollback_local()?;
                }
                if !matches!(
                    self.signaling_state,
                    SignalingState::Stable | SignalingState::HaveRemoteOffer
                ) {
                    return Err(Error::invalid_state(format!(
                        "setRemoteDescription(offer) in signaling state {}",
                        self.signaling_state
                    )));
                }
                let parsed = summary::parse(&desc.sdp)?;
                let s = summary::summarize(&parsed);
                self.validate_remote(&s)?;
                self.validate_remote_identity(&s)?;
                self.apply_remote_offer(desc, s)
            }
            SdpType::Answer | SdpType::Pranswer => {
                if !matches!(
                    self.signaling_state,
                    SignalingState::HaveLocalOffer | SignalingState::HaveRemotePranswer
                ) {
                    return Err(Error::invalid_state(format!(
                        "setRemoteDescription({}) in signaling state {}",
                        desc.sdp_type.as_str(),
                        self.signaling_state
                    )));
                }
                let parsed = summary::parse(&desc.sdp)?;
                let s = summary::summarize(&parsed);
                self.validate_remote(&s)?;
                self.validate_remote_identity(&s)?;
                self.apply_remote_answer(desc, s)
            }
        }
    }

    fn validate_remote(&self, s: &Summary) -> Result<()> {
        for m in &s.media {
            if m.is_rejected() || matches!(m.kind, SectionKind::Other(_)) {
                continue;
            }
            let bundled_away = m.bundle_only
                || m.mid
                    .as_deref()
                    .and_then(|mid| s.bundle_group_of(mid))
                    .is_some_and(|g| g.first() != m.mid.as_ref());
            if !bundled_away || m.ice_ufrag.is_some() {
                if m.ice_ufrag.is_none() || m.ice_pwd.is_none() {
                    return Err(Error::invalid_access(format!(
                        "m-section {} has no ICE ufrag or password",
                        m.index
                    )));
                }
                if m.fingerprints.is_empty() {
                    return Err(Error::invalid_access(format!(
                        "m-section {} has no DTLS fingerprint",
                        m.index
                    )));
                }
            }
            if let (Some(u), Some(p)) = (&m.ice_ufrag, &m.ice_pwd) {
                if u.len() < 4
                    || u.len() > 256
                    || p.len() < 22
                    || p.len() > 256
                    || !rtcpeer_sdp::is_ice_chars(u)
                    || !rtcpeer_sdp::is_ice_chars(p)
                {
                    return Err(Error::invalid_access(format!(
                        "m-section {} has ICE credentials of the wrong length",
                        m.index
                    )));
                }
            }
            if matches!(m.kind, SectionKind::Media(_)) && !m.rtcp_mux {
                return Err(Error::invalid_access(format!(
                    "m-section {} lacks a=rtcp-mux, which rtcpMuxPolicy 'require' needs",
                    m.index
                )));
            }
        }
        Ok(())
    }

    fn apply_remote_offer(&mut self, desc: SessionDescription, s: Summary) -> Result<()> {
        if self.rollback_snapshot.is_none() {
            self.rollback_snapshot = Some(Snapshot {
                transceivers: self.transceivers.clone(),
                data_mid: self.data_mid.clone(),
            });
        }
        let previous_ufrag = self
            .current_remote
            .as_ref()
            .and_then(|r| r.summary.media.iter().find_map(|m| m.ice_ufrag.clone()));
        let mut layout = Vec::with_capacity(s.media.len());
        for m in &s.media {
            let mid = m.mid.clone().unwrap_or_else(|| m.index.to_string());
            let slot = match &m.kind {
                SectionKind::Other(_) => Slot::Rejected,
                SectionKind::Application if m.is_rejected() => Slot::Rejected,
                SectionKind::Application => {
                    self.data_mid = Some(mid.clone());
                    Slot::Data
                }
                SectionKind::Media(kind) => {
                    let existing = self
                        .transceivers
                        .iter()
                        .position(|t| t.mid.as_deref() == Some(mid.as_str()));
                    if m.is_rejected() {
                        if let Some(i) = existing {
                            let t = &mut self.transceivers[i];
                            if !t.stopped {
                                t.stopping = true;
                            }
                        }
                        Slot::Rejected
                    } else {
                        let idx = match existing {
                            Some(i) => i,
                            None => {
                                let reuse = self.transceivers.iter().position(|t| {
                                    t.kind == *kind
                                        && t.mid.is_none()
                                        && t.mline.is_none()
                                        && !t.stopped
                                        && !t.stopping
                                        && t.added_by_add_track
                                        && m.direction.recvs()
                                });
                                match reuse {
                                    Some(i) => i,
                                    None => {
                                        let id = self.new_transceiver(
                                            *kind,
                                            None,
                                            Direction::RecvOnly,
                                            Vec::new(),
                                            Vec::new(),
                                        );
                                        let i = self.transceivers.len() - 1;
                                        debug_assert_eq!(self.transceivers[i].id, id);
                                        self.transceivers[i].created_by_remote = true;
                                        i
                                    }
                                }
                            }
                        };
                        let t = &mut self.transceivers[idx];
                        t.mid = Some(mid.clone());
                        t.mline = Some(m.index);
                        Slot::Transceiver(t.id)
                    }
                }
            };
            layout.push(slot);
        }
        let ufrag = s.media.iter().find_map(|m| m.ice_ufrag.clone());
        if previous_ufrag.is_some() && ufrag != previous_ufrag {
            // The offerer restarts ICE; our answer must too (RFC 8445 §9).
            self.pending_ice_restart = true;
            self.remote_candidates.clear();
            self.remote_end_of_candidates = false;
        }
        let applied = Applied {
            desc,
            summary: s,
            layout,
        };
        // signalingstatechange fires before the track events (webrtc-pc §4.4.1.6).
        let mut track_events = Vec::new();
        self.process_remote_tracks(&applied, false, &mut track_events);
        self.pending_remote = Some(applied);
        self.set_signaling_state(SignalingState::HaveRemoteOffer);
        self.events.extend(track_events);
        Ok(())
    }

    fn apply_remote_answer(&mut self, desc: SessionDescription, s: Summary) -> Result<()> {
        let local = self
            .pending_local
            .clone()
            .expect("have-local-offer has a pending local description");
        if s.media.len() != local.summary.media.len() {
            return Err(Error::invalid_access(format!(
                "the answer has {} m-sections, the offer {}",
                s.media.len(),
                local.summary.media.len()
            )));
        }
        for (a, o) in s.media.iter().zip(local.summary.media.iter()) {
            if a.kind != o.kind {
                return Err(Error::invalid_access(format!(
                    "m-section {} of the answer is of another kind than the offer's",
                    a.index
                )));
            }
            if !a.is_rejected() && a.mid.is_some() && a.mid != o.mid {
                return Err(Error::invalid_access(format!(
                    "m-section {} of the answer has mid {:?}, the offer {:?}",
                    a.index, a.mid, o.mid
                )));
            }
        }
        let applied = Applied {
            desc: desc.clone(),
            summary: s,
            layout: local.layout.clone(),
        };
        if desc.sdp_type == SdpType::Pranswer {
            let mut track_events = Vec::new();
            self.process_remote_tracks(&applied, true, &mut track_events);
            self.pending_remote = Some(applied);
            self.set_signaling_state(SignalingState::HaveRemotePranswer);
            self.events.extend(track_events);
            return Ok(());
        }
        let setup = applied.summary.media.iter().find_map(|m| m.setup);
        self.dtls_role = Some(match setup {
            Some(Setup::Active) => DtlsRole::Server,
            _ => DtlsRole::Client,
        });
        let mut track_events = Vec::new();
        self.process_remote_tracks(&applied, true, &mut track_events);
        self.finish_negotiation(&local, &applied, false);
        self.current_local = Some(local);
        self.pending_local = None;
        self.current_remote = Some(applied);
        self.pending_remote = None;
        self.enter_stable(track_events);
        Ok(())
    }

    /// Fire `track` for receivers that start receiving and report those that
    /// stop (webrtc-pc §4.4.1.6 "process remote tracks").
    fn process_remote_tracks(&mut self, remote: &Applied, is_answer: bool, out: &mut Vec<Event>) {
        for (i, slot) in remote.layout.iter().enumerate() {
            let Slot::Transceiver(id) = slot else {
                continue;
            };
            let m = &remote.summary.media[i];
            let Some(t) = self.transceivers.iter_mut().find(|t| t.id == *id) else {
                continue;
            };
            let mut receiving = !m.is_rejected() && m.direction.sends();
            if is_answer {
                receiving = receiving && t.direction.recvs();
            }
            let streams: Vec<String> = m
                .msids
                .iter()
                .map(|(s, _)| s.clone())
                .filter(|s| s != "-")
                .collect();
            let was = t.fired_direction.is_some_and(|d| d.recvs());
            if receiving {
                let old_streams = std::mem::replace(&mut t.receiver.streams, streams.clone());
                t.receiver.remote_track_id = m.msids.first().and_then(|(_, tr)| tr.clone());
                if !was {
                    t.fired_direction = Some(Direction::RecvOnly);
                    for st in &streams {
                        if !self.remote_stream_known(st, *id) {
                            out.push(Event::AddStream(st.clone()));
                        }
                    }
                    out.push(Event::Track {
                        transceiver: *id,
                        streams,
                    });
                } else if old_streams != streams {
                    out.push(Event::Track {
                        transceiver: *id,
                        streams,
                    });
                }
            } else if was {
                let t = self
                    .transceivers
                    .iter_mut()
                    .find(|t| t.id == *id)
                    .expect("found above");
                t.fired_direction = Some(Direction::Inactive);
                let streams = std::mem::take(&mut t.receiver.streams);
                out.push(Event::RemoteTrackRemoved {
                    transceiver: *id,
                    streams: streams.clone(),
                });
                for st in streams {
                    if !self.remote_stream_known(&st, *id) {
                        out.push(Event::RemoveStream(st));
                    }
                }
            }
        }
    }

    /// Whether another receiving transceiver than `except` already has stream `id`.
    fn remote_stream_known(&self, id: &str, except: TransceiverId) -> bool {
        self.transceivers.iter().any(|t| {
            t.id != except
                && t.fired_direction.is_some_and(|d| d.recvs())
                && t.receiver.streams.iter().any(|s| s == id)
        })
    }

    fn rollback_local(&mut self) -> Result<()> {
        if !matches!(
            self.signaling_state,
            SignalingState::HaveLocalOffer | SignalingState::HaveLocalPranswer
        ) {
            return Err(Error::invalid_state(format!(
                "rollback of a local description in signaling state {}",
                self.signaling_state
            )));
        }
        if self.signaling_state == SignalingState::HaveLocalPranswer {
            self.pending_local = None;
            self.set_signaling_state(SignalingState::HaveRemoteOffer);
            return Ok(());
        }
        let current_layout: Vec<Slot> = self
            .current_local
            .as_ref()
            .map(|c| c.layout.clone())
            .unwrap_or_default();
        for t in self.transceivers.iter_mut() {
            if !current_layout.contains(&Slot::Transceiver(t.id)) {
                t.mid = None;
                t.mline = None;
            }
        }
        if !current_layout.contains(&Slot::Data) {
            self.data_mid = None;
        }
        self.pending_local = None;
        self.set_signaling_state(SignalingState::Stable);
        self.enter_stable_after_rollback();
        Ok(())
    }

    fn rollback_remote(&mut self) -> Result<()> {
        match self.signaling_state {
            SignalingState::HaveRemoteOffer => {}
            SignalingState::HaveRemotePranswer => {
                self.pending_remote = None;
                self.set_signaling_state(SignalingState::HaveLocalOffer);
                return Ok(());
            }
            s => {
                return Err(Error::invalid_state(format!(
                    "rollback of a remote description in signaling state {s}"
                )))
            }
        }
        let snapshot = self
            .rollback_snapshot
            .take()
            .expect("taken when the offer was applied");
        // Receivers that started with this offer stop again.
        for t in &self.transceivers {
            let before = snapshot.transceivers.iter().find(|b| b.id == t.id);
            let was = before.is_some_and(|b| b.fired_direction.is_some_and(|d| d.recvs()));
            if t.fired_direction.is_some_and(|d| d.recvs()) && !was {
                self.events.push_back(Event::RemoteTrackRemoved {
                    transceiver: t.id,
                    streams: t.receiver.streams.clone(),
                });
            }
        }
        let mut restored = snapshot.transceivers;
        // Transceivers made by the offer stay only if addTrack has since used them.
        for t in &self.transceivers {
            if !restored.iter().any(|r| r.id == t.id) && t.sender.track.is_some() {
                let mut kept = t.clone();
                kept.mid = None;
                kept.mline = None;
                kept.created_by_remote = false;
                kept.fired_direction = None;
                kept.receiver.streams.clear();
                restored.push(kept);
            }
        }
        for r in restored.iter_mut() {
            if let Some(now) = self.transceivers.iter().find(|t| t.id == r.id) {
                // Keep what the application changed since: track, direction, stop.
                r.sender = now.sender.clone();
                r.direction = now.direction;
                r.stopping |= now.stopping && !now.created_by_remote;
            }
        }
        self.transceivers = restored;
        self.data_mid = snapshot.data_mid;
        self.pending_remote = None;
        self.pending_ice_restart = false;
        self.set_signaling_state(SignalingState::Stable);
        self.enter_stable_after_rollback();
        Ok(())
    }

    /// `addIceCandidate(candidate)`; `None` (or an empty candidate) signals the
    /// end of candidates.
    pub fn add_ice_candidate(
        &mut self,
        candidate: Option<IceCandidateInit>,
    ) -> Result<Option<(usize, rtcpeer_sdp::Candidate)>> {
        self.check_open()?;
        let c = candidate.unwrap_or_default();
        if !c.candidate.is_empty() && c.sdp_mid.is_none() && c.sdp_m_line_index.is_none() {
            return Err(Error::type_error("candidate needs sdpMid or sdpMLineIndex"));
        }
        let remote = self
            .remote_applied()
            .ok_or_else(|| Error::invalid_state("addIceCandidate before setRemoteDescription"))?;
        let index = match (&c.sdp_mid, c.sdp_m_line_index) {
            (Some(mid), _) => Some(
                remote
                    .summary
                    .media
                    .iter()
                    .position(|m| m.mid.as_deref() == Some(mid.as_str()))
                    .ok_or_else(|| Error::operation(format!("no m-section with mid {mid:?}")))?,
            ),
            (None, Some(i)) => {
                if usize::from(i) >= remote.summary.media.len() {
                    return Err(Error::operation(format!("no m-section at index {i}")));
                }
                Some(usize::from(i))
            }
            (None, None) => None,
        };
        if let Some(uf) = &c.username_fragment {
            let ok = match index {
                Some(i) => remote.summary.media[i].ice_ufrag.as_deref() == Some(uf.as_str()),
                None => remote
                    .summary
                    .media
                    .iter()
                    .any(|m| m.ice_ufrag.as_deref() == Some(uf.as_str())),
            };
            if !ok {
                return Err(Error::operation(format!(
                    "usernameFragment {uf:?} matches no m-section"
                )));
            }
        }
        if c.candidate.is_empty() {
            self.remote_end_of_candidates = true;
            return Ok(None);
        }
        let index = index.expect("checked: a non-empty candidate has a mid or index");
        let parsed: rtcpeer_sdp::Candidate = c
            .candidate
            .parse()
            .map_err(|e| Error::operation(format!("bad candidate {:?}: {e}", c.candidate)))?;
        let line = parsed.to_string();
        if !self
            .remote_candidates
            .iter()
            .any(|(i, l)| *i == index && *l == line)
        {
            // A flood of candidates is refused, not stored: the ICE agent
            // would not pair more than this anyway.
            let max = self.transport.ice_config().max_remote_candidates;
            if self.remote_candidates.len() >= max {
                return Err(Error::operation(format!(
                    "too many remote ICE candidates (at most {max})"
                )));
            }
            self.remote_candidates.push((index, line));
            self.remote_candidates_dirty = true;
        }
        Ok(Some((index, parsed)))
    }
}
