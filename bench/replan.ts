import { loadScenarioFile } from '../src/model/index.ts';
import { prepareDistrict } from '../src/sim/district.ts';
import { solveHorizon } from '../src/optimize/build.ts';
import {
  problemFromView,
  DEFAULT_MOVE_BLOCKING,
  DEFAULT_PLAN_OPTIONS,
  type MoveBlocking,
} from '../src/optimize/horizon.ts';
import { OPTIMAL_NODE_LIMIT_GAP, OPTIMAL_REPLAN_HOURS } from '../src/optimize/optimal.ts';
import { WarmBasis } from '../src/optimize/warm-basis.ts';
import { persistenceForecast } from '../src/forecast/planner-standin.ts';
import { initialView } from '../src/optimize/view.ts';
import { shutdownPlannerWorker, solveHorizonInWorker, warmPlannerWorker } from '../src/optimize/worker.ts';
import type { HorizonProblem } from '../src/optimize/problem.ts';
import type { SolveOptions } from '../src/optimize/highs.ts';

// The live re-plan: latency of one 24-hour, 15-minute horizon of the reference district solved in
// the planner worker, cold (a new worker: thread, TypeScript loader and HiGHS's WebAssembly) and
// warm (the worker reused), and what the main thread's event loop feels meanwhile — the lateness
// of a 10 ms timer while the same problems solve in the worker and in-thread; and, side by side in
// the same run, the same horizons with move blocking of the buses only and of buses, EVs and
// training jobs (blocks.ts), each as a ratio to the full model.

/** Intervals of the first day (15 min each) to plan from: night, morning, the demand-charge day, evening. */
const START_INTERVALS = [0, 28, 40, 56, 72, 84];
/** Warm solves per problem (the cold ones are one per problem: each starts a worker). */
const WARM_REPEATS = 3;
/** Move blocking measured beside the full model: 4 h step by step, then 1 h blocks (blocks.ts). */
const MOVE_BLOCKING: Record<string, MoveBlocking> = {
  'buses blocked': { fineHours: 4, blockHours: 1, assets: ['buses'] },
  'all blocked': { fineHours: 4, blockHours: 1 },
};
/** Hourly re-plans of the first day solved cold and from the previous hour's basis. */
const HOURLY_REPLANS = 24;
/** The live planner's 15-minute re-plans timed in the worker, from the last basis and without: 08:00–14:00. */
const LIVE_SERIES_INTERVALS = Array.from({ length: 24 }, (_, i) => 32 + i);
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

async function inWorker(p: HorizonProblem, options: SolveOptions = {}): Promise<number> {
  const r = await solveHorizonInWorker(p, { ...options, budgetMs: BUDGET_MS });
  if (r.status !== 'optimal' && r.status !== 'feasible')
    throw new Error(`re-plan ended ${r.status}: ${r.message}`);
  return r.solveMs;
}

/**
 * A day of hourly re-plans as `optimal` solves them (`problems`: all blocked, whole jobs in the first
 * hour; relax and branch), in-thread, each cold and each from the previous hour's basis
 * (warm-basis.ts), taking turns so the machine's load falls on both alike: time and the root
 * relaxations' simplex iterations.
 */
function hourlyReplans(problems: HorizonProblem[]): Record<string, number> {
  const options: SolveOptions = { relaxBranch: true, nodeLimitGap: OPTIMAL_NODE_LIMIT_GAP };
  const warm = new WarmBasis();
  let coldMs = 0;
  let warmMs = 0;
  let coldIterations = 0;
  let warmIterations = 0;
  for (const p of problems) {
    let t0 = performance.now();
    const cold = solveHorizon(p, options);
    coldMs += performance.now() - t0;
    t0 = performance.now();
    const warmed = solveHorizon(p, options, undefined, warm);
    warmMs += performance.now() - t0;
    coldIterations += cold.result.rootIterations ?? 0;
    warmIterations += warmed.result.rootIterations ?? 0;
  }
  return {
    [`hourly re-plans (${problems.length}): cold ms`]: coldMs,
    'hourly re-plans: warm basis ms': warmMs,
    'hourly re-plans: warm / cold time': warmMs / coldMs,
    'hourly: root iterations cold': coldIterations,
    'hourly: root iterations warm': warmIterations,
  };
}

/**
 * The live planner's series of 15-minute re-plans (all blocked, whole jobs in the first 15 minutes,
 * relax and branch, as serve solves them) in the warm worker, each with the series' last basis
 * (`warmStart`) and without, taking turns: the wall time of each re-plan, queueing and cloning
 * included, and the root relaxations' simplex iterations.
 */
async function liveSeries(problems: HorizonProblem[]): Promise<Record<string, number>> {
  await warmPlannerWorker(BUDGET_MS);
  const series = { warm: [] as number[], cold: [] as number[] };
  const iterations = { warm: 0, cold: 0 };
  for (const p of problems)
    for (const kind of ['cold', 'warm'] as const) {
      const r = await solveHorizonInWorker(p, {
        budgetMs: BUDGET_MS,
        relaxBranch: true,
        ...(kind === 'warm' ? { warmStart: 'bench' } : {}),
      });
      if (r.status !== 'optimal' && r.status !== 'feasible')
        throw new Error(`live re-plan ended ${r.status}: ${r.message}`);
      series[kind].push(r.solveMs);
      iterations[kind] += r.rootIterations ?? 0;
    }
  const p50 = (xs: number[]) => percentile(xs, 0.5);
  return {
    [`live re-plans (${problems.length}, 15 min): cold basis p50 ms`]: p50(series.cold),
    'live re-plans: warm basis p50 ms': p50(series.warm),
    'live re-plans: warm basis p99 ms': percentile(series.warm, 0.99),
    'live re-plans: warm / cold p50': p50(series.warm) / p50(series.cold),
    'live: root iterations cold': iterations.cold,
    'live: root iterations warm': iterations.warm,
  };
}

export async function benchReplan() {
  const { scenario, baseDir } = loadScenarioFile();
  const d = prepareDistrict(scenario, { days: 2, baseDir });
  const forecast = persistenceForecast(d);
  const horizons = (moveBlocking?: MoveBlocking, wholeJobHours = 0, intervals = START_INTERVALS) =>
    intervals.map((i) =>
      problemFromView(initialView(d, i), forecast, {
        ...DEFAULT_PLAN_OPTIONS,
        horizonHours: 24,
        wholeJobHours,
        ...(moveBlocking ? { moveBlocking } : {}),
      }),
    );
  // The full model first, then the same horizons with each kind of move blocking (all blocked is
  // what the live planner solves), and last the MIP `optimal` solves in the simulator: all blocked,
  // with whole jobs (binaries) in the first hour, by HiGHS's MIP solver and, as `optimal` now solves
  // it, by relax and branch first (SolveOptions.relaxBranch).
  const whole = horizons(DEFAULT_MOVE_BLOCKING, OPTIMAL_REPLAN_HOURS);
  const variants: [string, HorizonProblem[], SolveOptions?][] = [
    ['full', horizons()],
    ...Object.entries(MOVE_BLOCKING).map(([name, mb]): [string, HorizonProblem[]] => [name, horizons(mb)]),
    ['all blocked + whole jobs 1 h', whole],
    ['whole jobs, relax and branch', whole, { relaxBranch: true }],
  ];
  const problems = variants[0][1];

  // Cold: a new worker per solve; the variants take turns so the machine's load falls on each alike.
  const cold = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let i = 0; i < START_INTERVALS.length; i++)
    for (const [name, ps, options] of variants) {
      await shutdownPlannerWorker();
      cold.get(name)!.push(await inWorker(ps[i], options));
    }

  await warmPlannerWorker(BUDGET_MS);
  const warm = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < WARM_REPEATS; r++)
    for (let i = 0; i < START_INTERVALS.length; i++)
      for (const [name, ps, options] of variants) warm.get(name)!.push(await inWorker(ps[i], options));

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
  const p50 = (xs: number[]) => percentile(xs, 0.5);
  const out: Record<string, number> = { 'problems (24 h, 15 min)': problems.length };
  for (const [name] of variants) {
    out[`${name}: cold p50 ms`] = p50(cold.get(name)!);
    out[`${name}: cold p99 ms`] = percentile(cold.get(name)!, 0.99);
    out[`${name}: warm p50 ms`] = p50(warm.get(name)!);
    out[`${name}: warm p99 ms`] = percentile(warm.get(name)!, 0.99);
  }
  for (const [name] of variants.slice(1)) {
    out[`${name} / full, cold p50`] = p50(cold.get(name)!) / p50(cold.get('full')!);
    out[`${name} / full, warm p50`] = p50(warm.get(name)!) / p50(warm.get('full')!);
  }
  const perHour = Math.round(60 / d.grid.intervalMinutes);
  const hourly = Array.from({ length: HOURLY_REPLANS }, (_, h) => h * perHour);
  Object.assign(out, hourlyReplans(horizons(DEFAULT_MOVE_BLOCKING, OPTIMAL_REPLAN_HOURS, hourly)));
  const liveWholeJobHours = d.grid.intervalMinutes / 60;
  Object.assign(
    out,
    await liveSeries(horizons(DEFAULT_MOVE_BLOCKING, liveWholeJobHours, LIVE_SERIES_INTERVALS)),
  );
  await shutdownPlannerWorker();
  return {
    ...out,
    'in-thread solve p50 ms (full)': p50(here),
    'cold / warm p50 (full)': p50(cold.get('full')!) / p50(warm.get('full')!),
    'warm / in-thread p50 (full)': p50(warm.get('full')!) / p50(here),
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
      `  ${k.padEnd(36)} ${Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2)}\n`,
    );
}
