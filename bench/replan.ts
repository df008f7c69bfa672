import { loadScenarioFile } from '../src/model/index.ts';
import { prepareDistrict } from '../src/sim/district.ts';
import { solveHorizon } from '../src/optimize/build.ts';
import { problemFromView, DEFAULT_PLAN_OPTIONS } from '../src/optimize/horizon.ts';
import { persistenceForecast } from '../src/forecast/planner-standin.ts';
import { initialView } from '../src/optimize/view.ts';
import { shutdownPlannerWorker, solveHorizonInWorker, warmPlannerWorker } from '../src/optimize/worker.ts';
import type { HorizonProblem } from '../src/optimize/problem.ts';

// The live re-plan: latency of one 24-hour, 15-minute horizon of the reference district solved in
// the planner worker, cold (a new worker: thread, TypeScript loader and HiGHS's WebAssembly) and
// warm (the worker reused), and what the main thread's event loop feels meanwhile — the lateness
// of a 10 ms timer while the same problems solve in the worker and in-thread; and the warm re-plan
// with move blocking (the buses' far-ahead hours as blocks) beside it.

/** Intervals of the first day (15 min each) to plan from: night, morning, the demand-charge day, evening. */
const START_INTERVALS = [0, 28, 40, 56, 72, 84];
/** Warm solves per problem (the cold ones are one per problem: each starts a worker). */
const WARM_REPEATS = 3;
/** Move blocking measured beside the full model: 4 h step by step, then 1 h blocks (blocks.ts). */
const MOVE_BLOCKING = { fineHours: 4, blockHours: 1 };
/** The control loop's timer period the delay is measured on. */
const TIMER_PERIOD_MS = 10;
/** A budget no re-plan here comes near: the bench measures, it does not cut solves short. */
const BUDGET_MS = 120_000;

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Lateness of a `periodMs` timer re-armed on every tick, ms per tick. */
function lagMonitor(periodMs: number) {
  const lateMs: number[] = [];
  let due = performance.now() + periodMs;
  let timer = setTimeout(function tick() {
    const now = performance.now();
    lateMs.push(Math.max(0, now - due));
    due = now + periodMs;
    timer = setTimeout(tick, periodMs);
  }, periodMs);
  return () => {
    clearTimeout(timer);
    return lateMs;
  };
}

async function inWorker(p: HorizonProblem): Promise<number> {
  const r = await solveHorizonInWorker(p, { budgetMs: BUDGET_MS });
  if (r.status !== 'optimal' && r.status !== 'feasible')
    throw new Error(`re-plan ended ${r.status}: ${r.message}`);
  return r.solveMs;
}

export async function benchReplan() {
  const { scenario, baseDir } = loadScenarioFile();
  const d = prepareDistrict(scenario, { days: 2, baseDir });
  const forecast = persistenceForecast(d);
  const problems = START_INTERVALS.map((i) =>
    problemFromView(initialView(d, i), forecast, { ...DEFAULT_PLAN_OPTIONS, horizonHours: 24 }),
  );

  // The same horizons with move blocking: the first hours step by step, then hour-long blocks.
  const blocked = START_INTERVALS.map((i) =>
    problemFromView(initialView(d, i), forecast, {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 24,
      moveBlocking: MOVE_BLOCKING,
    }),
  );

  const cold: number[] = [];
  for (const p of problems) {
    await shutdownPlannerWorker();
    cold.push(await inWorker(p));
  }

  await warmPlannerWorker(BUDGET_MS);
  const warm: number[] = [];
  for (let r = 0; r < WARM_REPEATS; r++) for (const p of problems) warm.push(await inWorker(p));
  const warmBlocked: number[] = [];
  for (let r = 0; r < WARM_REPEATS; r++) for (const p of blocked) warmBlocked.push(await inWorker(p));

  // In-thread, as the simulator solves; the first solve in this thread pays for HiGHS's compile, so
  // one is run before timing.
  solveHorizon(problems[0]);
  const here: number[] = [];
  for (const p of problems) {
    const t0 = performance.now();
    solveHorizon(p);
    here.push(performance.now() - t0);
  }

  // The event loop while every problem is re-planned once, in the worker and then in this thread.
  let stop = lagMonitor(TIMER_PERIOD_MS);
  for (const p of problems) await inWorker(p);
  const lagWorker = stop();
  stop = lagMonitor(TIMER_PERIOD_MS);
  for (const p of problems)
    await new Promise<void>((done) =>
      setTimeout(() => {
        solveHorizon(p);
        done();
      }, TIMER_PERIOD_MS),
    );
  const lagHere = stop();
  await shutdownPlannerWorker();

  const maxWorker = Math.max(...lagWorker);
  const maxHere = Math.max(...lagHere);
  return {
    'problems (24 h, 15 min)': problems.length,
    'cold replan p50 ms': percentile(cold, 0.5),
    'cold replan p99 ms': percentile(cold, 0.99),
    'warm replan p50 ms': percentile(warm, 0.5),
    'warm replan p99 ms': percentile(warm, 0.99),
    'in-thread solve p50 ms': percentile(here, 0.5),
    'warm blocked p50 ms': percentile(warmBlocked, 0.5),
    'warm blocked / warm p50': percentile(warmBlocked, 0.5) / percentile(warm, 0.5),
    'cold / warm p50': percentile(cold, 0.5) / percentile(warm, 0.5),
    'warm / in-thread p50': percentile(warm, 0.5) / percentile(here, 0.5),
    'loop delay worker max ms': maxWorker,
    'loop delay worker p99 ms': percentile(lagWorker, 0.99),
    'loop delay in-thread max ms': maxHere,
    'loop delay in-thread p99 ms': percentile(lagHere, 0.99),
    'loop delay max in-thr/worker': maxHere / Math.max(maxWorker, Number.EPSILON),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await benchReplan();
  for (const [k, v] of Object.entries(out))
    process.stdout.write(
      `  ${k.padEnd(30)} ${Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2)}\n`,
    );
}
