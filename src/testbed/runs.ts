import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Actor } from '../control/types.ts';
import type { LoadedScenario } from '../model/load.ts';
import type { AuditEntry, AuditQuery, JsonValue, NewAuditEntry } from '../store/types.ts';
import { DEFAULT_LIMITS, privateModuleSpec, type ControllerLimits, type ControllerSpec } from './host.ts';
import type { ChallengeSetName, RunJobInput, RunJobMessage, RunSummary } from './run-job.ts';
import type { Contender } from './score.ts';

// Challenge-set runs started from the API (an admin scores a controller against the twin, the
// dashboard's leaderboard lists the results): one run at a time in a worker thread, a short queue,
// progress while it runs. A finished run is written to the audit log with its leaderboard — the
// store's append-only record — so the list outlives the process; what is queued or running lives
// here only (a restart drops it, as it drops the worker).

/** Runs waiting behind the one running: each takes a core for seconds (quick) to minutes (full). */
export const MAX_QUEUED_RUNS = 3;
/** Audit action of a finished run; its details hold the run (see RunRecord). */
export const RUN_FINISHED_ACTION = 'testbed.challenge.finished';
/** Finished runs listed at most (newest first): a leaderboard view, not an archive. */
export const RUNS_LISTED_MAX = 20;

const WORKER_URL = new URL('./run-worker.mjs', import.meta.url);

export type RunState = 'queued' | 'running' | 'done' | 'failed';

export interface RunRecord {
  id: string;
  state: RunState;
  /** Fraction of the contenders' runs started, 0–1. */
  progress: number;
  /** What runs now: `<case>: <contender>`. */
  step?: string;
  set: ChallengeSetName;
  /** The controller's file name or URL. */
  controller: string;
  requestedBy: string;
  createdMs: number;
  finishedMs?: number;
  error?: string;
  challengeSet?: RunSummary['challengeSet'];
  cases?: RunSummary['cases'];
  leaderboard?: Contender[];
}

export interface RunRequest {
  /** `source`: an ES module's text (written to a private folder); `url`: an http:// controller. */
  source?: string;
  url?: string;
  /** A name for the controller, shown in the leaderboard (`<name>.mjs` for a module). */
  name: string;
  set: ChallengeSetName;
  decisionTimeoutMs?: number;
}

export interface ChallengeRunsOptions {
  loaded: LoadedScenario;
  now: () => number;
  appendAudit: (e: NewAuditEntry) => Promise<unknown>;
  listAudit: (q: AuditQuery) => Promise<AuditEntry[]>;
  limits?: ControllerLimits;
  maxQueued?: number;
  /** Reports a failed audit write (the run's record is then in memory only). */
  warn?: (m: string) => void;
}

interface Job {
  record: RunRecord;
  spec: ControllerSpec;
  limits: ControllerLimits;
  actor: Actor;
  dir?: string;
}

export class RunRefused extends Error {
  constructor(
    readonly code: 'busy' | 'bad_request',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class ChallengeRuns {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running?: { job: Job; worker: Worker; done: Promise<void> };
  private closed = false;

  constructor(private readonly o: ChallengeRunsOptions) {}

  /** Queues a run of `req` against the twin's district; the record comes back at once. */
  start(req: RunRequest, actor: Actor): RunRecord {
    if (this.closed) throw new RunRefused('busy', 'the server is shutting down');
    if (this.queue.length >= (this.o.maxQueued ?? MAX_QUEUED_RUNS))
      throw new RunRefused(
        'busy',
        `${this.queue.length} challenge runs are waiting already; try again when one has finished`,
      );
    if (Boolean(req.source) === Boolean(req.url))
      throw new RunRefused(
        'bad_request',
        'give either url (an http:// controller on this machine) or source (an ES module)',
        'url',
      );
    let spec: ControllerSpec;
    let dir: string | undefined;
    if (req.url) {
      spec = { kind: 'http', target: req.url, label: req.url };
    } else {
      ({ spec, dir } = privateModuleSpec('bitgrid-challenge-', req.name, req.source!));
    }
    const limits = {
      ...(this.o.limits ?? DEFAULT_LIMITS),
      ...(req.decisionTimeoutMs ? { decisionTimeoutMs: req.decisionTimeoutMs } : {}),
    };
    const record: RunRecord = {
      id: randomUUID(),
      state: 'queued',
      progress: 0,
      set: req.set,
      controller: spec.label,
      requestedBy: actor.id,
      createdMs: this.o.now(),
    };
    const job: Job = { record, spec, limits, actor, dir };
    this.jobs.set(record.id, job);
    this.queue.push(job);
    this.pump();
    return structuredClone(record);
  }

  get(id: string): RunRecord | undefined {
    const j = this.jobs.get(id);
    return j && structuredClone(j.record);
  }

  /** This process's runs and the finished ones in the audit log, newest first. */
  async list(): Promise<RunRecord[]> {
    const out = new Map<string, RunRecord>();
    for (const j of this.jobs.values()) out.set(j.record.id, structuredClone(j.record));
    const logged = await this.o.listAudit({ action: RUN_FINISHED_ACTION, limit: RUNS_LISTED_MAX });
    for (const e of logged) {
      const r = e.details as unknown as RunRecord | null;
      if (r && typeof r === 'object' && typeof r.id === 'string' && !out.has(r.id)) out.set(r.id, r);
    }
    return [...out.values()].sort((a, b) => b.createdMs - a.createdMs).slice(0, RUNS_LISTED_MAX);
  }

  /** Stops the running worker (its run is recorded as failed) and drops the queue. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) this.finish(j, { error: 'the server stopped before it ran' });
    const r = this.running;
    if (r) {
      await r.worker.terminate();
      await r.done;
    }
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    job.record.state = 'running';
    const input: RunJobInput = {
      loaded: this.o.loaded,
      set: job.record.set,
      controller: job.spec,
      limits: job.limits,
    };
    // Nothing of the server's environment is the run's business (the controller gets none anyway).
    const worker = new Worker(WORKER_URL, { workerData: input, env: {}, stdout: true, stderr: true });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const done = new Promise<void>((resolve) => {
      worker.on('message', (m: RunJobMessage) => {
        if (m.type === 'progress') {
          job.record.progress = m.fraction;
          job.record.step = m.step;
        } else if (m.type === 'done') {
          settled = true;
          this.finish(job, { summary: m.summary });
        } else {
          settled = true;
          this.finish(job, { error: m.message });
        }
      });
      worker.on('error', (e) => {
        if (settled) return;
        settled = true;
        this.finish(job, { error: `the run's worker failed: ${e.message}` });
      });
      worker.on('exit', (code) => {
        if (!settled) {
          settled = true;
          this.finish(job, { error: `the run's worker stopped (exit code ${code}) before it finished` });
        }
        this.running = undefined;
        resolve();
        this.pump();
      });
    });
    this.running = { job, worker, done };
  }

  private finish(job: Job, end: { summary?: RunSummary; error?: string }): void {
    const r = job.record;
    r.finishedMs = this.o.now();
    r.step = undefined;
    if (end.summary) {
      r.state = 'done';
      r.progress = 1;
      r.challengeSet = end.summary.challengeSet;
      r.cases = end.summary.cases;
      r.leaderboard = end.summary.leaderboard;
    } else {
      r.state = 'failed';
      r.error = end.error;
    }
    if (job.dir) rmSync(job.dir, { recursive: true, force: true });
    this.o
      .appendAudit({
        timeMs: r.finishedMs,
        actor: job.actor.id,
        role: job.actor.role,
        action: RUN_FINISHED_ACTION,
        target: `testbed-run:${r.id}`,
        details: JSON.parse(JSON.stringify(r)) as JsonValue,
        outcome: r.state === 'done' ? 'ok' : 'failed',
      })
      .catch((e: Error) => this.o.warn?.(`testbed: run ${r.id} not written to the audit log: ${e.message}`));
  }
}
