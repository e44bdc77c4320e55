//! The `rtcpeer` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

mod common;
mod demo;
mod echo_client;
mod echo_server;
mod http;
mod loopback;
mod token;
mod transfer;

/// rtcpeer: a WebRTC RTCPeerConnection for programs that are not browsers.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// ICE options of `send` and `receive`.
#[derive(clap::Args)]
struct IceArgs {
    /// A STUN or TURN server URL (`stun:host:port`, `turn:host:port?transport=udp`);
    /// repeat for several.
    #[arg(long = "ice-server")]
    ice_servers: Vec<String>,
    /// TURN username.
    #[arg(long)]
    ice_username: Option<String>,
    /// TURN credential.
    #[arg(long)]
    ice_credential: Option<String>,
    /// Where to gather host candidates: `default` (every interface but
    /// loopback), `loopback`, `all`, or a comma-separated list of addresses.
    #[arg(long, default_value = "default")]
    interfaces: String,
    /// Connect only through the TURN server (`iceTransportPolicy: "relay"`).
    #[arg(long)]
    relay_only: bool,
}

impl IceArgs {
    fn settings(&self) -> common::CliResult<rtcpeer::Settings> {
        common::parse_interfaces(&self.interfaces)
    }

    fn configuration(&self) -> common::CliResult<rtcpeer::Configuration> {
        common::ice_configuration(
            &self.ice_servers,
            self.ice_username.as_deref(),
            self.ice_credential.as_deref(),
            self.relay_only,
        )
    }
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
        /// Test 2: a VP8 IVF file whose frames are sent (looping) and must
        /// come back (e.g. `ffmpeg -f lavfi -i testsrc=size=320x240:rate=30
        /// -t 1 -c:v libvpx video.ivf`).
        #[arg(long)]
        video: Option<PathBuf>,
    },
    /// Sends FILE to a `rtcpeer receive` peer: prints an offer token to paste
    /// there and reads its answer token from stdin; the SHA-256 is checked
    /// at the end.
    Send {
        /// The file to send.
        file: PathBuf,
        #[command(flatten)]
        ice: IceArgs,
    },
    /// Receives a file from `rtcpeer send`: reads its offer token from stdin
    /// and prints the answer token to paste there.
    Receive {
        /// Where to write the file (default: the sender's file name in the
        /// current directory, never overwriting).
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        ice: IceArgs,
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
            video,
        } => {
            let settings = common::parse_interfaces(&interfaces)?;
            let limit = Duration::from_secs(timeout);
            echo_client::run(
                &server,
                test,
                video.as_deref(),
                settings,
                Default::default(),
                limit,
            )
            .await?;
            println!("test {test} passed");
            Ok(())
        }
        Command::Send { file, ice } => {
            transfer::send(&file, ice.settings()?, ice.configuration()?).await
        }
        Command::Receive { output, ice } => {
            transfer::receive(output, ice.settings()?, ice.configuration()?).await
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
