//! Two JSEP cores driven by an arbitrary sequence of W3C calls, with the
//! descriptions they exchange optionally damaged line by line. Nothing may
//! panic, and after every call the signaling state is one the spec allows for
//! the descriptions that are set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcpeer_proto::*;

fn damage(sdp: &str, seed: u8) -> String {
    let mut lines: Vec<String> = sdp.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    let i = seed as usize % lines.len();
    match seed % 5 {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2 => lines[i] = lines[i].replace(' ', "  "),
        3 => {
            let half = lines[i].len() / 2;
            lines[i].truncate(half);
        }
        _ => {
            let n = lines.len();
            lines.swap(i, (i + 1) % n);
        }
    }
    lines.join("\r\n") + "\r\n"
}

fn check(pc: &PeerConnection) {
    let s = pc.signaling_state();
    match s {
        SignalingState::Stable => assert!(pc.pending_local_description().is_none() && pc.pending_remote_description().is_none()),
        SignalingState::HaveLocalOffer => assert!(pc.pending_local_description().is_some()),
        SignalingState::HaveRemoteOffer => assert!(pc.pending_remote_description().is_some()),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut pcs = [
        PeerConnection::new(Configuration::default()).unwrap(),
        PeerConnection::new(Configuration::default()).unwrap(),
    ];
    let mut last: Option<SessionDescription> = None;
    for chunk in data.chunks(2) {
        let op = chunk[0];
        let arg = chunk.get(1).copied().unwrap_or(0);
        let who = (op & 1) as usize;
        let pc = &mut pcs[who];
        let _ = match op >> 1 {
            0 => pc.add_transceiver(TrackOrKind::Kind(if arg & 1 == 0 { MediaKind::Audio } else { MediaKind::Video }), TransceiverInit {
                direction: Some([Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive][(arg >> 1) as usize % 4]),
                ..Default::default()
            }).map(|_| ()),
            1 => pc.create_offer(&OfferOptions { ice_restart: arg & 1 == 1, ..Default::default() }).map(|d| last = Some(d)),
            2 => pc.create_answer(&AnswerOptions::default()).map(|d| last = Some(d)),
            3 => pc.set_local_description(if arg & 1 == 0 { None } else { last.clone() }),
            4 => match pc.local_description() {
                Some(d) => {
                    let other = &mut pcs[1 - who];
                    let d = if arg & 1 == 1 { SessionDescription { sdp: damage(&d.sdp, arg >> 1), ..d } } else { d };
                    other.set_remote_description(d)
                }
                None => Ok(()),
            },
            5 => pc.set_local_description(Some(SessionDescription::rollback())),
            6 => pc.set_remote_description(SessionDescription::rollback()),
            7 => match pc.transceivers().get(arg as usize % 4).map(|t| t.id) {
                Some(id) => pc.stop_transceiver(id),
                None => Ok(()),
            },
            8 => match pc.transceivers().get(arg as usize % 4).map(|t| t.id) {
                Some(id) => pc.set_direction(id, [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive][(arg >> 2) as usize % 4]),
                None => Ok(()),
            },
            9 => pc.note_data_channel(),
            10 => pc.restart_ice(),
            11 => pc
                .add_ice_candidate(Some(IceCandidateInit {
                    candidate: format!("candidate:{arg} 1 udp {arg} 127.0.0.{arg} {arg} typ host"),
                    sdp_mid: Some((arg % 3).to_string()),
                    sdp_m_line_index: None,
                    username_fragment: None,
                }))
                .map(|_| ()),
            12 => pc.add_track(Track { id: format!("t{arg}"), kind: MediaKind::Audio }, vec![format!("s{}", arg % 2)]).map(|_| ()),
            13 => match pc.transceivers().get(arg as usize % 4).map(|t| t.id) {
                Some(id) => pc.remove_track(id),
                None => Ok(()),
            },
            14 => {
                pc.close();
                Ok(())
            }
            _ => Ok(()),
        };
        while pcs[who].poll_event().is_some() {}
        check(&pcs[who]);
    }
});
