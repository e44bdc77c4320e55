//! `scripts/netns` runs a command in the same kind of namespace as
//! `testkit::isolate!()`, passing its exit status through.

use std::process::Command;

fn netns_script(args: &[&str]) -> std::process::Output {
    Command::new("bash")
        .arg(testkit::workspace_root().join("scripts/netns"))
        .args(args)
        .env_remove(testkit::netns::MARKER)
        .output()
        .expect("bash runs scripts/netns")
}

#[test]
fn script_gives_the_private_network_and_the_marker() {
    let out = netns_script(&["sh", "-c", "ip -o -4 addr; echo marker=$TESTKIT_NETNS"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ifaces: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|n| !n.starts_with("marker"))
        .collect();
    ifaces.sort_unstable();
    assert_eq!(ifaces, ["lo", "v0", "v1"], "{text}");
    assert!(text.contains(testkit::netns::HOST_ADDR), "{text}");
    assert!(text.contains("marker=1"), "{text}");
}

#[test]
fn script_passes_the_exit_status_through() {
    let out = netns_script(&["sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));
}
