import type { BuildContext } from './context.ts';

// AI data center. Inference runs as it must (a fixed load); training jobs are GPU-hours of work to
// finish between submission and deadline. Per job and step: n = GPUs running, g = Σ of their power
// caps (cap_min·n ≤ g ≤ n), h = work done in GPU-hours per hour. Throughput at cap c is c^exponent
// (concave), so h ≤ n·f(g/n) with f the piecewise-linear interpolation of c^exponent between
// cap_min and 1 — the perspective of a concave function, linear in (g, n): h ≤ slope·g + icpt·n per
// segment. Interpolation lies under the curve, so the plan never counts on more speed than the GPUs
// give. n is continuous (a job may run on part of its GPUs in the relaxation); the dispatch rounds
// it to whole jobs and one cap per data center. Facility power = PUE × (inference + idle training
// nodes + GPU dynamic power × Σ g). Late work is soft with a penalty per GPU-hour.

export interface DatacenterHandles {
  /** Per data center, per job: columns per step from the job's startStep. */
  runningCol: number[][][];
  /** Per data center, per step: the one power cap of its whole-job steps (−1 past them). */
  capCol: number[][];
  capSumCol: number[][][];
  workCol: number[][][];
  lateCol: number[][];
}

/** Segments of the piecewise-linear throughput curve between cap_min and 1. */
export const THROUGHPUT_SEGMENTS = 4;

export function throughputSegments(
  capMin: number,
  exponent: number,
  segments = THROUGHPUT_SEGMENTS,
): { slope: number; intercept: number }[] {
  const out: { slope: number; intercept: number }[] = [];
  const f = (c: number) => Math.pow(c, exponent);
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
    // The fixed part of the facility's power: inference and idle training nodes.
    for (let k = 0; k < p.steps; k++)
      ctx.fixedKw[k] += dc.pue[k] * (dc.inferenceItKw[k] + dc.layout.trainingNodes * cfg.node_idle_kw);
    const byStep: { col: number; coef: number }[][] = Array.from({ length: p.steps }, () => []);
    const run: number[][] = [];
    const cap: number[][] = [];
    const work: number[][] = [];
    const late: number[] = [];
    // Whole-job steps (the first p.wholeJobSteps): a job runs on all its GPUs or none (a binary y, so
    // n = gpus·y), and all running jobs share one cap column c: g = gpus·c wherever y = 1.
    const wholeSteps = Math.min(p.wholeJobSteps, p.steps);
    const capCols: number[] = [];
    for (let k = 0; k < p.steps; k++)
      capCols.push(k < wholeSteps ? m.addVar(`dc${di}_cap_${k}`, capMin, 1, 0) : -1);
    dc.jobs.forEach((job, ji) => {
      const name = `dc${di}j${ji}`;
      const n: number[] = [];
      const g: number[] = [];
      const w: number[] = [];
      const total: { col: number; coef: number }[] = [];
      for (let k = job.startStep; k < job.endStep; k++) {
        const powerKwPerCap = dc.pue[k] * dc.layout.gpuDynamicKw;
        const whole = k < wholeSteps;
        // n in GPUs: the column itself, or gpus × the binary y.
        const nGpus = whole ? job.gpus : 1;
        const nk = whole
          ? m.addVar(`${name}_y_${k}`, 0, 1, 0, true)
          : m.addVar(`${name}_n_${k}`, 0, job.gpus, 0);
        const gk = m.addVar(`${name}_g_${k}`, 0, job.gpus, consumptionCost * powerKwPerCap);
        if (whole) {
          // |g − gpus·c| ≤ gpus·(1 − y): the shared cap binds a job exactly when it runs.
          const terms = [
            { col: gk, coef: 1 },
            { col: capCols[k], coef: -job.gpus },
          ];
          m.addRow(`${name}_gch_${k}`, [...terms, { col: nk, coef: job.gpus }], -Infinity, job.gpus);
          m.addRow(`${name}_gcl_${k}`, [...terms, { col: nk, coef: -job.gpus }], -job.gpus, Infinity);
        }
        // A late job's work costs more the longer it waits (k + 1 steps from now).
        const waitKrw = job.lateAlready ? p.lateDelayKrwPerGpuHourHour * dt * (k + 1) * dt : 0;
        const wk = m.addVar(`${name}_w_${k}`, 0, job.gpus, waitKrw);
        m.addRow(
          `${name}_cmin_${k}`,
          [
            { col: gk, coef: 1 },
            { col: nk, coef: -capMin * nGpus },
          ],
          0,
          Infinity,
        );
        m.addRow(
          `${name}_cmax_${k}`,
          [
            { col: gk, coef: 1 },
            { col: nk, coef: -nGpus },
          ],
          -Infinity,
          0,
        );
        segs.forEach((s, si) =>
          m.addRow(
            `${name}_f${si}_${k}`,
            [
              { col: wk, coef: 1 },
              { col: gk, coef: -s.slope },
              { col: nk, coef: -s.intercept * nGpus },
            ],
            -Infinity,
            0,
          ),
        );
        ctx.balance.add(k, gk, -powerKwPerCap);
        byStep[k].push({ col: nk, coef: nGpus });
        total.push({ col: wk, coef: dt });
        n.push(nk);
        g.push(gk);
        w.push(wk);
      }
      const lateCol = m.addVar(`${name}_late`, 0, job.requiredGpuHours, p.latePenaltyKrwPerGpuHour);
      if (total.length > 0) {
        m.addRow(`${name}_req`, [...total, { col: lateCol, coef: 1 }], job.requiredGpuHours, Infinity);
        m.addRow(`${name}_max`, total, -Infinity, job.remainingGpuHours);
      }
      run.push(n);
      cap.push(g);
      work.push(w);
      late.push(lateCol);
    });
    for (let k = 0; k < p.steps; k++)
      if (byStep[k].length > 0) m.addRow(`dc${di}_gpus_${k}`, byStep[k], -Infinity, dc.layout.trainingGpus);
    h.capCol.push(capCols);
    h.runningCol.push(run);
    h.capSumCol.push(cap);
    h.workCol.push(work);
    h.lateCol.push(late);
  });
  return h;
}
