"""testkit's standard aiortc peer: the same protocol as the browsers'
/testkit/peer.html (see the Rust docs of `testkit::pages`).

The first message from the test is {"setup": {...}}: role ("offerer" |
"answerer"), config ({"iceServers": [...]}), channels, greet, echo, expect,
events, and hostAddresses (the addresses aioice offers; default 127.0.0.1;
Firefox needs the veth address 203.0.113.1). Commands: send, createChannel,
negotiate, close (no restartIce: aiortc has no ICE restart).
Then descriptions ({"type", "sdp"}) and candidates (RTCIceCandidateInit) both
ways; a channel spec (in channels and createChannel) is a label or
{"label", ...RTCDataChannelInit}; aiortc does half-trickle, so its descriptions carry its candidates and it
sends none separately. {"finish": true} or `expect` received messages ends it
with a report {ok, role, ua, received, counts, opened, channels,
maxMessageSize, connectionState}.
"""

import aiortc

from peer_common import *


def ice_servers(config):
    servers = []
    for s in (config or {}).get("iceServers", []):
        urls = s.get("urls", [])
        servers.append(
            RTCIceServer(
                urls=urls,
                username=s.get("username"),
                credential=s.get("credential"),
            )
        )
    return servers


async def main():
    first = await recv()
    setup = {
        "role": "answerer",
        "config": {},
        "channels": ["chat"],
        "greet": None,
        "echo": True,
        "expect": None,
        "events": False,
        "record": True,
    }
    setup.update(first.get("setup") or {})
    log("setup", json.dumps(setup))
    if setup.get("hostAddresses"):
        # The addresses aioice offers (peer_common's patch reads this list).
        HOST_ADDRESSES[:] = setup["hostAddresses"]
    ua = f"aiortc/{aiortc.__version__}"
    pc = peer_connection(ice_servers(setup["config"]))
    received = {}
    opened = []
    channels = {}
    counts = {}

    def create_channel(spec):
        if isinstance(spec, str):
            return pc.createDataChannel(spec)
        return pc.createDataChannel(
            spec["label"],
            ordered=spec.get("ordered", True),
            maxRetransmits=spec.get("maxRetransmits"),
            maxPacketLifeTime=spec.get("maxPacketLifeTime"),
            protocol=spec.get("protocol", ""),
            negotiated=spec.get("negotiated", False),
            id=spec.get("id"),
        )

    def describe(ch):
        return {
            "label": ch.label,
            "id": ch.id,
            "ordered": ch.ordered,
            "maxRetransmits": ch.maxRetransmits,
            "maxPacketLifeTime": ch.maxPacketLifeTime,
            "protocol": ch.protocol,
            "negotiated": ch.negotiated,
            "readyState": ch.readyState,
        }

    def emit(event, **fields):
        if setup["events"]:
            send({"event": event, **fields})
    finished = asyncio.Event()
    count = [0]

    @pc.on("connectionstatechange")
    def on_state():
        log("connection", pc.connectionState)
        emit("connectionState", state=pc.connectionState)

    def on_channel(ch):
        channels[ch.label] = ch
        greeted = [False]

        def on_open():
            if greeted[0]:
                return
            greeted[0] = True
            opened.append(ch.label)
            log("channel open", ch.label)
            emit("open", label=ch.label)
            if setup["greet"] is not None:
                ch.send(f"{setup['greet']} | from {ua}")

        ch.on("open", on_open)

        @ch.on("message")
        def on_message(message):
            text = message if isinstance(message, str) else f"[binary {len(message)} bytes]"
            c = counts.setdefault(ch.label, {"messages": 0, "bytes": 0})
            c["messages"] += 1
            c["bytes"] += len(message)
            if setup["record"]:
                received.setdefault(ch.label, []).append(text)
                emit("message", label=ch.label, data=text)
            count[0] += 1
            if setup["echo"]:
                ch.send(message)
            if setup["expect"] is not None and count[0] >= setup["expect"]:
                finished.set()

        if ch.readyState == "open":
            on_open()

    pc.on("datachannel", on_channel)

    async def reader():
        while True:
            m = await recv()
            if "type" in m and "sdp" in m:
                await pc.setRemoteDescription(description_from_json(m))
                emit("remoteDescription", type=m["type"])
                if m["type"] == "offer":
                    await pc.setLocalDescription(await pc.createAnswer())
                    send(description_json(pc.localDescription))
            elif "candidate" in m:
                await add_candidate_json(pc, m)
            elif m.get("finish"):
                finished.set()
            elif m.get("send"):
                ch = channels.get(m["send"]["label"])
                if ch is None or ch.readyState != "open":
                    raise RuntimeError(f"no open channel {m['send']['label']}")
                ch.send(m["send"]["data"])
            elif m.get("createChannel"):
                on_channel(create_channel(m["createChannel"]))
            elif m.get("negotiate"):
                await pc.setLocalDescription(await pc.createOffer())
                send(description_json(pc.localDescription))
            elif m.get("close"):
                await pc.close()
            else:
                log("ignored message", json.dumps(m))

    task = asyncio.ensure_future(reader())
    if setup["role"] == "offerer":
        for spec in setup["channels"]:
            on_channel(create_channel(spec))
        await pc.setLocalDescription(await pc.createOffer())
        send(description_json(pc.localDescription))
    if setup["expect"] == 0:
        finished.set()
    waiter = asyncio.ensure_future(finished.wait())
    await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
    if task.done() and task.exception() is not None:
        raise task.exception()
    # Give a last echo time to leave before closing.
    await asyncio.sleep(0.2)
    report = {
        "ok": True,
        "role": setup["role"],
        "ua": ua,
        "received": received,
        "counts": counts,
        "opened": opened,
        "channels": [describe(ch) for ch in channels.values()],
        # aiortc has no RTCSctpTransport.maxMessageSize: the peer's limit it obeys.
        "maxMessageSize": getattr(pc.sctp, "_remote_max_message_size", None),
        "connectionState": pc.connectionState,
    }
    task.cancel()
    await pc.close()
    return report


run(main)
