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

use std::future::poll_fn;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::Notify;

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
}

impl Settings {
    /// Gather on 127.0.0.1 only.
    pub fn loopback_only() -> Settings {
        Settings {
            interfaces: InterfaceFilter::LoopbackOnly,
            include_loopback: true,
        }
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

async fn run(weak: Weak<Shared>, signals: Arc<Signals>, settings: Settings) {
    let bound = bind_sockets(&settings).await;
    let addrs: Vec<SocketAddr> = bound.iter().map(|(_, a)| *a).collect();
    let sockets: Vec<UdpSocket> = bound.into_iter().map(|(s, _)| s).collect();
    let mut buf = vec![0u8; 65_536];
    let mut gathered = false;
    loop {
        let deadline = match weak.upgrade() {
            Some(shared) => shared.core().poll_timeout(),
            None => break,
        };
        let far = Instant::now() + Duration::from_secs(3600);
        let sleep = tokio::time::sleep_until(deadline.unwrap_or(far).into());
        let got = tokio::select! {
            r = poll_fn(|cx| poll_recv_any(&sockets, &mut buf, cx)) => Some(r),
            _ = sleep => None,
            _ = signals.wake.notified() => None,
            _ = signals.shutdown.notified() => break,
        };
        let Some(shared) = weak.upgrade() else {
            break;
        };
        let mut transmits = Vec::new();
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
                        core.add_host_candidate(now, *a);
                    }
                    core.end_of_local_candidates(now);
                    gathered = true;
                }
            }
            if let Some((i, n, from)) = got {
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
        for t in transmits {
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
