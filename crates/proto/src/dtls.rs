//! The DTLS transport (W3C `RTCDtlsTransport`): a sans-IO wrapper around `dimpl`.
//!
//! WebRTC runs DTLS over the ICE connection to authenticate the peer (by the
//! certificate fingerprint in its SDP), to carry SCTP (data channels) as DTLS
//! application data, and to export the SRTP keys for media (DTLS-SRTP, RFC 5764).
//!
//! [`DtlsTransport`] adds to the engine what WebRTC needs around it:
//! - the role from SDP `a=setup` ([`DtlsRole`]) and the version policy
//!   ([`DtlsVersionPolicy`]: a server accepts DTLS 1.2 and 1.3 ClientHellos; a
//!   client offers 1.2 unless configured otherwise);
//! - the peer certificate check against the SDP fingerprints
//!   ([`DtlsTransport::set_remote_fingerprints`]). Nothing from the peer —
//!   `Connected`, keys, data — is released before the check passes; a mismatch
//!   ends in [`DtlsEvent::Failed`] with [`DtlsError::FingerprintMismatch`];
//! - the state of `RTCDtlsTransportState` and the stats fields of
//!   `RTCTransportStats`/`RTCCertificateStats`;
//! - the usual verbs: `handle_receive`, `handle_timeout`, `poll_transmit`,
//!   `poll_event`, `poll_timeout`.
//!
//! Datagrams that arrive before [`DtlsTransport::start`] (a peer's ClientHello
//! can beat our SDP answer) are kept, up to [`EARLY_DATAGRAMS`], and replayed.
//!
//! Application data is sent as one record per call: the caller (SCTP) sizes
//! its packets to [`DtlsTransport::max_application_data_len`] so that each
//! datagram fits the path MTU (dimpl does not split application data).
//!
//! # Example: two transports in memory
//!
//! ```
//! use std::time::Instant;
//! use rtcpeer_proto::certificate::{Certificate, FingerprintAlgorithm};
//! use rtcpeer_proto::dtls::{DtlsConfig, DtlsEvent, DtlsRole, DtlsState, DtlsTransport};
//!
//! let (a, b) = (Certificate::generate(Default::default())?, Certificate::generate(Default::default())?);
//! let fingerprint = |c: &Certificate| vec![c.fingerprint(FingerprintAlgorithm::Sha256).to_remote().unwrap()];
//! let mut client = DtlsTransport::new(a.clone(), DtlsConfig::default());
//! let mut server = DtlsTransport::new(b.clone(), DtlsConfig::default());
//! client.set_remote_fingerprints(fingerprint(&b)); // from the answer's a=fingerprint
//! server.set_remote_fingerprints(fingerprint(&a)); // from the offer's a=fingerprint
//!
//! let now = Instant::now();
//! server.start(DtlsRole::Server, now)?; // a=setup:passive
//! client.start(DtlsRole::Client, now)?; // a=setup:active
//! while client.state() != DtlsState::Connected || server.state() != DtlsState::Connected {
//!     // A real caller sends these over ICE and also drives handle_timeout/poll_timeout.
//!     while let Some(d) = client.poll_transmit() { server.handle_receive(now, &d); }
//!     while let Some(d) = server.poll_transmit() { client.handle_receive(now, &d); }
//! }
//! client.send_application_data(b"an SCTP packet")?;
//! while let Some(d) = client.poll_transmit() { server.handle_receive(now, &d); }
//! let mut got = Vec::new();
//! while let Some(event) = server.poll_event() {
//!     if let DtlsEvent::ApplicationData(data) = event { got = data; }
//! }
//! assert_eq!(got, b"an SCTP packet");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod wire;

/// Whether a datagram belongs to DTLS by its first byte (20..=63, RFC 7983 §7).
pub fn is_dtls_datagram(datagram: &[u8]) -> bool {
    wire::is_dtls(datagram)
}

pub use crate::dcep::DtlsRole;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::certificate::{
    verify_fingerprint, Certificate, FingerprintAlgorithm, RemoteFingerprint,
};

/// How many datagrams received before [`DtlsTransport::start`] are kept.
pub const EARLY_DATAGRAMS: usize = 16;

/// How many bytes of application data are held while waiting for the SDP
/// fingerprints; more is dropped (SCTP retransmits it later).
pub const HELD_DATA_LIMIT: usize = 256 * 1024;

/// The largest plaintext of one DTLS record (2^14 bytes, RFC 6347 §4.1).
pub const MAX_RECORD_PLAINTEXT: usize = 16_384;

/// dimpl says "no timer" with a deadline ten years after the last time it was
/// given; a deadline this far away is that, and no timer to us.
const ENGINE_IDLE: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Which DTLS versions to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsVersionPolicy {
    /// DTLS 1.2 only (RFC 6347).
    Dtls12,
    /// DTLS 1.3 only (RFC 9147).
    Dtls13,
    /// Either: a server takes what the ClientHello offers (1.3 if offered); a
    /// client sends a ClientHello that works with 1.2 and 1.3 servers.
    Auto,
}

/// Settings of a [`DtlsTransport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsConfig {
    /// What to offer as DTLS client. Default [`DtlsVersionPolicy::Auto`]: a
    /// ClientHello for DTLS 1.3 that DTLS 1.2 servers also accept (Chromium
    /// and Firefox pick 1.3, aiortc 1.2).
    pub client_versions: DtlsVersionPolicy,
    /// What to accept as DTLS server. Default [`DtlsVersionPolicy::Auto`].
    pub server_versions: DtlsVersionPolicy,
    /// The largest datagram to produce (handshake flights are fragmented to
    /// fit), and the budget [`DtlsTransport::max_application_data_len`] is
    /// computed from. Default 1,200 bytes.
    pub datagram_budget: usize,
    /// First retransmission timeout of a handshake flight (doubles each time). Default 1 s.
    pub flight_start_rto: Duration,
    /// Give up a handshake that has not finished after this long. Default 40 s.
    pub handshake_timeout: Duration,
    /// As server, make the client prove its address with a cookie exchange
    /// first (one more round trip). ICE already proved it; default `false`.
    pub server_cookie: bool,
}

impl Default for DtlsConfig {
    fn default() -> Self {
        DtlsConfig {
            client_versions: DtlsVersionPolicy::Auto,
            server_versions: DtlsVersionPolicy::Auto,
            datagram_budget: 1_200,
            flight_start_rto: Duration::from_secs(1),
            handshake_timeout: Duration::from_secs(40),
            server_cookie: false,
        }
    }
}

/// The state of the transport (W3C `RTCDtlsTransportState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsState {
    /// Not started.
    New,
    /// Handshaking (or waiting for the fingerprint check).
    Connecting,
    /// Handshake done and peer verified.
    Connected,
    /// Closed by `close_notify` (either side).
    Closed,
    /// Failed: handshake error, timeout, or fingerprint mismatch.
    Failed,
}

impl DtlsState {
    /// The W3C string: `"new"`, `"connecting"`, `"connected"`, `"closed"`, `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DtlsState::New => "new",
            DtlsState::Connecting => "connecting",
            DtlsState::Connected => "connected",
            DtlsState::Closed => "closed",
            DtlsState::Failed => "failed",
        }
    }
}

/// Why the transport failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtlsError {
    /// The peer's certificate does not match its SDP fingerprints.
    #[error("the peer certificate does not match the SDP fingerprint")]
    FingerprintMismatch,
    /// The handshake completed without a peer certificate.
    #[error("the peer presented no certificate")]
    NoPeerCertificate,
    /// The handshake did not finish in time.
    #[error("DTLS handshake timed out: {0}")]
    Timeout(String),
    /// The DTLS engine reported a fatal error (bad message, crypto failure, alert…).
    #[error("DTLS failure: {0}")]
    Protocol(String),
}

impl DtlsError {
    /// The W3C `RTCError.errorDetail`: `"fingerprint-failure"` or `"dtls-failure"`.
    pub fn error_detail(&self) -> &'static str {
        match self {
            DtlsError::FingerprintMismatch => "fingerprint-failure",
            _ => "dtls-failure",
        }
    }
}

/// Why a call was refused (the transport itself is unaffected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtlsCallError {
    /// `start` was called twice.
    #[error("the DTLS transport was already started")]
    AlreadyStarted,
    /// Sending needs a connected transport.
    #[error("the DTLS transport is {0}, not connected")]
    NotConnected(&'static str),
    /// The data is larger than one DTLS record can carry.
    #[error("{0} bytes exceed the DTLS record limit of 16384")]
    TooLarge(usize),
}

/// An SRTP protection profile negotiated with `use_srtp` (RFC 5764, RFC 7714).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpProfile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001).
    Aes128CmSha1_80,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007).
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008).
    AeadAes256Gcm,
}

impl SrtpProfile {
    /// Master key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            SrtpProfile::Aes128CmSha1_80 | SrtpProfile::AeadAes128Gcm => 16,
            SrtpProfile::AeadAes256Gcm => 32,
        }
    }

    /// Master salt length in bytes.
    pub fn salt_len(self) -> usize {
        match self {
            SrtpProfile::Aes128CmSha1_80 => 14,
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => 12,
        }
    }

    /// The name browsers report as `srtpCipher` in stats.
    pub fn stats_name(self) -> &'static str {
        match self {
            SrtpProfile::Aes128CmSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpProfile::AeadAes128Gcm => "AEAD_AES_128_GCM",
            SrtpProfile::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    fn from_dimpl(profile: dimpl::SrtpProfile) -> Option<SrtpProfile> {
        match profile {
            dimpl::SrtpProfile::AES128_CM_SHA1_80 => Some(SrtpProfile::Aes128CmSha1_80),
            dimpl::SrtpProfile::AEAD_AES_128_GCM => Some(SrtpProfile::AeadAes128Gcm),
            dimpl::SrtpProfile::AEAD_AES_256_GCM => Some(SrtpProfile::AeadAes256Gcm),
            _ => None,
        }
    }
}

/// SRTP master keys exported from the handshake (RFC 5764 §4.2), split.
///
/// Each side encrypts what it sends with its own key: the DTLS client with
/// the client key and salt, the server with the server's.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeyingMaterial {
    /// The negotiated profile.
    pub profile: SrtpProfile,
    /// The DTLS client's write master key.
    pub client_key: Vec<u8>,
    /// The DTLS client's write master salt.
    pub client_salt: Vec<u8>,
    /// The DTLS server's write master key.
    pub server_key: Vec<u8>,
    /// The DTLS server's write master salt.
    pub server_salt: Vec<u8>,
}

impl SrtpKeyingMaterial {
    /// Splits exported material laid out as RFC 5764 §4.2 says:
    /// client key | server key | client salt | server salt.
    pub fn split(profile: SrtpProfile, material: &[u8]) -> Option<SrtpKeyingMaterial> {
        let (k, s) = (profile.key_len(), profile.salt_len());
        if material.len() != 2 * (k + s) {
            return None;
        }
        Some(SrtpKeyingMaterial {
            profile,
            client_key: material[..k].to_vec(),
            server_key: material[k..2 * k].to_vec(),
            client_salt: material[2 * k..2 * k + s].to_vec(),
            server_salt: material[2 * k + s..].to_vec(),
        })
    }

    /// (key, salt) to protect what `role` sends.
    pub fn local(&self, role: DtlsRole) -> (&[u8], &[u8]) {
        match role {
            DtlsRole::Client => (&self.client_key, &self.client_salt),
            DtlsRole::Server => (&self.server_key, &self.server_salt),
        }
    }

    /// (key, salt) to unprotect what the peer of `role` sends.
    pub fn remote(&self, role: DtlsRole) -> (&[u8], &[u8]) {
        match role {
            DtlsRole::Client => self.local(DtlsRole::Server),
            DtlsRole::Server => self.local(DtlsRole::Client),
        }
    }
}

impl std::fmt::Debug for SrtpKeyingMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are secrets: never print them.
        f.debug_struct("SrtpKeyingMaterial")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// What the transport reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsEvent {
    /// Handshake done and the peer's fingerprint verified.
    Connected,
    /// SRTP keys (emitted once, before or right after `Connected`).
    KeyingMaterial(SrtpKeyingMaterial),
    /// A record of application data (for SCTP).
    ApplicationData(Vec<u8>),
    /// The peer sent `close_notify`.
    Closed,
    /// The transport failed; it will do nothing more.
    Failed(DtlsError),
}

/// Counters and negotiated parameters, for `RTCTransportStats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DtlsStats {
    /// `dtlsState`.
    pub dtls_state: &'static str,
    /// `dtlsRole`: `"client"`, `"server"` or `"unknown"`.
    pub dtls_role: &'static str,
    /// `tlsVersion` as browsers write it: `"FEFD"` (1.2) or `"FEFC"` (1.3).
    pub tls_version: Option<&'static str>,
    /// `dtlsCipher`: the IANA name of the cipher suite.
    pub dtls_cipher: Option<&'static str>,
    /// `srtpCipher`.
    pub srtp_cipher: Option<&'static str>,
    /// Our certificate's SHA-256 fingerprint (`RTCCertificateStats.fingerprint`).
    pub local_fingerprint: String,
    /// The peer certificate's SHA-256 fingerprint, once seen.
    pub remote_fingerprint: Option<String>,
    /// Datagrams sent.
    pub packets_sent: u64,
    /// Datagrams received.
    pub packets_received: u64,
    /// Bytes sent (whole datagrams).
    pub bytes_sent: u64,
    /// Bytes received (whole datagrams).
    pub bytes_received: u64,
    /// Datagrams dropped (not DTLS, or left over before start).
    pub packets_dropped: u64,
}

/// The DTLS transport. See the [module docs](self).
#[derive(Debug)]
pub struct DtlsTransport {
    config: DtlsConfig,
    certificate: Certificate,
    local_fingerprint: String,
    role: Option<DtlsRole>,
    engine: Option<dimpl::Dtls>,
    state: DtlsState,
    remote_fingerprints: Vec<RemoteFingerprint>,
    remote_certificate: Option<Vec<u8>>,
    verified: bool,
    /// Events from the engine held until the peer is verified.
    held: Vec<DtlsEvent>,
    /// Application data bytes in `held`.
    held_bytes: usize,
    early: VecDeque<Vec<u8>>,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<DtlsEvent>,
    timeout: Option<Instant>,
    /// The last time the engine was given (start, receive, timeout).
    last_now: Option<Instant>,
    output_buf: Vec<u8>,
    /// Engine output between polling and handling (kept for its capacity).
    pending_outputs: Vec<Output>,
    cipher_suite: Option<u16>,
    srtp_profile: Option<SrtpProfile>,
    stats: DtlsStats,
}

impl DtlsTransport {
    /// A transport that will authenticate with `certificate`; state `new`.
    pub fn new(certificate: Certificate, config: DtlsConfig) -> DtlsTransport {
        let local_fingerprint = certificate.fingerprint(FingerprintAlgorithm::Sha256).value;
        DtlsTransport {
            config,
            certificate,
            local_fingerprint,
            role: None,
            engine: None,
            state: DtlsState::New,
            remote_fingerprints: Vec::new(),
            remote_certificate: None,
            verified: false,
            held: Vec::new(),
            held_bytes: 0,
            early: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            timeout: None,
            last_now: None,
            output_buf: vec![0; 2_048],
            pending_outputs: Vec::new(),
            cipher_suite: None,
            srtp_profile: None,
            stats: DtlsStats::default(),
        }
    }

    /// Starts the handshake in `role` (the JSEP layer resolved `a=setup`).
    ///
    /// A client queues its ClientHello; a server replays any datagrams that
    /// arrived early. Poll afterwards.
    pub fn start(&mut self, role: DtlsRole, now: Instant) -> Result<(), DtlsCallError> {
        if self.state != DtlsState::New {
            return Err(DtlsCallError::AlreadyStarted);
        }
        let mut builder = dimpl::Config::builder()
            .mtu(self.config.datagram_budget.max(200))
            .use_server_cookie(self.config.server_cookie);
        if !self.config.flight_start_rto.is_zero() {
            builder = builder.flight_start_rto(self.config.flight_start_rto);
        }
        if !self.config.handshake_timeout.is_zero() {
            builder = builder.handshake_timeout(self.config.handshake_timeout);
        }
        let engine_config = match builder.build() {
            Ok(c) => Arc::new(c),
            Err(e) => {
                self.fail(DtlsError::Protocol(format!("configuration: {e}")));
                return Ok(());
            }
        };
        let cert = self.certificate.to_dtls();
        let policy = match role {
            DtlsRole::Client => self.config.client_versions,
            DtlsRole::Server => self.config.server_versions,
        };
        let mut engine = match policy {
            DtlsVersionPolicy::Dtls12 => dimpl::Dtls::new_12(engine_config, cert, now),
            DtlsVersionPolicy::Dtls13 => dimpl::Dtls::new_13(engine_config, cert, now),
            DtlsVersionPolicy::Auto => dimpl::Dtls::new_auto(engine_config, cert, now),
        };
        engine.set_active(role == DtlsRole::Client);
        self.role = Some(role);
        self.engine = Some(engine);
        self.state = DtlsState::Connecting;
        self.last_now = Some(now);
        self.engine_call(|e| e.handle_timeout(now));
        let early = std::mem::take(&mut self.early);
        for datagram in early {
            self.receive(&datagram);
        }
        Ok(())
    }

    /// Our role, once started.
    pub fn role(&self) -> Option<DtlsRole> {
        self.role
    }

    /// The state (W3C `RTCDtlsTransport.state`).
    pub fn state(&self) -> DtlsState {
        self.state
    }

    /// Our certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The peer's certificate (DER), once the handshake has shown it
    /// (W3C `getRemoteCertificates()`).
    pub fn remote_certificate(&self) -> Option<&[u8]> {
        self.remote_certificate.as_deref()
    }

    /// The negotiated DTLS version, once known.
    pub fn protocol_version(&self) -> Option<dimpl::ProtocolVersion> {
        self.engine.as_ref()?.protocol_version()
    }

    /// The SRTP profile, once negotiated.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        self.srtp_profile
    }

    /// Sets the fingerprints from the peer's SDP (`a=fingerprint`). The peer
    /// certificate must match one of them (RFC 8122 §5); until they are set,
    /// nothing from the peer is released.
    ///
    /// Setting them again after the peer was verified (a renegotiation)
    /// re-checks the certificate in use: fingerprints it does not match fail
    /// the transport, since a new fingerprint needs a new DTLS association.
    pub fn set_remote_fingerprints(&mut self, fingerprints: Vec<RemoteFingerprint>) {
        self.remote_fingerprints = fingerprints;
        if self.verified {
            let still_valid = self
                .remote_certificate
                .as_deref()
                .is_some_and(|der| verify_fingerprint(der, &self.remote_fingerprints));
            if !still_valid {
                self.fail(DtlsError::FingerprintMismatch);
            }
            return;
        }
        self.check_peer();
    }

    /// The largest application data that still fits [`DtlsConfig::datagram_budget`]
    /// in one datagram once the version is known (before, the 1.2 figure, the smaller).
    ///
    /// Record overhead: DTLS 1.2 AES-GCM adds 37 bytes (13 header, 8 nonce,
    /// 16 tag); DTLS 1.3 adds 22 (5 header, 1 inner type, 16 tag).
    pub fn max_application_data_len(&self) -> usize {
        let overhead = match self.protocol_version() {
            Some(dimpl::ProtocolVersion::DTLS1_3) => 22,
            _ => 37,
        };
        self.config.datagram_budget.saturating_sub(overhead)
    }

    /// Processes a received datagram (first byte 20..=63 per RFC 7983).
    pub fn handle_receive(&mut self, now: Instant, datagram: &[u8]) {
        match self.state {
            DtlsState::New => {
                if self.early.len() < EARLY_DATAGRAMS && wire::is_dtls(datagram) {
                    self.early.push_back(datagram.to_vec());
                } else {
                    self.stats.packets_dropped += 1;
                }
            }
            DtlsState::Connecting | DtlsState::Connected => {
                self.last_now = Some(now);
                self.engine_call(|e| e.handle_timeout(now));
                self.receive(datagram);
            }
            DtlsState::Closed | DtlsState::Failed => self.stats.packets_dropped += 1,
        }
    }

    /// Advances time: retransmits handshake flights, fails on handshake timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.state, DtlsState::Connecting | DtlsState::Connected) {
            self.last_now = Some(now);
            self.engine_call(|e| e.handle_timeout(now));
        }
    }

    /// When [`DtlsTransport::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            DtlsState::Connecting | DtlsState::Connected => self.timeout,
            _ => None,
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DtlsEvent> {
        self.events.pop_front()
    }

    /// Sends `data` as one application data record (one datagram).
    ///
    /// Keep `data` within [`DtlsTransport::max_application_data_len`] so the
    /// datagram fits the path MTU; up to 16,384 bytes are accepted.
    pub fn send_application_data(&mut self, data: &[u8]) -> Result<(), DtlsCallError> {
        if self.state != DtlsState::Connected {
            return Err(DtlsCallError::NotConnected(self.state.as_str()));
        }
        if data.len() > MAX_RECORD_PLAINTEXT {
            return Err(DtlsCallError::TooLarge(data.len()));
        }
        if data.is_empty() {
            return Ok(());
        }
        // Each call is drained at once by `engine_call`, so dimpl's bounded
        // transmit queue never fills up.
        self.engine_call(|e| e.send_application_data(data).map(|_| ()));
        Ok(())
    }

    /// Closes the transport: sends `close_notify` if connected. The state
    /// becomes `closed`; no event is emitted for a local close.
    pub fn close(&mut self) {
        match self.state {
            DtlsState::Connected | DtlsState::Connecting => {
                self.engine_call(|e| e.close());
                if self.state != DtlsState::Failed {
                    self.state = DtlsState::Closed;
                }
            }
            DtlsState::New => self.state = DtlsState::Closed,
            DtlsState::Closed | DtlsState::Failed => {}
        }
        self.held.clear();
    }

    /// Counters and negotiated parameters for stats.
    pub fn stats(&self) -> DtlsStats {
        let mut stats = self.stats.clone();
        stats.dtls_state = self.state.as_str();
        stats.dtls_role = match self.role {
            Some(DtlsRole::Client) => "client",
            Some(DtlsRole::Server) => "server",
            None => "unknown",
        };
        stats.tls_version = match self.protocol_version() {
            Some(dimpl::ProtocolVersion::DTLS1_2) => Some("FEFD"),
            Some(dimpl::ProtocolVersion::DTLS1_3) => Some("FEFC"),
            _ => None,
        };
        stats.dtls_cipher = self.cipher_suite.and_then(wire::cipher_suite_name);
        stats.srtp_cipher = self.srtp_profile.map(SrtpProfile::stats_name);
        stats.local_fingerprint = self.local_fingerprint.clone();
        stats.remote_fingerprint = self.remote_certificate.as_ref().map(|der| {
            crate::certificate::Fingerprint::of(FingerprintAlgorithm::Sha256, der).value
        });
        stats
    }

    fn receive(&mut self, datagram: &[u8]) {
        if matches!(self.state, DtlsState::Failed | DtlsState::Closed) || !wire::is_dtls(datagram) {
            self.stats.packets_dropped += 1;
            return;
        }
        self.stats.packets_received += 1;
        self.stats.bytes_received += datagram.len() as u64;
        if self.cipher_suite.is_none() && self.role == Some(DtlsRole::Client) {
            self.cipher_suite = wire::server_hello_cipher_suite(datagram);
        }
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        match engine.handle_packet(datagram) {
            Ok(()) => {}
            // An auto-sensing client that gets something other than a
            // ServerHello/HelloVerifyRequest keeps its state (dimpl checks
            // before changing anything): drop the datagram, not the connection.
            Err(dimpl::Error::UnexpectedMessage(
                dimpl::UnexpectedMessageError::UnrecognizedAutoServerResponse,
            )) if engine.protocol_version().is_none() => {
                self.stats.packets_dropped += 1;
            }
            Err(e) => self.fail_engine(e),
        }
        self.drain();
    }

    /// Runs one engine call, then drains all its output.
    fn engine_call(&mut self, call: impl FnOnce(&mut dimpl::Dtls) -> Result<(), dimpl::Error>) {
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        if let Err(e) = call(engine) {
            self.fail_engine(e);
        }
        self.drain();
    }

    fn fail_engine(&mut self, e: dimpl::Error) {
        let error = match e {
            dimpl::Error::Timeout(t) => DtlsError::Timeout(t.to_string()),
            other => DtlsError::Protocol(other.to_string()),
        };
        self.fail(error);
    }

    fn fail(&mut self, error: DtlsError) {
        if matches!(self.state, DtlsState::Failed | DtlsState::Closed) {
            return;
        }
        tracing::debug!(%error, "DTLS transport failed");
        self.state = DtlsState::Failed;
        self.held.clear();
        self.timeout = None;
        self.events.push_back(DtlsEvent::Failed(error));
    }

    /// Moves everything the engine has to say into our queues.
    fn drain(&mut self) {
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let mut outputs = std::mem::take(&mut self.pending_outputs);
        loop {
            match engine.poll_output(&mut self.output_buf) {
                dimpl::Output::Packet(p) => outputs.push(Output::Packet(p.to_vec())),
                dimpl::Output::BufferTooSmall { needed } => {
                    self.output_buf.resize(needed, 0);
                }
                dimpl::Output::Timeout(t) => {
                    // Connected and idle, dimpl still reports a (distant)
                    // deadline; we report none, so an idle connection has
                    // no timer at all.
                    let idle = self
                        .last_now
                        .is_some_and(|now| t.saturating_duration_since(now) >= ENGINE_IDLE);
                    self.timeout = (!idle).then_some(t);
                    break;
                }
                dimpl::Output::Connected => outputs.push(Output::Connected),
                dimpl::Output::PeerCert(der) => outputs.push(Output::PeerCert(der.to_vec())),
                dimpl::Output::KeyingMaterial(km, profile) => {
                    outputs.push(Output::Keying(km.to_vec(), profile))
                }
                dimpl::Output::ApplicationData(d) => outputs.push(Output::Data(d.to_vec())),
                dimpl::Output::CloseNotify => outputs.push(Output::CloseNotify),
                _ => {}
            }
        }
        for output in outputs.drain(..) {
            self.on_output(output);
        }
        self.pending_outputs = outputs;
    }

    fn on_output(&mut self, output: Output) {
        if self.state == DtlsState::Failed {
            return; // nothing more leaves a failed transport
        }
        match output {
            Output::Packet(p) => {
                if self.cipher_suite.is_none() && self.role == Some(DtlsRole::Server) {
                    self.cipher_suite = wire::server_hello_cipher_suite(&p);
                }
                self.stats.packets_sent += 1;
                self.stats.bytes_sent += p.len() as u64;
                self.transmits.push_back(p);
            }
            Output::PeerCert(der) => {
                self.remote_certificate = Some(der);
                self.check_peer();
            }
            Output::Connected => self.release_or_hold(DtlsEvent::Connected),
            Output::Keying(material, profile) => {
                let split = SrtpProfile::from_dimpl(profile)
                    .and_then(|p| SrtpKeyingMaterial::split(p, &material));
                match split {
                    Some(km) => {
                        self.srtp_profile = Some(km.profile);
                        self.release_or_hold(DtlsEvent::KeyingMaterial(km));
                    }
                    None => self.fail(DtlsError::Protocol(format!(
                        "unusable SRTP keying material for {profile}"
                    ))),
                }
            }
            Output::Data(d) => self.release_or_hold(DtlsEvent::ApplicationData(d)),
            Output::CloseNotify => {
                if let Some(engine) = self.engine.as_mut() {
                    // Answer with our own close_notify; an error only means
                    // the engine already considers the connection closed.
                    if engine.close().is_ok() {
                        self.drain_packets_only();
                    }
                }
                self.held.clear();
                self.state = DtlsState::Closed;
                self.events.push_back(DtlsEvent::Closed);
            }
        }
    }

    /// Drains packets after answering a close_notify (no other output is expected then).
    fn drain_packets_only(&mut self) {
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        loop {
            match engine.poll_output(&mut self.output_buf) {
                dimpl::Output::Packet(p) => {
                    self.stats.packets_sent += 1;
                    self.stats.bytes_sent += p.len() as u64;
                    self.transmits.push_back(p.to_vec());
                }
                dimpl::Output::BufferTooSmall { needed } => self.output_buf.resize(needed, 0),
                dimpl::Output::Timeout(_) => break,
                _ => {}
            }
        }
    }

    fn release_or_hold(&mut self, event: DtlsEvent) {
        if self.verified {
            self.release(event);
        } else if event == DtlsEvent::Connected && self.remote_certificate.is_none() {
            // With client certificates required on both sides this cannot
            // happen; refuse rather than connect unauthenticated.
            self.fail(DtlsError::NoPeerCertificate);
        } else {
            if let DtlsEvent::ApplicationData(d) = &event {
                if self.held_bytes + d.len() > HELD_DATA_LIMIT {
                    self.stats.packets_dropped += 1;
                    return;
                }
                self.held_bytes += d.len();
            }
            self.held.push(event);
        }
    }

    fn release(&mut self, event: DtlsEvent) {
        if event == DtlsEvent::Connected {
            if self.state != DtlsState::Connecting {
                return;
            }
            self.state = DtlsState::Connected;
        }
        self.events.push_back(event);
    }

    /// Verifies the peer certificate once both it and the fingerprints are known.
    fn check_peer(&mut self) {
        if self.verified || self.remote_fingerprints.is_empty() {
            return;
        }
        let Some(der) = self.remote_certificate.as_deref() else {
            return;
        };
        if verify_fingerprint(der, &self.remote_fingerprints) {
            self.verified = true;
            self.held_bytes = 0;
            for event in std::mem::take(&mut self.held) {
                self.release(event);
            }
        } else {
            self.fail(DtlsError::FingerprintMismatch);
        }
    }
}

/// Engine output copied out of the poll buffer.
#[derive(Debug)]
enum Output {
    Packet(Vec<u8>),
    PeerCert(Vec<u8>),
    Connected,
    Keying(Vec<u8>, dimpl::SrtpProfile),
    Data(Vec<u8>),
    CloseNotify,
}

#[cfg(test)]
#[path = "dtls/tests.rs"]
mod tests;
