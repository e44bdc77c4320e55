//! Real-peer tests against coturn on 127.0.0.1 (`scripts/install-peers`
//! installs it). Two agents with real UDP sockets on loopback connect through
//! coturn relays; wrong credentials get a 401 candidate error. If
//! `turnserver` is missing the tests fail: they never pass silently.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rtcpeer_ice::{
    Candidate, CandidateKind, Datagram, IceAgent, IceConfig, IceConnectionState, IceEvent, Protocol,
};

const USER: &str = "test";
const PASS: &str = "secret";

struct Coturn {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_coturn() -> Coturn {
    let port = free_udp_port();
    let child = Command::new("turnserver")
        .args([
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            &format!("--listening-port={port}"),
            "--lt-cred-mech",
            &format!("--user={USER}:{PASS}"),
            "--realm=rtcpeer.test",
            "--allow-loopback-peers",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--log-file=stdout",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("turnserver not found: run scripts/install-peers (apt-get install -y coturn)");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Wait until it answers a Binding request.
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    probe
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let req = rtcpeer_stun::Message::new(
        rtcpeer_stun::Class::Request,
        rtcpeer_stun::Method::Binding,
        rtcpeer_stun::TransactionId::from_bytes([7; 12]),
    )
    .to_vec(None, true);
    let start = Instant::now();
    let mut buf = [0u8; 1500];
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "coturn did not start"
        );
        probe.send_to(&req, addr).unwrap();
        if probe.recv_from(&mut buf).is_ok() {
            break;
        }
    }
    Coturn { child, addr }
}

struct Side {
    agent: IceAgent,
    socket: UdpSocket,
    /// A TCP connection to the TURN server, with unparsed bytes read.
    tcp: Option<(TcpStream, SocketAddr, Vec<u8>)>,
    events: Vec<IceEvent>,
    received: Vec<Vec<u8>>,
}

impl Side {
    fn new(controlling: bool) -> Side {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let mut agent = IceAgent::new(
            IceConfig {
                controlling,
                ..IceConfig::default()
            },
            Instant::now(),
        );
        agent
            .add_local_candidate(Candidate::host(
                socket.local_addr().unwrap(),
                Protocol::Udp,
                65535,
            ))
            .unwrap();
        Side {
            agent,
            socket,
            tcp: None,
            events: Vec::new(),
            received: Vec::new(),
        }
    }

    /// One round of I/O: receive everything waiting, run timers, send.
    fn pump(&mut self) {
        let mut buf = vec![0u8; 2048];
        let local = self.socket.local_addr().unwrap();
        while let Ok((n, from)) = self.socket.recv_from(&mut buf) {
            let d = Datagram {
                local,
                remote: from,
                proto: Protocol::Udp,
                data: &buf[..n],
            };
            if let Some(r) = self.agent.handle_receive(Instant::now(), d) {
                self.received.push(r.data.to_vec());
            }
        }
        if let Some((stream, server, pending)) = self.tcp.as_mut() {
            loop {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                }
            }
            while let Some(len) = rtcpeer_ice::tcp::turn_frame_len(pending) {
                if pending.len() < len {
                    break;
                }
                let frame: Vec<u8> = pending.drain(..len).collect();
                let d = Datagram {
                    local,
                    remote: *server,
                    proto: Protocol::Tcp,
                    data: &frame,
                };
                if let Some(r) = self.agent.handle_receive(Instant::now(), d) {
                    self.received.push(r.data.to_vec());
                }
            }
        }
        let now = Instant::now();
        if self.agent.poll_timeout().is_some_and(|t| t <= now) {
            self.agent.handle_timeout(now);
        }
        while let Some(t) = self.agent.poll_transmit(Instant::now()) {
            assert!(t.remote.ip().is_loopback(), "only loopback traffic");
            match t.proto {
                Protocol::Udp => {
                    let _ = self.socket.send_to(&t.data, t.remote);
                }
                Protocol::Tcp => {
                    let (stream, server, _) = self
                        .tcp
                        .as_mut()
                        .expect("TCP transmit without a connection");
                    assert_eq!(*server, t.remote);
                    stream.write_all(&t.data).unwrap();
                }
            }
        }
        while let Some(e) = self.agent.poll_event() {
            self.events.push(e);
        }
    }

    fn relayed(&self) -> Vec<Candidate> {
        self.events
            .iter()
            .filter_map(|e| match e {
                IceEvent::LocalCandidate(c) if c.kind == CandidateKind::Relayed => Some(c.clone()),
                _ => None,
            })
            .collect()
    }
}

fn pump_until(
    sides: &mut [&mut Side],
    limit: Duration,
    done: impl Fn(&[&mut Side]) -> bool,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        for s in sides.iter_mut() {
            s.pump();
        }
        if done(sides) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[test]
fn two_agents_connect_through_coturn_relays() {
    let turn = start_coturn();
    let mut a = Side::new(true);
    let mut b = Side::new(false);
    for s in [&mut a, &mut b] {
        s.agent
            .add_turn_server(turn.addr, Protocol::Udp, USER, PASS);
        s.agent.end_of_local_candidates();
    }
    assert!(
        pump_until(&mut [&mut a, &mut b], Duration::from_secs(10), |s| s
            .iter()
            .all(|x| x.agent.is_gathering_complete())),
        "gathering did not complete"
    );
    let (ra, rb) = (a.relayed(), b.relayed());
    assert_eq!(
        (ra.len(), rb.len()),
        (1, 1),
        "a: {:?} b: {:?}",
        a.events,
        b.events
    );
    assert_ne!(ra[0].address.port(), turn.addr.port());

    // Signal only the relayed candidates: every working pair goes through coturn.
    let creds = |s: &Side| {
        let (u, p) = s.agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    let (ua, pa) = creds(&a);
    let (ub, pb) = creds(&b);
    a.agent.set_remote_credentials(&ub, &pb);
    b.agent.set_remote_credentials(&ua, &pa);
    a.agent
        .add_remote_candidate(Candidate::parse(&rb[0].to_string()).unwrap())
        .unwrap();
    b.agent
        .add_remote_candidate(Candidate::parse(&ra[0].to_string()).unwrap())
        .unwrap();
    let connected = |s: &[&mut Side]| {
        s.iter().all(|x| {
            matches!(
                x.agent.connection_state(),
                IceConnectionState::Connected | IceConnectionState::Completed
            )
        })
    };
    assert!(
        pump_until(&mut [&mut a, &mut b], Duration::from_secs(15), connected),
        "not connected: a {:?} / b {:?}",
        a.events,
        b.events
    );
    for s in [&a, &b] {
        let (l, r) = s.agent.selected_candidates().unwrap();
        assert!(l.kind == CandidateKind::Relayed || r.kind == CandidateKind::Relayed);
    }
    // Application data both ways through the relay (the selected pair's
    // channel may still be binding: send a few times).
    let mut ok = false;
    for _ in 0..50 {
        if let Some(t) = a.agent.send(b"ping via coturn") {
            a.socket.send_to(&t.data, t.remote).unwrap();
        }
        if let Some(t) = b.agent.send(b"pong via coturn") {
            b.socket.send_to(&t.data, t.remote).unwrap();
        }
        pump_until(&mut [&mut a, &mut b], Duration::from_millis(40), |_| false);
        if b.received.iter().any(|d| d == b"ping via coturn")
            && a.received.iter().any(|d| d == b"pong via coturn")
        {
            ok = true;
            break;
        }
    }
    assert!(
        ok,
        "data did not cross the relay: a got {} b got {}",
        a.received.len(),
        b.received.len()
    );
    let now = Instant::now();
    a.agent.close(now);
    b.agent.close(now);
    a.pump();
    b.pump();
}

#[test]
fn coturn_rejects_wrong_password_with_401() {
    let turn = start_coturn();
    let mut a = Side::new(true);
    a.agent
        .add_turn_server(turn.addr, Protocol::Udp, USER, "wrong");
    a.agent.end_of_local_candidates();
    assert!(pump_until(&mut [&mut a], Duration::from_secs(10), |s| s[0]
        .agent
        .is_gathering_complete()));
    let codes: Vec<u16> = a
        .events
        .iter()
        .filter_map(|e| match e {
            IceEvent::CandidateError { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, vec![401]);
    assert!(a.relayed().is_empty());
}

#[test]
fn turn_over_tcp_to_coturn_relays_udp_peer_data() {
    let turn = start_coturn();
    let mut a = Side::new(true);
    let mut b = Side::new(false);
    let stream = TcpStream::connect(turn.addr).unwrap();
    stream.set_nonblocking(true).unwrap();
    a.tcp = Some((stream, turn.addr, Vec::new()));
    a.agent
        .add_turn_server(turn.addr, Protocol::Tcp, USER, PASS);
    a.agent.end_of_local_candidates();
    assert!(pump_until(&mut [&mut a], Duration::from_secs(10), |s| s[0]
        .agent
        .is_gathering_complete()));
    let ra = a.relayed();
    assert_eq!(ra.len(), 1, "{:?}", a.events);
    // The TCP mapping is no server-reflexive UDP candidate.
    assert_eq!(
        a.events
            .iter()
            .filter(|e| matches!(e, IceEvent::LocalCandidate(_)))
            .count(),
        1
    );
    // B (plain UDP) only knows A's relayed address.
    let (ua, pa) = {
        let (u, p) = a.agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    let (ub, pb) = {
        let (u, p) = b.agent.local_credentials();
        (u.to_string(), p.to_string())
    };
    b.agent.set_remote_credentials(&ua, &pa);
    b.agent
        .add_remote_candidate(Candidate::parse(&ra[0].to_string()).unwrap())
        .unwrap();
    // A gets no usable candidate from B, only one at B's IP on a dead port:
    // that makes A install a TURN permission for B's IP, and A learns B as
    // peer-reflexive from B's checks arriving through the relay.
    a.agent.set_remote_credentials(&ub, &pb);
    let dead = Candidate::parse("candidate:1 1 udp 2122260223 127.0.0.1 9 typ host").unwrap();
    a.agent.add_remote_candidate(dead).unwrap();
    let connected = |s: &[&mut Side]| {
        s.iter().all(|x| {
            matches!(
                x.agent.connection_state(),
                IceConnectionState::Connected | IceConnectionState::Completed
            )
        })
    };
    assert!(
        pump_until(&mut [&mut a, &mut b], Duration::from_secs(15), connected),
        "not connected: a {:?} / b {:?}",
        a.events,
        b.events
    );
    let (l, _) = a.agent.selected_candidates().unwrap();
    assert_eq!(l.kind, CandidateKind::Relayed);
    let mut ok = false;
    for _ in 0..50 {
        if let Some(t) = b.agent.send(b"to the tcp side") {
            b.socket.send_to(&t.data, t.remote).unwrap();
        }
        pump_until(&mut [&mut a, &mut b], Duration::from_millis(40), |_| false);
        if a.received.iter().any(|d| d == b"to the tcp side") {
            ok = true;
            break;
        }
    }
    assert!(ok, "no data over TURN/TCP");
}
