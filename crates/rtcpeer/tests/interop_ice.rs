//! ICE with real peers inside a private network namespace
//! (`testkit::isolate!()`): TURN relays over UDP, TCP and TLS through coturn
//! with `iceTransportPolicy: "relay"`, server-reflexive candidates from
//! coturn's STUN, `icecandidateerror` for a wrong TURN password, an ICE
//! restart with Chromium, and a Chromium that vanishes.
//!
//! rtcpeer offers a data channel in each; Chromium's standard peer page
//! answers and echoes, and the echo is the proof that data flows.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rtcpeer::ice::CandidateKind;
use rtcpeer::{
    Configuration, DataChannel, DataChannelEvent, DataChannelEventStream, Event, EventStream,
    IceCandidateInit, IceServer, IceTransportPolicy, InterfaceFilter, Message, PeerConnection,
    PeerConnectionState, SessionDescription, Settings,
};
use serde_json::{json, Value};
use testkit::browser::{Browser, DEFAULT_TIMEOUT};
use testkit::coturn::TurnServer;
use testkit::pages::BrowserPeer;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(30);

/// Gather on every interface of the test's own namespace, loopback included.
fn namespace_settings() -> Settings {
    Settings {
        interfaces: InterfaceFilter::All,
        include_loopback: true,
        ..Settings::default()
    }
}

/// What one signaling exchange with the page saw on our side.
#[derive(Default, Debug)]
struct Seen {
    /// Our candidates as signaled.
    local_candidates: Vec<String>,
    /// `icecandidateerror` events.
    errors: Vec<rtcpeer::IceCandidateError>,
    /// `connectionState` changes.
    states: Vec<PeerConnectionState>,
    /// Channels the page opened (`datachannel` events).
    channels: Vec<DataChannel>,
    /// Drop the page's candidates (trickled and in its descriptions).
    ignore_remote_candidates: bool,
    /// Signal only our TCP candidates to the page, and use only its TCP ones.
    only_tcp_local: bool,
}

/// Forwards signaling both ways (our events to the page, the page's
/// messages to `pc`) until `done` says stop (asked after each event, and
/// every 50 ms).
async fn signal_until(
    pc: &PeerConnection,
    pc_events: &mut EventStream,
    page: &BrowserPeer,
    dc_events: Option<&mut DataChannelEventStream>,
    seen: &mut Seen,
    mut done: impl FnMut(&Seen, Option<&DataChannelEvent>) -> bool,
) {
    let mut dc_events = dc_events;
    timeout(LIMIT, async {
        loop {
            tokio::select! {
                e = pc_events.recv() => {
                    match e.expect("the connection lives") {
                        Event::IceCandidate(Some(c)) => {
                            seen.local_candidates.push(c.candidate.clone());
                            if !seen.only_tcp_local || c.candidate.contains(" tcp ") {
                                page.send(serde_json::to_value(&c).unwrap());
                            }
                        }
                        Event::IceCandidate(None) => page.send(json!({"candidate": ""})),
                        Event::IceCandidateError(e) => seen.errors.push(e),
                        Event::ConnectionStateChange(s) => seen.states.push(s),
                        Event::DataChannel(dc) => seen.channels.push(dc),
                        _ => {}
                    }
                    if done(seen, None) {
                        return;
                    }
                }
                m = page.recv() => {
                    let m: Value = m.expect("the page signals");
                    if m.get("type").is_some() {
                        let mut d: SessionDescription = serde_json::from_value(m).unwrap();
                        if seen.ignore_remote_candidates {
                            d.sdp = d
                                .sdp
                                .split_inclusive('\n')
                                .filter(|l| !l.starts_with("a=candidate"))
                                .collect();
                        }
                        let offer = d.sdp_type == rtcpeer::SdpType::Offer;
                        pc.set_remote_description(d).await.unwrap();
                        if offer {
                            let answer = pc.create_answer(Default::default()).await.unwrap();
                            pc.set_local_description(Some(answer.clone())).await.unwrap();
                            page.send(serde_json::to_value(&answer).unwrap());
                        }
                    } else if let Some(c) = m.get("candidate").and_then(Value::as_str) {
                        if seen.ignore_remote_candidates || (seen.only_tcp_local && !c.contains(" tcp ")) {
                            continue;
                        }
                        if c.is_empty() {
                            pc.add_ice_candidate(None).await.unwrap();
                        } else {
                            let c: IceCandidateInit = serde_json::from_value(m).unwrap();
                            // Candidates we cannot use (TCP) are not fatal.
                            let _ = pc.add_ice_candidate(Some(c)).await;
                        }
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    if done(seen, None) {
                        return;
                    }
                }
                e = async {
                    match dc_events.as_mut() {
                        Some(d) => d.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    if done(seen, e.as_ref()) {
                        return;
                    }
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out; our side saw {seen:?}"));
}

/// Sends `text` on `dc` and expects it echoed.
async fn echo(dc: &DataChannel, dc_events: &mut DataChannelEventStream, text: &str) {
    dc.send_text(text).unwrap();
    loop {
        match timeout(LIMIT, dc_events.recv())
            .await
            .expect("echo in time")
        {
            Some(DataChannelEvent::Message(m)) => {
                assert_eq!(m, Message::Text(text.into()));
                return;
            }
            Some(_) => {}
            None => panic!("channel gone"),
        }
    }
}

/// rtcpeer offers with `config`, Chromium answers; returns once our data
/// channel is open.
async fn connect(
    config: Configuration,
    settings: Settings,
    chromium: &BrowserPeer,
) -> (
    PeerConnection,
    EventStream,
    DataChannel,
    DataChannelEventStream,
    Seen,
) {
    let pc = PeerConnection::with_settings(config, settings).unwrap();
    let mut pc_events = pc.events();
    let dc = pc.create_data_channel("chat", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    chromium.send(serde_json::to_value(&offer).unwrap());
    let mut seen = Seen::default();
    signal_until(
        &pc,
        &mut pc_events,
        chromium,
        Some(&mut dc_events),
        &mut seen,
        |_, e| e == Some(&DataChannelEvent::Open),
    )
    .await;
    (pc, pc_events, dc, dc_events, seen)
}

/// Relay-only through coturn over `url`'s transport: only relayed
/// candidates are signaled, the selected pair is relayed on our side, and
/// the channel echoes.
/// Our local candidates of `kind` in getStats: (url, relayProtocol) each.
async fn candidate_origins(
    pc: &PeerConnection,
    kind: &str,
) -> Vec<(Option<String>, Option<String>)> {
    let report = pc.get_stats().await.unwrap();
    report
        .of_type("local-candidate")
        .filter_map(|s| match &s.kind {
            rtcpeer::stats::StatsKind::LocalCandidate(c) if c.candidate_type == kind => {
                Some((c.url.clone(), c.relay_protocol.clone()))
            }
            _ => None,
        })
        .collect()
}

async fn relay_only(url: impl Fn(&TurnServer) -> String, relay_protocol: &str) {
    let turn = TurnServer::start_tls().await.expect("coturn starts");
    let chromium =
        BrowserPeer::launch(Browser::Chromium, json!({"role": "answerer", "echo": true}))
            .await
            .expect("Chromium starts (scripts/install-peers installs it)");
    let turn_url = url(&turn);
    let config = Configuration {
        ice_servers: vec![IceServer::turn(
            turn_url.clone(),
            turn.username(),
            turn.password(),
        )],
        ice_transport_policy: IceTransportPolicy::Relay,
        ..Default::default()
    };
    let settings = Settings {
        turn_tls_certificates: vec![turn.tls_certificate_der().expect("coturn's certificate")],
        ..namespace_settings()
    };
    let (pc, _events, dc, mut dc_events, seen) = connect(config, settings, &chromium).await;
    assert!(
        !seen.local_candidates.is_empty()
            && seen
                .local_candidates
                .iter()
                .all(|c| c.contains(" typ relay")),
        "relay policy signals relayed candidates only: {:?}",
        seen.local_candidates
    );
    assert!(
        seen.errors.is_empty(),
        "no server errors: {:?}",
        seen.errors
    );
    let (local, _) = pc.selected_candidate_pair().expect("a selected pair");
    assert_eq!(local.kind, CandidateKind::Relayed);
    // getStats names the server and the transport to it, as browsers do.
    let origins = candidate_origins(&pc, "relay").await;
    assert!(!origins.is_empty());
    for (u, p) in origins {
        assert_eq!(u.as_deref(), Some(turn_url.as_str()));
        assert_eq!(p.as_deref(), Some(relay_protocol));
    }
    echo(&dc, &mut dc_events, "through the relay").await;
    chromium.finish();
    let report = chromium.report(DEFAULT_TIMEOUT).await.unwrap();
    assert_eq!(report["received"]["chat"][0], json!("through the relay"));
    assert_eq!(report["connectionState"], json!("connected"));
    pc.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_only_through_coturn_over_udp_with_chromium() {
    testkit::isolate!();
    relay_only(|t| t.udp_url(), "udp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_only_through_coturn_over_tcp_with_chromium() {
    testkit::isolate!();
    relay_only(|t| t.tcp_url(), "tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_only_through_coturn_over_tls_with_chromium() {
    testkit::isolate!();
    relay_only(|t| t.tls_url().unwrap(), "tls").await;
}

/// A wrong TURN password gives `icecandidateerror` with the URL, our
/// address and port, and the server's 401; gathering still completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_turn_password_is_an_ice_candidate_error() {
    testkit::isolate!();
    let turn = TurnServer::start().await.expect("coturn starts");
    let config = Configuration {
        ice_servers: vec![IceServer::turn(turn.udp_url(), turn.username(), "wrong")],
        ..Default::default()
    };
    let pc = PeerConnection::with_settings(config, namespace_settings()).unwrap();
    let mut events = pc.events();
    pc.create_data_channel("chat", Default::default()).unwrap();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer)).await.unwrap();
    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    timeout(LIMIT, async {
        loop {
            match events.recv().await.expect("events") {
                Event::IceCandidateError(e) => errors.push(e),
                Event::IceCandidate(Some(c)) => candidates.push(c.candidate),
                Event::IceCandidate(None) => return,
                _ => {}
            }
        }
    })
    .await
    .expect("gathering completes");
    assert!(!candidates.is_empty());
    assert!(
        candidates.iter().all(|c| c.contains(" typ host")),
        "{candidates:?}"
    );
    // One error per host socket the allocation was tried from (the IPv4
    // ones: the server is IPv4), as Chromium does.
    let ipv4_hosts = candidates
        .iter()
        .filter(|c| c.split(' ').nth(4).is_some_and(|a| !a.contains(':')))
        .count();
    assert_eq!(errors.len(), ipv4_hosts, "{errors:?} {candidates:?}");
    for e in &errors {
        assert_eq!(e.url, turn.udp_url());
        assert_eq!(e.error_code, 401, "{e:?}");
        let (ip, port) = (e.address.expect("address"), e.port.expect("port"));
        assert!(
            candidates
                .iter()
                .any(|c| c.contains(&format!(" {ip} {port} typ host"))),
            "the error names one of our host sockets: {e:?} {candidates:?}"
        );
    }
    pc.close();
}

/// `restart_ice()` during a connection with Chromium: new ufrags on both
/// sides, the channel keeps working, and a pair of the new generation is
/// selected (connected again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_ice_with_chromium_reaches_connected_with_new_ufrags() {
    testkit::isolate!();
    let chromium =
        BrowserPeer::launch(Browser::Chromium, json!({"role": "answerer", "echo": true}))
            .await
            .expect("Chromium starts (scripts/install-peers installs it)");
    let (pc, mut events, dc, mut dc_events, _) =
        connect(Default::default(), namespace_settings(), &chromium).await;
    echo(&dc, &mut dc_events, "before").await;
    let ufrag = |d: &SessionDescription| {
        d.sdp
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .map(str::to_string)
            .expect("a ufrag")
    };
    let old_local = ufrag(&pc.local_description().unwrap());
    let old_remote = ufrag(&pc.remote_description().unwrap());
    assert_eq!(pc.ice_generations(), Some((0, Some(0))));

    pc.restart_ice().unwrap();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    chromium.send(serde_json::to_value(&offer).unwrap());
    let mut seen = Seen::default();
    signal_until(&pc, &mut events, &chromium, None, &mut seen, |_, _| {
        pc.ice_generations() == Some((1, Some(1)))
    })
    .await;
    let new_local = ufrag(&pc.local_description().unwrap());
    let new_remote = ufrag(&pc.remote_description().unwrap());
    assert_ne!(new_local, old_local);
    assert_ne!(new_remote, old_remote);
    assert_eq!(pc.connection_state(), PeerConnectionState::Connected);
    echo(&dc, &mut dc_events, "after").await;
    chromium.finish();
    let report = chromium.report(DEFAULT_TIMEOUT).await.unwrap();
    assert_eq!(report["iceUfrag"], json!(new_remote));
    assert_eq!(report["received"]["chat"], json!(["before", "after"]));
    assert_eq!(report["connectionState"], json!("connected"));
    pc.close();
}

/// A Chromium that vanishes (its process group killed) is reported
/// disconnected, then failed (with short timeouts set for the test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_chromium_is_disconnected_then_failed() {
    testkit::isolate!();
    let chromium =
        BrowserPeer::launch(Browser::Chromium, json!({"role": "answerer", "echo": true}))
            .await
            .expect("Chromium starts (scripts/install-peers installs it)");
    let settings = Settings {
        ice_disconnected_timeout: Some(Duration::from_secs(2)),
        ice_failed_timeout: Some(Duration::from_secs(6)),
        ..namespace_settings()
    };
    let (pc, mut events, dc, mut dc_events, _) =
        connect(Default::default(), settings, &chromium).await;
    echo(&dc, &mut dc_events, "hello").await;
    let pid = chromium.process().pid();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut states = Vec::new();
    let mut ice_states = Vec::new();
    timeout(LIMIT, async {
        loop {
            match events.recv().await.expect("events") {
                Event::ConnectionStateChange(s) => {
                    states.push(s);
                    if s == PeerConnectionState::Failed {
                        return;
                    }
                }
                Event::IceConnectionStateChange(s) => ice_states.push(s),
                _ => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no failed state; saw {states:?}"));
    assert_eq!(
        states,
        vec![
            PeerConnectionState::Disconnected,
            PeerConnectionState::Failed
        ]
    );
    assert_eq!(
        ice_states,
        vec![
            rtcpeer::IceConnectionState::Disconnected,
            rtcpeer::IceConnectionState::Failed
        ]
    );
    assert_eq!(pc.connection_state(), PeerConnectionState::Failed);
    pc.close();
}

/// A UDP forwarder in front of a STUN server: requests leave from a socket
/// of its own, so the server sees another address than our host socket (a
/// NAT, for the mapping's sake; the namespace has no kernel NAT).
async fn stun_forwarder(server: SocketAddr) -> SocketAddr {
    let front = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let client = Arc::new(std::sync::Mutex::new(None::<SocketAddr>));
    let (f, b, c) = (front.clone(), back.clone(), client.clone());
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, from)) = f.recv_from(&mut buf).await {
            *c.lock().unwrap() = Some(from);
            let _ = b.send_to(&buf[..n], server).await;
        }
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, _)) = back.recv_from(&mut buf).await {
            let to = *client.lock().unwrap();
            if let Some(to) = to {
                let _ = front.send_to(&buf[..n], to).await;
            }
        }
    });
    addr
}

/// A server-reflexive candidate from coturn's STUN (through a forwarder, so
/// that the mapped address differs from the host one): signaled with the
/// host socket as its related address, and the connection with Chromium
/// still comes up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srflx_from_coturn_stun_with_chromium() {
    testkit::isolate!();
    let turn = TurnServer::start().await.expect("coturn starts");
    let stun = stun_forwarder(format!("127.0.0.1:{}", turn.port()).parse().unwrap()).await;
    let chromium =
        BrowserPeer::launch(Browser::Chromium, json!({"role": "answerer", "echo": true}))
            .await
            .expect("Chromium starts (scripts/install-peers installs it)");
    let config = Configuration {
        ice_servers: vec![IceServer::stun(format!("stun:{stun}"))],
        ..Default::default()
    };
    let settings = Settings {
        interfaces: InterfaceFilter::LoopbackOnly,
        ..namespace_settings()
    };
    let (pc, _events, dc, mut dc_events, seen) = connect(config, settings, &chromium).await;
    echo(&dc, &mut dc_events, "reflexive").await;
    let srflx: Vec<&String> = seen
        .local_candidates
        .iter()
        .filter(|c| c.contains(" typ srflx "))
        .collect();
    assert_eq!(srflx.len(), 1, "{:?}", seen.local_candidates);
    let (local, _) = pc.ice_candidates();
    let host = local
        .iter()
        .find(|c| c.kind == CandidateKind::Host)
        .expect("a host candidate");
    let reflexive = local
        .iter()
        .find(|c| c.kind == CandidateKind::ServerReflexive)
        .expect("the srflx candidate");
    assert_eq!(reflexive.related, Some(host.address));
    assert_ne!(reflexive.address, host.address);
    assert_eq!(
        candidate_origins(&pc, "srflx").await,
        vec![(Some(format!("stun:{stun}")), None)],
        "getStats names the STUN server"
    );
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    chromium.finish();
    let report = chromium.report(DEFAULT_TIMEOUT).await.unwrap();
    assert_eq!(report["received"]["chat"][0], json!("reflexive"));
    pc.close();
}

/// Chromium offers, then restarts ICE (`restartIce()` and a new offer): we
/// see the remote ufrag change, answer with new credentials of our own, and
/// a pair of the new generation is selected; the channel keeps echoing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_restarts_ice_and_we_follow() {
    testkit::isolate!();
    let chromium = BrowserPeer::launch(Browser::Chromium, json!({"role": "offerer", "echo": true}))
        .await
        .expect("Chromium starts (scripts/install-peers installs it)");
    let pc = PeerConnection::with_settings(Default::default(), namespace_settings()).unwrap();
    let mut events = pc.events();
    let mut seen = Seen::default();
    signal_until(&pc, &mut events, &chromium, None, &mut seen, |seen, _| {
        !seen.channels.is_empty()
    })
    .await;
    let dc = seen.channels[0].clone();
    let mut dc_events = dc.events();
    echo(&dc, &mut dc_events, "before").await;
    let ufrag = |d: &SessionDescription| {
        d.sdp
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .map(str::to_string)
            .expect("a ufrag")
    };
    let old_local = ufrag(&pc.local_description().unwrap());
    let old_remote = ufrag(&pc.remote_description().unwrap());
    assert_eq!(pc.ice_generations(), Some((0, Some(0))));

    chromium.send(json!({"restartIce": true}));
    signal_until(&pc, &mut events, &chromium, None, &mut seen, |_, _| {
        pc.ice_generations() == Some((1, Some(1)))
    })
    .await;
    assert_ne!(ufrag(&pc.remote_description().unwrap()), old_remote);
    assert_ne!(ufrag(&pc.local_description().unwrap()), old_local);
    assert_eq!(pc.connection_state(), PeerConnectionState::Connected);
    echo(&dc, &mut dc_events, "after").await;
    chromium.finish();
    let report = chromium.report(DEFAULT_TIMEOUT).await.unwrap();
    assert_eq!(report["restarts"], json!(1));
    assert_eq!(report["received"]["chat"], json!(["before", "after"]));
    pc.close();
}

/// Whether a succeeded pair of `pc` has a signaled `.local` host candidate
/// (resolved by our mDNS query) as its remote end.
async fn mdns_pair_succeeded(pc: &PeerConnection) -> bool {
    let report = pc.get_stats().await.unwrap();
    let found = report.of_type("candidate-pair").any(|p| {
        let rtcpeer::stats::StatsKind::CandidatePair(p) = &p.kind else {
            return false;
        };
        p.state == "succeeded"
            && report.get(&p.remote_candidate_id).is_some_and(|r| {
                matches!(&r.kind, rtcpeer::stats::StatsKind::RemoteCandidate(c)
                    if c.candidate_type == "host"
                        && c.address.as_deref().is_some_and(|a| a.ends_with(".local")))
            })
    });
    found
}

/// Chromium with its default mDNS obfuscation signals only `<uuid>.local`
/// host candidates; its own mDNS responder answers our query, and a pair
/// toward the resolved candidate succeeds (not only the peer-reflexive one
/// its checks teach us).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_mdns_candidates_are_resolved() {
    testkit::isolate!();
    let options = testkit::browser::LaunchOptions {
        mdns: true,
        ..Default::default()
    };
    let chromium = BrowserPeer::launch_with(
        Browser::Chromium,
        json!({"role": "answerer", "echo": true}),
        &options,
    )
    .await
    .expect("Chromium starts");
    let (pc, _events, dc, mut dc_events, _seen) =
        connect(Configuration::default(), namespace_settings(), &chromium).await;
    echo(&dc, &mut dc_events, "over mdns").await;
    let remote = pc.remote_description().unwrap().sdp;
    let hosts: Vec<&str> = remote
        .lines()
        .filter(|l| l.starts_with("a=candidate") && l.contains("typ host"))
        .collect();
    let resolved = timeout(LIMIT, async {
        while !mdns_pair_succeeded(&pc).await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let report = pc.get_stats().await.unwrap();
    assert!(
        resolved.is_ok(),
        "no succeeded pair toward a resolved .local candidate; remote SDP hosts {hosts:?}; {:#?}",
        report.of_type("remote-candidate").collect::<Vec<_>>()
    );
    pc.close();
    chromium.finish();
}

/// Our host addresses behind mDNS names (`Settings::mdns_host_names`):
/// Chromium gets only `<uuid>.local` candidates and we drop all of its, so
/// the connection comes up only if Chromium resolves our names through our
/// responder and checks toward them. Chromium resolves remote `.local`
/// names only with its own mDNS mode on (`LaunchOptions::mdns`): with
/// `--disable-features=WebRtcHideLocalIpsWithMdns` it never queries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_resolves_our_mdns_names() {
    testkit::isolate!();
    let options = testkit::browser::LaunchOptions {
        mdns: true,
        ..Default::default()
    };
    let chromium = BrowserPeer::launch_with(
        Browser::Chromium,
        json!({"role": "answerer", "echo": true}),
        &options,
    )
    .await
    .expect("Chromium starts");
    let settings = Settings {
        mdns_host_names: true,
        ..namespace_settings()
    };
    let pc = PeerConnection::with_settings(Configuration::default(), settings).unwrap();
    let mut pc_events = pc.events();
    let dc = pc.create_data_channel("chat", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    chromium.send(serde_json::to_value(&offer).unwrap());
    let mut seen = Seen {
        ignore_remote_candidates: true,
        ..Seen::default()
    };
    signal_until(
        &pc,
        &mut pc_events,
        &chromium,
        Some(&mut dc_events),
        &mut seen,
        |_, e| e == Some(&DataChannelEvent::Open),
    )
    .await;
    echo(&dc, &mut dc_events, "resolved by chromium").await;
    assert!(!seen.local_candidates.is_empty());
    for c in &seen.local_candidates {
        assert!(c.contains(".local "), "{c}");
        assert!(!c.contains("203.0.113.") && !c.contains("127.0.0.1"), "{c}");
    }
    let report = pc.get_stats().await.unwrap();
    let remote: Vec<String> = report
        .of_type("remote-candidate")
        .filter_map(|s| match &s.kind {
            rtcpeer::stats::StatsKind::RemoteCandidate(c) => Some(c.candidate_type.clone()),
            _ => None,
        })
        .collect();
    assert!(
        !remote.is_empty() && remote.iter().all(|t| t == "prflx"),
        "we only learned Chromium from its checks: {remote:?}"
    );
    pc.close();
    chromium.finish();
}

/// ICE-TCP (`Settings::ice_tcp`): we signal only our passive TCP host
/// candidates, so Chromium's active TCP candidates must connect to them;
/// the selected pair is TCP on our side and the channel echoes over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_connects_to_our_ice_tcp_passive_candidate() {
    testkit::isolate!();
    let chromium =
        BrowserPeer::launch(Browser::Chromium, json!({"role": "answerer", "echo": true}))
            .await
            .expect("Chromium starts");
    let settings = Settings {
        ice_tcp: true,
        ..namespace_settings()
    };
    let pc = PeerConnection::with_settings(Configuration::default(), settings).unwrap();
    let mut pc_events = pc.events();
    let dc = pc.create_data_channel("chat", Default::default()).unwrap();
    let mut dc_events = dc.events();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    chromium.send(serde_json::to_value(&offer).unwrap());
    let mut seen = Seen {
        only_tcp_local: true,
        ..Seen::default()
    };
    signal_until(
        &pc,
        &mut pc_events,
        &chromium,
        Some(&mut dc_events),
        &mut seen,
        |_, e| e == Some(&DataChannelEvent::Open),
    )
    .await;
    echo(&dc, &mut dc_events, "over tcp").await;
    assert!(
        seen.local_candidates
            .iter()
            .any(|c| c.contains(" tcp ") && c.contains("tcptype passive")),
        "{:?}",
        seen.local_candidates
    );
    let report = pc.get_stats().await.unwrap();
    let t = report.of_type("transport").next().unwrap();
    let rtcpeer::stats::StatsKind::Transport(t) = &t.kind else {
        unreachable!()
    };
    let pair = report
        .get(
            t.selected_candidate_pair_id
                .as_deref()
                .expect("a selected pair"),
        )
        .unwrap();
    let rtcpeer::stats::StatsKind::CandidatePair(pair) = &pair.kind else {
        unreachable!()
    };
    let local = report.get(&pair.local_candidate_id).unwrap();
    let rtcpeer::stats::StatsKind::LocalCandidate(local) = &local.kind else {
        unreachable!()
    };
    assert_eq!(local.protocol, "tcp", "{local:?}");
    pc.close();
    chromium.finish();
}
