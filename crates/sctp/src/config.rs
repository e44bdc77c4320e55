//! The public vocabulary of an association: configuration, send options,
//! events, errors, state and statistics.

use bytes::Bytes;
use std::time::Duration;

/// Configuration of an [`Association`](crate::Association).
#[derive(Debug, Clone)]
pub struct SctpConfig {
    /// Our SCTP port (WebRTC: 5000 unless `a=sctp-port` says otherwise).
    pub local_port: u16,
    /// The peer's SCTP port.
    pub remote_port: u16,
    /// Largest message `send` accepts, and the peer may send us unless
    /// `max_inbound_message_size` says otherwise (bytes).
    pub max_message_size: usize,
    /// Largest message the peer may send us, when it differs from
    /// `max_message_size` (WebRTC: the `a=max-message-size` we announce,
    /// while sends follow the peer's). A larger message is dropped and
    /// counted ([`AssociationStats::messages_too_large`]); only its span's
    /// bounds are kept while its fragments keep arriving. `None`:
    /// `max_message_size`.
    pub max_inbound_message_size: Option<usize>,
    /// Largest SCTP packet we write (bytes, common header included). 1,128
    /// fits a 1,200-byte DTLS 1.3 datagram; see DESIGN.md.
    pub max_packet_size: usize,
    /// Receive buffer: the window we advertise and the most bytes of
    /// not-yet-deliverable data a peer can make us hold.
    pub max_receive_buffer: usize,
    /// Streams we offer in each direction (INIT OS and MIS).
    pub max_streams: u16,
    /// Most messages the send queue holds before `send` fails with
    /// [`SendError::QueueFull`].
    pub max_queued_messages: usize,
    /// Most bytes the send queue holds before `send` fails.
    pub max_queued_bytes: usize,
    /// Initial retransmission timeout.
    pub rto_initial: Duration,
    /// Lower bound of the retransmission timeout.
    pub rto_min: Duration,
    /// Upper bound of the retransmission timeout.
    pub rto_max: Duration,
    /// Give up (abort) after this many consecutive retransmission timeouts
    /// or unanswered heartbeats. `None` retries forever.
    pub max_retransmissions: Option<u32>,
    /// Give up connecting after this many INIT / COOKIE-ECHO retransmissions.
    pub max_init_retransmissions: Option<u32>,
    /// Delayed acknowledgement timeout (RFC 9260: at most 500 ms; 200 ms typical).
    pub delayed_ack_timeout: Duration,
    /// Idle time after which a HEARTBEAT is sent (`None`: never).
    pub heartbeat_interval: Option<Duration>,
    /// How long a state cookie stays valid.
    pub cookie_lifetime: Duration,
    /// Offer and use I-DATA (RFC 8260) when the peer offers it too.
    pub enable_interleaving: bool,
    /// Offer and use partial reliability (RFC 3758).
    pub enable_partial_reliability: bool,
    /// Offer zero checksum (RFC 9653, DTLS method); when both sides offer it,
    /// packets go out without CRC32c.
    pub zero_checksum: bool,
    /// Seed for tags, initial TSN and cookie key. `None` draws them from the
    /// system's secure generator (use a seed only in tests).
    pub seed: Option<u64>,
}

impl Default for SctpConfig {
    fn default() -> Self {
        Self {
            local_port: 5000,
            remote_port: 5000,
            max_message_size: 256 * 1024,
            max_inbound_message_size: None,
            max_packet_size: 1128,
            max_receive_buffer: 2 * 1024 * 1024,
            max_streams: 65535,
            max_queued_messages: 100_000,
            max_queued_bytes: 64 * 1024 * 1024,
            rto_initial: Duration::from_millis(1000),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(10),
            max_retransmissions: Some(10),
            max_init_retransmissions: Some(8),
            delayed_ack_timeout: Duration::from_millis(200),
            heartbeat_interval: Some(Duration::from_secs(30)),
            cookie_lifetime: Duration::from_secs(60),
            enable_interleaving: true,
            enable_partial_reliability: true,
            zero_checksum: true,
            seed: None,
        }
    }
}

impl SctpConfig {
    /// The largest message the peer may send us.
    pub fn inbound_message_limit(&self) -> usize {
        self.max_inbound_message_size
            .unwrap_or(self.max_message_size)
    }
}

/// How one message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOptions {
    /// Delivered in order with the other ordered messages of its stream.
    pub ordered: bool,
    /// Give up after this many retransmissions (partial reliability).
    pub max_retransmits: Option<u16>,
    /// Give up when not acknowledged within this time after `send`.
    pub lifetime: Option<Duration>,
    /// Scheduler weight of the stream while this message is at its head:
    /// WebRTC's very-low 128, low 256, medium 512, high 1024.
    pub priority: u16,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            ordered: true,
            max_retransmits: None,
            lifetime: None,
            priority: 256,
        }
    }
}

/// Something that happened that the owner should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctpEvent {
    /// The association is established; messages can be sent.
    Connected,
    /// A complete message arrived.
    Message {
        /// Stream it arrived on.
        stream_id: u16,
        /// Payload protocol identifier.
        ppid: u32,
        /// The message.
        data: Bytes,
    },
    /// The peer reset these incoming streams (a data channel closing).
    StreamReset {
        /// Streams reset.
        stream_ids: Vec<u16>,
    },
    /// Our request to reset these outgoing streams was performed by the peer.
    OutgoingStreamsReset {
        /// Streams reset.
        stream_ids: Vec<u16>,
    },
    /// The stream's buffered amount fell to or below its low threshold.
    BufferedAmountLow {
        /// The stream.
        stream_id: u16,
    },
    /// The peer restarted the association (RFC 9260 §5.2.4.1). Queued and
    /// in-flight data of the old association are lost.
    Restarted,
    /// The association ended gracefully (SHUTDOWN).
    Closed,
    /// The association ended abruptly.
    Aborted {
        /// Why.
        reason: String,
    },
}

/// Why [`send`](crate::Association::send) refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The association is not established (or is shutting down).
    NotConnected,
    /// The message is larger than the maximum message size.
    TooLarge,
    /// Empty messages cannot be carried by SCTP.
    Empty,
    /// The stream identifier is outside the negotiated stream count.
    InvalidStream,
    /// The send queue is full; wait for `BufferedAmountLow`.
    QueueFull,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SendError::NotConnected => "association not established",
            SendError::TooLarge => "message exceeds the maximum message size",
            SendError::Empty => "empty message",
            SendError::InvalidStream => "invalid stream identifier",
            SendError::QueueFull => "send queue full",
        })
    }
}

impl std::error::Error for SendError {}

/// The association's state (RFC 9260 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not connected (initially, and after close or abort).
    Closed,
    /// INIT sent, waiting for INIT-ACK.
    CookieWait,
    /// COOKIE-ECHO sent, waiting for COOKIE-ACK.
    CookieEchoed,
    /// Connected.
    Established,
    /// `shutdown` called, waiting for outstanding data.
    ShutdownPending,
    /// SHUTDOWN sent.
    ShutdownSent,
    /// SHUTDOWN received, finishing outstanding data.
    ShutdownReceived,
    /// SHUTDOWN-ACK sent.
    ShutdownAckSent,
}

/// Association-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssociationStats {
    /// Packets written by `poll_transmit`.
    pub packets_sent: u64,
    /// Packets given to `handle_receive`.
    pub packets_received: u64,
    /// Packets dropped as malformed (bad header or chunk layout).
    pub packets_malformed: u64,
    /// Packets dropped for a bad checksum.
    pub packets_bad_checksum: u64,
    /// Packets dropped for a wrong verification tag or port.
    pub packets_bad_tag: u64,
    /// Chunks dropped as malformed or against the rules.
    pub chunks_dropped: u64,
    /// DATA chunks dropped because a limit (buffer, streams, gaps) was hit.
    pub data_dropped_limits: u64,
    /// Messages dropped for exceeding the inbound message size limit
    /// ([`SctpConfig::max_inbound_message_size`]).
    pub messages_too_large: u64,
    /// Duplicate DATA chunks received.
    pub duplicate_tsns: u64,
    /// DATA chunks retransmitted (fast or timeout).
    pub retransmitted_chunks: u64,
    /// Fast retransmit events.
    pub fast_retransmits: u64,
    /// T3-rtx timer expirations.
    pub t3_expirations: u64,
    /// Messages abandoned by partial reliability.
    pub messages_abandoned: u64,
    /// Current congestion window (bytes).
    pub cwnd: u64,
    /// Smoothed round-trip time (microseconds; 0 before the first sample).
    pub srtt_us: u64,
    /// Current retransmission timeout (microseconds).
    pub rto_us: u64,
}

/// Per-stream counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Messages fully handed to the network (all fragments sent once).
    pub messages_sent: u64,
    /// User bytes of those messages.
    pub bytes_sent: u64,
    /// Messages delivered to the owner.
    pub messages_received: u64,
    /// User bytes of those messages.
    pub bytes_received: u64,
}
