//! `RTCSessionDescription`, `RTCIceCandidateInit` and the state enums, with the
//! browsers' JSON forms.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `RTCSdpType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// An offer.
    Offer,
    /// A provisional answer.
    Pranswer,
    /// A final answer.
    Answer,
    /// Cancel the current offer.
    Rollback,
}

impl SdpType {
    /// The W3C string (`"offer"` …).
    pub fn as_str(self) -> &'static str {
        match self {
            SdpType::Offer => "offer",
            SdpType::Pranswer => "pranswer",
            SdpType::Answer => "answer",
            SdpType::Rollback => "rollback",
        }
    }
}

/// `RTCSessionDescription` / `RTCSessionDescriptionInit`: JSON
/// `{"type":"offer","sdp":"v=0\r\n…"}` exactly as a browser writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[doc(alias = "RTCSessionDescription")]
pub struct SessionDescription {
    /// The type.
    #[serde(rename = "type")]
    pub sdp_type: SdpType,
    /// The SDP text (empty for rollback, or to mean "the last one created").
    #[serde(default)]
    pub sdp: String,
}

impl SessionDescription {
    /// An offer with this SDP.
    pub fn offer(sdp: impl Into<String>) -> Self {
        SessionDescription {
            sdp_type: SdpType::Offer,
            sdp: sdp.into(),
        }
    }

    /// An answer with this SDP.
    pub fn answer(sdp: impl Into<String>) -> Self {
        SessionDescription {
            sdp_type: SdpType::Answer,
            sdp: sdp.into(),
        }
    }

    /// A provisional answer with this SDP.
    pub fn pranswer(sdp: impl Into<String>) -> Self {
        SessionDescription {
            sdp_type: SdpType::Pranswer,
            sdp: sdp.into(),
        }
    }

    /// A rollback.
    pub fn rollback() -> Self {
        SessionDescription {
            sdp_type: SdpType::Rollback,
            sdp: String::new(),
        }
    }

    /// JSON, as `JSON.stringify(description)` gives in a browser.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a description always serializes")
    }

    /// Parse the JSON form; a missing or unknown `type` is a `TypeError`.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json)
            .map_err(|e| Error::type_error(format!("bad RTCSessionDescriptionInit: {e}")))
    }
}

/// `RTCIceCandidateInit`: JSON
/// `{"candidate":"candidate:…","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[doc(alias = "RTCIceCandidateInit")]
#[doc(alias = "RTCIceCandidate")]
pub struct IceCandidateInit {
    /// The `candidate:` attribute value; empty means end of candidates.
    #[serde(default)]
    pub candidate: String,
    /// The mid of the media section it belongs to.
    #[serde(default)]
    pub sdp_mid: Option<String>,
    /// The index of the media section it belongs to.
    #[serde(default, rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<u16>,
    /// The ICE username fragment it belongs to.
    #[serde(default)]
    pub username_fragment: Option<String>,
}

impl IceCandidateInit {
    /// JSON as a browser writes it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a candidate always serializes")
    }

    /// Parse the JSON form.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json)
            .map_err(|e| Error::type_error(format!("bad RTCIceCandidateInit: {e}")))
    }
}

macro_rules! w3c_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }
        impl $name {
            /// The W3C string of this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

w3c_enum! {
    /// `RTCSignalingState`.
    SignalingState {
        /// No offer/answer exchange in progress.
        Stable => "stable",
        /// A local offer has been applied.
        HaveLocalOffer => "have-local-offer",
        /// A remote offer has been applied.
        HaveRemoteOffer => "have-remote-offer",
        /// A remote offer and a local provisional answer have been applied.
        HaveLocalPranswer => "have-local-pranswer",
        /// A local offer and a remote provisional answer have been applied.
        HaveRemotePranswer => "have-remote-pranswer",
        /// The connection is closed.
        Closed => "closed",
    }
}

w3c_enum! {
    /// `RTCIceGatheringState`.
    IceGatheringState {
        /// Not gathering yet.
        New => "new",
        /// Gathering.
        Gathering => "gathering",
        /// Done gathering.
        Complete => "complete",
    }
}

w3c_enum! {
    /// `RTCIceConnectionState`.
    IceConnectionState {
        /// Not checking yet.
        New => "new",
        /// Checking.
        Checking => "checking",
        /// A usable pair was found.
        Connected => "connected",
        /// Checking is done.
        Completed => "completed",
        /// Connectivity lost for now.
        Disconnected => "disconnected",
        /// No connectivity.
        Failed => "failed",
        /// Closed.
        Closed => "closed",
    }
}

w3c_enum! {
    /// `RTCPeerConnectionState`.
    PeerConnectionState {
        /// Nothing started.
        New => "new",
        /// ICE or DTLS in progress.
        Connecting => "connecting",
        /// ICE and DTLS connected.
        Connected => "connected",
        /// Connectivity lost for now.
        Disconnected => "disconnected",
        /// ICE or DTLS failed.
        Failed => "failed",
        /// Closed.
        Closed => "closed",
    }
}

w3c_enum! {
    /// `RTCRtpTransceiverDirection`.
    Direction {
        /// Send and receive.
        SendRecv => "sendrecv",
        /// Send only.
        SendOnly => "sendonly",
        /// Receive only.
        RecvOnly => "recvonly",
        /// Neither.
        Inactive => "inactive",
        /// Stopped (only as a transceiver's direction after stop()).
        Stopped => "stopped",
    }
}

impl Direction {
    /// Whether this direction sends.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether this direction receives.
    pub fn recvs(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction with these send/receive halves.
    pub fn from_parts(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// The direction as seen from the other side (sendonly ⇄ recvonly).
    pub fn reverse(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// Parse the W3C string.
    pub fn parse(s: &str) -> Result<Direction> {
        Ok(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            "stopped" => Direction::Stopped,
            _ => return Err(Error::type_error(format!("bad direction {s:?}"))),
        })
    }
}

w3c_enum! {
    /// The kind of a track or an m-section.
    MediaKind {
        /// Audio.
        Audio => "audio",
        /// Video.
        Video => "video",
    }
}

impl MediaKind {
    /// Parse `"audio"` or `"video"`; anything else is a `TypeError`.
    pub fn parse(s: &str) -> Result<MediaKind> {
        match s {
            "audio" => Ok(MediaKind::Audio),
            "video" => Ok(MediaKind::Video),
            _ => Err(Error::type_error(format!("bad media kind {s:?}"))),
        }
    }
}
