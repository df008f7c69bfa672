import type { Scenario } from '../model/schema.ts';
import { MS_PER_HOUR, toIsoLocal } from '../model/time.ts';
import { datacenterLayout } from '../sim/assets/datacenter.ts';
import type { DatacenterJob, NewAuditEntry, Store } from '../store/index.ts';
import type { Actor } from './types.ts';

// The book of the data center's deferrable training jobs in the live system: what its team
// submitted, what is still to run, how far each job has got, and the plan the live planner made
// for them. The store holds the jobs (they survive a restart); the book keeps the unfinished ones
// and the most recently finished ones in memory, so the planner and the API read them without SQL.
// Every change is written to the store before the book or its listeners see it.

export type { DatacenterJob, JobStatus } from '../store/index.ts';

/**
 * Finished jobs kept in memory for the API and the dashboard's timeline; older ones are in the
 * store only. Two weeks of the reference district's 14 jobs a day, with room to spare.
 */
export const FINISHED_JOBS_KEPT = 200;
/** Work within this fraction of the total counts as complete: progress is a sum of floating-point interval work. */
export const WORK_COMPLETE_TOLERANCE = 1e-9;
/** Job names are labels on a timeline: the store's identifier limit. */
export const JOB_NAME_MAX_CHARS = 200;

/** What the data center's team submits. Times are UTC ms. */
export interface JobSubmission {
  /** The data center asset (district file id) that runs it. */
  datacenterId: string;
  name: string;
  /** GPUs it runs on at once (1 … the data center's training GPUs). */
  gpus: number;
  /** Work at full GPU speed, GPU-hours. */
  gpuHours: number;
  /** Not before this time (default: now). */
  earliestStartMs?: number;
  /** Done by this time. */
  deadlineMs: number;
  /** Higher goes first when not everything fits (default 0). */
  priority?: number;
  /** May be paused and resumed (default true). */
  interruptible?: boolean;
}

/** The live planner's answer for the jobs: when each runs, on how many GPUs, at which power cap. */
export interface JobPlan {
  madeMs: number;
  jobs: {
    id: string;
    intervals: { startMs: number; endMs: number; gpus: number; powerCapFraction: number }[];
    expectedFinishMs?: number;
  }[];
}

export type JobErrorCode = 'BITGRID_ERR_JOB_INPUT' | 'BITGRID_ERR_JOB_NOT_FOUND' | 'BITGRID_ERR_JOB_CONFLICT';

/** A refused job request: says which field and why. The API maps the code to 400, 404 or 409. */
export class JobError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

export type JobChangeReason = 'submit' | 'cancel' | 'done';

export interface JobBookOptions {
  store: Store;
  /** The live system's clock, UTC ms (the twin's clock in simulated real time). */
  now: () => number;
  /** The district: its data center assets and their training GPUs. */
  scenario: Scenario;
  /** Where audit entries go (default: the store's audit log). */
  audit?: (entry: NewAuditEntry) => Promise<unknown>;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

interface DatacenterInfo {
  trainingGpus: number;
}

const isFinished = (j: DatacenterJob) => j.status === 'done' || j.status === 'cancelled';

export class JobBook {
  private readonly jobs = new Map<string, DatacenterJob>();
  private readonly datacenters = new Map<string, DatacenterInfo>();
  private readonly listeners = new Set<(reason: JobChangeReason) => void>();
  private readonly zone: string;
  private readonly log: NonNullable<JobBookOptions['log']>;
  private currentPlan: JobPlan | undefined;
  /** Changes run one after another, so the store and the book never disagree on the order. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: JobBookOptions) {
    this.zone = opts.scenario.timezone;
    this.log = opts.log ?? { warn() {}, error() {} };
    for (const site of opts.scenario.sites)
      for (const a of site.assets)
        if (a.type === 'datacenter')
          this.datacenters.set(a.id, { trainingGpus: datacenterLayout(a).trainingGpus });
  }

  /** Data center asset ids and their training GPUs. */
  datacenterGpus(): Map<string, number> {
    return new Map([...this.datacenters].map(([id, d]) => [id, d.trainingGpus]));
  }

  /** Loads the unfinished jobs and the latest finished ones from the store (after a restart). */
  async restore(): Promise<void> {
    await this.serial(async () => {
      const open = await this.opts.store.listJobs({ status: ['queued', 'running'], order: 'asc' });
      // The newest rows up to FINISHED_JOBS_KEPT + open.length hold at least the newest
      // FINISHED_JOBS_KEPT finished jobs, in the store's submission order (submission times may tie).
      const recent = (
        await this.opts.store.listJobs({ order: 'desc', limit: FINISHED_JOBS_KEPT + open.length })
      ).reverse();
      const inRecent = new Set(recent.map((j) => j.id));
      // Unfinished jobs older than that window come before all of it.
      const all = [...open.filter((j) => !inRecent.has(j.id)), ...recent];
      this.jobs.clear();
      for (const j of all) this.jobs.set(j.id, j);
      this.prune();
    });
  }

  /** Checks, stores, then audits (`job.submit`) a new job; refusals are audited as denied. */
  submit(input: JobSubmission, actor: Actor): Promise<DatacenterJob> {
    return this.serial(async () => {
      const nowMs = this.opts.now();
      let checked: ReturnType<JobBook['check']>;
      try {
        checked = this.check(input, nowMs);
      } catch (e) {
        if (e instanceof JobError)
          await this.audit(actor, 'job.submit', this.targetOf(input), 'denied', {
            refused: e.message,
            ...(e.field ? { field: e.field } : {}),
          });
        throw e;
      }
      const job = await this.opts.store.addJob({ ...checked, submittedMs: nowMs, submittedBy: actor.id });
      this.jobs.set(job.id, job);
      await this.audit(actor, 'job.submit', jobTarget(job.id), 'ok', {
        jobId: job.id,
        datacenterId: job.datacenterId,
        name: job.name,
        gpus: job.gpus,
        gpuHours: job.gpuHours,
        earliestStartMs: job.earliestStartMs,
        deadlineMs: job.deadlineMs,
        priority: job.priority,
        interruptible: job.interruptible,
      });
      this.emit('submit');
      return job;
    });
  }

  /** Cancels a queued or running job (audited `job.cancel`); a finished one is refused. */
  cancel(id: string, actor: Actor): Promise<DatacenterJob> {
    return this.serial(async () => {
      const deny = async (e: JobError): Promise<never> => {
        await this.audit(actor, 'job.cancel', jobTarget(String(id)), 'denied', {
          refused: e.message,
        });
        throw e;
      };
      if (typeof id !== 'string' || id.length === 0)
        return deny(new JobError('BITGRID_ERR_JOB_INPUT', 'id must be a non-empty string', 'id'));
      const job = this.jobs.get(id) ?? (await this.opts.store.getJob(id));
      if (!job) return deny(new JobError('BITGRID_ERR_JOB_NOT_FOUND', `no job "${id}"`, 'id'));
      if (isFinished(job))
        return deny(new JobError('BITGRID_ERR_JOB_CONFLICT', `job "${id}" is already ${job.status}`, 'id'));
      const nowMs = this.opts.now();
      const cancelled = await this.opts.store.updateJob(id, {
        updatedMs: nowMs,
        status: 'cancelled',
        finishedMs: nowMs,
      });
      this.keep(cancelled);
      await this.audit(actor, 'job.cancel', jobTarget(id), 'ok', {
        jobId: id,
        datacenterId: job.datacenterId,
        doneGpuHours: cancelled.doneGpuHours,
      });
      this.emit('cancel');
      return cancelled;
    });
  }

  /** Every job the book holds (unfinished and recently finished), in submission order. */
  list(): DatacenterJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }

  /** One job the book holds, or undefined (older finished jobs are in the store only). */
  get(id: string): DatacenterJob | undefined {
    const j = this.jobs.get(id);
    return j && { ...j };
  }

  /** Jobs of a data center submitted by `nowMs` and not done or cancelled, in submission order. */
  pending(datacenterId: string, nowMs: number): DatacenterJob[] {
    return this.list().filter(
      (j) => j.datacenterId === datacenterId && !isFinished(j) && j.submittedMs <= nowMs,
    );
  }

  /**
   * Records the work done so far (GPU-hours at full speed). Never goes back: a smaller figure than
   * the one recorded is ignored. More than 0 makes the job `running`; the whole work makes it `done`
   * at `atMs`. Reports for finished jobs are ignored.
   */
  recordProgress(id: string, doneGpuHours: number, atMs: number): Promise<void> {
    return this.serial(async () => {
      if (typeof doneGpuHours !== 'number' || !Number.isFinite(doneGpuHours) || doneGpuHours < 0)
        throw new JobError(
          'BITGRID_ERR_JOB_INPUT',
          `doneGpuHours must be a finite number ≥ 0 (got ${String(doneGpuHours)})`,
          'doneGpuHours',
        );
      if (!Number.isSafeInteger(atMs))
        throw new JobError(
          'BITGRID_ERR_JOB_INPUT',
          `atMs must be whole UTC epoch ms (got ${String(atMs)})`,
          'atMs',
        );
      const job = this.jobs.get(id);
      if (!job) throw new JobError('BITGRID_ERR_JOB_NOT_FOUND', `no unfinished job "${id}"`, 'id');
      if (isFinished(job)) return;
      let done = Math.min(job.gpuHours, Math.max(job.doneGpuHours, doneGpuHours));
      const complete = done >= job.gpuHours * (1 - WORK_COMPLETE_TOLERANCE);
      if (complete) done = job.gpuHours;
      const status = complete ? 'done' : done > 0 ? 'running' : job.status;
      if (done === job.doneGpuHours && status === job.status) return;
      const updated = await this.opts.store.updateJob(id, {
        updatedMs: atMs,
        status,
        doneGpuHours: done,
        ...(complete ? { finishedMs: atMs } : {}),
      });
      this.keep(updated);
      if (complete) this.emit('done');
    });
  }

  /** The planner's latest plan for the jobs (not persisted: the planner makes it again after a restart). */
  setPlan(plan: JobPlan): void {
    this.currentPlan = structuredClone(plan);
  }

  plan(): JobPlan | undefined {
    return this.currentPlan && structuredClone(this.currentPlan);
  }

  /** Called after a job is submitted, cancelled or done (so the planner re-plans); returns the unsubscribe. */
  onChange(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- internals

  private check(input: JobSubmission, nowMs: number) {
    const bad = (field: string, message: string) =>
      new JobError('BITGRID_ERR_JOB_INPUT', `${field}: ${message}`, field);
    if (typeof input !== 'object' || input === null) throw bad('job', 'must be an object');
    const dc = this.datacenters.get(input.datacenterId);
    if (typeof input.datacenterId !== 'string' || !dc) {
      const known = [...this.datacenters.keys()].map((k) => `"${k}"`).join(', ') || 'none';
      throw bad(
        'datacenterId',
        `no data center "${String(input.datacenterId).slice(0, JOB_NAME_MAX_CHARS)}" in the district (data centers: ${known})`,
      );
    }
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name) throw bad('name', 'must be a non-empty string');
    if (name.length > JOB_NAME_MAX_CHARS)
      throw bad('name', `must be at most ${JOB_NAME_MAX_CHARS} characters`);
    if (!Number.isSafeInteger(input.gpus) || input.gpus < 1 || input.gpus > dc.trainingGpus)
      throw bad(
        'gpus',
        `must be a whole number from 1 to ${dc.trainingGpus}, the training GPUs of "${input.datacenterId}" (got ${String(input.gpus)})`,
      );
    if (typeof input.gpuHours !== 'number' || !Number.isFinite(input.gpuHours) || input.gpuHours <= 0)
      throw bad('gpuHours', `must be a positive number (got ${String(input.gpuHours)})`);
    const earliestStartMs = input.earliestStartMs ?? nowMs;
    if (!Number.isSafeInteger(earliestStartMs))
      throw bad('earliestStartMs', `must be whole UTC epoch ms (got ${String(earliestStartMs)})`);
    if (!Number.isSafeInteger(input.deadlineMs))
      throw bad('deadlineMs', `must be whole UTC epoch ms (got ${String(input.deadlineMs)})`);
    const iso = (ms: number) => toIsoLocal(ms, this.zone);
    if (input.deadlineMs <= earliestStartMs)
      throw bad(
        'deadlineMs',
        `${iso(input.deadlineMs)} must be after the earliest start ${iso(earliestStartMs)}`,
      );
    const priority = input.priority ?? 0;
    if (!Number.isSafeInteger(priority))
      throw bad('priority', `must be a whole number (got ${String(priority)})`);
    const interruptible = input.interruptible ?? true;
    if (typeof interruptible !== 'boolean') throw bad('interruptible', 'must be true or false');
    // The job must fit at all: on its GPUs at full speed, from when it can start to its deadline.
    const startMs = Math.max(earliestStartMs, nowMs);
    const neededH = input.gpuHours / input.gpus;
    const availableH = (input.deadlineMs - startMs) / MS_PER_HOUR;
    if (neededH * MS_PER_HOUR > input.deadlineMs - startMs)
      throw bad(
        'deadlineMs',
        `the job cannot finish in time: ${input.gpuHours} GPU-hours on ${input.gpus} GPUs take ${round(neededH)} h at full speed, ` +
          `but only ${round(Math.max(0, availableH))} h remain from ${iso(startMs)} to the deadline ${iso(input.deadlineMs)}`,
      );
    return {
      datacenterId: input.datacenterId,
      name,
      gpus: input.gpus,
      gpuHours: input.gpuHours,
      earliestStartMs,
      deadlineMs: input.deadlineMs,
      priority,
      interruptible,
    };
  }

  private targetOf(input: JobSubmission): string {
    const dc = (input as { datacenterId?: unknown } | null)?.datacenterId;
    return typeof dc === 'string' && dc.length > 0 ? dc.slice(0, JOB_NAME_MAX_CHARS) : 'jobs';
  }

  /** Stores a changed job in memory. */
  private keep(job: DatacenterJob) {
    this.jobs.set(job.id, job);
    this.prune();
  }

  /** Drops the oldest finished jobs beyond FINISHED_JOBS_KEPT (they stay in the store). */
  private prune() {
    let finished = 0;
    for (const j of this.jobs.values()) if (isFinished(j)) finished++;
    for (const [id, j] of this.jobs) {
      if (finished <= FINISHED_JOBS_KEPT) break;
      if (isFinished(j)) {
        this.jobs.delete(id);
        finished--;
      }
    }
  }

  private emit(reason: JobChangeReason) {
    for (const l of this.listeners) {
      try {
        l(reason);
      } catch (e) {
        // The change is committed; a failing listener must not undo it or hide it from the others.
        this.log.warn({ err: (e as Error).message, reason }, 'job listener failed');
      }
    }
  }

  private async audit(
    actor: Actor,
    action: string,
    target: string,
    outcome: 'ok' | 'denied',
    details: Record<string, string | number | boolean>,
  ) {
    const entry: NewAuditEntry = {
      timeMs: this.opts.now(),
      actor: actor.id,
      role: actor.role,
      action,
      target,
      details,
      outcome,
    };
    try {
      await (this.opts.audit ? this.opts.audit(entry) : this.opts.store.appendAudit(entry));
    } catch (e) {
      // The job change is stored; a lost audit entry is reported loudly rather than undoing it.
      this.log.error({ err: (e as Error).message, action }, 'audit write failed');
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** The audit target of a job, within the store's identifier limit. */
function jobTarget(id: string): string {
  return `job:${id}`.slice(0, JOB_NAME_MAX_CHARS);
}

/** Hours for a message: two decimals are enough to read, without floating-point noise. */
function round(h: number): number {
  return Math.round(h * 100) / 100;
}
