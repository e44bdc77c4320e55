//! The `rtcpeer` command.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand};

mod common;
mod demo;
mod echo_client;
mod echo_server;
mod http;
mod loopback;

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
    /// channel over UDP on 127.0.0.1 and echo a message (as `loopback` does).
    Demo,
    /// Two PeerConnections in this process over real UDP on 127.0.0.1: prints
    /// the offer, every state change, a data-channel round trip and a
    /// throughput figure. No browser needed.
    Loopback {
        /// Megabytes (10^6 bytes) to send for the throughput figure.
        #[arg(long, default_value_t = 16)]
        megabytes: u64,
    },
    /// An echo server following the webrtc-echoes convention: POST /offer with
    /// a complete offer as JSON, get the answer back; every data-channel
    /// message is echoed. GET / serves a demo page.
    EchoServer {
        /// Address and port of the HTTP server.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Where to gather candidates: `loopback`, `all` (every interface,
        /// loopback included) or a comma-separated list of addresses.
        #[arg(long, default_value = "loopback")]
        interfaces: String,
    },
    /// A client of an echo server (webrtc-echoes convention); exits 0 when the
    /// test passes and 1 when it fails.
    EchoClient {
        /// The server's offer URL (`/offer` is added to a bare address).
        #[arg(long, default_value = "http://127.0.0.1:8080/offer")]
        server: String,
        /// 0: connected through DTLS; 1: data-channel echo; 2: media echo.
        #[arg(long, default_value_t = 1)]
        test: u8,
        /// Where to gather candidates: `loopback`, `all` or a comma-separated
        /// list of addresses.
        #[arg(long, default_value = "loopback")]
        interfaces: String,
        /// Seconds each step may take.
        #[arg(long, default_value_t = 20)]
        timeout: u64,
    },
}

async fn run(command: Command) -> common::CliResult<()> {
    match command {
        Command::Demo => demo::run().await,
        Command::Loopback { megabytes } => {
            loopback::run(megabytes * 1_000_000, true).await?;
            println!("done");
            Ok(())
        }
        Command::EchoServer { listen, interfaces } => {
            let settings = common::parse_interfaces(&interfaces)?;
            echo_server::run(listen, settings, Default::default()).await
        }
        Command::EchoClient {
            server,
            test,
            interfaces,
            timeout,
        } => {
            let settings = common::parse_interfaces(&interfaces)?;
            let limit = Duration::from_secs(timeout);
            echo_client::run(&server, test, settings, Default::default(), limit).await?;
            println!("test {test} passed");
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli.command).await {
        eprintln!("rtcpeer: {e}");
        std::process::exit(1);
    }
}
