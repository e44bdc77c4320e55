//! `RTCDTMFSender` (RFC 4733 telephone-events on an audio sender) and the
//! tones received on an audio receiver.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtcpeer_proto::{Result, TransceiverId};

use crate::peer::Shared;
use crate::transport::{Listeners, TransportEventStream};

pub use rtcpeer_proto::dtmf::{ReceivedTone as DtmfTone, DEFAULT_DURATION, DEFAULT_GAP};

/// The events of `RTCDTMFSender`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DtmfSenderEvent {
    /// `tonechange`: the tone that starts playing (`0-9`, `A-D`, `#`, `*`,
    /// `,`), and `""` once the tone buffer is empty.
    ToneChange(String),
}

const TONE_CHANGE: u8 = 0;

/// The DTMF listeners of one transceiver: its sender's `tonechange` and the
/// tones its receiver got.
pub(crate) struct DtmfListeners {
    pub(crate) sender: Listeners<DtmfSenderEvent>,
    pub(crate) received: Listeners<DtmfTone>,
}

/// The DTMF listeners of a connection, by transceiver, made on first use
/// (events before the first `events()` call are kept for it).
#[derive(Default)]
pub(crate) struct DtmfMap(Mutex<HashMap<TransceiverId, Arc<DtmfListeners>>>);

impl DtmfMap {
    pub(crate) fn get(&self, id: TransceiverId) -> Arc<DtmfListeners> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_insert_with(|| {
                Arc::new(DtmfListeners {
                    sender: Listeners::new(),
                    received: Listeners::new(),
                })
            })
            .clone()
    }

    /// Ends every stream (after `close()`).
    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// `RTCDTMFSender` of an audio sender ([`crate::RtpSender::dtmf`],
/// legacy [`crate::PeerConnection::create_dtmf_sender`]). Cheap to clone.
#[derive(Clone)]
#[doc(alias = "RTCDTMFSender")]
pub struct RtcDtmfSender {
    pub(crate) pc: Arc<Shared>,
    pub(crate) id: TransceiverId,
}

impl std::fmt::Debug for RtcDtmfSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtcDtmfSender")
            .field("id", &self.id)
            .field("tone_buffer", &self.tone_buffer())
            .finish()
    }
}

impl RtcDtmfSender {
    /// `insertDTMF(tones, duration, interToneGap)`: replaces the tone buffer
    /// with `tones` (`0-9`, `A-D`, `#`, `*`, and `,` for a 2 s pause;
    /// case-insensitive) and plays them as RFC 4733 telephone-events on the
    /// sender's SSRC. `duration` is clamped to 40–6000 ms and the gap to
    /// 30–6000 ms ([`DEFAULT_DURATION`], [`DEFAULT_GAP`] are the W3C
    /// defaults). `InvalidStateError` when [`Self::can_insert_dtmf`] is
    /// false, `InvalidCharacterError` for any other character.
    pub fn insert_dtmf(
        &self,
        tones: &str,
        duration: Duration,
        inter_tone_gap: Duration,
    ) -> Result<()> {
        let r =
            self.pc
                .core()
                .insert_dtmf(Instant::now(), self.id, tones, duration, inter_tone_gap);
        self.pc.signals.wake.notify_one();
        r
    }

    /// `toneBuffer`: the tones still to play.
    pub fn tone_buffer(&self) -> String {
        self.pc.core().tone_buffer(self.id)
    }

    /// `canInsertDTMF`: the sender is sending audio now and the remote
    /// accepted telephone-event.
    pub fn can_insert_dtmf(&self) -> bool {
        self.pc.core().can_insert_dtmf(self.id)
    }

    /// The sender's events from now on; the first call also gets those
    /// since the first tone.
    pub fn events(&self) -> TransportEventStream<DtmfSenderEvent> {
        self.pc.dtmf.get(self.id).sender.subscribe()
    }

    /// `ontonechange`.
    pub fn on_tone_change(&self, handler: impl Fn(DtmfSenderEvent) + Send + Sync + 'static) {
        self.pc
            .dtmf
            .get(self.id)
            .sender
            .set_handler(TONE_CHANGE, Arc::new(handler));
    }
}

pub(crate) fn dispatch_tone_change(pc: &Shared, id: TransceiverId, tone: String) {
    pc.dtmf
        .get(id)
        .sender
        .dispatch(TONE_CHANGE, DtmfSenderEvent::ToneChange(tone));
}

pub(crate) fn dispatch_received(pc: &Shared, id: TransceiverId, tone: DtmfTone) {
    pc.dtmf.get(id).received.dispatch(TONE_CHANGE, tone);
}

pub(crate) fn on_received(
    pc: &Shared,
    id: TransceiverId,
    h: impl Fn(DtmfTone) + Send + Sync + 'static,
) {
    pc.dtmf
        .get(id)
        .received
        .set_handler(TONE_CHANGE, Arc::new(h));
}
