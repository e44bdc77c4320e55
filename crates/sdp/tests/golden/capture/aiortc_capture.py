import asyncio, sys, os
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ['203.0.113.1']
from aiortc import RTCPeerConnection, RTCSessionDescription, RTCConfiguration
OUT = sys.argv[1]
GOLDEN = sys.argv[2]
def save(name, sdp):
    open(os.path.join(OUT, 'aiortc-' + name), 'w').write(sdp)
async def main():
    cfg = RTCConfiguration(iceServers=[])
    # aiortc offers a data channel plus audio and video transceivers.
    pc = RTCPeerConnection(cfg)
    pc.createDataChannel('chat')
    pc.addTransceiver('audio', direction='recvonly')
    pc.addTransceiver('video', direction='recvonly')
    await pc.setLocalDescription(await pc.createOffer())
    save('offer.sdp', pc.localDescription.sdp)
    await pc.close()
    # aiortc answers offers captured from the browsers.
    for name in ['chromium-audiovideo-offer.sdp', 'firefox-audiovideo-offer.sdp', 'chromium-datachannel-offer.sdp', 'firefox-simulcast-offer.sdp']:
        pc = RTCPeerConnection(cfg)
        pc.on('track', lambda t: None)
        pc.on('datachannel', lambda c: None)
        await pc.setRemoteDescription(RTCSessionDescription(open(os.path.join(GOLDEN, name)).read(), 'offer'))
        await pc.setLocalDescription(await pc.createAnswer())
        save('answer-to-' + name, pc.localDescription.sdp)
        await pc.close()
asyncio.run(asyncio.wait_for(main(), 60))
