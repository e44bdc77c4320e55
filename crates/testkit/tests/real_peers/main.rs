//! Self-tests of the real-peer harness: each piece (namespace, signaling
//! relay, browser launchers, aiortc, coturn, failure reports) proven against
//! the real peers alone, without rtcpeer.
//!
//! Every test that starts a peer calls `testkit::isolate!()` first, so plain
//! `cargo test` runs it inside its own network namespace.

mod aiortc_peer;
mod browsers;
mod controls;
mod cross;
mod failures;
mod lossy;
mod netns_script;
mod server;
mod turn;

use std::time::Duration;

use testkit::http::SignalingServer;

/// The time limit of one peer run: generous, the machine is shared.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A signaling server serving the self-test pages (and the built-in
/// `testkit/peer.html`).
pub async fn server_with_pages() -> SignalingServer {
    let server = SignalingServer::start().await.expect("signaling server");
    server.add_page("two_pcs.html", include_str!("pages/two_pcs.html"));
    server.add_page("gather.html", include_str!("pages/gather.html"));
    server
}
