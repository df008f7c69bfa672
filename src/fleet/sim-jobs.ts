import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import type { Contender } from '../testbed/score.ts';
import { checkToken, DEFAULT_NAMESPACE } from './subjects.ts';

// Distributed simulation: jobs (a district file, days, a strategy; or a challenge run of the test bed:
// a district file, a challenge set and a controller) on a JetStream work queue, taken by
// simulation workers wherever they run, one job at a time each; each result goes to a results
// stream. A job is acknowledged only once its result is published, so a worker that dies mid-job
// leaves it to another (after the ack wait); a job that fails is answered with its error, not retried.

/** How long a job may run before JetStream hands it to another worker, ms (workers say "still working"). */
const JOB_ACK_WAIT_MS = 10 * 60_000;
/** A worker tells JetStream it is still at a job this often, ms (well within the ack wait). */
const WORKING_EVERY_MS = 30_000;
/** Deliveries of one job at most: a job that keeps killing its workers is given up. */
const JOB_MAX_DELIVER = 3;
/** Most simulated days per job (a year). */
const JOB_MAX_DAYS = 366;
const NANOS_PER_MS = 1_000_000;

export const simJobSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'job id: 1–64 letters, digits, "_" or "-"'),
  /** The district file, YAML text (relative paths in it resolve nowhere: keep it self-contained). */
  scenarioYaml: z.string().min(1).max(1_000_000),
  days: z.number().int().positive().max(JOB_MAX_DAYS),
  /** First local day, YYYY-MM-DD (default: the district file's default_start). */
  start: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  strategy: z.string().min(1).max(100),
  seed: z.number().int().optional(),
});
export type SimJob = z.infer<typeof simJobSchema>;

/** Most bytes of a controller module's source carried by a test-bed job. */
const CONTROLLER_SOURCE_MAX_BYTES = 1_000_000;

/**
 * A challenge run of the test bed (src/testbed, `bitgrid testbed`) as a job: the controller travels
 * with it, as the module's source (run confined on the worker as it is locally) or as the URL of an
 * HTTP controller the worker can reach.
 */
export const testbedJobSchema = z.object({
  kind: z.literal('testbed'),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'job id: 1–64 letters, digits, "_" or "-"'),
  /** The district file, YAML text (self-contained, as a simulation job's). */
  scenarioYaml: z.string().min(1).max(1_000_000),
  /** The challenge set: `quick` (one day) or `full`. */
  set: z.enum(['quick', 'full']),
  controller: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('module'),
      /** The module's file name (shown in the leaderboard), e.g. `peak-shaver.mjs`. */
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}\.(mjs|js)$/, 'a module file name ending .mjs or .js'),
      source: z.string().min(1).max(CONTROLLER_SOURCE_MAX_BYTES),
    }),
    z.object({ kind: z.literal('http'), url: z.url({ protocol: /^https?$/ }) }),
  ]),
  /** The built-in strategies run beside it (default: the set's). */
  baselines: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
  /** The controller's limits (src/testbed/host.ts ControllerLimits; default DEFAULT_LIMITS). */
  limits: z
    .object({
      decisionTimeoutMs: z.number().int().positive(),
      loadTimeoutMs: z.number().int().positive(),
      runBudgetMs: z.number().int().positive(),
      memoryMb: z.number().positive(),
      decisionMemoryMb: z.number().positive(),
      maxAnswerBytes: z.number().int().positive(),
    })
    .optional(),
});
export type TestbedJob = z.infer<typeof testbedJobSchema>;

export interface SimJobResult {
  id: string;
  workerId: string;
  ok: boolean;
  error?: string;
  /** `testbed` for a challenge run; absent for a simulation job. */
  kind?: 'testbed';
  strategy: string;
  days: number;
  /** A challenge run's leaderboard, ranked by total cost (src/testbed/score.ts Contender). */
  leaderboard?: Contender[];
  /** The challenge set's name and version a run was scored on. */
  challengeSet?: { name: string; version: string };
  importKwh?: number;
  exportKwh?: number;
  peakImportKw?: number;
  /** Import bill less export revenue over the days, 원. */
  netBillKrw?: number;
  runtimeMs?: number;
}

function names(namespace: string) {
  const ns = checkToken('namespace', namespace);
  const upper = ns.toUpperCase().replace(/-/g, '_');
  return {
    jobStream: `${upper}_SIMJOBS`,
    jobSubject: `${ns}.sim.jobs`,
    resultStream: `${upper}_SIMRESULTS`,
    resultSubject: `${ns}.sim.results`,
    workers: `${ns}-sim-workers`,
  };
}

async function ensureSimStreams(nc: NatsConnection, namespace: string) {
  const n = names(namespace);
  const jsm = await jetstreamManager(nc);
  for (const s of [
    { name: n.jobStream, subjects: [n.jobSubject], retention: RetentionPolicy.Workqueue },
    { name: n.resultStream, subjects: [n.resultSubject], retention: RetentionPolicy.Limits },
  ])
    await jsm.streams.info(s.name).catch(() =>
      jsm.streams.add({
        ...s,
        storage: StorageType.File,
        duplicate_window: 10 * 60_000 * NANOS_PER_MS,
      }),
    );
  await jsm.consumers.info(n.jobStream, n.workers).catch(() =>
    jsm.consumers.add(n.jobStream, {
      durable_name: n.workers,
      ack_policy: AckPolicy.Explicit,
      ack_wait: JOB_ACK_WAIT_MS * NANOS_PER_MS,
      max_deliver: JOB_MAX_DELIVER,
    }),
  );
  return n;
}

/** Runs one job in this process (what a worker does with it). */
export async function runSimJob(job: SimJob, workerId: string): Promise<SimJobResult> {
  const base = { id: job.id, workerId, strategy: job.strategy, days: job.days };
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-simjob-'));
  try {
    const [{ loadScenarioFile }, { prepareDistrict }, { runSimulation }, { getStrategy }, { computeBill }] =
      await Promise.all([
        import('../model/load.ts'),
        import('../sim/district.ts'),
        import('../sim/engine.ts'),
        import('../scenario/strategies.ts'),
        import('../tariff/index.ts'),
      ]);
    const file = join(dir, 'district.yaml');
    writeFileSync(file, job.scenarioYaml);
    const { scenario, baseDir } = loadScenarioFile(file);
    const district = prepareDistrict(scenario, {
      days: job.days,
      baseDir,
      ...(job.start ? { start: job.start } : {}),
      ...(job.seed !== undefined ? { seed: job.seed } : {}),
    });
    const r = runSimulation(district, getStrategy(job.strategy)(district));
    const s = r.series;
    const bill = computeBill(
      {
        grid: district.grid,
        importKw: Array.from(s.importKw),
        exportKw: Array.from(s.exportKw),
        series: district.prices,
      },
      district.tariff,
      scenario.grid,
      scenario.timezone,
    );
    let importKwh = 0;
    let exportKwh = 0;
    for (let i = 0; i < s.importKw.length; i++) {
      importKwh += s.importKw[i] * district.intervalHours;
      exportKwh += s.exportKw[i] * district.intervalHours;
    }
    return {
      ...base,
      ok: true,
      importKwh,
      exportKwh,
      peakImportKw: Math.max(0, ...s.importKw),
      netBillKrw: bill.importBillKrw - bill.exportRevenueKrw,
      runtimeMs: Math.round(r.runtimeMs),
    };
  } catch (e) {
    return { ...base, ok: false, error: (e as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one challenge run in this process (what a worker does with it); the controller runs confined. */
export async function runTestbedJob(job: TestbedJob, workerId: string): Promise<SimJobResult> {
  const label = job.controller.kind === 'module' ? job.controller.name : job.controller.url;
  const base = { id: job.id, workerId, kind: 'testbed' as const, strategy: label, days: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-testbedjob-'));
  try {
    const [{ loadScenarioFile }, { runTestbed }, { controllerSpec }, challenge] = await Promise.all([
      import('../model/load.ts'),
      import('../testbed/score.ts'),
      import('../testbed/host.ts'),
      import('../testbed/challenge.ts'),
    ]);
    const file = join(dir, 'district.yaml');
    writeFileSync(file, job.scenarioYaml);
    const { scenario, baseDir } = loadScenarioFile(file);
    const target = job.controller.kind === 'http' ? job.controller.url : join(dir, job.controller.name);
    if (job.controller.kind === 'module') writeFileSync(target, job.controller.source);
    const set = job.set === 'full' ? challenge.DEFAULT_CHALLENGE_SET : challenge.QUICK_CHALLENGE_SET;
    const sc = await runTestbed({
      scenario,
      baseDir,
      set,
      controller: controllerSpec(target),
      ...(job.baselines ? { baselines: job.baselines } : {}),
      ...(job.limits ? { limits: job.limits } : {}),
    });
    return {
      ...base,
      ok: true,
      days: set.cases.reduce((a, c) => a + c.days, 0),
      challengeSet: sc.challengeSet,
      leaderboard: sc.leaderboard,
    };
  } catch (e) {
    return { ...base, ok: false, error: (e as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How often a client waiting for a queued run looks for its result, ms. */
const RESULT_POLL_MS = 1_000;
/** A client waits at most this long for a queued challenge run, ms (a full set takes minutes). */
const RESULT_WAIT_MAX_MS = 2 * 3_600_000;

/**
 * `bitgrid testbed --queue`: puts a challenge run on the fleet's work queue, with the district file's
 * text and the controller (a module's source, or an HTTP URL the workers can reach), and waits for a
 * worker's answer.
 */
export async function queueTestbedRun(o: {
  natsUrl: string;
  namespace?: string;
  scenarioFile: string;
  /** A .mjs/.js file or an http(s):// URL. */
  controller: string;
  set: TestbedJob['set'];
  baselines?: string[];
  limits?: TestbedJob['limits'];
  onQueued?: (id: string) => void;
}): Promise<SimJobResult> {
  const { readFileSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const controller: TestbedJob['controller'] = /^https?:\/\//i.test(o.controller)
    ? { kind: 'http', url: o.controller }
    : { kind: 'module', name: basename(o.controller), source: readFileSync(o.controller, 'utf8') };
  const id = `testbed-${randomBytes(6).toString('hex')}`;
  const queue = new SimJobQueue({ natsUrl: o.natsUrl, namespace: o.namespace });
  await queue.start();
  try {
    await queue.submitTestbed({
      kind: 'testbed',
      id,
      scenarioYaml: readFileSync(o.scenarioFile, 'utf8'),
      set: o.set,
      controller,
      ...(o.baselines ? { baselines: o.baselines } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
    });
    o.onQueued?.(id);
    const end = Date.now() + RESULT_WAIT_MAX_MS;
    for (;;) {
      const r = (await queue.results()).find((x) => x.id === id);
      if (r) return r;
      if (Date.now() > end)
        throw new Error(`no worker answered challenge run ${id} within ${RESULT_WAIT_MAX_MS / 60_000} min`);
      await new Promise((res) => setTimeout(res, RESULT_POLL_MS));
    }
  } finally {
    await queue.stop();
  }
}

/** Puts simulation jobs on the queue and reads their results. */
export class SimJobQueue {
  private nc?: NatsConnection;
  private n = names(DEFAULT_NAMESPACE);

  constructor(private readonly o: { natsUrl: string; namespace?: string }) {}

  async start(): Promise<void> {
    this.nc = await connect({ servers: this.o.natsUrl.split(',') });
    this.n = await ensureSimStreams(this.nc, this.o.namespace ?? DEFAULT_NAMESPACE);
  }

  async submit(job: SimJob): Promise<void> {
    const j = simJobSchema.parse(job);
    await jetstream(this.nc!).publish(this.n.jobSubject, JSON.stringify(j), { msgID: `simjob:${j.id}` });
  }

  /** Queues a challenge run of the test bed (taken by the same workers as simulation jobs). */
  async submitTestbed(job: TestbedJob): Promise<void> {
    const j = testbedJobSchema.parse(job);
    await jetstream(this.nc!).publish(this.n.jobSubject, JSON.stringify(j), { msgID: `simjob:${j.id}` });
  }

  /** Every result published so far (a result stream read from its start). */
  async results(): Promise<SimJobResult[]> {
    const js = jetstream(this.nc!);
    const jsm = await jetstreamManager(this.nc!);
    const info = await jsm.streams.info(this.n.resultStream);
    const out: SimJobResult[] = [];
    if (info.state.messages === 0) return out;
    const c = await js.consumers.get(this.n.resultStream, { deliver_policy: DeliverPolicy.All });
    const batch = await c.fetch({ max_messages: info.state.messages, expires: 5_000 });
    for await (const m of batch) {
      out.push(m.json<SimJobResult>());
      if (out.length >= info.state.messages) break;
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.nc?.drain().catch(() => undefined);
  }
}

/** A simulation worker: takes one job at a time from the queue until stopped. */
export class SimWorker {
  private nc?: NatsConnection;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  readonly done: string[] = [];

  constructor(
    private readonly o: {
      natsUrl: string;
      workerId: string;
      namespace?: string;
      log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
    },
  ) {
    checkToken('worker id', o.workerId);
  }

  async start(): Promise<void> {
    this.nc = await connect({
      servers: this.o.natsUrl.split(','),
      name: `bitgrid-worker-${this.o.workerId}`,
    });
    const n = await ensureSimStreams(this.nc, this.o.namespace ?? DEFAULT_NAMESPACE);
    const js = jetstream(this.nc);
    const consumer = await js.consumers.get(n.jobStream, n.workers);
    // One job at a time: a worker asks for the next only when it has answered the last.
    this.messages = await consumer.consume({ max_messages: 1 });
    this.loop = (async () => {
      for await (const m of this.messages!) {
        const working = setInterval(() => m.working(), WORKING_EVERY_MS);
        let result: SimJobResult;
        const body: unknown = (() => {
          try {
            return m.json();
          } catch {
            return undefined;
          }
        })();
        const isTestbed = (body as { kind?: unknown } | undefined)?.kind === 'testbed';
        const parsed = isTestbed ? testbedJobSchema.safeParse(body) : simJobSchema.safeParse(body);
        if (!parsed.success)
          result = {
            id: 'invalid',
            workerId: this.o.workerId,
            ok: false,
            strategy: '',
            days: 0,
            error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          };
        else
          result =
            'kind' in parsed.data
              ? await runTestbedJob(parsed.data, this.o.workerId)
              : await runSimJob(parsed.data, this.o.workerId);
        clearInterval(working);
        try {
          await js.publish(n.resultSubject, JSON.stringify(result), { msgID: `simresult:${result.id}` });
          m.ack();
          this.done.push(result.id);
          this.o.log?.info({ job: result.id, ok: result.ok }, 'simulation job done');
        } catch (e) {
          // Not acknowledged: the job goes to a worker again after the ack wait.
          this.o.log?.warn({ job: result.id, err: (e as Error).message }, 'simulation result not published');
          m.nak();
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop?.catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
  }
}
