// testkit page helper: served at /testkit.js by testkit::http::SignalingServer.
// Include it first: <script src="/testkit.js"></script>. It defines globals:
//   signal.send(obj)        send a JSON message to the Rust test (in order)
//   await signal.recv()     next JSON message from the Rust test
//   log(...)                console.log (every console line reaches the test)
//   done(result)            report success with a JSON result; ends the page's part
//   fail(err)               report failure (uncaught errors and rejections do too)
//   run(async () => {...})  run a scenario: done(its return value) or fail(its error)
//   sleep(ms), waitFor(() => cond, what, ms)
//   await selectedPair(pc)  the selected candidate pair and its candidates (getStats)
// The peer's name comes from the page URL's ?peer= parameter.
(function () {
  'use strict';
  const peer = new URLSearchParams(location.search).get('peer') || 'default';
  const enc = encodeURIComponent(peer);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const show = (x) => {
    if (typeof x === 'string') return x;
    if (x instanceof Error) return x.stack ? String(x) + '\n' + x.stack : String(x);
    if (x && typeof x === 'object' && 'name' in x && 'message' in x) return x.name + ': ' + x.message;
    try { return JSON.stringify(x); } catch (e) { return String(x); }
  };
  const text = (args) => Array.from(args).map(show).join(' ');
  const post = (path, body) => fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // One chain per direction keeps messages in the order they were made.
  let logChain = Promise.resolve();
  let sendChain = Promise.resolve();
  const sendLog = (level, line) => {
    logChain = logChain.then(() => post('/log/' + enc, { level, text: line })).catch(() => {});
    return logChain;
  };
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const orig = console[level].bind(console);
    console[level] = (...args) => { orig(...args); sendLog(level, text(args)); };
  }
  const inbox = [];
  const waiters = [];
  let polling = false;
  async function poll() {
    for (;;) {
      try {
        const r = await fetch('/signal/' + enc + '/from-test');
        if (r.status === 200) {
          const msg = await r.json();
          if (waiters.length) waiters.shift()(msg); else inbox.push(msg);
        } else if (r.status !== 204) {
          await sleep(200);
        }
      } catch (e) {
        await sleep(200);
      }
    }
  }
  const signal = {
    send(obj) {
      const body = JSON.parse(JSON.stringify(obj)); // RTCSessionDescription etc. via toJSON
      sendChain = sendChain.then(() => post('/signal/' + enc + '/to-test', body)).catch(() => {});
      return sendChain;
    },
    recv() {
      if (!polling) { polling = true; poll(); }
      if (inbox.length) return Promise.resolve(inbox.shift());
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
  let finished = false;
  async function finish(body) {
    if (finished) return;
    finished = true;
    await sendChain;
    await logChain;
    await post('/result/' + enc, body);
  }
  const done = (result) => finish({ done: result === undefined ? null : result });
  const fail = (err) => finish({ fail: show(err) });
  const log = (...args) => console.log(...args);
  async function waitFor(cond, what, ms) {
    const until = Date.now() + (ms || 30000);
    while (!cond()) {
      if (Date.now() > until) throw new Error('timed out waiting for ' + (what || 'a condition'));
      await sleep(20);
    }
  }
  // The selected candidate pair of `pc` with its local and remote candidates:
  // Chromium names it on the transport stats, Firefox marks the pair.
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
  function run(scenario) {
    Promise.resolve().then(scenario).then(done, (e) => { console.error(show(e)); return fail(e); });
  }
  window.addEventListener('error', (e) => fail('uncaught error: ' + e.message + ' at ' + e.filename + ':' + e.lineno + (e.error && e.error.stack ? '\n' + e.error.stack : '')));
  window.addEventListener('unhandledrejection', (e) => fail('unhandled promise rejection: ' + show(e.reason)));
  window.testkit = { peer, signal, log, done, fail, run, sleep, waitFor, selectedPair };
  Object.assign(window, { signal, log, done, fail, run, sleep, waitFor, selectedPair });
})();
