//! `rtcpeer echo-client`: the client side of the webrtc-echoes convention.
//!
//! Test 0: the connection gets through ICE and DTLS. Test 1: a data channel
//! opens and a text and a binary message come back unchanged. Test 2: media
//! echo (not supported until rtcpeer sends and receives media).

use std::time::{Duration, Instant};

use rtcpeer::{Configuration, Message, PeerConnection, SessionDescription, Settings};

use crate::common::{self, fail, CliResult};

/// Runs test `test` against the server's offer URL.
pub async fn run(
    url: &str,
    test: u8,
    settings: Settings,
    config: Configuration,
    limit: Duration,
) -> CliResult<()> {
    if test == 2 {
        return fail(
            "test 2 (media echo) is not supported yet: rtcpeer does not send or receive media yet",
        );
    }
    if test > 2 {
        return fail(format!("unknown test {test} (0, 1 or 2)"));
    }
    let url = if crate::http::parse_url(url)?.2 == "/" {
        format!("{}/offer", url.trim_end_matches('/'))
    } else {
        url.to_string()
    };
    let pc = PeerConnection::with_settings(config, settings)?;
    let result = session(&pc, &url, test, limit).await;
    pc.close();
    result
}

/// Closes the channel and waits a moment for the peer to confirm, so the
/// server learns that this client left without waiting for a timeout.
async fn leave(dc: &rtcpeer::DataChannel, events: &mut rtcpeer::DataChannelEventStream) {
    dc.close();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(e) = events.recv().await {
            if e == rtcpeer::DataChannelEvent::Close {
                break;
            }
        }
    })
    .await;
}

async fn session(pc: &PeerConnection, url: &str, test: u8, limit: Duration) -> CliResult<()> {
    let started = Instant::now();
    let mut events = pc.events();
    // A data channel gives the offer its transport even for test 0.
    let dc = pc.create_data_channel("echo", Default::default())?;
    let mut dc_events = dc.events();
    let offer = pc.create_offer(Default::default()).await?;
    pc.set_local_description(Some(offer)).await?;
    common::wait_gathering_complete(pc, &mut events, limit).await?;
    let offer = pc
        .local_description()
        .ok_or("no local description after gathering")?;
    let body = serde_json::to_string(&offer)?;
    let reply = crate::http::post_json(url, &body, limit).await?;
    let answer: SessionDescription = serde_json::from_str(&reply)
        .map_err(|e| format!("the server's answer is not an RTCSessionDescriptionInit: {e}"))?;
    pc.set_remote_description(answer).await?;
    common::wait_connected(pc, &mut events, limit).await?;
    println!("connected (ICE and DTLS) after {:?}", started.elapsed());
    if test == 0 {
        leave(&dc, &mut dc_events).await;
        return Ok(());
    }
    common::wait_open(&mut dc_events, limit).await?;
    let text = "rtcpeer echo test";
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    dc.send_text(text)?;
    dc.send(&binary)?;
    let first = common::next_message(&mut dc_events, limit).await?;
    let second = common::next_message(&mut dc_events, limit).await?;
    if first != Message::Text(text.into()) {
        return fail(format!("expected the text echo, got {first:?}"));
    }
    if second != Message::Binary(binary) {
        return fail(format!("expected the binary echo, got {second:?}"));
    }
    println!(
        "data channel echo: text and binary came back after {:?}",
        started.elapsed()
    );
    leave(&dc, &mut dc_events).await;
    Ok(())
}
