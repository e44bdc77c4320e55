//! `RTCDtlsTransport` and `RTCSctpTransport`: cheap handles on the
//! connection's one (bundled) DTLS transport and its SCTP association.
//!
//! Their attributes read the core under the connection's short lock; their
//! events reach the application as streams and through `on_<event>`
//! handlers, like the other objects of this crate.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rtcpeer_proto::Error;
use tokio::sync::mpsc;

use crate::peer::Shared;

pub use rtcpeer_proto::dtls::DtlsState as DtlsTransportState;
pub use rtcpeer_proto::transport::SctpTransportState;

/// The events of `RTCDtlsTransport`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DtlsTransportEvent {
    /// `statechange`, with the new state.
    StateChange(DtlsTransportState),
    /// `error`: an `RTCError` whose [`Error::detail`] is
    /// `fingerprint-failure` or `dtls-failure`; the state then goes `failed`.
    Error(Error),
}

/// The events of `RTCSctpTransport`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctpTransportEvent {
    /// `statechange`, with the new state.
    StateChange(SctpTransportState),
}

type Handler<E> = Arc<dyn Fn(E) + Send + Sync>;

/// Handlers and stream subscribers of one kind of object. Events are
/// buffered from the connection's creation until the first call to
/// `events()`, so a transport that fails before the application holds its
/// handle still reports why.
pub(crate) struct Listeners<E> {
    handlers: Mutex<Vec<(u8, Handler<E>)>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<E>>>,
    first: Mutex<Option<mpsc::UnboundedReceiver<E>>>,
}

impl<E: Clone> Listeners<E> {
    pub(crate) fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Listeners {
            handlers: Mutex::new(Vec::new()),
            subscribers: Mutex::new(vec![tx]),
            first: Mutex::new(Some(rx)),
        }
    }

    pub(crate) fn set_handler(&self, kind: u8, h: Handler<E>) {
        let mut hs = self.handlers.lock().unwrap_or_else(|p| p.into_inner());
        hs.retain(|(k, _)| *k != kind);
        hs.push((kind, h));
    }

    pub(crate) fn subscribe(&self) -> TransportEventStream<E> {
        if let Some(rx) = self.first.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return TransportEventStream { rx };
        }
        let (tx, rx) = mpsc::unbounded_channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        TransportEventStream { rx }
    }

    pub(crate) fn dispatch(&self, kind: u8, e: E) {
        let hs: Vec<Handler<E>> = self
            .handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, h)| h.clone())
            .collect();
        for h in hs {
            h(e.clone());
        }
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| s.send(e.clone()).is_ok());
    }
}

pub(crate) const STATE_CHANGE: u8 = 0;
pub(crate) const ERROR: u8 = 1;

/// A stream of transport events (see [`DtlsTransport::events`],
/// [`SctpTransport::events`]).
pub struct TransportEventStream<E> {
    rx: mpsc::UnboundedReceiver<E>,
}

impl<E> TransportEventStream<E> {
    /// The next event; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<E> {
        self.rx.recv().await
    }

    /// The next event if one is queued now.
    pub fn try_recv(&mut self) -> Option<E> {
        self.rx.try_recv().ok()
    }
}

impl<E> futures_core::Stream for TransportEventStream<E> {
    type Item = E;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.rx.poll_recv(cx)
    }
}

/// `RTCDtlsTransport`. Cheap to clone; every clone is the same transport.
#[derive(Clone)]
#[doc(alias = "RTCDtlsTransport")]
pub struct DtlsTransport {
    pub(crate) pc: Arc<Shared>,
}

impl std::fmt::Debug for DtlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsTransport")
            .field("state", &self.state())
            .finish()
    }
}

impl DtlsTransport {
    /// `state`.
    pub fn state(&self) -> DtlsTransportState {
        self.pc.core().dtls_state()
    }

    /// The transport's events from now on; the first call (on any handle)
    /// also gets every event since the connection was created.
    pub fn events(&self) -> TransportEventStream<DtlsTransportEvent> {
        self.pc.dtls_listeners.subscribe()
    }

    /// `onstatechange`.
    pub fn on_state_change(&self, handler: impl Fn(DtlsTransportEvent) + Send + Sync + 'static) {
        self.pc
            .dtls_listeners
            .set_handler(STATE_CHANGE, Arc::new(handler));
    }

    /// `onerror`.
    pub fn on_error(&self, handler: impl Fn(DtlsTransportEvent) + Send + Sync + 'static) {
        self.pc.dtls_listeners.set_handler(ERROR, Arc::new(handler));
    }
}

/// `RTCSctpTransport` (`pc.sctp`). Cheap to clone; every clone is the same
/// transport.
#[derive(Clone)]
#[doc(alias = "RTCSctpTransport")]
pub struct SctpTransport {
    pub(crate) pc: Arc<Shared>,
}

impl std::fmt::Debug for SctpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SctpTransport")
            .field("state", &self.state())
            .field("max_message_size", &self.max_message_size())
            .field("max_channels", &self.max_channels())
            .finish()
    }
}

impl SctpTransport {
    /// `transport`: the DTLS transport SCTP runs over.
    pub fn transport(&self) -> DtlsTransport {
        DtlsTransport {
            pc: self.pc.clone(),
        }
    }

    /// `state`.
    pub fn state(&self) -> SctpTransportState {
        self.pc
            .core()
            .sctp_state()
            .unwrap_or(SctpTransportState::Closed)
    }

    /// `maxMessageSize`: the largest message a data channel's `send` takes
    /// (`usize::MAX` for the W3C's +Infinity, when the peer announced 0).
    pub fn max_message_size(&self) -> usize {
        self.pc.core().max_message_size()
    }

    /// `maxChannels`: `None` (null) until the association is connected.
    pub fn max_channels(&self) -> Option<u16> {
        self.pc.core().sctp_max_channels()
    }

    /// The transport's events from now on; the first call (on any handle)
    /// also gets every event since the connection was created.
    pub fn events(&self) -> TransportEventStream<SctpTransportEvent> {
        self.pc.sctp_listeners.subscribe()
    }

    /// `onstatechange`.
    pub fn on_state_change(&self, handler: impl Fn(SctpTransportEvent) + Send + Sync + 'static) {
        self.pc
            .sctp_listeners
            .set_handler(STATE_CHANGE, Arc::new(handler));
    }
}
