//! Pieces the media examples share: non-trickle offer/answer over HTTP (the
//! webrtc-echoes convention: `POST /offer` with a complete offer as JSON
//! `RTCSessionDescriptionInit`, the complete answer back), a tiny page
//! server, reading and pacing media files. Each example's page POSTs to its
//! own origin, or to `window.EXAMPLE_SERVER` when a page served elsewhere
//! (a test's) sets it.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use rtcpeer::rtp::media::{opus_packet_samples, IvfReader, OggOpusReader};
use rtcpeer::{
    Event, IceGatheringState, InterfaceFilter, MediaStreamTrack, PeerConnection,
    PeerConnectionState, Sample, SessionDescription, Settings,
};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// Gather on every interface, loopback included, so a browser on the same
/// machine reaches us whatever address it pairs from.
pub fn settings() -> Settings {
    Settings {
        interfaces: InterfaceFilter::All,
        include_loopback: true,
        ..Settings::default()
    }
}

/// Answers the offer already applied to `pc` (with tracks attached to its
/// transceivers) and waits for gathering to complete: the answer then
/// carries every candidate (no trickle needed).
pub async fn answer(pc: &PeerConnection) -> Result<SessionDescription> {
    let mut events = pc.events();
    let answer = pc.create_answer(Default::default()).await?;
    pc.set_local_description(Some(answer)).await?;
    tokio::time::timeout(Duration::from_secs(10), async {
        while pc.ice_gathering_state() != IceGatheringState::Complete {
            if events.recv().await.is_none() {
                break;
            }
        }
    })
    .await
    .map_err(|_| "candidates not gathered within 10 s")?;
    Ok(pc.local_description().ok_or("no local description")?)
}

/// Waits until `pc` is connected (`Err` if it fails or closes first).
pub async fn connected(pc: &PeerConnection) -> Result<()> {
    let mut events = pc.events();
    loop {
        match pc.connection_state() {
            PeerConnectionState::Connected => return Ok(()),
            s @ (PeerConnectionState::Failed | PeerConnectionState::Closed) => {
                return Err(format!("the connection is {s}").into())
            }
            _ => {}
        }
        match events.recv().await {
            Some(Event::ConnectionStateChange(_)) => {}
            Some(_) => {}
            None => return Err("the connection went away".into()),
        }
    }
}

/// True once `pc` is failed or closed.
pub fn ended(pc: &PeerConnection) -> bool {
    matches!(
        pc.connection_state(),
        PeerConnectionState::Failed | PeerConnectionState::Closed
    )
}

/// `POST` handler: the body is a complete offer, the reply the answer that
/// `f` makes. Cross-origin pages may call it.
pub fn offer_route<F, Fut>(f: F) -> MethodRouter
where
    F: Fn(SessionDescription) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<SessionDescription>> + Send + 'static,
{
    axum::routing::post(move |body: String| {
        let f = f.clone();
        async move {
            let offer: SessionDescription = match serde_json::from_str(&body) {
                Ok(o) => o,
                Err(e) => return cors((StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()),
            };
            match f(offer).await {
                Ok(a) => cors(Json(a).into_response()),
                Err(e) => cors((StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()),
            }
        }
    })
    .options(|| async { cors(StatusCode::NO_CONTENT.into_response()) })
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
        HeaderValue::from_static("POST, OPTIONS"),
    );
    r
}

/// Serves `router` plus `page` at `/` on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    page: &'static str,
    router: Router,
) -> Result<()> {
    let router = router.route("/", get(move || async move { Html(page) }));
    axum::serve(listener, router).await?;
    Ok(())
}

/// Binds the address given as the first argument (default 127.0.0.1:8080)
/// and prints where to point a browser.
pub async fn listen_from_args() -> Result<tokio::net::TcpListener> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("open http://{}/ in a browser", listener.local_addr()?);
    Ok(listener)
}

/// The frames of a VP8 IVF file, each lasting one frame of the file's rate.
pub fn read_ivf(path: &Path) -> Result<Vec<Sample>> {
    let mut r = IvfReader::new(std::fs::File::open(path)?)?;
    let h = r.header();
    let (num, den) = (
        u64::from(h.timebase_num.max(1)),
        u64::from(h.timebase_den.max(1)),
    );
    let mut frames: Vec<(u64, Vec<u8>)> = Vec::new();
    while let Some(f) = r.next_frame()? {
        frames.push((f.timestamp, f.data));
    }
    let default = Duration::from_millis(33);
    let mut out = Vec::with_capacity(frames.len());
    for i in 0..frames.len() {
        let duration = match frames.get(i + 1) {
            Some((next, _)) if *next > frames[i].0 => {
                Duration::from_micros((next - frames[i].0) * num * 1_000_000 / den)
            }
            _ => default,
        };
        out.push(Sample {
            data: std::mem::take(&mut frames[i].1),
            duration,
        });
    }
    Ok(out)
}

/// The packets of an Ogg Opus file, each lasting what it holds.
pub fn read_ogg_opus(path: &Path) -> Result<Vec<Sample>> {
    let mut r = OggOpusReader::new(std::fs::File::open(path)?)?;
    let mut out = Vec::new();
    while let Some((data, _)) = r.next_packet()? {
        let samples = opus_packet_samples(&data).unwrap_or(960);
        out.push(Sample {
            data,
            duration: Duration::from_micros(u64::from(samples) * 1_000_000 / 48_000),
        });
    }
    Ok(out)
}

/// Sends `samples` on `track` at their own pace, over and over, until
/// `pc` ends. Returns how many samples went out.
pub async fn play_loop(pc: PeerConnection, track: MediaStreamTrack, samples: Vec<Sample>) -> u64 {
    if samples.is_empty() || connected(&pc).await.is_err() {
        return 0;
    }
    let start = tokio::time::Instant::now();
    let mut at = Duration::ZERO;
    let mut sent = 0;
    for s in samples.iter().cycle() {
        if ended(&pc) {
            break;
        }
        tokio::time::sleep_until(start + at).await;
        sent += track.write_sample(s) as u64;
        at += s.duration;
    }
    sent
}
