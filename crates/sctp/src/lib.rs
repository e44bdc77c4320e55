//! Sans-IO SCTP association for WebRTC data channels (RFC 9260, RFC 8260, RFC 3758, RFC 6525, RFC 9653).
//!
//! [`Association`] is one SCTP association over one path, as WebRTC runs it
//! inside DTLS (RFC 8261): no sockets, no clock, no tasks. The owner feeds
//! received packets and the time in, and takes packets, events and the next
//! deadline out:
//!
//! ```
//! use rtcpeer_sctp::{Association, SctpConfig, SctpEvent, SendOptions};
//! use std::time::Instant;
//!
//! let now = Instant::now();
//! let mut a = Association::new(SctpConfig::default(), now);
//! let mut b = Association::new(SctpConfig::default(), now);
//! a.connect(now);
//! b.connect(now);
//! let mut buf = [0u8; 1500];
//! // Shuttle packets until both sides are quiet.
//! loop {
//!     let mut moved = false;
//!     while let Some(n) = a.poll_transmit(now, &mut buf) { b.handle_receive(now, &buf[..n]); moved = true; }
//!     while let Some(n) = b.poll_transmit(now, &mut buf) { a.handle_receive(now, &buf[..n]); moved = true; }
//!     if !moved { break; }
//! }
//! assert_eq!(a.poll_event(), Some(SctpEvent::Connected));
//! a.send(now, 1, 51, b"hello", SendOptions::default()).unwrap();
//! let n = a.poll_transmit(now, &mut buf).unwrap();
//! b.handle_receive(now, &buf[..n]);
//! assert_eq!(b.poll_event(), Some(SctpEvent::Connected));
//! assert!(matches!(b.poll_event(), Some(SctpEvent::Message { stream_id: 1, ppid: 51, .. })));
//! ```
//!
//! Layout: [`chunk`], [`packet`], [`param`] and [`wire`] are the codec;
//! `send_queue` (per-stream queues, scheduler, fragmentation),
//! `retransmit` (chunks in flight, SACK, congestion control),
//! `tsn` and `reassembly` (receive side) and `cookie` are the parts of the
//! association, which lives in `association` (API, packet assembly, timers)
//! and `receive` (chunk handlers).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod association;
pub mod chunk;
mod config;
mod cookie;
pub mod packet;
pub mod param;
mod reassembly;
mod receive;
mod retransmit;
mod send_queue;
mod tsn;
pub mod wire;

pub use association::Association;
pub use bytes::Bytes;
pub use config::{
    AssociationStats, SctpConfig, SctpEvent, SendError, SendOptions, State, StreamStats,
};
