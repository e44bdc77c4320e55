//! `rtcpeer demo`: the signaling half of two peers in one process.

use rtcpeer::{
    Configuration, Direction, Event, MediaKind, MediaStream, MediaStreamTrack, PeerConnection,
    Result, Settings,
};

use crate::common::CliResult;

fn watch(name: &'static str, pc: &PeerConnection) {
    let mut events = pc.events();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            match e {
                Event::SignalingStateChange(s) => println!("[{name}] signalingstatechange: {s}"),
                Event::NegotiationNeeded => println!("[{name}] negotiationneeded"),
                Event::Track(t) => println!(
                    "[{name}] track: kind {} mid {:?} streams {:?}",
                    t.track.kind(),
                    t.transceiver.mid(),
                    t.streams
                        .iter()
                        .map(|s| s.id().to_string())
                        .collect::<Vec<_>>()
                ),
                Event::AddStream(s) => println!("[{name}] addstream: {}", s.id()),
                other => println!("[{name}] {other:?}"),
            }
        }
    });
}

async fn exchange(offerer: &PeerConnection, answerer: &PeerConnection, print: bool) -> Result<()> {
    let offer = offerer.create_offer(Default::default()).await?;
    if print {
        println!("--- offer ---\n{}", offer.sdp);
    }
    offerer.set_local_description(Some(offer.clone())).await?;
    answerer.set_remote_description(offer).await?;
    let answer = answerer.create_answer(Default::default()).await?;
    if print {
        println!("--- answer ---\n{}", answer.sdp);
    }
    answerer.set_local_description(Some(answer.clone())).await?;
    offerer.set_remote_description(answer).await?;
    Ok(())
}

fn show(name: &str, pc: &PeerConnection) {
    for t in pc.get_transceivers() {
        println!(
            "[{name}] transceiver mid {:?} kind {} direction {} currentDirection {:?}",
            t.mid(),
            t.kind(),
            t.direction(),
            t.current_direction().map(|d| d.to_string())
        );
    }
}

/// Run the demo.
pub async fn run() -> CliResult<()> {
    // Loopback only: the demo's traffic never leaves this machine.
    let alice = PeerConnection::with_settings(Configuration::default(), Settings::loopback_only())?;
    let bob = PeerConnection::with_settings(Configuration::default(), Settings::loopback_only())?;
    watch("alice", &alice);
    watch("bob", &bob);

    let mic = MediaStreamTrack::new(MediaKind::Audio);
    let cam = MediaStreamTrack::new(MediaKind::Video);
    let stream = MediaStream::new(vec![mic.clone(), cam.clone()]);
    alice.add_track(&mic, std::slice::from_ref(&stream))?;
    alice.add_track(&cam, std::slice::from_ref(&stream))?;
    exchange(&alice, &bob, true).await?;
    tokio::task::yield_now().await;
    show("alice", &alice);
    show("bob", &bob);

    println!("--- bob answers with his own camera: renegotiation ---");
    let bob_cam = MediaStreamTrack::new(MediaKind::Video);
    bob.add_track(&bob_cam, &[MediaStream::new(vec![bob_cam.clone()])])?;
    exchange(&bob, &alice, false).await?;
    tokio::task::yield_now().await;
    show("alice", &alice);
    show("bob", &bob);

    let video = alice
        .get_transceivers()
        .into_iter()
        .find(|t| t.kind() == MediaKind::Video);
    if let Some(v) = video {
        if v.current_direction() != Some(Direction::SendRecv) {
            return crate::common::fail("video did not become sendrecv");
        }
    }
    alice.close();
    bob.close();
    println!("--- a data channel over UDP on 127.0.0.1 (ICE, DTLS, SCTP): `rtcpeer loopback` ---");
    crate::loopback::run(1_000_000, false).await?;
    println!("done");
    Ok(())
}
