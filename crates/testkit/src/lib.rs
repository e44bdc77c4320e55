//! Test kit for rtcpeer: real peers (Chromium, Firefox ESR, aiortc, coturn) and a
//! network emulator on virtual time.
//!
//! The real-peer harness proves protocol features against implementations
//! nobody here wrote. Its pieces:
//!
//! - [`netns`]: run a test body inside a private network namespace, so its
//!   traffic cannot leave the machine ([`isolate!`] in the first line of a test).
//! - [`http`]: a signaling server on 127.0.0.1 that serves the test's pages,
//!   relays signaling between a page and the Rust test, and collects the page's
//!   console and final result.
//! - [`pages`]: a standard browser peer page driven over signaling.
//! - [`browser`]: headless Chromium and Firefox ESR launchers that clean up
//!   after themselves.
//! - [`aiortc`]: a Python (aiortc) peer driven over JSON lines.
//! - [`coturn`]: a TURN server per test.
//! - [`signal`]: the relay between any two signaling peers.
//! - [`lossy`]: a user-space lossy UDP path (loss, delay, jitter) between two
//!   real peers, spliced in by rewriting their candidates.
//!
//! A peer that is not installed makes the test fail with a message naming it
//! and the install command; nothing is skipped silently. See `docs/testing.md`.

pub mod aiortc;
pub mod browser;
pub mod coturn;
pub mod emulator;
mod error;
pub mod http;
mod http_client;
pub mod lossy;
pub mod netns;
pub mod pages;
mod process;
pub mod signal;

pub use error::{Error, Result};
pub use process::workspace_root;

/// Runs the rest of the calling test inside a private network namespace.
///
/// Put it on the first line of a real-peer test. Outside a namespace it
/// re-executes just this test inside a new one and then returns from the
/// calling function (passing, or panicking with the inner run's failure);
/// inside, it does nothing and the body runs. So the body runs once, inside.
///
/// `isolate!()` suits tests returning `()`; give the value to return early
/// otherwise, e.g. `isolate!(Ok(()))`.
#[macro_export]
macro_rules! isolate {
    () => {
        if !$crate::netns::isolate() {
            return;
        }
    };
    ($ret:expr) => {
        if !$crate::netns::isolate() {
            return $ret;
        }
    };
}
