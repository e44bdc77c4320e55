//! Ready-made browser pages every [`crate::http::SignalingServer`] serves.
//!
//! # `/testkit/peer.html` — a standard browser peer ([`PEER_HTML`])
//!
//! One `RTCPeerConnection` driven by the test through the signaling channel,
//! so an interop test only writes its own side. Open it with
//! `peer.url(PEER_PAGE)`. Protocol, in messages on the page's channel:
//!
//! 1. The test's first message is `{"setup": {...}}` (every field optional):
//!    - `role`: `"offerer"` or `"answerer"` (default);
//!    - `config`: the `RTCConfiguration` (default `{}`);
//!    - `channels`: labels of the data channels an offerer creates (default `["chat"]`);
//!    - `media`: `{"audio": bool, "video": bool}`: send fake camera/microphone tracks;
//!    - `trickle`: `true` (default) sends candidates as they come; `false`
//!      sends the description only after gathering completes (for aiortc);
//!    - `greet`: a text the page sends (as `"<greet> | from <userAgent>"`) on
//!      each data channel when it opens;
//!    - `echo`: echo every data-channel message back (default `true`);
//!    - `expect`: finish by itself once this many data-channel messages were
//!      received (and, with `media`, once audio packets and decoded video
//!      frames arrive).
//! 2. Then both ways, the browsers' own JSON forms: descriptions
//!    `{"type": "offer"|"answer", "sdp": …}` and candidates
//!    `RTCIceCandidateInit` (`{"candidate": …, "sdpMid": …, "sdpMLineIndex": …,
//!    "usernameFragment": …}`); `{"candidate": ""}` is end-of-candidates.
//!    Candidates that arrive before the remote description are held.
//! 3. `{"finish": true}` from the test (or `expect` reached) ends the page with
//!    `done(report)`, where `report` is `{ok, role, ua, received: {label:
//!    [messages]}, opened: [labels], remoteTracks: [kinds], connectionState,
//!    pair: {state, local, remote}, inbound: [{kind, packetsReceived,
//!    bytesReceived, framesDecoded, frameWidth, frameHeight}]}`.

/// The standard peer page's source.
pub const PEER_HTML: &str = include_str!("pages/peer.html");

/// The path the standard peer page is served at.
pub const PEER_PAGE: &str = "testkit/peer.html";

/// Every built-in page: (path, content type, body).
pub(crate) const BUILT_IN: &[(&str, &str, &str)] =
    &[(PEER_PAGE, "text/html; charset=utf-8", PEER_HTML)];
