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
