// The worker thread an outside controller runs in (host.ts starts it). Two kinds:
// - module: imports the controller's ES module and calls its decide(observation);
// - http: posts the observation as JSON to the controller's URL and reads its JSON answer.
// Each answer goes back on the MessagePort, then the shared flag is raised and notified so a host
// blocked in Atomics.wait (the simulator decides synchronously) wakes up. Plain JavaScript: the
// worker must start without the TypeScript loader.

import { workerData } from 'node:worker_threads';

const { flag, port, kind, target, requestTimeoutMs, maxAnswerBytes } = workerData;
const signal = new Int32Array(flag);

function message(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return `threw ${typeof e}: ${String(e)}`.slice(0, 500);
  } catch {
    return `threw ${typeof e}`;
  }
}

function reply(msg) {
  try {
    port.postMessage(msg);
  } catch (e) {
    // An answer that cannot be copied (a function, a symbol) is an invalid answer, not a crash.
    port.postMessage({ type: 'error', seq: msg.seq, reason: 'invalid-answer', error: message(e) });
  }
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

async function postJson(observation) {
  let res;
  try {
    res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(observation),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (e) {
    const err = new Error(`no answer from ${target}: ${e?.cause?.message ?? e?.message ?? e}`);
    err.reason = e?.name === 'TimeoutError' ? 'timeout' : 'unreachable';
    throw err;
  }
  const chunks = [];
  let bytes = 0;
  const reader = res.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxAnswerBytes) {
      await reader.cancel();
      const err = new Error(`answer larger than ${maxAnswerBytes} bytes`);
      err.reason = 'invalid-answer';
      throw err;
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!res.ok) {
    const err = new Error(`HTTP ${res.status} from ${target}: ${text.slice(0, 200)}`);
    err.reason = 'threw';
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const err = new Error(`the answer is not JSON (${e.message}): ${JSON.stringify(text.slice(0, 80))}`);
    err.reason = 'invalid-answer';
    throw err;
  }
}

let decide;
if (kind === 'module') {
  // Accidents an imported module could cause beyond its own thread.
  for (const name of ['kill', 'dlopen', 'binding', '_linkedBinding', 'setuid', 'setgid', 'chdir']) {
    if (!(name in process)) continue;
    try {
      Object.defineProperty(process, name, {
        value: () => {
          throw new Error(`process.${name} is not available to a controller`);
        },
        writable: false,
        configurable: false,
      });
    } catch {
      // A Node version where it cannot be replaced: the controller keeps it (see docs/testbed.md).
    }
  }
  try {
    const mod = await import(target);
    decide = mod.decide ?? mod.default?.decide;
    if (typeof decide !== 'function') throw new Error('the module exports no decide(observation) function');
    reply({ type: 'ready' });
  } catch (e) {
    reply({ type: 'error', reason: 'load-failed', error: message(e) });
  }
} else {
  decide = postJson;
  reply({ type: 'ready' });
}

port.on('message', async (msg) => {
  try {
    const action = await decide(msg.observation);
    reply({ type: 'answer', seq: msg.seq, action });
  } catch (e) {
    reply({ type: 'error', seq: msg.seq, reason: e?.reason ?? 'threw', error: message(e) });
  }
});
