import { create } from 'zustand';
import type { AssetLive, LiveState, Measured, MeasurementName, StreamKey } from './api.ts';
import { isSessionStreamKey, measurementOfKey } from '../../src/model/measurements.ts';

// The live snapshot kept current from /api/stream: the full state on connect, then flat key deltas
// (`assets.factory-pv.measurements.power_kw.value`) applied with path copying so React sees new
// objects exactly where something changed. A gap in `seq` means a lost message: reconnect.

/** Wait before reconnecting after the stream drops (the SSE endpoint advises 2 s as well). */
const RECONNECT_MS = 2_000;

export type StreamStatus = 'connecting' | 'open' | 'closed';

interface LiveStore {
  state: LiveState | null;
  status: StreamStatus;
  /** Browser time of the last message, for the "updated" indicator. */
  lastMessageMs: number;
  messages: number;
}

export const useLive = create<LiveStore>(() => ({
  state: null,
  status: 'closed',
  lastMessageMs: 0,
  messages: 0,
}));

/** An asset's measurements as [stream key, value] pairs (Object.entries would type keys as strings). */
export function measurementEntries(a: AssetLive): [StreamKey, Measured][] {
  return Object.entries(a.measurements).filter((e): e is [StreamKey, Measured] => e[1] !== undefined);
}

/**
 * Per-transaction measurements (`session_energy_kwh@<charger>/tx:<id>`) name one key per charging
 * session. The dashboard reads sessions from /api/charging-sessions instead and drops these keys
 * (isSessionStreamKey, in snapshots and in delta keys alike), so the state it holds stays bounded.
 */
function withoutSessionKeys(s: LiveState): LiveState {
  const assets: LiveState['assets'] = {};
  for (const [id, a] of Object.entries(s.assets)) {
    const measurements: AssetLive['measurements'] = {};
    for (const [k, v] of measurementEntries(a)) if (!isSessionStreamKey(k)) measurements[k] = v;
    assets[id] = { ...a, measurements };
  }
  return { ...s, assets };
}

/** Sets (or, for null, removes) one dotted path, copying every object on the way. */
export function applyDelta<T extends object>(root: T, changes: Record<string, unknown>): T {
  const out = { ...root } as Record<string, unknown>;
  const copied = new Set<object>([out]);
  for (const [key, value] of Object.entries(changes)) {
    const parts = key.split('.');
    let node = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const k = parts[i];
      const child = node[k];
      let next: Record<string, unknown>;
      if (child && typeof child === 'object' && !Array.isArray(child)) {
        next = copied.has(child)
          ? (child as Record<string, unknown>)
          : { ...(child as Record<string, unknown>) };
      } else next = {};
      copied.add(next);
      node[k] = next;
      node = next;
    }
    const last = parts[parts.length - 1];
    if (value === null) delete node[last];
    else node[last] = value;
  }
  return out as T;
}

let socket: WebSocket | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let wanted = false;

export function connectLive(token: string): void {
  wanted = true;
  clearTimeout(timer);
  socket?.close();
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${proto}://${location.host}/api/stream?token=${encodeURIComponent(token)}`);
  socket = ws;
  let seq = -1;
  useLive.setState({ status: 'connecting' });
  ws.onopen = () => useLive.setState({ status: 'open' });
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data)) as
      | { type: 'snapshot'; seq: number; state: LiveState }
      | { type: 'delta'; seq: number; changes: Record<string, unknown> };
    if (m.type === 'snapshot') {
      seq = m.seq;
      useLive.setState((s) => ({
        state: withoutSessionKeys(m.state),
        lastMessageMs: Date.now(),
        messages: s.messages + 1,
      }));
      return;
    }
    if (m.seq !== seq + 1) {
      ws.close(); // lost a message: a fresh snapshot on reconnect
      return;
    }
    seq = m.seq;
    const changes = Object.fromEntries(Object.entries(m.changes).filter(([k]) => !isSessionStreamKey(k)));
    useLive.setState((s) => ({
      state: s.state ? applyDelta(s.state, changes) : s.state,
      lastMessageMs: Date.now(),
      messages: s.messages + 1,
    }));
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    useLive.setState({ status: 'closed' });
    if (wanted) timer = setTimeout(() => connectLive(token), RECONNECT_MS);
  };
}

export function disconnectLive(): void {
  wanted = false;
  clearTimeout(timer);
  socket?.close();
  socket = null;
  useLive.setState({ state: null, status: 'closed' });
}

/**
 * An asset's power, kW in its natural sign: `power_kw` when it reports one, else the sum of its
 * per-channel `power_kw@…` values (charger fleets report per charge point).
 */
export function assetPowerKw(a: AssetLive | undefined): number {
  if (!a) return 0;
  const direct = a.measurements.power_kw;
  if (direct) return direct.value;
  let sum = 0;
  for (const [k, v] of measurementEntries(a)) if (k.startsWith('power_kw@')) sum += v.value;
  return sum;
}

/** Per-channel measurements (`name@channel`) grouped by channel. */
export function channels(a: AssetLive): Map<string, Partial<Record<MeasurementName, number>>> {
  const out = new Map<string, Partial<Record<MeasurementName, number>>>();
  for (const [k, v] of measurementEntries(a)) {
    const at = k.indexOf('@');
    if (at < 0) continue;
    const ch = k.slice(at + 1);
    const rec = out.get(ch) ?? {};
    rec[measurementOfKey(k)] = v.value;
    out.set(ch, rec);
  }
  return out;
}
