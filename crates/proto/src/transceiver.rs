//! `RTCRtpTransceiver`, `RTCRtpSender` and `RTCRtpReceiver` as data, owned by
//! the peer connection core and named by [`TransceiverId`].

use crate::codecs::{Codec, HeaderExtension};
use crate::description::{Direction, MediaKind};
use crate::error::{Error, ErrorKind, Result};

/// The id of a transceiver in its peer connection (its index of creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransceiverId(pub u32);

/// A `MediaStreamTrack` as the core sees it: an id and a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The track id (`a=msid` second part).
    pub id: String,
    /// Audio or video.
    pub kind: MediaKind,
}

/// `RTCRtpEncodingParameters`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Encoding {
    /// The RTP stream id (simulcast layer name).
    pub rid: Option<String>,
    /// Whether this encoding is sent.
    pub active: bool,
    /// Maximum bitrate in bits per second.
    pub max_bitrate: Option<u32>,
    /// Maximum frame rate.
    pub max_framerate: Option<f64>,
    /// Downscale factor for video (≥ 1).
    pub scale_resolution_down_by: Option<f64>,
    /// The SSRC used for this encoding.
    pub ssrc: u32,
    /// The SSRC used for its retransmissions.
    pub rtx_ssrc: Option<u32>,
}

impl Encoding {
    /// An active encoding with defaults.
    pub fn new() -> Encoding {
        Encoding {
            active: true,
            ..Default::default()
        }
    }

    /// An active encoding with a rid.
    pub fn with_rid(rid: impl Into<String>) -> Encoding {
        Encoding {
            rid: Some(rid.into()),
            ..Encoding::new()
        }
    }
}

/// Validate `sendEncodings` as `addTransceiver` does (W3C webrtc-pc §5.1).
pub fn validate_send_encodings(kind: MediaKind, encodings: &[Encoding]) -> Result<()> {
    let with_rid = encodings.iter().filter(|e| e.rid.is_some()).count();
    if encodings.len() > 1 && with_rid != encodings.len() {
        return Err(Error::type_error(
            "every encoding needs a rid when there are several",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for e in encodings {
        if let Some(rid) = &e.rid {
            if rid.is_empty()
                || rid.len() > 255
                || !rid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Error::type_error(format!("bad rid {rid:?}")));
            }
            if !seen.insert(rid.clone()) {
                return Err(Error::type_error(format!("duplicate rid {rid:?}")));
            }
        }
        if let Some(s) = e.scale_resolution_down_by {
            if kind == MediaKind::Audio {
                // Ignored for audio, as browsers do.
            } else if s.is_nan() || s < 1.0 {
                return Err(Error::new(
                    ErrorKind::RangeError,
                    "scaleResolutionDownBy must be at least 1",
                ));
            }
        }
        if let Some(f) = e.max_framerate {
            if f.is_nan() || f < 0.0 {
                return Err(Error::new(
                    ErrorKind::RangeError,
                    "maxFramerate must not be negative",
                ));
            }
        }
    }
    Ok(())
}

/// `RTCRtpSender` state.
#[derive(Debug, Clone)]
pub struct Sender {
    /// The track being sent, if any.
    pub track: Option<Track>,
    /// The ids of the streams the track belongs to (`[[AssociatedMediaStreamIds]]`).
    pub streams: Vec<String>,
    /// The encodings.
    pub encodings: Vec<Encoding>,
    /// The CNAME announced for our SSRCs.
    pub cname: String,
    /// `transactionId` of the last `getParameters()` (`[[LastReturnedParameters]]`).
    pub last_transaction_id: Option<String>,
}

/// `RTCRtpSendParameters`: what `getParameters()` returns and
/// `setParameters()` takes. Only the encodings' `active`, `maxBitrate`,
/// `maxFramerate` and `scaleResolutionDownBy` may change.
#[derive(Debug, Clone, PartialEq)]
pub struct SendParameters {
    /// `transactionId`: must be the one of the last `getParameters()`.
    pub transaction_id: String,
    /// `encodings`.
    pub encodings: Vec<Encoding>,
    /// `codecs` (read-only): the negotiated ones.
    pub codecs: Vec<crate::codecs::Codec>,
    /// `headerExtensions` (read-only): the negotiated ones.
    pub header_extensions: Vec<crate::codecs::HeaderExtension>,
}

/// `RTCRtpReceiver` state.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// The receiving track (always present, muted while nothing arrives).
    pub track: Track,
    /// The ids of the remote streams the track belongs to.
    pub streams: Vec<String>,
    /// The remote track id from `a=msid`, when given.
    pub remote_track_id: Option<String>,
}

/// `RTCRtpTransceiver`.
#[derive(Debug, Clone)]
pub struct Transceiver {
    /// Its id.
    pub id: TransceiverId,
    /// Audio or video.
    pub kind: MediaKind,
    /// The negotiated mid, if any.
    pub mid: Option<String>,
    /// The preferred direction.
    pub direction: Direction,
    /// The negotiated direction (`currentDirection`).
    pub current_direction: Option<Direction>,
    /// `stop()` was called; the next negotiation rejects the m-section.
    pub stopping: bool,
    /// Stopped for good.
    pub stopped: bool,
    /// The sender.
    pub sender: Sender,
    /// The receiver.
    pub receiver: Receiver,
    /// Codec preferences (empty: the defaults).
    pub codec_preferences: Vec<Codec>,
    /// Codecs negotiated for this m-section (empty before negotiation).
    pub negotiated_codecs: Vec<Codec>,
    /// Header extensions negotiated for this m-section.
    pub negotiated_extensions: Vec<HeaderExtension>,
    /// Created by setRemoteDescription (for rollback).
    pub created_by_remote: bool,
    /// Whether addTrack may reuse it (it was created by addTrack, or by a
    /// remote offer and has never sent).
    pub added_by_add_track: bool,
    /// The direction for which the track event was last fired (`[[FiredDirection]]`).
    pub fired_direction: Option<Direction>,
    /// The m-line index this transceiver is associated with, if any.
    pub mline: Option<usize>,
}

impl Transceiver {
    /// The effective direction: `stopped` once stopped or stopping.
    pub fn effective_direction(&self) -> Direction {
        if self.stopped || self.stopping {
            Direction::Stopped
        } else {
            self.direction
        }
    }
}
