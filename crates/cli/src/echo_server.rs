//! `rtcpeer echo-server`: the webrtc-echoes convention.
//!
//! `POST /offer` takes a complete (non-trickle) offer as JSON
//! `RTCSessionDescriptionInit` and returns the answer the same way, with every
//! candidate in it. Every data-channel message is echoed on the channel it
//! came in on, and every received audio and video frame is sent back on the
//! same transceiver (same codec, no transcoding). `GET /` serves a demo
//! page, `GET /stats` the server's counters. The answer's
//! `X-Rtcpeer-Peer` header names the connection; `GET /peer/{id}/stats`
//! gives its `getStats()` report (browser JSON) and its reflected frame
//! counts, which the demo page graphs beside the browser's own.
//!
//! Each connection is closed and dropped when its peer leaves: the connection
//! fails or closes, stays disconnected, every data channel the peer opened
//! has closed again, or it never connects.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rtcpeer::{
    Configuration, DataChannelEvent, Direction, Event, MediaStreamTrack, PeerConnection,
    PeerConnectionState, RtpTransceiver, Sample, SdpType, SessionDescription, Settings,
};
use serde_json::json;

use crate::common::{self, CliResult};

/// How long gathering may take before the answer is sent anyway.
const GATHER_LIMIT: Duration = Duration::from_secs(10);
/// A connection that is not connected this long after its offer is dropped.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);
/// A connection disconnected (or with no open channel left) this long is dropped.
const GONE_GRACE: Duration = Duration::from_secs(2);

const PAGE: &str = include_str!("echo_page.html");

/// The server's shared state.
struct Server {
    settings: Settings,
    config: Configuration,
    peers: Mutex<HashMap<u64, PeerConnection>>,
    next_id: AtomicU64,
    offers: AtomicU64,
    echoed: Arc<AtomicU64>,
    closed: AtomicU64,
    reflected: Arc<AtomicU64>,
    /// Frames reflected per connection: (audio, video).
    peer_frames: Mutex<HashMap<u64, Arc<PeerFrames>>>,
}

/// One connection's reflected frames.
#[derive(Default)]
struct PeerFrames {
    audio: AtomicU64,
    video: AtomicU64,
}

/// The response header naming the connection an answer belongs to.
const PEER_HEADER: &str = "x-rtcpeer-peer";

/// Runs the server on `listen` until the process is stopped.
pub async fn run(listen: SocketAddr, settings: Settings, config: Configuration) -> CliResult<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let server = Arc::new(Server {
        settings,
        config,
        peers: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        offers: AtomicU64::new(0),
        echoed: Arc::new(AtomicU64::new(0)),
        closed: AtomicU64::new(0),
        reflected: Arc::new(AtomicU64::new(0)),
        peer_frames: Mutex::new(HashMap::new()),
    });
    let app = Router::new()
        .route("/", get(page))
        .route("/offer", post(offer).options(preflight))
        .route("/stats", get(stats))
        .route("/peer/{id}/stats", get(peer_stats))
        .with_state(server);
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    axum::serve(listener, app)
        .await
        .map_err(|e| format!("serving: {e}"))?;
    Ok(())
}

fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(PEER_HEADER),
    );
    r
}

async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn stats(State(server): State<Arc<Server>>) -> Response {
    let active = server.peers.lock().unwrap_or_else(|p| p.into_inner()).len();
    cors(
        Json(json!({
            "active": active,
            "offers": server.offers.load(Ordering::Relaxed),
            "closed": server.closed.load(Ordering::Relaxed),
            "echoed": server.echoed.load(Ordering::Relaxed),
            "reflected": server.reflected.load(Ordering::Relaxed),
        }))
        .into_response(),
    )
}

/// One connection's `getStats()` report (browser JSON) and reflected frames.
async fn peer_stats(State(server): State<Arc<Server>>, Path(id): Path<u64>) -> Response {
    let pc = server
        .peers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        .cloned();
    let Some(pc) = pc else {
        return cors((StatusCode::NOT_FOUND, format!("no peer {id}\n")).into_response());
    };
    let frames = server
        .peer_frames
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        .cloned()
        .unwrap_or_default();
    match pc.get_stats().await {
        Ok(report) => cors(
            Json(json!({
                "report": report.to_json(),
                "reflected": {
                    "audio": frames.audio.load(Ordering::Relaxed),
                    "video": frames.video.load(Ordering::Relaxed),
                },
            }))
            .into_response(),
        ),
        Err(e) => cors((StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response()),
    }
}

async fn offer(State(server): State<Arc<Server>>, body: String) -> Response {
    let bad = |msg: String| cors((StatusCode::BAD_REQUEST, msg).into_response());
    let offer: SessionDescription = match serde_json::from_str(&body) {
        Ok(o) => o,
        Err(e) => {
            return bad(format!(
                "the body is not an RTCSessionDescriptionInit: {e}\n"
            ))
        }
    };
    if offer.sdp_type != SdpType::Offer {
        return bad(format!(
            "expected type \"offer\", got {:?}\n",
            offer.sdp_type
        ));
    }
    server.offers.fetch_add(1, Ordering::Relaxed);
    match answer(&server, offer).await {
        Ok((id, answer)) => {
            let mut r = Json(answer).into_response();
            r.headers_mut().insert(PEER_HEADER, HeaderValue::from(id));
            cors(r)
        }
        Err(e) => cors((StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()),
    }
}

async fn answer(
    server: &Arc<Server>,
    offer: SessionDescription,
) -> CliResult<(u64, SessionDescription)> {
    let pc = PeerConnection::with_settings(server.config.clone(), server.settings.clone())?;
    let id = server.next_id.fetch_add(1, Ordering::Relaxed);
    let mut events = pc.events();
    let monitor_events = pc.events();
    let negotiated = async {
        pc.set_remote_description(offer).await?;
        // Every audio/video transceiver the offer brought sends back.
        for t in pc.get_transceivers() {
            let track = MediaStreamTrack::new(t.kind());
            t.sender().replace_track(Some(track)).await?;
            t.set_direction(Direction::SendRecv)?;
        }
        let answer = pc.create_answer(Default::default()).await?;
        pc.set_local_description(Some(answer)).await?;
        common::wait_gathering_complete(&pc, &mut events, GATHER_LIMIT).await?;
        pc.local_description()
            .ok_or_else(|| "no local description".into())
    };
    let answer = match negotiated.await {
        Ok(a) => a,
        Err(e) => {
            pc.close();
            return Err(e);
        }
    };
    server
        .peers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, pc.clone());
    println!("peer {id}: answered");
    let frames = Arc::new(PeerFrames::default());
    server
        .peer_frames
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, frames.clone());
    for t in pc.get_transceivers() {
        tokio::spawn(reflect(id, t, server.reflected.clone(), frames.clone()));
    }
    tokio::spawn(monitor(server.clone(), id, pc, monitor_events));
    Ok((id, answer))
}

/// Echoes the peer's channels and drops the connection once the peer is gone.
async fn monitor(
    server: Arc<Server>,
    id: u64,
    pc: PeerConnection,
    mut events: rtcpeer::EventStream,
) {
    let (gone_tx, mut gone_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut channels_open: u64 = 0;
    let mut channels_seen = false;
    let mut connected = false;
    let mut grace: Option<tokio::time::Instant> = None;
    let deadline = tokio::time::Instant::now() + CONNECT_LIMIT;
    let reason = loop {
        let wake = match grace {
            Some(g) => g,
            None if !connected => deadline,
            None => tokio::time::Instant::now() + Duration::from_secs(3600),
        };
        tokio::select! {
            e = events.recv() => match e {
                None => break "its events ended".to_string(),
                Some(Event::DataChannel(ch)) => {
                    channels_seen = true;
                    channels_open += 1;
                    grace = None;
                    let echoed = server.echoed.clone();
                    let gone = gone_tx.clone();
                    tokio::spawn(async move {
                        let mut ev = ch.events();
                        while let Some(e) = ev.recv().await {
                            match e {
                                DataChannelEvent::Message(m) => {
                                    let sent = match m {
                                        rtcpeer::Message::Text(t) => ch.send_text(&t),
                                        rtcpeer::Message::Binary(b) => ch.send(&b),
                                    };
                                    if sent.is_ok() {
                                        echoed.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                                DataChannelEvent::Close => break,
                                _ => {}
                            }
                        }
                        let _ = gone.send(());
                    });
                }
                Some(Event::ConnectionStateChange(s)) => {
                    println!("peer {id}: connectionstatechange: {s}");
                    match s {
                        PeerConnectionState::Connected => { connected = true; grace = None; }
                        PeerConnectionState::Failed | PeerConnectionState::Closed => {
                            break format!("connection {s}");
                        }
                        PeerConnectionState::Disconnected => {
                            grace = Some(tokio::time::Instant::now() + GONE_GRACE);
                        }
                        _ => {}
                    }
                }
                Some(_) => {}
            },
            Some(()) = gone_rx.recv() => {
                channels_open = channels_open.saturating_sub(1);
                if channels_open == 0 && channels_seen {
                    grace = Some(tokio::time::Instant::now() + GONE_GRACE);
                }
            }
            _ = tokio::time::sleep_until(wake) => {
                if grace.is_some() {
                    break "the peer left".to_string();
                }
                if !connected && tokio::time::Instant::now() >= deadline {
                    break format!("not connected within {CONNECT_LIMIT:?}");
                }
            }
        }
    };
    pc.close();
    server
        .peers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    server
        .peer_frames
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    server.closed.fetch_add(1, Ordering::Relaxed);
    println!("peer {id}: closed ({reason})");
}

/// Sends every frame received on `t` back on its sender, and passes the
/// peer's keyframe requests on to the peer's own sender.
async fn reflect(id: u64, t: RtpTransceiver, reflected: Arc<AtomicU64>, frames: Arc<PeerFrames>) {
    let (receiver, sender) = (t.receiver(), t.sender());
    let counter = match t.kind() {
        rtcpeer::MediaKind::Video => &frames.video,
        _ => &frames.audio,
    };
    receiver.request_keyframe();
    let mut last: Option<u32> = None;
    let mut warned = false;
    while let Some(frame) = receiver.read_frame().await {
        if sender.take_keyframe_request() {
            receiver.request_keyframe();
        }
        if sender.codec() != Some(frame.codec) {
            if !warned {
                println!(
                    "peer {id}: cannot reflect {:?} on a sender of {:?}",
                    frame.codec,
                    sender.codec()
                );
                warned = true;
            }
            continue;
        }
        let rate = frame.codec.clock_rate().max(1);
        let ticks = last.map_or(rate / 50, |l| frame.timestamp.wrapping_sub(l).min(rate));
        last = Some(frame.timestamp);
        let sample = Sample {
            data: frame.data,
            duration: Duration::from_micros(u64::from(ticks) * 1_000_000 / u64::from(rate)),
        };
        if sender.write_sample(&sample) {
            reflected.fetch_add(1, Ordering::Relaxed);
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}
