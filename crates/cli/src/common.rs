//! Helpers shared by the subcommands: settings, waiting for states and
//! messages, echoing a channel.

use std::net::IpAddr;
use std::time::Duration;

use rtcpeer::{
    DataChannel, DataChannelEvent, DataChannelEventStream, Event, EventStream, IceGatheringState,
    InterfaceFilter, Message, PeerConnection, PeerConnectionState, Settings,
};

/// The error type of the command: a message for the user.
pub type CliError = Box<dyn std::error::Error + Send + Sync>;
/// `Result` with [`CliError`].
pub type CliResult<T> = std::result::Result<T, CliError>;

/// Builds a [`CliError`] from a message.
pub fn fail<T>(message: impl Into<String>) -> CliResult<T> {
    Err(message.into().into())
}

/// Parses `--interfaces`: `default` (every interface but loopback, as
/// browsers do), `loopback` (127.0.0.1 only), `all` (every interface that is
/// up, loopback included) or a comma-separated list of addresses.
pub fn parse_interfaces(spec: &str) -> CliResult<Settings> {
    match spec {
        "default" => Ok(Settings::default()),
        "loopback" => Ok(Settings::loopback_only()),
        "all" => Ok(Settings {
            interfaces: InterfaceFilter::All,
            include_loopback: true,
            ..Settings::default()
        }),
        list => {
            let mut ips = Vec::new();
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let ip: IpAddr = part.parse().map_err(|_| {
                    format!("--interfaces: {part:?} is not `loopback`, `all` or an IP address")
                })?;
                ips.push(ip);
            }
            if ips.is_empty() {
                return fail("--interfaces: no address given");
            }
            Ok(Settings {
                interfaces: InterfaceFilter::List(ips),
                include_loopback: true,
                ..Settings::default()
            })
        }
    }
}

/// The `RTCConfiguration` for `--ice-server URL…` with optional TURN
/// credentials (applied to every `turn:`/`turns:` URL); `relay_only` sets
/// `iceTransportPolicy: "relay"`.
pub fn ice_configuration(
    urls: &[String],
    username: Option<&str>,
    credential: Option<&str>,
    relay_only: bool,
) -> CliResult<rtcpeer::Configuration> {
    let mut config = rtcpeer::Configuration::default();
    if relay_only {
        config.ice_transport_policy = rtcpeer::IceTransportPolicy::Relay;
    }
    for url in urls {
        let server = if url.starts_with("turn") {
            match (username, credential) {
                (Some(u), Some(c)) => rtcpeer::IceServer::turn(url.clone(), u, c),
                _ => {
                    return fail(format!(
                        "{url}: TURN needs --ice-username and --ice-credential"
                    ))
                }
            }
        } else {
            rtcpeer::IceServer::stun(url.clone())
        };
        server
            .validate()
            .map_err(|e| format!("--ice-server {url}: {e}"))?;
        config.ice_servers.push(server);
    }
    Ok(config)
}

/// Waits until `pc` has gathered all its candidates (non-trickle signaling).
/// `events` must have been subscribed before `setLocalDescription`.
pub async fn wait_gathering_complete(
    pc: &PeerConnection,
    events: &mut EventStream,
    limit: Duration,
) -> CliResult<()> {
    let waited = tokio::time::timeout(limit, async {
        while pc.ice_gathering_state() != IceGatheringState::Complete {
            if events.recv().await.is_none() {
                return false;
            }
        }
        true
    })
    .await;
    match waited {
        Ok(true) => Ok(()),
        Ok(false) => fail("the connection went away while gathering candidates"),
        Err(_) => fail(format!("candidates not gathered within {limit:?}")),
    }
}

/// Waits for `connectionState` to become `connected`; fails early on `failed`
/// or `closed`.
pub async fn wait_connected(
    pc: &PeerConnection,
    events: &mut EventStream,
    limit: Duration,
) -> CliResult<()> {
    let waited = tokio::time::timeout(limit, async {
        loop {
            match pc.connection_state() {
                PeerConnectionState::Connected => return Ok(()),
                s @ (PeerConnectionState::Failed | PeerConnectionState::Closed) => {
                    return fail(format!("the connection is {s}"))
                }
                _ => {}
            }
            if events.recv().await.is_none() {
                return fail("the connection went away");
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| fail(format!("not connected within {limit:?}")))
}

/// Waits for the channel's `open` event.
pub async fn wait_open(events: &mut DataChannelEventStream, limit: Duration) -> CliResult<()> {
    let waited = tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Some(DataChannelEvent::Open) => return Ok(()),
                Some(DataChannelEvent::Close) | None => {
                    return fail("the data channel closed before it opened")
                }
                Some(_) => {}
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| fail(format!("the data channel did not open within {limit:?}")))
}

/// The next message on a channel, skipping other events.
pub async fn next_message(
    events: &mut DataChannelEventStream,
    limit: Duration,
) -> CliResult<Message> {
    let waited = tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Some(DataChannelEvent::Message(m)) => return Ok(m),
                Some(DataChannelEvent::Close) | None => return fail("the data channel closed"),
                Some(_) => {}
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| fail(format!("no message within {limit:?}")))
}

/// Echoes every message of `ch` on `ch` (text as text, binary as binary)
/// until it closes. Returns how many messages were echoed.
pub async fn echo_channel(ch: DataChannel) -> u64 {
    let mut events = ch.events();
    let mut echoed = 0;
    while let Some(e) = events.recv().await {
        match e {
            DataChannelEvent::Message(m) => {
                let sent = match m {
                    Message::Text(t) => ch.send_text(&t),
                    Message::Binary(b) => ch.send(&b),
                };
                if sent.is_err() {
                    break;
                }
                echoed += 1;
            }
            DataChannelEvent::Close => break,
            _ => {}
        }
    }
    echoed
}

/// Forwards `from`'s trickled candidates to `to` (both in this process).
pub fn trickle(from: &PeerConnection, to: &PeerConnection) {
    let mut events = from.events();
    let to = to.clone();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::IceCandidate(c) = e {
                while to.remote_description().is_none() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                if to.add_ice_candidate(c).await.is_err() {
                    return;
                }
            }
        }
    });
}

/// A human figure for a byte rate.
pub fn rate(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    format!("{:.1} MB/s", bytes as f64 / secs / 1e6)
}

/// The selected candidate pair, for people: `local relay 1.2.3.4:5 (udp) <->
/// remote host 6.7.8.9:10 (udp)`, from `getStats()`.
pub async fn selected_path(pc: &PeerConnection) -> String {
    use rtcpeer::stats::StatsKind;
    let Ok(report) = pc.get_stats().await else {
        return "unknown (no stats)".into();
    };
    let pair = report.iter().find_map(|s| match &s.kind {
        StatsKind::Transport(t) => t.selected_candidate_pair_id.clone(),
        _ => None,
    });
    let Some(StatsKind::CandidatePair(pair)) = pair.and_then(|id| report.get(&id)).map(|s| &s.kind)
    else {
        return "none selected".into();
    };
    let side = |id: &str| match report.get(id).map(|s| &s.kind) {
        Some(StatsKind::LocalCandidate(c) | StatsKind::RemoteCandidate(c)) => format!(
            "{} {}:{} ({}{})",
            c.candidate_type,
            c.address.as_deref().unwrap_or("?"),
            c.port,
            c.protocol,
            c.relay_protocol
                .as_deref()
                .map(|p| format!(", to the TURN server over {p}"))
                .unwrap_or_default()
        ),
        _ => "?".into(),
    };
    format!(
        "local {} <-> remote {}",
        side(&pair.local_candidate_id),
        side(&pair.remote_candidate_id)
    )
}
