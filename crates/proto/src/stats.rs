//! `RTCStatsReport`: the W3C webrtc-stats dictionaries, with the field names
//! browsers use, so a report serializes to the same JSON a page gets from
//! `Object.fromEntries(await pc.getStats())`.
//!
//! A report is a map from stats id to [`Stats`]; ids link objects to each
//! other the way browsers link them (`transportId`, `localCandidateId`,
//! `codecId`, ...). Build one with `PeerConnection::get_stats`.
//!
//! Every counter that the spec marks optional and that we cannot measure is
//! `None` and left out of the JSON, as browsers leave it out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The id of the (bundled) transport's `transport` stats.
pub const TRANSPORT_ID: &str = "T01";

/// One stats object: `id`, `timestamp` and the typed members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Unique in its report; other objects refer to it by this id.
    pub id: String,
    /// When it was measured, in milliseconds since the Unix epoch
    /// (`DOMHighResTimeStamp` relative to the time origin 0).
    pub timestamp: f64,
    /// The `type` and its members.
    #[serde(flatten)]
    pub kind: StatsKind,
}

impl Stats {
    /// The W3C `type` string (`"candidate-pair"`, `"inbound-rtp"`, ...).
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }
}

/// The stats types of webrtc-stats §3 (`RTCStatsType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StatsKind {
    /// `peer-connection`.
    PeerConnection(PeerConnectionStats),
    /// `transport`.
    Transport(TransportStats),
    /// `candidate-pair`.
    CandidatePair(CandidatePairStats),
    /// `local-candidate`.
    LocalCandidate(IceCandidateStats),
    /// `remote-candidate`.
    RemoteCandidate(IceCandidateStats),
    /// `certificate`.
    Certificate(CertificateStats),
    /// `data-channel`.
    DataChannel(DataChannelStats),
    /// `codec`.
    Codec(CodecStats),
    /// `inbound-rtp`.
    InboundRtp(InboundRtpStats),
    /// `outbound-rtp`.
    OutboundRtp(OutboundRtpStats),
    /// `remote-inbound-rtp`.
    RemoteInboundRtp(RemoteInboundRtpStats),
    /// `remote-outbound-rtp`.
    RemoteOutboundRtp(RemoteOutboundRtpStats),
    /// `media-source`.
    MediaSource(MediaSourceStats),
    /// `media-playout`.
    MediaPlayout(MediaPlayoutStats),
}

impl StatsKind {
    /// The W3C `type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            StatsKind::PeerConnection(_) => "peer-connection",
            StatsKind::Transport(_) => "transport",
            StatsKind::CandidatePair(_) => "candidate-pair",
            StatsKind::LocalCandidate(_) => "local-candidate",
            StatsKind::RemoteCandidate(_) => "remote-candidate",
            StatsKind::Certificate(_) => "certificate",
            StatsKind::DataChannel(_) => "data-channel",
            StatsKind::Codec(_) => "codec",
            StatsKind::InboundRtp(_) => "inbound-rtp",
            StatsKind::OutboundRtp(_) => "outbound-rtp",
            StatsKind::RemoteInboundRtp(_) => "remote-inbound-rtp",
            StatsKind::RemoteOutboundRtp(_) => "remote-outbound-rtp",
            StatsKind::MediaSource(_) => "media-source",
            StatsKind::MediaPlayout(_) => "media-playout",
        }
    }
}

/// `RTCPeerConnectionStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PeerConnectionStats {
    /// Data channels that reached `open`.
    pub data_channels_opened: u32,
    /// Data channels that left `open` for `closed`.
    pub data_channels_closed: u32,
}

/// `RTCTransportStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TransportStats {
    /// Packets sent on this transport (ICE application data).
    pub packets_sent: u64,
    /// Packets received.
    pub packets_received: u64,
    /// Payload bytes sent (UDP payloads, no headers).
    pub bytes_sent: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// `"controlling"`, `"controlled"` or `"unknown"`.
    pub ice_role: String,
    /// Our current ICE ufrag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_local_username_fragment: Option<String>,
    /// `RTCDtlsTransportState`.
    pub dtls_state: String,
    /// `RTCIceTransportState`.
    pub ice_state: String,
    /// The selected candidate pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_candidate_pair_id: Option<String>,
    /// Our certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_certificate_id: Option<String>,
    /// The peer's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_certificate_id: Option<String>,
    /// `"FEFD"` (DTLS 1.2) or `"FEFC"` (DTLS 1.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// IANA name of the DTLS cipher suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtls_cipher: Option<String>,
    /// `"client"`, `"server"` or `"unknown"`.
    pub dtls_role: String,
    /// The SRTP protection profile's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srtp_cipher: Option<String>,
    /// How many times the selected pair changed.
    pub selected_candidate_pair_changes: u32,
}

/// `RTCIceCandidatePairStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CandidatePairStats {
    /// The transport it belongs to.
    pub transport_id: String,
    /// The `local-candidate`.
    pub local_candidate_id: String,
    /// The `remote-candidate`.
    pub remote_candidate_id: String,
    /// `RTCStatsIceCandidatePairState`: frozen, waiting, in-progress, failed, succeeded.
    pub state: String,
    /// Nominated (USE-CANDIDATE seen or sent).
    pub nominated: bool,
    /// Application packets sent.
    pub packets_sent: u64,
    /// Application packets received.
    pub packets_received: u64,
    /// Application bytes sent.
    pub bytes_sent: u64,
    /// Application bytes received.
    pub bytes_received: u64,
    /// When the last application packet was sent (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_packet_sent_timestamp: Option<f64>,
    /// When the last application packet was received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_packet_received_timestamp: Option<f64>,
    /// Sum of the round-trip times of all checks answered, in seconds.
    pub total_round_trip_time: f64,
    /// The latest round-trip time, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_round_trip_time: Option<f64>,
    /// Connectivity checks received.
    pub requests_received: u64,
    /// Connectivity checks sent (consent checks excluded).
    pub requests_sent: u64,
    /// Check responses received.
    pub responses_received: u64,
    /// Check responses sent.
    pub responses_sent: u64,
    /// Consent freshness checks sent.
    pub consent_requests_sent: u64,
    /// The pair's priority (Chromium and Firefox still report it).
    pub priority: u64,
}

/// `RTCIceCandidateStats` (`local-candidate` and `remote-candidate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IceCandidateStats {
    /// The transport it belongs to.
    pub transport_id: String,
    /// The IP address (or the `.local` name while unresolved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The port.
    pub port: u16,
    /// `"udp"` or `"tcp"`.
    pub protocol: String,
    /// `host`, `srflx`, `prflx` or `relay`.
    pub candidate_type: String,
    /// The priority.
    pub priority: u32,
    /// The foundation.
    pub foundation: String,
    /// The STUN or TURN server's URL it was gathered from (local only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For relay candidates: `"udp"`, `"tcp"` or `"tls"` towards the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_protocol: Option<String>,
    /// `raddr`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_address: Option<String>,
    /// `rport`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_port: Option<u16>,
    /// The ufrag it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
    /// `active`, `passive` or `so`, for TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_type: Option<String>,
}

/// `RTCCertificateStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CertificateStats {
    /// The fingerprint, colon-separated upper-case hex.
    pub fingerprint: String,
    /// `"sha-256"`.
    pub fingerprint_algorithm: String,
    /// The DER certificate, base64.
    pub base64_certificate: String,
    /// The issuer's certificate stats, for chains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_certificate_id: Option<String>,
}

/// `RTCDataChannelStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataChannelStats {
    /// `label`.
    pub label: String,
    /// `protocol`.
    pub protocol: String,
    /// The SCTP stream id (W3C `id`), once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_channel_identifier: Option<u16>,
    /// `readyState`.
    pub state: String,
    /// Messages sent.
    pub messages_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
}

/// `RTCCodecStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CodecStats {
    /// The payload type.
    pub payload_type: u8,
    /// The transport it is used on.
    pub transport_id: String,
    /// `"video/VP8"`, `"audio/opus"`, ...
    pub mime_type: String,
    /// Clock rate in Hz.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_rate: Option<u32>,
    /// Audio channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdp_fmtp_line: Option<String>,
}

/// `RTCInboundRtpStreamStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InboundRtpStats {
    /// The SSRC.
    pub ssrc: u32,
    /// `"audio"` or `"video"`.
    pub kind: String,
    /// The transport.
    pub transport_id: String,
    /// The codec, once a packet arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The transceiver's mid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    /// The receiving track's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_identifier: Option<String>,
    /// The `remote-outbound-rtp` for this SSRC, once a sender report arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// Packets received (retransmissions included, as browsers count them).
    pub packets_received: u64,
    /// Packets lost (RFC 3550 cumulative loss; may be negative with duplicates).
    pub packets_lost: i64,
    /// Interarrival jitter in seconds.
    pub jitter: f64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// RTP header and padding bytes received.
    pub header_bytes_received: u64,
    /// When the last packet arrived (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_packet_received_timestamp: Option<f64>,
    /// NACK packets sent.
    pub nack_count: u32,
    /// PLI packets sent (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pli_count: Option<u32>,
    /// FIR packets sent (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fir_count: Option<u32>,
    /// Frames completely received (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_received: Option<u32>,
    /// Frames handed to the application as decodable (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_decoded: Option<u32>,
    /// Key frames among them (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_frames_decoded: Option<u32>,
    /// Frames dropped (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_dropped: Option<u32>,
    /// Width of the last frame (video, when the codec tells).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_width: Option<u32>,
    /// Height of the last frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_height: Option<u32>,
    /// Retransmitted packets received (RTX).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retransmitted_packets_received: Option<u64>,
    /// Retransmitted payload bytes received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retransmitted_bytes_received: Option<u64>,
    /// The RTX SSRC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtx_ssrc: Option<u32>,
    /// Packets discarded (too late or duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets_discarded: Option<u64>,
    /// Total seconds frames/samples spent in the jitter buffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_delay: Option<f64>,
    /// Frames/samples that left the jitter buffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_emitted_count: Option<u64>,
}

/// `RTCOutboundRtpStreamStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutboundRtpStats {
    /// The SSRC.
    pub ssrc: u32,
    /// `"audio"` or `"video"`.
    pub kind: String,
    /// The transport.
    pub transport_id: String,
    /// The codec, once negotiated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The transceiver's mid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    /// The `media-source` of the sender's track.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_source_id: Option<String>,
    /// The `remote-inbound-rtp`, once a receiver report arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// The encoding's rid (simulcast).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rid: Option<String>,
    /// Packets sent (retransmissions included).
    pub packets_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// RTP header and padding bytes sent.
    pub header_bytes_sent: u64,
    /// Retransmitted packets sent.
    pub retransmitted_packets_sent: u64,
    /// Retransmitted payload bytes sent.
    pub retransmitted_bytes_sent: u64,
    /// The RTX SSRC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtx_ssrc: Option<u32>,
    /// NACK packets received.
    pub nack_count: u32,
    /// PLI packets received (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pli_count: Option<u32>,
    /// FIR packets received (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fir_count: Option<u32>,
    /// Frames sent (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_sent: Option<u32>,
    /// Frames given by the application (video; we do not encode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_encoded: Option<u32>,
    /// Key frames among them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_frames_encoded: Option<u32>,
    /// The encoding is active.
    pub active: bool,
}

/// `RTCRemoteInboundRtpStreamStats`: the peer's view of our outbound stream,
/// from its receiver reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RemoteInboundRtpStats {
    /// The SSRC (ours).
    pub ssrc: u32,
    /// `"audio"` or `"video"`.
    pub kind: String,
    /// The transport.
    pub transport_id: String,
    /// The codec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The `outbound-rtp` it describes.
    pub local_id: String,
    /// Cumulative packets lost as the peer reports.
    pub packets_lost: i64,
    /// Interarrival jitter in seconds as the peer reports.
    pub jitter: f64,
    /// The latest fraction lost (0..1).
    pub fraction_lost: f64,
    /// The latest round-trip time in seconds, from LSR/DLSR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trip_time: Option<f64>,
    /// The sum of all round-trip times measured, in seconds.
    pub total_round_trip_time: f64,
    /// How many round-trip times were measured.
    pub round_trip_time_measurements: u64,
}

/// `RTCRemoteOutboundRtpStreamStats`: the peer's sender reports about the
/// stream we receive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RemoteOutboundRtpStats {
    /// The SSRC (theirs).
    pub ssrc: u32,
    /// `"audio"` or `"video"`.
    pub kind: String,
    /// The transport.
    pub transport_id: String,
    /// The codec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The `inbound-rtp` it describes.
    pub local_id: String,
    /// Packets sent, as the last sender report says.
    pub packets_sent: u64,
    /// Payload bytes sent, as the last sender report says.
    pub bytes_sent: u64,
    /// The sender's NTP time of the last report (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_timestamp: Option<f64>,
    /// Sender reports received.
    pub reports_sent: u64,
}

/// `RTCAudioSourceStats` / `RTCVideoSourceStats` (`media-source`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MediaSourceStats {
    /// The track's id.
    pub track_identifier: String,
    /// `"audio"` or `"video"`.
    pub kind: String,
    /// Video: width of the last frame, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Video: height of the last frame, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Video: frames given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<u32>,
    /// Audio: seconds of samples given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_samples_duration: Option<f64>,
}

/// `RTCAudioPlayoutStats` (`media-playout`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MediaPlayoutStats {
    /// `"audio"`.
    pub kind: String,
    /// Seconds of samples played out.
    pub total_samples_duration: f64,
    /// Samples played out.
    pub total_samples_count: u64,
    /// Seconds of synthesized samples (concealment).
    pub synthesized_samples_duration: f64,
    /// Concealment events.
    pub synthesized_samples_events: u64,
    /// Sum of playout delays, in seconds.
    pub total_playout_delay: f64,
}

/// `RTCStatsReport`: stats objects by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsReport {
    entries: BTreeMap<String, Stats>,
}

impl StatsReport {
    /// An empty report.
    pub fn new() -> StatsReport {
        StatsReport::default()
    }

    /// Adds (or replaces) an object.
    pub fn insert(&mut self, stats: Stats) {
        self.entries.insert(stats.id.clone(), stats);
    }

    /// The object with this id.
    pub fn get(&self, id: &str) -> Option<&Stats> {
        self.entries.get(id)
    }

    /// Every object, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Stats> {
        self.entries.values()
    }

    /// The objects of one `type` (`"candidate-pair"`, ...).
    pub fn of_type<'a, 'b>(
        &'a self,
        type_name: &'b str,
    ) -> impl Iterator<Item = &'a Stats> + use<'a, 'b> {
        self.iter().filter(move |s| s.type_name() == type_name)
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No objects.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keeps only the objects `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Stats) -> bool) {
        self.entries.retain(|_, s| keep(s));
    }

    /// The report as browsers' `Object.fromEntries(report)`: `{id: {id, type, timestamp, ...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.entries
                .iter()
                .map(|(id, s)| (id.clone(), serde_json::to_value(s).unwrap_or_default()))
                .collect(),
        )
    }

    /// Reads a report in the form [`StatsReport::to_json`] writes (and browsers
    /// give); objects of a type we do not model are skipped.
    pub fn from_json(value: &serde_json::Value) -> StatsReport {
        let mut report = StatsReport::new();
        if let Some(map) = value.as_object() {
            for v in map.values() {
                if let Ok(s) = serde_json::from_value::<Stats>(v.clone()) {
                    report.insert(s);
                }
            }
        }
        report
    }

    /// The W3C stats selection algorithm: the objects `root` says yes to,
    /// and every object they refer to through `...Id` members, directly or
    /// not (for `getStats(track)` and `RTCRtpSender/Receiver.getStats()`).
    pub fn select(&self, root: impl Fn(&Stats) -> bool) -> StatsReport {
        let mut keep: Vec<String> = self
            .iter()
            .filter(|s| root(s))
            .map(|s| s.id.clone())
            .collect();
        let mut out = StatsReport::new();
        while let Some(id) = keep.pop() {
            if out.get(&id).is_some() {
                continue;
            }
            let Some(s) = self.get(&id) else { continue };
            if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(s) {
                for (k, v) in map {
                    if k != "id" && k.ends_with("Id") {
                        if let Some(t) = v.as_str() {
                            keep.push(t.to_string());
                        }
                    }
                }
            }
            out.insert(s.clone());
        }
        out
    }

    /// Ids mentioned by a `...Id` member of some object that name no object
    /// in the report: empty when every link resolves.
    pub fn dangling_ids(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for s in self.iter() {
            let Ok(serde_json::Value::Object(map)) = serde_json::to_value(s) else {
                continue;
            };
            for (k, v) in map {
                if k == "id" || !k.ends_with("Id") {
                    continue;
                }
                if let Some(target) = v.as_str() {
                    if !self.entries.contains_key(target) {
                        out.push((s.id.clone(), format!("{k}={target}")));
                    }
                }
            }
        }
        out
    }
}

impl<'a> IntoIterator for &'a StatsReport {
    type Item = &'a Stats;
    type IntoIter = std::collections::btree_map::Values<'a, String, Stats>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.values()
    }
}

impl Serialize for StatsReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_browser_field_names() {
        let s = Stats {
            id: "CP1_2".into(),
            timestamp: 1.5,
            kind: StatsKind::CandidatePair(CandidatePairStats {
                transport_id: "T01".into(),
                local_candidate_id: "I1".into(),
                remote_candidate_id: "I2".into(),
                state: "succeeded".into(),
                nominated: true,
                current_round_trip_time: Some(0.002),
                ..Default::default()
            }),
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["type"], "candidate-pair");
        assert_eq!(v["transportId"], "T01");
        assert_eq!(v["currentRoundTripTime"], 0.002);
        assert!(v.get("lastPacketSentTimestamp").is_none());
        let back: Stats = serde_json::from_value(v).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn dangling_links_are_found_and_browser_json_reads_back() {
        let mut r = StatsReport::new();
        r.insert(Stats {
            id: "D1".into(),
            timestamp: 0.0,
            kind: StatsKind::DataChannel(DataChannelStats {
                label: "chat".into(),
                state: "open".into(),
                ..Default::default()
            }),
        });
        r.insert(Stats {
            id: "RTCIceCandidate_x".into(),
            timestamp: 0.0,
            kind: StatsKind::LocalCandidate(IceCandidateStats {
                transport_id: "T01".into(),
                ..Default::default()
            }),
        });
        assert_eq!(
            r.dangling_ids(),
            vec![(
                "RTCIceCandidate_x".to_string(),
                "transportId=T01".to_string()
            )]
        );
        // A browser report with a type we do not model keeps the rest.
        let json = serde_json::json!({
            "D1": {"id": "D1", "type": "data-channel", "timestamp": 3.0, "label": "x",
                   "protocol": "", "state": "open", "messagesSent": 1, "bytesSent": 2,
                   "messagesReceived": 3, "bytesReceived": 4},
            "S1": {"id": "S1", "type": "something-new", "timestamp": 3.0}
        });
        let read = StatsReport::from_json(&json);
        assert_eq!(read.len(), 1);
        assert_eq!(read.of_type("data-channel").count(), 1);
    }
}
