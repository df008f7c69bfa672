import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import { call, startTestServer, type TestServer } from './fixture.ts';

// Simulations started through the API run in a worker thread: start → running with progress → done
// with KPIs per strategy, persisted in the store. One day, two cheap strategies, to stay light on the
// shared cores.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.close());

async function poll(id: string, timeoutMs = 60_000) {
  const seen: { status: string; progress: number }[] = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(srv, 'GET', `/api/simulations/${id}`, { token: srv.tokens.viewer });
    expect(r.status).toBe(200);
    seen.push({ status: r.body.status, progress: r.body.progress });
    if (r.body.status === 'done' || r.body.status === 'failed') return { run: r.body, seen };
    if (Date.now() > end) throw new Error(`simulation still ${r.body.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('simulations', () => {
  it('runs one day in a worker while the API keeps answering, then reports KPIs', async () => {
    // Observe the progress the manager persists (the store itself is real).
    const written: number[] = [];
    const update = srv.store.updateSimRun.bind(srv.store);
    srv.store.updateSimRun = async (id, u) => {
      if (u.progress !== undefined) written.push(u.progress);
      return update(id, u);
    };
    const start = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: { scenario: { source: 'current' }, start: '2026-08-03', days: 1, strategies: ['none', 'rules'] },
    });
    expect(start.status).toBe(202);
    expect(start.headers.get('location')).toBe(`/api/simulations/${start.body.id}`);
    expect(['queued', 'running']).toContain(start.body.status);
    // The event loop is free while the worker simulates.
    const t0 = performance.now();
    const health = await call(srv, 'GET', '/api/health');
    expect(health.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(1_000);

    const { run, seen } = await poll(start.body.id);
    expect(run.status, run.error).toBe('done');
    expect(run.progress).toBe(1);
    const progress = seen.map((s) => s.progress);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
    expect(seen.some((x) => x.status === 'running')).toBe(true);
    expect(written[0]).toBe(0);
    expect(written.some((p) => p > 0 && p < 1)).toBe(true);
    expect(written.at(-1)).toBe(1);
    srv.store.updateSimRun = update;
    expect(run.result.days).toBe(1);
    expect(run.result.start).toBe('2026-08-03T00:00:00+09:00');
    expect(run.result.results.map((r: { strategy: string }) => r.strategy)).toEqual(['none', 'rules']);
    for (const r of run.result.results) {
      expect(r.kpis.totalCostKrw).toBeGreaterThan(0);
      expect(r.kpis.consumptionKwh).toBeGreaterThan(0);
    }
    expect(run.params).toMatchObject({
      days: 1,
      strategies: ['none', 'rules'],
      scenario: { source: 'current' },
      requestedBy: srv.tokenIds.operator,
    });

    const stored = await srv.store.getSimRun(start.body.id);
    expect(stored?.status).toBe('done');
    const audit = await srv.store.listAudit({ target: `simulation:${start.body.id}` });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'simulation.start',
      outcome: 'ok',
      actor: srv.tokenIds.operator,
    });

    const list = await call(srv, 'GET', '/api/simulations', { token: srv.tokens.viewer });
    expect(list.body.simulations[0]).toMatchObject({ id: start.body.id, status: 'done' });
    expect(list.body.simulations[0]).not.toHaveProperty('result');
  });

  it('runs an uploaded district file', async () => {
    const text = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8').replace(/^name: .*$/m, 'name: Uploaded copy');
    const start = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: { scenario: { source: 'yaml', text }, days: 1, strategies: ['none'] },
    });
    expect(start.status).toBe(202);
    const { run } = await poll(start.body.id);
    expect(run.status, run.error).toBe('done');
    expect(run.result.scenario).toBe('Uploaded copy');
    expect(run.params.scenario).toMatchObject({ source: 'yaml', name: 'Uploaded copy' });
    expect(run.params.scenario.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bad requests with 400 naming the field, and starts nothing', async () => {
    const before = (await srv.store.listSimRuns()).length;
    const cases: [unknown, string, string][] = [
      [{ days: 0 }, 'BITGRID_ERR_VALIDATION', 'days'],
      [{ days: 1, strategies: ['none', 'psychic'] }, 'BITGRID_ERR_VALIDATION', 'strategies.1'],
      [{ days: 1, start: '2026-02-30' }, 'BITGRID_ERR_VALIDATION', 'start'],
      [
        { days: 1, scenario: { source: 'yaml', text: 'name: [unclosed' } },
        'BITGRID_ERR_CONFIG',
        'scenario.text',
      ],
      [
        { days: 1, scenario: { source: 'yaml', text: 'name: x\ntimezone: Asia/Seoul\n' } },
        'BITGRID_ERR_CONFIG',
        'scenario.text',
      ],
      [{ days: 1, scenario: { source: 'elsewhere' } }, 'BITGRID_ERR_VALIDATION', 'scenario.source'],
    ];
    for (const [body, code, field] of cases) {
      const r = await call(srv, 'POST', '/api/simulations', { token: srv.tokens.operator, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatchObject({ code, field });
    }
    const cfg = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: cases[4][0],
    });
    expect(cfg.body.error.message).toMatch(/problem\(s\)/);
    // An uploaded file may not make the server read files.
    const text = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8').replace(
      /^weather:\n(\s+.*\n)+/m,
      'weather:\n  source: kma_asos_csv\n  path: /etc/passwd\n',
    );
    const file = await call(srv, 'POST', '/api/simulations', {
      token: srv.tokens.operator,
      body: { days: 1, scenario: { source: 'yaml', text } },
    });
    expect(file.status).toBe(400);
    expect(file.body.error.field).toBe('scenario.text');
    expect((await srv.store.listSimRuns()).length).toBe(before);
  });

  it('refuses work beyond the queue with 503 and fails unfinished runs on close', async () => {
    const busy = await startTestServer({ simulations: { maxConcurrent: 1, maxQueued: 1 } });
    try {
      const body = { days: 1, strategies: ['none'] };
      const a = await call(busy, 'POST', '/api/simulations', { token: busy.tokens.operator, body });
      const b = await call(busy, 'POST', '/api/simulations', { token: busy.tokens.operator, body });
      const c = await call(busy, 'POST', '/api/simulations', { token: busy.tokens.operator, body });
      expect([a.status, b.status, c.status]).toEqual([202, 202, 503]);
      expect(c.body.error.code).toBe('BITGRID_ERR_SIM_BUSY');
      expect((await busy.store.getSimRun(b.body.id))?.status).toBe('queued');
      const [last] = await busy.store.listAudit({ limit: 1 });
      expect(last).toMatchObject({ action: 'simulation.start', outcome: 'failed' });
      await busy.app.close();
      for (const id of [a.body.id, b.body.id]) {
        const r = await busy.store.getSimRun(id);
        expect(r?.status === 'failed' || r?.status === 'done').toBe(true);
      }
      expect((await busy.store.getSimRun(b.body.id))?.error).toMatch(/stopped before the run started/);
    } finally {
      await busy.close();
    }
  });

  it('answers 404 for an unknown run', async () => {
    const r = await call(srv, 'GET', '/api/simulations/no-such-run', { token: srv.tokens.viewer });
    expect(r.status).toBe(404);
  });

  it('marks runs a previous process left running as failed on start', async () => {
    const dir = await startTestServer();
    try {
      const orphan = await dir.store.createSimRun({ createdMs: dir.live.timeMs, params: {} });
      await dir.store.updateSimRun(orphan.id, {
        updatedMs: dir.live.timeMs,
        status: 'running',
        progress: 0.3,
      });
      const { createServer } = await import('../../src/server/index.ts');
      const again = await createServer({
        live: dir.live,
        store: dir.store,
        scenario: dir.scenario,
        now: () => dir.live.timeMs,
      });
      const r = await dir.store.getSimRun(orphan.id);
      expect(r).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
      await again.close();
    } finally {
      await dir.close();
    }
  });
});
