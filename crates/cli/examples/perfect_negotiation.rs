//! The W3C "perfect negotiation" pattern between two peers in one process
//! (UDP on 127.0.0.1), then an ICE restart negotiated the same way.
//!
//! Both peers create a data channel at the same moment, so both send an
//! offer; the signaling channel here is slow (it holds messages until both
//! offers are on their way), so the offers cross: a glare, every run. The
//! impolite peer ignores the colliding offer; the polite one rolls its own
//! back and answers. Later the polite peer calls `restartIce()`;
//! `negotiationneeded` drives the new offer and the channel keeps working.
//!
//! `cargo run -p rtcpeer-cli --example perfect_negotiation`

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rtcpeer::{
    DataChannel, DataChannelEvent, Event, IceCandidateInit, Message, PeerConnection, SdpType,
    SessionDescription, Settings, SignalingState,
};
use tokio::sync::mpsc;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const LIMIT: Duration = Duration::from_secs(20);

/// What the signaling channel carries.
#[derive(Debug)]
enum Signal {
    Description(SessionDescription),
    Candidate(Option<IceCandidateInit>),
}

/// One side of the pattern: reacts to `negotiationneeded`, candidates and
/// the other side's signals until the connection goes away. `collisions`
/// counts the colliding offers it met.
fn negotiate(
    name: &'static str,
    pc: PeerConnection,
    polite: bool,
    out: mpsc::UnboundedSender<Signal>,
    mut inbox: mpsc::UnboundedReceiver<Signal>,
    collisions: Arc<AtomicU32>,
) {
    let mut events = pc.events();
    tokio::spawn(async move {
        let mut ignore_offer = false;
        loop {
            tokio::select! {
                e = events.recv() => match e {
                    None => return,
                    Some(Event::NegotiationNeeded) => {
                        // Implicit createOffer (or createAnswer) by setLocalDescription().
                        if pc.set_local_description(None).await.is_ok() {
                            if let Some(d) = pc.local_description() {
                                println!("[{name}] sends {:?}", d.sdp_type);
                                let _ = out.send(Signal::Description(d));
                            }
                        }
                    }
                    Some(Event::IceCandidate(c)) => { let _ = out.send(Signal::Candidate(c)); }
                    Some(_) => {}
                },
                s = inbox.recv() => match s {
                    None => return,
                    Some(Signal::Description(d)) => {
                        let collision = d.sdp_type == SdpType::Offer
                            && pc.signaling_state() != SignalingState::Stable;
                        ignore_offer = !polite && collision;
                        if collision {
                            collisions.fetch_add(1, Ordering::Relaxed);
                        }
                        if ignore_offer {
                            println!("[{name}] impolite: ignores the colliding offer");
                            continue;
                        }
                        if collision {
                            println!("[{name}] polite: rolls back its own offer");
                            let rollback = SessionDescription { sdp_type: SdpType::Rollback, sdp: String::new() };
                            if pc.set_local_description(Some(rollback)).await.is_err() { return; }
                        }
                        let is_offer = d.sdp_type == SdpType::Offer;
                        if pc.set_remote_description(d).await.is_err() { return; }
                        if is_offer && pc.set_local_description(None).await.is_ok() {
                            if let Some(answer) = pc.local_description() {
                                println!("[{name}] sends {:?}", answer.sdp_type);
                                let _ = out.send(Signal::Description(answer));
                            }
                        }
                    }
                    Some(Signal::Candidate(c)) => {
                        // Candidates of an ignored offer may fail; that is expected.
                        if pc.add_ice_candidate(c).await.is_err() && !ignore_offer {
                            println!("[{name}] could not add a candidate");
                        }
                    }
                },
            }
        }
    });
}

async fn open_and_echo(dc: &DataChannel, text: &str, peer: &DataChannel) -> Result<Message> {
    let mut events = dc.events();
    let mut peer_events = peer.events();
    if dc.ready_state().as_str() != "open" {
        while tokio::time::timeout(LIMIT, events.recv()).await? != Some(DataChannelEvent::Open) {}
    }
    dc.send_text(text)?;
    loop {
        if let Some(DataChannelEvent::Message(m)) =
            tokio::time::timeout(LIMIT, peer_events.recv()).await?
        {
            return Ok(m);
        }
    }
}

async fn remote_channel(events: &mut rtcpeer::EventStream, label: &str) -> Result<DataChannel> {
    loop {
        match tokio::time::timeout(LIMIT, events.recv()).await? {
            Some(Event::DataChannel(ch)) if ch.label() == label => return Ok(ch),
            Some(_) => {}
            None => return Err("the connection went away".into()),
        }
    }
}

/// A slow signaling channel between the two sides: it holds everything
/// until each side has sent an offer (so the two offers cross), then
/// forwards in order.
fn slow_signaling(
    mut from_a: mpsc::UnboundedReceiver<Signal>,
    to_b: mpsc::UnboundedSender<Signal>,
    mut from_b: mpsc::UnboundedReceiver<Signal>,
    to_a: mpsc::UnboundedSender<Signal>,
) {
    let is_offer = |s: &Signal| matches!(s, Signal::Description(d) if d.sdp_type == SdpType::Offer);
    tokio::spawn(async move {
        let (mut held_a, mut held_b) = (Vec::new(), Vec::new());
        // Hold until both offers are in, or a while has passed.
        let _ = tokio::time::timeout(LIMIT, async {
            while !(held_a.iter().any(is_offer) && held_b.iter().any(is_offer)) {
                tokio::select! {
                    Some(s) = from_a.recv() => held_a.push(s),
                    Some(s) = from_b.recv() => held_b.push(s),
                    else => break,
                }
            }
        })
        .await;
        for s in held_a {
            let _ = to_b.send(s);
        }
        for s in held_b {
            let _ = to_a.send(s);
        }
        loop {
            tokio::select! {
                Some(s) = from_a.recv() => { let _ = to_b.send(s); }
                Some(s) = from_b.recv() => { let _ = to_a.send(s); }
                else => return,
            }
        }
    });
}

/// What the example saw.
#[derive(Debug)]
pub struct Outcome {
    /// The messages that crossed (before and after the ICE restart).
    pub messages: Vec<Message>,
    /// Colliding offers the polite side met (and rolled back for).
    pub polite_collisions: u32,
    /// Colliding offers the impolite side met (and ignored).
    pub impolite_collisions: u32,
}

/// Runs the example.
pub async fn run() -> Result<Outcome> {
    let polite = PeerConnection::with_settings(Default::default(), Settings::loopback_only())?;
    let impolite = PeerConnection::with_settings(Default::default(), Settings::loopback_only())?;
    let (polite_out, from_polite) = mpsc::unbounded_channel();
    let (impolite_out, from_impolite) = mpsc::unbounded_channel();
    let (to_impolite, impolite_inbox) = mpsc::unbounded_channel();
    let (to_polite, polite_inbox) = mpsc::unbounded_channel();
    slow_signaling(from_polite, to_impolite, from_impolite, to_polite);
    let mut polite_events = polite.events();
    let mut impolite_events = impolite.events();
    let (p_collisions, i_collisions) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    negotiate(
        "polite",
        polite.clone(),
        true,
        polite_out,
        polite_inbox,
        p_collisions.clone(),
    );
    negotiate(
        "impolite",
        impolite.clone(),
        false,
        impolite_out,
        impolite_inbox,
        i_collisions.clone(),
    );

    // Glare: both want a channel at once.
    let p_dc = polite.create_data_channel("from-polite", Default::default())?;
    let i_dc = impolite.create_data_channel("from-impolite", Default::default())?;
    let p_dc_remote = remote_channel(&mut impolite_events, "from-polite").await?;
    let i_dc_remote = remote_channel(&mut polite_events, "from-impolite").await?;
    let mut got = vec![
        open_and_echo(&p_dc, "polite says hi", &p_dc_remote).await?,
        open_and_echo(&i_dc, "impolite says hi", &i_dc_remote).await?,
    ];
    println!("both channels work after the glare");

    // ICE restart: new credentials, negotiated by negotiationneeded.
    let before = polite.local_description().and_then(|d| {
        d.sdp
            .lines()
            .find(|l| l.starts_with("a=ice-ufrag:"))
            .map(str::to_string)
    });
    polite.restart_ice()?;
    let restarted = tokio::time::timeout(LIMIT, async {
        loop {
            let now = polite.current_local_description().and_then(|d| {
                d.sdp
                    .lines()
                    .find(|l| l.starts_with("a=ice-ufrag:"))
                    .map(str::to_string)
            });
            if now.is_some() && now != before && polite.signaling_state() == SignalingState::Stable
            {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await?;
    println!("ICE restarted: {before:?} -> {restarted:?}");
    got.push(open_and_echo(&p_dc, "still here after the restart", &p_dc_remote).await?);
    for m in &got {
        println!("received {m:?}");
    }
    polite.close();
    impolite.close();
    Ok(Outcome {
        messages: got,
        polite_collisions: p_collisions.load(Ordering::Relaxed),
        impolite_collisions: i_collisions.load(Ordering::Relaxed),
    })
}

#[tokio::main]
#[allow(dead_code)]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("perfect_negotiation: {e}");
        std::process::exit(1);
    }
}
