import { Worker } from 'node:worker_threads';
import type { HorizonProblem } from './problem.ts';
import type { Schedule } from './build.ts';
import type { SolveOptions } from './highs.ts';
import { emptyProblem } from './testing.ts';

// The horizon MILP solved off the main thread, for the live system: a re-plan must never block the
// control loop. One long-lived worker thread (planner-worker.mjs → planner-job.ts) runs
// solveHorizon, the same code the simulator's strategies run in-thread, and is reused between
// solves so HiGHS's WebAssembly is compiled once. Solves queue one at a time. A solve that overruns
// its budget, or is aborted while the worker runs it, terminates the worker (HiGHS cannot be
// interrupted from outside); the next solve starts a fresh one. Every outcome resolves the promise:
// it never rejects.

export type PlannerStatus = 'optimal' | 'feasible' | 'infeasible' | 'timeout' | 'error' | 'aborted';

export interface PlannerResult {
  /**
   * optimal; feasible (HiGHS stopped at its time limit with a usable plan, which `schedule` holds);
   * infeasible; timeout (no plan within the budget); error (solver or worker failure, see `message`);
   * aborted (by the caller's signal or `shutdownPlannerWorker`).
   */
  status: PlannerStatus;
  schedule?: Schedule;
  /** Wall-clock ms from the call to the answer, queueing and worker start-up included. */
  solveMs: number;
  message?: string;
  objectiveKrw?: number;
  /** Simplex iterations of the LP (or of relax and branch's root relaxation), where HiGHS said. */
  rootIterations?: number;
  /** The solve started from the series' last basis (`warmStart`), and HiGHS took it. */
  warmStarted?: boolean;
}

export type PlannerSolveOptions = SolveOptions & {
  /**
   * Wall-clock ms the caller waits for an answer, from the call. HiGHS is given what is left of it
   * (less a reserve for the reply) as its time limit, so a MIP that runs long still returns its
   * best plan as `feasible`; past the budget the worker is terminated and the answer is `timeout`.
   */
  budgetMs: number;
  /**
   * Names a series of re-plans of one district (the live controller's): the worker keeps the last
   * one's simplex basis under this name and starts the next from it (warm-basis.ts). Unset: a cold
   * start. A worker terminated for a timeout or an abort forgets its bases.
   */
  warmStart?: string;
};

/** What the main thread posts to the worker. */
export interface PlannerRequest {
  id: number;
  problem: HorizonProblem;
  options: SolveOptions;
  /** Date.now() by which the answer is due. */
  deadlineEpochMs: number;
  /** The series whose last basis starts this solve (PlannerSolveOptions.warmStart). */
  warmStart?: string;
}

/** What the worker posts back. */
export interface PlannerReply {
  id: number;
  status: Exclude<PlannerStatus, 'aborted'>;
  schedule?: Schedule;
  objectiveKrw?: number;
  message?: string;
  /** Time inside the worker, ms. */
  solverMs: number;
  rootIterations?: number;
  warmStarted?: boolean;
}

/** setTimeout's largest delay (a signed 32-bit ms count); a longer budget is clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Job {
  request: PlannerRequest;
  settled: boolean;
  /** Posted to the worker (from then on a timeout or abort must terminate it). */
  sent: boolean;
  reply(r: PlannerReply): void;
  /** The worker died or the problem could not be posted. */
  fail(message: string): void;
  cancel(message: string): void;
}

let worker: Worker | undefined;
/** Termination of the last retired worker: a new one starts only after it, so two never compete for the cores. */
let retiring: Promise<unknown> = Promise.resolve();
const queue: Job[] = [];
let running: Job | undefined;
let nextId = 1;

function spawn(): Worker {
  const w = new Worker(new URL('./planner-worker.mjs', import.meta.url));
  // An idle planner must not keep the process alive; a pending solve's budget timer does.
  w.unref();
  // Events from a worker already retired (terminated for a timeout, say) no longer concern anyone.
  const current = () => worker === w;
  w.on('message', (r: PlannerReply) => {
    if (current() && running && r.id === running.request.id) running.reply(r);
  });
  const died = (message: string) => {
    if (!current()) return;
    worker = undefined;
    running?.fail(message);
  };
  w.on('error', (e) => died(`planner worker failed: ${e.message}`));
  w.on('messageerror', (e) => {
    if (current()) retire();
    running?.fail(`planner worker's answer could not be read: ${e.message}`);
  });
  w.on('exit', (code) => died(`planner worker exited with code ${code} before answering`));
  return w;
}

function retire(): void {
  const w = worker;
  worker = undefined;
  if (w) retiring = w.terminate().catch(() => undefined);
}

async function pump(): Promise<void> {
  if (running) return;
  const job = queue.shift();
  if (!job) return;
  running = job;
  await retiring;
  if (job.settled) return;
  try {
    worker ??= spawn();
    worker.postMessage(job.request);
    job.sent = true;
  } catch (e) {
    // Nothing reached the worker (e.g. a value that cannot be cloned): it stays up for the next one.
    job.fail(
      `the problem could not be sent to the planner worker: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * Builds and solves one horizon (solveHorizon) in the planner worker, within `opts.budgetMs`. The
 * schedule comes back by structured cloning (its Maps and typed arrays survive it).
 */
export function solveHorizonInWorker(
  problem: HorizonProblem,
  opts: PlannerSolveOptions,
  signal?: AbortSignal,
): Promise<PlannerResult> {
  const t0 = performance.now();
  const { budgetMs, warmStart, ...options } = opts;
  return new Promise<PlannerResult>((resolve) => {
    const job: Job = {
      request: {
        id: nextId++,
        problem,
        options,
        deadlineEpochMs: Date.now() + budgetMs,
        ...(warmStart !== undefined ? { warmStart } : {}),
      },
      settled: false,
      sent: false,
      // The worker's answer as it is, less the request's id and the worker's own timing.
      reply: ({ id: _id, solverMs: _solverMs, ...outcome }) => settle(outcome, false),
      fail: (message) => settle({ status: 'error', message }, false),
      cancel: (message) => settle({ status: 'aborted', message }, true),
    };
    const onAbort = () => {
      const reason: unknown = signal?.reason;
      job.cancel(reason instanceof Error ? reason.message : 'aborted');
    };
    const timer = setTimeout(
      () => settle({ status: 'timeout', message: `no plan within the ${budgetMs} ms budget` }, true),
      Math.min(MAX_TIMER_MS, Math.max(0, budgetMs)),
    );
    function settle(r: Omit<PlannerResult, 'solveMs'>, stopWorker: boolean) {
      if (job.settled) return;
      job.settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const i = queue.indexOf(job);
      if (i >= 0) queue.splice(i, 1);
      if (running === job) {
        // The worker is still busy with this problem: stop it rather than wait.
        if (stopWorker && job.sent) retire();
        running = undefined;
        queueMicrotask(() => void pump());
      }
      resolve({ ...r, solveMs: performance.now() - t0 });
    }
    if (signal?.aborted) return onAbort();
    if (!(budgetMs > 0)) return settle({ status: 'timeout', message: `budget of ${budgetMs} ms` }, false);
    signal?.addEventListener('abort', onAbort, { once: true });
    queue.push(job);
    void pump();
  });
}

/**
 * Starts the planner worker ahead of the first re-plan (a one-step empty problem), so that re-plan
 * does not pay for the thread, the TypeScript loader and HiGHS's WebAssembly.
 */
export function warmPlannerWorker(budgetMs: number): Promise<PlannerResult> {
  return solveHorizonInWorker(emptyProblem(1, 0.25), { budgetMs });
}

/** Aborts queued and running solves and terminates the worker; resolves once the thread is gone. */
export async function shutdownPlannerWorker(): Promise<void> {
  for (const job of [...queue, ...(running ? [running] : [])]) job.cancel('planner worker shut down');
  retire();
  await retiring;
}
