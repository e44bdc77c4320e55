//! Relaying signaling between two peers the test drives (pages, aiortc
//! scripts): the test sits in the middle and forwards offers, answers and
//! candidates as they come, unchanged.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::Result;

/// One end of a signaling conversation the test can relay: a browser page
/// ([`crate::http::PagePeer`]) or a script ([`crate::aiortc::AiortcPeer`]).
pub trait SignalPeer: Sync {
    /// A short name for logs and errors (`page a`, `aiortc`).
    fn label(&self) -> String;
    /// Delivers a message to the peer.
    fn send(&self, message: Value) -> impl Future<Output = Result<()>> + Send;
    /// The next message from the peer; `Err` once it can send no more.
    fn recv(&self) -> impl Future<Output = Result<Value>> + Send;
}

/// Forwards every message `from` sends to `to`, until `from` ends.
pub async fn forward<A: SignalPeer, B: SignalPeer>(from: &A, to: &B) {
    let (a, b) = (from.label(), to.label());
    while let Ok(message) = from.recv().await {
        println!("relay {a} -> {b}: {}", summary(&message));
        if let Err(e) = to.send(message).await {
            let first = e.message().lines().next().unwrap_or_default();
            println!("relay {a} -> {b} stopped: {first}");
            return;
        }
    }
}

/// Runs `work` (typically: wait for both peers' results) while relaying
/// messages between `a` and `b` in both directions, and returns `work`'s output.
pub async fn relay_while<A, B, F>(a: &A, b: &B, work: F) -> F::Output
where
    A: SignalPeer,
    B: SignalPeer,
    F: Future,
{
    let both = async {
        tokio::join!(forward(a, b), forward(b, a));
        std::future::pending::<()>().await
    };
    tokio::select! {
        out = work => out,
        _ = both => unreachable!("pending() never completes"),
    }
}

/// The client half of the echo protocol (webrtc-echoes) for a peer the test
/// drives: waits for `peer`'s complete offer (skipping candidates; the peer
/// must not trickle), POSTs it to `offer_url`, and hands the answer back.
pub async fn offer_via_http<P: SignalPeer>(peer: &P, offer_url: &str) -> Result<()> {
    let offer = loop {
        let message = peer.recv().await?;
        if message.get("type").and_then(Value::as_str) == Some("offer") {
            break message;
        }
    };
    let answer = crate::http::post_json(offer_url, &offer, Duration::from_secs(30)).await?;
    println!(
        "echo protocol: {} got an answer from {offer_url}",
        peer.label()
    );
    peer.send(answer).await
}

/// A one-line summary of a signaling message for the relay log.
fn summary(message: &Value) -> String {
    if let Some(t) = message.get("type").and_then(Value::as_str) {
        return t.to_string();
    }
    if let Some(c) = message.get("candidate").and_then(Value::as_str) {
        return format!("candidate {c}");
    }
    let s = message.to_string();
    if s.len() > 120 {
        let mut cut = 120;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use serde_json::json;
    use std::sync::Mutex;
    use tokio::sync::mpsc;

    /// A scripted peer: yields its queued messages, records what it receives.
    struct Scripted {
        name: &'static str,
        outgoing: tokio::sync::Mutex<mpsc::UnboundedReceiver<Value>>,
        received: Mutex<Vec<Value>>,
    }

    impl SignalPeer for Scripted {
        fn label(&self) -> String {
            self.name.into()
        }
        async fn send(&self, message: Value) -> Result<()> {
            self.received.lock().unwrap().push(message);
            Ok(())
        }
        async fn recv(&self) -> Result<Value> {
            self.outgoing
                .lock()
                .await
                .recv()
                .await
                .ok_or_else(|| Error::new("ended"))
        }
    }

    fn scripted(name: &'static str, msgs: Vec<Value>) -> Scripted {
        let (tx, rx) = mpsc::unbounded_channel();
        for m in msgs {
            tx.send(m).unwrap();
        }
        Scripted {
            name,
            outgoing: tokio::sync::Mutex::new(rx),
            received: Mutex::new(Vec::new()),
        }
    }

    #[tokio::test]
    async fn relay_forwards_both_ways_in_order() {
        let a = scripted(
            "a",
            vec![json!({"type":"offer"}), json!({"candidate":"c1"})],
        );
        let b = scripted("b", vec![json!({"type":"answer"})]);
        relay_while(&a, &b, async {
            while b.received.lock().unwrap().len() < 2 || a.received.lock().unwrap().is_empty() {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert_eq!(
            *b.received.lock().unwrap(),
            vec![json!({"type":"offer"}), json!({"candidate":"c1"})]
        );
        assert_eq!(*a.received.lock().unwrap(), vec![json!({"type":"answer"})]);
    }

    #[test]
    fn summary_is_short() {
        assert_eq!(summary(&json!({"type":"offer","sdp":"v=0"})), "offer");
        assert!(summary(&json!({"x": "y".repeat(500)})).chars().count() <= 121);
    }
}
