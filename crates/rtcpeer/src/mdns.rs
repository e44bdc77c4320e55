//! Minimal mDNS (RFC 6762) for ICE: resolving a peer's `<uuid>.local` host
//! candidates (as browsers offer them) to addresses.
//!
//! A connection with unresolved `.local` remote candidates opens one socket
//! on 0.0.0.0:5353 (shared with other responders by `SO_REUSEADDR`), joins
//! 224.0.0.251 on every IPv4 interface, and asks for each name's A record out
//! of every interface (at once, then after 1 s and 3 s). Answers, which come
//! by multicast, hand the address to the ICE agent; the candidate is then
//! paired like any host candidate. Until then the peer's checks still reach
//! us and teach a peer-reflexive candidate, as before.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

/// The mDNS group and port.
pub(crate) const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
pub(crate) const PORT: u16 = 5353;

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

/// When each query is sent again, after the first (then given up).
const RETRIES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];

/// A query for the A records of `name` (id 0, one question).
pub(crate) fn query(name: &str) -> Option<Vec<u8>> {
    let mut m = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    write_name(&mut m, name)?;
    m.extend_from_slice(&TYPE_A.to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    Some(m)
}

fn write_name(m: &mut Vec<u8>, name: &str) -> Option<()> {
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    Some(())
}

/// Reads a (possibly compressed) name at `at`; the name and where the
/// record continues. `None` on anything malformed.
fn read_name(m: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *m.get(at)? as usize;
        if len == 0 {
            return Some((name, end.unwrap_or(at + 1)));
        }
        if len & 0xc0 == 0xc0 {
            let ptr = ((len & 0x3f) << 8) | *m.get(at + 1)? as usize;
            end.get_or_insert(at + 2);
            at = ptr;
            continue;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        let label = m.get(at + 1..at + 1 + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(std::str::from_utf8(label).ok()?);
        if name.len() > 255 {
            return None;
        }
        at += 1 + len;
    }
    None
}

fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]))
}

/// The A and AAAA records of a response (answers and additional records).
pub(crate) fn answers(m: &[u8]) -> Vec<(String, IpAddr)> {
    answers_inner(m).unwrap_or_default()
}

fn answers_inner(m: &[u8]) -> Option<Vec<(String, IpAddr)>> {
    let flags = u16_at(m, 2)?;
    if flags & 0x8000 == 0 {
        return None; // a query
    }
    let qd = u16_at(m, 4)?;
    let records = u16_at(m, 6)? as usize + u16_at(m, 8)? as usize + u16_at(m, 10)? as usize;
    let mut at = 12;
    for _ in 0..qd {
        at = read_name(m, at)?.1 + 4;
    }
    let mut out = Vec::new();
    for _ in 0..records.min(64) {
        let (name, next) = read_name(m, at)?;
        let ty = u16_at(m, next)?;
        let len = u16_at(m, next + 8)? as usize;
        let data = m.get(next + 10..next + 10 + len)?;
        match (ty, len) {
            (TYPE_A, 4) => {
                let ip = Ipv4Addr::new(data[0], data[1], data[2], data[3]);
                out.push((name, IpAddr::V4(ip)));
            }
            (TYPE_AAAA, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(data);
                out.push((name, IpAddr::from(b)));
            }
            _ => {}
        }
        at = next + 10 + len;
    }
    Some(out)
}

/// The questions of a query (QR clear): names and types.
pub(crate) fn questions(m: &[u8]) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    let (Some(flags), Some(qd)) = (u16_at(m, 2), u16_at(m, 4)) else {
        return out;
    };
    if flags & 0x8000 != 0 {
        return out;
    }
    let mut at = 12;
    for _ in 0..qd.min(32) {
        let Some((name, next)) = read_name(m, at) else {
            break;
        };
        let Some(ty) = u16_at(m, next) else { break };
        out.push((name, ty));
        at = next + 4;
    }
    out
}

/// An authoritative answer: `name` is at `ip` (A or AAAA), cache-flush,
/// TTL 120 s; `id` echoes a legacy unicast query's.
pub(crate) fn response(id: u16, name: &str, ip: IpAddr) -> Option<Vec<u8>> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    write_name(&mut m, name)?;
    let (ty, data) = match ip {
        IpAddr::V4(v4) => (TYPE_A, v4.octets().to_vec()),
        IpAddr::V6(v6) => (TYPE_AAAA, v6.octets().to_vec()),
    };
    m.extend_from_slice(&ty.to_be_bytes());
    m.extend_from_slice(&(0x8000 | CLASS_IN).to_be_bytes());
    m.extend_from_slice(&120u32.to_be_bytes());
    m.extend_from_slice(&(data.len() as u16).to_be_bytes());
    m.extend_from_slice(&data);
    Some(m)
}

/// A fresh `<uuid v4>.local` name.
pub(crate) fn random_name() -> String {
    let mut b = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        // Unique enough without the RNG: the time and this process.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        b = (t ^ ((std::process::id() as u128) << 64)).to_be_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}.local",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The IPv4 addresses of the interfaces to ask on.
fn interfaces() -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| match i.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One connection's resolver: its socket and the names it is asking for.
pub(crate) struct Resolver {
    socket: UdpSocket,
    interfaces: Vec<Ipv4Addr>,
    /// Name (lower case) → (when to ask again, how many retries were sent).
    asking: HashMap<String, (Instant, usize)>,
    /// Our own host names (lower case) and the addresses they stand for.
    own: HashMap<String, IpAddr>,
    /// When each of our names was last answered by multicast (at most once
    /// a second, RFC 6762 §6: a query arrives once per interface).
    answered: HashMap<String, Instant>,
    buf: Vec<u8>,
}

impl Resolver {
    /// Opens the mDNS socket; `None` when it cannot be had.
    pub(crate) fn open() -> Option<Resolver> {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )
        .ok()?;
        socket.set_reuse_address(true).ok()?;
        socket.set_nonblocking(true).ok()?;
        socket
            .bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT)).into())
            .ok()?;
        let interfaces = interfaces();
        for i in &interfaces {
            let _ = socket.join_multicast_v4(&GROUP, i);
        }
        let _ = socket.set_multicast_loop_v4(true);
        let _ = socket.set_multicast_ttl_v4(255);
        let socket = UdpSocket::from_std(socket.into()).ok()?;
        Some(Resolver {
            socket,
            interfaces,
            asking: HashMap::new(),
            own: HashMap::new(),
            answered: HashMap::new(),
            buf: vec![0u8; 9000],
        })
    }

    /// Starts asking for the names not asked yet.
    pub(crate) async fn ask(&mut self, names: &[String], now: Instant) {
        for name in names {
            let key = name.to_ascii_lowercase();
            if self.asking.contains_key(&key) {
                continue;
            }
            self.asking.insert(key, (now + RETRIES[0], 0));
            self.send_query(name).await;
        }
    }

    async fn send_query(&self, name: &str) {
        let Some(q) = query(name) else { return };
        let to = SocketAddr::from((GROUP, PORT));
        for i in &self.interfaces {
            let _ = socket2::SockRef::from(&self.socket).set_multicast_if_v4(i);
            let _ = self.socket.send_to(&q, to).await;
        }
    }

    /// When a query is due again.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.asking.values().map(|(at, _)| *at).min()
    }

    /// Sends the queries that are due; gives up on names asked often enough.
    pub(crate) async fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<String> = self
            .asking
            .iter()
            .filter(|(_, (at, n))| *at <= now && *n < RETRIES.len())
            .map(|(k, _)| k.clone())
            .collect();
        for name in due {
            if let Some((at, n)) = self.asking.get_mut(&name) {
                *n += 1;
                *at = match RETRIES.get(*n) {
                    Some(d) => now + *d,
                    // Given up: never due again (kept, so not asked again).
                    None => now + Duration::from_secs(86_400 * 365),
                };
            }
            self.send_query(&name).await;
        }
    }

    /// Answers queries for `name` with `ip` from now on.
    pub(crate) fn serve(&mut self, name: &str, ip: IpAddr) {
        self.own.insert(name.to_ascii_lowercase(), ip);
    }

    /// Answers a query that asks for one of our names.
    async fn answer(&mut self, n: usize, from: SocketAddr) {
        let m = &self.buf[..n];
        let id = u16_at(m, 0).unwrap_or(0);
        for (name, ty) in questions(m) {
            let key = name.to_ascii_lowercase();
            let Some(ip) = self.own.get(&key).copied() else {
                continue;
            };
            let wanted = match ip {
                IpAddr::V4(_) => TYPE_A,
                IpAddr::V6(_) => TYPE_AAAA,
            };
            if ty != wanted && ty != 255 {
                continue;
            }
            if from.port() != PORT {
                // A legacy unicast query (RFC 6762 §6.7): answer it directly.
                if let Some(r) = response(id, &name, ip) {
                    let _ = self.socket.send_to(&r, from).await;
                }
                continue;
            }
            let now = Instant::now();
            if self
                .answered
                .get(&key)
                .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1))
            {
                continue;
            }
            self.answered.insert(key, now);
            let Some(r) = response(0, &name, ip) else {
                continue;
            };
            for i in &self.interfaces {
                let _ = socket2::SockRef::from(&self.socket).set_multicast_if_v4(i);
                let _ = self
                    .socket
                    .send_to(&r, SocketAddr::from((GROUP, PORT)))
                    .await;
            }
        }
    }

    /// Waits for a datagram; answers it if it asks for one of our names;
    /// the answers it holds for names we ask for.
    pub(crate) async fn recv(&mut self) -> Vec<(String, IpAddr)> {
        let Ok((n, from)) = self.socket.recv_from(&mut self.buf).await else {
            return Vec::new();
        };
        if !self.own.is_empty() {
            self.answer(n, from).await;
        }
        answers(&self.buf[..n])
            .into_iter()
            .filter(|(name, _)| self.asking.contains_key(&name.to_ascii_lowercase()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_answer() {
        let q = query("abc-def.local").unwrap();
        assert_eq!(&q[12..], b"\x07abc-def\x05local\x00\x00\x01\x00\x01");
        assert!(answers(&q).is_empty(), "a query has no answers");
        let r = response(0, "abc-def.local", IpAddr::from([203, 0, 113, 2])).unwrap();
        assert_eq!(
            answers(&r),
            vec![("abc-def.local".to_string(), IpAddr::from([203, 0, 113, 2]))]
        );
    }

    #[test]
    fn questions_and_our_answers() {
        let q = query("abc.local").unwrap();
        assert_eq!(questions(&q), vec![("abc.local".to_string(), TYPE_A)]);
        let r = response(7, "abc.local", IpAddr::from([10, 1, 2, 3])).unwrap();
        assert!(questions(&r).is_empty(), "a response asks nothing");
        assert_eq!(
            answers(&r),
            vec![("abc.local".to_string(), IpAddr::from([10, 1, 2, 3]))]
        );
        let name = random_name();
        assert_eq!(name.len(), 36 + 6, "{name}");
        assert_eq!(&name[14..15], "4", "{name}");
        assert_ne!(name, random_name());
        for cut in 0..r.len() {
            let _ = questions(&q[..cut.min(q.len())]);
        }
    }

    #[test]
    fn compressed_names_and_hostile_input() {
        // A question, then an answer whose name points at the question's.
        let mut m = vec![0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        write_name(&mut m, "x.local").unwrap();
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 7]);
        assert_eq!(
            answers(&m),
            vec![("x.local".to_string(), IpAddr::from([10, 0, 0, 7]))]
        );
        for cut in 0..m.len() {
            let _ = answers(&m[..cut]);
        }
        // A pointer to itself ends, without an answer.
        let mut looped = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        looped.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
        assert!(answers(&looped).is_empty());
        assert!(query(&"a".repeat(64)).is_none());
    }
}
