import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import { SIMULATION_MEMORY_BUDGET_MB } from '../../src/server/simulations.ts';
import { call, startTestServer, type TestServer } from './fixture.ts';

// A simulation is estimated from its district file before it is queued and refused when over the
// memory or time budget; a queued or running one can be cancelled (a running one has its worker
// terminated). One server with one run at a time, so a second run waits in the queue.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ simulations: { maxConcurrent: 1, maxQueued: 4 } });
});
afterAll(async () => srv?.close());

const reference = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8');

async function waitFor(id: string, statuses: string[], timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(srv, 'GET', `/api/simulations/${id}`, { token: srv.tokens.viewer });
    if (statuses.includes(r.body.status)) return r.body;
    if (Date.now() > end) throw new Error(`simulation ${id} still ${r.body.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('simulation budget', () => {
  it('refuses a run over the memory budget before anything is queued, saying which figure and by how much', async () => {
    const before = (await srv.store.listSimRuns()).length;
    // Within every physical bound of the schema, but a month of it is far beyond one run's memory.
    const text = reference
      .replace('{ kind: ac, count: 80,', '{ kind: ac, count: 9000,')
      .replace('weekday_sessions: 120', 'weekday_sessions: 100000')
      .replace('weekend_sessions: 15', 'weekend_sessions: 100000');
    const r = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: { scenario: { source: 'yaml', text }, days: 30, strategies: ['none'] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BITGRID_ERR_VALIDATION');
    expect(r.body.error.field).toBe('days');
    expect(r.body.error.message).toMatch(
      new RegExp(
        `estimated memory (\\d+) MB is over the ${SIMULATION_MEMORY_BUDGET_MB} MB budget by (\\d+) MB`,
      ),
    );
    const [, mb, by] = /estimated memory (\d+) MB .* by (\d+) MB/.exec(r.body.error.message)!;
    expect(Number(mb) - SIMULATION_MEMORY_BUDGET_MB).toBe(Number(by));
    expect(r.body.error.message).toMatch(/3000000 EV sessions/);
    expect((await srv.store.listSimRuns()).length).toBe(before);
    const [audit] = await srv.store.listAudit({ limit: 1 });
    expect(audit).toMatchObject({ action: 'simulation.start', outcome: 'denied' });
  });

  it('refuses a year of the optimizing strategies as over the time limit', async () => {
    const r = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: { days: 366, strategies: ['optimal', 'oracle'] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/estimated computing time \d+ s is over the 900 s limit by \d+ s/);
    expect(r.body.error.field).toBe('days');
  });
});

describe('cancelling simulations', () => {
  it('cancels a queued run and a running one, audited, and refuses to cancel twice', async () => {
    // A year of the fast strategies: well within the budget, and long enough to still be running.
    const body = { days: 366, strategies: ['none', 'rules'] };
    const a = await call(srv, 'POST', '/api/simulations', { token: srv.tokens.operator, body });
    const b = await call(srv, 'POST', '/api/simulations', { token: srv.tokens.operator, body });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.params.estimate.memoryMb).toBeLessThanOrEqual(SIMULATION_MEMORY_BUDGET_MB);
    expect((await srv.store.getSimRun(b.body.id))?.status).toBe('queued');

    const viewer = await call(srv, 'DELETE', `/api/simulations/${b.body.id}`, { token: srv.tokens.viewer });
    expect(viewer.status).toBe(403);

    const qb = await call(srv, 'DELETE', `/api/simulations/${b.body.id}`, { token: srv.tokens.operator });
    expect(qb.status).toBe(200);
    expect(qb.body).toMatchObject({ id: b.body.id, status: 'cancelled' });
    expect((await srv.store.getSimRun(b.body.id))?.status).toBe('cancelled');

    await waitFor(a.body.id, ['running']);
    const ra = await call(srv, 'DELETE', `/api/simulations/${a.body.id}`, { token: srv.tokens.operator });
    expect(ra.status).toBe(200);
    expect(ra.body).toMatchObject({ id: a.body.id, status: 'cancelled' });
    const health = await call(srv, 'GET', '/api/health');
    expect(health.body.simulations).toMatchObject({ running: 0, queued: 0 });
    // The terminated worker's exit does not turn the run into `failed` afterwards.
    await new Promise((res) => setTimeout(res, 300));
    expect((await srv.store.getSimRun(a.body.id))?.status).toBe('cancelled');

    const again = await call(srv, 'DELETE', `/api/simulations/${a.body.id}`, { token: srv.tokens.operator });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('BITGRID_ERR_CONFLICT');
    const unknown = await call(srv, 'DELETE', '/api/simulations/no-such-run', { token: srv.tokens.operator });
    expect(unknown.status).toBe(404);

    for (const id of [a.body.id, b.body.id]) {
      const entries = await srv.store.listAudit({ target: `simulation:${id}` });
      const cancel = entries.filter((e) => e.action === 'simulation.cancel');
      expect(cancel.find((e) => e.outcome === 'ok')).toMatchObject({ actor: srv.tokenIds.operator });
    }

    // The queue moves on: a new run after the cancellations starts and finishes.
    const c = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: { days: 1, strategies: ['none'] },
    });
    const done = await waitFor(c.body.id, ['done', 'failed'], 60_000);
    expect(done.status, done.error).toBe('done');
  });
});
