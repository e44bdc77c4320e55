//! Headless Chromium and Firefox ESR, launched per test and cleaned up after.
//!
//! A browser is started with the flags/prefs measured in `REAL_PEERS.md`, a
//! fresh temporary profile, its stdout+stderr in a log file, and in its own
//! process group. Dropping the [`BrowserProcess`] sends SIGTERM to the group,
//! waits a short grace, sends SIGKILL, waits for exit and deletes the profile.
//!
//! ```no_run
//! # async fn demo() -> testkit::Result<()> {
//! use std::time::Duration;
//! use testkit::{browser::Browser, http::SignalingServer};
//! let server = SignalingServer::start().await?;
//! server.add_page("t.html", r#"<script src="/testkit.js"></script>
//!   <script>run(async () => ({ ok: true }))</script>"#);
//! let result = Browser::Chromium
//!     .run_page(&server.peer("a"), "t.html", Duration::from_secs(60))
//!     .await?;
//! assert_eq!(result["ok"], true);
//! # Ok(()) }
//! ```

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{Outcome, PagePeer};
use crate::process::{end_group, file_tail, find_program, section, signal_group, GRACE};
use crate::{Error, Result};

/// Lines of the browser log quoted in an error.
const LOG_TAIL_LINES: usize = 40;

/// The default time limit for one page run: generous, browsers are heavy and
/// the machine is shared.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The default hard lifetime of a browser process (see
/// [`LaunchOptions::max_lifetime`]).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(180);

/// A browser the harness can drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Browser {
    /// Chromium (Debian's `chromium` package).
    Chromium,
    /// Firefox ESR (Debian's `firefox-esr` package).
    Firefox,
}

/// Firefox preferences written to the fresh profile's `user.js`.
const FIREFOX_PREFS: &[(&str, &str)] = &[
    ("media.navigator.streams.fake", "true"),
    ("media.navigator.permission.disabled", "true"),
    ("media.peerconnection.ice.loopback", "true"),
    ("network.manage-offline-status", "false"),
    ("app.update.disabledForTesting", "true"),
    ("browser.shell.checkDefaultBrowser", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("toolkit.telemetry.reportingpolicy.firstRun", "false"),
    ("browser.aboutwelcome.enabled", "false"),
];

impl Browser {
    /// Both browsers.
    pub const ALL: [Browser; 2] = [Browser::Chromium, Browser::Firefox];

    /// The peer's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "Chromium",
            Browser::Firefox => "Firefox ESR",
        }
    }

    /// The environment variable that overrides the binary's path.
    pub fn env_override(self) -> &'static str {
        match self {
            Browser::Chromium => "TESTKIT_CHROMIUM",
            Browser::Firefox => "TESTKIT_FIREFOX",
        }
    }

    /// How to install it.
    pub fn install_hint(self) -> &'static str {
        match self {
            Browser::Chromium => {
                "run scripts/install-peers (apt-get install -y chromium chromium-driver)"
            }
            Browser::Firefox => "run scripts/install-peers (apt-get install -y firefox-esr)",
        }
    }

    fn program_names(self) -> &'static [&'static str] {
        match self {
            Browser::Chromium => &["chromium", "chromium-browser"],
            Browser::Firefox => &["firefox-esr", "firefox"],
        }
    }

    /// The browser's executable: `$TESTKIT_CHROMIUM` / `$TESTKIT_FIREFOX` if
    /// set, else the first of its usual names in `$PATH`. `Err` names the peer
    /// and the install command.
    pub fn binary(self) -> Result<PathBuf> {
        self.resolve(std::env::var_os(self.env_override()).map(PathBuf::from))
    }

    /// [`binary`](Self::binary) with the override given.
    fn resolve(self, override_path: Option<PathBuf>) -> Result<PathBuf> {
        if let Some(path) = override_path {
            return find_program(&[&path.to_string_lossy()]).ok_or_else(|| {
                Error::new(format!(
                    "{} not found at {} (from ${}); {}",
                    self.name(),
                    path.display(),
                    self.env_override(),
                    self.install_hint()
                ))
            });
        }
        find_program(self.program_names()).ok_or_else(|| {
            Error::new(format!(
                "{} is not installed (looked for {} in $PATH); {}. \
                 Real-peer tests never skip a missing peer.",
                self.name(),
                self.program_names().join(", "),
                self.install_hint()
            ))
        })
    }

    /// Starts the browser headless on `url`. The process ends when the
    /// returned value is dropped.
    pub fn launch(self, url: &str) -> Result<BrowserProcess> {
        self.launch_with(url, &LaunchOptions::default())
    }

    /// [`launch`](Self::launch) with options (extra arguments, mDNS, prefs).
    pub fn launch_with(self, url: &str, options: &LaunchOptions) -> Result<BrowserProcess> {
        let binary = self.binary()?;
        BrowserProcess::spawn(self, &binary, url, options)
    }

    /// Opens `page` as `peer`, waits up to `timeout` for the page's outcome and
    /// ends the browser. `Ok` holds the value the page gave `done()`; `Err`
    /// says what went wrong with the page's console and the browser log's tail.
    pub async fn run_page(self, peer: &PagePeer, page: &str, timeout: Duration) -> Result<Value> {
        self.run_page_with(peer, page, timeout, &LaunchOptions::default())
            .await
    }

    /// [`run_page`](Self::run_page) with launch options.
    pub async fn run_page_with(
        self,
        peer: &PagePeer,
        page: &str,
        timeout: Duration,
        options: &LaunchOptions,
    ) -> Result<Value> {
        let process = self.launch_with(&peer.url(page), options)?;
        let result = process.wait_result(peer, timeout).await;
        process.stop();
        result
    }
}

/// How to launch a browser beyond the standard flags and prefs.
#[derive(Clone, Debug, Default)]
pub struct LaunchOptions {
    /// Extra command-line arguments, after the standard ones (e.g.
    /// [`crate::coturn::TurnServer::chromium_trust_args`]).
    pub args: Vec<String>,
    /// Keep the browser's default of hiding host addresses behind mDNS
    /// `<uuid>.local` names. Chromium then runs without
    /// `--use-fake-ui-for-media-stream` and
    /// `--disable-features=WebRtcHideLocalIpsWithMdns` (so getUserMedia is
    /// not granted); Firefox gets `obfuscate_host_addresses = true`.
    pub mdns: bool,
    /// The browser's hard lifetime: after it, the watchdog kills the browser's
    /// process group whatever the test is doing (default
    /// [`DEFAULT_LIFETIME`]).
    pub max_lifetime: Option<Duration>,
    /// Extra Firefox `user.js` preferences `(name, JavaScript value)`, after
    /// the standard ones, e.g. `("media.peerconnection.ice.tcp", "false")`.
    pub firefox_prefs: Vec<(String, String)>,
}

impl LaunchOptions {
    /// Options with just these extra arguments.
    pub fn with_args(args: Vec<String>) -> Self {
        LaunchOptions {
            args,
            ..Default::default()
        }
    }
}

/// A running headless browser. Dropping it ends the browser's whole process
/// group, waits for it, and deletes its profile.
pub struct BrowserProcess {
    browser: Browser,
    // A mutex so that waiting (try_wait needs `&mut Child`) works through `&self`.
    child: Mutex<Child>,
    pid: u32,
    url: String,
    log_path: PathBuf,
    started: Instant,
    stopped: bool,
    // Dropping the sender tells the watchdog thread the browser ended.
    watchdog: Option<std::sync::mpsc::Sender<()>>,
    watchdog_fired: Arc<AtomicBool>,
    // Dropped after the process has ended (fields drop after `Drop::drop`).
    _profile: tempfile::TempDir,
    _log_dir: tempfile::TempDir,
}

impl BrowserProcess {
    fn spawn(browser: Browser, binary: &Path, url: &str, options: &LaunchOptions) -> Result<Self> {
        let io = |e: std::io::Error| Error::new(format!("{}: {e}", browser.name()));
        let profile = tempfile::Builder::new()
            .prefix("testkit-profile-")
            .tempdir()
            .map_err(io)?;
        let log_dir = tempfile::Builder::new()
            .prefix("testkit-browser-log-")
            .tempdir()
            .map_err(io)?;
        let log_path = log_dir.path().join("browser.log");
        let log = File::create(&log_path).map_err(io)?;
        let log2 = log.try_clone().map_err(io)?;

        let mut cmd = Command::new(binary);
        match browser {
            Browser::Chromium => {
                cmd.args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--use-fake-device-for-media-stream",
                    "--allow-loopback-in-peer-connection",
                ]);
                if !options.mdns {
                    // Real host addresses instead of mDNS names (REAL_PEERS.md).
                    cmd.args([
                        "--use-fake-ui-for-media-stream",
                        "--disable-features=WebRtcHideLocalIpsWithMdns",
                    ]);
                }
                cmd.arg(format!("--user-data-dir={}", profile.path().display()));
                cmd.args(&options.args);
                cmd.arg(url);
            }
            Browser::Firefox => {
                let obfuscate = if options.mdns { "true" } else { "false" };
                let prefs: String = FIREFOX_PREFS
                    .iter()
                    .map(|(k, v)| (*k, *v))
                    .chain([(
                        "media.peerconnection.ice.obfuscate_host_addresses",
                        obfuscate,
                    )])
                    .chain(
                        options
                            .firefox_prefs
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                    .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
                    .collect();
                std::fs::write(profile.path().join("user.js"), prefs).map_err(io)?;
                cmd.args(["--headless", "--no-remote", "--profile"]);
                cmd.arg(profile.path());
                cmd.args(&options.args);
                cmd.arg(url);
                cmd.env("MOZ_HEADLESS", "1");
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .process_group(0);
        let child = cmd.spawn().map_err(|e| {
            Error::new(format!(
                "cannot start {} ({}): {e}; {}",
                browser.name(),
                binary.display(),
                browser.install_hint()
            ))
        })?;
        println!(
            "testkit: started {} (pid {}) on {url}",
            browser.name(),
            child.id()
        );
        let lifetime = options.max_lifetime.unwrap_or(DEFAULT_LIFETIME);
        let (watchdog, stop_rx) = std::sync::mpsc::channel::<()>();
        let watchdog_fired = Arc::new(AtomicBool::new(false));
        let fired = watchdog_fired.clone();
        let pgid = child.id();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop_rx.recv_timeout(lifetime)
            {
                fired.store(true, Ordering::SeqCst);
                println!(
                    "testkit: {} (pid {pgid}) reached its hard lifetime of {lifetime:?}; killing it",
                    browser.name()
                );
                signal_group(pgid, libc::SIGKILL);
            }
        });
        Ok(BrowserProcess {
            browser,
            pid: child.id(),
            url: url.to_string(),
            child: Mutex::new(child),
            log_path,
            started: Instant::now(),
            stopped: false,
            watchdog: Some(watchdog),
            watchdog_fired,
            _profile: profile,
            _log_dir: log_dir,
        })
    }

    /// Which browser this is.
    pub fn browser(&self) -> Browser {
        self.browser
    }

    /// The browser's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The last `lines` lines of the browser's stdout+stderr, leaving out the
    /// lines it prints on every run here (D-Bus, zygote OOM score), with a
    /// note of how many were left out.
    pub fn log_tail(&self, lines: usize) -> String {
        meaningful_tail(&file_tail(&self.log_path, usize::MAX), lines)
    }

    /// Waits up to `timeout` for `peer`'s page outcome. `Ok` holds the value
    /// given to `done()`. `Err` when the page failed, the browser exited first,
    /// or time ran out; the message has the page console and the log tail.
    pub async fn wait_result(&self, peer: &PagePeer, timeout: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        let outcome = loop {
            if let Some(o) = peer.outcome() {
                break Ok(o);
            }
            let exited = self
                .child
                .lock()
                .expect("child lock poisoned")
                .try_wait()
                .ok()
                .flatten();
            if let Some(status) = exited {
                // Give a result posted just before the exit a moment to land.
                tokio::time::sleep(Duration::from_millis(200)).await;
                match peer.outcome() {
                    Some(o) => break Ok(o),
                    None if self.watchdog_fired.load(Ordering::SeqCst) => {
                        break Err(format!(
                            "{} was killed at its hard lifetime (LaunchOptions::max_lifetime)",
                            self.browser.name()
                        ))
                    }
                    None => break Err(format!("{} exited early ({status})", self.browser.name())),
                }
            }
            if tokio::time::Instant::now() >= deadline {
                break Err(format!(
                    "timed out after {timeout:?} waiting for the page to call done() or fail()"
                ));
            }
            tokio::select! {
                _ = peer.wait_outcome() => {}
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        };
        match outcome {
            Ok(Outcome::Done(v)) => Ok(v),
            Ok(Outcome::Failed(e)) => Err(self.failure(peer, &format!("the page failed: {e}"))),
            Err(e) => Err(self.failure(peer, &e)),
        }
    }

    fn failure(&self, peer: &PagePeer, what: &str) -> Error {
        Error::new(format!(
            "{} page {} (peer {}): {what} [{:.1?} after launch]\n{}{}",
            self.browser.name(),
            self.url,
            peer.name(),
            self.started.elapsed(),
            section(
                &format!("page console (peer {})", peer.name()),
                &peer.console().join("\n")
            ),
            section(
                &format!("{} log, last {LOG_TAIL_LINES} lines", self.browser.name()),
                &self.log_tail(LOG_TAIL_LINES)
            ),
        ))
    }

    /// Ends the browser now (as dropping does).
    pub fn stop(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if !self.stopped {
            self.stopped = true;
            self.watchdog.take();
            let t = Instant::now();
            let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
            let killed = end_group(child, GRACE);
            println!(
                "testkit: stopped {} (pid {}) in {:.1?}{} [{:.1?} after launch]",
                self.browser.name(),
                self.pid,
                t.elapsed(),
                if killed { " with SIGKILL" } else { "" },
                self.started.elapsed()
            );
        }
    }
}

impl Drop for BrowserProcess {
    fn drop(&mut self) {
        self.end();
    }
}

/// Substrings of browser log lines printed on every run on these machines that
/// say nothing about the test (no D-Bus, no OOM-score control in a namespace).
const LOG_NOISE: &[&str] = &[
    "dbus/bus.cc",
    "dbus/object_proxy.cc",
    "Failed to connect to the bus",
    "zygote_host_impl_linux.cc",
    "/usr/bin/chromium: 9: [:",
];

/// The last `n` lines of `log` that are not [`LOG_NOISE`], after a note of
/// how many noise lines were left out.
fn meaningful_tail(log: &str, n: usize) -> String {
    let (noise, kept): (Vec<&str>, Vec<&str>) = log
        .lines()
        .partition(|l| LOG_NOISE.iter().any(|p| l.contains(p)));
    let start = kept.len().saturating_sub(n);
    let mut out = String::new();
    if !noise.is_empty() {
        out.push_str(&format!(
            "({} routine D-Bus/zygote lines left out)\n",
            noise.len()
        ));
    }
    out.push_str(&kept[start..].join("\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_leaves_out_routine_noise() {
        let log = "a\n[1:2:ERROR:dbus/bus.cc:405] Failed to connect to the bus\nb\nc\n";
        assert_eq!(
            meaningful_tail(log, 2),
            "(1 routine D-Bus/zygote lines left out)\nb\nc"
        );
        assert_eq!(meaningful_tail("x\ny", 5), "x\ny");
    }

    #[test]
    fn a_missing_browser_fails_naming_it_and_the_install_command() {
        let err = match BrowserProcess::spawn(
            Browser::Firefox,
            Path::new("/no/such/firefox-esr"),
            "http://127.0.0.1:9/",
            &LaunchOptions::default(),
        ) {
            Ok(_) => panic!("a missing binary cannot start"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("Firefox ESR"), "{err}");
        assert!(err.contains("apt-get install -y firefox-esr"), "{err}");
    }

    #[test]
    fn a_wrong_override_fails_naming_the_peer_and_the_variable() {
        let err = Browser::Chromium
            .resolve(Some(PathBuf::from("/no/such/chromium")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Chromium not found at /no/such/chromium"),
            "{err}"
        );
        assert!(err.contains("TESTKIT_CHROMIUM"), "{err}");
        assert!(err.contains("apt-get install -y chromium"), "{err}");
    }
}
