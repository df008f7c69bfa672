import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { toIsoLocal } from '../../src/model/time.ts';
import { startTestServer, type TestServer } from './fixture.ts';
import { inbox, opened } from './ws.ts';

// The live stream with real clients: a `ws` WebSocket and a streaming fetch for SSE. Each gets the
// snapshot on connect, then a delta when the live system publishes one.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.close());

function wsUrl(path: string) {
  return srv.url.replace(/^http/, 'ws') + path;
}

async function until(cond: () => boolean, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebSocket stream', () => {
  it('sends the snapshot on connect, then a delta with ISO-renamed time keys', async () => {
    const ws = new WebSocket(wsUrl('/api/stream'), {
      headers: { authorization: `Bearer ${srv.tokens.viewer}` },
    });
    const box = inbox(ws);
    await opened(ws);
    const snap = await box.next();
    expect(snap.type).toBe('snapshot');
    expect(snap.seq).toBe(0);
    expect(snap.state.districtName).toBe(srv.scenario.scenario.name);
    expect(Object.keys(snap.state.assets)).toContain('factory-pv');
    const t = srv.live.timeMs;
    srv.live.step('factory-pv', 'power_kw', 1234.5);
    const delta = await box.next();
    expect(delta.type).toBe('delta');
    expect(delta.seq).toBe(1);
    expect(delta.changes['assets.factory-pv.measurements.power_kw.value']).toBe(1234.5);
    expect(delta.changes['assets.factory-pv.measurements.power_kw.time']).toBe(
      toIsoLocal(t + 60_000, 'Asia/Seoul'),
    );
    expect(delta.changes.time).toBe(toIsoLocal(t + 60_000, 'Asia/Seoul'));
    expect(delta.changes).not.toHaveProperty('timeMs');
    expect(delta.changes.cycle).toBe(srv.live.cycle);
    // Applying the delta to the snapshot gives the state the API now serves.
    const state = structuredClone(snap.state);
    for (const [k, v] of Object.entries(delta.changes)) {
      const path = k.split('.');
      let o = state;
      for (const p of path.slice(0, -1)) o = o[p] ??= {};
      o[path.at(-1)!] = v;
    }
    const now = await (
      await fetch(`${srv.url}/api/state`, { headers: { authorization: `Bearer ${srv.tokens.viewer}` } })
    ).json();
    expect(state).toEqual(now);
    ws.close();
    await until(() => srv.live.listenerCount === 0);
  });

  it('accepts the token as a query parameter (browsers cannot set headers)', async () => {
    const ws = new WebSocket(wsUrl(`/api/stream?token=${encodeURIComponent(srv.tokens.viewer)}`));
    const box = inbox(ws);
    await opened(ws);
    expect((await box.next()).type).toBe('snapshot');
    ws.close();
    await until(() => srv.live.listenerCount === 0);
  });

  it('refuses the upgrade without a valid token (401) and never subscribes', async () => {
    const listeners = srv.live.listenerCount;
    for (const url of [wsUrl('/api/stream'), wsUrl('/api/stream?token=bgt_nope')]) {
      const ws = new WebSocket(url);
      const status = await new Promise<number>((resolve, reject) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => reject(new Error('should not open')));
        ws.once('error', () => undefined);
      });
      expect(status).toBe(401);
    }
    expect(srv.live.listenerCount).toBe(listeners);
  });

  it('ends open streams when the server closes', async () => {
    const other = await startTestServer();
    const ws = new WebSocket(other.url.replace(/^http/, 'ws') + '/api/stream', {
      headers: { authorization: `Bearer ${other.tokens.viewer}` },
    });
    const box = inbox(ws);
    await opened(ws);
    await box.next();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await other.close();
    expect(await closed).toBe(1001);
    expect(other.live.listenerCount).toBe(0);
  });
});

/** Reads SSE events from a fetch body. */
async function* sseEvents(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const m = /^([a-z]+): ?(.*)$/.exec(line);
        if (m) ev[m[1]] = m[2];
      }
      if (ev.event) yield ev;
    }
  }
}

describe('SSE stream', () => {
  it('sends a snapshot event, then delta events, with the token in the query', async () => {
    const ac = new AbortController();
    const res = await fetch(`${srv.url}/api/stream/sse?token=${encodeURIComponent(srv.tokens.viewer)}`, {
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(res.body!);
    const first = (await events.next()).value!;
    expect(first.event).toBe('snapshot');
    expect(first.id).toBe('0');
    expect(JSON.parse(first.data).state.assets['shared-battery'].type).toBe('battery');
    srv.live.step('shared-battery', 'soc_fraction', 0.77);
    const second = (await events.next()).value!;
    expect(second.event).toBe('delta');
    expect(JSON.parse(second.data).changes['assets.shared-battery.measurements.soc_fraction.value']).toBe(
      0.77,
    );
    ac.abort();
    await until(() => srv.live.listenerCount === 0);
  });

  it('ends the event stream when the server closes, so closing does not hang', async () => {
    const other = await startTestServer();
    const res = await fetch(`${other.url}/api/stream/sse`, {
      headers: { authorization: `Bearer ${other.tokens.viewer}` },
    });
    const events = sseEvents(res.body!);
    expect((await events.next()).value!.event).toBe('snapshot');
    const started = Date.now();
    await other.close();
    expect((await events.next()).done).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(other.live.listenerCount).toBe(0);
  });

  it('answers 401 before streaming when the token is missing', async () => {
    const res = await fetch(`${srv.url}/api/stream/sse`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'BITGRID_ERR_UNAUTHENTICATED',
    );
  });
});
