//! The README's "Using it" code, compiled by `cargo test` so the README
//! stays true. It needs a browser on the other side of your signaling to do
//! anything, so `main` only builds the connection's offer and prints it.
#![allow(unused_variables, clippy::single_match)]

use rtcpeer::{
    Configuration, Event, MediaKind, MediaStream, MediaStreamTrack, PeerConnection, Sample,
};
use std::time::Duration;

async fn run() -> rtcpeer::Result<()> {
    let pc = PeerConnection::new(Configuration::default())?;

    // A data channel, and a video track we feed with encoded frames (VP8 here).
    let chat = pc.create_data_channel("chat", Default::default())?;
    let camera = MediaStreamTrack::new(MediaKind::Video);
    pc.add_track(&camera, &[MediaStream::new(vec![camera.clone()])])?;

    // Signaling is yours: send the offer and our candidates to the browser,
    // apply its answer with set_remote_description and its candidates with
    // add_ice_candidate. The JSON is exactly what a browser's objects give.
    let offer = pc.create_offer(Default::default()).await?;
    pc.set_local_description(Some(offer)).await?;
    let _to_browser = pc.local_description().unwrap().to_json();

    let mut events = pc.events();
    while let Some(e) = events.recv().await {
        match e {
            Event::IceCandidate(c) => { /* send c (None = end of candidates) */ }
            Event::Track(t) => {
                // Frames the browser sends, depacketized and reassembled.
                tokio::spawn(async move {
                    while let Some(frame) = t.receiver.read_frame().await {
                        println!("{:?} frame of {} bytes", frame.codec, frame.data.len());
                    }
                });
            }
            _ => {}
        }
    }
    chat.send_text("hello")?;
    camera.write_sample(&Sample {
        data: vec![/* a VP8 frame */],
        duration: Duration::from_millis(33),
    });
    let stats = pc.get_stats().await?; // serde JSON with the browsers' field names
    println!("{}", stats.to_json());
    Ok(())
}

#[tokio::main]
async fn main() {
    let pc = rtcpeer::PeerConnection::with_settings(
        Default::default(),
        rtcpeer::Settings::loopback_only(),
    )
    .unwrap();
    pc.create_data_channel("chat", Default::default()).unwrap();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    println!("{}", offer.sdp);
    let _ = run; // the README code, which waits for a browser
}
