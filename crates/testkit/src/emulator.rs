//! A network emulator on virtual time: seeded loss, delay, reordering, duplication.
//!
//! The emulator knows nothing about the protocols it carries: nodes are plain
//! numbers ([`NodeId`]) and packets are byte vectors. Each *direction* between
//! two nodes is a link with its own [`LinkConfig`] (loss, burst loss, delay,
//! jitter, reordering, duplication, bandwidth, outage windows). Time is never
//! read from a clock: every call takes `now`, so a test drives the emulator and
//! the state machines under test from one virtual clock and runs a minute of
//! traffic in milliseconds.
//!
//! All randomness comes from one small seeded generator ([`SplitMix64`]), so a
//! given seed and sequence of calls always produces the same deliveries.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use testkit::emulator::{Emulator, LinkConfig};
//!
//! let t0 = Instant::now();
//! let mut net = Emulator::new(7);
//! net.link(0, 1, LinkConfig { delay: Duration::from_millis(10), ..LinkConfig::default() });
//! net.send(0, 1, b"hello".to_vec(), t0);
//! assert_eq!(net.next_event_time(), Some(t0 + Duration::from_millis(10)));
//! assert!(net.poll_deliver(t0).is_none());
//! let (to, bytes) = net.poll_deliver(t0 + Duration::from_millis(10)).unwrap();
//! assert_eq!((to, bytes.as_slice()), (1, &b"hello"[..]));
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

/// Identifies a node (an endpoint) of the emulated network.
pub type NodeId = usize;

/// A small, fast, seedable pseudo-random generator (SplitMix64).
///
/// Good enough statistical quality for network emulation and free of
/// dependencies. Not for cryptography.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.next_f64() < p
    }

    /// A uniform value in `[0, max]`.
    pub fn below_inclusive(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        self.next_u64() % (max + 1)
    }
}

/// Bursty loss after the Gilbert–Elliott model: the link is either in a good
/// state (where [`LinkConfig::loss`] applies) or a bad state (where
/// `loss_in_bad` applies), and flips between them at every packet with the
/// given probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstLoss {
    /// Probability of moving from the good to the bad state at each packet.
    pub enter_bad: f64,
    /// Probability of moving from the bad back to the good state at each packet.
    pub leave_bad: f64,
    /// Loss probability while in the bad state.
    pub loss_in_bad: f64,
}

/// The behaviour of one direction of a link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// Probability that a packet is lost (0.0..=1.0).
    pub loss: f64,
    /// Optional bursty loss on top of `loss`.
    pub burst: Option<BurstLoss>,
    /// One-way propagation delay.
    pub delay: Duration,
    /// Extra delay drawn uniformly from `[0, jitter]` for each packet. Jitter
    /// alone can reorder packets.
    pub jitter: Duration,
    /// Probability that a packet is held back by `reorder_delay` extra, so
    /// that later packets overtake it.
    pub reorder: f64,
    /// How long a reordered packet is held back.
    pub reorder_delay: Duration,
    /// Probability that a packet is delivered twice.
    pub duplicate: f64,
    /// Bandwidth in bytes per second; `None` is unlimited. Packets queue
    /// behind each other (serialization delay) when set.
    pub rate_bytes_per_sec: Option<u64>,
    /// Packets queued longer than this behind the bandwidth limit are
    /// dropped (a drop-tail queue expressed as time). `None` never drops.
    pub max_queue_delay: Option<Duration>,
}

impl Default for LinkConfig {
    /// A perfect link: no loss, no delay, no reordering.
    fn default() -> Self {
        Self {
            loss: 0.0,
            burst: None,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(5),
            duplicate: 0.0,
            rate_bytes_per_sec: None,
            max_queue_delay: None,
        }
    }
}

/// Counters of one direction of a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets handed to [`Emulator::send`].
    pub sent: u64,
    /// Packets lost (random loss, burst loss, outage or full queue).
    pub lost: u64,
    /// Extra copies scheduled by duplication.
    pub duplicated: u64,
    /// Packets held back by reordering.
    pub reordered: u64,
    /// Packets handed out by [`Emulator::poll_deliver`].
    pub delivered: u64,
}

#[derive(Debug)]
struct Link {
    config: LinkConfig,
    in_bad_state: bool,
    /// When the bandwidth-limited "wire" is free again.
    busy_until: Option<Instant>,
    /// Windows `[start, end)` during which everything sent is lost.
    outages: Vec<(Instant, Instant)>,
    stats: LinkStats,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    at: Instant,
    seq: u64,
    from: NodeId,
    to: NodeId,
    data: Vec<u8>,
}

/// A seeded, virtual-time network of point-to-point links.
///
/// Sending on a direction with no configured link uses a perfect link
/// (`LinkConfig::default()`).
#[derive(Debug)]
pub struct Emulator {
    rng: SplitMix64,
    links: HashMap<(NodeId, NodeId), Link>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
}

impl Emulator {
    /// An empty network whose randomness is fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
            links: HashMap::new(),
            queue: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Sets the behaviour of the direction `from -> to` (only that direction).
    pub fn link(&mut self, from: NodeId, to: NodeId, config: LinkConfig) {
        self.link_mut(from, to).config = config;
    }

    /// Sets the same behaviour on both directions between `a` and `b`.
    pub fn link_both(&mut self, a: NodeId, b: NodeId, config: LinkConfig) {
        self.link(a, b, config.clone());
        self.link(b, a, config);
    }

    /// Adds a window `[start, end)` in which everything sent `from -> to` is lost.
    pub fn add_outage(&mut self, from: NodeId, to: NodeId, start: Instant, end: Instant) {
        self.link_mut(from, to).outages.push((start, end));
    }

    /// The counters of the direction `from -> to`.
    pub fn stats(&self, from: NodeId, to: NodeId) -> LinkStats {
        self.links
            .get(&(from, to))
            .map(|l| l.stats)
            .unwrap_or_default()
    }

    /// Packets scheduled and not yet delivered.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    fn link_mut(&mut self, from: NodeId, to: NodeId) -> &mut Link {
        self.links.entry((from, to)).or_insert_with(|| Link {
            config: LinkConfig::default(),
            in_bad_state: false,
            busy_until: None,
            outages: Vec::new(),
            stats: LinkStats::default(),
        })
    }

    /// Sends `data` from `from` to `to` at time `now`. The packet may be lost,
    /// delayed, reordered or duplicated according to the link's configuration.
    pub fn send(&mut self, from: NodeId, to: NodeId, data: Vec<u8>, now: Instant) {
        // Draw from the generator through a local copy so the link borrow and
        // the rng borrow do not overlap.
        let mut rng = self.rng.clone();
        let link = self.link_mut(from, to);
        link.stats.sent += 1;
        let cfg = link.config.clone();

        let in_outage = link.outages.iter().any(|&(s, e)| now >= s && now < e);
        let mut lost = in_outage;
        if let Some(b) = cfg.burst {
            let flip = if link.in_bad_state {
                b.leave_bad
            } else {
                b.enter_bad
            };
            if rng.chance(flip) {
                link.in_bad_state = !link.in_bad_state;
            }
            if link.in_bad_state && rng.chance(b.loss_in_bad) {
                lost = true;
            }
        }
        if rng.chance(cfg.loss) {
            lost = true;
        }

        // Serialization behind the bandwidth limit.
        let mut depart = now;
        if let Some(rate) = cfg.rate_bytes_per_sec.filter(|&r| r > 0) {
            let start = link.busy_until.map_or(now, |b| b.max(now));
            if let Some(maxq) = cfg.max_queue_delay {
                if start.saturating_duration_since(now) > maxq {
                    lost = true;
                }
            }
            if !lost {
                let tx = Duration::from_nanos(data.len() as u64 * 1_000_000_000 / rate);
                depart = start + tx;
                link.busy_until = Some(depart);
            }
        }

        if lost {
            link.stats.lost += 1;
            self.rng = rng;
            return;
        }

        let jitter = |rng: &mut SplitMix64| {
            let j = cfg.jitter.as_nanos().min(u64::MAX as u128) as u64;
            Duration::from_nanos(if j == 0 { 0 } else { rng.below_inclusive(j) })
        };
        let mut at = depart + cfg.delay + jitter(&mut rng);
        if rng.chance(cfg.reorder) {
            at += cfg.reorder_delay;
            link.stats.reordered += 1;
        }
        let dup_at = if rng.chance(cfg.duplicate) {
            link.stats.duplicated += 1;
            Some(depart + cfg.delay + jitter(&mut rng))
        } else {
            None
        };
        self.rng = rng;

        if let Some(dup_at) = dup_at {
            self.push(dup_at, from, to, data.clone());
        }
        self.push(at, from, to, data);
    }

    fn push(&mut self, at: Instant, from: NodeId, to: NodeId, data: Vec<u8>) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            from,
            to,
            data,
        }));
    }

    /// The next packet due at or before `now`, as `(destination, bytes)`.
    /// Packets due at the same instant come out in the order they were sent.
    pub fn poll_deliver(&mut self, now: Instant) -> Option<(NodeId, Vec<u8>)> {
        self.poll_deliver_from(now).map(|(_, to, d)| (to, d))
    }

    /// Like [`poll_deliver`](Self::poll_deliver) but also says who sent the
    /// packet: `(source, destination, bytes)`.
    pub fn poll_deliver_from(&mut self, now: Instant) -> Option<(NodeId, NodeId, Vec<u8>)> {
        if self.queue.peek()?.0.at > now {
            return None;
        }
        let Reverse(p) = self.queue.pop()?;
        if let Some(l) = self.links.get_mut(&(p.from, p.to)) {
            l.stats.delivered += 1;
        }
        Some((p.from, p.to, p.data))
    }

    /// When the next packet is due, if any is in flight.
    pub fn next_event_time(&self) -> Option<Instant> {
        self.queue.peek().map(|p| p.0.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(net: &mut Emulator, until: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some((_, d)) = net.poll_deliver(until) {
            out.push(d);
        }
        out
    }

    #[test]
    fn perfect_link_delivers_in_order_after_delay() {
        let t0 = Instant::now();
        let mut net = Emulator::new(1);
        let d = Duration::from_millis(20);
        net.link(
            0,
            1,
            LinkConfig {
                delay: d,
                ..Default::default()
            },
        );
        for i in 0..10u8 {
            net.send(0, 1, vec![i], t0);
        }
        assert!(net.poll_deliver(t0 + d - Duration::from_nanos(1)).is_none());
        let got = drain(&mut net, t0 + d);
        assert_eq!(got, (0..10u8).map(|i| vec![i]).collect::<Vec<_>>());
        assert_eq!(net.stats(0, 1).delivered, 10);
    }

    #[test]
    fn loss_rate_is_close_to_configured_and_seeded() {
        let run = |seed| {
            let t0 = Instant::now();
            let mut net = Emulator::new(seed);
            net.link(
                0,
                1,
                LinkConfig {
                    loss: 0.2,
                    ..Default::default()
                },
            );
            for i in 0..10_000u32 {
                net.send(0, 1, i.to_be_bytes().to_vec(), t0);
            }
            drain(&mut net, t0)
        };
        let a = run(42);
        let b = run(42);
        assert_eq!(a, b, "same seed, same deliveries");
        let lost = 10_000 - a.len();
        assert!((1_700..2_300).contains(&lost), "lost {lost}");
    }

    #[test]
    fn reordering_and_duplication_happen() {
        let t0 = Instant::now();
        let mut net = Emulator::new(3);
        net.link(
            0,
            1,
            LinkConfig {
                reorder: 0.1,
                duplicate: 0.1,
                delay: Duration::from_millis(1),
                ..Default::default()
            },
        );
        for i in 0..1000u32 {
            net.send(
                0,
                1,
                i.to_be_bytes().to_vec(),
                t0 + Duration::from_micros(i as u64 * 10),
            );
        }
        let got = drain(&mut net, t0 + Duration::from_secs(1));
        let st = net.stats(0, 1);
        assert_eq!(got.len() as u64, 1000 + st.duplicated);
        assert!(st.duplicated > 50 && st.reordered > 50);
        let nums: Vec<u32> = got
            .iter()
            .map(|d| u32::from_be_bytes(d[..4].try_into().unwrap()))
            .collect();
        assert!(
            nums.windows(2).any(|w| w[0] > w[1]),
            "something was reordered"
        );
    }

    #[test]
    fn outage_and_direction_independence() {
        let t0 = Instant::now();
        let mut net = Emulator::new(5);
        net.add_outage(0, 1, t0, t0 + Duration::from_secs(1));
        net.send(0, 1, vec![1], t0);
        net.send(1, 0, vec![2], t0);
        net.send(0, 1, vec![3], t0 + Duration::from_secs(1));
        let got: Vec<_> =
            std::iter::from_fn(|| net.poll_deliver(t0 + Duration::from_secs(2))).collect();
        assert_eq!(got, vec![(0, vec![2]), (1, vec![3])]);
        assert_eq!(net.stats(0, 1).lost, 1);
    }

    #[test]
    fn burst_loss_loses_runs() {
        let t0 = Instant::now();
        let mut net = Emulator::new(9);
        net.link(
            0,
            1,
            LinkConfig {
                burst: Some(BurstLoss {
                    enter_bad: 0.01,
                    leave_bad: 0.2,
                    loss_in_bad: 1.0,
                }),
                ..Default::default()
            },
        );
        for i in 0..10_000u32 {
            net.send(0, 1, i.to_be_bytes().to_vec(), t0);
        }
        let got: Vec<u32> = drain(&mut net, t0)
            .iter()
            .map(|d| u32::from_be_bytes(d[..4].try_into().unwrap()))
            .collect();
        let longest_gap = got.windows(2).map(|w| w[1] - w[0] - 1).max().unwrap();
        assert!(got.len() < 10_000 && longest_gap >= 3, "gap {longest_gap}");
    }

    #[test]
    fn bandwidth_serializes_packets() {
        let t0 = Instant::now();
        let mut net = Emulator::new(11);
        net.link(
            0,
            1,
            LinkConfig {
                rate_bytes_per_sec: Some(1000),
                ..Default::default()
            },
        );
        net.send(0, 1, vec![0; 100], t0);
        net.send(0, 1, vec![0; 100], t0);
        assert_eq!(net.next_event_time(), Some(t0 + Duration::from_millis(100)));
        assert_eq!(drain(&mut net, t0 + Duration::from_millis(150)).len(), 1);
        assert_eq!(drain(&mut net, t0 + Duration::from_millis(200)).len(), 1);
    }
}
