import { describe, expect, it } from 'vitest';
import { JobBook } from '../../src/control/jobs.ts';
import { MS_PER_HOUR } from '../../src/model/time.ts';
import { call, serverPerTest, startTestServer, T0_MS, TestLive, type TestServer } from './fixture.ts';

// The jobs and schedule-history routes on a real server on a loopback port, with a real SQLite store
// and a real JobBook over the reference district (data center `dc-gpu`, 2,664 training GPUs).

class JobsLive extends TestLive {
  jobs?: JobBook;
}

/** As startTestServer, with a job book in the live system. */
async function startJobsServer(): Promise<TestServer & { live: JobsLive; jobs: JobBook }> {
  let live: JobsLive | undefined;
  const srv = await startTestServer({
    rateLimit: false,
    makeLive: (scenario, store) => {
      live = new JobsLive(scenario, store);
      live.jobs = new JobBook({ store, now: () => live!.timeMs, scenario: scenario.scenario });
      return live;
    },
  });
  return { ...srv, live: live!, jobs: live!.jobs! };
}

const iso = (ms: number) => new Date(ms).toISOString();
const newJob = (over: Record<string, unknown> = {}) => ({
  datacenterId: 'dc-gpu',
  name: 'llm-finetune',
  gpus: 64,
  gpuHours: 640,
  deadline: '2026-08-04T00:00:00+09:00',
  ...over,
});

describe('jobs API', () => {
  let srv: Awaited<ReturnType<typeof startJobsServer>>;
  serverPerTest(async () => (srv = await startJobsServer()));

  it('submits (operator), lists and reads back (viewer) with the planned intervals and expected finish', async () => {
    const r = await call(srv, 'POST', '/api/jobs', {
      token: srv.tokens.operator,
      body: newJob({ priority: 3, interruptible: false, earliestStart: '2026-08-03T02:00:00+09:00' }),
    });
    expect(r.status).toBe(201);
    const id = r.body.id as string;
    expect(r.headers.get('location')).toBe(`/api/jobs/${id}`);
    expect(r.body).toEqual({
      id,
      datacenterId: 'dc-gpu',
      name: 'llm-finetune',
      gpus: 64,
      gpuHours: 640,
      earliestStart: '2026-08-03T02:00:00+09:00',
      deadline: '2026-08-04T00:00:00+09:00',
      priority: 3,
      interruptible: false,
      status: 'queued',
      doneGpuHours: 0,
      submitted: '2026-08-03T00:00:00+09:00',
      submittedBy: srv.tokenIds.operator,
      updated: '2026-08-03T00:00:00+09:00',
      plannedIntervals: [],
    });
    expect(await srv.store.getJob(id)).toMatchObject({ id, status: 'queued' });

    let list = await call(srv, 'GET', '/api/jobs', { token: srv.tokens.viewer });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ plannedAt: null, jobs: [r.body] });

    srv.jobs.setPlan({
      madeMs: T0_MS + 60_000,
      jobs: [
        {
          id,
          intervals: [
            {
              startMs: T0_MS + 2 * MS_PER_HOUR,
              endMs: T0_MS + 8 * MS_PER_HOUR,
              gpus: 64,
              powerCapFraction: 1,
            },
            {
              startMs: T0_MS + 10 * MS_PER_HOUR,
              endMs: T0_MS + 15 * MS_PER_HOUR,
              gpus: 64,
              powerCapFraction: 0.64,
            },
          ],
          expectedFinishMs: T0_MS + 15 * MS_PER_HOUR,
        },
      ],
    });
    list = await call(srv, 'GET', '/api/jobs', { token: srv.tokens.viewer });
    expect(list.body.plannedAt).toBe('2026-08-03T00:01:00+09:00');
    expect(list.body.jobs[0].plannedIntervals).toEqual([
      { start: '2026-08-03T02:00:00+09:00', end: '2026-08-03T08:00:00+09:00', gpus: 64, powerCapFraction: 1 },
      {
        start: '2026-08-03T10:00:00+09:00',
        end: '2026-08-03T15:00:00+09:00',
        gpus: 64,
        powerCapFraction: 0.64,
      },
    ]);
    expect(list.body.jobs[0].expectedFinish).toBe('2026-08-03T15:00:00+09:00');
    const one = await call(srv, 'GET', `/api/jobs/${id}`, { token: srv.tokens.viewer });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.jobs[0]);

    const audit = await srv.store.listAudit({ action: 'job.submit' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: srv.tokenIds.operator, target: `job:${id}`, outcome: 'ok' });
  });

  it('cancels (operator): 200 with the job, then 409; unknown ids 404; audited once each', async () => {
    const r = await call(srv, 'POST', '/api/jobs', { token: srv.tokens.operator, body: newJob() });
    const id = r.body.id as string;
    srv.jobs.setPlan({
      madeMs: T0_MS,
      jobs: [
        { id, intervals: [{ startMs: T0_MS, endMs: T0_MS + MS_PER_HOUR, gpus: 64, powerCapFraction: 1 }] },
      ],
    });
    srv.live.timeMs += 30 * 60_000;
    const c = await call(srv, 'DELETE', `/api/jobs/${id}`, { token: srv.tokens.operator });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id, status: 'cancelled', finished: '2026-08-03T00:30:00+09:00' });
    // A cancelled job has no plan any more, whatever the last plan said.
    expect(c.body.plannedIntervals).toEqual([]);
    const again = await call(srv, 'DELETE', `/api/jobs/${id}`, { token: srv.tokens.operator });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'BITGRID_ERR_CONFLICT', field: 'id' });
    expect(again.body.error.message).toMatch(/already cancelled/);
    const missing = await call(srv, 'DELETE', '/api/jobs/nope', { token: srv.tokens.operator });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('BITGRID_ERR_NOT_FOUND');
    expect((await call(srv, 'GET', '/api/jobs/nope', { token: srv.tokens.viewer })).status).toBe(404);
    const audit = await srv.store.listAudit({ action: 'job.cancel', order: 'asc' });
    expect(audit.map((a) => [a.target, a.outcome])).toEqual([
      [`job:${id}`, 'ok'],
      [`job:${id}`, 'denied'],
      ['job:nope', 'denied'],
    ]);
  });

  it('viewers may read but not submit or cancel; no token is 401', async () => {
    const w = await call(srv, 'POST', '/api/jobs', { token: srv.tokens.viewer, body: newJob() });
    expect(w.status).toBe(403);
    expect(w.body.error.code).toBe('BITGRID_ERR_FORBIDDEN');
    expect((await call(srv, 'DELETE', '/api/jobs/x', { token: srv.tokens.viewer })).status).toBe(403);
    expect((await call(srv, 'GET', '/api/jobs')).status).toBe(401);
    expect(await srv.store.listJobs()).toEqual([]);
  });

  it.each([
    [{ datacenterId: 'factory-load' }, 'datacenterId', /no data center "factory-load"/],
    [{ gpus: 0 }, 'gpus', /body\.gpus/],
    [{ gpus: 1.5 }, 'gpus', /body\.gpus/],
    [{ gpus: 2665 }, 'gpus', /body\.gpus: must be a whole number from 1 to 2664/],
    [{ gpus: '64' }, 'gpus', /body\.gpus/],
    [{ gpuHours: -1 }, 'gpuHours', /body\.gpuHours/],
    [{ name: '   ' }, 'name', /body\.name/],
    [{ name: 'x'.repeat(201) }, 'name', /body\.name/],
    [{ deadline: '2026-08-04T00:00:00' }, 'deadline', /body\.deadline: must be an ISO 8601 time with offset/],
    [{ deadline: 'tomorrow' }, 'deadline', /body\.deadline/],
    [{ deadline: undefined }, 'deadline', /deadline/],
    [
      { earliestStart: '2026-08-04T01:00:00+09:00' },
      'deadline',
      /body\.deadline: .*must be after the earliest start/,
    ],
    [
      { deadline: '2026-08-03T08:00:00+09:00' },
      'deadline',
      /body\.deadline: the job cannot finish in time: 640 GPU-hours on 64 GPUs take 10 h at full speed, but only 8 h remain/,
    ],
    [{ priority: 0.5 }, 'priority', /body\.priority/],
    [{ interruptible: 'yes' }, 'interruptible', /body\.interruptible/],
    [{ colour: 'blue' }, undefined, /colour/],
  ])('refuses bad input %j with 400 naming the field', async (over, field, message) => {
    const r = await call(srv, 'POST', '/api/jobs', { token: srv.tokens.operator, body: newJob(over) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BITGRID_ERR_VALIDATION');
    if (field) expect(r.body.error.field).toBe(field);
    expect(r.body.error.message).toMatch(message);
    expect(await srv.store.listJobs()).toEqual([]);
    // One audit entry per refused attempt, whoever refused it.
    const audit = await srv.store.listAudit({ action: 'job.submit' });
    expect(audit).toHaveLength(1);
    expect(audit[0].outcome).toBe('denied');
  });

  it('refuses bodies that are not JSON objects, never crashing', async () => {
    const notJson = await call(srv, 'POST', '/api/jobs', { token: srv.tokens.operator, rawBody: '{"gpus":' });
    expect(notJson.status).toBe(400);
    const array = await call(srv, 'POST', '/api/jobs', { token: srv.tokens.operator, body: [1, 2] });
    expect(array.status).toBe(400);
    expect(array.body.error.code).toBe('BITGRID_ERR_VALIDATION');
    const text = await call(srv, 'POST', '/api/jobs', {
      token: srv.tokens.operator,
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const longId = await call(srv, 'GET', `/api/jobs/${'x'.repeat(201)}`, { token: srv.tokens.viewer });
    // Fastify refuses path parameters over its length limit before the route runs.
    expect(longId.status).toBe(414);
    expect(longId.body.error.code).toBe('BITGRID_ERR_URI_TOO_LONG');
    expect((await call(srv, 'GET', '/api/health')).status).toBe(200);
  });

  it('shows progress and completion the planner records', async () => {
    const r = await call(srv, 'POST', '/api/jobs', { token: srv.tokens.operator, body: newJob() });
    await srv.jobs.recordProgress(r.body.id, 320, T0_MS + 5 * MS_PER_HOUR);
    let j = await call(srv, 'GET', `/api/jobs/${r.body.id}`, { token: srv.tokens.viewer });
    expect(j.body).toMatchObject({ status: 'running', doneGpuHours: 320 });
    await srv.jobs.recordProgress(r.body.id, 640, T0_MS + 10 * MS_PER_HOUR);
    j = await call(srv, 'GET', `/api/jobs/${r.body.id}`, { token: srv.tokens.viewer });
    expect(j.body).toMatchObject({
      status: 'done',
      doneGpuHours: 640,
      finished: '2026-08-03T10:00:00+09:00',
    });
  });
});

describe('jobs API without a job book', () => {
  let srv: TestServer;
  serverPerTest(async () => (srv = await startTestServer({ rateLimit: false })));

  it('answers 503 BITGRID_ERR_JOBS_UNAVAILABLE on every jobs route', async () => {
    for (const [method, path, token, body] of [
      ['GET', '/api/jobs', srv.tokens.viewer, undefined],
      ['GET', '/api/jobs/x', srv.tokens.viewer, undefined],
      ['POST', '/api/jobs', srv.tokens.operator, newJob()],
      ['DELETE', '/api/jobs/x', srv.tokens.operator, undefined],
    ] as const) {
      const r = await call(srv, method, path, { token, body });
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(r.body.error.code).toBe('BITGRID_ERR_JOBS_UNAVAILABLE');
      expect(r.body.error.message).toMatch(/no book of training jobs/);
    }
  });
});

describe('schedule history', () => {
  let srv: TestServer;
  serverPerTest(async () => (srv = await startTestServer({ rateLimit: false })));

  it('lists versions newest first with the planner figures, without setpoints', async () => {
    const H = MS_PER_HOUR;
    const first = await srv.store.addSchedule({
      createdMs: T0_MS,
      startMs: T0_MS,
      endMs: T0_MS + 24 * H,
      strategy: 'optimal',
      status: 'superseded',
      payload: { intervalMinutes: 15, assets: { grid: [1, 2] }, solveMs: 812, objectiveKrw: 1.25e6 },
    });
    const second = await srv.store.addSchedule({
      createdMs: T0_MS + H,
      startMs: T0_MS + H,
      endMs: T0_MS + 25 * H,
      strategy: 'optimal',
      status: 'active',
      payload: {
        intervalMinutes: 15,
        assets: {},
        solveMs: 640,
        objectiveKrw: 1.2e6,
        warmStarted: true,
        rootIterations: 412,
        inputs: { forecastIssued: iso(T0_MS), jobs: 2 },
      },
    });
    // A version made later for an earlier horizon is still the newer one.
    const third = await srv.store.addSchedule({
      createdMs: T0_MS + 2 * H,
      startMs: T0_MS,
      endMs: T0_MS + H,
      strategy: 'rules',
      payload: [1, 2, 3],
    });
    const r = await call(srv, 'GET', '/api/schedules', { token: srv.tokens.viewer });
    expect(r.status).toBe(200);
    expect(r.body.schedules.map((s: { id: number }) => s.id)).toEqual([third.id, second.id, first.id]);
    expect(r.body.schedules[1]).toEqual({
      id: second.id,
      created: '2026-08-03T01:00:00+09:00',
      start: '2026-08-03T01:00:00+09:00',
      end: '2026-08-04T01:00:00+09:00',
      strategy: 'optimal',
      status: 'active',
      intervalMinutes: 15,
      solveMs: 640,
      objectiveKrw: 1.2e6,
      warmStarted: true,
      rootIterations: 412,
      inputs: { forecastIssued: iso(T0_MS), jobs: 2 },
    });
    expect(r.body.schedules[0]).toEqual({
      id: third.id,
      created: '2026-08-03T02:00:00+09:00',
      start: '2026-08-03T00:00:00+09:00',
      end: '2026-08-03T01:00:00+09:00',
      strategy: 'rules',
      status: 'proposed',
    });
    const one = await call(srv, 'GET', '/api/schedules?limit=1', { token: srv.tokens.viewer });
    expect(one.body.schedules).toHaveLength(1);
    // The one in force is still GET /api/schedule.
    const inForce = await call(srv, 'GET', '/api/schedule', { token: srv.tokens.viewer });
    expect(inForce.body.schedule.id).toBe(second.id);
  });

  it.each(['0', '-1', 'abc', '1.5', '100000'])('refuses limit=%s with 400 naming limit', async (limit) => {
    const r = await call(srv, 'GET', `/api/schedules?limit=${limit}`, { token: srv.tokens.viewer });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'limit' });
  });

  it('needs a token', async () => {
    expect((await call(srv, 'GET', '/api/schedules')).status).toBe(401);
  });
});
