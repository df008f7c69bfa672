import * as highsModule from 'highs';
import type { Highs } from 'highs';
import { Worker } from 'node:worker_threads';
import type { ModelData } from './lp.ts';
import { errorResult, runSolve } from './solve-core.mjs';

// HiGHS (WebAssembly) loaded once per process at import time. Two ways in:
// - solveSync: in-process and blocking. The simulator's Strategy.decide is synchronous and runs
//   thousands of small solves back to back, where a worker round trip would only add latency;
// - solveInWorker: one solve in a worker thread (solve-worker.mjs, its own HiGHS instance), so a
//   live controller's event loop keeps serving while a large model solves.
// Both return the same SolveResult and never throw on a solver outcome (infeasible, time limit):
// the caller checks `ok`.

// The package's types describe a CommonJS module while Node loads its ES build: take the loader
// from whichever default the runtime gives.
type Loader = () => Promise<Highs>;
const mod = highsModule as unknown as { default?: Loader | { default?: Loader } };
const loadHighs = (typeof mod.default === 'function' ? mod.default : mod.default?.default) as Loader;
const highs = await loadHighs();

export interface SolveOptions {
  /** Wall-clock limit, seconds. */
  timeLimitS?: number;
  /** Relative MIP gap at which branch-and-bound stops. */
  mipRelGap?: number;
  /**
   * Absolute MIP gap (in the objective's unit) at which branch-and-bound stops as well: for objectives
   * near 0, where a relative gap asks for more digits than the costs behind them have.
   */
  mipAbsGap?: number;
  /** Collect HiGHS's log lines in the result. */
  log?: boolean;
  /** A MIP start: values for some columns (HiGHS completes the rest); ignored for an LP. */
  start?: MipStart;
  /**
   * Branch and bound on LP hot starts before HiGHS's MIP solver (solve-core.mjs `relaxAndBranch`),
   * for MIPs whose relaxation sets most binaries by itself; the same gap as the MIP. Off: HiGHS's MIP
   * solver at once.
   */
  relaxBranch?: boolean;
  /**
   * With `relaxBranch`: wall-clock seconds HiGHS's MIP solver gets when the branch and bound hands a
   * search over; it answers with its incumbent then (within `timeLimitS` it starts over when it has
   * none). Unset: `timeLimitS`.
   */
  handoverTimeLimitS?: number;
  /**
   * With `relaxBranch`: a relative gap at which, when its node limit is reached first, it answers
   * with the best whole plan it has (diving from its lowest open node for one) instead of handing
   * the search over to HiGHS's MIP solver. Unset: always hand over.
   */
  nodeLimitGap?: number;
  /**
   * A simplex basis to start the LP (or relax and branch's root relaxation) from, one status per
   * column and row of this model (HiGHS's codes: 0 lower, 1 basic, 2 upper, 3 zero, 4 nonbasic):
   * the previous re-plan's, mapped by warm-basis.ts. A basis HiGHS refuses is logged and ignored.
   */
  basis?: LpBasis;
}

/** A simplex basis: HiGHS's status code per column and per row. */
export interface LpBasis {
  colStatus: Int32Array;
  rowStatus: Int32Array;
}

/** Column values to start a MIP from; HiGHS keeps the completed point as incumbent if feasible. */
export interface MipStart {
  indices: Int32Array;
  values: Float64Array;
}

export const DEFAULT_SOLVE_OPTIONS: Required<
  Omit<SolveOptions, 'start' | 'relaxBranch' | 'mipAbsGap' | 'handoverTimeLimitS' | 'nodeLimitGap' | 'basis'>
> = {
  timeLimitS: 30,
  mipRelGap: 1e-4,
  log: false,
};

export type SolveStatus = 'optimal' | 'infeasible' | 'unbounded' | 'time_limit' | 'interrupted' | 'error';

export interface SolveResult {
  status: SolveStatus;
  /** A primal solution is available and usable (optimal, or feasible when a limit stopped the MIP). */
  ok: boolean;
  objective: number;
  /** Column values in model order (empty when none). */
  x: Float64Array;
  mipGap: number;
  solveMs: number;
  /** HiGHS's numeric model status, for the log. */
  modelStatus: number;
  message?: string;
  log: string[];
  /** Whether HiGHS took the MIP start (absent when none was given). */
  startAccepted?: boolean;
  /** Set when `relaxBranch` answered: nodes solved, and the root relaxation's objective. */
  relaxBranch?: { nodes: number; rootBound: number; diveNodes: number; stoppedAtNodeLimit: boolean };
  /** Set when `relaxBranch` could not settle the binaries and HiGHS's MIP solver took over. */
  handedOver?: boolean;
  /** The basis of the LP (or of relax and branch's root relaxation) at its optimum, to start the next from. */
  rootBasis?: LpBasis;
  /** Simplex iterations of the LP (or of relax and branch's root relaxation). */
  rootIterations?: number;
  /** HiGHS took `SolveOptions.basis` as the LP's (or the root relaxation's) start. */
  startedFromBasis?: boolean;
}

/** A model as sparse arrays or as CPLEX LP text (for replaying a saved file). */
export type SolveInput = ModelData | { lp: string };

export function solveSync(input: SolveInput, options: SolveOptions = {}): SolveResult {
  return runSolve(highs, input, { ...DEFAULT_SOLVE_OPTIONS, ...options });
}

/**
 * One solve in a worker thread. The worker loads its own HiGHS, solves, posts the result and exits;
 * a worker that dies or overruns the time limit by `graceS` yields an `error` result, never a throw.
 */
export function solveInWorker(
  input: SolveInput,
  options: SolveOptions = {},
  graceS = 10,
): Promise<SolveResult> {
  const o = { ...DEFAULT_SOLVE_OPTIONS, ...options };
  const t0 = performance.now();
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./solve-worker.mjs', import.meta.url), {
      workerData: { input, options: o },
    });
    let settled = false;
    const finish = (r: SolveResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    };
    const fail = (message: string): SolveResult => errorResult(message, performance.now() - t0);
    const timer = setTimeout(
      () => finish(fail(`solver worker did not answer within ${o.timeLimitS + graceS} s`)),
      (o.timeLimitS + graceS) * 1000,
    );
    worker.once('message', (r: SolveResult) => finish({ ...r, x: Float64Array.from(r.x) }));
    worker.once('error', (e) => finish(fail(`solver worker failed: ${e.message}`)));
    worker.once('exit', (code) => finish(fail(`solver worker exited with code ${code} before answering`)));
  });
}

export function highsVersion(): string {
  return highs.version.string;
}
