//! Real-peer test: headless Chromium (via `testkit`) runs ICE against our
//! agent over real UDP sockets. The page offers a data channel; we answer
//! with our ICE credentials and one 127.0.0.1 host candidate (and a dummy
//! DTLS fingerprint: DTLS is not this crate's business, so only the ICE
//! transport is checked). Passes when Chromium reports
//! `iceConnectionState` connected and our agent selected a pair. With
//! `mdns`, Chromium hides its addresses behind `.local` names and we must
//! learn it as peer-reflexive. Traffic to anything but loopback is dropped
//! here (the network rule). If Chromium is missing the test fails.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtcpeer_ice::{
    Candidate, CandidateKind, Datagram, IceAgent, IceConfig, IceConnectionState, Protocol,
};
use serde_json::json;
use testkit::browser::{Browser, LaunchOptions};
use testkit::http::SignalingServer;

const PAGE: &str = r#"<script src="/testkit.js"></script>
<script>
run(async () => {
  const pc = new RTCPeerConnection();
  pc.createDataChannel('ice-only');
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === 'complete', 'gathering', 20000);
  signal.send({ type: 'offer', sdp: pc.localDescription.sdp });
  const answer = await signal.recv();
  await pc.setRemoteDescription(answer);
  await waitFor(() => ['connected', 'completed'].includes(pc.iceConnectionState),
                'ICE connected (state ' + pc.iceConnectionState + ')', 30000);
  const ice = pc.iceConnectionState;
  // Stay up until our agent has caught up: Chromium reports connected when
  // its check succeeds, which can be before its nominating check reaches us.
  await signal.recv();
  return { ice };
});
</script>"#;

/// Our answer: an SCTP m-section with our ICE credentials and candidate.
fn answer_sdp(offer: &str, ufrag: &str, pwd: &str, cand: &Candidate) -> String {
    let mid = offer
        .lines()
        .find_map(|l| l.strip_prefix("a=mid:"))
        .unwrap_or("0")
        .trim()
        .to_string();
    let fingerprint: Vec<String> = (0..32).map(|i| format!("{:02X}", i * 7 % 256)).collect();
    [
        "v=0".to_string(),
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1".into(),
        "s=-".into(),
        "t=0 0".into(),
        format!("a=group:BUNDLE {mid}"),
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel".into(),
        "c=IN IP4 0.0.0.0".into(),
        format!("a=ice-ufrag:{ufrag}"),
        format!("a=ice-pwd:{pwd}"),
        format!("a=fingerprint:sha-256 {}", fingerprint.join(":")),
        "a=setup:active".into(),
        format!("a=mid:{mid}"),
        "a=sctp-port:5000".into(),
        format!("a={cand}"),
        "a=end-of-candidates".into(),
        String::new(),
    ]
    .join("\r\n")
}

fn run(mdns: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let server = SignalingServer::start().await.unwrap();
        server.add_page("ice.html", PAGE);
        let peer = server.peer("chromium");
        let options = LaunchOptions {
            mdns,
            ..Default::default()
        };
        let page_peer = server.peer("chromium");
        let browser = tokio::spawn(async move {
            Browser::Chromium
                .run_page_with(&page_peer, "ice.html", Duration::from_secs(90), &options)
                .await
        });

        let offer = peer
            .recv_timeout(Duration::from_secs(60))
            .await
            .expect("offer from Chromium");
        let sdp = offer["sdp"].as_str().unwrap().to_string();
        let ufrag = sdp
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .unwrap()
            .trim()
            .to_string();
        let pwd = sdp
            .lines()
            .find_map(|l| l.strip_prefix("a=ice-pwd:"))
            .unwrap()
            .trim()
            .to_string();

        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let local = socket.local_addr().unwrap();
        // The browser is controlling (it offered); we are controlled.
        let mut agent = IceAgent::new(IceConfig::default(), Instant::now());
        let host = Candidate::host(local, Protocol::Udp, 65535);
        agent.add_local_candidate(host.clone()).unwrap();
        agent.set_remote_credentials(&ufrag, &pwd);
        let mut offered = 0;
        for line in sdp.lines().filter_map(|l| l.strip_prefix("a=")) {
            if !line.starts_with("candidate:") {
                continue;
            }
            let Ok(c) = Candidate::parse(line) else {
                continue;
            };
            // Only loopback (or unresolved mDNS names): nothing leaves the machine.
            if c.is_unresolved() || c.address.ip().is_loopback() {
                offered += 1;
                agent.add_remote_candidate(c).unwrap();
            }
        }
        agent.end_of_remote_candidates();
        let (our_ufrag, our_pwd) = {
            let (u, p) = agent.local_credentials();
            (u.to_string(), p.to_string())
        };
        peer.send(
            json!({ "type": "answer", "sdp": answer_sdp(&sdp, &our_ufrag, &our_pwd, &host) }),
        );

        // Drive the agent on a thread while the browser runs.
        let stop = Arc::new(AtomicBool::new(false));
        let result = Arc::new(Mutex::new(None));
        let io = {
            let stop = stop.clone();
            let result = result.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 2048];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((n, from)) = socket.recv_from(&mut buf) {
                        let d = Datagram {
                            local,
                            remote: from,
                            proto: Protocol::Udp,
                            data: &buf[..n],
                        };
                        let _ = agent.handle_receive(Instant::now(), d);
                    }
                    let now = Instant::now();
                    if agent.poll_timeout().is_some_and(|t| t <= now) {
                        agent.handle_timeout(now);
                    }
                    while let Some(t) = agent.poll_transmit(Instant::now()) {
                        if t.remote.ip().is_loopback() {
                            let _ = socket.send_to(&t.data, t.remote);
                        }
                    }
                    while agent.poll_event().is_some() {}
                    let connected = matches!(
                        agent.connection_state(),
                        IceConnectionState::Connected | IceConnectionState::Completed
                    );
                    *result.lock().unwrap() = Some((
                        connected,
                        agent
                            .selected_candidates()
                            .map(|(l, r)| (l.clone(), r.clone())),
                        agent.connection_state(),
                    ));
                }
            })
        };
        // Keep the page (and so Chromium) alive until our agent is connected
        // too, or long enough that it never will be.
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline && !browser.is_finished() {
            if result.lock().unwrap().as_ref().is_some_and(|r| r.0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peer.send(json!({ "type": "done" }));
        let page = browser.await.unwrap();
        stop.store(true, Ordering::Relaxed);
        io.join().unwrap();
        let page = page.unwrap_or_else(|e| panic!("Chromium page failed: {e}"));
        assert!(offered > 0 || mdns, "no loopback candidate from Chromium");
        assert!(
            ["connected", "completed"].contains(&page["ice"].as_str().unwrap_or("")),
            "{page}"
        );
        let (connected, selected, state) = result.lock().unwrap().clone().unwrap();
        assert!(connected, "our agent: {state:?}");
        let (l, r) = selected.unwrap();
        assert_eq!(l.address, local);
        if mdns {
            // Chromium's address was never signaled: learned from its checks.
            assert_eq!(r.kind, CandidateKind::PeerReflexive);
        }
    });
}

#[test]
fn chromium_connects_to_our_agent() {
    run(false);
}

#[test]
fn chromium_with_mdns_candidates_is_learned_as_peer_reflexive() {
    run(true);
}
