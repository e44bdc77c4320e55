//! Sans-IO ICE agent (RFC 8445, RFC 8838, RFC 7675, RFC 6544) and TURN allocations.
//!
//! [`IceAgent`] holds no sockets and reads no clock: the caller (the async
//! layer) owns sockets and timers, passes `now` into every call that can
//! change state, and after each call drains [`IceAgent::poll_transmit`] and
//! [`IceAgent::poll_event`] until empty, then sleeps until
//! [`IceAgent::poll_timeout`] and calls [`IceAgent::handle_timeout`].
//!
//! Typical life:
//! 1. `IceAgent::new(IceConfig { controlling, .. }, now)`; put
//!    [`IceAgent::local_credentials`] in the SDP.
//! 2. Register host sockets with [`IceAgent::add_local_candidate`] (or
//!    [`IceAgent::add_host_socket`] for unadvertised ones), servers with
//!    [`IceAgent::add_stun_server`] / [`IceAgent::add_turn_server`], then
//!    [`IceAgent::end_of_local_candidates`]; gathered candidates arrive as
//!    [`IceEvent::LocalCandidate`], then [`IceEvent::GatheringComplete`].
//! 3. From the remote description: [`IceAgent::set_remote_credentials`],
//!    [`IceAgent::add_remote_candidate`] (also trickled), and
//!    [`IceAgent::end_of_remote_candidates`].
//! 4. Every datagram received goes to [`IceAgent::handle_receive`]; STUN is
//!    consumed, everything else comes back as [`Received`] for DTLS/SRTP.
//! 5. Application data leaves with [`IceAgent::send_to_selected`] (or
//!    [`IceAgent::send`]) over the pair announced by
//!    [`IceEvent::SelectedPairChanged`].
//!
//! Over TCP (RFC 6544) every datagram is one RFC 4571 frame: see [`tcp`].
//!
//! Two agents wired back to back in memory (a real caller would use sockets
//! and sleep until `poll_timeout`):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtcpeer_ice::{Candidate, Datagram, IceAgent, IceConfig, IceConnectionState, Protocol};
//!
//! let mut now = Instant::now();
//! let addrs = ["10.0.0.1:5000".parse().unwrap(), "10.0.0.2:6000".parse().unwrap()];
//! let mut agents = [true, false].map(|controlling| IceAgent::new(IceConfig { controlling, ..Default::default() }, now));
//! for (a, addr) in agents.iter_mut().zip(addrs) {
//!     a.add_local_candidate(Candidate::host(addr, Protocol::Udp, 65535)).unwrap();
//! }
//! // Signaling: each side learns the other's credentials and candidates.
//! for (i, j) in [(0, 1), (1, 0)] {
//!     let (u, p) = agents[i].local_credentials();
//!     let (u, p) = (u.to_string(), p.to_string());
//!     let cands = agents[i].local_candidates();
//!     agents[j].set_remote_credentials(&u, &p);
//!     for c in cands {
//!         agents[j].add_remote_candidate(Candidate::parse(&c.to_string()).unwrap()).unwrap();
//!     }
//! }
//! // The event loop: deliver every transmit, then run timers.
//! for _ in 0..1000 {
//!     for i in 0..2 {
//!         while let Some(t) = agents[i].poll_transmit(now) {
//!             let to = addrs.iter().position(|a| *a == t.remote).unwrap();
//!             let d = Datagram { local: t.remote, remote: t.local, proto: t.proto, data: &t.data };
//!             assert!(agents[to].handle_receive(now, d).is_none(), "only STUN so far");
//!         }
//!     }
//!     now += Duration::from_millis(10);
//!     for a in agents.iter_mut() {
//!         if a.poll_timeout().is_some_and(|t| t <= now) {
//!             a.handle_timeout(now);
//!         }
//!     }
//! }
//! assert_eq!(agents[0].connection_state(), IceConnectionState::Connected);
//! // Application data now flows over the selected pair.
//! let t = agents[0].send(b"hello").unwrap();
//! assert_eq!(t.remote, addrs[1]);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod agent;
mod candidate;
mod checks;
mod rng;
pub mod tcp;
mod turn;
mod types;

pub use agent::IceAgent;
pub use candidate::{
    compute_foundation, compute_priority, Candidate, CandidateKind, ParseCandidateError, Protocol,
    TcpType,
};
pub use types::{
    CandidatePairStats, Datagram, IceConfig, IceConnectionState, IceCounters, IceError, IceEvent,
    PairId, PairState, Received, Route, Transmit,
};
