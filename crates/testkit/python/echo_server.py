"""An echo server in aiortc following the webrtc-echoes convention: a client
POSTs its complete offer (RTCSessionDescriptionInit JSON) to /offer and gets
the answer back; every data-channel message is echoed on its channel, and
received audio/video is sent back. Listens on 127.0.0.1:$TESTKIT_ECHO_PORT,
tells the test {"listening": port}, and runs until the test sends anything
(or closes stdin). Reports {"ok": true, "offers": n, "echoed": n}.
"""

import os

from aiortc.contrib.media import MediaRelay

from peer_common import *

PORT = int(os.environ["TESTKIT_ECHO_PORT"])
pcs = set()
relay = MediaRelay()
stats = {"offers": 0, "echoed": 0}


async def answer(offer):
    pc = peer_connection()
    pcs.add(pc)

    @pc.on("datachannel")
    def on_datachannel(channel):
        @channel.on("message")
        def on_message(message):
            stats["echoed"] += 1
            channel.send(message)

    @pc.on("track")
    def on_track(track):
        pc.addTrack(relay.subscribe(track))

    await pc.setRemoteDescription(description_from_json(offer))
    await pc.setLocalDescription(await pc.createAnswer())
    stats["offers"] += 1
    return description_json(pc.localDescription)


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if method == "POST" and path == "/offer":
            try:
                status, reply = "200 OK", json.dumps(await answer(json.loads(body)))
            except Exception as e:  # noqa: BLE001 - a bad offer is the client's error
                log("bad offer:", repr(e))
                status, reply = "400 Bad Request", json.dumps({"error": str(e)})
        else:
            status, reply = "404 Not Found", json.dumps({"error": "not found"})
        data = reply.encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data
        )
        await writer.drain()
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT)
    send({"listening": PORT})
    try:
        await recv()
    except EOFError:
        pass
    server.close()
    for pc in list(pcs):
        await pc.close()
    return {"ok": True, **stats}


run(main, timeout=600)
