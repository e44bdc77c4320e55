"""Shared prelude for aiortc scenario scripts run by `testkit::aiortc`.

A scenario script looks like:

    from peer_common import *

    async def main():
        pc = peer_connection()
        ...
        send(description_json(pc.localDescription))   # to the Rust test
        answer = await recv()                          # from the Rust test
        ...
        return {"ok": True}                            # becomes done({...})

    run(main)

Protocol with the test (JSON lines): stdout carries only `{"signal": obj}`,
`{"done": value}` and `{"fail": "message"}`; stdin carries the test's messages,
one JSON object per line; everything else (log(), stray prints, tracebacks)
goes to stderr, which the test keeps as the script's log.
"""

import asyncio
import json
import os
import sys
import traceback

import aioice.ice

# aioice never offers loopback addresses and has no option for it; inside the
# test's network namespace loopback (or the veth address) is all there is.
HOST_ADDRESSES = [
    a.strip()
    for a in os.environ.get("TESTKIT_HOST_ADDRESSES", "127.0.0.1").split(",")
    if a.strip()
]
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(HOST_ADDRESSES)

from aiortc import (  # noqa: E402  (after the patch above)
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp  # noqa: E402

__all__ = [
    "HOST_ADDRESSES",
    "RTCConfiguration",
    "RTCIceServer",
    "RTCPeerConnection",
    "RTCSessionDescription",
    "add_candidate_json",
    "asyncio",
    "configuration",
    "description_from_json",
    "description_json",
    "done",
    "fail",
    "json",
    "log",
    "peer_connection",
    "recv",
    "run",
    "send",
]

# Keep the real stdout for protocol lines; anything printed goes to stderr.
_protocol_out = sys.stdout
sys.stdout = sys.stderr
_stdin_reader = None
_finished = False


def _emit(obj):
    _protocol_out.write(json.dumps(obj) + "\n")
    _protocol_out.flush()


def log(*args):
    """A line in the script's log (stderr)."""
    print(*args, file=sys.stderr, flush=True)


def send(obj):
    """Send a JSON-serialisable message to the Rust test."""
    _emit({"signal": obj})


async def recv():
    """The next JSON message from the Rust test."""
    global _stdin_reader
    if _stdin_reader is None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
        )
        _stdin_reader = reader
    while True:
        line = await _stdin_reader.readline()
        if not line:
            raise EOFError("the test closed the script's stdin")
        line = line.strip()
        if line:
            return json.loads(line)


def done(value=None):
    """Report success with a JSON-serialisable value (first outcome counts)."""
    global _finished
    if not _finished:
        _finished = True
        _emit({"done": value})


def fail(err):
    """Report failure (first outcome counts)."""
    global _finished
    if not _finished:
        _finished = True
        _emit({"fail": str(err)})


def configuration(ice_servers=()):
    """An RTCConfiguration with exactly these ICE servers (default: none, so
    aiortc never contacts a public STUN server)."""
    return RTCConfiguration(iceServers=list(ice_servers))


def peer_connection(ice_servers=()):
    """A new RTCPeerConnection with `configuration(ice_servers)`."""
    return RTCPeerConnection(configuration(ice_servers))


def description_json(desc):
    """RTCSessionDescription -> the browsers' JSON form."""
    return {"type": desc.type, "sdp": desc.sdp}


def description_from_json(obj):
    """The browsers' JSON form -> RTCSessionDescription."""
    return RTCSessionDescription(sdp=obj["sdp"], type=obj["type"])


async def add_candidate_json(pc, obj):
    """Add a trickled browser candidate (`RTCIceCandidateInit` JSON). Empty
    candidates (end of candidates) are ignored: aiortc does half-trickle."""
    text = obj.get("candidate") or ""
    if not text:
        return
    if text.startswith("candidate:"):
        text = text[len("candidate:"):]
    cand = candidate_from_sdp(text)
    cand.sdpMid = obj.get("sdpMid")
    cand.sdpMLineIndex = obj.get("sdpMLineIndex")
    await pc.addIceCandidate(cand)


def run(scenario, timeout=60):
    """Run `await scenario()`; report its return value with done(), or its
    exception (with traceback) with fail(). Then exit at once: a stuck
    transport must not keep the process alive."""
    async def main():
        return await asyncio.wait_for(scenario(), timeout)

    code = 0
    try:
        done(asyncio.run(main()))
    except BaseException as e:  # noqa: BLE001 - every failure is reported
        log(traceback.format_exc())
        fail(f"{type(e).__name__}: {e}")
        code = 1
    sys.stderr.flush()
    os._exit(code)
