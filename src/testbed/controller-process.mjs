// The child process an outside ES-module controller runs in (the broker in controller-worker.mjs
// starts it; host.ts chooses its flags). Node's permission model already denies it file reads
// beyond its own module and this file, all file writes, child processes, worker threads, native
// addons and the inspector; its environment is empty. The permission model does not cover the
// network, so before the controller's module is imported this file takes the network away from
// JavaScript: every way the standard library offers to open, accept or resolve a connection throws,
// `fetch`, `WebSocket` and `EventSource` are gone, and none of it can be put back (the properties are
// not writable and the originals are kept nowhere). Then one message per decision comes in over the
// IPC channel and its answer goes back. Plain JavaScript: it starts without the TypeScript loader.
//
// argv: [controller file URL, run memory MB, decision memory MB]

import { syncBuiltinESMExports } from 'node:module';
import { createRequire } from 'node:module';
import { getHeapStatistics } from 'node:v8';

const require = createRequire(import.meta.url);
const [target, runMemoryArg, decisionMemoryArg] = process.argv.slice(2);
const runMemoryMb = Number(runMemoryArg);
const decisionMemoryMb = Number(decisionMemoryArg);
const BYTES_PER_MB = 1024 * 1024;

/** Set for a controller's access that confinement refuses; `code` as Node's own permission errors. */
class ConfinementError extends Error {
  constructor(what) {
    super(`${what} is not available to a controller (the test bed runs it without network)`);
    this.name = 'Error';
    this.code = 'ERR_ACCESS_DENIED';
  }
}

/** Properties locked already (dns.promises is the dns/promises module: met twice). */
const locked = new WeakMap();

function deny(obj, key, what) {
  if (!obj) return;
  const done = locked.get(obj) ?? new Set();
  if (done.has(key)) return;
  const denied = function () {
    throw new ConfinementError(what);
  };
  // Throws if Node ever makes one of these unconfigurable: the controller is then not started
  // (load-failed) rather than started with the network in reach.
  Object.defineProperty(obj, key, { value: denied, writable: false, configurable: false, enumerable: true });
  done.add(key);
  locked.set(obj, done);
}

// The network, module by module: what opens, accepts or resolves; the prototypes' connect and
// listen too, since a socket made with `new net.Socket()` would otherwise connect on its own.
const net = require('node:net');
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const tls = require('node:tls');
const dgram = require('node:dgram');
const dns = require('node:dns');
const dnsPromises = require('node:dns/promises');

for (const k of ['connect', 'createConnection', 'createServer']) deny(net, k, `net.${k}`);
for (const k of ['connect', '_connect'])
  if (k in net.Socket.prototype) deny(net.Socket.prototype, k, `net.Socket#${k}`);
for (const k of ['listen', '_listen2'])
  if (k in net.Server.prototype) deny(net.Server.prototype, k, `net.Server#${k}`);
for (const m of [
  ['http', http],
  ['https', https],
]) {
  for (const k of ['request', 'get', 'createServer']) deny(m[1], k, `${m[0]}.${k}`);
  deny(m[1].Agent.prototype, 'createConnection', `${m[0]}.Agent#createConnection`);
}
for (const k of ['connect', 'createServer', 'createSecureServer']) deny(http2, k, `http2.${k}`);
for (const k of ['connect', 'createServer']) deny(tls, k, `tls.${k}`);
// A dgram socket holds its UDP handle from construction (send binds it on demand), so no socket at all.
for (const k of ['createSocket', 'Socket']) deny(dgram, k, `dgram.${k}`);
// DNS queries leave the machine too (and carry data out in the names they ask for).
for (const [name, m] of [
  ['dns', dns],
  ['dns/promises', dnsPromises],
]) {
  for (const k of Object.keys(m)) if (typeof m[k] === 'function') deny(m, k, `${name}.${k}`);
}
if (dns.promises)
  for (const k of Object.keys(dns.promises))
    if (typeof dns.promises[k] === 'function') deny(dns.promises, k, `dns.promises.${k}`);
// `import { connect } from 'node:net'` sees the locked functions as well.
syncBuiltinESMExports();

for (const k of ['fetch', 'WebSocket', 'EventSource']) {
  if (!(k in globalThis)) continue;
  const what = k;
  Object.defineProperty(globalThis, k, {
    get() {
      throw new ConfinementError(what);
    },
    configurable: false,
  });
}

// The IPC channel is the controller's only way out: kept here, and process.send is not its to use.
if (typeof process.send !== 'function')
  throw new Error(
    'controller-process.mjs: started without an IPC channel; the test bed host (host.ts) starts it',
  );
const send = process.send.bind(process);
const onMessage = process.on.bind(process, 'message');
for (const k of [
  'send',
  'kill',
  'dlopen',
  'binding',
  '_linkedBinding',
  'setuid',
  'setgid',
  'seteuid',
  'setegid',
  'setgroups',
]) {
  if (k in process) deny(process, k, `process.${k}`);
}

function message(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return `threw ${typeof e}: ${String(e)}`.slice(0, 500);
  } catch {
    return `threw ${typeof e}`;
  }
}

function reply(msg) {
  send(msg);
}

/** Marks a number JSON cannot carry (NaN, ±Infinity), so the host's schema check sees it as answered. */
const NON_FINITE_KEY = '$bitgridNonFinite';

/**
 * The answer as JSON text (the IPC channel's JSON is about twice as fast as its structured clone
 * for an observation), keeping what JSON would silently lose: a non-finite number is marked, and a
 * function, symbol or bigint is refused with where it is.
 */
function encode(action) {
  return JSON.stringify(action, function (key, value) {
    if (typeof value === 'number' && !Number.isFinite(value)) return { [NON_FINITE_KEY]: String(value) };
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint')
      throw new TypeError(`the answer holds a ${typeof value} at key "${key}", which JSON cannot carry`);
    return value;
  });
}

/** Memory the controller holds: its JavaScript heap and the memory outside it (Buffers), bytes. */
function heldBytes() {
  // Not process.memoryUsage(): that also reads the resident set size from the OS, every decision.
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

// The channel closing means the host is gone: nothing left to decide for.
process.on('disconnect', () => process.exit(0));

let decide;
try {
  const mod = await import(target);
  decide = mod.decide ?? mod.default?.decide;
  if (typeof decide !== 'function') throw new Error('the module exports no decide(observation) function');
} catch (e) {
  reply({ type: 'error', reason: 'load-failed', error: message(e) });
}

if (decide) {
  onMessage(async (msg) => {
    const before = heldBytes();
    let action;
    try {
      action = await decide(msg.observation);
    } catch (e) {
      reply({ type: 'error', seq: msg.seq, reason: 'threw', error: message(e) });
      return;
    }
    const after = heldBytes();
    const grownMb = (after - before) / BYTES_PER_MB;
    if (grownMb > decisionMemoryMb) {
      reply({
        type: 'error',
        seq: msg.seq,
        reason: 'out-of-memory',
        error: `the decision grew its memory by ${grownMb.toFixed(0)} MB, over its limit of ${decisionMemoryMb} MB per decision`,
      });
      return;
    }
    // The heap limit (--max-old-space-size) stops a flood of objects while it happens; Buffers and
    // ArrayBuffers live outside that heap, so the run's limit is checked on both after each decision.
    if (after / BYTES_PER_MB > runMemoryMb) {
      reply({
        type: 'error',
        seq: msg.seq,
        reason: 'out-of-memory',
        error: `holds ${(after / BYTES_PER_MB).toFixed(0)} MB of heap and buffers, over its limit of ${runMemoryMb} MB per run`,
      });
      return;
    }
    let json;
    try {
      json = encode(action);
    } catch (e) {
      reply({ type: 'error', seq: msg.seq, reason: 'invalid-answer', error: message(e) });
      return;
    }
    reply({ type: 'answer', seq: msg.seq, json });
  });
  reply({ type: 'ready' });
}
