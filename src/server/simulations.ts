import { Worker } from 'node:worker_threads';
import type { LoadedScenario } from '../model/load.ts';
import type { JsonValue, SimRunRecord, SimRunUpdate, Store } from '../store/index.ts';
import { ApiError } from './errors.ts';
import type { SimJobInput, SimJobMessage } from './sim-job.ts';

// Simulations started from the API run in worker threads so the server (and the control loop beside
// it) stays responsive. Runs are persisted in the store's simulation runs: queued → running → done or
// failed, with progress 0–1 written at most every PROGRESS_WRITE_EVERY_MS.

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

  async start(req: SimulationRequest): Promise<SimRunRecord> {
    if (this.closed) throw new ApiError('BITGRID_ERR_SIM_BUSY', 'the server is shutting down');
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
      worker = new Worker(new URL('./sim-worker.mjs', import.meta.url), { workerData: input });
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
    worker.on('error', (e) =>
      this.finish(job, { status: 'failed', error: `simulation worker crashed: ${e.message}` }),
    );
    worker.on('exit', (code) => {
      if (!job.settled)
        this.finish(job, {
          status: 'failed',
          error: `simulation worker exited (code ${code}) without a result`,
        });
    });
  }

  private finish(
    job: Job,
    end: { status: 'done'; result: JsonValue } | { status: 'failed'; error: string },
  ): void {
    if (job.settled) return;
    job.settled = true;
    if (job.timer) clearTimeout(job.timer);
    this.running.delete(job.id);
    void job.worker?.terminate();
    const update: SimRunUpdate =
      end.status === 'done'
        ? { updatedMs: this.o.now(), status: 'done', progress: 1, result: end.result }
        : { updatedMs: this.o.now(), status: 'failed', error: end.error };
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
