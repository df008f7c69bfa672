import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  queueTestbedRun,
  runSimJob,
  SimJobQueue,
  SimWorker,
  type SimJobResult,
} from '../../src/fleet/sim-jobs.ts';
import { REFERENCE_SCENARIO_FILE } from '../../src/model/load.ts';
import type { Contender } from '../../src/testbed/score.ts';

// Simulation jobs on a JetStream work queue of the machine's NATS, taken by two workers: every job
// is run once, by one of them, and answers the same as the same job run here. Then a challenge run
// of the test bed on the same queue: its leaderboard equals a local run's.

const NATS_URL = process.env.BITGRID_TEST_NATS_URL;

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The work queue's streams of a test's namespace, removed from the machine's NATS. */
async function removeSimJobStreams(ns: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL! });
  const jsm = await jetstreamManager(nc);
  for (const s of [`${ns.toUpperCase()}_SIMJOBS`, `${ns.toUpperCase()}_SIMRESULTS`])
    await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
}

describe.skipIf(!NATS_URL)('simulation jobs on a work queue', () => {
  const ns = `s${randomBytes(4).toString('hex')}`;
  const yaml = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8');
  let queue: SimJobQueue;
  const workers: SimWorker[] = [];
  let results: SimJobResult[] = [];

  beforeAll(async () => {
    queue = new SimJobQueue({ natsUrl: NATS_URL!, namespace: ns });
    await queue.start();
    for (const id of ['w1', 'w2']) {
      const w = new SimWorker({ natsUrl: NATS_URL!, workerId: id, namespace: ns });
      await w.start();
      workers.push(w);
    }
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await queue?.stop();
    await removeSimJobStreams(ns);
  }, 60_000);

  it('runs every job once across the workers, and answers a bad job with its error', async () => {
    const jobs = [
      { id: 'rules-1', strategy: 'rules', seed: 1 },
      { id: 'none-1', strategy: 'none', seed: 1 },
      { id: 'rules-2', strategy: 'rules', seed: 2 },
      { id: 'none-2', strategy: 'none', seed: 2 },
      { id: 'bad', strategy: 'no-such-strategy', seed: 1 },
    ];
    for (const j of jobs) await queue.submit({ ...j, scenarioYaml: yaml, days: 1 });
    await until('five results', async () => (results = await queue.results()).length >= jobs.length);
    expect(results.map((r) => r.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(workers.flatMap((w) => w.done).sort()).toEqual(jobs.map((j) => j.id).sort());
    const bad = results.find((r) => r.id === 'bad')!;
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/unknown strategy "no-such-strategy"/);
    for (const r of results.filter((x) => x.id !== 'bad')) {
      expect(r.ok, r.error).toBe(true);
      expect(r.importKwh).toBeGreaterThan(0);
      expect(r.netBillKrw).toBeGreaterThan(0);
    }
    // Both workers took work (one job at a time each).
    expect(workers.every((w) => w.done.length > 0)).toBe(true);
  }, 180_000);

  it('answers as the same job run in this process', async () => {
    const here = await runSimJob(
      { id: 'rules-1', strategy: 'rules', seed: 1, scenarioYaml: yaml, days: 1 },
      'here',
    );
    const there = results.find((r) => r.id === 'rules-1')!;
    expect({ ...there, workerId: 'here', runtimeMs: 0 }).toEqual({ ...here, runtimeMs: 0 });
  }, 120_000);

  it('refuses a job that is not right before it is queued', async () => {
    await expect(queue.submit({ id: 'x.y', strategy: 'rules', scenarioYaml: yaml, days: 1 })).rejects.toThrow(
      /job id/,
    );
    await expect(queue.submit({ id: 'x', strategy: 'rules', scenarioYaml: yaml, days: 0 })).rejects.toThrow();
  });
});

describe.skipIf(!NATS_URL)('test-bed challenge runs on the same work queue', () => {
  const ns = `b${randomBytes(4).toString('hex')}`;
  const yaml = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8');
  const controllerFile = fileURLToPath(
    new URL('../../examples/controllers/peak-shaver.mjs', import.meta.url),
  );
  let queue: SimJobQueue;
  let worker: SimWorker;

  beforeAll(async () => {
    queue = new SimJobQueue({ natsUrl: NATS_URL!, namespace: ns });
    await queue.start();
    worker = new SimWorker({ natsUrl: NATS_URL!, workerId: 'tb1', namespace: ns });
    await worker.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await queue?.stop();
    await removeSimJobStreams(ns);
  }, 60_000);

  it('runs a challenge run on a worker with the same leaderboard as a local run', async () => {
    // As `bitgrid testbed --queue` does: the district file's text and the module's source go on the queue.
    let queuedId = '';
    const there = await queueTestbedRun({
      natsUrl: NATS_URL!,
      namespace: ns,
      scenarioFile: REFERENCE_SCENARIO_FILE,
      controller: controllerFile,
      set: 'quick',
      onQueued: (id) => (queuedId = id),
    });
    expect(there.id).toBe(queuedId);
    expect(worker.done).toEqual([queuedId]);
    expect(there.workerId).toBe('tb1');
    expect(there.ok, there.error).toBe(true);
    // The same run here, with the controller from its own file.
    const { loadScenarioFile } = await import('../../src/model/load.ts');
    const { runTestbed } = await import('../../src/testbed/score.ts');
    const { controllerSpec } = await import('../../src/testbed/host.ts');
    const { QUICK_CHALLENGE_SET } = await import('../../src/testbed/challenge.ts');
    const { scenario, baseDir } = loadScenarioFile(REFERENCE_SCENARIO_FILE);
    const here = await runTestbed({
      scenario,
      baseDir,
      set: QUICK_CHALLENGE_SET,
      controller: controllerSpec(controllerFile),
    });
    expect(there.challengeSet).toEqual(here.challengeSet);
    // Everything but the decision times, which are the machine's, not the run's.
    const figures = (xs: Contender[]) => xs.map(({ meanDecisionMs: _m, p95DecisionMs: _p, ...rest }) => rest);
    expect(figures(there.leaderboard!)).toEqual(figures(here.leaderboard));
    expect(there.leaderboard!.map((c) => c.strategy)).toEqual(
      expect.arrayContaining(['peak-shaver.mjs', 'rules', 'none']),
    );
  }, 300_000);

  it('refuses a challenge run that is not right before it is queued', async () => {
    const bad = { kind: 'testbed' as const, id: 'x', scenarioYaml: yaml, set: 'quick' as const };
    await expect(
      queue.submitTestbed({ ...bad, controller: { kind: 'module', name: 'evil.sh', source: 'x' } }),
    ).rejects.toThrow(/\.mjs or \.js/);
    await expect(
      queue.submitTestbed({
        ...bad,
        set: 'huge' as 'quick',
        controller: { kind: 'http', url: 'http://127.0.0.1:1/' },
      }),
    ).rejects.toThrow();
  });
});
