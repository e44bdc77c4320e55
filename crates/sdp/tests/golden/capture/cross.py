"""Writes cross.html: a page that answers offers captured from other peers.

Usage: cross.py GOLDEN_DIR OUT_HTML
The page gets `?b=<browser>` and POSTs `<browser>-answer-to-<offer file>`.
"""
import json
import sys

GOLDEN, OUT = sys.argv[1], sys.argv[2]
OFFERS = {
    'chromium': ['firefox-audiovideo-offer.sdp', 'firefox-datachannel-offer.sdp', 'aiortc-offer.sdp'],
    'firefox': ['chromium-audiovideo-offer.sdp', 'chromium-datachannel-offer.sdp', 'aiortc-offer.sdp'],
}
offers = {b: {n: open(f'{GOLDEN}/{n}').read() for n in names} for b, names in OFFERS.items()}
page = '''<html><body><script>
const B = new URLSearchParams(location.search).get('b');
const OFFERS = %s;
async function post(n, t) { await fetch('/' + n, {method: 'POST', body: t}); }
(async () => {
  const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  for (const [name, sdp] of Object.entries(OFFERS[B])) {
    try {
      const pc = new RTCPeerConnection();
      pc.ondatachannel = () => {};
      await pc.setRemoteDescription({type: 'offer', sdp});
      for (const t of pc.getTransceivers()) {
        const track = s.getTracks().find(k => k.kind === t.receiver.track.kind);
        if (track) { await t.sender.replaceTrack(track); t.direction = 'sendrecv'; }
      }
      const a = await pc.createAnswer();
      await post(B + '-answer-to-' + name, a.sdp);
      pc.close();
    } catch (e) { await post(B + '-' + name + '-error.txt', String(e)); }
  }
  await post('done', '');
})();
</script></body></html>''' % json.dumps(offers)
open(OUT, 'w').write(page)
