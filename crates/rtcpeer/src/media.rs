//! Receive queues between the network actor and the readers of a
//! receiver's frames and packets.

use tokio::sync::{mpsc, Mutex};

use rtcpeer_proto::media::Frame;

/// Frames a receiver holds for its reader before dropping new ones.
pub const QUEUE_FRAMES: usize = 512;
/// RTP packets a receiver holds for its reader before dropping new ones.
pub const QUEUE_PACKETS: usize = 2_048;

/// The queues of one receiver.
pub(crate) struct MediaQueues {
    frames_tx: mpsc::Sender<Frame>,
    pub(crate) frames_rx: Mutex<mpsc::Receiver<Frame>>,
    rtp_tx: mpsc::Sender<Vec<u8>>,
    pub(crate) rtp_rx: Mutex<mpsc::Receiver<Vec<u8>>>,
}

impl MediaQueues {
    pub(crate) fn new() -> MediaQueues {
        let (frames_tx, frames_rx) = mpsc::channel(QUEUE_FRAMES);
        let (rtp_tx, rtp_rx) = mpsc::channel(QUEUE_PACKETS);
        MediaQueues {
            frames_tx,
            frames_rx: Mutex::new(frames_rx),
            rtp_tx,
            rtp_rx: Mutex::new(rtp_rx),
        }
    }

    /// Queues a frame; a full queue drops it.
    pub(crate) fn push_frame(&self, f: Frame) {
        let _ = self.frames_tx.try_send(f);
    }

    /// Queues a packet; a full queue drops it.
    pub(crate) fn push_rtp(&self, p: Vec<u8>) {
        let _ = self.rtp_tx.try_send(p);
    }
}
