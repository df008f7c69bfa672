import { Worker } from 'node:worker_threads';
import type { LoadedScenario } from '../model/load.ts';
import type { Scenario } from '../model/schema.ts';
import type { JsonValue, SimRunRecord, SimRunUpdate, Store } from '../store/index.ts';
import { ApiError } from './errors.ts';
import type { SimJobInput, SimJobMessage } from './sim-job.ts';

// Simulations started from the API run in worker threads so the server (and the control loop beside
// it) stays responsive. Runs are persisted in the store's simulation runs: queued → running → done,
// failed or cancelled, with progress 0–1 written at most every PROGRESS_WRITE_EVERY_MS. A run is
// estimated from the district file before it is queued and refused when over the memory or time
// budget; the worker's heap is limited to the same memory budget in case the estimate is wrong.

/**
 * Simulations at once. The reference machine has two cores shared with the control loop and the API;
 * one simulation keeps one core free for them.
 */
export const MAX_CONCURRENT_SIMULATIONS = 1;
/** Runs waiting beyond the running ones; more are refused (503) rather than piling up work. */
export const MAX_QUEUED_SIMULATIONS = 8;
/** A run still going after this is stopped and marked failed (a year of every strategy fits well inside). */
export const SIMULATION_TIMEOUT_MS = 15 * 60_000;
/** How often progress is written to the store: often enough for a progress bar, rarely enough for fsync. */
export const PROGRESS_WRITE_EVERY_MS = 500;

/**
 * Memory one API simulation may use, MB: the worker's heap limit and the budget its estimate must fit.
 * A year of `optimal` on the reference district peaks at about 600 MB (docs/optimizer.md); the edge
 * PC the server runs on also holds the control loop, the store and the dashboard, so a run gets a
 * bounded share rather than whatever the machine has.
 */
export const SIMULATION_MEMORY_BUDGET_MB = 1024;

// The estimate's coefficients, measured on the shared 2-core reference machine (Node 20) with the
// reference district and with a 9,000-charger, 20,000-sessions-a-day variant of it, rounded up so the
// estimate errs on the side of refusing.

/** A worker with tsx and the simulator loaded, before any data, bytes (RSS measured at 190 MB). */
const WORKER_BASE_BYTES = 200e6;
/** Per interval: local time, weather, prices and the engine's own series (≈ 2.5 kB measured). */
const BYTES_PER_INTERVAL = 3_000;
/** Per interval, strategy and series: one Float64 (the engine's fixed series plus one per asset). */
const BYTES_PER_SERIES_VALUE = 8;
/** Series every run keeps whatever the assets (grid, import, export, pv, battery, loads, …). */
const ENGINE_FIXED_SERIES = 12;
/** One EV session or turned-away candidate with the strategies' state about it (≈ 2 kB measured). */
const BYTES_PER_EV_SESSION = 2_500;
/** One charger slot of an EV asset. */
const BYTES_PER_CHARGER = 200;
/** One training job with its progress. */
const BYTES_PER_TRAINING_JOB = 1_000;
/** One bus block (a bus drives two a day: morning and afternoon). */
const BYTES_PER_BUS_BLOCK = 300;
const BUS_BLOCKS_PER_DAY = 2;
/** HiGHS's model and workspace for one 24-hour horizon: the year of `optimal` peaked at 600 MB. */
const MILP_WORKSPACE_BYTES = 400e6;
/** Preparing one interval (weather, solar position, PV, prices, loads): ≈ 0.3 ms measured. */
const PREP_MS_PER_INTERVAL = 0.4;
/** One look at one charger while seating one arriving car (≈ 20 ns measured). */
const MS_PER_CHARGER_SEARCH = 30e-6;
/** A fast strategy's step, per interval and per thing stepped (asset, bus, plugged car, job): 1.3–4 µs measured. */
const FAST_MS_PER_UNIT = 5e-3;
/**
 * An optimizing strategy's step, per interval and per thing stepped: a year of `optimal` took 4,310 s
 * over 35,040 intervals of about 190 things, 0.65 ms each (docs/optimizer.md).
 */
const MILP_MS_PER_UNIT = 1;
/** Strategies that solve a MILP every hour; the rest decide by rules in microseconds. */
export const OPTIMIZING_STRATEGIES: readonly string[] = ['optimal', 'oracle'];
const MINUTES_PER_DAY = 1440;
const HOURS_PER_DAY = 24;
const BYTES_PER_MB = 1024 * 1024;

/** What a run would need, from the district file alone, before anything is built. */
export interface SimulationEstimate {
  intervals: number;
  /** Things stepped every interval: assets, buses, chargers (the most cars plugged at once), pending jobs. */
  unitsPerInterval: number;
  evSessions: number;
  chargers: number;
  trainingJobs: number;
  memoryMb: number;
  cpuS: number;
}

export function estimateSimulation(
  scenario: Scenario,
  days: number,
  strategies: readonly string[],
): SimulationEstimate {
  const intervals = Math.ceil((days * MINUTES_PER_DAY) / scenario.interval_minutes);
  let assets = 0;
  let chargers = 0;
  let evSessions = 0;
  let chargerSearches = 0;
  let buses = 0;
  let trainingJobs = 0;
  let pendingJobs = 0;
  for (const site of scenario.sites)
    for (const a of site.assets) {
      assets++;
      if (a.type === 'ev_chargers') {
        const n = a.chargers.reduce((k, c) => k + c.count, 0);
        const sessions = Math.ceil(Math.max(a.sessions.weekday_sessions, a.sessions.weekend_sessions)) * days;
        chargers += n;
        evSessions += sessions;
        chargerSearches += sessions * n;
      } else if (a.type === 'bus_depot') buses += a.buses;
      else if (a.type === 'datacenter') {
        const t = a.training;
        trainingJobs += Math.ceil(t.jobs_per_day * days);
        // A job waits at most until its deadline: runtime × slack after submission.
        const waitDays = Math.ceil((t.job_hours_max * t.deadline_slack_max) / HOURS_PER_DAY) + 1;
        pendingJobs += Math.ceil(t.jobs_per_day * Math.min(days, waitDays));
      }
    }
  if (scenario.contracts.ppa) assets++;
  const unitsPerInterval = assets + buses + chargers + pendingJobs;
  const optimizing = strategies.filter((s) => OPTIMIZING_STRATEGIES.includes(s)).length;
  const memoryBytes =
    WORKER_BASE_BYTES +
    intervals *
      (BYTES_PER_INTERVAL + BYTES_PER_SERIES_VALUE * (ENGINE_FIXED_SERIES + assets) * strategies.length) +
    evSessions * BYTES_PER_EV_SESSION +
    chargers * BYTES_PER_CHARGER +
    trainingJobs * BYTES_PER_TRAINING_JOB +
    buses * days * BUS_BLOCKS_PER_DAY * BYTES_PER_BUS_BLOCK +
    (optimizing > 0 ? MILP_WORKSPACE_BYTES : 0);
  const cpuMs =
    intervals * PREP_MS_PER_INTERVAL +
    chargerSearches * MS_PER_CHARGER_SEARCH +
    intervals *
      unitsPerInterval *
      ((strategies.length - optimizing) * FAST_MS_PER_UNIT + optimizing * MILP_MS_PER_UNIT);
  return {
    intervals,
    unitsPerInterval,
    evSessions,
    chargers,
    trainingJobs,
    memoryMb: Math.ceil(memoryBytes / BYTES_PER_MB),
    cpuS: Math.ceil(cpuMs / 1000),
  };
}

/**
 * Why a run does not fit the budgets, or undefined when it does: the figure that is over, by how
 * much, and what drives it.
 */
export function overBudget(
  e: SimulationEstimate,
  budget: { memoryMb: number; timeoutMs: number },
): string | undefined {
  const timeS = Math.floor(budget.timeoutMs / 1000);
  const drivers =
    `${e.intervals} intervals × ${e.unitsPerInterval} things stepped each ` +
    `(${e.chargers} chargers, ${e.evSessions} EV sessions, ${e.trainingJobs} training jobs)`;
  const over: string[] = [];
  if (e.memoryMb > budget.memoryMb)
    over.push(
      `estimated memory ${e.memoryMb} MB is over the ${budget.memoryMb} MB budget by ${e.memoryMb - budget.memoryMb} MB`,
    );
  if (e.cpuS > timeS)
    over.push(`estimated computing time ${e.cpuS} s is over the ${timeS} s limit by ${e.cpuS - timeS} s`);
  return over.length
    ? `${over.join('; ')}: ${drivers}; ask for fewer days or strategies, or a smaller district`
    : undefined;
}

export interface SimulationRequest {
  loaded: LoadedScenario;
  start?: string;
  days: number;
  strategies: string[];
  seed?: number;
  /** What is stored as the run's params (no uploaded file text, only its description). */
  params: Record<string, JsonValue>;
}

interface Job {
  id: string;
  req: SimulationRequest;
  worker?: Worker;
  timer?: NodeJS.Timeout;
  lastWriteMs: number;
  settled: boolean;
  /** The job's store writes, one after another so a late progress write cannot follow `done`. */
  chain: Promise<unknown>;
}

export interface SimulationManagerOptions {
  store: Store;
  now: () => number;
  log: { error(o: object, m?: string): void; info(o: object, m?: string): void };
  maxConcurrent?: number;
  maxQueued?: number;
  timeoutMs?: number;
  memoryMb?: number;
}

export class SimulationManager {
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, Job>();
  private closed = false;
  /** Store writes in flight, so close() can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly o: SimulationManagerOptions) {}

  /** Marks runs a previous process left queued or running as failed: their workers died with it. */
  async recoverInterrupted(): Promise<number> {
    let n = 0;
    for (const status of ['queued', 'running'] as const) {
      for (const r of await this.o.store.listSimRuns({ status })) {
        await this.o.store.updateSimRun(r.id, {
          updatedMs: this.o.now(),
          status: 'failed',
          error: 'interrupted: the server stopped before the run finished',
        });
        n++;
      }
    }
    return n;
  }

  get budget(): { memoryMb: number; timeoutMs: number } {
    return {
      memoryMb: this.o.memoryMb ?? SIMULATION_MEMORY_BUDGET_MB,
      timeoutMs: this.o.timeoutMs ?? SIMULATION_TIMEOUT_MS,
    };
  }

  /**
   * Refuses a run whose estimate is over the memory or time budget, before anything is stored or
   * built. The field at fault is `days` when one day would fit, else the district (`scenario`).
   */
  checkBudget(req: Pick<SimulationRequest, 'loaded' | 'days' | 'strategies'>): SimulationEstimate {
    const e = estimateSimulation(req.loaded.scenario, req.days, req.strategies);
    const why = overBudget(e, this.budget);
    if (why === undefined) return e;
    const oneDayFits =
      overBudget(estimateSimulation(req.loaded.scenario, 1, req.strategies), this.budget) === undefined;
    throw new ApiError(
      'BITGRID_ERR_VALIDATION',
      `simulation too large: ${why}`,
      oneDayFits ? 'days' : 'scenario',
    );
  }

  async start(req: SimulationRequest): Promise<SimRunRecord> {
    if (this.closed) throw new ApiError('BITGRID_ERR_SIM_BUSY', 'the server is shutting down');
    this.checkBudget(req);
    if (this.queue.length >= (this.o.maxQueued ?? MAX_QUEUED_SIMULATIONS))
      throw new ApiError(
        'BITGRID_ERR_SIM_BUSY',
        `${this.queue.length} simulations are already waiting; try again when one has finished`,
      );
    const rec = await this.o.store.createSimRun({ createdMs: this.o.now(), params: req.params });
    this.queue.push({ id: rec.id, req, lastWriteMs: 0, settled: false, chain: Promise.resolve() });
    this.pump();
    return rec;
  }

  get activeCount(): number {
    return this.running.size;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  private write(job: Job, update: SimRunUpdate): void {
    const q = job.chain
      .then(() => this.o.store.updateSimRun(job.id, update))
      .catch((e) => this.o.log.error({ err: e, simulation: job.id }, 'simulation run update failed'));
    job.chain = q;
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  private pump(): void {
    while (
      !this.closed &&
      this.running.size < (this.o.maxConcurrent ?? MAX_CONCURRENT_SIMULATIONS) &&
      this.queue.length > 0
    ) {
      const job = this.queue.shift()!;
      this.running.set(job.id, job);
      this.launch(job);
    }
  }

  private launch(job: Job): void {
    const input: SimJobInput = {
      loaded: job.req.loaded,
      start: job.req.start,
      days: job.req.days,
      strategies: job.req.strategies,
      seed: job.req.seed,
      progressEveryMs: PROGRESS_WRITE_EVERY_MS,
    };
    this.write(job, { updatedMs: this.o.now(), status: 'running', progress: 0 });
    let worker: Worker;
    try {
      // The heap limit makes a runaway die alone (ERR_WORKER_OUT_OF_MEMORY) instead of taking the
      // process, and the control loop in it, to the OOM killer.
      worker = new Worker(new URL('./sim-worker.mjs', import.meta.url), {
        workerData: input,
        resourceLimits: { maxOldGenerationSizeMb: this.budget.memoryMb },
      });
    } catch (e) {
      this.finish(job, {
        status: 'failed',
        error: `could not start the simulation worker: ${(e as Error).message}`,
      });
      return;
    }
    job.worker = worker;
    job.timer = setTimeout(() => {
      this.finish(job, {
        status: 'failed',
        error: `stopped after ${Math.round((this.o.timeoutMs ?? SIMULATION_TIMEOUT_MS) / 1000)} s (time limit)`,
      });
    }, this.o.timeoutMs ?? SIMULATION_TIMEOUT_MS);
    job.timer.unref();
    worker.on('message', (m: SimJobMessage) => {
      if (m.type === 'progress') {
        const t = this.o.now();
        if (t - job.lastWriteMs < PROGRESS_WRITE_EVERY_MS) return;
        job.lastWriteMs = t;
        this.write(job, { updatedMs: t, progress: m.fraction });
      } else if (m.type === 'done') {
        this.finish(job, { status: 'done', result: m.result as JsonValue });
      } else if (m.type === 'error') {
        this.finish(job, { status: 'failed', error: m.message });
      }
    });
    worker.on('error', (e: Error & { code?: string }) =>
      this.finish(job, {
        status: 'failed',
        error:
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `stopped: the run needed more than its ${this.budget.memoryMb} MB memory limit`
            : `simulation worker crashed: ${e.message}`,
      }),
    );
    worker.on('exit', (code) => {
      if (!job.settled)
        this.finish(job, {
          status: 'failed',
          error: `simulation worker exited (code ${code}) without a result`,
        });
    });
  }

  /**
   * Cancels a queued run (it never starts) or a running one (its worker is terminated). Resolves to
   * the run as stored once the change is written; throws 404 for an unknown run and 409 for one that
   * has already ended.
   */
  async cancel(id: string, by: string): Promise<SimRunRecord> {
    const at = this.queue.findIndex((j) => j.id === id);
    const job = at >= 0 ? this.queue.splice(at, 1)[0] : this.running.get(id);
    if (job) {
      const error = `cancelled by ${by}`;
      if (at >= 0) {
        job.settled = true;
        this.write(job, { updatedMs: this.o.now(), status: 'cancelled', error });
      } else this.finish(job, { status: 'cancelled', error });
      await job.chain;
    } else {
      const run = await this.o.store.getSimRun(id);
      if (!run) throw new ApiError('BITGRID_ERR_NOT_FOUND', `no simulation "${id}"`, 'id');
      if (run.status !== 'queued' && run.status !== 'running')
        throw new ApiError('BITGRID_ERR_CONFLICT', `simulation "${id}" is already ${run.status}`, 'id');
      // Queued or running in the store but not here: left by a process that is gone.
      await this.o.store.updateSimRun(id, {
        updatedMs: this.o.now(),
        status: 'cancelled',
        error: `cancelled by ${by}`,
      });
    }
    this.o.log.info({ simulation: id, by }, 'simulation cancelled');
    return (await this.o.store.getSimRun(id))!;
  }

  private finish(
    job: Job,
    end: { status: 'done'; result: JsonValue } | { status: 'failed' | 'cancelled'; error: string },
  ): void {
    if (job.settled) return;
    job.settled = true;
    if (job.timer) clearTimeout(job.timer);
    this.running.delete(job.id);
    void job.worker?.terminate();
    const update: SimRunUpdate =
      end.status === 'done'
        ? { updatedMs: this.o.now(), status: 'done', progress: 1, result: end.result }
        : { updatedMs: this.o.now(), status: end.status, error: end.error };
    this.o.log.info({ simulation: job.id, status: end.status }, 'simulation finished');
    this.write(job, update);
    this.pump();
  }

  /** Stops every worker, marks unfinished runs failed and waits for the store writes. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.settled = true;
      this.write(job, {
        updatedMs: this.o.now(),
        status: 'failed',
        error: 'the server stopped before the run started',
      });
    }
    for (const job of [...this.running.values()])
      this.finish(job, { status: 'failed', error: 'the server stopped during the run' });
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
