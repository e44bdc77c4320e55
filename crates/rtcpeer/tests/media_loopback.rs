//! Media between two rtcpeer connections over real UDP on 127.0.0.1:
//! samples in on one side, frames out on the other, through SRTP, the
//! BUNDLE demux, the jitter buffer, and NACK/RTX repair of emulated loss.

use std::time::Duration;

use rtcpeer::rtp::codec::Codec;
use rtcpeer::{
    Event, MediaKind, MediaStreamTrack, PeerConnection, PeerConnectionState, Sample, TrackEvent,
};
use tokio::time::timeout;

mod local;
use local::{loopback_pc, trickle, LIMIT};

/// Offer from `a`, answer from `b`; returns `b`'s track events once both are connected.
async fn connect(a: &PeerConnection, b: &PeerConnection, tracks: usize) -> Vec<TrackEvent> {
    let mut a_events = a.events();
    let mut b_events = b.events();
    trickle(a, b);
    trickle(b, a);
    let offer = a.create_offer(Default::default()).await.unwrap();
    a.set_local_description(Some(offer.clone())).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer(Default::default()).await.unwrap();
    b.set_local_description(Some(answer.clone())).await.unwrap();
    a.set_remote_description(answer).await.unwrap();
    let mut got = Vec::new();
    timeout(LIMIT, async {
        while got.len() < tracks {
            if let Some(Event::Track(t)) = b_events.recv().await {
                got.push(t);
            }
        }
        loop {
            if let Some(Event::ConnectionStateChange(PeerConnectionState::Connected)) =
                a_events.recv().await
            {
                break;
            }
        }
    })
    .await
    .expect("tracks and connection in time");
    got
}

/// A fake VP8 frame: a keyframe or an interframe by the first byte's P bit,
/// with a recognisable body of `len` bytes.
fn vp8_frame(n: usize, len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(|i| (i * 7 + n) as u8).collect();
    f[0] = if n == 0 { 0x10 } else { 0x11 };
    f[1..5].copy_from_slice(&(n as u32).to_be_bytes());
    f
}

/// Writes frames (waiting until the sender sends) and reads them back.
async fn send_and_receive(
    track: &MediaStreamTrack,
    receiver: &rtcpeer::RtpReceiver,
    frames: usize,
    len: usize,
) -> Vec<rtcpeer::Frame> {
    let sample = move |n| Sample {
        data: vp8_frame(n, len),
        duration: Duration::from_millis(33),
    };
    timeout(LIMIT, async {
        while track.write_sample(&sample(0)) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the sender sends once connected");
    let writer = {
        let track = track.clone();
        tokio::spawn(async move {
            for n in 1..frames {
                tokio::time::sleep(Duration::from_millis(5)).await;
                assert_eq!(track.write_sample(&sample(n)), 1);
            }
        })
    };
    let mut got = Vec::new();
    timeout(LIMIT, async {
        while got.len() < frames {
            got.push(receiver.read_frame().await.expect("frames"));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{frames} frames in time, got {}", got.len()));
    writer.await.unwrap();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_frames_cross_srtp_intact() {
    let (a, b) = (loopback_pc(), loopback_pc());
    let video = MediaStreamTrack::new(MediaKind::Video);
    let sender = a.add_track(&video, &[]).unwrap();
    let tracks = connect(&a, &b, 1).await;
    assert_eq!(tracks[0].track.kind(), MediaKind::Video);
    assert_eq!(sender.codec(), Some(Codec::Vp8));
    let got = send_and_receive(&video, &tracks[0].receiver, 60, 3_000).await;
    for (n, f) in got.iter().enumerate() {
        assert_eq!(f.data, vp8_frame(n, 3_000), "frame {n}");
        assert_eq!(f.keyframe, n == 0);
        assert_eq!(f.codec, Codec::Vp8);
    }
    let out = sender.stats().unwrap();
    assert_eq!(out.frames_sent, 60);
    assert!(out.packets_sent >= 180, "{out:?}");
    let inb = tracks[0].receiver.stats().unwrap();
    assert_eq!(inb.packets_received, out.packets_sent);
    assert_eq!(b.media_counters(), Default::default());
    // Each packet carried a transport-wide sequence number, and b's
    // transport-wide CC feedback reports every one received.
    let mut fb = a.transport_feedback();
    timeout(LIMIT, async {
        while fb.reported_received < out.packets_sent {
            tokio::time::sleep(Duration::from_millis(20)).await;
            fb = a.transport_feedback();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("feedback for {} packets: {fb:?}", out.packets_sent));
    assert_eq!(fb.packets_numbered, out.packets_sent, "{fb:?}");
    assert_eq!(fb.reported_received, out.packets_sent, "{fb:?}");
    assert_eq!(fb.reported_lost, 0, "{fb:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nack_and_rtx_repair_five_percent_loss() {
    let (a, b) = (loopback_pc(), loopback_pc());
    let video = MediaStreamTrack::new(MediaKind::Video);
    let sender = a.add_track(&video, &[]).unwrap();
    let tracks = connect(&a, &b, 1).await;
    b.set_test_receive_loss(5, 42);
    let got = send_and_receive(&video, &tracks[0].receiver, 200, 3_000).await;
    for (n, f) in got.iter().enumerate() {
        assert_eq!(f.data, vp8_frame(n, 3_000), "frame {n}");
        assert!(!f.after_loss, "frame {n} came after a loss");
    }
    let dropped = b.media_counters().test_dropped;
    assert!(dropped > 10, "the hook dropped {dropped} packets");
    let out = sender.stats().unwrap();
    assert!(
        out.retransmitted_packets_sent >= dropped,
        "{dropped} lost, {out:?}"
    );
    assert!(out.nack_count > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_tones_cross_as_telephone_events() {
    use rtcpeer::rtp::codec::dtmf::DtmfEvent;
    use rtcpeer::rtp::RtpPacket;
    use rtcpeer::{DtmfSenderEvent, ErrorKind};

    let (a, b) = (loopback_pc(), loopback_pc());
    let audio = MediaStreamTrack::new(MediaKind::Audio);
    let sender = a.add_track(&audio, &[]).unwrap();
    let dtmf = sender.dtmf().expect("an audio sender has dtmf");
    assert!(!dtmf.can_insert_dtmf(), "nothing negotiated yet");
    let e = dtmf
        .insert_dtmf("1", Duration::from_millis(100), Duration::from_millis(70))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStateError);
    let tracks = connect(&a, &b, 1).await;
    let receiver = tracks[0].receiver.clone();
    let mut tones_in = receiver.dtmf_events();
    let mut changes = dtmf.events();
    // Some audio first, so that the receiver's stream exists.
    let opus = |n: u8| Sample {
        data: vec![0xfc, n, n, n],
        duration: Duration::from_millis(20),
    };
    timeout(LIMIT, async {
        while !dtmf.can_insert_dtmf() || audio.write_sample(&opus(0)) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the sender sends once connected");
    for n in 1..5 {
        assert_eq!(audio.write_sample(&opus(n)), 1);
    }
    let e = dtmf
        .insert_dtmf("12x", Duration::from_millis(100), Duration::from_millis(70))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidCharacterError);
    // Gap 10 ms is clamped to 30 ms; lower case is upper-cased.
    dtmf.insert_dtmf(
        "1234#a",
        Duration::from_millis(100),
        Duration::from_millis(10),
    )
    .unwrap();
    #[allow(deprecated)]
    let legacy = a.create_dtmf_sender(&audio).unwrap();
    // The same sender: its tone buffer, less the first tone if it started
    // playing already (the actor runs beside this test).
    let buffer = legacy.tone_buffer();
    assert!(["1234#A", "234#A"].contains(&buffer.as_str()), "{buffer:?}");
    let mut seen = Vec::new();
    timeout(LIMIT, async {
        loop {
            let Some(DtmfSenderEvent::ToneChange(t)) = changes.recv().await else {
                panic!("events ended");
            };
            let end = t.is_empty();
            seen.push(t);
            if end {
                break;
            }
        }
    })
    .await
    .expect("tone changes in time");
    assert_eq!(seen, ["1", "2", "3", "4", "#", "A", ""]);
    assert_eq!(dtmf.tone_buffer(), "");
    let mut got = Vec::new();
    timeout(LIMIT, async {
        while got.len() < 6 {
            got.push(tones_in.recv().await.expect("tones"));
        }
    })
    .await
    .expect("received tones in time");
    assert_eq!(got.iter().map(|t| t.tone).collect::<String>(), "1234#A");
    assert!(
        got.iter().all(|t| t.duration == Duration::from_millis(100)),
        "{got:?}"
    );
    // On the wire: the audio SSRC, the 48 kHz telephone-event, each tone
    // marked once and ended three times.
    let audio_ssrc = sender.encodings()[0].ssrc;
    let mut te = Vec::new();
    while let Ok(Some(p)) = timeout(Duration::from_millis(200), receiver.read_rtp()).await {
        let p = RtpPacket::parse(&p).unwrap();
        assert_eq!(p.ssrc(), audio_ssrc);
        if p.payload_type() != 111 {
            te.push((
                p.payload_type(),
                p.marker(),
                DtmfEvent::parse(p.payload()).unwrap(),
            ));
        }
    }
    assert!(te.iter().all(|(pt, _, _)| *pt == 110), "{te:?}");
    assert_eq!(te.iter().filter(|(_, m, _)| *m).count(), 6);
    assert_eq!(te.iter().filter(|(_, _, e)| e.end).count(), 18);
    assert!(te
        .iter()
        .filter(|(_, _, e)| e.end)
        .all(|(_, _, e)| e.duration == 4800));
    // Telephone-events count as packets of the audio stream, and their
    // sequence numbers are no loss.
    let out = sender.stats().unwrap();
    let inb = receiver.stats().unwrap();
    assert_eq!(inb.packets_received, out.packets_sent);
    assert_eq!(inb.packets_lost, 0);
    assert_eq!(b.media_counters(), Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_parameters_inactive_encoding_stops_sending() {
    use rtcpeer::ErrorKind;

    let (a, b) = (loopback_pc(), loopback_pc());
    let video = MediaStreamTrack::new(MediaKind::Video);
    let sender = a.add_track(&video, &[]).unwrap();
    let tracks = connect(&a, &b, 1).await;
    let rx = &tracks[0].receiver;
    let got = send_and_receive(&video, rx, 10, 1_000).await;
    assert_eq!(got.len(), 10);

    // W3C checks: getParameters first (once per setParameters), its
    // transactionId, the same encodings.
    let fresh = sender.get_parameters().unwrap();
    let e = sender.set_parameters(fresh.clone()).await;
    assert!(e.is_ok(), "{e:?}");
    let e = sender.set_parameters(fresh).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::InvalidStateError);
    let stale = sender.get_parameters().unwrap();
    let mut p = sender.get_parameters().unwrap();
    assert_ne!(stale.transaction_id, p.transaction_id);
    assert_eq!(
        sender.set_parameters(stale).await.unwrap_err().kind(),
        ErrorKind::InvalidModificationError
    );
    let mut more = sender.get_parameters().unwrap();
    more.encodings.push(more.encodings[0].clone());
    assert_eq!(
        sender.set_parameters(more).await.unwrap_err().kind(),
        ErrorKind::InvalidModificationError
    );

    // Inactive: nothing goes out; maxBitrate is kept.
    p = sender.get_parameters().unwrap();
    p.encodings[0].active = false;
    p.encodings[0].max_bitrate = Some(250_000);
    sender.set_parameters(p).await.unwrap();
    let sent = sender.stats().unwrap().packets_sent;
    for n in 10..20 {
        assert_eq!(
            video.write_sample(&Sample {
                data: vp8_frame(n, 1_000),
                duration: Duration::from_millis(33),
            }),
            0,
            "an inactive sender takes no frame"
        );
    }
    assert_eq!(sender.stats().unwrap().packets_sent, sent);
    let p = sender.get_parameters().unwrap();
    assert!(!p.encodings[0].active);
    assert_eq!(p.encodings[0].max_bitrate, Some(250_000));

    // Active again: the next frame that arrives is the first one written after.
    let mut p = p;
    p.encodings[0].active = true;
    sender.set_parameters(p).await.unwrap();
    assert_eq!(
        video.write_sample(&Sample {
            data: vp8_frame(20, 1_000),
            duration: Duration::from_millis(33),
        }),
        1
    );
    // (read through the remote track this time; a local track has nothing to read)
    let remote = &tracks[0].track;
    assert!(remote.is_remote() && !video.is_remote());
    assert!(video.read_frame().await.is_none());
    let f = timeout(LIMIT, remote.read_frame()).await.unwrap().unwrap();
    assert_eq!(f.data, vp8_frame(20, 1_000), "frames 10..20 were not sent");
    assert!(sender.stats().unwrap().packets_sent > sent);
}
