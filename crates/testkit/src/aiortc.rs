//! aiortc (Python WebRTC) as a peer, driven by a scenario script.
//!
//! The script runs with the project's venv (`<workspace>/.peers-venv`, made by
//! `scripts/install-peers`; `$TESTKIT_PEERS_VENV` overrides it) and imports the
//! shared prelude `crates/testkit/python/peer_common.py`, which makes aioice
//! offer loopback addresses, gives `RTCConfiguration(iceServers=[])` (never a
//! public STUN server), and speaks JSON lines with the test:
//!
//! | script (Python) | stdout line | test (Rust) |
//! |---|---|---|
//! | `send(obj)` | `{"signal": obj}` | [`AiortcPeer::recv`] |
//! | `await recv()` | (stdin line `obj`) | [`AiortcPeer::send`] |
//! | `done(value)` / return from `run(main)` | `{"done": value}` | [`AiortcPeer::wait_result`] → `Ok(value)` |
//! | `fail(err)` / an exception in `run(main)` | `{"fail": "…"}` | `Err` with the script's log |
//! | `log(...)`, stray prints, tracebacks | stderr | [`AiortcPeer::log`] |

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, watch};

use crate::http::{outcome_from_json, Outcome};
use crate::process::{section, signal_group, tail, workspace_root};
use crate::{Error, Result};

/// Overrides the venv's location.
pub const VENV_ENV: &str = "TESTKIT_PEERS_VENV";

/// The standard aiortc peer's source (see [`AiortcPeer::standard`]).
pub const STANDARD_PEER_PY: &str = include_str!("../python/standard_peer.py");

/// The aiortc echo server's source (see [`AiortcPeer::echo_server`]).
pub const ECHO_SERVER_PY: &str = include_str!("../python/echo_server.py");

/// The install hint shown when aiortc is missing.
const INSTALL_HINT: &str = "run scripts/install-peers \
     (python3 -m venv .peers-venv && .peers-venv/bin/pip install aiortc)";

/// The directory holding `peer_common.py` (put on the script's `PYTHONPATH`).
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// The venv's directory: `$TESTKIT_PEERS_VENV` or `<workspace>/.peers-venv`.
pub fn venv_dir() -> PathBuf {
    std::env::var_os(VENV_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".peers-venv"))
}

/// The venv's Python, after checking that aiortc is installed in it. `Err`
/// names aiortc and the install command.
pub fn python() -> Result<PathBuf> {
    python_in(&venv_dir())
}

fn python_in(venv: &Path) -> Result<PathBuf> {
    let python = venv.join("bin/python");
    if !python.exists() {
        return Err(Error::new(format!(
            "aiortc is not installed: no venv at {} ; {INSTALL_HINT}. \
             Real-peer tests never skip a missing peer.",
            venv.display()
        )));
    }
    let has_aiortc = std::fs::read_dir(venv.join("lib"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| d.path().join("site-packages/aiortc").is_dir());
    if !has_aiortc {
        return Err(Error::new(format!(
            "aiortc is not installed in the venv {} ; {INSTALL_HINT}. \
             Real-peer tests never skip a missing peer.",
            venv.display()
        )));
    }
    Ok(python)
}

/// A running aiortc scenario script. Dropping it kills the script's process
/// group.
pub struct AiortcPeer {
    pid: u32,
    stdin: tokio::sync::Mutex<tokio::process::ChildStdin>,
    inbox: tokio::sync::Mutex<mpsc::UnboundedReceiver<Value>>,
    outcome: watch::Receiver<Option<Outcome>>,
    log: Arc<Mutex<Vec<String>>>,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl AiortcPeer {
    /// Runs the Python scenario `script` (its source text; typically it starts
    /// with `from peer_common import *` and ends with `run(main)`).
    pub async fn spawn(script: &str) -> Result<Self> {
        Self::spawn_with_env(script, &[]).await
    }

    /// [`spawn`](Self::spawn) with extra environment variables, e.g.
    /// `("TESTKIT_HOST_ADDRESSES", "203.0.113.1")` to choose the addresses
    /// aioice offers (comma-separated; default `127.0.0.1`).
    pub async fn spawn_with_env(script: &str, env: &[(&str, &str)]) -> Result<Self> {
        let python = python()?;
        let io = |e: std::io::Error| Error::new(format!("aiortc: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("testkit-aiortc-")
            .tempdir()
            .map_err(io)?;
        let path = dir.path().join("scenario.py");
        std::fs::write(&path, script).map_err(io)?;

        let mut cmd = tokio::process::Command::new(&python);
        cmd.arg("-u")
            .arg(&path)
            .env("PYTHONPATH", python_dir())
            .env("PYTHONUNBUFFERED", "1")
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::new(format!("cannot start aiortc ({}): {e}", python.display())))?;
        let pid = child.id().unwrap_or(0);
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => return Err(Error::new("aiortc: pipes missing")),
            };
        let log = Arc::new(Mutex::new(Vec::new()));
        let (inbox_tx, inbox_rx) = mpsc::unbounded_channel();
        let (outcome_tx, outcome_rx) = watch::channel(None);

        let err_log = log.clone();
        let stderr_task = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                println!("aiortc: {line}");
                err_log.lock().expect("log lock poisoned").push(line);
            }
        });
        let out_log = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Value>(&line) {
                    Ok(Value::Object(map)) if map.contains_key("signal") => {
                        let _ = inbox_tx.send(map["signal"].clone());
                    }
                    Ok(v @ Value::Object(_))
                        if v.get("done").is_some() || v.get("fail").is_some() =>
                    {
                        let outcome = outcome_from_json(&v);
                        outcome_tx.send_if_modified(|slot| {
                            let first = slot.is_none();
                            if first {
                                *slot = Some(outcome);
                            }
                            first
                        });
                    }
                    _ => {
                        println!("aiortc (stdout): {line}");
                        out_log.lock().expect("log lock poisoned").push(line);
                    }
                }
            }
            // stdout closed: the script ended. Let stderr drain so the log is
            // complete, then record an early end if no outcome came.
            let _ = tokio::time::timeout(Duration::from_secs(2), stderr_task).await;
            outcome_tx.send_if_modified(|slot| {
                if slot.is_none() {
                    *slot = Some(Outcome::Failed(
                        "the script ended without calling done() or fail()".into(),
                    ));
                    true
                } else {
                    false
                }
            });
        });
        println!("testkit: started aiortc scenario (pid {pid})");
        Ok(AiortcPeer {
            pid,
            stdin: tokio::sync::Mutex::new(stdin),
            inbox: tokio::sync::Mutex::new(inbox_rx),
            outcome: outcome_rx,
            log,
            _child: child,
            _dir: dir,
        })
    }

    /// Runs testkit's standard aiortc peer (`python/standard_peer.py`), which
    /// speaks the standard page's protocol (see [`crate::pages`]): it is sent
    /// `{"setup": setup}` first.
    pub async fn standard(setup: Value) -> Result<Self> {
        let peer = Self::spawn(STANDARD_PEER_PY).await?;
        peer.send(serde_json::json!({ "setup": setup })).await?;
        Ok(peer)
    }

    /// Runs aiortc as an echo server on a free port of 127.0.0.1, following
    /// the webrtc-echoes convention (`POST /offer` with a complete offer, echo
    /// of every data-channel message and of received media). Returns the
    /// running script and the URL to POST offers to. [`AiortcPeer::finish`]
    /// stops it; its result is `{"ok": true, "offers": n, "echoed": n}`.
    pub async fn echo_server() -> Result<(Self, String)> {
        let port = crate::process::free_port()?;
        let port_text = port.to_string();
        let peer =
            Self::spawn_with_env(ECHO_SERVER_PY, &[("TESTKIT_ECHO_PORT", &port_text)]).await?;
        let ready = tokio::time::timeout(Duration::from_secs(30), peer.recv())
            .await
            .map_err(|_| peer.error("the echo server did not start listening within 30 s"))??;
        if ready.get("listening").and_then(Value::as_u64) != Some(u64::from(port)) {
            return Err(peer.error(&format!("unexpected first message {ready}")));
        }
        Ok((peer, format!("http://127.0.0.1:{port}/offer")))
    }

    /// Asks a standard peer to finish and report (`{"finish": true}`).
    pub async fn finish(&self) -> Result<()> {
        self.send(serde_json::json!({ "finish": true })).await
    }

    /// The script's log so far (stderr and non-protocol stdout lines).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock poisoned").clone()
    }

    /// Writes `message` as one line to the script's stdin (`await recv()` there).
    pub async fn send(&self, message: Value) -> Result<()> {
        let mut line = message.to_string();
        line.push('\n');
        let mut stdin = self.stdin.lock().await;
        stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| self.error(&format!("cannot write to the script: {e}")))?;
        stdin
            .flush()
            .await
            .map_err(|e| self.error(&format!("cannot write to the script: {e}")))
    }

    /// The next message the script sent with `send(obj)`; `Err` once it has
    /// ended and every message was received.
    pub async fn recv(&self) -> Result<Value> {
        let mut inbox = self.inbox.lock().await;
        let mut outcome = self.outcome.clone();
        loop {
            if let Ok(m) = inbox.try_recv() {
                return Ok(m);
            }
            if let Some(o) = outcome.borrow_and_update().clone() {
                return Err(self.error(&format!("the script ended ({})", describe(&o))));
            }
            tokio::select! {
                biased;
                m = inbox.recv() => if let Some(m) = m { return Ok(m) },
                r = outcome.changed() => if r.is_err() {
                    return Err(self.error("the script's reader stopped"));
                },
            }
        }
    }

    /// Waits up to `timeout` for the script's outcome: `Ok(value)` from
    /// `done(value)`; `Err` (with the script's log) on `fail`, an exception, an
    /// early exit or the time limit.
    pub async fn wait_result(&self, timeout: Duration) -> Result<Value> {
        let mut outcome = self.outcome.clone();
        let waited = tokio::time::timeout(timeout, async {
            loop {
                if let Some(o) = outcome.borrow_and_update().clone() {
                    return o;
                }
                if outcome.changed().await.is_err() {
                    return Outcome::Failed("the script's reader stopped".into());
                }
            }
        })
        .await;
        match waited {
            Ok(Outcome::Done(v)) => Ok(v),
            Ok(Outcome::Failed(e)) => Err(self.error(&format!("the script failed: {e}"))),
            Err(_) => Err(self.error(&format!(
                "timed out after {timeout:?} waiting for done() or fail()"
            ))),
        }
    }

    fn error(&self, what: &str) -> Error {
        Error::new(format!(
            "aiortc: {what}\n{}",
            section(
                "aiortc log, last 40 lines",
                &tail(&self.log().join("\n"), 40)
            )
        ))
    }
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Done(v) => format!("done({v})"),
        Outcome::Failed(e) => format!("failed: {e}"),
    }
}

impl Drop for AiortcPeer {
    fn drop(&mut self) {
        // kill_on_drop kills the script itself; this also ends anything it
        // started. tokio reaps the process.
        signal_group(self.pid, libc::SIGKILL);
    }
}

impl crate::signal::SignalPeer for AiortcPeer {
    fn label(&self) -> String {
        "aiortc".into()
    }

    async fn send(&self, message: Value) -> Result<()> {
        AiortcPeer::send(self, message).await
    }

    async fn recv(&self) -> Result<Value> {
        AiortcPeer::recv(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_venv_fails_naming_aiortc_and_the_install_command() {
        let err = python_in(Path::new("/no/such/venv"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("aiortc is not installed"), "{err}");
        assert!(err.contains("pip install aiortc"), "{err}");
    }

    #[test]
    fn a_venv_without_aiortc_fails_too() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/python"), "").unwrap();
        let err = python_in(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not installed in the venv"), "{err}");
    }

    #[test]
    fn the_prelude_ships_with_the_crate() {
        let prelude = std::fs::read_to_string(python_dir().join("peer_common.py")).unwrap();
        assert!(prelude.contains("get_host_addresses"));
        assert!(prelude.contains("iceServers=[]") || prelude.contains("iceServers=list("));
    }
}
