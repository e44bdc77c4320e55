//! Small process helpers shared by the launchers: finding programs and the
//! workspace, free ports, killing process groups, log tails.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How long a process group gets between SIGTERM and SIGKILL.
pub(crate) const GRACE: Duration = Duration::from_millis(1500);

/// The workspace root: the nearest ancestor of this crate's manifest directory
/// whose `Cargo.toml` declares `[workspace]` (falls back to the crate's
/// grandparent).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest.ancestors() {
        if let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) {
            if text.lines().any(|l| l.trim() == "[workspace]") {
                return dir.to_path_buf();
            }
        }
    }
    manifest.join("../..")
}

/// The first of `names` found as an executable file in `$PATH` (or as given,
/// for absolute paths).
pub(crate) fn find_program(names: &[&str]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &Path| {
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    for name in names {
        let p = Path::new(name);
        if p.is_absolute() {
            if is_exe(p) {
                return Some(p.to_path_buf());
            }
            continue;
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if is_exe(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// A port that was free on 127.0.0.1 for both TCP and UDP a moment ago.
pub(crate) fn free_port() -> Result<u16> {
    for _ in 0..50 {
        let tcp = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::new(format!("cannot bind a TCP port on 127.0.0.1: {e}")))?;
        let port = tcp
            .local_addr()
            .map_err(|e| Error::new(format!("local_addr: {e}")))?
            .port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(Error::new("found no port free for both TCP and UDP"))
}

/// Sends `signal` to the process group `pgid` (ignoring "no such process").
pub(crate) fn signal_group(pgid: u32, signal: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return; // never signal init's group or "every process"
    }
    // SAFETY: killpg has no memory-safety preconditions; a stale group id at
    // worst yields ESRCH.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Ends a child that leads its own process group: SIGTERM to the group, up to
/// `grace` for the leader to exit, then SIGKILL to the group, then waits for the
/// leader. Returns whether the leader had to be killed with SIGKILL.
pub(crate) fn end_group(child: &mut Child, grace: Duration) -> bool {
    let pgid = child.id();
    if let Ok(Some(_)) = child.try_wait() {
        // The leader is gone; members may remain.
        signal_group(pgid, libc::SIGKILL);
        return false;
    }
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            signal_group(pgid, libc::SIGKILL);
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    signal_group(pgid, libc::SIGKILL);
    let _ = child.wait();
    true
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

/// The last `n` lines of the file at `path` (lossy UTF-8), or a note saying
/// why it could not be read.
pub(crate) fn file_tail(path: &Path, n: usize) -> String {
    let mut bytes = Vec::new();
    match std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)) {
        Ok(_) => tail(&String::from_utf8_lossy(&bytes), n),
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// A titled section for error messages: `--- title ---` then the body, or
/// `(empty)`.
pub(crate) fn section(title: &str, body: &str) -> String {
    let body = body.trim_end();
    if body.is_empty() {
        format!("--- {title} ---\n(empty)\n")
    } else {
        format!("--- {title} ---\n{body}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 3), "");
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let root = workspace_root();
        let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(text.contains("[workspace]"));
        assert!(root.join("crates/testkit").is_dir());
    }

    #[test]
    fn find_program_finds_sh_and_not_nonsense() {
        assert!(find_program(&["sh"]).is_some());
        assert!(find_program(&["no-such-program-testkit-xyz"]).is_none());
        assert!(find_program(&["/no/such/absolute/program"]).is_none());
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn end_group_kills_a_process_that_ignores_sigterm() {
        use std::io::BufRead;
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "trap '' TERM; echo ready; sleep 30 & wait"])
            .stdout(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        // Wait until the trap is set (no sleeping on a guess).
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        let killed = end_group(&mut child, Duration::from_millis(300));
        assert!(killed, "sh ignores SIGTERM, so SIGKILL was needed");
        assert!(child.try_wait().unwrap().is_some());
    }
}
