//! `rtcpeer loopback`: two PeerConnections in this process over real UDP on
//! 127.0.0.1: the offer, every state change, a data-channel round trip and a
//! throughput figure.

use std::time::{Duration, Instant};

use rtcpeer::{Configuration, DataChannelEvent, Event, Message, PeerConnection, Settings};

use crate::common::{self, fail, CliResult};

const LIMIT: Duration = Duration::from_secs(20);
const CHUNK: usize = 16 * 1024;

/// Prints the connection's state changes as they happen.
fn watch(name: &'static str, pc: &PeerConnection) {
    let mut events = pc.events();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            match e {
                Event::SignalingStateChange(s) => println!("[{name}] signalingstatechange: {s}"),
                Event::IceGatheringStateChange(s) => {
                    println!("[{name}] icegatheringstatechange: {s}")
                }
                Event::IceConnectionStateChange(s) => {
                    println!("[{name}] iceconnectionstatechange: {s}")
                }
                Event::ConnectionStateChange(s) => println!("[{name}] connectionstatechange: {s}"),
                Event::IceCandidate(Some(c)) => println!("[{name}] icecandidate: {}", c.candidate),
                Event::DataChannel(ch) => println!("[{name}] datachannel: {:?}", ch.label()),
                _ => {}
            }
        }
    });
}

/// Runs the loopback: `bytes` are sent on the bulk channel. With `print_offer`
/// the offer's SDP is printed.
pub async fn run(bytes: u64, print_offer: bool) -> CliResult<()> {
    let alice = PeerConnection::with_settings(Configuration::default(), Settings::loopback_only())?;
    let bob = PeerConnection::with_settings(Configuration::default(), Settings::loopback_only())?;
    let result = session(&alice, &bob, bytes, print_offer).await;
    alice.close();
    bob.close();
    result
}

async fn session(
    alice: &PeerConnection,
    bob: &PeerConnection,
    bytes: u64,
    print_offer: bool,
) -> CliResult<()> {
    watch("alice", alice);
    watch("bob", bob);
    common::trickle(alice, bob);
    common::trickle(bob, alice);

    // Bob echoes "chat" and acknowledges the bulk transfer with its byte count.
    let mut bob_events = bob.events();
    tokio::spawn(async move {
        while let Some(e) = bob_events.recv().await {
            let Event::DataChannel(ch) = e else { continue };
            if ch.label() == "bulk" {
                tokio::spawn(async move {
                    let mut events = ch.events();
                    let mut got = 0u64;
                    while let Some(e) = events.recv().await {
                        if let DataChannelEvent::Message(m) = e {
                            got += match m {
                                Message::Binary(b) => b.len() as u64,
                                Message::Text(t) => t.len() as u64,
                            };
                            if got >= bytes {
                                let _ = ch.send_text(&got.to_string());
                                break;
                            }
                        }
                    }
                });
            } else {
                tokio::spawn(common::echo_channel(ch));
            }
        }
    });

    let chat = alice.create_data_channel("chat", Default::default())?;
    let mut chat_events = chat.events();
    let bulk = alice.create_data_channel("bulk", Default::default())?;
    let mut bulk_events = bulk.events();

    let offer = alice.create_offer(Default::default()).await?;
    if print_offer {
        println!("--- offer ---\n{}", offer.sdp.trim_end());
        println!("-------------");
    }
    alice.set_local_description(Some(offer.clone())).await?;
    bob.set_remote_description(offer).await?;
    let answer = bob.create_answer(Default::default()).await?;
    bob.set_local_description(Some(answer.clone())).await?;
    alice.set_remote_description(answer).await?;

    common::wait_open(&mut chat_events, LIMIT).await?;
    println!("[alice] data channel \"chat\" open");
    let sent = Instant::now();
    chat.send_text("ping")?;
    let echo = common::next_message(&mut chat_events, LIMIT).await?;
    let round_trip = sent.elapsed();
    if echo != Message::Text("ping".into()) {
        return fail(format!("the echo was {echo:?}, not \"ping\""));
    }
    println!("[alice] round trip: \"ping\" came back in {round_trip:?}");

    common::wait_open(&mut bulk_events, LIMIT).await?;
    let piece: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
    let high = 1024 * 1024;
    bulk.set_buffered_amount_low_threshold(256 * 1024);
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        while bulk.buffered_amount() > high {
            match tokio::time::timeout(LIMIT, bulk_events.recv()).await {
                Ok(Some(DataChannelEvent::Close)) | Ok(None) => {
                    return fail("the bulk channel closed during the transfer")
                }
                Ok(Some(_)) => {}
                Err(_) => return fail("the transfer stalled"),
            }
        }
        let n = left.min(CHUNK as u64) as usize;
        bulk.send(&piece[..n])?;
        left -= n as u64;
    }
    let ack = common::next_message(&mut bulk_events, LIMIT).await?;
    let elapsed = started.elapsed();
    if ack != Message::Text(bytes.to_string()) {
        return fail(format!("bob acknowledged {ack:?}, expected {bytes} bytes"));
    }
    println!(
        "[alice] throughput: {bytes} bytes in {elapsed:.2?} = {}",
        common::rate(bytes, elapsed)
    );
    Ok(())
}
