//! The network actor: one tokio task per connection that owns its UDP
//! sockets and its timer, and drives the sans-IO core.
//!
//! It starts when the first local description is applied. Each turn of its
//! loop waits for whichever comes first — a datagram on any socket, the
//! core's next deadline (`poll_timeout`), a wake-up from an API call, or the
//! shutdown signal — then locks the core once for the whole batch (all
//! datagrams already queued in the kernel, then `handle_timeout`), drains
//! the datagrams to send and the events, unlocks, dispatches the events and
//! sends. `close()` or dropping the last handle ends the task, which closes
//! the sockets.
//!
//! Which addresses become host candidates is a [`Settings`] choice: all
//! non-loopback interfaces by default, as browsers do; loopback only, or an
//! explicit list, for tests and servers that must stay on given addresses.
//!
//! The `iceServers` of the configuration are resolved when the actor starts
//! and handed to the ICE agent with the host sockets. TURN over TCP and TLS
//! (`turn:…?transport=tcp`, `turns:`) is TCP to the agent: its transmits name
//! the host socket and the server, and the actor keeps one connection per
//! such pair in a task of its own ([`turn_link`]), TLS-wrapped for `turns:`,
//! splitting what it reads into whole STUN / ChannelData messages.

use std::collections::{HashMap, HashSet};
use std::future::poll_fn;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use rtcpeer_proto::config::{IceUrl, UrlTransport};
use rtcpeer_proto::ice::{IceConfig, Protocol};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, UdpSocket};
use tokio::sync::{mpsc, Notify};

use crate::mdns::Resolver;
use crate::mux::{MuxConn, UdpMux};
use crate::peer::Shared;

/// Which local addresses the connection gathers host candidates on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InterfaceFilter {
    /// Every interface that is up (loopback only with
    /// [`Settings::include_loopback`]); IPv6 link-local addresses are skipped.
    #[default]
    All,
    /// 127.0.0.1 only: traffic never leaves the machine.
    LoopbackOnly,
    /// Exactly these addresses.
    List(Vec<IpAddr>),
}

/// Settings of the async layer that the W3C `RTCConfiguration` has no
/// member for. See [`crate::PeerConnection::with_settings`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// Where to gather host candidates.
    pub interfaces: InterfaceFilter,
    /// With [`InterfaceFilter::All`], also gather on loopback addresses.
    pub include_loopback: bool,
    /// How long the selected pair may go unanswered before
    /// `iceConnectionState` is `disconnected` (default 8 s; browsers use ~5 s).
    pub ice_disconnected_timeout: Option<Duration>,
    /// How long the selected pair (or, while connecting, every pair) may go
    /// unanswered before ICE is `failed` (default 30 s, RFC 7675's consent
    /// timeout).
    pub ice_failed_timeout: Option<Duration>,
    /// Certificates (DER) a TURN-over-TLS (`turns:`) server may present.
    /// Empty: the server's certificate must chain to the public web roots
    /// and name the URL's host. Not empty: exactly these certificates are
    /// accepted (pinned), whatever name or expiry they carry.
    pub turn_tls_certificates: Vec<Vec<u8>>,
    /// Single-port mode: gather one host candidate, the address of this
    /// shared socket, instead of binding sockets of our own
    /// ([`Settings::interfaces`] is then not used). See [`UdpMux`].
    pub udp_mux: Option<UdpMux>,
    /// Signal host candidates as `<uuid>.local` mDNS names, as browsers do
    /// by default, and answer mDNS queries for them (on 0.0.0.0:5353,
    /// 224.0.0.251); srflx and relay candidates then carry `raddr 0.0.0.0`.
    pub mdns_host_names: bool,
    /// Also gather ICE-TCP passive host candidates (RFC 6544): a listening
    /// TCP socket beside each host UDP socket, accepting the peer's active
    /// connections (RFC 4571 framing). Not with [`Settings::udp_mux`].
    pub ice_tcp: bool,
}

impl Settings {
    /// Gather on 127.0.0.1 only.
    pub fn loopback_only() -> Settings {
        Settings {
            interfaces: InterfaceFilter::LoopbackOnly,
            include_loopback: true,
            ..Settings::default()
        }
    }

    /// The ICE agent's configuration these settings give.
    pub(crate) fn ice_config(&self) -> IceConfig {
        let mut c = IceConfig::default();
        if let Some(t) = self.ice_disconnected_timeout {
            c.disconnected_timeout = t;
        }
        if let Some(t) = self.ice_failed_timeout {
            c.consent_timeout = t;
            c.failed_timeout = t;
        }
        c
    }
}

/// The addresses to bind, by the settings.
pub(crate) fn local_addresses(settings: &Settings) -> Vec<IpAddr> {
    match &settings.interfaces {
        InterfaceFilter::LoopbackOnly => vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        InterfaceFilter::List(list) => list.clone(),
        InterfaceFilter::All => {
            let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
                .unwrap_or_default()
                .into_iter()
                .map(|i| i.ip())
                .filter(|ip| settings.include_loopback || !ip.is_loopback())
                .filter(|ip| match ip {
                    IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
                    IpAddr::V4(_) => true,
                })
                .collect();
            out.sort();
            out.dedup();
            out
        }
    }
}

/// Wake-up and shutdown signals, shared by the handles and the actor (they
/// outlive the handles: the actor waits on them).
#[derive(Debug, Default)]
pub(crate) struct Signals {
    /// An API call changed the core: run a turn.
    pub(crate) wake: Notify,
    /// The connection is gone: stop.
    pub(crate) shutdown: Notify,
}

/// The most datagrams handled under one lock of the core.
const BATCH: usize = 64;

/// Starts the actor of `shared` unless it runs already.
pub(crate) fn ensure_started(shared: &Arc<Shared>) {
    if shared
        .actor_started
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    let weak = Arc::downgrade(shared);
    let signals = shared.signals.clone();
    let settings = shared.settings.clone();
    tokio::spawn(run(weak, signals, settings));
}

/// Waits for a datagram on any of the sockets.
fn poll_recv_any(
    sockets: &[UdpSocket],
    buf: &mut [u8],
    cx: &mut std::task::Context<'_>,
) -> Poll<(usize, usize, SocketAddr)> {
    for (i, s) in sockets.iter().enumerate() {
        // A UDP socket may report an ICMP error once: skip it and poll again.
        for _ in 0..4 {
            let mut rb = ReadBuf::new(buf);
            match s.poll_recv_from(cx, &mut rb) {
                Poll::Ready(Ok(from)) => return Poll::Ready((i, rb.filled().len(), from)),
                Poll::Ready(Err(_)) => continue,
                Poll::Pending => break,
            }
        }
    }
    Poll::Pending
}

async fn bind_sockets(settings: &Settings) -> Vec<(UdpSocket, SocketAddr)> {
    let mut out = Vec::new();
    for ip in local_addresses(settings) {
        if let Ok(s) = UdpSocket::bind(SocketAddr::new(ip, 0)).await {
            if let Ok(addr) = s.local_addr() {
                out.push((s, addr));
            }
        }
    }
    out
}

/// A STUN or TURN server of the configuration, resolved.
#[derive(Debug, Clone)]
enum Server {
    Stun {
        addr: SocketAddr,
        url: String,
    },
    Turn {
        addr: SocketAddr,
        proto: Protocol,
        username: String,
        credential: String,
        url: String,
    },
    /// Could not be used: reported as `icecandidateerror`.
    Failed {
        url: String,
        text: String,
    },
}

/// Resolves the configuration's `iceServers` (one address per IP family we
/// have a socket of) and notes which TURN servers want TLS, by address.
async fn resolve_servers(
    shared: &Shared,
    families: (bool, bool),
) -> (Vec<Server>, HashMap<SocketAddr, String>) {
    let config = shared.core().get_configuration();
    let mut out = Vec::new();
    let mut tls = HashMap::new();
    for server in &config.ice_servers {
        for url in server.urls.to_vec() {
            let parsed = match IceUrl::parse(&url) {
                Ok(p) => p,
                Err(e) => {
                    out.push(Server::Failed {
                        url,
                        text: e.to_string(),
                    });
                    continue;
                }
            };
            if parsed.scheme == "stuns" {
                out.push(Server::Failed {
                    url,
                    text: "stuns: is not supported".into(),
                });
                continue;
            }
            let found: Vec<SocketAddr> =
                match tokio::net::lookup_host((parsed.host.as_str(), parsed.port)).await {
                    Ok(a) => a.collect(),
                    Err(_) => Vec::new(),
                };
            let mut picked: Vec<SocketAddr> = Vec::new();
            if families.0 {
                picked.extend(found.iter().find(|a| a.is_ipv4()));
            }
            if families.1 {
                picked.extend(found.iter().find(|a| a.is_ipv6()));
            }
            if picked.is_empty() {
                out.push(Server::Failed {
                    url,
                    text: format!("could not resolve {:?}", parsed.host),
                });
                continue;
            }
            for addr in picked {
                if parsed.is_turn() {
                    let proto = match parsed.transport {
                        UrlTransport::Udp => Protocol::Udp,
                        UrlTransport::Tcp => Protocol::Tcp,
                    };
                    if parsed.scheme == "turns" {
                        tls.insert(addr, parsed.host.clone());
                    }
                    out.push(Server::Turn {
                        addr,
                        proto,
                        username: server.username.clone().unwrap_or_default(),
                        credential: server.credential.clone().unwrap_or_default(),
                        url: url.clone(),
                    });
                } else {
                    out.push(Server::Stun {
                        addr,
                        url: url.clone(),
                    });
                }
            }
        }
    }
    (out, tls)
}

/// What a TURN TCP/TLS connection task tells the actor.
enum LinkMessage {
    /// One whole STUN or ChannelData message from the server.
    Data {
        local: SocketAddr,
        server: SocketAddr,
        bytes: Vec<u8>,
    },
    /// The connection ended (or never came up).
    Closed {
        local: SocketAddr,
        server: SocketAddr,
    },
}

trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ByteStream for T {}

/// The largest datagram a connection reads (longer ones are truncated by
/// the kernel and then fail their integrity checks). WebRTC stacks keep
/// datagrams under the path MTU (browsers about 1,200–1,500 bytes, TURN
/// adds up to 36); 4 KiB leaves room, and a per-connection 64 KiB buffer
/// cost about 10 KB more memory per connection (`tests/scale.rs`: 88 KB
/// per connection with it, 78 KB with this).
const RECV_BUFFER: usize = 4_096;

/// How long connecting to a TURN server over TCP (and TLS) may take.
const LINK_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// ICE-TCP connections peers may have open to our passive candidates at
/// once (per PeerConnection); further ones are closed as they are accepted.
pub const MAX_ICE_TCP_CONNECTIONS: usize = 32;

/// An accepted ICE-TCP connection that has not sent one whole frame after
/// this long is closed (a real peer sends its first check at once).
const ICE_TCP_FIRST_FRAME: Duration = Duration::from_secs(10);

/// Messages the TCP links may have waiting for the connection's task; a
/// link stops reading its socket while the queue is full.
const LINK_QUEUE: usize = 256;

/// One TCP (or TLS) connection to a TURN server, from the IP of the host
/// socket `local`: writes what the actor sends, reads whole messages back.
async fn turn_link(
    local: SocketAddr,
    server: SocketAddr,
    tls: Option<(Arc<rustls::ClientConfig>, String)>,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    to_actor: mpsc::Sender<LinkMessage>,
    signals: Arc<Signals>,
) {
    let stream = tokio::time::timeout(LINK_CONNECT_TIMEOUT, async {
        let socket = if server.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .ok()?;
        socket.bind(SocketAddr::new(local.ip(), 0)).ok()?;
        let tcp = socket.connect(server).await.ok()?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn ByteStream> = match tls {
            None => Box::new(tcp),
            Some((config, host)) => {
                let name = rustls::pki_types::ServerName::try_from(host).ok()?;
                let tls = tokio_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .ok()?;
                Box::new(tls)
            }
        };
        Some(stream)
    })
    .await
    .ok()
    .flatten();
    if let Some(stream) = stream {
        let (mut reader, mut writer) = tokio::io::split(stream);
        let mut pending: Vec<u8> = Vec::new();
        let mut chunk = vec![0u8; 16_384];
        loop {
            tokio::select! {
                out = outgoing.recv() => {
                    let Some(bytes) = out else { break };
                    if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                        break;
                    }
                }
                n = reader.read(&mut chunk) => {
                    let n = match n {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    pending.extend_from_slice(&chunk[..n]);
                    let mut bad = false;
                    while !pending.is_empty() {
                        match rtcpeer_proto::ice::tcp::turn_frame_len(&pending) {
                            Some(len) if len <= pending.len() => {
                                let bytes: Vec<u8> = pending.drain(..len).collect();
                                signals.wake.notify_one();
                                if to_actor.send(LinkMessage::Data { local, server, bytes }).await.is_err() {
                                    bad = true;
                                    break;
                                }
                            }
                            Some(_) => break,
                            // Not enough for a header yet, or garbage.
                            None => {
                                bad = pending.len() >= 4;
                                break;
                            }
                        }
                    }
                    if bad || pending.len() > 1 << 20 {
                        break;
                    }
                }
            }
        }
    }
    signals.wake.notify_one();
    let _ = to_actor.send(LinkMessage::Closed { local, server }).await;
    signals.wake.notify_one();
}

/// One ICE-TCP connection a peer opened to our passive candidate `local`:
/// frames what the actor sends (RFC 4571), reads frames back.
async fn ice_tcp_link(
    local: SocketAddr,
    remote: SocketAddr,
    stream: tokio::net::TcpStream,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    to_actor: mpsc::Sender<LinkMessage>,
    signals: Arc<Signals>,
) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let mut decoder = rtcpeer_proto::ice::tcp::FrameDecoder::new();
    let mut chunk = vec![0u8; 16_384];
    let mut framed = Vec::new();
    let mut framed_any = false;
    let first_frame = tokio::time::sleep(ICE_TCP_FIRST_FRAME);
    tokio::pin!(first_frame);
    'link: loop {
        tokio::select! {
            _ = &mut first_frame, if !framed_any => break,
            out = outgoing.recv() => {
                let Some(bytes) = out else { break };
                framed.clear();
                if !rtcpeer_proto::ice::tcp::frame(&bytes, &mut framed) {
                    continue;
                }
                if writer.write_all(&framed).await.is_err() {
                    break;
                }
            }
            n = reader.read(&mut chunk) => {
                let n = match n {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                decoder.push(&chunk[..n]);
                while let Some(frame) = decoder.next_frame() {
                    framed_any = true;
                    let bytes = frame.to_vec();
                    signals.wake.notify_one();
                    let data = LinkMessage::Data { local, server: remote, bytes };
                    if to_actor.send(data).await.is_err() {
                        break 'link;
                    }
                }
            }
        }
    }
    signals.wake.notify_one();
    let closed = LinkMessage::Closed {
        local,
        server: remote,
    };
    let _ = to_actor.send(closed).await;
    signals.wake.notify_one();
}

/// Waits for a connection on any of the ICE-TCP listeners.
fn poll_accept_any(
    listeners: &[(tokio::net::TcpListener, SocketAddr)],
    cx: &mut std::task::Context<'_>,
) -> Poll<(SocketAddr, tokio::net::TcpStream, SocketAddr)> {
    for (l, addr) in listeners {
        if let Poll::Ready(Ok((stream, peer))) = l.poll_accept(cx) {
            return Poll::Ready((*addr, stream, peer));
        }
    }
    Poll::Pending
}

/// Accepts exactly the pinned certificates ([`Settings::turn_tls_certificates`]),
/// still checking the handshake's signatures with their keys.
#[derive(Debug)]
struct PinnedCertificates {
    certificates: Vec<Vec<u8>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedCertificates {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self
            .certificates
            .iter()
            .any(|c| c.as_slice() == end_entity.as_ref())
        {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS client configuration for `turns:` servers.
fn tls_config(settings: &Settings) -> Option<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?;
    let config = if settings.turn_tls_certificates.is_empty() {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedCertificates {
                certificates: settings.turn_tls_certificates.clone(),
                provider,
            }))
            .with_no_client_auth()
    };
    Some(Arc::new(config))
}

/// What woke the actor.
enum Got {
    Udp(usize, usize, SocketAddr),
    Mux(SocketAddr, Vec<u8>),
    Mdns(Vec<(String, IpAddr)>),
    Accepted(SocketAddr, tokio::net::TcpStream, SocketAddr),
    /// An API call (or a link task) woke the actor.
    Woken,
    Link(LinkMessage),
    Nothing,
}

async fn run(weak: Weak<Shared>, signals: Arc<Signals>, settings: Settings) {
    // Single-port mode: no sockets of our own, the mux's address only.
    let mut mux: Option<MuxConn> = settings.udp_mux.as_ref().map(|m| m.register());
    let (addrs, sockets): (Vec<SocketAddr>, Vec<UdpSocket>) = match &mux {
        Some(m) => (vec![m.local_addr()], Vec::new()),
        None => {
            let bound = bind_sockets(&settings).await;
            let addrs = bound.iter().map(|(_, a)| *a).collect();
            (addrs, bound.into_iter().map(|(s, _)| s).collect())
        }
    };
    // ICE-TCP passive candidates: a listener beside each host socket.
    let mut tcp_listeners: Vec<(tokio::net::TcpListener, SocketAddr)> = Vec::new();
    if settings.ice_tcp && mux.is_none() {
        for a in &addrs {
            if let Ok(l) = tokio::net::TcpListener::bind(SocketAddr::new(a.ip(), 0)).await {
                if let Ok(la) = l.local_addr() {
                    tcp_listeners.push((l, la));
                }
            }
        }
    }
    let families = (
        addrs.iter().any(|a| a.is_ipv4()),
        addrs.iter().any(|a| a.is_ipv6()),
    );
    let (servers, tls_hosts) = match weak.upgrade() {
        Some(shared) => resolve_servers(&shared, families).await,
        None => return,
    };
    let turn_tcp: std::collections::HashSet<SocketAddr> = servers
        .iter()
        .filter_map(|s| match s {
            Server::Turn {
                addr,
                proto: Protocol::Tcp,
                ..
            } => Some(*addr),
            _ => None,
        })
        .collect();
    let tls = if tls_hosts.is_empty() {
        None
    } else {
        tls_config(&settings)
    };
    let (link_tx, mut link_rx) = mpsc::channel::<LinkMessage>(LINK_QUEUE);
    let mut links: HashMap<(SocketAddr, SocketAddr), mpsc::UnboundedSender<Vec<u8>>> =
        HashMap::new();
    // The links peers opened to our passive candidates (MAX_ICE_TCP_CONNECTIONS).
    let mut accepted: HashSet<(SocketAddr, SocketAddr)> = HashSet::new();
    let mut buf = vec![0u8; RECV_BUFFER];
    let mut gathered = false;
    // Opened when a remote candidate names a `.local` host.
    let mut resolver: Option<Resolver> = None;
    // Our host addresses' mDNS names (Settings::mdns_host_names).
    let mut own_names: Vec<(IpAddr, String)> = Vec::new();
    let mut serving = 0;
    loop {
        let deadline = match weak.upgrade() {
            Some(shared) => {
                let core = shared.core();
                if let Some(m) = &mut mux {
                    // After an ICE restart too: checks name the new ufrag.
                    m.add_ufrag(core.local_ice_credentials().0);
                }
                core.poll_timeout()
            }
            None => break,
        };
        let far = Instant::now() + Duration::from_secs(3600);
        let deadline = match (deadline, resolver.as_ref().and_then(|r| r.next_timeout())) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = tokio::time::sleep_until(deadline.unwrap_or(far).into());
        let got = tokio::select! {
            r = poll_fn(|cx| poll_recv_any(&sockets, &mut buf, cx)) => Got::Udp(r.0, r.1, r.2),
            Some(m) = link_rx.recv() => Got::Link(m),
            Some((from, data)) = async {
                match &mut mux {
                    Some(m) => m.rx.recv().await,
                    None => std::future::pending().await,
                }
            } => Got::Mux(from, data),
            answers = async {
                match &mut resolver {
                    Some(r) => r.recv().await,
                    None => std::future::pending().await,
                }
            } => Got::Mdns(answers),
            (local, stream, peer) = poll_fn(|cx| poll_accept_any(&tcp_listeners, cx)) => {
                Got::Accepted(local, stream, peer)
            }
            _ = sleep => Got::Nothing,
            _ = signals.wake.notified() => Got::Woken,
            _ = signals.shutdown.notified() => break,
        };
        let Some(shared) = weak.upgrade() else {
            break;
        };
        let mut transmits = Vec::new();
        let mut unresolved = Vec::new();
        let mut woke = false;
        let mut events = Vec::new();
        let mut media = Vec::new();
        let closed = {
            let mut core = shared.core();
            let now = Instant::now();
            if core.take_gathering_request() || !gathered {
                // Host candidates: every bound socket (registered once; an
                // ICE restart keeps the same sockets).
                if !gathered {
                    for a in &addrs {
                        if settings.mdns_host_names {
                            let ip = a.ip();
                            let name = own_names
                                .iter()
                                .find(|(i, _)| *i == ip)
                                .map(|(_, n)| n.clone())
                                .unwrap_or_else(|| {
                                    let n = crate::mdns::random_name();
                                    own_names.push((ip, n.clone()));
                                    n
                                });
                            core.set_local_host_name(ip, &name);
                        }
                        core.add_host_candidate(now, *a);
                    }
                    for (_, a) in &tcp_listeners {
                        if settings.mdns_host_names {
                            if let Some((_, name)) = own_names.iter().find(|(i, _)| *i == a.ip()) {
                                core.set_local_host_name(a.ip(), name);
                            }
                        }
                        core.add_tcp_host_candidate(now, *a);
                    }
                    for s in &servers {
                        match s {
                            Server::Stun { addr, url } => core.add_stun_server(now, *addr, url),
                            Server::Turn {
                                addr,
                                proto,
                                username,
                                credential,
                                url,
                            } => {
                                core.add_turn_server(now, *addr, *proto, username, credential, url)
                            }
                            Server::Failed { url, text } => {
                                core.report_ice_server_error(url, 701, text)
                            }
                        }
                    }
                    core.end_of_local_candidates(now);
                    gathered = true;
                }
            }
            let mut udp = None;
            match got {
                Got::Udp(i, n, from) => udp = Some((i, n, from)),
                Got::Link(LinkMessage::Data {
                    local,
                    server,
                    bytes,
                }) => {
                    core.handle_receive_over(now, local, server, Protocol::Tcp, &bytes);
                    // What else the links have waiting, a batch under one lock.
                    for _ in 0..BATCH {
                        let Ok(m) = link_rx.try_recv() else { break };
                        match m {
                            LinkMessage::Data {
                                local,
                                server,
                                bytes,
                            } => {
                                core.handle_receive_over(now, local, server, Protocol::Tcp, &bytes)
                            }
                            LinkMessage::Closed { local, server } => {
                                links.remove(&(local, server));
                                accepted.remove(&(local, server));
                            }
                        }
                    }
                }
                Got::Link(LinkMessage::Closed { local, server }) => {
                    links.remove(&(local, server));
                    accepted.remove(&(local, server));
                }
                Got::Mux(from, data) => {
                    core.handle_receive(now, addrs[0], from, &data);
                    if let Some(m) = &mut mux {
                        for _ in 0..BATCH {
                            let Ok((from, data)) = m.rx.try_recv() else {
                                break;
                            };
                            core.handle_receive(now, addrs[0], from, &data);
                        }
                    }
                }
                Got::Mdns(answers) => {
                    let names = core.unresolved_remote_hostnames();
                    for (name, ip) in answers {
                        for n in names.iter().filter(|n| n.eq_ignore_ascii_case(&name)) {
                            core.resolve_remote_hostname(now, n, ip);
                        }
                    }
                }
                Got::Accepted(local, stream, peer) => 'accept: {
                    if accepted.len() >= MAX_ICE_TCP_CONNECTIONS
                        || links.contains_key(&(local, peer))
                    {
                        // Dropping the stream closes it.
                        core.count_refused_tcp_connection();
                        break 'accept;
                    }
                    accepted.insert((local, peer));
                    let (tx, rx) = mpsc::unbounded_channel();
                    tokio::spawn(ice_tcp_link(
                        local,
                        peer,
                        stream,
                        rx,
                        link_tx.clone(),
                        signals.clone(),
                    ));
                    links.insert((local, peer), tx);
                }
                Got::Woken => woke = true,
                Got::Nothing => {}
            }
            if let Some((i, n, from)) = udp {
                core.handle_receive(now, addrs[i], from, &buf[..n]);
                // Take what else the kernel holds, under the same lock.
                let mut budget = BATCH;
                while budget > 0 {
                    let mut any = false;
                    for (j, s) in sockets.iter().enumerate() {
                        if let Ok((n, from)) = s.try_recv_from(&mut buf) {
                            core.handle_receive(now, addrs[j], from, &buf[..n]);
                            any = true;
                            budget -= 1;
                        }
                    }
                    if !any {
                        break;
                    }
                }
            }
            core.handle_timeout(now);
            if woke {
                // Remote candidates come with API calls (a wake-up).
                unresolved = core.unresolved_remote_hostnames();
            }
            while let Some(t) = core.poll_transmit() {
                transmits.push(t);
            }
            while let Some(e) = core.poll_event() {
                events.push(e);
            }
            while let Some(m) = core.poll_media_event() {
                media.push(m);
            }
            core.is_closed()
        };
        for e in events {
            shared.dispatch(e);
        }
        shared.dispatch_media(media);
        drop(shared);
        if (!unresolved.is_empty() || own_names.len() > serving) && resolver.is_none() {
            resolver = Resolver::open();
        }
        if let Some(r) = &mut resolver {
            for (ip, name) in &own_names[serving..] {
                r.serve(name, *ip);
            }
            serving = own_names.len();
            let now = Instant::now();
            r.ask(&unresolved, now).await;
            r.handle_timeout(now).await;
        }
        for t in transmits {
            if t.proto == Protocol::Tcp {
                // On an ICE-TCP connection the peer opened, or to a TURN
                // server over TCP or TLS (connected on first use); anything
                // else (e.g. toward an active candidate's port 9) has no
                // connection and is dropped.
                let key = (t.local, t.remote);
                if !links.contains_key(&key) && !turn_tcp.contains(&t.remote) {
                    continue;
                }
                let link = links.entry(key).or_insert_with(|| {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let tls = tls_hosts
                        .get(&t.remote)
                        .and_then(|host| Some((tls.clone()?, host.clone())));
                    tokio::spawn(turn_link(
                        t.local,
                        t.remote,
                        tls,
                        rx,
                        link_tx.clone(),
                        signals.clone(),
                    ));
                    tx
                });
                if link.send(t.data).is_err() {
                    links.remove(&key);
                }
                continue;
            }
            if let Some(m) = &mux {
                if t.local == m.local_addr() {
                    m.send_to(&t.data, t.remote).await;
                }
                continue;
            }
            let Some(i) = addrs.iter().position(|a| *a == t.local) else {
                continue;
            };
            match sockets[i].try_send_to(&t.data, t.remote) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let _ = sockets[i].send_to(&t.data, t.remote).await;
                }
                Err(_) => {}
            }
        }
        if closed {
            break;
        }
    }
}
