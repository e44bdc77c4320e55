//! `RTCDataChannel`: a cheap handle on one channel of a connection.
//!
//! Calls lock the connection's core briefly (see `peer.rs`); events reach
//! the application as a stream ([`DataChannel::events`]) and through
//! `on_<event>` handlers. Events are buffered from the channel's creation
//! until the first call to [`DataChannel::events`], so a message that
//! arrives right after the `datachannel` event is not lost.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rtcpeer_proto::dcep::{ChannelId, ReadyState};
use rtcpeer_proto::{Error, Result};
use tokio::sync::mpsc;

use crate::peer::Shared;

pub use rtcpeer_proto::dcep::DataChannelInit;

/// `RTCDataChannelState`.
#[doc(alias = "RTCDataChannelState")]
pub type DataChannelState = ReadyState;

/// A received message: `MessageEvent.data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A string message.
    Text(String),
    /// A binary message (`ArrayBuffer`).
    Binary(Vec<u8>),
}

/// The events of `RTCDataChannel`, named after the W3C events.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataChannelEvent {
    /// `open`.
    Open,
    /// `message`.
    Message(Message),
    /// `bufferedamountlow`.
    BufferedAmountLow,
    /// `error`: the error name or `RTCError` detail (`sctp-failure`).
    Error(&'static str),
    /// `closing`.
    Closing,
    /// `close`.
    Close,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open,
    Message,
    BufferedAmountLow,
    Error,
    Closing,
    Close,
}

impl Kind {
    fn of(e: &DataChannelEvent) -> Kind {
        match e {
            DataChannelEvent::Open => Kind::Open,
            DataChannelEvent::Message(_) => Kind::Message,
            DataChannelEvent::BufferedAmountLow => Kind::BufferedAmountLow,
            DataChannelEvent::Error(_) => Kind::Error,
            DataChannelEvent::Closing => Kind::Closing,
            DataChannelEvent::Close => Kind::Close,
        }
    }
}

type Handler = Arc<dyn Fn(DataChannelEvent) + Send + Sync>;

/// What every handle of one channel shares: its handlers and streams.
pub(crate) struct ChannelShared {
    handlers: Mutex<Vec<(Kind, Handler)>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<DataChannelEvent>>>,
    /// The stream that buffers events until the application asks for it.
    first: Mutex<Option<mpsc::UnboundedReceiver<DataChannelEvent>>>,
}

impl ChannelShared {
    pub(crate) fn new() -> Arc<ChannelShared> {
        let (tx, rx) = mpsc::unbounded_channel();
        Arc::new(ChannelShared {
            handlers: Mutex::new(Vec::new()),
            subscribers: Mutex::new(vec![tx]),
            first: Mutex::new(Some(rx)),
        })
    }

    pub(crate) fn dispatch(&self, e: DataChannelEvent) {
        let kind = Kind::of(&e);
        let hs: Vec<Handler> = self
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

/// `RTCDataChannel`. Cheap to clone; every clone is the same channel.
#[derive(Clone)]
#[doc(alias = "RTCDataChannel")]
pub struct DataChannel {
    pub(crate) pc: Arc<Shared>,
    pub(crate) id: ChannelId,
    pub(crate) chan: Arc<ChannelShared>,
}

impl std::fmt::Debug for DataChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataChannel")
            .field("label", &self.label())
            .field("id", &self.id())
            .field("ready_state", &self.ready_state())
            .finish()
    }
}

/// A stream of [`DataChannelEvent`]s (see [`DataChannel::events`]).
pub struct DataChannelEventStream {
    rx: mpsc::UnboundedReceiver<DataChannelEvent>,
}

impl DataChannelEventStream {
    /// The next event; `None` once the channel and connection are gone.
    pub async fn recv(&mut self) -> Option<DataChannelEvent> {
        self.rx.recv().await
    }

    /// The next event if one is queued now.
    pub fn try_recv(&mut self) -> Option<DataChannelEvent> {
        self.rx.try_recv().ok()
    }
}

impl futures_core::Stream for DataChannelEventStream {
    type Item = DataChannelEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

macro_rules! handler_setter {
    ($(#[$m:meta])* $name:ident, $kind:ident) => {
        $(#[$m])*
        pub fn $name(&self, handler: impl Fn(DataChannelEvent) + Send + Sync + 'static) {
            self.set_handler(Kind::$kind, Arc::new(handler));
        }
    };
}

impl DataChannel {
    fn info<T>(&self, f: impl FnOnce(&rtcpeer_proto::dcep::ChannelInfo) -> T) -> Option<T> {
        self.pc.core().data_channel(self.id).map(f)
    }

    /// `label`.
    pub fn label(&self) -> String {
        self.info(|c| c.label.clone()).unwrap_or_default()
    }

    /// `protocol`.
    pub fn protocol(&self) -> String {
        self.info(|c| c.protocol.clone()).unwrap_or_default()
    }

    /// `id`: the SCTP stream id, `None` until it is known.
    pub fn id(&self) -> Option<u16> {
        self.info(|c| c.stream_id).flatten()
    }

    /// `ordered`.
    pub fn ordered(&self) -> bool {
        self.info(|c| c.ordered()).unwrap_or(true)
    }

    /// `maxPacketLifeTime`.
    pub fn max_packet_life_time(&self) -> Option<u16> {
        self.info(|c| c.max_packet_life_time()).flatten()
    }

    /// `maxRetransmits`.
    pub fn max_retransmits(&self) -> Option<u16> {
        self.info(|c| c.max_retransmits()).flatten()
    }

    /// `negotiated`.
    pub fn negotiated(&self) -> bool {
        self.info(|c| c.negotiated).unwrap_or(false)
    }

    /// `priority` (`"very-low"`, `"low"`, `"medium"`, `"high"`).
    pub fn priority(&self) -> &'static str {
        self.info(|c| c.priority_name()).unwrap_or("low")
    }

    /// `readyState`.
    pub fn ready_state(&self) -> DataChannelState {
        if self.pc.core().is_closed() {
            return ReadyState::Closed;
        }
        self.info(|c| c.ready_state).unwrap_or(ReadyState::Closed)
    }

    /// `bufferedAmount`: bytes given to `send` and not yet on the wire.
    pub fn buffered_amount(&self) -> u64 {
        self.info(|c| c.buffered_amount).unwrap_or(0)
    }

    /// `bufferedAmountLowThreshold`.
    pub fn buffered_amount_low_threshold(&self) -> u64 {
        self.info(|c| c.buffered_amount_low_threshold).unwrap_or(0)
    }

    /// `bufferedAmountLowThreshold = bytes`.
    pub fn set_buffered_amount_low_threshold(&self, bytes: u64) {
        self.pc
            .core()
            .set_buffered_amount_low_threshold(self.id, bytes);
    }

    /// `send(string)`: `InvalidStateError` unless open, `TypeError` when
    /// larger than the peer's `maxMessageSize`.
    pub fn send_text(&self, text: &str) -> Result<()> {
        self.send_raw(text.as_bytes(), false)
    }

    /// `send(ArrayBuffer)`: a binary message.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.send_raw(data, true)
    }

    fn send_raw(&self, data: &[u8], binary: bool) -> Result<()> {
        self.pc.mutate(|c| {
            if c.is_closed() {
                return Err(Error::invalid_state("the RTCPeerConnection is closed"));
            }
            c.send_data(self.id, data, binary)
        })
    }

    /// `close()`: the channel goes `closing`, then `closed` once the peer
    /// has closed its side too.
    pub fn close(&self) {
        let _ = self.pc.mutate(|c| {
            c.close_data_channel(self.id);
            Ok(())
        });
    }

    /// The channel's events from now on; the first call also gets every
    /// event since the channel was created.
    pub fn events(&self) -> DataChannelEventStream {
        if let Some(rx) = self
            .chan
            .first
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return DataChannelEventStream { rx };
        }
        let (tx, rx) = mpsc::unbounded_channel();
        self.chan
            .subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        DataChannelEventStream { rx }
    }

    fn set_handler(&self, kind: Kind, h: Handler) {
        let mut hs = self.chan.handlers.lock().unwrap_or_else(|p| p.into_inner());
        hs.retain(|(k, _)| *k != kind);
        hs.push((kind, h));
    }

    handler_setter!(
        /// `onopen`.
        on_open, Open);
    handler_setter!(
        /// `onmessage`.
        on_message, Message);
    handler_setter!(
        /// `onbufferedamountlow`.
        on_buffered_amount_low, BufferedAmountLow);
    handler_setter!(
        /// `onerror`.
        on_error, Error);
    handler_setter!(
        /// `onclosing`.
        on_closing, Closing);
    handler_setter!(
        /// `onclose`.
        on_close, Close);
}
