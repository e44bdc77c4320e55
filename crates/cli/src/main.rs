//! The `rtcpeer` command.
fn main() {
    eprintln!("rtcpeer: no subcommands yet");
    std::process::exit(2);
}
