import { parentPort } from 'node:worker_threads';
import { solveHorizon } from './build.ts';
import { DEFAULT_SOLVE_OPTIONS } from './highs.ts';
import type { PlannerRequest, PlannerReply } from './worker.ts';
import { WarmBasis } from './warm-basis.ts';

// The planner worker's loop (loaded by planner-worker.mjs): one request at a time, each solved by
// solveHorizon — the code the simulator's strategies run — and answered with the schedule. The
// thread stays up between requests so HiGHS's WebAssembly and the transpiled modules are reused.

/**
 * Time kept back from HiGHS's limit for extracting the schedule and posting it, as a share of the
 * budget left and at least a floor: extraction of the reference district's 24 h schedule takes a few
 * ms (bench/optimize.ts, `extractMs`), posting it about as much.
 */
const REPLY_RESERVE_SHARE = 0.1;
const REPLY_RESERVE_MIN_MS = 20;
/** HiGHS rejects a time limit of 0; the smallest it is given. */
const MIN_TIME_LIMIT_S = 0.001;

/**
 * Series of re-plans whose last basis the worker keeps (PlannerSolveOptions.warmStart). A serve
 * process plans one district, so one series is the rule; past this many the least recently used is
 * forgotten (a basis of the reference district is a few hundred kB).
 */
const MAX_WARM_SERIES = 8;
const warmSeries = new Map<string, WarmBasis>();

/** The series' kept basis, made the most recently used; undefined for a cold solve. */
function warmBasisOf(name: string | undefined): WarmBasis | undefined {
  if (name === undefined) return undefined;
  const warm = warmSeries.get(name) ?? new WarmBasis();
  warmSeries.delete(name);
  warmSeries.set(name, warm);
  for (const oldest of warmSeries.keys()) {
    if (warmSeries.size <= MAX_WARM_SERIES) break;
    warmSeries.delete(oldest);
  }
  return warm;
}

const port = parentPort;
if (!port) throw new Error('planner-job.ts runs only as a worker thread (planner-worker.mjs)');

port.on('message', (req: PlannerRequest) => {
  const t0 = performance.now();
  let reply: PlannerReply;
  try {
    // Date.now is shared by all threads of a process, performance.now is not.
    const leftMs = req.deadlineEpochMs - Date.now();
    const reserveMs = Math.max(REPLY_RESERVE_MIN_MS, leftMs * REPLY_RESERVE_SHARE);
    const timeLimitS = Math.max(
      MIN_TIME_LIMIT_S,
      Math.min(req.options.timeLimitS ?? DEFAULT_SOLVE_OPTIONS.timeLimitS, (leftMs - reserveMs) / 1000),
    );
    const warm = warmBasisOf(req.warmStart);
    const r = solveHorizon(req.problem, { ...req.options, timeLimitS }, undefined, warm);
    const res = r.result;
    const status =
      res.status === 'optimal'
        ? 'optimal'
        : res.status === 'time_limit'
          ? res.ok
            ? 'feasible'
            : 'timeout'
          : res.status === 'infeasible'
            ? 'infeasible'
            : 'error';
    reply = {
      id: req.id,
      status,
      schedule: r.schedule,
      objectiveKrw: res.ok ? res.objective : undefined,
      message:
        res.message ??
        (status === 'error'
          ? `solver ended ${res.status}`
          : status === 'timeout'
            ? 'solver time limit without a plan'
            : undefined),
      solverMs: performance.now() - t0,
      ...(res.rootIterations !== undefined ? { rootIterations: res.rootIterations } : {}),
      ...(warm ? { warmStarted: res.startedFromBasis === true } : {}),
    };
  } catch (e) {
    reply = {
      id: req.id,
      status: 'error',
      message: e instanceof Error ? e.message : String(e),
      solverMs: performance.now() - t0,
    };
  }
  port.postMessage(reply);
});
