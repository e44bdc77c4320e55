"""Tabulates RESULT lines: one row per figure, one column per implementation,
and rtcpeer's ratio to the best other implementation."""
import sys

ORDER = ["rtcpeer", "str0m", "webrtc-rs", "aiortc", "chromium"]
# key: (label, higher is better)
ROWS = [
    ("S_ms", "S setup to open, median (ms)", False),
    ("T16_MBps", "T 16 KiB msgs (MB/s)", True),
    ("T64_MBps", "T 64 KiB msgs (MB/s)", True),
    ("T16_cpu_s_per_GiB", "T 16 KiB CPU (s/GiB)", False),
    ("T64_cpu_s_per_GiB", "T 64 KiB CPU (s/GiB)", False),
    ("R_median_us", "R round trip, median (µs)", False),
    ("R_p99_us", "R round trip, p99 (µs)", False),
    ("M_KiB_per_pc", "M RSS per idle PC (KiB)", False),
    ("P_cm80_pps", "P SRTP AES-CM-80 (pkt/s)", True),
    ("P_gcm_pps", "P SRTP AES-GCM (pkt/s)", True),
]

vals = {}
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 4 and parts[0] == "RESULT":
        vals[(parts[2], parts[1])] = float(parts[3])
impls = [i for i in ORDER if any(k[1] == i for k in vals)]


def fmt(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


print("| figure | " + " | ".join(impls) + " | rtcpeer ÷ best other |")
print("|---|" + "---:|" * (len(impls) + 1))
for key, label, higher in ROWS:
    row = [vals.get((key, i)) for i in impls]
    if all(v is None for v in row):
        continue
    others = [vals[(key, i)] for i in impls if i != "rtcpeer" and (key, i) in vals]
    ours = vals.get((key, "rtcpeer"))
    ratio = "–"
    if ours is not None and others:
        best = max(others) if higher else min(others)
        ratio = f"{ours / best:.2f}" if best else "–"
    print(f"| {label} | " + " | ".join(fmt(v) for v in row) + f" | {ratio} |")
