//! Receive queues between the network actor and the readers of a
//! receiver's frames and packets.

use std::sync::Mutex as StdMutex;

use tokio::sync::{mpsc, Mutex};

use rtcpeer_proto::media::Frame;

/// Frames a receiver holds for its reader before dropping new ones.
pub const QUEUE_FRAMES: usize = 512;
/// RTP packets a receiver holds for its reader before dropping new ones.
pub const QUEUE_PACKETS: usize = 2_048;

/// The sending halves of a receiver's two queues.
type Senders = (mpsc::Sender<Frame>, mpsc::Sender<Vec<u8>>);

/// The queues of one receiver.
pub(crate) struct MediaQueues {
    /// The sending halves; dropped by `close` so that readers see the end.
    tx: StdMutex<Option<Senders>>,
    pub(crate) frames_rx: Mutex<mpsc::Receiver<Frame>>,
    pub(crate) rtp_rx: Mutex<mpsc::Receiver<Vec<u8>>>,
}

impl MediaQueues {
    pub(crate) fn new() -> MediaQueues {
        let (frames_tx, frames_rx) = mpsc::channel(QUEUE_FRAMES);
        let (rtp_tx, rtp_rx) = mpsc::channel(QUEUE_PACKETS);
        MediaQueues {
            tx: StdMutex::new(Some((frames_tx, rtp_tx))),
            frames_rx: Mutex::new(frames_rx),
            rtp_rx: Mutex::new(rtp_rx),
        }
    }

    fn tx(&self) -> std::sync::MutexGuard<'_, Option<Senders>> {
        self.tx.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a frame; a full queue drops it.
    pub(crate) fn push_frame(&self, f: Frame) {
        if let Some((t, _)) = self.tx().as_ref() {
            let _ = t.try_send(f);
        }
    }

    /// Queues a packet; a full queue drops it.
    pub(crate) fn push_rtp(&self, p: Vec<u8>) {
        if let Some((_, t)) = self.tx().as_ref() {
            let _ = t.try_send(p);
        }
    }

    /// Ends both queues: readers get what is queued, then `None`.
    pub(crate) fn close(&self) {
        self.tx().take();
    }
}
