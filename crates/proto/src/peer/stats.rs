//! `getStats()`: builds the [`StatsReport`] from what each layer counts.
//!
//! Ids follow one scheme so that they link: `P` (peer-connection), `T01`
//! (the one bundled transport), `I<L|R><hash>` (candidates), `CP<local>_<remote>`
//! (pairs), `CF<fingerprint>` (certificates), `D<n>` (data channels),
//! `COT01_<pt>` (codecs), `IT01<A|V><ssrc>` / `OT01<A|V><ssrc>` (inbound and
//! outbound RTP), `RIT01…` / `ROT01…` (their remote counterparts) and
//! `S<A|V><n>` (media sources), close to Chromium's own ids.

use std::time::Instant;

use rtcpeer_ice::{Candidate, PairState};

use super::PeerConnection;
use crate::certificate::{Fingerprint, FingerprintAlgorithm};
use crate::dcep::ReadyState;
use crate::description::MediaKind;
use crate::stats::{
    CandidatePairStats, CertificateStats, CodecStats, DataChannelStats, IceCandidateStats,
    InboundRtpStats, MediaSourceStats, OutboundRtpStats, PeerConnectionStats,
    RemoteInboundRtpStats, RemoteOutboundRtpStats, Stats, StatsKind, StatsReport, TransportStats,
    TRANSPORT_ID,
};
use crate::transceiver::{Transceiver, TransceiverId};

impl PeerConnection {
    /// W3C `getStats()` for the whole connection. `now` is the caller's clock
    /// (the same one given to the transport) and `timestamp_ms` the wall
    /// clock at `now` in milliseconds since the Unix epoch.
    pub fn get_stats(&self, now: Instant, timestamp_ms: f64) -> StatsReport {
        let mut report = StatsReport::new();
        let at = |kind: StatsKind, id: String| Stats {
            id,
            timestamp: timestamp_ms,
            kind,
        };
        let wall = |t: Instant| timestamp_ms - now.saturating_duration_since(t).as_secs_f64() * 1e3;

        // peer-connection
        let reg = self.transport.channels().stats();
        report.insert(at(
            StatsKind::PeerConnection(PeerConnectionStats {
                data_channels_opened: reg.channels_opened as u32,
                data_channels_closed: reg.channels_closed as u32,
            }),
            "P".into(),
        ));

        // certificates
        let local_cert_id = certificate_stats(&mut report, self.certificate.der(), timestamp_ms);
        let dtls = self.transport.dtls();
        let remote_cert_id = dtls
            .remote_certificate()
            .map(|der| certificate_stats(&mut report, der, timestamp_ms));

        // candidates and pairs
        let mut transport = TransportStats {
            ice_role: "unknown".into(),
            ..Default::default()
        };
        if let Some(ice) = self.transport.ice() {
            transport.ice_role = if ice.is_controlling() {
                "controlling"
            } else {
                "controlled"
            }
            .into();
            transport.ice_local_username_fragment = Some(ice.local_credentials().0.to_string());
            let (local_ufrag, remote_ufrag) = (
                ice.local_credentials().0.to_string(),
                ice.remote_credentials().map(|(u, _)| u.to_string()),
            );
            for c in ice.local_candidates() {
                let id = candidate_id('L', &c);
                let mut stats = candidate_stats(&c, Some(local_ufrag.clone()));
                (stats.url, stats.relay_protocol) = self.transport.candidate_origin(&c);
                report.insert(at(StatsKind::LocalCandidate(stats), id));
            }
            for c in ice.remote_candidates() {
                let id = candidate_id('R', &c);
                report.insert(at(
                    StatsKind::RemoteCandidate(candidate_stats(&c, remote_ufrag.clone())),
                    id,
                ));
            }
            for p in ice.pair_stats() {
                let local_id = candidate_id('L', &p.local);
                let remote_id = candidate_id('R', &p.remote);
                // Peer-reflexive locals and late remotes may only be known
                // through the pair: make sure both ends exist.
                if report.get(&local_id).is_none() {
                    report.insert(at(
                        StatsKind::LocalCandidate(candidate_stats(
                            &p.local,
                            Some(local_ufrag.clone()),
                        )),
                        local_id.clone(),
                    ));
                }
                if report.get(&remote_id).is_none() {
                    report.insert(at(
                        StatsKind::RemoteCandidate(candidate_stats(
                            &p.remote,
                            remote_ufrag.clone(),
                        )),
                        remote_id.clone(),
                    ));
                }
                let id = format!("CP{}_{}", &local_id[1..], &remote_id[1..]);
                transport.packets_sent += p.packets_sent;
                transport.packets_received += p.packets_received;
                transport.bytes_sent += p.bytes_sent;
                transport.bytes_received += p.bytes_received;
                if p.selected {
                    transport.selected_candidate_pair_id = Some(id.clone());
                }
                report.insert(at(
                    StatsKind::CandidatePair(CandidatePairStats {
                        transport_id: TRANSPORT_ID.into(),
                        local_candidate_id: local_id,
                        remote_candidate_id: remote_id,
                        state: pair_state_name(p.state).into(),
                        nominated: p.nominated,
                        packets_sent: p.packets_sent,
                        packets_received: p.packets_received,
                        bytes_sent: p.bytes_sent,
                        bytes_received: p.bytes_received,
                        last_packet_sent_timestamp: p.last_packet_sent.map(wall),
                        last_packet_received_timestamp: p.last_packet_received.map(wall),
                        total_round_trip_time: p.total_round_trip_time.as_secs_f64(),
                        current_round_trip_time: p.current_round_trip_time.map(|d| d.as_secs_f64()),
                        requests_received: p.requests_received,
                        requests_sent: p.requests_sent,
                        responses_received: p.responses_received,
                        responses_sent: p.responses_sent,
                        consent_requests_sent: p.consent_requests_sent,
                        priority: p.priority,
                    }),
                    id,
                ));
            }
        }

        // transport
        let d = dtls.stats();
        transport.dtls_state = d.dtls_state.into();
        transport.dtls_role = d.dtls_role.into();
        transport.tls_version = d.tls_version.map(Into::into);
        transport.dtls_cipher = d.dtls_cipher.map(Into::into);
        transport.srtp_cipher = d.srtp_cipher.map(Into::into);
        transport.ice_state = self.transport.ice_connection_state().as_str().into();
        transport.local_certificate_id = Some(local_cert_id);
        transport.remote_certificate_id = remote_cert_id;
        transport.selected_candidate_pair_changes = self.transport.selected_pair_changes() as u32;
        report.insert(at(StatsKind::Transport(transport), TRANSPORT_ID.into()));

        self.rtp_stats(&mut report, now, timestamp_ms);

        // data channels
        for (id, info) in self.transport.channels().channels() {
            report.insert(at(
                StatsKind::DataChannel(DataChannelStats {
                    label: info.label.clone(),
                    protocol: info.protocol.clone(),
                    data_channel_identifier: info.stream_id,
                    state: ready_state_name(info.ready_state).into(),
                    messages_sent: info.messages_sent,
                    bytes_sent: info.bytes_sent,
                    messages_received: info.messages_received,
                    bytes_received: info.bytes_received,
                }),
                format!("D{}", id.0),
            ));
        }
        report
    }
}

impl PeerConnection {
    /// `RTCRtpSender.getStats()`: the sender's `outbound-rtp` objects and
    /// everything they refer to (empty before it sends).
    pub fn get_sender_stats(&self, id: TransceiverId, now: Instant, wall_ms: f64) -> StatsReport {
        let ssrcs: Vec<u32> = self
            .transceiver(id)
            .map(|t| t.sender.encodings.iter().map(|e| e.ssrc).collect())
            .unwrap_or_default();
        self.get_stats(now, wall_ms)
            .select(|s| matches!(&s.kind, StatsKind::OutboundRtp(o) if ssrcs.contains(&o.ssrc)))
    }

    /// `RTCRtpReceiver.getStats()`: the receiver's `inbound-rtp` objects and
    /// everything they refer to (empty before media arrived).
    pub fn get_receiver_stats(&self, id: TransceiverId, now: Instant, wall_ms: f64) -> StatsReport {
        let track = self.transceiver(id).map(|t| t.receiver.track.id.clone());
        self.get_stats(now, wall_ms).select(|s| {
            matches!(&s.kind, StatsKind::InboundRtp(i) if i.track_identifier.is_some() && i.track_identifier == track)
        })
    }
}

impl PeerConnection {
    /// codec, inbound-rtp, outbound-rtp, remote-inbound-rtp,
    /// remote-outbound-rtp and media-source objects of the media streams.
    fn rtp_stats(&self, report: &mut StatsReport, now: Instant, timestamp_ms: f64) {
        let wall = |t: Instant| timestamp_ms - now.saturating_duration_since(t).as_secs_f64() * 1e3;
        let put = |report: &mut StatsReport, id: String, kind: StatsKind| {
            report.insert(Stats {
                id,
                timestamp: timestamp_ms,
                kind,
            })
        };
        let counted = |v: u64, t: &Transceiver| (t.kind == MediaKind::Video).then_some(v as u32);
        for info in self.media.sender_infos() {
            let Some(t) = self.transceiver(info.transceiver) else {
                continue;
            };
            let k = kind_letter(t);
            let id = format!("O{TRANSPORT_ID}{k}{}", info.ssrc);
            let codec_id = codec_stats(report, t, info.payload_type, timestamp_ms);
            let source_id = t.sender.track.as_ref().map(|track| {
                let sid = format!("S{k}{}", t.id.0);
                put(
                    report,
                    sid.clone(),
                    StatsKind::MediaSource(MediaSourceStats {
                        track_identifier: track.id.clone(),
                        kind: t.kind.as_str().into(),
                        frames: counted(info.stats.frames_sent, t),
                        ..Default::default()
                    }),
                );
                sid
            });
            let remote_id = info.remote.as_ref().map(|r| {
                let rid = format!("RI{TRANSPORT_ID}{k}{}", info.ssrc);
                put(
                    report,
                    rid.clone(),
                    StatsKind::RemoteInboundRtp(RemoteInboundRtpStats {
                        ssrc: info.ssrc,
                        kind: t.kind.as_str().into(),
                        transport_id: TRANSPORT_ID.into(),
                        codec_id: codec_id.clone(),
                        local_id: id.clone(),
                        packets_lost: r.packets_lost,
                        jitter: r.jitter,
                        fraction_lost: r.fraction_lost,
                        round_trip_time: r.round_trip_time.map(|d| d.as_secs_f64()),
                        total_round_trip_time: r.total_round_trip_time.as_secs_f64(),
                        round_trip_time_measurements: r.round_trip_time_measurements,
                    }),
                );
                rid
            });
            let encoding = t.sender.encodings.first();
            let rtx = t.negotiated_codecs.iter().any(|c| c.is_rtx());
            let s = &info.stats;
            put(
                report,
                id,
                StatsKind::OutboundRtp(OutboundRtpStats {
                    ssrc: info.ssrc,
                    kind: t.kind.as_str().into(),
                    transport_id: TRANSPORT_ID.into(),
                    codec_id,
                    mid: t.mid.clone(),
                    media_source_id: source_id,
                    remote_id,
                    rid: encoding.and_then(|e| e.rid.clone()),
                    packets_sent: s.packets_sent,
                    bytes_sent: s.bytes_sent,
                    header_bytes_sent: s.header_bytes_sent,
                    retransmitted_packets_sent: s.retransmitted_packets_sent,
                    retransmitted_bytes_sent: s.retransmitted_bytes_sent,
                    rtx_ssrc: encoding.and_then(|e| e.rtx_ssrc).filter(|_| rtx),
                    nack_count: s.nack_count as u32,
                    pli_count: counted(s.pli_count, t),
                    fir_count: counted(s.fir_count, t),
                    frames_sent: counted(s.frames_sent, t),
                    frames_encoded: None,
                    key_frames_encoded: None,
                    active: encoding.is_none_or(|e| e.active),
                }),
            );
        }
        for info in self.media.receiver_infos() {
            let Some(t) = self.transceiver(info.transceiver) else {
                continue;
            };
            let k = kind_letter(t);
            let id = format!("I{TRANSPORT_ID}{k}{}", info.ssrc);
            let codec_id = codec_stats(report, t, info.payload_type, timestamp_ms);
            let remote_id = info.remote.as_ref().map(|r| {
                let rid = format!("RO{TRANSPORT_ID}{k}{}", info.ssrc);
                put(
                    report,
                    rid.clone(),
                    StatsKind::RemoteOutboundRtp(RemoteOutboundRtpStats {
                        ssrc: info.ssrc,
                        kind: t.kind.as_str().into(),
                        transport_id: TRANSPORT_ID.into(),
                        codec_id: codec_id.clone(),
                        local_id: id.clone(),
                        packets_sent: r.packets_sent,
                        bytes_sent: r.bytes_sent,
                        remote_timestamp: Some(r.remote_timestamp_ms),
                        reports_sent: r.reports,
                    }),
                );
                rid
            });
            let s = &info.stats;
            put(
                report,
                id,
                StatsKind::InboundRtp(InboundRtpStats {
                    ssrc: info.ssrc,
                    kind: t.kind.as_str().into(),
                    transport_id: TRANSPORT_ID.into(),
                    codec_id,
                    mid: t.mid.clone(),
                    track_identifier: Some(t.receiver.track.id.clone()),
                    remote_id,
                    packets_received: s.packets_received,
                    packets_lost: s.packets_lost,
                    jitter: s.jitter,
                    bytes_received: s.bytes_received,
                    header_bytes_received: s.header_bytes_received,
                    last_packet_received_timestamp: s.last_packet_received.map(wall),
                    nack_count: s.nack_count as u32,
                    pli_count: counted(s.pli_count, t),
                    fir_count: counted(s.fir_count, t),
                    frames_received: counted(s.frames_received, t),
                    rtx_ssrc: info.rtx_ssrc,
                    retransmitted_packets_received: Some(s.retransmitted_packets_received),
                    retransmitted_bytes_received: Some(s.retransmitted_bytes_received),
                    ..Default::default()
                }),
            );
        }
    }
}

/// `A` or `V`, as in browsers' ids.
fn kind_letter(t: &Transceiver) -> char {
    match t.kind {
        MediaKind::Audio => 'A',
        MediaKind::Video => 'V',
    }
}

/// The `codec` object of a negotiated payload type (made once); its id.
fn codec_stats(
    report: &mut StatsReport,
    t: &Transceiver,
    payload_type: u8,
    timestamp_ms: f64,
) -> Option<String> {
    let c = t
        .negotiated_codecs
        .iter()
        .find(|c| c.payload_type == payload_type)?;
    let id = format!("CO{TRANSPORT_ID}_{payload_type}");
    if report.get(&id).is_none() {
        report.insert(Stats {
            id: id.clone(),
            timestamp: timestamp_ms,
            kind: StatsKind::Codec(CodecStats {
                payload_type,
                transport_id: TRANSPORT_ID.into(),
                mime_type: c.mime_type.clone(),
                clock_rate: Some(c.clock_rate),
                channels: c.channels,
                sdp_fmtp_line: (!c.sdp_fmtp_line.is_empty()).then(|| c.sdp_fmtp_line.clone()),
            }),
        });
    }
    Some(id)
}

fn certificate_stats(report: &mut StatsReport, der: &[u8], timestamp_ms: f64) -> String {
    let fp = Fingerprint::of(FingerprintAlgorithm::Sha256, der);
    let id = format!("CF{}", fp.value);
    report.insert(Stats {
        id: id.clone(),
        timestamp: timestamp_ms,
        kind: StatsKind::Certificate(CertificateStats {
            fingerprint: fp.value,
            fingerprint_algorithm: "sha-256".into(),
            base64_certificate: crate::base64::encode(der),
            issuer_certificate_id: None,
        }),
    });
    id
}

/// A stable id for a candidate: L(ocal)/R(emote) and a hash of what makes it
/// unique (address, protocol, type).
fn candidate_id(side: char, c: &Candidate) -> String {
    let key = format!("{}|{}|{}", c.address, c.protocol, c.kind.as_str());
    // FNV-1a, 64 bits: stable across runs, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("I{side}{h:016x}")
}

fn candidate_stats(c: &Candidate, ufrag: Option<String>) -> IceCandidateStats {
    IceCandidateStats {
        transport_id: TRANSPORT_ID.into(),
        address: Some(
            c.hostname
                .clone()
                .unwrap_or_else(|| c.address.ip().to_string()),
        ),
        port: c.address.port(),
        protocol: c.protocol.to_string(),
        candidate_type: c.kind.as_str().into(),
        priority: c.priority,
        foundation: c.foundation.clone(),
        url: None,
        relay_protocol: None,
        related_address: c.related.map(|a| a.ip().to_string()),
        related_port: c.related.map(|a| a.port()),
        username_fragment: c.ufrag.clone().or(ufrag),
        tcp_type: c.tcp_type.map(|t| t.to_string()),
    }
}

fn pair_state_name(s: PairState) -> &'static str {
    match s {
        PairState::Frozen => "frozen",
        PairState::Waiting => "waiting",
        PairState::InProgress => "in-progress",
        PairState::Succeeded => "succeeded",
        PairState::Failed => "failed",
    }
}

fn ready_state_name(s: ReadyState) -> &'static str {
    s.as_str()
}
