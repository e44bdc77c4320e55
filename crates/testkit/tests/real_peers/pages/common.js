// Helpers shared by the self-test pages (served at /common.js).

// The selected candidate pair of `pc` with its local and remote candidates,
// from getStats(): Chromium names it on the transport, Firefox marks the pair.
async function selectedPair(pc) {
  const stats = await pc.getStats();
  const all = [...stats.values()];
  const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pairs = all.filter((s) => s.type === 'candidate-pair');
  const pair = transport
    ? stats.get(transport.selectedCandidatePairId)
    : pairs.find((p) => p.selected) || pairs.find((p) => p.nominated && p.state === 'succeeded');
  if (!pair) return null;
  const cand = (id) => {
    const c = stats.get(id);
    return c && { candidateType: c.candidateType, address: c.address, port: c.port,
                  protocol: c.protocol, relayProtocol: c.relayProtocol };
  };
  return { state: pair.state, local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId) };
}
