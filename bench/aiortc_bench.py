"""aiortc: two RTCPeerConnections in one asyncio loop on 127.0.0.1 (no STUN).

    python aiortc_bench.py S|T|R|M [--n-s N] [--n-r N] [--mib N] [--runs N] [--pcs N]

Prints RESULT lines like the Rust harness (bench/peers)."""
import argparse
import asyncio
import statistics
import time

import aioice.ice

# aioice drops loopback addresses; inside the bench's namespace it is all there is.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import RTCConfiguration, RTCPeerConnection  # noqa: E402

IMP = "aiortc"
HIGH, LOW, PING = 1 << 20, 512 << 10, 16


def result(key, value):
    print(f"RESULT\t{IMP}\t{key}\t{value:.4f}", flush=True)


def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return 0.0


def pct(v, p):
    v = sorted(v)
    return v[round((len(v) - 1) * p)]


async def pair():
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    remote = asyncio.get_running_loop().create_future()
    b.on("datachannel", lambda ch: remote.done() or remote.set_result(ch))
    dc = a.createDataChannel("bench")
    opened = asyncio.get_running_loop().create_future()
    dc.on("open", lambda: opened.done() or opened.set_result(True))
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await asyncio.wait_for(opened, 60)
    return a, b, dc, await asyncio.wait_for(remote, 60)


async def s(o):
    ms = []
    for _ in range(o.n_s):
        t0 = time.perf_counter()
        a, b, _, _ = await pair()
        ms.append((time.perf_counter() - t0) * 1e3)
        await a.close()
        await b.close()
    result("S_ms", statistics.median(ms))


async def t(o):
    a, b, dc, rdc = await pair()
    total = o.mib << 20
    for size in (16384, 65536):
        state = {"got": 0, "done": None}
        done = asyncio.Event()

        def on_message(m, state=state, done=done):
            state["got"] += len(m)
            if state["got"] >= total:
                state["got"] -= total
                done.set()

        rdc.remove_all_listeners("message")
        rdc.on("message", on_message)
        dc.bufferedAmountLowThreshold = LOW
        low = asyncio.Event()
        dc.remove_all_listeners("bufferedamountlow")
        dc.on("bufferedamountlow", low.set)
        msg = b"\x5a" * size
        secs, cpu = [], []
        for _ in range(o.runs):
            done.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            sent = 0
            while sent < total:
                while dc.bufferedAmount + size > HIGH:
                    low.clear()
                    await asyncio.wait_for(low.wait(), 60)
                dc.send(msg)
                sent += size
            await asyncio.wait_for(done.wait(), 600)
            secs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        k = size >> 10
        result(f"T{k}_MBps", statistics.median(total / x / 1e6 for x in secs))
        result(f"T{k}_cpu_s_per_GiB", statistics.median(c / (total / (1 << 30)) for c in cpu))


async def r(o):
    a, b, dc, rdc = await pair()
    rdc.on("message", lambda m: rdc.send(m))
    q = asyncio.Queue()
    dc.on("message", q.put_nowait)
    us = []
    for i in range(o.n_r + 50):
        t0 = time.perf_counter()
        dc.send(b"\x07" * PING)
        await asyncio.wait_for(q.get(), 60)
        if i >= 50:
            us.append((time.perf_counter() - t0) * 1e6)
    result("R_median_us", statistics.median(us))
    result("R_p99_us", pct(us, 0.99))


async def m(o):
    warm = await pair()
    await asyncio.sleep(0.5)
    rss0 = rss_kib()
    keep = [await pair() for _ in range(o.pcs // 2)]
    await asyncio.sleep(3)
    result("M_KiB_per_pc", (rss_kib() - rss0) / (2 * len(keep)))
    del warm


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario")
    p.add_argument("--n-s", type=int, default=20)
    p.add_argument("--n-r", type=int, default=1000)
    p.add_argument("--mib", type=int, default=256)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--pcs", type=int, default=500)
    o = p.parse_args()
    asyncio.run({"S": s, "T": t, "R": r, "M": m}[o.scenario](o))


if __name__ == "__main__":
    main()
