use std::time::Duration;

/// Scenario sizes; the defaults are the issue's.
#[derive(Clone, Debug)]
pub struct Opts {
    /// S: setups; R: round trips.
    pub n: usize,
    /// T: MiB per run.
    pub mib: usize,
    /// T: message size in bytes.
    pub size: usize,
    /// T: runs (median taken).
    pub runs: usize,
    /// M: peer connections kept idle.
    pub pcs: usize,
}

impl Opts {
    pub fn parse(args: &[String]) -> Opts {
        let mut o = Opts { n: 0, mib: 256, size: 64 * 1024, runs: 3, pcs: 500 };
        let mut it = args.iter();
        while let Some(k) = it.next() {
            let v: usize = it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("flag {k} needs a number");
                std::process::exit(2)
            });
            match k.as_str() {
                "--n" => o.n = v,
                "--mib" => o.mib = v,
                "--size" => o.size = v,
                "--runs" => o.runs = v,
                "--pcs" => o.pcs = v,
                _ => {
                    eprintln!("unknown flag {k}");
                    std::process::exit(2)
                }
            }
        }
        o
    }
    pub fn n_or(&self, default: usize) -> usize {
        if self.n == 0 { default } else { self.n }
    }
    pub fn total(&self) -> usize {
        self.mib << 20
    }
}

/// Sender pauses above this many buffered bytes...
pub const HIGH_WATER: usize = 1 << 20;
/// ...and resumes when bufferedAmount drops to this (bufferedAmountLowThreshold).
pub const LOW_WATER: usize = 512 << 10;
/// R: message size.
pub const PING: usize = 16;

pub fn result(imp: &str, key: &str, value: f64) {
    println!("RESULT\t{imp}\t{key}\t{value:.4}");
}

/// User + system CPU seconds of this process so far.
pub fn cpu_seconds() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Resident set size of this process, KiB.
pub fn rss_kib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

pub fn median(v: &mut [f64]) -> f64 {
    percentile(v, 0.5)
}

/// Reports a throughput run set: median MB/s and CPU seconds per GiB (median).
pub fn report_t(imp: &str, size: usize, secs: &mut [f64], cpu: &mut [f64], bytes: usize) {
    let mbps: Vec<f64> = secs.iter().map(|s| bytes as f64 / s / 1e6).collect();
    let mut cpg: Vec<f64> = cpu.iter().map(|c| c / (bytes as f64 / (1u64 << 30) as f64)).collect();
    let mut m = mbps.clone();
    eprintln!("{imp} T{}: runs MB/s {:?}", size >> 10, mbps);
    result(imp, &format!("T{}_MBps", size >> 10), median(&mut m));
    result(imp, &format!("T{}_cpu_s_per_GiB", size >> 10), median(&mut cpg));
}

pub fn report_s(imp: &str, ms: &mut [f64]) {
    eprintln!("{imp} S: {:?}", ms.iter().map(|v| (v * 10.0).round() / 10.0).collect::<Vec<_>>());
    result(imp, "S_ms", median(ms));
}

pub fn report_r(imp: &str, us: &mut [f64]) {
    result(imp, "R_median_us", median(us));
    result(imp, "R_p99_us", percentile(us, 0.99));
}

pub fn report_m(imp: &str, rss0: f64, rss1: f64, pcs: usize) {
    eprintln!("{imp} M: RSS {rss0} KiB -> {rss1} KiB over {pcs} PCs");
    result(imp, "M_KiB_per_pc", (rss1 - rss0) / pcs as f64);
}

pub const LIMIT: Duration = Duration::from_secs(120);
