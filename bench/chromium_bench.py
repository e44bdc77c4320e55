"""Chromium (headless): two RTCPeerConnections in one page on 127.0.0.1.

    python3 chromium_bench.py S|T|R [--n-s N] [--n-r N] [--mib N] [--runs N]

Serves the page on 127.0.0.1, launches chromium with the flags REAL_PEERS.md
lists, and prints the RESULT lines the page POSTs back. Run it inside a
loopback-only namespace (bench/run does). No CPU figure: the work is spread
over Chromium's processes."""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = r"""<!doctype html><meta charset=utf-8><script>
const P = new URLSearchParams(location.search);
const HIGH = 1 << 20, LOW = 512 << 10, PING = 16;
const post = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
function median(v) { v = [...v].sort((a, b) => a - b); return v[Math.round((v.length - 1) / 2)]; }
function pct(v, p) { v = [...v].sort((a, b) => a - b); return v[Math.round((v.length - 1) * p)]; }
async function pair() {
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  const qa = [], qb = []; let aReady = false, bReady = false;
  a.onicecandidate = e => { if (e.candidate) bReady ? b.addIceCandidate(e.candidate) : qa.push(e.candidate); };
  b.onicecandidate = e => { if (e.candidate) aReady ? a.addIceCandidate(e.candidate) : qb.push(e.candidate); };
  const remote = new Promise(r => b.ondatachannel = e => r(e.channel));
  const dc = a.createDataChannel('bench');
  const open = new Promise(r => dc.onopen = r);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  bReady = true; qa.forEach(c => b.addIceCandidate(c));
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  aReady = true; qb.forEach(c => a.addIceCandidate(c));
  await open;
  const rdc = await remote;
  dc.binaryType = rdc.binaryType = 'arraybuffer';
  return {a, b, dc, rdc};
}
async function S() {
  const ms = [];
  for (let i = 0; i < +P.get('n'); i++) {
    const t0 = performance.now();
    const p = await pair();
    ms.push(performance.now() - t0);
    p.a.close(); p.b.close();
  }
  return {S_ms: median(ms)};
}
async function T() {
  const {dc, rdc} = await pair();
  const total = +P.get('mib') * (1 << 20), out = {};
  for (const size of [16384, 65536]) {
    let got = 0, done;
    rdc.onmessage = e => { got += e.data.byteLength; if (got >= total) { got -= total; done(); } };
    dc.bufferedAmountLowThreshold = LOW;
    const msg = new Uint8Array(size).fill(0x5a);
    const mbps = [];
    for (let r = 0; r < +P.get('runs'); r++) {
      const finished = new Promise(res => done = res);
      const t0 = performance.now();
      for (let sent = 0; sent < total; sent += size) {
        while (dc.bufferedAmount + size > HIGH) await new Promise(res => dc.onbufferedamountlow = res);
        dc.send(msg);
      }
      await finished;
      mbps.push(total / ((performance.now() - t0) / 1000) / 1e6);
    }
    out['T' + (size >> 10) + '_MBps'] = median(mbps);
  }
  return out;
}
async function R() {
  const {dc, rdc} = await pair();
  rdc.onmessage = e => rdc.send(e.data);
  const us = [], msg = new Uint8Array(PING).fill(7);
  for (let i = 0; i < +P.get('n') + 50; i++) {
    const back = new Promise(r => dc.onmessage = r);
    const t0 = performance.now();
    dc.send(msg);
    await back;
    if (i >= 50) us.push((performance.now() - t0) * 1000);
  }
  return {R_median_us: median(us), R_p99_us: pct(us, 0.99)};
}
({S, T, R})[P.get('sc')]().then(post, e => post({error: String(e)}));
</script>"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--n-s", type=int, default=20)
    ap.add_argument("--n-r", type=int, default=1000)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    o = ap.parse_args()
    got = {}
    finished = threading.Event()

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            # Cross-origin isolation: performance.now() at 5 µs instead of 100 µs.
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            got.update(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            finished.set()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    n = o.n_s if o.scenario == "S" else o.n_r
    url = f"http://127.0.0.1:{srv.server_port}/?sc={o.scenario}&n={n}&mib={o.mib}&runs={o.runs}"
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    proc = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--use-fake-ui-for-media-stream",
         "--allow-loopback-in-peer-connection",
         "--disable-features=WebRtcHideLocalIpsWithMdns", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    ok = finished.wait(900)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    shutil.rmtree(profile, ignore_errors=True)
    if not ok or "error" in got:
        print(f"chromium: {got.get('error', 'no result in time')}", file=sys.stderr)
        sys.exit(1)
    for k, v in got.items():
        print(f"RESULT\tchromium\t{k}\t{v:.4f}")


if __name__ == "__main__":
    main()
