//! Ready-made browser pages every [`crate::http::SignalingServer`] serves.
//!
//! # `/testkit/peer.html` — a standard browser peer ([`PEER_HTML`])
//!
//! One `RTCPeerConnection` driven by the test through the signaling channel,
//! so an interop test only writes its own side. [`BrowserPeer`] launches it;
//! or open `peer.url(PEER_PAGE)` yourself. The aiortc counterpart
//! ([`crate::aiortc::AiortcPeer::standard`]) speaks the same protocol.
//! Protocol, in messages on the page's channel:
//!
//! 1. The test's first message is `{"setup": {...}}` (every field optional):
//!    - `role`: `"offerer"` or `"answerer"` (default);
//!    - `config`: the `RTCConfiguration` (default `{}`);
//!    - `channels`: the data channels an offerer creates (default `["chat"]`),
//!      each a *channel spec*: a label, or `{"label", ...RTCDataChannelInit}`
//!      (`ordered`, `maxRetransmits`, `maxPacketLifeTime`, `protocol`,
//!      `negotiated`, `id`);
//!    - `media`: `{"audio": bool, "video": bool}`: send fake camera/microphone tracks
//!      (instead of `true`, getUserMedia constraints such as
//!      `{"width": 320, "height": 240}`);
//!    - `trickle`: `true` (default) sends candidates as they come; `false`
//!      sends the description only after gathering completes (for aiortc);
//!    - `greet`: a text the page sends (as `"<greet> | from <userAgent>"`) on
//!      each data channel when it opens;
//!    - `echo`: echo every data-channel message back (default `true`); echoes
//!      wait while the channel's `bufferedAmount` is over 1 MiB and resume on
//!      `bufferedamountlow`, so bulk transfers are echoed at the wire's pace;
//!    - `record`: keep each received message in the report's `received` and
//!      send `message` events (default `true`; `false` for bulk transfers,
//!      where `counts` still has the totals);
//!    - `hostAddresses` (aiortc only): the addresses aioice offers (default
//!      `["127.0.0.1"]`; Firefox ignores a remote 127.0.0.1, so give it
//!      `["203.0.113.1"]`);
//!    - `events`: send the test notifications (default `false`), as
//!      `{"event": "connectionState", "state"}`, `{"event": "open", "label"}`,
//!      `{"event": "message", "label", "data"}` and
//!      `{"event": "remoteDescription", "type"}` (after it is applied);
//!    - `expect`: finish by itself once this many data-channel messages were
//!      received (and, with `media`, once audio packets and decoded video
//!      frames arrive).
//! 2. Then both ways, the browsers' own JSON forms: descriptions
//!    `{"type": "offer"|"answer", "sdp": …}` and candidates
//!    `RTCIceCandidateInit` (`{"candidate": …, "sdpMid": …, "sdpMLineIndex": …,
//!    "usernameFragment": …}`); `{"candidate": ""}` is end-of-candidates.
//!    Candidates that arrive before the remote description are held.
//! 3. Commands from the test at any time: `{"send": {"label", "data"}}` (text
//!    on an open channel), `{"createChannel": spec}` (a channel spec, as in
//!    `channels`; a negotiated one can be made before the offer), `{"negotiate": true}`
//!    (make and send a new offer), `{"restartIce": true}` (an offerer also
//!    sends the new offer), `{"close": true}` (`pc.close()`),
//!    `{"getStats": true}` (the page answers `{"stats": {id: stats, ...}}`,
//!    the whole `getStats()` report), `{"dtmf": {"tones", "duration",
//!    "gap"}}` (`insertDTMF` on the audio sender's `RTCDTMFSender` once its
//!    `canInsertDTMF` is true, without holding up signaling; duration
//!    and gap in ms, default 100 and 70; each `tonechange` goes to the
//!    report's `toneChanges` and, with `events`, to the test as
//!    `{"event": "tonechange", "tone"}`, `""` after the last tone). The
//!    aiortc peer takes the same commands but `restartIce` (aiortc has no
//!    ICE restart), `getStats` and `dtmf`.
//! 4. `{"finish": true}` from the test (or `expect` reached) ends the page with
//!    `done(report)`, where `report` is `{ok, role, ua, received: {label:
//!    [messages]} (binary ones as "[binary N bytes]"), counts: {label:
//!    {messages, bytes}}, opened: [labels], channels: [{label, id, ordered,
//!    maxRetransmits, maxPacketLifeTime, protocol, negotiated, readyState}],
//!    maxMessageSize (`pc.sctp.maxMessageSize`; aiortc: the peer's limit it
//!    obeys), remoteTracks: [kinds], restarts, toneChanges: [tones],
//!    iceUfrag (the current local one), connectionState,
//!    pair: {state, local, remote}, inbound: [{kind, codec, packetsReceived,
//!    bytesReceived, packetsLost, framesDecoded, frameWidth, frameHeight}],
//!    outbound: [{kind, codec, packetsSent, bytesSent, framesEncoded}],
//!    dataChannels: [{label, state, messagesSent, messagesReceived, bytesSent,
//!    bytesReceived}]}` (webrtc-stats field names; absent fields are missing).

use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::{Browser, BrowserProcess, LaunchOptions};
use crate::http::{PagePeer, SignalingServer};
use crate::Result;

/// The standard peer page's source.
pub const PEER_HTML: &str = include_str!("pages/peer.html");

/// The path the standard peer page is served at.
pub const PEER_PAGE: &str = "testkit/peer.html";

/// Every built-in page: (path, content type, body).
pub(crate) const BUILT_IN: &[(&str, &str, &str)] =
    &[(PEER_PAGE, "text/html; charset=utf-8", PEER_HTML)];

/// A browser running the standard peer page ([`PEER_HTML`]) with a
/// signaling server of its own: the other side of an interop test in a few
/// lines. Dropping it ends the browser, then the server.
///
/// ```no_run
/// # async fn demo() -> testkit::Result<()> {
/// use serde_json::json;
/// use testkit::{browser::Browser, pages::BrowserPeer};
/// let chromium = BrowserPeer::launch(
///     Browser::Chromium,
///     json!({"role": "answerer", "echo": true}),
/// ).await?;
/// // chromium.send(offer_json); let answer = chromium.recv().await?; …
/// chromium.finish();
/// let report = chromium.report(testkit::browser::DEFAULT_TIMEOUT).await?;
/// # Ok(()) }
/// ```
pub struct BrowserPeer {
    page: PagePeer,
    // Fields drop in order: the browser ends before its server.
    process: BrowserProcess,
    _server: SignalingServer,
}

impl BrowserPeer {
    /// Starts a signaling server, sends `{"setup": setup}` (see the
    /// [module docs](self)) and opens the standard page in `browser`.
    pub async fn launch(browser: Browser, setup: Value) -> Result<Self> {
        Self::launch_with(browser, setup, &LaunchOptions::default()).await
    }

    /// [`launch`](Self::launch) with launch options (extra arguments, mDNS).
    pub async fn launch_with(
        browser: Browser,
        setup: Value,
        options: &LaunchOptions,
    ) -> Result<Self> {
        let server = SignalingServer::start().await?;
        let page = server.peer(match browser {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        });
        page.send(json!({ "setup": setup }));
        let process = browser.launch_with(&page.url(PEER_PAGE), options)?;
        Ok(BrowserPeer {
            page,
            process,
            _server: server,
        })
    }

    /// The page's side of the signaling (console, outcome).
    pub fn page(&self) -> &PagePeer {
        &self.page
    }

    /// The browser process (pid, log tail).
    pub fn process(&self) -> &BrowserProcess {
        &self.process
    }

    /// Sends a description, candidate or control message to the page.
    pub fn send(&self, message: Value) {
        self.page.send(message);
    }

    /// The page's next description or candidate (see [`PagePeer::recv`]).
    pub async fn recv(&self) -> Result<Value> {
        self.page.recv().await
    }

    /// [`recv`](Self::recv) with a time limit.
    pub async fn recv_timeout(&self, limit: Duration) -> Result<Value> {
        self.page.recv_timeout(limit).await
    }

    /// Asks the page to finish and report (`{"finish": true}`).
    pub fn finish(&self) {
        self.page.send(json!({ "finish": true }));
    }

    /// Waits up to `limit` for the page's report (after [`finish`](Self::finish)
    /// or its `expect` count); `Err` has the console and the browser log tail.
    pub async fn report(&self, limit: Duration) -> Result<Value> {
        self.process.wait_result(&self.page, limit).await
    }
}

impl crate::signal::SignalPeer for BrowserPeer {
    fn label(&self) -> String {
        format!("{} page", self.process.browser().name())
    }

    async fn send(&self, message: Value) -> Result<()> {
        BrowserPeer::send(self, message);
        Ok(())
    }

    async fn recv(&self) -> Result<Value> {
        BrowserPeer::recv(self).await
    }
}
