import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FINISHED_JOBS_KEPT, JobBook, JobError, type JobSubmission } from '../../src/control/jobs.ts';
import type { Actor } from '../../src/control/types.ts';
import { loadScenarioFile } from '../../src/model/load.ts';
import { MS_PER_HOUR } from '../../src/model/time.ts';
import { openStore, type Store } from '../../src/store/index.ts';

// The job book against a real SQLite store in a temp folder and the reference district, whose data
// center `dc-gpu` has 512 nodes × 8 GPUs with 35 % of the nodes for inference: 333 × 8 = 2,664
// training GPUs.

const { scenario } = loadScenarioFile();
const DC = 'dc-gpu';
const TRAINING_GPUS = 2664;
const T0 = Date.parse('2026-08-03T09:00:00+09:00');
const operator: Actor = { id: 'tok_op', role: 'operator' };

async function expectJobError(p: Promise<unknown>, code: JobError['code'], field: string, message?: RegExp) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected the call to fail').toBeInstanceOf(JobError);
  expect((e as JobError).code).toBe(code);
  expect((e as JobError).field).toBe(field);
  if (message) expect((e as JobError).message).toMatch(message);
}

describe('JobBook', () => {
  let dir: string;
  let store: Store;
  let nowMs: number;
  let book: JobBook;
  const open = async () => openStore(`sqlite:${join(dir, 'jobs.db')}`);
  const job = (over: Partial<JobSubmission> = {}): JobSubmission => ({
    datacenterId: DC,
    name: 'llm-finetune',
    gpus: 64,
    gpuHours: 640,
    deadlineMs: T0 + 24 * MS_PER_HOUR,
    ...over,
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitgrid-jobs-'));
    store = await open();
    nowMs = T0;
    book = new JobBook({ store, now: () => nowMs, scenario });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows the data center and its training GPUs from the district', () => {
    expect([...book.datacenterGpus()]).toEqual([[DC, TRAINING_GPUS]]);
  });

  it('submits: stores first, then audits, then tells listeners', async () => {
    const reasons: string[] = [];
    book.onChange((r) => reasons.push(r));
    const j = await book.submit(job({ priority: 2, interruptible: false }), operator);
    expect(j).toMatchObject({
      datacenterId: DC,
      name: 'llm-finetune',
      gpus: 64,
      gpuHours: 640,
      earliestStartMs: T0, // defaults to now
      deadlineMs: T0 + 24 * MS_PER_HOUR,
      priority: 2,
      interruptible: false,
      status: 'queued',
      doneGpuHours: 0,
      submittedMs: T0,
      submittedBy: 'tok_op',
      updatedMs: T0,
    });
    expect(await store.getJob(j.id)).toEqual(j);
    expect(book.list()).toEqual([j]);
    const audit = await store.listAudit({ action: 'job.submit' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'tok_op',
      role: 'operator',
      target: `job:${j.id}`,
      outcome: 'ok',
      details: { jobId: j.id, gpus: 64, gpuHours: 640 },
    });
    expect(reasons).toEqual(['submit']);
  });

  it('refuses what cannot be run, saying which field and why, and audits the refusal', async () => {
    const cases: [Partial<JobSubmission>, string, RegExp][] = [
      [{ datacenterId: 'factory-load' }, 'datacenterId', /no data center "factory-load".*"dc-gpu"/],
      [{ name: '  ' }, 'name', /non-empty/],
      [{ gpus: 0 }, 'gpus', /from 1 to 2664/],
      [{ gpus: TRAINING_GPUS + 1 }, 'gpus', /from 1 to 2664, the training GPUs of "dc-gpu" \(got 2665\)/],
      [{ gpus: 2.5 }, 'gpus', /whole number/],
      [{ gpuHours: 0 }, 'gpuHours', /positive/],
      [{ gpuHours: Number.NaN }, 'gpuHours', /positive/],
      [
        { earliestStartMs: T0 + 2 * MS_PER_HOUR, deadlineMs: T0 + MS_PER_HOUR },
        'deadlineMs',
        /must be after/,
      ],
      [{ priority: 1.5 }, 'priority', /whole number/],
      // 640 GPU-hours on 64 GPUs is 10 h; 8 h is not enough.
      [{ deadlineMs: T0 + 8 * MS_PER_HOUR }, 'deadlineMs', /take 10 h at full speed, but only 8 h remain/],
      // From an earliest start in the future, the window counts from there.
      [
        { earliestStartMs: T0 + 20 * MS_PER_HOUR },
        'deadlineMs',
        /only 4 h remain from 2026-08-04T05:00:00\+09:00/,
      ],
      [
        { deadlineMs: T0 - MS_PER_HOUR, earliestStartMs: T0 - 2 * MS_PER_HOUR },
        'deadlineMs',
        /only 0 h remain/,
      ],
    ];
    for (const [over, field, message] of cases)
      await expectJobError(book.submit(job(over), operator), 'BITGRID_ERR_JOB_INPUT', field, message);
    expect(await store.listJobs()).toEqual([]);
    expect(book.list()).toEqual([]);
    const denied = await store.listAudit({ action: 'job.submit' });
    expect(denied).toHaveLength(cases.length);
    expect(denied.every((a) => a.outcome === 'denied')).toBe(true);
  });

  it('accepts a job that exactly fits, and an earliest start in the past counts from now', async () => {
    const exact = await book.submit(job({ deadlineMs: T0 + 10 * MS_PER_HOUR }), operator);
    expect(exact.status).toBe('queued');
    nowMs = T0 + MS_PER_HOUR;
    await expectJobError(
      book.submit(job({ earliestStartMs: T0, deadlineMs: T0 + 10 * MS_PER_HOUR }), operator),
      'BITGRID_ERR_JOB_INPUT',
      'deadlineMs',
      /only 9 h remain/,
    );
  });

  it('cancels (audited), refuses to cancel twice or what does not exist', async () => {
    const reasons: string[] = [];
    book.onChange((r) => reasons.push(r));
    const j = await book.submit(job(), operator);
    nowMs = T0 + MS_PER_HOUR;
    const c = await book.cancel(j.id, operator);
    expect(c).toMatchObject({ id: j.id, status: 'cancelled', finishedMs: nowMs, updatedMs: nowMs });
    expect(await store.getJob(j.id)).toEqual(c);
    expect(book.pending(DC, nowMs)).toEqual([]);
    await expectJobError(book.cancel(j.id, operator), 'BITGRID_ERR_JOB_CONFLICT', 'id', /already cancelled/);
    await expectJobError(book.cancel('nope', operator), 'BITGRID_ERR_JOB_NOT_FOUND', 'id', /no job "nope"/);
    const audit = await store.listAudit({ action: 'job.cancel', order: 'asc' });
    expect(audit.map((a) => [a.target, a.outcome])).toEqual([
      [`job:${j.id}`, 'ok'],
      [`job:${j.id}`, 'denied'],
      ['job:nope', 'denied'],
    ]);
    expect(reasons).toEqual(['submit', 'cancel']);
  });

  it('lists pending jobs of a data center in submission order', async () => {
    const a = await book.submit(job({ name: 'a', priority: 1 }), operator);
    const b = await book.submit(job({ name: 'b', priority: 9 }), operator);
    nowMs = T0 + 1;
    const c = await book.submit(job({ name: 'c' }), operator);
    await book.cancel(b.id, operator);
    expect(book.pending(DC, nowMs).map((j) => j.name)).toEqual(['a', 'c']);
    // Asked about an earlier moment: what had been submitted by then.
    expect(book.pending(DC, T0).map((j) => j.id)).toEqual([a.id]);
    expect(book.pending('other-dc', nowMs)).toEqual([]);
    expect(book.list().map((j) => j.id)).toEqual([a.id, b.id, c.id]);
  });

  it('records progress: monotone, running when started, done with its finish time when complete', async () => {
    const reasons: string[] = [];
    book.onChange((r) => reasons.push(r));
    const j = await book.submit(job(), operator);
    await book.recordProgress(j.id, 0, T0 + 1);
    expect(book.get(j.id)!.status).toBe('queued');
    await book.recordProgress(j.id, 100, T0 + 2 * MS_PER_HOUR);
    expect(book.get(j.id)).toMatchObject({
      status: 'running',
      doneGpuHours: 100,
      updatedMs: T0 + 2 * MS_PER_HOUR,
    });
    await book.recordProgress(j.id, 50, T0 + 3 * MS_PER_HOUR); // a lower figure never goes back
    expect(book.get(j.id)!.doneGpuHours).toBe(100);
    expect((await store.getJob(j.id))!.doneGpuHours).toBe(100);
    // Floating-point sums land a hair short of the total: still complete.
    await book.recordProgress(j.id, 640 * (1 - 1e-12), T0 + 10 * MS_PER_HOUR);
    const done = book.get(j.id)!;
    expect(done).toMatchObject({ status: 'done', doneGpuHours: 640, finishedMs: T0 + 10 * MS_PER_HOUR });
    expect(await store.getJob(j.id)).toEqual(done);
    expect(book.pending(DC, T0 + 10 * MS_PER_HOUR)).toEqual([]);
    // Late reports for a finished job change nothing.
    await book.recordProgress(j.id, 700, T0 + 11 * MS_PER_HOUR);
    expect(book.get(j.id)).toEqual(done);
    expect(reasons).toEqual(['submit', 'done']);
    await expectJobError(book.cancel(j.id, operator), 'BITGRID_ERR_JOB_CONFLICT', 'id', /already done/);
  });

  it('more work than the job has completes it (clamped), bad reports are refused', async () => {
    const j = await book.submit(job(), operator);
    await book.recordProgress(j.id, 1000, T0 + MS_PER_HOUR);
    expect(book.get(j.id)).toMatchObject({ status: 'done', doneGpuHours: 640 });
    const k = await book.submit(job(), operator);
    await expectJobError(book.recordProgress(k.id, -1, T0), 'BITGRID_ERR_JOB_INPUT', 'doneGpuHours');
    await expectJobError(book.recordProgress(k.id, Number.NaN, T0), 'BITGRID_ERR_JOB_INPUT', 'doneGpuHours');
    await expectJobError(book.recordProgress(k.id, 1, 0.5), 'BITGRID_ERR_JOB_INPUT', 'atMs');
    await expectJobError(book.recordProgress('nope', 1, T0), 'BITGRID_ERR_JOB_NOT_FOUND', 'id');
    expect(book.get(k.id)!.doneGpuHours).toBe(0);
  });

  it('restores unfinished and recently finished jobs after a restart', async () => {
    const a = await book.submit(job({ name: 'a' }), operator);
    const b = await book.submit(job({ name: 'b' }), operator);
    const c = await book.submit(job({ name: 'c' }), operator);
    await book.recordProgress(a.id, 32, T0 + MS_PER_HOUR);
    await book.cancel(b.id, operator);
    await store.close();
    store = await open();
    const again = new JobBook({ store, now: () => nowMs, scenario });
    expect(again.list()).toEqual([]);
    await again.restore();
    expect(again.list().map((j) => [j.name, j.status, j.doneGpuHours])).toEqual([
      ['a', 'running', 32],
      ['b', 'cancelled', 0],
      ['c', 'queued', 0],
    ]);
    expect(again.pending(DC, nowMs).map((j) => j.id)).toEqual([a.id, c.id]);
    await again.recordProgress(a.id, 640, T0 + 11 * MS_PER_HOUR);
    expect((await store.getJob(a.id))!.status).toBe('done');
  });

  it('restores every unfinished job but only the newest finished ones', async () => {
    const add = (id: string) =>
      store.addJob({
        id,
        datacenterId: DC,
        name: id,
        gpus: 8,
        gpuHours: 8,
        earliestStartMs: T0,
        deadlineMs: T0 + MS_PER_HOUR,
        submittedMs: T0,
        submittedBy: 'tok_op',
      });
    await add('old-open');
    const extra = 3;
    for (let i = 0; i < FINISHED_JOBS_KEPT + extra; i++) {
      await add(`f${i}`);
      await store.updateJob(`f${i}`, { updatedMs: T0, status: 'done', doneGpuHours: 8, finishedMs: T0 });
    }
    await add('new-open');
    await book.restore();
    const ids = book.list().map((j) => j.id);
    expect(ids).toHaveLength(FINISHED_JOBS_KEPT + 2);
    expect(ids[0]).toBe('old-open');
    expect(ids[1]).toBe(`f${extra}`);
    expect(ids.at(-2)).toBe(`f${FINISHED_JOBS_KEPT + extra - 1}`);
    expect(ids.at(-1)).toBe('new-open');
    expect(book.pending(DC, T0).map((j) => j.id)).toEqual(['old-open', 'new-open']);
  });

  it('keeps the plan it is given, as a copy', async () => {
    expect(book.plan()).toBeUndefined();
    const j = await book.submit(job(), operator);
    const plan = {
      madeMs: T0,
      jobs: [
        {
          id: j.id,
          intervals: [{ startMs: T0, endMs: T0 + 10 * MS_PER_HOUR, gpus: 64, powerCapFraction: 1 }],
          expectedFinishMs: T0 + 10 * MS_PER_HOUR,
        },
      ],
    };
    book.setPlan(plan);
    plan.jobs[0].intervals[0].gpus = 1;
    expect(book.plan()!.jobs[0].intervals[0].gpus).toBe(64);
    expect(book.plan()!.jobs[0].expectedFinishMs).toBe(T0 + 10 * MS_PER_HOUR);
  });

  it('a failing listener does not undo the change or silence the others; unsubscribe works', async () => {
    const seen: string[] = [];
    book.onChange(() => {
      throw new Error('listener bug');
    });
    const off = book.onChange((r) => seen.push(r));
    const j = await book.submit(job(), operator);
    expect(await store.getJob(j.id)).toBeDefined();
    off();
    await book.cancel(j.id, operator);
    expect(seen).toEqual(['submit']);
  });

  it('sends audit entries where it is told to', async () => {
    const entries: unknown[] = [];
    const own = new JobBook({
      store,
      now: () => nowMs,
      scenario,
      audit: async (e) => void entries.push(e),
    });
    await own.submit(job(), operator);
    expect(entries).toHaveLength(1);
    expect(await store.listAudit()).toEqual([]);
  });

  it('runs concurrent changes one after another', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 5 }, (_, i) => book.submit(job({ name: `n${i}` }), operator)),
    );
    await Promise.all(jobs.map((j, i) => book.recordProgress(j.id, 10 * (i + 1), T0 + MS_PER_HOUR)));
    expect(book.list().map((j) => j.name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect((await store.listJobs({ order: 'asc' })).map((j) => j.doneGpuHours)).toEqual([10, 20, 30, 40, 50]);
  });
});
