// The worker thread between the host and an outside controller (host.ts starts it). Two kinds:
// - module: starts the controller's confined child process (controller-process.mjs) and passes one
//   message per decision to it and its answer back;
// - http: posts the observation as JSON to the controller's URL and reads its JSON answer.
// Each answer goes back on the MessagePort, then the shared flag is raised and notified so a host
// blocked in Atomics.wait (the simulator decides synchronously) wakes up. Plain JavaScript: the
// worker must start without the TypeScript loader.

import { spawn } from 'node:child_process';
import { workerData } from 'node:worker_threads';

const { flag, port, kind, target, requestTimeoutMs, maxAnswerBytes, child: command, heapMb } = workerData;
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

/** Output a controller prints is its own; the end is kept to tell why its process died. */
const STDERR_TAIL_CHARS = 4_096;
/** What V8 prints when a process reaches its heap limit (--max-old-space-size). */
const HEAP_LIMIT_MESSAGE = /heap out of memory|Reached heap limit/;

/** Marks a non-finite number in a module controller's answer (controller-process.mjs). */
const NON_FINITE_KEY = '$bitgridNonFinite';

function revive(_key, value) {
  if (value !== null && typeof value === 'object' && typeof value[NON_FINITE_KEY] === 'string') {
    const keys = Object.keys(value);
    if (keys.length === 1) return Number(value[NON_FINITE_KEY]);
  }
  return value;
}

if (kind === 'module') {
  // The controller's own process, without this one's environment, filesystem or network (host.ts
  // builds its flags, controller-process.mjs takes the network away before loading the module).
  const child = spawn(command.file, command.args, {
    env: {},
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // JSON: faster than 'advanced' for an observation; answers come as JSON text (see revive).
    serialization: 'json',
  });
  let stderrTail = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS)));
  let loaded = false;
  /** Decision being waited for, or undefined. */
  let inFlight;
  child.on('spawn', () => reply({ type: 'spawned', pid: child.pid }));
  child.on('error', (e) => reply({ type: 'error', seq: inFlight, reason: 'load-failed', error: message(e) }));
  child.on('message', (m) => {
    if (m?.type === 'ready') loaded = true;
    if (m?.seq === inFlight) inFlight = undefined;
    if (m?.type !== 'answer') return reply(m);
    let action;
    try {
      action = m.json === undefined ? undefined : JSON.parse(m.json, revive);
    } catch (e) {
      return reply({ type: 'error', seq: m.seq, reason: 'invalid-answer', error: message(e) });
    }
    reply({ type: 'answer', seq: m.seq, action });
  });
  child.on('exit', (code, signal) => {
    // An exit nobody waits for (after close, or killed by the host) needs no answer.
    if (loaded && inFlight === undefined) return;
    const outOfMemory = HEAP_LIMIT_MESSAGE.test(stderrTail);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    reply({
      type: 'error',
      seq: inFlight,
      reason: outOfMemory ? 'out-of-memory' : loaded ? 'threw' : 'load-failed',
      error: outOfMemory
        ? `ran out of its ${heapMb} MB heap`
        : `the controller's process ended (${how})${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
    });
    inFlight = undefined;
  });
  port.on('message', (msg) => {
    inFlight = msg.seq;
    try {
      child.send(msg);
    } catch (e) {
      reply({ type: 'error', seq: msg.seq, reason: 'threw', error: `observation not sent: ${message(e)}` });
    }
  });
} else {
  reply({ type: 'ready' });
  port.on('message', async (msg) => {
    try {
      const action = await postJson(msg.observation);
      reply({ type: 'answer', seq: msg.seq, action });
    } catch (e) {
      reply({ type: 'error', seq: msg.seq, reason: e?.reason ?? 'threw', error: message(e) });
    }
  });
}
