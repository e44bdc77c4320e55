//! `getStats()`: builds the [`StatsReport`] from what each layer counts.
//!
//! Ids follow one scheme so that they link: `P` (peer-connection), `T01`
//! (the one bundled transport), `I<L|R><hash>` (candidates), `CP<local>_<remote>`
//! (pairs), `CF<fingerprint>` (certificates), `D<n>` (data channels).

use std::time::Instant;

use rtcpeer_ice::{Candidate, PairState};

use super::PeerConnection;
use crate::certificate::{Fingerprint, FingerprintAlgorithm};
use crate::dcep::ReadyState;
use crate::stats::{
    CandidatePairStats, CertificateStats, DataChannelStats, IceCandidateStats, PeerConnectionStats,
    Stats, StatsKind, StatsReport, TransportStats, TRANSPORT_ID,
};

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
                report.insert(at(
                    StatsKind::LocalCandidate(candidate_stats(&c, Some(local_ufrag.clone()))),
                    id,
                ));
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
