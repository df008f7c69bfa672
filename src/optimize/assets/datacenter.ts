import type { BuildContext } from './context.ts';
import type { HorizonProblem, JobInput } from '../problem.ts';
import type { Term } from '../lp.ts';
import { assetBlockBounds, blockPieces } from '../blocks.ts';
import { throughputAtCap, type DatacenterConfig } from '../../sim/assets/datacenter.ts';

// AI data center. Inference runs as it must (a fixed load); training jobs are GPU-hours of work to
// finish between submission and deadline. Per job and step: n = GPUs running, g = Σ of their power
// caps (cap_min·n ≤ g ≤ n), h = work done in GPU-hours per hour. Throughput at cap c is c^exponent
// (concave), so h ≤ n·f(g/n) with f the piecewise-linear interpolation of c^exponent between
// cap_min and 1 — the perspective of a concave function, linear in (g, n): h ≤ slope·g + icpt·n per
// segment. Interpolation lies under the curve, so the plan never counts on more speed than the GPUs
// give. n is continuous (a job may run on part of its GPUs in the relaxation); the dispatch rounds
// it to whole jobs and one cap per data center. Facility power = PUE × (inference + idle training
// nodes + GPU dynamic power × Σ g). Late work is soft, priced per GPU-hour by `latePenaltyKrwPerGpuHour`.
// Far ahead, under move blocking (blocks.ts), a job holds one n, g and h over each block (or the part
// of it inside its window); every row still holds at every step, since each step's values are the
// block's. The whole-job steps stay one step each.

export interface DatacenterHandles {
  /** Per data center, per job: columns per step from the job's startStep. */
  runningCol: number[][][];
  /** Per data center, per step: the one power cap of its whole-job steps (−1 past them). */
  capCol: number[][];
  capSumCol: number[][][];
  workCol: number[][][];
  lateCol: number[][];
}

/**
 * A job whose remaining work its GPUs finish within one step even at the lowest cap: the dispatch
 * runs it in the next step whatever the plan says (a plan would rather leave a few GPU-minutes for
 * later than pay a whole step of a job's power for them, and leave them again at every re-plan), and
 * the plan holds its GPUs and power there instead of planning it.
 */
export function finishesWithinStep(
  remainingGpuHours: number,
  gpus: number,
  cfg: DatacenterConfig,
  stepHours: number,
): boolean {
  return remainingGpuHours <= gpus * throughputAtCap(cfg, cfg.gpu_power_cap_min) * stepHours;
}

/** Segments of the piecewise-linear throughput curve between cap_min and 1. */
export const THROUGHPUT_SEGMENTS = 4;

export function throughputSegments(
  capMin: number,
  exponent: number,
  segments = THROUGHPUT_SEGMENTS,
): { slope: number; intercept: number }[] {
  const f = (c: number) => Math.pow(c, exponent);
  // GPUs that only run at full power (cap_min 1): one point of the curve, h ≤ f(1)·n.
  if (capMin >= 1) return [{ slope: 0, intercept: f(1) }];
  const out: { slope: number; intercept: number }[] = [];
  for (let i = 0; i < segments; i++) {
    const a = capMin + ((1 - capMin) * i) / segments;
    const b = capMin + ((1 - capMin) * (i + 1)) / segments;
    const slope = (f(b) - f(a)) / (b - a);
    out.push({ slope, intercept: f(a) - slope * a });
  }
  return out;
}

export function addDatacenters(ctx: BuildContext): DatacenterHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const h: DatacenterHandles = { runningCol: [], capSumCol: [], workCol: [], lateCol: [], capCol: [] };
  const consumptionCost = p.weights.cost * p.consumptionCostKrwPerKwh * dt;
  p.datacenters.forEach((dc, di) => {
    const cfg = dc.cfg;
    const capMin = cfg.gpu_power_cap_min;
    const segs = throughputSegments(capMin, cfg.throughput_exponent);
    // The fixed part of the facility's power: inference and idle training nodes; jobs finishing in
    // the first step.
    for (let k = 0; k < p.steps; k++)
      ctx.fixedKw[k] += dc.pue[k] * (dc.inferenceItKw[k] + dc.layout.trainingNodes * cfg.node_idle_kw);
    ctx.fixedKw[0] += dc.finishingKw ?? 0;
    // Work left at the end waits at least the horizon out: with a cost on waiting, that is part of
    // what doing it inside saves.
    const queueWaitKrwPerGpuHourHour = p.queueWaitKrwPerGpuHourHour ?? 0;
    const byStep: { col: number; coef: number }[][] = Array.from({ length: p.steps }, () => []);
    const run: number[][] = [];
    const cap: number[][] = [];
    const work: number[][] = [];
    const late: number[] = [];
    // Whole-job steps (the first p.wholeJobSteps): a job runs on all its GPUs or none, through all of
    // them (one binary y per job, so n = gpus·y in each: a scheduler does not start and stop a job
    // every 15 minutes, and four times fewer binaries leave far fewer equal-cost branches to search),
    // and all running jobs share one cap column c per step: g = gpus·c wherever y = 1.
    const wholeSteps = Math.min(p.wholeJobSteps, p.steps);
    const capCols: number[] = [];
    for (let k = 0; k < p.steps; k++)
      capCols.push(k < wholeSteps ? m.addVar(`dc${di}_cap_${k}`, capMin, 1, 0) : -1);
    const bounds = jobBounds(p, wholeSteps);
    const prefix = `dc${di}`;
    dc.jobs.forEach((job, ji) => {
      const name = `${prefix}j${ji}`;
      const weight = priorityWeight(job.priority);
      // Work costs more the longer it waits; a late job's much more, and a job of higher priority
      // more than one of lower.
      const waitKrwPerGpuHourHour =
        weight * (job.lateAlready ? p.lateDelayKrwPerGpuHourHour : queueWaitKrwPerGpuHourHour);
      const workLeftKrwPerGpuHour =
        p.weights.cost * (dc.workLeftKrwPerGpuHour ?? 0) + weight * queueWaitKrwPerGpuHourHour * p.steps * dt;
      const n: number[] = [];
      const g: number[] = [];
      const w: number[] = [];
      const total: { col: number; coef: number }[] = [];
      let runsCol = -1;
      // One piece per block the job may run in (one step each in the whole-job steps).
      for (const [k0, k1] of blockPieces(bounds, job.startStep, job.endStep)) {
        const whole = k0 < wholeSteps;
        // n in GPUs: the column itself, or gpus × the binary y.
        const nGpus = whole ? job.gpus : 1;
        let powerKwPerCapSum = 0;
        let waitKrw = 0;
        for (let k = k0; k < k1; k++) {
          powerKwPerCapSum += dc.pue[k] * dc.layout.gpuDynamicKw;
          // Waiting k + 1 steps from now.
          waitKrw += waitKrwPerGpuHourHour * dt * (k + 1) * dt;
        }
        if (whole && runsCol < 0) runsCol = m.addVar(`${name}_y`, 0, 1, 0, true);
        const nk = whole ? runsCol : m.addVar(`${name}_n_${k0}`, 0, job.gpus, 0);
        const gk = m.addVar(`${name}_g_${k0}`, 0, job.gpus, consumptionCost * powerKwPerCapSum);
        if (whole) {
          // |g − gpus·c| ≤ gpus·(1 − y): the shared cap binds a job exactly when it runs.
          const terms = [
            { col: gk, coef: 1 },
            { col: capCols[k0], coef: -job.gpus },
          ];
          m.addRow(`${name}_gch_${k0}`, [...terms, { col: nk, coef: job.gpus }], -Infinity, job.gpus);
          m.addRow(`${name}_gcl_${k0}`, [...terms, { col: nk, coef: -job.gpus }], -job.gpus, Infinity);
        }
        // Work done here is work not left at the end: its value there is a credit now.
        const wk = m.addVar(`${name}_w_${k0}`, 0, job.gpus, waitKrw - workLeftKrwPerGpuHour * dt * (k1 - k0));
        m.addRow(
          `${name}_cmin_${k0}`,
          [
            { col: gk, coef: 1 },
            { col: nk, coef: -capMin * nGpus },
          ],
          0,
          Infinity,
        );
        m.addRow(
          `${name}_cmax_${k0}`,
          [
            { col: gk, coef: 1 },
            { col: nk, coef: -nGpus },
          ],
          -Infinity,
          0,
        );
        segs.forEach((sg, si) =>
          m.addRow(
            `${name}_f${si}_${k0}`,
            [
              { col: wk, coef: 1 },
              { col: gk, coef: -sg.slope },
              { col: nk, coef: -sg.intercept * nGpus },
            ],
            -Infinity,
            0,
          ),
        );
        for (let k = k0; k < k1; k++) {
          ctx.balance.add(k, gk, -dc.pue[k] * dc.layout.gpuDynamicKw);
          byStep[k].push({ col: nk, coef: nGpus });
          n.push(nk);
          g.push(gk);
          w.push(wk);
        }
        total.push({ col: wk, coef: dt * (k1 - k0) });
      }
      const lateCol = m.addVar(`${name}_late`, 0, job.requiredGpuHours, latePenaltyKrwPerGpuHour(p, job));
      // Work wanted beyond what is required: short of it costs the softer pool shortfall.
      const shortfallKrwPerGpuHour = p.poolShortfallKrwPerGpuHour ?? 0;
      const wantedExtraGpuHours =
        shortfallKrwPerGpuHour > 0 ? Math.max(0, (job.preferredGpuHours ?? 0) - job.requiredGpuHours) : 0;
      if (total.length > 0) {
        const req = [...total, { col: lateCol, coef: 1 }];
        if (wantedExtraGpuHours > 0)
          req.push({
            col: m.addVar(`${name}_short`, 0, wantedExtraGpuHours, shortfallKrwPerGpuHour),
            coef: 1,
          });
        m.addRow(`${name}_req`, req, job.requiredGpuHours + wantedExtraGpuHours, Infinity);
        m.addRow(`${name}_max`, total, -Infinity, job.remainingGpuHours);
      }
      run.push(n);
      cap.push(g);
      work.push(w);
      late.push(lateCol);
    });
    // The training pool per step; inside a block the same jobs hold the same columns, so a step
    // whose row would repeat the step before's adds nothing.
    for (let k = 0; k < p.steps; k++)
      if (byStep[k].length > 0 && !(k > 0 && sameTerms(byStep[k], byStep[k - 1]))) {
        const freeGpus = dc.layout.trainingGpus - (k === 0 ? (dc.finishingGpus ?? 0) : 0);
        m.addRow(
          `${prefix}_gpus_${k}`,
          byStep[k],
          -Infinity,
          k < wholeSteps ? wholeJobsFit(byStep[k], freeGpus) : freeGpus,
        );
      }
    h.capCol.push(capCols);
    h.runningCol.push(run);
    h.capSumCol.push(cap);
    h.workCol.push(work);
    h.lateCol.push(late);
  });
  return h;
}

/**
 * The least a job's price per GPU-hour short falls to, as a share of the late penalty, however much
 * work it has left: a job 20 × `deadlineMissGpuHours` or more from done still pays 100,000 원 per
 * GPU-hour short at the default late penalty (hundreds of times the energy a GPU-hour takes), and
 * wider coefficient ranges slow HiGHS and cost it accuracy.
 */
export const MIN_DEADLINE_MISS_SHARE = 1 / 20;

/** What one step of priority multiplies a job's waiting and deadline-miss prices by. */
export const PRIORITY_PRICE_FACTOR = 2;
/**
 * Priorities further from 0 weigh as ± this many steps (16× and 1/16 at a factor of 2): the prices
 * stay within a few orders of magnitude of each other, which HiGHS needs to stay fast and accurate.
 */
export const PRIORITY_STEPS_MAX = 4;

/**
 * A job's weight from its priority (higher runs first; 0, the default, weighs 1): its waiting and
 * its deadline miss cost PRIORITY_PRICE_FACTOR^priority times those of a job of priority 0. A miss
 * never costs more per GPU-hour than the late penalty (latePenaltyKrwPerGpuHour), so priority orders
 * jobs among themselves but never above an import limit, a car's or a bus's energy.
 */
export function priorityWeight(priority = 0): number {
  const steps = Math.max(-PRIORITY_STEPS_MAX, Math.min(PRIORITY_STEPS_MAX, Math.round(priority)));
  return PRIORITY_PRICE_FACTOR ** steps;
}

/**
 * Price per GPU-hour a job falls short of what it must do in the horizon: the late penalty for a job
 * with at most `deadlineMissGpuHours` left, and for a job already late (it has missed; its work is
 * priced as any late work); the late penalty × `deadlineMissGpuHours` ÷ its work left for a job on
 * time with more left (at least `MIN_DEADLINE_MISS_SHARE` of it). Missing a job then costs about the
 * same whatever its size, and never more per GPU-hour than the late penalty, which every limit and
 * energy need already outranks. An on-time job's price is weighted by its priority
 * (priorityWeight), up to the late penalty.
 */
export function latePenaltyKrwPerGpuHour(p: HorizonProblem, job: JobInput): number {
  if (job.lateAlready) return p.latePenaltyKrwPerGpuHour;
  const missGpuHours = p.deadlineMissGpuHours ?? 0;
  const share =
    missGpuHours > 0 && job.remainingGpuHours > missGpuHours
      ? Math.max(MIN_DEADLINE_MISS_SHARE, missGpuHours / job.remainingGpuHours)
      : 1;
  return p.latePenaltyKrwPerGpuHour * Math.min(1, share * priorityWeight(job.priority));
}

/** The jobs' block bounds: the problem's, with every whole-job step a block of its own. */
function jobBounds(p: HorizonProblem, wholeSteps: number): Int32Array {
  const bounds = assetBlockBounds(p, 'jobs');
  const out: number[] = [];
  for (let k = 0; k <= wholeSteps; k++) out.push(k);
  for (const b of bounds) if (b > wholeSteps) out.push(b);
  return Int32Array.from(out);
}

/**
 * The GPUs whole jobs can fill: where every job's size is a multiple of some g (the reference jobs
 * are all multiples of 64), whole jobs fill the free GPUs only down to a multiple of g, so the
 * pool row's limit is rounded down to one (a Chvátal–Gomory rounding). Every whole point still
 * fits; what it removes is the relaxation's fractional job in the last GPUs, whose hour of work held
 * the bound of many re-plans just outside the MIP gap: the reference data center's relaxation filled
 * all 2,664 GPUs where whole jobs fill 2,624 (docs/optimizer.md).
 */
export function wholeJobsFit(terms: readonly Term[], freeGpus: number): number {
  let g = 0;
  for (const t of terms) {
    if (!Number.isInteger(t.coef) || t.coef <= 0) return freeGpus;
    g = gcd(g, t.coef);
  }
  return g > 1 ? g * Math.floor(freeGpus / g) : freeGpus;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Two rows with the same columns and coefficients in the same order. */
function sameTerms(a: readonly Term[], b: readonly Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].col !== b[i].col || a[i].coef !== b[i].coef) return false;
  return true;
}
