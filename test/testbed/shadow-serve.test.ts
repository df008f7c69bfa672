import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../../src/cli/serve.ts';
import { REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import { EXAMPLES } from './helpers.ts';

// `serve --twin` with a controller registered through the API in shadow mode: it decides on the
// live state every cycle without actuating, and after a simulated day its estimated cost stands
// beside the acting strategy's. The twin's clock runs fast and the cycle is a quarter hour, so the
// day takes seconds of wall time.

const SPEED = 4000;

/** The fields of the API's answers the test reads. */
interface Body {
  error: { message: string };
  shadows: {
    name: string;
    state: string;
    failure?: unknown;
    decisions: number;
    skippedCycles: number;
    comparedHours: number;
    acting: { totalCostKrw: number };
    shadow: { totalCostKrw: number };
    differenceKrw: number;
  }[];
}
const H = 3_600_000;

let running: Awaited<ReturnType<typeof startServe>>;
let dir: string;
let admin: string;
let operator: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const api = async (token: string, method: string, path: string, body?: unknown) => {
  const r = await fetch(`${running.address}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: (await r.json()) as Body };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bitgrid-shadow-'));
  process.env.BITGRID_LOG_LEVEL ??= 'error';
  running = await startServe({
    scenario: REFERENCE_SCENARIO_FILE,
    port: 0,
    host: '127.0.0.1',
    twin: true,
    speed: SPEED,
    strategy: 'rules',
    db: `sqlite:${join(dir, 'live.db')}`,
    cycleS: 900,
    staleS: 3600,
    replanMin: 15,
  });
  const now = running.twin!.clock.now();
  admin = (await running.store.createToken({ name: 'testbed admin', role: 'admin', createdMs: now })).token;
  operator = (await running.store.createToken({ name: 'an operator', role: 'operator', createdMs: now }))
    .token;
}, 120_000);

afterAll(async () => {
  await running?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('serve --twin with a shadow controller', () => {
  it('only an admin registers, and a URL off this machine is refused', async () => {
    const source = readFileSync(join(EXAMPLES, 'peak-shaver.mjs'), 'utf8');
    const denied = await api(operator, 'POST', '/api/testbed/shadows', { name: 'startup', source });
    expect(denied.status).toBe(403);
    const remote = await api(admin, 'POST', '/api/testbed/shadows', {
      name: 'far',
      url: 'http://198.51.100.7/',
    });
    expect(remote.status).toBe(400);
    expect(remote.body.error.message).toMatch(/only http:\/\/ on this machine/);
    const both = await api(admin, 'POST', '/api/testbed/shadows', { name: 'both' });
    expect(both.status).toBe(400);
  });

  it('reports its estimated cost beside the acting strategy’s after a simulated day', async () => {
    const source = readFileSync(join(EXAMPLES, 'peak-shaver.mjs'), 'utf8');
    const r = await api(admin, 'POST', '/api/testbed/shadows', { name: 'startup', source });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ name: 'startup', kind: 'module', state: 'running' });
    const t0 = running.twin!.clock.now();
    const cyclesBefore = running.loop.health!().cycles;
    while (running.twin!.clock.now() < t0 + 24 * H) await sleep(500);

    const list = await api(operator, 'GET', '/api/testbed/shadows');
    expect(list.status).toBe(200);
    const s = list.body.shadows.find((x) => x.name === 'startup')!;
    expect(s.state, JSON.stringify(s.failure)).toBe('running');
    // A quarter-hour cycle, though on a busy machine the loop runs late at this speed: a decision
    // in every cycle it was free for, priced until the next (a busy cycle is skipped, not queued).
    const cycles = running.loop.health!().cycles - cyclesBefore;
    expect(s.decisions + s.skippedCycles).toBeGreaterThanOrEqual(cycles - 2);
    expect(s.decisions).toBeGreaterThan(5);
    expect(s.comparedHours).toBeGreaterThan(6);
    expect(s.acting.totalCostKrw).toBeGreaterThan(0);
    expect(s.shadow.totalCostKrw).toBeGreaterThan(0);
    expect(s.differenceKrw).toBeCloseTo(s.shadow.totalCostKrw - s.acting.totalCostKrw, -1);
    // Rules acted all along: the shadow's decisions never reached a device.
    expect(running.controller.status().strategy).toBe('rules');

    const audit = await running.store.listAudit({});
    expect(audit.some((a) => a.action === 'testbed.shadow.register' && a.target === 'testbed:startup')).toBe(
      true,
    );

    const gone = await api(admin, 'DELETE', '/api/testbed/shadows/startup');
    expect(gone.status).toBe(200);
    expect((await api(operator, 'GET', '/api/testbed/shadows')).body.shadows).toEqual([]);
  }, 90_000);
});
