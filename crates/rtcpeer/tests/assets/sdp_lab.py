"""aiortc side of interop_sdp.rs: the same commands and replies as
sdp_lab.html (see there), over the testkit aiortc protocol."""

from peer_common import *
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
import re


def ufrag(desc):
    m = desc and re.search(r"a=ice-ufrag:(\S+)", desc.sdp)
    return m.group(1) if m else None


async def main():
    pc = peer_connection()
    data_channels = []

    @pc.on("datachannel")
    def on_datachannel(channel):
        data_channels.append(channel.label)

    def state():
        return {
            "signalingState": pc.signalingState,
            "localUfrag": ufrag(pc.localDescription),
            "remoteUfrag": ufrag(pc.remoteDescription),
            "transceivers": [
                {
                    "mid": t.mid,
                    "kind": t.kind,
                    "direction": t.direction,
                    "currentDirection": t.currentDirection,
                }
                for t in pc.getTransceivers()
            ],
        }

    def by_mid(mid):
        for t in pc.getTransceivers():
            if t.mid == mid:
                return t
        raise ValueError(f"no transceiver with mid {mid}")

    while True:
        cmd = await recv()
        op = cmd.get("op")
        reply = None
        try:
            if op == "addTrack":
                track = AudioStreamTrack() if cmd["kind"] == "audio" else VideoStreamTrack()
                pc.addTrack(track)
            elif op == "addTransceiver":
                pc.addTransceiver(cmd["kind"], direction=cmd["direction"])
            elif op == "setDirection":
                by_mid(cmd["mid"]).direction = cmd["direction"]
            elif op == "createDataChannel":
                pc.createDataChannel(cmd["label"])
            elif op == "offer":
                if cmd.get("iceRestart"):
                    raise NotImplementedError("aiortc has no ICE restart")
                await pc.setLocalDescription(await pc.createOffer())
                reply = description_json(pc.localDescription)
            elif op == "answer":
                await pc.setLocalDescription(await pc.createAnswer())
                reply = description_json(pc.localDescription)
            elif op == "remote":
                await pc.setRemoteDescription(description_from_json(cmd["description"]))
            elif op == "state":
                pass
            elif op == "finish":
                await pc.close()
                return {"dataChannels": data_channels}
            else:
                raise ValueError(f"unknown op {cmd!r}")
            send({"ok": True, "reply": reply, "state": state()})
        except Exception as e:  # noqa: BLE001 - every failure goes to the test
            log(f"op {op} failed: {type(e).__name__}: {e}")
            send({"ok": False, "error": f"{type(e).__name__}: {e}"})


run(main, timeout=120)
