//! Single-port mode: many connections of one process share one UDP socket.
//!
//! A [`UdpMux`] owns the socket and one reader task. Each connection whose
//! [`Settings::udp_mux`](crate::Settings::udp_mux) names the mux registers
//! itself when its network actor starts, with its local ICE ufrag (again
//! after each ICE restart). An incoming datagram goes to:
//!
//! 1. a STUN request whose `USERNAME` starts with a registered ufrag: that
//!    connection (first contact; the sender's address is then learned);
//! 2. a STUN response to a request a connection sent: that connection (by
//!    transaction id — e.g. two connections asking the same STUN server);
//! 3. anything else from a learned address: that address's connection
//!    (addresses are learned from requests received and from datagrams sent).
//!
//! Anything else is dropped and counted ([`UdpMux::dropped`]). The socket is
//! closed when the last [`UdpMux`] handle and the last connection using it
//! are gone.
//!
//! Limitation: relayed (TURN) traffic of several connections through the
//! same TURN server is not told apart (Data indications and ChannelData come
//! from the server's one address); use host candidates with a mux.

use std::collections::HashMap;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::Poll;

use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, Notify};

/// How many datagrams may wait for one connection's actor before more are
/// dropped.
const QUEUE: usize = 1024;
/// At most this many outstanding STUN transaction ids are remembered.
const MAX_TRANSACTIONS: usize = 16_384;

/// A UDP socket shared by many PeerConnections (single-port mode, for
/// servers). Cheap to clone; every clone is the same socket. Put it in
/// [`Settings::udp_mux`](crate::Settings::udp_mux) of each connection that
/// should use it: their host candidate is then this socket's address only.
#[derive(Clone)]
pub struct UdpMux {
    inner: Arc<MuxInner>,
}

impl std::fmt::Debug for UdpMux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpMux")
            .field("local_addr", &self.inner.local)
            .field("connections", &self.connections())
            .finish()
    }
}

impl PartialEq for UdpMux {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
impl Eq for UdpMux {}

struct MuxInner {
    socket: UdpSocket,
    local: SocketAddr,
    routes: Mutex<Routes>,
    next_id: AtomicU64,
    dropped: AtomicU64,
    stop: Arc<Notify>,
}

impl Drop for MuxInner {
    fn drop(&mut self) {
        // The socket closes with this struct; the reader task ends.
        self.stop.notify_one();
    }
}

#[derive(Default)]
struct Routes {
    queues: HashMap<u64, mpsc::Sender<(SocketAddr, Vec<u8>)>>,
    by_ufrag: HashMap<String, u64>,
    by_addr: HashMap<SocketAddr, u64>,
    by_transaction: HashMap<[u8; 12], u64>,
}

impl UdpMux {
    /// Binds the shared socket on `addr` (port 0 picks one). The address
    /// must be a specific one (it is the connections' host candidate), not
    /// `0.0.0.0` or `::`. Must be called inside a tokio runtime.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<UdpMux> {
        if addr.ip().is_unspecified() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a UdpMux needs a specific address (it becomes the host candidate)",
            ));
        }
        let socket = UdpSocket::bind(addr).await?;
        let local = socket.local_addr()?;
        let stop = Arc::new(Notify::new());
        let inner = Arc::new(MuxInner {
            socket,
            local,
            routes: Mutex::new(Routes::default()),
            next_id: AtomicU64::new(1),
            dropped: AtomicU64::new(0),
            stop: stop.clone(),
        });
        tokio::spawn(read_loop(Arc::downgrade(&inner), stop));
        Ok(UdpMux { inner })
    }

    /// The socket's address (every connection's host candidate).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// How many connections use the socket now.
    pub fn connections(&self) -> usize {
        self.inner.routes().queues.len()
    }

    /// Datagrams dropped: no connection could be told from them, or the
    /// connection's queue was full.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Registers a connection; it receives its datagrams on the returned
    /// handle's queue until the handle is dropped.
    pub(crate) fn register(&self) -> MuxConn {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        self.inner.routes().queues.insert(id, tx);
        MuxConn {
            mux: self.inner.clone(),
            id,
            rx,
            ufrags: Vec::new(),
        }
    }
}

impl MuxInner {
    fn routes(&self) -> MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands one datagram to its connection, or drops it.
    fn route(&self, from: SocketAddr, data: &[u8]) {
        let mut routes = self.routes();
        let stun = parse_stun(data);
        let id = match &stun {
            Some(Stun::Request { ufrag: Some(u) }) => {
                let id = routes.by_ufrag.get(*u).copied();
                if let Some(id) = id {
                    routes.by_addr.entry(from).or_insert(id);
                }
                id.or_else(|| routes.by_addr.get(&from).copied())
            }
            Some(Stun::Response { transaction }) => routes
                .by_transaction
                .remove(transaction)
                .or_else(|| routes.by_addr.get(&from).copied()),
            _ => routes.by_addr.get(&from).copied(),
        };
        let delivered = id
            .and_then(|id| routes.queues.get(&id))
            .is_some_and(|q| q.try_send((from, data.to_vec())).is_ok());
        if !delivered {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One connection's registration with a [`UdpMux`]; unregisters on drop.
pub(crate) struct MuxConn {
    mux: Arc<MuxInner>,
    id: u64,
    pub(crate) rx: mpsc::Receiver<(SocketAddr, Vec<u8>)>,
    ufrags: Vec<String>,
}

impl MuxConn {
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.mux.local
    }

    /// Datagrams whose STUN USERNAME starts with `ufrag` are this
    /// connection's (kept until the connection goes, so checks on the old
    /// credentials still arrive during an ICE restart).
    pub(crate) fn add_ufrag(&mut self, ufrag: &str) {
        if ufrag.is_empty() || self.ufrags.iter().any(|u| u == ufrag) {
            return;
        }
        self.ufrags.push(ufrag.to_string());
        self.mux
            .routes()
            .by_ufrag
            .entry(ufrag.to_string())
            .or_insert(self.id);
    }

    /// Notes what a datagram we send tells about routing its answers.
    fn note_send(&self, remote: SocketAddr, data: &[u8]) {
        let mut routes = self.mux.routes();
        routes.by_addr.entry(remote).or_insert(self.id);
        if let Some(Stun::Request { .. }) = parse_stun(data) {
            if routes.by_transaction.len() >= MAX_TRANSACTIONS {
                routes.by_transaction.clear();
            }
            let mut t = [0u8; 12];
            t.copy_from_slice(&data[8..20]);
            routes.by_transaction.insert(t, self.id);
        }
    }

    /// Sends without waiting when the kernel takes it, else waits.
    pub(crate) async fn send_to(&self, data: &[u8], remote: SocketAddr) {
        self.note_send(remote, data);
        match self.mux.socket.try_send_to(data, remote) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let _ = self.mux.socket.send_to(data, remote).await;
            }
            Err(_) => {}
        }
    }
}

impl Drop for MuxConn {
    fn drop(&mut self) {
        let id = self.id;
        let mut routes = self.mux.routes();
        routes.queues.remove(&id);
        for u in &self.ufrags {
            if routes.by_ufrag.get(u) == Some(&id) {
                routes.by_ufrag.remove(u);
            }
        }
        routes.by_addr.retain(|_, v| *v != id);
        routes.by_transaction.retain(|_, v| *v != id);
    }
}

/// The reader: holds the mux only weakly, so dropping the last handle
/// closes the socket at once.
async fn read_loop(weak: Weak<MuxInner>, stop: Arc<Notify>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let got = tokio::select! {
            r = poll_fn(|cx| {
                let Some(inner) = weak.upgrade() else {
                    return Poll::Ready(None);
                };
                let mut rb = ReadBuf::new(&mut buf);
                match inner.socket.poll_recv_from(cx, &mut rb) {
                    Poll::Ready(Ok(from)) => Poll::Ready(Some(Some((rb.filled().len(), from)))),
                    // An ICMP error reported once: poll again.
                    Poll::Ready(Err(_)) => Poll::Ready(Some(None)),
                    Poll::Pending => Poll::Pending,
                }
            }) => r,
            _ = stop.notified() => None,
        };
        let Some(got) = got else { break };
        let Some(inner) = weak.upgrade() else { break };
        if let Some((n, from)) = got {
            inner.route(from, &buf[..n]);
        }
        // Whatever else the kernel holds, with the same strong reference.
        for _ in 0..64 {
            match inner.socket.try_recv_from(&mut buf) {
                Ok((n, from)) => inner.route(from, &buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {}
            }
        }
    }
}

/// What routing needs of a STUN message.
#[derive(Debug, PartialEq, Eq)]
enum Stun<'a> {
    Request { ufrag: Option<&'a str> },
    Indication,
    Response { transaction: [u8; 12] },
}

/// Reads a STUN header and the USERNAME attribute; `None` when `data` is
/// not STUN (or is malformed).
fn parse_stun(data: &[u8]) -> Option<Stun<'_>> {
    if data.len() < 20 || data[0] & 0xc0 != 0 || data[4..8] != [0x21, 0x12, 0xa4, 0x42] {
        return None;
    }
    let len = u16::from_be_bytes([data[2], data[3]]) as usize;
    let body = data.get(20..20 + len)?;
    let ty = u16::from_be_bytes([data[0], data[1]]);
    match ty & 0x0110 {
        0x0000 => {}
        0x0010 => return Some(Stun::Indication),
        _ => {
            let mut transaction = [0u8; 12];
            transaction.copy_from_slice(&data[8..20]);
            return Some(Stun::Response { transaction });
        }
    }
    let mut at = 0;
    while at + 4 <= body.len() {
        let kind = u16::from_be_bytes([body[at], body[at + 1]]);
        let alen = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
        let value = body.get(at + 4..at + 4 + alen)?;
        if kind == 0x0006 {
            let name = std::str::from_utf8(value).ok()?;
            let ufrag = name.split(':').next().filter(|u| !u.is_empty());
            return Some(Stun::Request { ufrag });
        }
        at += 4 + alen.div_ceil(4) * 4;
    }
    Some(Stun::Request { ufrag: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stun(ty: u16, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (k, v) in attrs {
            body.extend_from_slice(&k.to_be_bytes());
            body.extend_from_slice(&(v.len() as u16).to_be_bytes());
            body.extend_from_slice(v);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut m = ty.to_be_bytes().to_vec();
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn username_gives_the_receivers_ufrag() {
        let m = stun(0x0001, &[(0x8022, b"x"), (0x0006, b"abcd:efgh")]);
        assert_eq!(
            parse_stun(&m),
            Some(Stun::Request {
                ufrag: Some("abcd")
            })
        );
        assert_eq!(
            parse_stun(&stun(0x0101, &[])),
            Some(Stun::Response {
                transaction: [7; 12]
            })
        );
        assert_eq!(parse_stun(&stun(0x0011, &[])), Some(Stun::Indication));
    }

    #[test]
    fn hostile_input_is_not_stun() {
        let m = stun(0x0001, &[(0x0006, b"abcd:efgh")]);
        for cut in 0..m.len() {
            // Truncated messages never panic; most are not STUN at all.
            let _ = parse_stun(&m[..cut]);
        }
        let mut bad = m.clone();
        bad[3] = 0xff; // length past the end
        assert_eq!(parse_stun(&bad), None);
        let mut lying = m.clone();
        lying[22..24].copy_from_slice(&200u16.to_be_bytes()); // attribute too long
        assert_eq!(parse_stun(&lying), None);
        assert_eq!(parse_stun(&[0x17, 0xfe, 0xfd, 0, 0]), None);
    }
}
