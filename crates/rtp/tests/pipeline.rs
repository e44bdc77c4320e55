//! The crate's pieces used together the way a PeerConnection uses them, on
//! virtual time: packetize → extensions → SRTP → lossy link → SRTP → jitter
//! buffer, with losses repaired by NACK (over SRTCP) and RTX from the send history.

use std::time::{Duration, Instant};

use rtcpeer_rtp::codec::{Codec, Packetizer};
use rtcpeer_rtp::extension::{decode_sdes, encode_sdes, ExtensionMap, ExtensionUri};
use rtcpeer_rtp::history::{unwrap_rtx, RtxSender, SendHistory};
use rtcpeer_rtp::jitter::{JitterBuffer, JitterConfig};
use rtcpeer_rtp::nack::{NackConfig, NackGenerator};
use rtcpeer_rtp::rtcp::{self, RtcpPacket};
use rtcpeer_rtp::stats::ReceiveStats;
use rtcpeer_rtp::{is_rtcp, RtpPacket, SrtpContext, SrtpProfile};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn video_call_with_loss_is_repaired_by_nack_and_rtx() {
    let profile = SrtpProfile::AeadAes128Gcm;
    let material: Vec<u8> = (0..profile.keying_material_len())
        .map(|i| (i * 7) as u8)
        .collect();
    let (mut a_out, mut a_in) = SrtpContext::from_dtls(profile, &material, true).unwrap();
    let (mut b_out, mut b_in) = SrtpContext::from_dtls(profile, &material, false).unwrap();

    let ext = ExtensionMap::webrtc_video_default();
    let mid_id = ext.id(ExtensionUri::Mid).unwrap();
    let (ssrc, rtx_ssrc, pt, rtx_pt) = (1111, 2222, 96, 97);
    let mut packetizer = Packetizer::new(Codec::Vp8, ssrc, pt, 40_000, 1100);
    let mut history = SendHistory::new(1024);
    let mut rtx = RtxSender {
        ssrc: rtx_ssrc,
        payload_type: rtx_pt,
        sequence_number: 5,
    };

    let mut jb = JitterBuffer::new(
        Codec::Vp8.depacketizer(),
        JitterConfig {
            max_delay: Duration::from_millis(500),
            ..Default::default()
        },
    );
    let mut nacks = NackGenerator::new(NackConfig::default());
    nacks.set_rtt(Duration::from_millis(20));
    let mut stats = ReceiveStats::new(ssrc, 90_000);

    let mut rng = Lcg(42);
    let t0 = Instant::now();
    let frames: Vec<Vec<u8>> = (0..100)
        .map(|i| {
            (0..(200 + (i * 397) % 5000))
                .map(|k| (k * 31 + i) as u8)
                .collect()
        })
        .collect();
    let mut received = Vec::new();
    let mut in_flight: Vec<(Instant, Vec<u8>)> = Vec::new(); // a → b, 10 ms one way
    let mut rtcp_flight: Vec<(Instant, Vec<u8>)> = Vec::new(); // b → a
    let mut scratch = Vec::new();

    for step in 0..400u64 {
        let now = t0 + Duration::from_millis(10 * step);
        // a sends one frame per 33 ms tick while frames remain
        if step % 3 == 0 {
            if let Some(frame) = frames.get((step / 3) as usize) {
                for (mut h, payload) in packetizer
                    .packetize(frame, (step / 3) as u32 * 3000)
                    .unwrap()
                {
                    h.extensions.set(mid_id, encode_sdes("0").unwrap()).unwrap();
                    let mut pkt = h.to_packet(&payload);
                    history.insert(now, &pkt).unwrap();
                    a_out.protect_rtp(&mut pkt).unwrap();
                    if rng.next() % 100 >= 10 {
                        in_flight.push((now + Duration::from_millis(10), pkt)); // 10% loss
                    }
                }
            }
        }
        // b receives
        let (due, later): (Vec<_>, Vec<_>) = in_flight.drain(..).partition(|(t, _)| *t <= now);
        in_flight = later;
        for (_, mut pkt) in due {
            assert!(!is_rtcp(&pkt));
            let n = b_in.unprotect_rtp(&mut pkt).unwrap();
            pkt.truncate(n);
            let p = RtpPacket::parse(&pkt).unwrap();
            let plain = if p.ssrc() == rtx_ssrc {
                unwrap_rtx(&pkt, ssrc, pt, &mut scratch).unwrap();
                scratch.clone()
            } else {
                assert_eq!(p.extension(mid_id).and_then(decode_sdes), Some("0"));
                stats.on_packet(now, &p);
                pkt
            };
            let p = RtpPacket::parse(&plain).unwrap();
            nacks.on_packet(now, p.sequence_number());
            jb.push_parsed(now, &p);
        }
        while let Some(f) = jb.pop_frame(now) {
            received.push(f);
        }
        // b sends NACKs over SRTCP
        if let Some(nack) = nacks.poll_nack_packet(now, 9999, ssrc) {
            let mut buf = rtcp::to_bytes(&[RtcpPacket::Nack(nack)]).unwrap();
            b_out.protect_rtcp(&mut buf).unwrap();
            rtcp_flight.push((now + Duration::from_millis(10), buf));
        }
        // a answers NACKs with RTX
        let (due, later): (Vec<_>, Vec<_>) = rtcp_flight.drain(..).partition(|(t, _)| *t <= now);
        rtcp_flight = later;
        for (_, mut buf) in due {
            assert!(is_rtcp(&buf));
            let n = a_in.unprotect_rtcp(&mut buf).unwrap();
            for pkt in rtcp::parse_compound(&buf[..n]).unwrap() {
                let RtcpPacket::Nack(nack) = pkt else {
                    continue;
                };
                for seq in nack.sequence_numbers() {
                    if let Some(orig) = history.for_resend(now, seq, Duration::from_millis(15)) {
                        let mut out = Vec::new();
                        rtx.wrap(orig, &mut out).unwrap();
                        a_out.protect_rtp(&mut out).unwrap();
                        if rng.next() % 100 >= 10 {
                            in_flight.push((now + Duration::from_millis(10), out));
                        }
                    }
                }
            }
        }
    }
    assert_eq!(received.len(), frames.len(), "every frame arrives");
    for (got, want) in received.iter().zip(&frames) {
        assert_eq!(&got.data, want);
    }
    assert!(nacks.nacks_sent > 0 && nacks.recovered > 0);
    assert!(history.resent > 0);
    let block = stats.report_block(t0 + Duration::from_secs(4));
    assert!(
        block.cumulative_lost > 0,
        "original packets were lost on the wire"
    );
}
