//! Data channels between two peers in one process, over UDP on 127.0.0.1:
//! an in-band channel (the peer learns of it by the `datachannel` event), a
//! pre-negotiated one (both sides create it with the same id), text and
//! binary messages, and closing.
//!
//! `cargo run -p rtcpeer-cli --example data_channels`

use std::time::Duration;

use rtcpeer::{
    DataChannelEvent, DataChannelEventStream, DataChannelInit, Event, Message, PeerConnection,
    Settings,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const LIMIT: Duration = Duration::from_secs(20);

async fn next(events: &mut DataChannelEventStream) -> Result<DataChannelEvent> {
    tokio::time::timeout(LIMIT, events.recv())
        .await?
        .ok_or_else(|| "the channel went away".into())
}

async fn next_message(events: &mut DataChannelEventStream) -> Result<Message> {
    loop {
        if let DataChannelEvent::Message(m) = next(events).await? {
            return Ok(m);
        }
    }
}

async fn wait_open(events: &mut DataChannelEventStream) -> Result<()> {
    while next(events).await? != DataChannelEvent::Open {}
    Ok(())
}

/// Forwards `from`'s candidates to `to` once `to` has a remote description.
fn trickle(from: &PeerConnection, to: &PeerConnection) {
    let mut events = from.events();
    let to = to.clone();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::IceCandidate(c) = e {
                while to.remote_description().is_none() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = to.add_ice_candidate(c).await;
            }
        }
    });
}

/// Runs the example; returns the messages the answerer received.
pub async fn run() -> Result<Vec<Message>> {
    // Loopback only: nothing leaves this machine.
    let alice = PeerConnection::with_settings(Default::default(), Settings::loopback_only())?;
    let bob = PeerConnection::with_settings(Default::default(), Settings::loopback_only())?;
    let mut bob_events = bob.events();

    // In-band: alice creates "chat"; bob hears of it after connecting.
    let chat = alice.create_data_channel("chat", Default::default())?;
    let mut chat_events = chat.events();
    // Pre-negotiated: both create "control" with id 0; no DCEP message is sent.
    let init = DataChannelInit {
        negotiated: true,
        id: Some(0),
        ..Default::default()
    };
    let a_control = alice.create_data_channel("control", init.clone())?;
    let b_control = bob.create_data_channel("control", init)?;
    let (mut a_control_events, mut b_control_events) = (a_control.events(), b_control.events());

    // Each side's candidates reach the other as they are gathered (trickle).
    trickle(&alice, &bob);
    trickle(&bob, &alice);
    let offer = alice.create_offer(Default::default()).await?;
    alice.set_local_description(Some(offer.clone())).await?;
    bob.set_remote_description(offer).await?;
    let answer = bob.create_answer(Default::default()).await?;
    bob.set_local_description(Some(answer.clone())).await?;
    alice.set_remote_description(answer).await?;

    wait_open(&mut chat_events).await?;
    wait_open(&mut a_control_events).await?;
    wait_open(&mut b_control_events).await?;
    println!("alice: \"chat\" and \"control\" open");

    let b_chat = loop {
        match tokio::time::timeout(LIMIT, bob_events.recv()).await? {
            Some(Event::DataChannel(ch)) => break ch,
            Some(_) => {}
            None => return Err("bob went away".into()),
        }
    };
    println!(
        "bob: datachannel {:?} (id {:?})",
        b_chat.label(),
        b_chat.id()
    );
    let mut b_chat_events = b_chat.events();

    chat.send_text("hello bob")?;
    chat.send(&[1, 2, 3])?;
    a_control.send_text("pause")?;
    let mut received = vec![
        next_message(&mut b_chat_events).await?,
        next_message(&mut b_chat_events).await?,
        next_message(&mut b_control_events).await?,
    ];
    b_chat.send_text("hello alice")?;
    received.push(next_message(&mut chat_events).await?);
    for m in &received {
        println!("received {m:?}");
    }

    // Closing one end closes both.
    chat.close();
    while next(&mut b_chat_events).await? != DataChannelEvent::Close {}
    println!("bob: \"chat\" closed");
    alice.close();
    bob.close();
    Ok(received)
}

#[tokio::main]
#[allow(dead_code)]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("data_channels: {e}");
        std::process::exit(1);
    }
}
