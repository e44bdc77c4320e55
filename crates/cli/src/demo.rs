//! `rtcpeer demo`: the signaling half of two peers in one process.

use std::time::{Duration, Instant};

use rtcpeer::{
    Configuration, DataChannelEvent, Direction, Error, Event, MediaKind, MediaStream,
    MediaStreamTrack, Message, PeerConnection, Result, Settings,
};

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
pub async fn run() -> Result<()> {
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
            return Err(rtcpeer::Error::operation("video did not become sendrecv"));
        }
    }
    alice.close();
    bob.close();
    data_channel_round_trip().await
}

/// Forward `from`'s trickled candidates to `to`.
fn trickle(from: &PeerConnection, to: &PeerConnection) {
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

/// Two peers over real UDP on 127.0.0.1: ICE, DTLS, SCTP, a data channel, an echo.
async fn data_channel_round_trip() -> Result<()> {
    println!("--- a data channel over UDP on 127.0.0.1 (ICE, DTLS, SCTP) ---");
    let limit = Duration::from_secs(20);
    let timed_out = |what: &str| Error::operation(format!("timed out waiting for {what}"));
    let alice = PeerConnection::with_settings(Configuration::default(), Settings::loopback_only())?;
    let bob = PeerConnection::with_settings(Configuration::default(), Settings::loopback_only())?;
    for (name, pc) in [("alice", &alice), ("bob", &bob)] {
        let mut events = pc.events();
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                match e {
                    Event::IceConnectionStateChange(s) => {
                        println!("[{name}] iceconnectionstatechange: {s}")
                    }
                    Event::ConnectionStateChange(s) => {
                        println!("[{name}] connectionstatechange: {s}")
                    }
                    Event::IceCandidate(Some(c)) => {
                        println!("[{name}] icecandidate: {}", c.candidate)
                    }
                    _ => {}
                }
            }
        });
    }
    trickle(&alice, &bob);
    trickle(&bob, &alice);
    // Bob echoes every message on the channel it came in on.
    let mut bob_events = bob.events();
    tokio::spawn(async move {
        while let Some(e) = bob_events.recv().await {
            if let Event::DataChannel(ch) = e {
                println!("[bob] datachannel: {:?}", ch.label());
                let mut ev = ch.events();
                tokio::spawn(async move {
                    while let Some(e) = ev.recv().await {
                        if let DataChannelEvent::Message(m) = e {
                            let _ = match m {
                                Message::Text(t) => ch.send_text(&t),
                                Message::Binary(b) => ch.send(&b),
                            };
                        }
                    }
                });
            }
        }
    });
    let dc = alice.create_data_channel("chat", Default::default())?;
    let mut events = dc.events();
    exchange(&alice, &bob, false).await?;
    loop {
        match tokio::time::timeout(limit, events.recv()).await {
            Ok(Some(DataChannelEvent::Open)) => break,
            Ok(Some(_)) => {}
            _ => return Err(timed_out("the channel to open")),
        }
    }
    println!("[alice] data channel {:?} open", dc.label());
    let sent = Instant::now();
    dc.send_text("hello from alice")?;
    loop {
        match tokio::time::timeout(limit, events.recv()).await {
            Ok(Some(DataChannelEvent::Message(Message::Text(t)))) => {
                println!("[alice] echo {t:?} after {:?}", sent.elapsed());
                break;
            }
            Ok(Some(_)) => {}
            _ => return Err(timed_out("the echo")),
        }
    }
    alice.close();
    bob.close();
    println!("done");
    Ok(())
}
