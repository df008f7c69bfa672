import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, startTestServer, type TestServer } from '../server/fixture.ts';
import { ChallengeRuns, RUN_FINISHED_ACTION } from '../../src/testbed/runs.ts';
import { EXAMPLES } from './helpers.ts';

// An admin starts the challenge set against the twin through the API; the run goes on in a worker
// thread with its progress visible, and when it is done its leaderboard is listed — also by a new
// process, since a finished run is in the audit log.

/** Longest the quick set may take here: about fifteen seconds alone, more on shared cores. */
const RUN_TIMEOUT_MS = 150_000;
const POLL_MS = 250;

let srv: TestServer;
beforeAll(async () => {
  process.env.BITGRID_LOG_LEVEL ??= 'error';
  srv = await startTestServer();
}, 60_000);
afterAll(async () => srv?.close());

describe('challenge-set runs from the API', () => {
  it('only an admin starts one, and a URL off this machine is refused with the field', async () => {
    const source = readFileSync(join(EXAMPLES, 'peak-shaver.mjs'), 'utf8');
    const denied = await call(srv, 'POST', '/api/testbed/runs', {
      token: srv.tokens.operator,
      body: { name: 'startup', source },
    });
    expect(denied.status).toBe(403);
    const far = await call(srv, 'POST', '/api/testbed/runs', {
      token: srv.tokens.admin,
      body: { name: 'far', url: 'http://198.51.100.7/' },
    });
    expect(far.status).toBe(400);
    expect(far.body.error.field).toBe('url');
    const both = await call(srv, 'POST', '/api/testbed/runs', {
      token: srv.tokens.admin,
      body: { name: 'both', url: 'http://127.0.0.1:9/', source },
    });
    expect(both.status).toBe(400);
  });

  it(
    'runs the quick set with progress, lists the leaderboard, audits start and finish',
    async () => {
      const source = readFileSync(join(EXAMPLES, 'peak-shaver.mjs'), 'utf8');
      const started = await call(srv, 'POST', '/api/testbed/runs', {
        token: srv.tokens.admin,
        body: { name: 'peak-shaver', source, set: 'quick' },
      });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ set: 'quick', controller: 'peak-shaver.mjs', progress: 0 });
      // Nothing else runs, so it starts at once.
      expect(started.body.state).toBe('running');
      const id = started.body.id as string;

      const seen = new Set<string>();
      let run = started.body;
      const t0 = Date.now();
      while (run.state === 'queued' || run.state === 'running') {
        if (Date.now() - t0 > RUN_TIMEOUT_MS)
          throw new Error(`run still ${run.state} after ${RUN_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
        run = (await call(srv, 'GET', `/api/testbed/runs/${id}`, { token: srv.tokens.viewer })).body;
        if (run.state === 'running' && run.step) seen.add(run.step);
      }
      expect(run.error).toBeUndefined();
      expect(run.state).toBe('done');
      expect(run.progress).toBe(1);
      // Progress named the contenders as they ran.
      expect([...seen].some((s) => /summer-day: /.test(s))).toBe(true);
      const names = run.leaderboard.map((c: { strategy: string }) => c.strategy);
      expect(names.sort()).toEqual(['none', 'peak-shaver.mjs', 'rules']);
      const mine = run.leaderboard.find((c: { strategy: string }) => c.strategy === 'peak-shaver.mjs');
      expect(mine).toMatchObject({ kind: 'controller', status: 'ok', failures: [] });
      expect(mine.totalCostKrw).toBeGreaterThan(0);
      expect(mine.decisions).toBeGreaterThan(0);

      const list = await call(srv, 'GET', '/api/testbed/runs', { token: srv.tokens.viewer });
      expect(list.status).toBe(200);
      expect(list.body.runs[0]).toMatchObject({ id, state: 'done' });

      const audit = await srv.store.listAudit({ target: `testbed-run:${id}` });
      expect(audit.map((e) => [e.action, e.outcome])).toEqual([[RUN_FINISHED_ACTION, 'ok']]);
      const starts = await srv.store.listAudit({ action: 'testbed.challenge.start' });
      expect(starts.map((e) => e.outcome)).toContain('ok');
      expect(starts.map((e) => e.outcome)).toContain('denied');

      // A new process (here: a new manager on the same store) lists the finished run from the log.
      const later = new ChallengeRuns({
        loaded: srv.scenario,
        now: () => Date.now(),
        appendAudit: (e) => srv.store.appendAudit(e),
        listAudit: (q) => srv.store.listAudit(q),
      });
      const listed = await later.list();
      expect(listed.find((r) => r.id === id)?.leaderboard?.length).toBe(3);
      await later.close();
    },
    RUN_TIMEOUT_MS + 10_000,
  );
});
