//! Two peers of one implementation on loopback, one scenario per process.
//!
//! `peers <impl> <scenario> [--n N] [--mib M] [--size BYTES] [--runs R] [--pcs P]`
//!
//! impl: rtcpeer | webrtc-rs | str0m;  scenario: S | T | R | M | P.
//! Prints `RESULT<TAB>impl<TAB>key<TAB>value` lines that `bench/run` tabulates.

mod common;
mod rt_rtcpeer;
mod rt_str0m;
mod rt_webrtc;
mod srtp;

use common::Opts;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: peers <rtcpeer|webrtc-rs|str0m> <S|T|R|M|P> [--n N] [--mib M] [--size B] [--runs R] [--pcs P]");
        std::process::exit(2);
    }
    let opts = Opts::parse(&args[2..]);
    let imp = args[0].as_str();
    let sc = args[1].as_str();
    match (imp, sc) {
        (_, "P") => srtp::run(imp, &opts),
        ("rtcpeer", _) => rt_rtcpeer::run(sc, &opts),
        ("str0m", _) => rt_str0m::run(sc, &opts),
        ("webrtc-rs", _) => rt_webrtc::run(sc, &opts),
        _ => {
            eprintln!("unknown implementation {imp}");
            std::process::exit(2);
        }
    }
}
