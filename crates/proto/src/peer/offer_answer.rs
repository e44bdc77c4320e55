//! createOffer and createAnswer (RFC 9429 §5.2, §5.3).

use super::*;

impl PeerConnection {
    /// `createOffer(options)`.
    pub fn create_offer(&mut self, opts: &OfferOptions) -> Result<SessionDescription> {
        self.check_open()?;
        if !matches!(
            self.signaling_state,
            SignalingState::Stable | SignalingState::HaveLocalOffer
        ) {
            return Err(Error::invalid_state(format!(
                "createOffer in signaling state {}",
                self.signaling_state
            )));
        }
        self.apply_offer_to_receive(MediaKind::Audio, opts.offer_to_receive_audio);
        self.apply_offer_to_receive(MediaKind::Video, opts.offer_to_receive_video);
        let vad = opts.voice_activity_detection.unwrap_or(true);

        let restart =
            (opts.ice_restart || self.pending_ice_restart) && self.local_applied().is_some();
        let ice = self.ice_credentials_for(restart);

        // The m-lines of the description in effect, kept in order (§5.2.2).
        let mut layout: Vec<Slot> = Vec::new();
        let mut mids: Vec<String> = Vec::new();
        let mut kinds: Vec<SectionKind> = Vec::new();
        let mut protos: Vec<String> = Vec::new();
        let mut recyclable: Vec<bool> = Vec::new();
        if let Some(local) = self.local_applied() {
            for (i, slot) in local.layout.iter().enumerate() {
                let m = &local.summary.media[i];
                let mid = m.mid.clone().unwrap_or_default();
                let (slot, recycle) = match slot {
                    Slot::Transceiver(id) => match self.transceiver(*id) {
                        Some(t) if !t.stopped => (Slot::Transceiver(*id), false),
                        _ => (Slot::Rejected, true),
                    },
                    Slot::Data => (Slot::Data, false),
                    Slot::Rejected => (Slot::Rejected, self.remote_rejected_too(i)),
                };
                layout.push(slot);
                mids.push(mid);
                kinds.push(m.kind.clone());
                protos.push(m.proto.clone());
                recyclable.push(recycle);
            }
        }
        let mut used_mids: Vec<String> = mids.clone();
        used_mids.extend(self.transceivers.iter().filter_map(|t| t.mid.clone()));
        let mut next_mid = 0u32;
        let mut fresh_mid = |used: &mut Vec<String>| loop {
            let m = next_mid.to_string();
            next_mid += 1;
            if !used.contains(&m) {
                used.push(m.clone());
                return m;
            }
        };
        let new_ones: Vec<(TransceiverId, MediaKind)> = self
            .transceivers
            .iter()
            .filter(|t| t.mline.is_none() && !t.stopped && !t.stopping)
            .map(|t| (t.id, t.kind))
            .collect();
        for (id, kind) in new_ones {
            let mid = fresh_mid(&mut used_mids);
            if let Some(i) = recyclable.iter().position(|r| *r) {
                recyclable[i] = false;
                layout[i] = Slot::Transceiver(id);
                mids[i] = mid;
                kinds[i] = SectionKind::Media(kind);
                protos[i] = "UDP/TLS/RTP/SAVPF".into();
            } else {
                layout.push(Slot::Transceiver(id));
                mids.push(mid);
                kinds.push(SectionKind::Media(kind));
                protos.push("UDP/TLS/RTP/SAVPF".into());
                recyclable.push(false);
            }
        }
        if self.data_wanted && !layout.contains(&Slot::Data) {
            layout.push(Slot::Data);
            mids.push(fresh_mid(&mut used_mids));
            kinds.push(SectionKind::Application);
            protos.push("UDP/DTLS/SCTP".into());
        }

        let initial = self.current_local.is_none() && self.current_remote.is_none();
        let mut plans = Vec::with_capacity(layout.len());
        let mut first_live = true;
        for (i, slot) in layout.iter().enumerate() {
            let mut plan = match slot {
                Slot::Transceiver(id) => {
                    let t = self
                        .transceiver(*id)
                        .expect("layout names live transceivers");
                    if t.stopping || t.stopped {
                        SectionPlan::rejected(
                            kinds[i].clone(),
                            mids[i].clone(),
                            protos[i].clone(),
                            Vec::new(),
                        )
                    } else {
                        self.media_plan(t, mids[i].clone(), vad, None)
                    }
                }
                Slot::Data => data_plan(mids[i].clone(), "UDP/DTLS/SCTP".into()),
                Slot::Rejected => SectionPlan::rejected(
                    kinds[i].clone(),
                    mids[i].clone(),
                    protos[i].clone(),
                    Vec::new(),
                ),
            };
            if !plan.rejected {
                if !first_live && initial && self.config.bundle_policy == BundlePolicy::MaxBundle {
                    plan.bundle_only = true;
                }
                first_live = false;
            }
            plans.push(plan);
        }
        let bundle: Vec<String> = plans
            .iter()
            .filter(|p| !p.rejected)
            .map(|p| p.mid.clone())
            .collect();
        self.session_version += 1;
        let sdp = writer::write(
            &SessionParams {
                session_id: self.session_id,
                session_version: self.session_version,
                bundle: Some(bundle),
                identity: self.identity_attribute()?,
            },
            &TransportParams {
                ufrag: ice.0.clone(),
                pwd: ice.1.clone(),
                fingerprint: self.fingerprint.clone(),
                setup: Setup::Actpass,
                candidates: if restart {
                    Vec::new()
                } else {
                    self.local_candidates.clone()
                },
                end_of_candidates: !restart && self.gathering_complete,
                ice_lite: false,
            },
            &plans,
        );
        self.last_offer = Some(Created {
            sdp: sdp.clone(),
            layout,
            mids,
            ice,
        });
        Ok(SessionDescription::offer(sdp))
    }

    fn remote_rejected_too(&self, index: usize) -> bool {
        match self.remote_applied() {
            Some(r) => r.summary.media.get(index).is_none_or(|m| m.is_rejected()),
            None => true,
        }
    }

    /// The legacy offerToReceiveAudio/Video behaviour (webrtc-pc §11.5 legacy).
    fn apply_offer_to_receive(&mut self, kind: MediaKind, want: Option<bool>) {
        match want {
            Some(true) => {
                let receiving = self
                    .transceivers
                    .iter()
                    .any(|t| t.kind == kind && !t.stopped && !t.stopping && t.direction.recvs());
                if !receiving {
                    let id = self.new_transceiver(
                        kind,
                        None,
                        Direction::RecvOnly,
                        Vec::new(),
                        vec![Encoding::new()],
                    );
                    let _ = id;
                }
            }
            Some(false) => {
                for t in self
                    .transceivers
                    .iter_mut()
                    .filter(|t| t.kind == kind && !t.stopped)
                {
                    t.direction = match t.direction {
                        Direction::SendRecv => Direction::SendOnly,
                        Direction::RecvOnly => Direction::Inactive,
                        d => d,
                    };
                }
            }
            None => {}
        }
    }

    /// The plan of a live media section. With `remote`, codecs and extensions
    /// are those of the offer we answer, as far as we support them.
    pub(super) fn media_plan(
        &self,
        t: &Transceiver,
        mid: String,
        vad: bool,
        remote: Option<&summary::MediaSummary>,
    ) -> SectionPlan {
        let local_codecs: Vec<Codec> = if t.codec_preferences.is_empty() {
            codecs::default_codecs(t.kind, vad)
        } else {
            t.codec_preferences.clone()
        };
        let (codecs, extensions, direction, proto) = match remote {
            None => {
                let c = if t.negotiated_codecs.is_empty() {
                    local_codecs
                } else {
                    t.negotiated_codecs.clone()
                };
                let e = if t.negotiated_extensions.is_empty() {
                    codecs::default_header_extensions(t.kind)
                } else {
                    t.negotiated_extensions.clone()
                };
                (c, e, t.direction, "UDP/TLS/RTP/SAVPF".to_string())
            }
            Some(r) => {
                let c = answer_codecs(&local_codecs, &r.codecs, vad);
                let ours = codecs::default_header_extensions(t.kind);
                let e = r
                    .extensions
                    .iter()
                    .filter(|x| ours.iter().any(|o| o.uri == x.uri))
                    .cloned()
                    .collect();
                let d = Direction::from_parts(
                    t.direction.sends() && r.direction.recvs(),
                    t.direction.recvs() && r.direction.sends(),
                );
                (c, e, d, r.proto.clone())
            }
        };
        let sending = direction.sends();
        let track_id = t
            .sender
            .track
            .as_ref()
            .map(|tr| tr.id.clone())
            .unwrap_or_else(|| format!("{}-sender-{}", self.cname, t.id.0));
        let simulcast = t.sender.encodings.len() > 1 && remote.is_none();
        let remote_rids: Vec<String> = remote.map(|r| r.rids.clone()).unwrap_or_default();
        SectionPlan {
            kind: SectionKind::Media(t.kind),
            mid,
            proto,
            rejected: false,
            bundle_only: false,
            direction,
            codecs,
            extensions,
            msid: sending.then(|| (t.sender.streams.clone(), track_id)),
            ssrcs: if sending {
                t.sender
                    .encodings
                    .iter()
                    .take(1)
                    .map(|e| {
                        (
                            e.ssrc,
                            if t.kind == MediaKind::Video {
                                e.rtx_ssrc
                            } else {
                                None
                            },
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            },
            cname: t.sender.cname.clone(),
            rids: if simulcast {
                t.sender
                    .encodings
                    .iter()
                    .filter_map(|e| e.rid.clone())
                    .collect()
            } else if direction.recvs() {
                remote_rids
            } else {
                Vec::new()
            },
            rids_send: remote.is_none(),
            sctp: None,
            raw_formats: Vec::new(),
        }
    }

    /// `createAnswer(options)`.
    pub fn create_answer(&mut self, opts: &AnswerOptions) -> Result<SessionDescription> {
        self.check_open()?;
        if !matches!(
            self.signaling_state,
            SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer
        ) {
            return Err(Error::invalid_state(format!(
                "createAnswer in signaling state {}",
                self.signaling_state
            )));
        }
        let vad = opts.voice_activity_detection.unwrap_or(true);
        let remote = self
            .pending_remote
            .as_ref()
            .expect("have-remote-offer has a pending remote description")
            .clone();
        let mut plans = Vec::with_capacity(remote.layout.len());
        let mut mids = Vec::with_capacity(remote.layout.len());
        for (i, slot) in remote.layout.iter().enumerate() {
            let m = &remote.summary.media[i];
            let mid = m.mid.clone().unwrap_or_else(|| i.to_string());
            mids.push(mid.clone());
            let rejected = || {
                SectionPlan::rejected(
                    m.kind.clone(),
                    mid.clone(),
                    m.proto.clone(),
                    vec!["0".into()],
                )
            };
            let plan = match slot {
                Slot::Rejected => rejected(),
                Slot::Data => data_plan(mid.clone(), m.proto.clone()),
                Slot::Transceiver(id) => {
                    let t = self
                        .transceiver(*id)
                        .expect("layout names live transceivers");
                    if t.stopped || t.stopping {
                        rejected()
                    } else {
                        let p = self.media_plan(t, mid.clone(), vad, Some(m));
                        if p.codecs.iter().all(|c| c.is_rtx() || is_aux(c)) {
                            rejected()
                        } else {
                            p
                        }
                    }
                }
            };
            plans.push(plan);
        }
        // Accept the offerer's BUNDLE group for the sections we accept.
        let bundle = remote.summary.bundle_groups.first().map(|g| {
            g.iter()
                .filter(|mid| plans.iter().any(|p| &p.mid == *mid && !p.rejected))
                .cloned()
                .collect::<Vec<_>>()
        });
        let remote_setup = remote.summary.media.iter().find_map(|m| m.setup);
        let setup = match (self.dtls_role, remote_setup) {
            (Some(DtlsRole::Client), _) => Setup::Active,
            (Some(DtlsRole::Server), _) => Setup::Passive,
            (None, Some(Setup::Active)) => Setup::Passive,
            _ => Setup::Active,
        };
        let restart = self.pending_ice_restart;
        let ice = self.ice_credentials_for(restart);
        self.session_version += 1;
        let sdp = writer::write(
            &SessionParams {
                session_id: self.session_id,
                session_version: self.session_version,
                bundle,
                identity: self.identity_attribute()?,
            },
            &TransportParams {
                ufrag: ice.0.clone(),
                pwd: ice.1.clone(),
                fingerprint: self.fingerprint.clone(),
                setup,
                candidates: if restart {
                    Vec::new()
                } else {
                    self.local_candidates.clone()
                },
                end_of_candidates: !restart && self.gathering_complete,
                ice_lite: false,
            },
            &plans,
        );
        self.last_answer = Some(Created {
            sdp: sdp.clone(),
            layout: remote.layout.clone(),
            mids,
            ice,
        });
        Ok(SessionDescription::answer(sdp))
    }
}

/// Codecs that cannot carry media alone.
fn is_aux(c: &Codec) -> bool {
    let n = c.encoding_name();
    n.eq_ignore_ascii_case("CN")
        || n.eq_ignore_ascii_case("telephone-event")
        || n.eq_ignore_ascii_case("red")
        || n.eq_ignore_ascii_case("ulpfec")
        || n.eq_ignore_ascii_case("flexfec-03")
}

/// The codecs of an answer: the offer's formats we support, in the offer's
/// order and with its payload types; RTX only for accepted primaries.
fn answer_codecs(local: &[Codec], remote: &[Codec], vad: bool) -> Vec<Codec> {
    let mut out: Vec<Codec> = Vec::new();
    for r in remote.iter().filter(|r| !r.is_rtx()) {
        if !vad && r.encoding_name().eq_ignore_ascii_case("CN") {
            continue;
        }
        if let Some(l) = local.iter().find(|l| !l.is_rtx() && l.matches(r)) {
            let mut c = r.clone();
            c.rtcp_feedback = r
                .rtcp_feedback
                .iter()
                .filter(|(k, p)| {
                    codecs::supported_feedback(k, p.as_deref())
                        && l.rtcp_feedback.iter().any(|(lk, lp)| lk == k && lp == p)
                })
                .cloned()
                .collect();
            out.push(c);
        }
    }
    for r in remote.iter().filter(|r| r.is_rtx()) {
        if let Some(apt) = r.rtx_apt() {
            if out.iter().any(|c| c.payload_type == apt && !c.is_rtx()) {
                let mut c = r.clone();
                c.rtcp_feedback.clear();
                out.push(c);
            }
        }
    }
    // Keep the m= line order of the offer.
    out.sort_by_key(|c| remote.iter().position(|r| r.payload_type == c.payload_type));
    out
}

impl PeerConnection {
    /// The ICE credentials a new description carries: fresh ones for a restart.
    fn ice_credentials_for(&self, restart: bool) -> (String, String) {
        if restart {
            (
                random_string(4, &ICE_CHARS[..62]),
                random_string(24, ICE_CHARS),
            )
        } else {
            (self.ice_ufrag.clone(), self.ice_pwd.clone())
        }
    }
}

fn data_plan(mid: String, proto: String) -> SectionPlan {
    let mut p = SectionPlan::rejected(SectionKind::Application, mid, proto, Vec::new());
    p.rejected = false;
    p.direction = Direction::SendRecv;
    p.sctp = Some((SCTP_PORT, MAX_MESSAGE_SIZE));
    p
}

impl PeerConnection {
    pub(super) fn new_transceiver(
        &mut self,
        kind: MediaKind,
        track: Option<Track>,
        direction: Direction,
        streams: Vec<String>,
        mut encodings: Vec<Encoding>,
    ) -> TransceiverId {
        let id = TransceiverId(self.next_transceiver_id);
        self.next_transceiver_id += 1;
        if encodings.is_empty() {
            encodings.push(Encoding::new());
        }
        for e in encodings.iter_mut() {
            e.ssrc = (random_u64() as u32).max(1);
            if kind == MediaKind::Video {
                e.rtx_ssrc = Some((random_u64() as u32).max(1));
            }
        }
        let receiver_track = Track {
            id: format!("{}-receiver-{}", self.cname, id.0),
            kind,
        };
        self.transceivers.push(Transceiver {
            id,
            kind,
            mid: None,
            direction,
            current_direction: None,
            stopping: false,
            stopped: false,
            sender: Sender {
                track,
                streams,
                encodings,
                cname: self.cname.clone(),
                last_transaction_id: None,
            },
            receiver: Receiver {
                track: receiver_track,
                streams: Vec::new(),
                remote_track_id: None,
            },
            codec_preferences: Vec::new(),
            negotiated_codecs: Vec::new(),
            negotiated_extensions: Vec::<HeaderExtension>::new(),
            created_by_remote: false,
            added_by_add_track: false,
            fired_direction: None,
            mline: None,
        });
        id
    }
}
