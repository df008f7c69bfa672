import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApiWorker, type ApiWorkerHandle } from '../../src/server/api-host.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { referenceScenario, T0_MS, TestLive } from './fixture.ts';

// The API in its own worker thread (what `serve` runs): reads come from the mirror the control side
// pushes, writes are carried out by the control side's live system, streams get each cycle's delta,
// and a worker that dies is started again on the same address without the live system noticing.

let dir: string;
let store: Store;
let live: TestLive;
let api: ApiWorkerHandle;
const tokens: Record<string, string> = {};

async function get(path: string, token = tokens.viewer) {
  const r = await fetch(api.address + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function send(method: string, path: string, body: unknown, token = tokens.operator) {
  const r = await fetch(api.address + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bitgrid-apiw-'));
  const storeUrl = `sqlite:${join(dir, 'live.db')}`;
  store = await openStore(storeUrl);
  const scenario = referenceScenario();
  live = new TestLive(scenario, store);
  for (const role of ['viewer', 'operator'] as const)
    tokens[role] = (await store.createToken({ name: `w-${role}`, role, createdMs: T0_MS })).token;
  api = await startApiWorker({
    live,
    now: () => live.timeMs,
    clockPerWall: 1,
    log: pino({ level: 'silent' }),
    scenarioFile: scenario.file,
    storeUrl,
    storeBaseDir: dir,
    host: '127.0.0.1',
    port: 0,
  });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('API worker', () => {
  it('answers from the live state the control side pushes, streams deltas, and forwards writes', async () => {
    const first = await get('/api/state');
    expect(first.status).toBe(200);
    expect(first.body.cycle).toBe(0);

    const ws = new WebSocket(`${api.address.replace('http', 'ws')}/api/stream?token=${tokens.viewer}`);
    const messages: { type: string; changes?: Record<string, unknown> }[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));
    while (!messages.some((m) => m.type === 'snapshot')) await new Promise((r) => setTimeout(r, 20));

    // One control cycle on the control side: the stream gets its delta, and reads see it.
    live.step('shared-battery', 'power_kw', 432.1);
    const key = 'assets.shared-battery.measurements.power_kw.value';
    const deadline = Date.now() + 10_000;
    while (!messages.some((m) => m.changes?.[key] === 432.1) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(messages.find((m) => m.type === 'delta')?.changes?.[key]).toBe(432.1);
    const after = await get('/api/state');
    expect(after.body.cycle).toBe(1);
    ws.close();

    // A write is carried out by the control side's live system; a read right after it sees it.
    const ok = await send('POST', '/api/overrides', {
      assetId: 'shared-battery',
      kind: 'battery_power_kw',
      value: 500,
      durationMinutes: 30,
      reason: 'test through the worker',
    });
    expect(ok.status).toBe(201);
    expect(live.overrides().map((o) => o.id)).toContain(ok.body.id);
    const listed = await get('/api/overrides');
    expect((listed.body.overrides as { id: string }[]).map((o) => o.id)).toContain(ok.body.id);

    // A refusal keeps its kind across the thread boundary: a guard error naming the field.
    const refused = await send('POST', '/api/overrides', {
      assetId: 'shared-battery',
      kind: 'battery_power_kw',
      value: 1e9,
      durationMinutes: 30,
      reason: 'beyond the battery',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'BITGRID_ERR_GUARD', field: 'value' });
  });

  it('starts a worker that died again on the same address, while the live side goes on', async () => {
    const address = api.address;
    const restarted = api.nextStart();
    await api.worker()!.terminate();
    // The live side keeps its cycles while no API runs.
    live.step('shared-battery', 'power_kw', 100);
    live.step('shared-battery', 'power_kw', 200);
    await restarted;
    expect(api.restarts).toBe(1);
    expect(api.address).toBe(address);
    const r = await get('/api/state');
    expect(r.status).toBe(200);
    expect(r.body.cycle).toBe(live.cycle);
  }, 60_000);
});
