//! A fake TURN server (RFC 8656 subset) for tests: long-term credentials
//! with a 401 challenge, Allocate, Refresh, CreatePermission, ChannelBind,
//! Send/Data indications and ChannelData. Also answers plain Binding
//! requests, so it doubles as a STUN server.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use rtcpeer_stun::integrity::long_term_key_md5;
use rtcpeer_stun::{
    Attribute, ChannelData, Class, ErrorCode, Integrity, Message, Method, TransactionId,
};

pub const REALM: &str = "test.realm";

struct Alloc {
    relayed: SocketAddr,
    permissions: Vec<IpAddr>,
    channels: HashMap<u16, SocketAddr>,
}

pub struct FakeTurn {
    pub addr: SocketAddr,
    pub username: String,
    pub password: String,
    allocs: HashMap<SocketAddr, Alloc>,
    next_port: u16,
    out: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
    pub allocate_requests: u64,
    pub refreshes: u64,
    pub permissions_created: u64,
    /// Peer IP of every CreatePermission, in order.
    pub permission_log: Vec<IpAddr>,
    pub channels_bound: u64,
    pub relayed_packets: u64,
    pub channel_data_packets: u64,
    /// When false the server never answers (unreachable).
    pub alive: bool,
    /// The current nonce; change it to make clients see 438 Stale Nonce.
    pub nonce: String,
    pub stale_nonce_errors: u64,
    /// A second address that answers every request with 300 Try Alternate.
    pub redirect_from: Option<SocketAddr>,
}

impl FakeTurn {
    pub fn new(addr: &str, username: &str, password: &str) -> FakeTurn {
        FakeTurn {
            addr: addr.parse().unwrap(),
            username: username.into(),
            password: password.into(),
            allocs: HashMap::new(),
            next_port: 50000,
            out: Vec::new(),
            allocate_requests: 0,
            refreshes: 0,
            permissions_created: 0,
            permission_log: Vec::new(),
            channels_bound: 0,
            relayed_packets: 0,
            channel_data_packets: 0,
            alive: true,
            nonce: "nonce-1".into(),
            stale_nonce_errors: 0,
            redirect_from: None,
        }
    }

    /// The server's own address or one of its relayed addresses.
    pub fn owns(&self, a: SocketAddr) -> bool {
        a == self.addr
            || Some(a) == self.redirect_from
            || self.allocs.values().any(|x| x.relayed == a)
    }

    pub fn drain(&mut self) -> Vec<(SocketAddr, SocketAddr, Vec<u8>)> {
        std::mem::take(&mut self.out)
    }

    fn key(&self) -> [u8; 16] {
        long_term_key_md5(&self.username, REALM, &self.password)
    }

    pub fn receive(&mut self, src: SocketAddr, dst: SocketAddr, data: &[u8]) {
        if !self.alive {
            return;
        }
        if Some(dst) == self.redirect_from {
            let Ok(msg) = Message::decode(data) else {
                return;
            };
            let mut r = Message::new(Class::ErrorResponse, msg.method, msg.transaction_id);
            r.push(Attribute::ErrorCode(ErrorCode {
                code: 300,
                reason: "Try Alternate",
            }));
            r.push(Attribute::AlternateServer(self.addr));
            self.out.push((dst, src, r.to_vec(None, true)));
            return;
        }
        if dst != self.addr {
            self.relay_to_client(src, dst, data);
            return;
        }
        if rtcpeer_stun::is_channel_data(data) {
            let Ok(cd) = ChannelData::decode(data) else {
                return;
            };
            let Some(a) = self.allocs.get(&src) else {
                return;
            };
            let Some(peer) = a.channels.get(&cd.channel).copied() else {
                return;
            };
            let relayed = a.relayed;
            self.channel_data_packets += 1;
            self.out.push((relayed, peer, cd.data.to_vec()));
            return;
        }
        let Ok(msg) = Message::decode(data) else {
            return;
        };
        match (msg.class, msg.method) {
            (Class::Request, Method::Binding) => {
                let mut r =
                    Message::new(Class::SuccessResponse, Method::Binding, msg.transaction_id);
                r.push(Attribute::XorMappedAddress(src));
                self.out.push((self.addr, src, r.to_vec(None, true)));
            }
            (Class::Indication, Method::Send) => {
                let (Some(peer), Some(payload)) = (msg.peer_address(), msg.data()) else {
                    return;
                };
                let Some(a) = self.allocs.get(&src) else {
                    return;
                };
                if !a.permissions.contains(&peer.ip()) {
                    return;
                }
                self.relayed_packets += 1;
                self.out.push((a.relayed, peer, payload.to_vec()));
            }
            (Class::Request, m) => self.request(src, m, &msg, data),
            _ => {}
        }
    }

    fn request(&mut self, src: SocketAddr, method: Method, msg: &Message<'_>, raw: &[u8]) {
        let tid = msg.transaction_id;
        let key = self.key();
        // Long-term credentials: challenge anything unauthenticated.
        let authed = msg.has_integrity()
            && msg.username() == Some(self.username.as_str())
            && msg.verify_integrity(raw, &key).is_ok();
        if authed && msg.nonce() != Some(self.nonce.as_str()) {
            self.stale_nonce_errors += 1;
            let mut r = Message::new(Class::ErrorResponse, method, tid);
            r.push(Attribute::ErrorCode(ErrorCode {
                code: 438,
                reason: "Stale Nonce",
            }));
            r.push(Attribute::Realm(REALM));
            r.push(Attribute::Nonce(&self.nonce));
            self.out.push((self.addr, src, r.to_vec(None, true)));
            return;
        }
        if !authed {
            if method == Method::Allocate {
                self.allocate_requests += 1;
            }
            let mut r = Message::new(Class::ErrorResponse, method, tid);
            r.push(Attribute::ErrorCode(ErrorCode {
                code: 401,
                reason: "Unauthorized",
            }));
            r.push(Attribute::Realm(REALM));
            r.push(Attribute::Nonce(&self.nonce));
            self.out.push((self.addr, src, r.to_vec(None, true)));
            return;
        }
        let mut r = Message::new(Class::SuccessResponse, method, tid);
        match method {
            Method::Allocate => {
                self.allocate_requests += 1;
                if !self.allocs.contains_key(&src) {
                    let relayed = SocketAddr::new(self.addr.ip(), self.next_port);
                    self.next_port += 1;
                    self.allocs.insert(
                        src,
                        Alloc {
                            relayed,
                            permissions: Vec::new(),
                            channels: HashMap::new(),
                        },
                    );
                }
                let relayed = self.allocs[&src].relayed;
                r.push(Attribute::XorRelayedAddress(relayed));
                r.push(Attribute::XorMappedAddress(src));
                r.push(Attribute::Lifetime(600));
            }
            Method::Refresh => {
                self.refreshes += 1;
                if msg.lifetime() == Some(0) {
                    self.allocs.remove(&src);
                }
                r.push(Attribute::Lifetime(msg.lifetime().unwrap_or(600)));
            }
            Method::CreatePermission => {
                let (Some(a), Some(peer)) = (self.allocs.get_mut(&src), msg.peer_address()) else {
                    return self.error(src, method, tid, 437, "Allocation Mismatch");
                };
                if !a.permissions.contains(&peer.ip()) {
                    a.permissions.push(peer.ip());
                }
                self.permissions_created += 1;
                self.permission_log.push(peer.ip());
            }
            Method::ChannelBind => {
                let (Some(a), Some(peer), Some(ch)) = (
                    self.allocs.get_mut(&src),
                    msg.peer_address(),
                    msg.channel_number(),
                ) else {
                    return self.error(src, method, tid, 400, "Bad Request");
                };
                a.channels.insert(ch, peer);
                if !a.permissions.contains(&peer.ip()) {
                    a.permissions.push(peer.ip());
                }
                self.channels_bound += 1;
            }
            _ => return self.error(src, method, tid, 400, "Bad Request"),
        }
        self.out
            .push((self.addr, src, r.to_vec(Some(Integrity::Sha1(&key)), true)));
    }

    fn error(
        &mut self,
        src: SocketAddr,
        method: Method,
        tid: TransactionId,
        code: u16,
        reason: &str,
    ) {
        let key = self.key();
        let mut r = Message::new(Class::ErrorResponse, method, tid);
        r.push(Attribute::ErrorCode(ErrorCode { code, reason }));
        self.out
            .push((self.addr, src, r.to_vec(Some(Integrity::Sha1(&key)), true)));
    }

    /// A packet from a peer to one of our relayed addresses.
    fn relay_to_client(&mut self, peer: SocketAddr, relayed: SocketAddr, data: &[u8]) {
        let Some((client, a)) = self.allocs.iter().find(|(_, a)| a.relayed == relayed) else {
            return;
        };
        if !a.permissions.contains(&peer.ip()) {
            return;
        }
        let client = *client;
        let channel = a
            .channels
            .iter()
            .find(|(_, p)| **p == peer)
            .map(|(c, _)| *c);
        let mut out = Vec::new();
        match channel {
            Some(ch) => ChannelData::encode(ch, data, false, &mut out),
            None => {
                let mut tid = [0u8; 12];
                tid[..8].copy_from_slice(&self.relayed_packets.to_be_bytes());
                let mut m = Message::new(
                    Class::Indication,
                    Method::Data,
                    TransactionId::from_bytes(tid),
                );
                m.push(Attribute::XorPeerAddress(peer));
                m.push(Attribute::Data(data));
                m.encode(None, false, &mut out);
            }
        }
        self.relayed_packets += 1;
        self.out.push((self.addr, client, out));
    }
}
