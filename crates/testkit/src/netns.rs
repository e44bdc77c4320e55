//! Running tests inside a private network namespace.
//!
//! The network rule: test traffic stays on this machine. A real-peer test calls
//! [`isolate`] (usually through [`crate::isolate!`]) first. Outside a namespace
//! that call re-executes the current test binary with just this test
//! (`<name> --exact --nocapture --test-threads=1 --include-ignored`) under
//! `unshare --net --pid --fork --kill-child`, after bringing up `lo` and a veth
//! pair `v0` 203.0.113.1/24 <-> `v1` 203.0.113.2/24 with a default route via
//! `v0` (Firefox gathers nothing on a loopback-only host). The inner run sees
//! [`MARKER`]`=1` and runs the body; the outer run streams its output and passes
//! or fails with it. The PID namespace means that when the inner run ends, every
//! process it left behind (a stray browser) is killed by the kernel.
//!
//! `scripts/netns CMD...` does the same for a whole command.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::{signal_group, tail};

/// The environment variable that marks a process as running inside a namespace
/// made by this module or by `scripts/netns` (value `1`).
pub const MARKER: &str = "TESTKIT_NETNS";

/// Overrides the time limit (in seconds) of one isolated test run.
pub const TIMEOUT_ENV: &str = "TESTKIT_NETNS_TIMEOUT_SECS";

/// The default time limit of one isolated test run. Every launcher has its own
/// shorter limit; this one only catches a test that hangs outside them.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The address of `v0`, the namespace's non-loopback "host" address.
pub const HOST_ADDR: &str = "203.0.113.1";

/// The address of `v1`, the other end of the veth pair.
pub const PEER_ADDR: &str = "203.0.113.2";

/// The shell lines that set up the namespace, then run `"$@"`.
const SETUP: &str = r#"set -e
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 203.0.113.1/24 dev v0
ip addr add 203.0.113.2/24 dev v1
ip link set v0 up
ip link set v1 up
ip route add default dev v0
set +e
"$@"
"#;

/// Whether this process runs inside a namespace made by us.
pub fn inside() -> bool {
    std::env::var(MARKER).as_deref() == Ok("1")
}

/// A command that runs `program args...` inside a fresh network + PID
/// namespace set up as described in the [module docs](self), with [`MARKER`]
/// set. Needs root (or `CAP_SYS_ADMIN`).
pub fn command<I, S>(program: impl AsRef<std::ffi::OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--net",
        "--pid",
        "--fork",
        "--kill-child",
        "bash",
        "-c",
        SETUP,
        "testkit-netns",
    ]);
    cmd.arg(program).args(args).env(MARKER, "1");
    cmd
}

/// The name of the running test, as libtest names it (`module::test_fn`): the
/// current thread's name under the default test harness.
pub fn current_test_name() -> Option<String> {
    let name = std::thread::current().name()?.to_string();
    if name == "main" || name.is_empty() {
        None
    } else {
        Some(name)
    }
}

/// Makes the calling test run inside a private network namespace.
///
/// Returns `true` when the caller is inside one (run the test body) and
/// `false` when the body already ran, and passed, in a re-executed copy of this
/// test inside a new namespace (return without running it again). Fails the
/// test (unwinds with a one-line reason; the inner run's output is already
/// printed) if the inner run failed, timed out, or ran no test. Prefer the
/// [`crate::isolate!`] macro, which returns for you.
///
/// Panics if the test's name cannot be found (a custom harness or a thread the
/// test spawned): call [`isolate_named`] then.
#[must_use = "when this returns false the test body must not run (use testkit::isolate!())"]
pub fn isolate() -> bool {
    if inside() {
        return true;
    }
    let Some(name) = current_test_name() else {
        panic!(
            "testkit::netns::isolate(): cannot tell the test's name (thread name is {:?}); \
             call it from the test's own thread, or use isolate_named(\"path::to::test\")",
            std::thread::current().name()
        );
    };
    isolate_named(&name)
}

/// [`isolate`] for a test whose full libtest name (`module::test_fn`) is given.
#[must_use = "when this returns false the test body must not run"]
pub fn isolate_named(test_name: &str) -> bool {
    if inside() {
        return true;
    }
    if let (Err(message), _) = run_test_inside(test_name, &[]) {
        // The inner run's output is already above (streamed); fail with a
        // short message and without a backtrace of this function.
        eprintln!("{message}");
        std::panic::resume_unwind(Box::new(message));
    }
    false
}

/// Re-executes `test_name` of the current test binary inside a namespace,
/// streaming its output. Returns the verdict (`Err` holds a readable failure
/// message) and the inner run's whole output.
fn run_test_inside(test_name: &str, extra_env: &[(&str, &str)]) -> (Result<(), String>, String) {
    let mut all = String::new();
    let verdict = run_and_stream(test_name, extra_env, &mut all);
    (verdict, all)
}

fn run_and_stream(
    test_name: &str,
    extra_env: &[(&str, &str)],
    all: &mut String,
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let timeout = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let mut cmd = command(
        &exe,
        [
            test_name,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ],
    );
    cmd.envs(extra_env.iter().copied());
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: the closure only calls prctl, which is async-signal-safe. It makes
    // the kernel kill `unshare` (and so, through --kill-child, the whole
    // namespace) if this thread dies first, e.g. when the outer run is killed.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| {
        format!("cannot start `unshare` to isolate test {test_name}: {e} (util-linux and root are needed)")
    })?;

    // Stream both pipes line by line through print!/eprint!, so libtest
    // captures them like the test's own output, and keep stdout for checking.
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let mut readers = Vec::new();
    let stdout = child
        .stdout
        .take()
        .map(|s| Box::new(s) as Box<dyn Read + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|s| Box::new(s) as Box<dyn Read + Send>);
    for (is_out, pipe) in [(true, stdout), (false, stderr)] {
        let Some(pipe) = pipe else { continue };
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut buf = Vec::new();
            while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches('\n')
                    .to_string();
                buf.clear();
                if tx.send((is_out, line)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);

    let started = Instant::now();
    let deadline = started + timeout;
    let mut out = String::new();
    let mut timed_out = false;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((is_out, line)) => {
                if is_out {
                    println!("{line}");
                    out.push_str(&line);
                    out.push('\n');
                } else {
                    eprintln!("{line}");
                }
                all.push_str(&line);
                all.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() > deadline && !timed_out {
            timed_out = true;
            signal_group(child.id(), libc::SIGKILL);
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the isolated run: {e}"))?;
    let output_tail = tail(all, 60);
    if timed_out {
        return Err(format!(
            "test {test_name} timed out after {timeout:?} inside its network namespace \
             (set {TIMEOUT_ENV} to change the limit); its output is above"
        ));
    }
    if !status.success() {
        let hint = if all.contains("unshare failed") || all.contains("Operation not permitted") {
            " (making a network namespace needs root or CAP_SYS_ADMIN)"
        } else {
            ""
        };
        return Err(format!(
            "test {test_name} failed inside its network namespace ({status}){hint}; its output is above"
        ));
    }
    if !ran_exactly_one_passing_test(&out) {
        return Err(format!(
            "the isolated run of {test_name} did not run exactly one passing test \
             (is the thread name the full test path?); its output:\n{output_tail}"
        ));
    }
    Ok(())
}

/// Whether libtest's summary says exactly one test ran and passed.
fn ran_exactly_one_passing_test(stdout: &str) -> bool {
    stdout
        .lines()
        .any(|l| l.starts_with("test result: ok. 1 passed; 0 failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_must_show_one_passing_test() {
        assert!(ran_exactly_one_passing_test(
            "running 1 test\ntest a ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 5 filtered out; finished in 0.1s\n"
        ));
        assert!(!ran_exactly_one_passing_test(
            "running 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 6 filtered out\n"
        ));
        assert!(!ran_exactly_one_passing_test(
            "test result: FAILED. 0 passed; 1 failed;"
        ));
    }

    #[test]
    fn test_name_comes_from_the_thread() {
        let name = current_test_name().expect("libtest names the test thread");
        assert!(name.ends_with("test_name_comes_from_the_thread"), "{name}");
    }

    /// The namespace has lo, the veth pair and nothing else; the body runs once.
    #[test]
    fn isolated_body_sees_only_the_private_network() {
        crate::isolate!();
        assert!(inside());
        let out = Command::new("ip")
            .args(["-o", "-4", "addr"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["lo", "v0", "v1"], "{text}");
        assert!(
            text.contains(HOST_ADDR) && text.contains(PEER_ADDR),
            "{text}"
        );
    }

    /// A failing body fails the outer test, and the inner output (printed, so
    /// shown with the outer test's failure) has the inner panic.
    #[test]
    fn inner_failure_reaches_the_outer_test() {
        if inside() {
            // The inner half: only reached when re-executed by the outer half.
            if std::env::var("TESTKIT_SELFTEST_INNER").is_ok() {
                println!("inner-marker-7731");
                panic!("deliberate inner failure");
            }
            return;
        }
        let name = current_test_name().unwrap();
        let (verdict, output) = run_test_inside(&name, &[("TESTKIT_SELFTEST_INNER", "1")]);
        let err = verdict.expect_err("the inner run panics");
        assert!(err.contains("failed inside its network namespace"), "{err}");
        assert!(err.contains(&name), "{err}");
        assert!(output.contains("inner-marker-7731"), "{output}");
        assert!(output.contains("deliberate inner failure"), "{output}");
    }
}
