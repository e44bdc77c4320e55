//! The sans-IO data channel registry: every channel's state, stream ids, and
//! the translation between application sends and SCTP messages.
//!
//! The caller (the PeerConnection core) drives it:
//! - [`DataChannelRegistry::create_channel`] for `createDataChannel()`;
//! - [`DataChannelRegistry::set_dtls_role`] once the DTLS role is known, which
//!   picks stream ids (client even, server odd: RFC 8832 §6);
//! - [`DataChannelRegistry::handle_sctp_connected`] once SCTP is up, which
//!   sends the `DATA_CHANNEL_OPEN`s;
//! - [`DataChannelRegistry::handle_message`] for each SCTP message received;
//! - [`DataChannelRegistry::handle_stream_reset`] /
//!   [`DataChannelRegistry::handle_outgoing_reset_done`] for stream resets,
//!   which is how channels close (RFC 8831 §6.7);
//!
//! and after each call drains [`DataChannelRegistry::poll_transmit`] (messages
//! to hand to SCTP, and streams to reset) and
//! [`DataChannelRegistry::poll_event`] (what to tell the application).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};

use super::{priority, ChannelType, DataChannelOpen, DcepMessage, Ppid, Reliability};

/// A data channel's local handle. Stable for the channel's life, and assigned
/// before its SCTP stream id is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub u32);

/// Our DTLS role, which decides the parity of the stream ids we pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// DTLS client (`a=setup:active`): even stream ids.
    Client,
    /// DTLS server (`a=setup:passive`): odd stream ids.
    Server,
}

/// A channel's `readyState` (W3C `RTCDataChannelState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// Created; waiting for SCTP (or a stream id).
    Connecting,
    /// Messages can be sent.
    Open,
    /// Closing: our outgoing stream reset was asked for, or the peer's arrived.
    Closing,
    /// Closed; the stream id is free again.
    Closed,
}

impl ReadyState {
    /// The W3C string: `"connecting"`, `"open"`, `"closing"`, `"closed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadyState::Connecting => "connecting",
            ReadyState::Open => "open",
            ReadyState::Closing => "closing",
            ReadyState::Closed => "closed",
        }
    }
}

/// The options of `createDataChannel` (W3C `RTCDataChannelInit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelInit {
    /// Deliver in order (default `true`).
    pub ordered: bool,
    /// Give up retransmitting after this many milliseconds.
    pub max_packet_life_time: Option<u16>,
    /// Give up after this many retransmissions.
    pub max_retransmits: Option<u16>,
    /// Sub-protocol name.
    pub protocol: String,
    /// Both sides create the channel themselves with the same `id`: no DCEP.
    pub negotiated: bool,
    /// The stream id; required (and only used) when `negotiated`.
    pub id: Option<u16>,
    /// DCEP priority (see [`priority`]); `"low"` by default.
    pub priority: u16,
}

impl Default for DataChannelInit {
    fn default() -> Self {
        DataChannelInit {
            ordered: true,
            max_packet_life_time: None,
            max_retransmits: None,
            protocol: String::new(),
            negotiated: false,
            id: None,
            priority: priority::LOW,
        }
    }
}

/// Registry-wide settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Largest message we accept when reassembling legacy partial messages
    /// (PPID 52/54); larger ones are dropped and counted.
    pub max_receive_message_size: usize,
    /// Most channels the peer may have open at once through
    /// `DATA_CHANNEL_OPEN` ([`MAX_REMOTE_CHANNELS`]). A further OPEN is
    /// refused: counted in [`RegistryStats::rejected_opens`], and its stream
    /// is reset so the peer's channel closes.
    pub max_remote_channels: usize,
    /// Most bytes of label and protocol the peer's open channels may hold
    /// together ([`MAX_REMOTE_LABEL_BYTES`]); an OPEN beyond is refused the
    /// same way.
    pub max_remote_label_bytes: usize,
    /// Closed channels whose records (attributes, stats) are kept until
    /// [`DataChannelRegistry::forget`]; beyond this many, the oldest closed
    /// records are dropped ([`MAX_CLOSED_CHANNELS`]).
    pub max_closed_channels: usize,
}

/// Default of [`RegistryConfig::max_remote_channels`]: 1,024, the stream
/// count Chromium negotiates.
pub const MAX_REMOTE_CHANNELS: usize = 1_024;

/// Default of [`RegistryConfig::max_remote_label_bytes`]: 1 MiB.
pub const MAX_REMOTE_LABEL_BYTES: usize = 1 << 20;

/// Default of [`RegistryConfig::max_closed_channels`].
pub const MAX_CLOSED_CHANNELS: usize = 1_024;

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            max_receive_message_size: 256 * 1024,
            max_remote_channels: MAX_REMOTE_CHANNELS,
            max_remote_label_bytes: MAX_REMOTE_LABEL_BYTES,
            max_closed_channels: MAX_CLOSED_CHANNELS,
        }
    }
}

/// Why a data channel call failed; [`DcepError::w3c_name`] is the exception to raise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DcepError {
    /// The label is longer than 65,535 bytes.
    #[error("label longer than 65535 bytes")]
    LabelTooLong,
    /// The protocol is longer than 65,535 bytes.
    #[error("protocol longer than 65535 bytes")]
    ProtocolTooLong,
    /// Both `maxPacketLifeTime` and `maxRetransmits` were given.
    #[error("maxPacketLifeTime and maxRetransmits are mutually exclusive")]
    ConflictingReliability,
    /// `negotiated` without an `id`.
    #[error("a negotiated channel needs an id")]
    NegotiatedWithoutId,
    /// The id is 65535 or beyond the number of SCTP streams.
    #[error("stream id {0} is out of range")]
    IdOutOfRange(u16),
    /// The id is used by another channel.
    #[error("stream id {0} is already in use")]
    IdInUse(u16),
    /// Every stream id of our parity is taken.
    #[error("no free stream id")]
    NoFreeId,
    /// No such channel.
    #[error("unknown data channel")]
    UnknownChannel,
    /// The channel is not open.
    #[error("data channel is {0}, not open")]
    NotOpen(&'static str),
    /// The message is larger than the peer accepts (`maxMessageSize`).
    #[error("message of {size} bytes exceeds maxMessageSize {max}")]
    MessageTooLarge {
        /// The message size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The registry was shut down (SCTP closed).
    #[error("the SCTP transport is closed")]
    TransportClosed,
}

impl DcepError {
    /// The W3C exception name for this error.
    pub fn w3c_name(&self) -> &'static str {
        match self {
            DcepError::LabelTooLong
            | DcepError::ProtocolTooLong
            | DcepError::ConflictingReliability
            | DcepError::NegotiatedWithoutId
            | DcepError::IdOutOfRange(_)
            | DcepError::MessageTooLarge { .. } => "TypeError",
            DcepError::IdInUse(_) | DcepError::NoFreeId => "OperationError",
            DcepError::UnknownChannel | DcepError::NotOpen(_) | DcepError::TransportClosed => {
                "InvalidStateError"
            }
        }
    }
}

/// How SCTP should send one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendOptions {
    /// In-order delivery (`false`: the U bit / unordered).
    pub ordered: bool,
    /// Partial reliability (RFC 3758 PR-SCTP: `Rtx` or `Timed` policy).
    pub reliability: Reliability,
    /// The channel's DCEP priority, a scheduler weight (see [`priority`]).
    pub priority: u16,
}

impl SendOptions {
    /// The retransmission limit, if any, clamped to `u16`.
    pub fn max_retransmits(&self) -> Option<u16> {
        match self.reliability {
            Reliability::MaxRetransmits(n) => Some(n.min(u32::from(u16::MAX)) as u16),
            _ => None,
        }
    }

    /// The lifetime limit, if any.
    pub fn lifetime(&self) -> Option<std::time::Duration> {
        match self.reliability {
            Reliability::MaxPacketLifeTime(ms) => {
                Some(std::time::Duration::from_millis(u64::from(ms)))
            }
            _ => None,
        }
    }
}

/// The SCTP framing of one outgoing message: stream, PPID and send options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutgoingHeader {
    /// The SCTP stream id.
    pub stream_id: u16,
    /// The payload protocol identifier.
    pub ppid: Ppid,
    /// Ordering and reliability.
    pub options: SendOptions,
}

impl OutgoingHeader {
    /// The SCTP payload for user `data`: the data itself, or one zero byte for
    /// an empty message (SCTP cannot carry an empty message; PPID 56/57 say to ignore it).
    pub fn payload<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        if data.is_empty() {
            &[0]
        } else {
            data
        }
    }
}

/// One message for SCTP to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Stream, PPID, options.
    pub header: OutgoingHeader,
    /// The SCTP payload (never empty).
    pub payload: Vec<u8>,
}

/// What the registry asks of SCTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctpAction {
    /// Send a message.
    Send(OutgoingMessage),
    /// Reset our outgoing stream (RFC 6525) to close the channel on it; call
    /// [`DataChannelRegistry::handle_outgoing_reset_done`] when SCTP has done so.
    ResetStream(u16),
}

/// What the application should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataChannelEvent {
    /// The peer opened a channel (W3C `datachannel` event). It is already open.
    ChannelOpened(ChannelId),
    /// One of our channels became open (W3C `open` event).
    Open(ChannelId),
    /// A message arrived (W3C `message` event).
    Message {
        /// The channel.
        channel: ChannelId,
        /// Binary (`ArrayBuffer`) or string.
        binary: bool,
        /// The message; for strings, UTF-8 as sent (not validated here).
        data: Vec<u8>,
    },
    /// The peer started closing the channel (W3C `closing` event).
    Closing(ChannelId),
    /// The channel closed (W3C `close` event).
    Closed(ChannelId),
    /// `bufferedAmount` fell to or below `bufferedAmountLowThreshold`
    /// (W3C `bufferedamountlow` event).
    BufferedAmountLow(ChannelId),
    /// The channel failed (W3C `error` event) before closing; `w3c_name` is the
    /// error name (`OperationError` when no stream id was free, or the
    /// `RTCError` detail `sctp-failure`).
    Error {
        /// The channel.
        channel: ChannelId,
        /// Error name or detail.
        error: &'static str,
    },
}

/// A read-only view of one channel (the attributes of W3C `RTCDataChannel`
/// and the counters of `RTCDataChannelStats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Its label.
    pub label: String,
    /// Its sub-protocol.
    pub protocol: String,
    /// Its ordering and reliability.
    pub channel_type: ChannelType,
    /// DCEP priority.
    pub priority: u16,
    /// Created with `negotiated: true`.
    pub negotiated: bool,
    /// The SCTP stream id, once known (W3C `id`).
    pub stream_id: Option<u16>,
    /// `readyState`.
    pub ready_state: ReadyState,
    /// Messages sent.
    pub messages_sent: u64,
    /// User bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// User bytes received.
    pub bytes_received: u64,
    /// User bytes given to `send` and not yet transmitted (W3C `bufferedAmount`).
    pub buffered_amount: u64,
    /// When `buffered_amount` falls to or below this, a `BufferedAmountLow`
    /// event fires (W3C `bufferedAmountLowThreshold`, default 0).
    pub buffered_amount_low_threshold: u64,
}

impl ChannelInfo {
    /// W3C `ordered`.
    pub fn ordered(&self) -> bool {
        self.channel_type.ordered
    }

    /// W3C `maxRetransmits` (a peer's larger value is clamped to 65,535).
    pub fn max_retransmits(&self) -> Option<u16> {
        match self.channel_type.reliability {
            Reliability::MaxRetransmits(n) => Some(n.min(u32::from(u16::MAX)) as u16),
            _ => None,
        }
    }

    /// W3C `maxPacketLifeTime` in milliseconds (clamped to 65,535).
    pub fn max_packet_life_time(&self) -> Option<u16> {
        match self.channel_type.reliability {
            Reliability::MaxPacketLifeTime(ms) => Some(ms.min(u32::from(u16::MAX)) as u16),
            _ => None,
        }
    }

    /// W3C `priority` name (`"very-low"`, `"low"`, `"medium"`, `"high"`).
    pub fn priority_name(&self) -> &'static str {
        priority::name(self.priority)
    }
}

/// Counters of input the registry dropped (untrusted input never panics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryStats {
    /// DCEP messages that failed to decode.
    pub malformed_dcep: u64,
    /// `DATA_CHANNEL_OPEN` on a stream already in use or out of range, or
    /// beyond [`RegistryConfig::max_remote_channels`] or
    /// [`RegistryConfig::max_remote_label_bytes`].
    pub rejected_opens: u64,
    /// Messages on a stream without an open channel, or with an unknown PPID.
    pub dropped_messages: u64,
    /// Partial messages dropped for exceeding the reassembly limit.
    pub oversized_messages: u64,
    /// Total channels opened (W3C `dataChannelsOpened`).
    pub channels_opened: u64,
    /// Total channels closed (W3C `dataChannelsClosed`).
    pub channels_closed: u64,
}

#[derive(Debug)]
struct Channel {
    info: ChannelInfo,
    /// Opened in-band by us and the peer has not spoken on the stream yet:
    /// send ordered so user data cannot overtake the OPEN (RFC 8832 §6).
    awaiting_ack: bool,
    /// We asked SCTP to reset our outgoing stream.
    reset_requested: bool,
    /// SCTP reset our outgoing stream.
    outgoing_reset: bool,
    /// The peer reset its outgoing stream (our incoming).
    incoming_reset: bool,
    /// A legacy partial message being reassembled: (binary, bytes so far).
    partial: Option<(bool, Vec<u8>)>,
    /// Dropping the pieces of an oversized partial message until its last piece.
    discarding: bool,
    /// Opened by the peer's `DATA_CHANNEL_OPEN` (counts against
    /// [`RegistryConfig::max_remote_channels`] while not closed).
    remote: bool,
}

/// The data channels of one SCTP association. See the [module docs](self).
#[derive(Debug)]
pub struct DataChannelRegistry {
    config: RegistryConfig,
    role: Option<DtlsRole>,
    sctp_connected: bool,
    sctp_closed: bool,
    /// Stream ids must be below this (the negotiated stream count).
    max_streams: u32,
    /// Largest message the peer accepts (`maxMessageSize`).
    max_send_size: usize,
    next_id: u32,
    channels: BTreeMap<ChannelId, Channel>,
    by_stream: HashMap<u16, ChannelId>,
    transmits: VecDeque<SctpAction>,
    events: VecDeque<DataChannelEvent>,
    stats: RegistryStats,
    /// Peer-opened channels not closed yet, and their label + protocol bytes.
    remote_open: usize,
    remote_label_bytes: usize,
    /// Closed channels, oldest first (records dropped beyond the limit).
    closed_order: VecDeque<ChannelId>,
}

impl Default for DataChannelRegistry {
    fn default() -> Self {
        DataChannelRegistry::new(RegistryConfig::default())
    }
}

impl DataChannelRegistry {
    /// An empty registry: no role, SCTP not yet connected.
    pub fn new(config: RegistryConfig) -> Self {
        DataChannelRegistry {
            config,
            role: None,
            sctp_connected: false,
            sctp_closed: false,
            max_streams: 65_535,
            max_send_size: 65_536,
            next_id: 0,
            channels: BTreeMap::new(),
            by_stream: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: RegistryStats::default(),
            remote_open: 0,
            remote_label_bytes: 0,
            closed_order: VecDeque::new(),
        }
    }

    /// Sets the number of SCTP streams negotiated: ids must be below it.
    pub fn set_max_streams(&mut self, streams: u16) {
        self.max_streams = u32::from(streams).min(65_535);
    }

    /// Sets the largest message the peer accepts (from its `a=max-message-size`;
    /// pass `usize::MAX` for its `0`, "no limit").
    pub fn set_max_message_size(&mut self, bytes: usize) {
        self.max_send_size = bytes;
    }

    /// The largest message [`DataChannelRegistry::send`] accepts (W3C `maxMessageSize`).
    pub fn max_message_size(&self) -> usize {
        self.max_send_size
    }

    /// Counters of dropped input and opened/closed channels.
    pub fn stats(&self) -> RegistryStats {
        self.stats
    }

    /// The DTLS role, once set.
    pub fn dtls_role(&self) -> Option<DtlsRole> {
        self.role
    }

    /// `createDataChannel(label, init)`.
    ///
    /// The channel starts `connecting`. It opens once SCTP is connected (and,
    /// for in-band channels, a stream id could be picked).
    pub fn create_channel(
        &mut self,
        label: &str,
        init: DataChannelInit,
    ) -> Result<ChannelId, DcepError> {
        if self.sctp_closed {
            return Err(DcepError::TransportClosed);
        }
        if label.len() > 65_535 {
            return Err(DcepError::LabelTooLong);
        }
        if init.protocol.len() > 65_535 {
            return Err(DcepError::ProtocolTooLong);
        }
        let reliability = match (init.max_packet_life_time, init.max_retransmits) {
            (Some(_), Some(_)) => return Err(DcepError::ConflictingReliability),
            (Some(ms), None) => Reliability::MaxPacketLifeTime(u32::from(ms)),
            (None, Some(n)) => Reliability::MaxRetransmits(u32::from(n)),
            (None, None) => Reliability::Reliable,
        };
        let stream_id = if init.negotiated {
            let id = init.id.ok_or(DcepError::NegotiatedWithoutId)?;
            if u32::from(id) >= self.max_streams {
                return Err(DcepError::IdOutOfRange(id));
            }
            if self.by_stream.contains_key(&id) {
                return Err(DcepError::IdInUse(id));
            }
            Some(id)
        } else if let Some(role) = self.role {
            Some(self.free_stream_id(role).ok_or(DcepError::NoFreeId)?)
        } else {
            None
        };

        let id = ChannelId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let channel = Channel {
            info: ChannelInfo {
                label: label.to_string(),
                protocol: init.protocol,
                channel_type: ChannelType {
                    ordered: init.ordered,
                    reliability,
                },
                priority: init.priority,
                negotiated: init.negotiated,
                stream_id,
                ready_state: ReadyState::Connecting,
                messages_sent: 0,
                bytes_sent: 0,
                messages_received: 0,
                bytes_received: 0,
                buffered_amount: 0,
                buffered_amount_low_threshold: 0,
            },
            awaiting_ack: false,
            reset_requested: false,
            outgoing_reset: false,
            incoming_reset: false,
            partial: None,
            discarding: false,
            remote: false,
        };
        if let Some(stream) = stream_id {
            self.by_stream.insert(stream, id);
        }
        self.channels.insert(id, channel);
        if self.sctp_connected {
            self.start(id);
        }
        Ok(id)
    }

    /// Sets our DTLS role and gives stream ids to the channels waiting for one.
    ///
    /// A channel for which no id is free fails: an `Error` (`OperationError`)
    /// then a `Closed` event, as W3C specifies. Setting the role again does nothing.
    pub fn set_dtls_role(&mut self, role: DtlsRole) {
        if self.role.is_some() {
            return;
        }
        self.role = Some(role);
        let waiting: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(_, c)| {
                c.info.stream_id.is_none() && c.info.ready_state == ReadyState::Connecting
            })
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            match self.free_stream_id(role) {
                Some(stream) => {
                    self.by_stream.insert(stream, id);
                    if let Some(c) = self.channels.get_mut(&id) {
                        c.info.stream_id = Some(stream);
                    }
                }
                None => {
                    self.events.push_back(DataChannelEvent::Error {
                        channel: id,
                        error: "OperationError",
                    });
                    self.finish_close(id);
                }
            }
        }
        if self.sctp_connected {
            self.start_all();
        }
    }

    /// SCTP is established: open every channel that can be.
    pub fn handle_sctp_connected(&mut self) {
        if self.sctp_connected || self.sctp_closed {
            return;
        }
        self.sctp_connected = true;
        self.start_all();
    }

    /// SCTP closed or failed: every channel closes. With `failed`, open
    /// channels first get an `Error` event with `"sctp-failure"`.
    pub fn handle_sctp_closed(&mut self, failed: bool) {
        self.sctp_closed = true;
        self.sctp_connected = false;
        let ids: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(_, c)| c.info.ready_state != ReadyState::Closed)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if failed {
                self.events.push_back(DataChannelEvent::Error {
                    channel: id,
                    error: "sctp-failure",
                });
            }
            self.finish_close(id);
        }
        self.transmits.clear();
    }

    /// `channel.send(data)`: queues the message for SCTP as an [`SctpAction::Send`].
    pub fn send(&mut self, channel: ChannelId, data: &[u8], binary: bool) -> Result<(), DcepError> {
        let header = self.prepare_send(channel, data.len(), binary)?;
        let payload = header.payload(data).to_vec();
        self.transmits
            .push_back(SctpAction::Send(OutgoingMessage { header, payload }));
        Ok(())
    }

    /// Like [`DataChannelRegistry::send`] but without copying: checks the send
    /// is allowed, counts it, and returns the SCTP framing. The caller hands
    /// `header.payload(data)` to SCTP itself.
    pub fn prepare_send(
        &mut self,
        channel: ChannelId,
        len: usize,
        binary: bool,
    ) -> Result<OutgoingHeader, DcepError> {
        let max = self.max_send_size;
        let c = self
            .channels
            .get_mut(&channel)
            .ok_or(DcepError::UnknownChannel)?;
        if c.info.ready_state != ReadyState::Open {
            return Err(DcepError::NotOpen(c.info.ready_state.as_str()));
        }
        if len > max {
            return Err(DcepError::MessageTooLarge { size: len, max });
        }
        let stream_id = c
            .info
            .stream_id
            .ok_or(DcepError::NotOpen(ReadyState::Connecting.as_str()))?;
        c.info.messages_sent += 1;
        c.info.bytes_sent += len as u64;
        c.info.buffered_amount += len as u64;
        Ok(OutgoingHeader {
            stream_id,
            ppid: Ppid::for_message(binary, len == 0),
            options: SendOptions {
                ordered: c.info.channel_type.ordered || c.awaiting_ack,
                reliability: c.info.channel_type.reliability,
                priority: c.info.priority,
            },
        })
    }

    /// `channel.close()`: asks SCTP to reset our outgoing stream; the channel is
    /// `closing` until the peer resets its own. A channel that never had a
    /// transport closes at once. Closing a closing or closed channel does nothing.
    pub fn close(&mut self, channel: ChannelId) {
        let connected = self.sctp_connected;
        let Some(c) = self.channels.get_mut(&channel) else {
            return;
        };
        match c.info.ready_state {
            ReadyState::Closing | ReadyState::Closed => {}
            ReadyState::Connecting | ReadyState::Open => match c.info.stream_id {
                Some(stream) if connected => {
                    c.info.ready_state = ReadyState::Closing;
                    c.partial = None;
                    if !c.reset_requested {
                        c.reset_requested = true;
                        self.transmits.push_back(SctpAction::ResetStream(stream));
                    }
                    self.maybe_closed(channel);
                }
                _ => self.finish_close(channel),
            },
        }
    }

    /// The peer reset its outgoing stream `stream_id` (our incoming stream):
    /// it is closing the channel. We reset ours in turn (RFC 8831 §6.7).
    pub fn handle_stream_reset(&mut self, stream_id: u16) {
        let Some(&id) = self.by_stream.get(&stream_id) else {
            self.stats.dropped_messages += 1;
            return;
        };
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        c.incoming_reset = true;
        c.partial = None;
        if matches!(
            c.info.ready_state,
            ReadyState::Open | ReadyState::Connecting
        ) {
            c.info.ready_state = ReadyState::Closing;
            self.events.push_back(DataChannelEvent::Closing(id));
        }
        if !c.reset_requested {
            c.reset_requested = true;
            self.transmits.push_back(SctpAction::ResetStream(stream_id));
        }
        self.maybe_closed(id);
    }

    /// SCTP finished resetting our outgoing stream `stream_id`.
    pub fn handle_outgoing_reset_done(&mut self, stream_id: u16) {
        let Some(&id) = self.by_stream.get(&stream_id) else {
            return;
        };
        if let Some(c) = self.channels.get_mut(&id) {
            if c.reset_requested {
                c.outgoing_reset = true;
            }
        }
        self.maybe_closed(id);
    }

    /// An SCTP message arrived on `stream_id` with payload protocol `ppid`.
    ///
    /// Malformed or unexpected messages are dropped and counted in [`RegistryStats`].
    pub fn handle_message(&mut self, stream_id: u16, ppid: u32, data: &[u8]) {
        self.receive_message(stream_id, ppid, Cow::Borrowed(data));
    }

    /// Like [`DataChannelRegistry::handle_message`], taking the message by
    /// value: a whole message (the usual case) becomes the
    /// [`DataChannelEvent::Message`] without being copied.
    pub fn handle_message_owned(&mut self, stream_id: u16, ppid: u32, data: Vec<u8>) {
        self.receive_message(stream_id, ppid, Cow::Owned(data));
    }

    fn receive_message(&mut self, stream_id: u16, ppid: u32, data: Cow<'_, [u8]>) {
        let Some(ppid) = Ppid::from_value(ppid) else {
            self.stats.dropped_messages += 1;
            return;
        };
        if ppid == Ppid::Dcep {
            self.handle_dcep(stream_id, &data);
            return;
        }
        let Some(&id) = self.by_stream.get(&stream_id) else {
            self.stats.dropped_messages += 1;
            return;
        };
        let max_partial = self.config.max_receive_message_size;
        let Some(c) = self.channels.get_mut(&id) else {
            self.stats.dropped_messages += 1;
            return;
        };
        // W3C "receiving messages": a channel that is not open discards them.
        if c.info.ready_state != ReadyState::Open {
            self.stats.dropped_messages += 1;
            return;
        }
        // Any message from the peer proves it has seen our OPEN.
        c.awaiting_ack = false;
        let complete = match ppid {
            Ppid::StringEmpty => Some((false, Vec::new())),
            Ppid::BinaryEmpty => Some((true, Vec::new())),
            Ppid::String | Ppid::Binary => {
                let binary = ppid == Ppid::Binary;
                if std::mem::take(&mut c.discarding) {
                    // The last piece of a message already dropped as oversized.
                    c.partial = None;
                    None
                } else {
                    match c.partial.take() {
                        Some((was_binary, mut buf)) if was_binary == binary => {
                            if buf.len() + data.len() > max_partial {
                                self.stats.oversized_messages += 1;
                                None
                            } else {
                                buf.extend_from_slice(&data);
                                Some((binary, buf))
                            }
                        }
                        Some(_) => {
                            // A piece of another kind was pending: it can never complete.
                            self.stats.dropped_messages += 1;
                            Some((binary, data.into_owned()))
                        }
                        None => Some((binary, data.into_owned())),
                    }
                }
            }
            Ppid::StringPartial | Ppid::BinaryPartial => {
                let binary = ppid == Ppid::BinaryPartial;
                if !c.discarding {
                    let mut buf = match c.partial.take() {
                        Some((was_binary, buf)) if was_binary == binary => buf,
                        Some(_) => {
                            self.stats.dropped_messages += 1;
                            Vec::new()
                        }
                        None => Vec::new(),
                    };
                    if buf.len() + data.len() > max_partial {
                        // Drop what we have and the rest of this message.
                        self.stats.oversized_messages += 1;
                        c.discarding = true;
                    } else {
                        buf.extend_from_slice(&data);
                        c.partial = Some((binary, buf));
                    }
                }
                None
            }
            Ppid::Dcep => None, // handled above
        };
        if let Some((binary, data)) = complete {
            c.info.messages_received += 1;
            c.info.bytes_received += data.len() as u64;
            self.events.push_back(DataChannelEvent::Message {
                channel: id,
                binary,
                data,
            });
        }
    }

    /// SCTP transmitted `bytes` of user data sent on `stream_id` (call it with
    /// the message length once a message has gone to the network, or was
    /// abandoned). Lowers `bufferedAmount`; crossing the low threshold fires
    /// [`DataChannelEvent::BufferedAmountLow`].
    pub fn handle_bytes_transmitted(&mut self, stream_id: u16, bytes: usize) {
        let Some(&id) = self.by_stream.get(&stream_id) else {
            return;
        };
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        let before = c.info.buffered_amount;
        let after = before.saturating_sub(bytes as u64);
        c.info.buffered_amount = after;
        let threshold = c.info.buffered_amount_low_threshold;
        if before > threshold && after <= threshold {
            self.events
                .push_back(DataChannelEvent::BufferedAmountLow(id));
        }
    }

    /// Sets `bufferedAmountLowThreshold`.
    pub fn set_buffered_amount_low_threshold(&mut self, channel: ChannelId, bytes: u64) {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.info.buffered_amount_low_threshold = bytes;
        }
    }

    /// The next thing to ask of SCTP.
    pub fn poll_transmit(&mut self) -> Option<SctpAction> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<DataChannelEvent> {
        self.events.pop_front()
    }

    /// A channel's attributes and counters.
    pub fn channel(&self, id: ChannelId) -> Option<&ChannelInfo> {
        self.channels.get(&id).map(|c| &c.info)
    }

    /// The channel on a stream, if any.
    pub fn channel_by_stream(&self, stream_id: u16) -> Option<ChannelId> {
        self.by_stream.get(&stream_id).copied()
    }

    /// All channels, closed ones included until forgotten.
    pub fn channels(&self) -> impl Iterator<Item = (ChannelId, &ChannelInfo)> {
        self.channels.iter().map(|(id, c)| (*id, &c.info))
    }

    /// Drops a closed channel's record. Closed channels are kept (for their
    /// attributes and stats) until forgotten; open ones cannot be forgotten.
    pub fn forget(&mut self, id: ChannelId) -> bool {
        match self.channels.get(&id) {
            Some(c) if c.info.ready_state == ReadyState::Closed => {
                self.channels.remove(&id);
                true
            }
            _ => false,
        }
    }

    fn handle_dcep(&mut self, stream_id: u16, data: &[u8]) {
        let message = match DcepMessage::decode(data) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(stream_id, error = %e, "dropping malformed DCEP message");
                self.stats.malformed_dcep += 1;
                return;
            }
        };
        match message {
            DcepMessage::Ack => match self.by_stream.get(&stream_id) {
                Some(id) => {
                    if let Some(c) = self.channels.get_mut(id) {
                        c.awaiting_ack = false;
                    }
                }
                None => self.stats.dropped_messages += 1,
            },
            DcepMessage::Open(open) => self.handle_open(stream_id, open),
        }
    }

    fn handle_open(&mut self, stream_id: u16, open: DataChannelOpen) {
        if self.sctp_closed
            || u32::from(stream_id) >= self.max_streams
            || self.by_stream.contains_key(&stream_id)
        {
            tracing::debug!(stream_id, "rejecting DATA_CHANNEL_OPEN on a stream in use");
            self.stats.rejected_opens += 1;
            return;
        }
        let names = open.label.len() + open.protocol.len();
        if self.remote_open >= self.config.max_remote_channels
            || self.remote_label_bytes + names > self.config.max_remote_label_bytes
        {
            // Refused: the peer's channel closes (its stream is reset; our
            // side of it was never used).
            tracing::debug!(
                stream_id,
                open = self.remote_open,
                "rejecting DATA_CHANNEL_OPEN beyond the limit of peer channels"
            );
            self.stats.rejected_opens += 1;
            self.transmits.push_back(SctpAction::ResetStream(stream_id));
            return;
        }
        self.remote_open += 1;
        self.remote_label_bytes += names;
        let id = ChannelId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.channels.insert(
            id,
            Channel {
                info: ChannelInfo {
                    label: open.label,
                    protocol: open.protocol,
                    channel_type: open.channel_type,
                    priority: open.priority,
                    negotiated: false,
                    stream_id: Some(stream_id),
                    ready_state: ReadyState::Open,
                    messages_sent: 0,
                    bytes_sent: 0,
                    messages_received: 0,
                    bytes_received: 0,
                    buffered_amount: 0,
                    buffered_amount_low_threshold: 0,
                },
                awaiting_ack: false,
                reset_requested: false,
                outgoing_reset: false,
                incoming_reset: false,
                partial: None,
                discarding: false,
                remote: true,
            },
        );
        self.by_stream.insert(stream_id, id);
        self.stats.channels_opened += 1;
        let priority = self
            .channels
            .get(&id)
            .map_or(priority::LOW, |c| c.info.priority);
        self.transmits
            .push_back(dcep_send(stream_id, priority, &DcepMessage::Ack));
        self.events.push_back(DataChannelEvent::ChannelOpened(id));
        // W3C "announce the data channel as open": the datachannel event,
        // then open on the (already open) channel.
        self.events.push_back(DataChannelEvent::Open(id));
    }

    /// Opens every connecting channel that has a stream id.
    fn start_all(&mut self) {
        let ready: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(_, c)| {
                c.info.ready_state == ReadyState::Connecting && c.info.stream_id.is_some()
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            self.start(id);
        }
    }

    /// Opens one channel: sends its OPEN unless negotiated. SCTP must be up.
    fn start(&mut self, id: ChannelId) {
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        let Some(stream_id) = c.info.stream_id else {
            return;
        };
        if c.info.ready_state != ReadyState::Connecting {
            return;
        }
        if !c.info.negotiated {
            let open = DcepMessage::Open(DataChannelOpen {
                channel_type: c.info.channel_type,
                priority: c.info.priority,
                label: c.info.label.clone(),
                protocol: c.info.protocol.clone(),
            });
            c.awaiting_ack = true;
            self.transmits
                .push_back(dcep_send(stream_id, c.info.priority, &open));
        }
        // Like browsers, an in-band channel is open as soon as its OPEN is
        // sent: user messages may follow at once (ordered until the ACK).
        c.info.ready_state = ReadyState::Open;
        self.stats.channels_opened += 1;
        self.events.push_back(DataChannelEvent::Open(id));
    }

    fn maybe_closed(&mut self, id: ChannelId) {
        let done = self
            .channels
            .get(&id)
            .is_some_and(|c| c.outgoing_reset && c.incoming_reset);
        if done {
            self.finish_close(id);
        }
    }

    /// Marks a channel closed, frees its stream id, and tells the application.
    fn finish_close(&mut self, id: ChannelId) {
        let Some(c) = self.channels.get_mut(&id) else {
            return;
        };
        if c.info.ready_state == ReadyState::Closed {
            return;
        }
        let was_open = c.info.ready_state != ReadyState::Connecting;
        c.info.ready_state = ReadyState::Closed;
        c.partial = None;
        if c.remote {
            self.remote_open -= 1;
            self.remote_label_bytes -= c.info.label.len() + c.info.protocol.len();
        }
        if let Some(stream) = c.info.stream_id {
            if self.by_stream.get(&stream) == Some(&id) {
                self.by_stream.remove(&stream);
            }
        }
        if was_open {
            self.stats.channels_closed += 1;
        }
        self.events.push_back(DataChannelEvent::Closed(id));
        self.closed_order.push_back(id);
        while self.closed_order.len() > self.config.max_closed_channels {
            if let Some(old) = self.closed_order.pop_front() {
                self.forget(old);
            }
        }
    }

    /// The lowest unused stream id of our parity.
    fn free_stream_id(&self, role: DtlsRole) -> Option<u16> {
        let start = match role {
            DtlsRole::Client => 0u32,
            DtlsRole::Server => 1u32,
        };
        (start..self.max_streams.min(65_535))
            .step_by(2)
            .map(|s| s as u16) // < 65,535, so it fits
            .find(|s| !self.by_stream.contains_key(s))
    }
}

fn dcep_send(stream_id: u16, priority: u16, message: &DcepMessage) -> SctpAction {
    SctpAction::Send(OutgoingMessage {
        header: OutgoingHeader {
            stream_id,
            ppid: Ppid::Dcep,
            options: SendOptions {
                ordered: true,
                reliability: Reliability::Reliable,
                priority,
            },
        },
        payload: message.encode(),
    })
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
