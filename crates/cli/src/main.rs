//! The `rtcpeer` command.

use clap::{Parser, Subcommand};

mod demo;

/// rtcpeer: a WebRTC RTCPeerConnection for programs that are not browsers.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Two peers in this process negotiate audio, video and a renegotiation
    /// (printing the offer, the answer and every event), then open a data
    /// channel over UDP on 127.0.0.1 and echo a message.
    Demo,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo::run().await,
    };
    if let Err(e) = result {
        eprintln!("rtcpeer: {e}");
        std::process::exit(1);
    }
}
