import { describe, expect, it } from 'vitest';
import { solveHorizon, buildModel } from '../../src/optimize/build.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { solveSync, solveInWorker } from '../../src/optimize/highs.ts';
import { LpModel } from '../../src/optimize/lp.ts';
import { DEFAULT_DEADLINE_MISS_GPU_HOURS, DEFAULT_PLAN_OPTIONS } from '../../src/optimize/horizon.ts';
import { latePenaltyKrwPerGpuHour, MIN_DEADLINE_MISS_SHARE } from '../../src/optimize/assets/datacenter.ts';
import { datacenterInput, testBattery as battery, trainingDatacenter } from './fixtures.ts';

describe('horizon MILP on cases solved by hand', () => {
  it('a battery arbitrages two prices: fills when cheap, serves the load when dear', () => {
    // Two 1-h steps: 50 원 then 200 원, 50 kW load in step 2. η = 0.9 each way. Charging 50 kW for an
    // hour stores 45 kWh; discharging all of it gives 40.5 kWh. Cost: 50·50 + 200·(50 − 40.5) = 4,400.
    const p = emptyProblem(2, 1);
    p.importPriceKrwPerKwh.set([50, 200]);
    p.fixedLoadKw.set([0, 50]);
    p.batteries = [{ id: 'b', cfg: battery(), socKwh: 0 }];
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    expect(r.result.objective).toBeCloseTo(4400, 6);
    expect(r.schedule!.batteryKw[0][0]).toBeCloseTo(-50, 6);
    expect(r.schedule!.batteryKw[0][1]).toBeCloseTo(40.5, 6);
    expect(r.schedule!.importKw[1]).toBeCloseTo(9.5, 6);
  });

  it('does not arbitrage when the spread does not pay for the losses and wear', () => {
    // Spread 100 → 120: buying 1 kWh at 100 returns 0.81 kWh worth 97.2 < 100.
    const p = emptyProblem(2, 1);
    p.importPriceKrwPerKwh.set([100, 120]);
    p.fixedLoadKw.set([0, 50]);
    p.batteries = [{ id: 'b', cfg: battery(), socKwh: 0 }];
    const r = solveHorizon(p);
    expect(r.result.objective).toBeCloseTo(120 * 50, 6);
    expect(Math.abs(r.schedule!.batteryKw[0][0])).toBeLessThan(1e-6);
  });

  it('an EV takes the cheapest hours before it leaves', () => {
    // Six 1-h steps, prices 300 200 100 150 50 250; the car is plugged for steps 0–4 (leaves before
    // step 5), wants 20 kWh at most 7 kW: 7 at 50, 7 at 100, 6 at 150 → 350 + 700 + 900 = 1,950.
    const p = emptyProblem(6, 1);
    p.importPriceKrwPerKwh.set([300, 200, 100, 150, 50, 250]);
    p.ev = [
      {
        id: 'car',
        startStep: 0,
        endStep: 5,
        remainingKwh: 20,
        requiredKwh: 20,
        dischargeRoomKwh: 20,
        maxPowerKw: 7,
        maxDischargeKw: 0,
      },
    ];
    const r = solveHorizon(p);
    expect(r.result.objective).toBeCloseTo(1950, 6);
    expect(Array.from(r.schedule!.evKw.get('car')!)).toEqual(
      [0, 0, 7, 6, 7, 0].map((x) => expect.closeTo(x, 6)),
    );
    expect(r.schedule!.evUnmetKwh).toBeCloseTo(0, 9);
  });

  it('an impossible EV request is met as far as it can be, never infeasible', () => {
    const p = emptyProblem(2, 1);
    p.ev = [
      {
        id: 'car',
        startStep: 0,
        endStep: 2,
        remainingKwh: 30,
        requiredKwh: 30,
        dischargeRoomKwh: 30,
        maxPowerKw: 7,
        maxDischargeKw: 0,
      },
    ];
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    expect(r.schedule!.evUnmetKwh).toBeCloseTo(16, 6);
  });

  it('a peak is shaved when a new kW of demand costs more than shifting the energy', () => {
    // Load 100 kW in step 0 and 300 kW in step 1 (both in demand hours), billing demand so far 150 kW,
    // a kW above it costs 10,000 원, energy 100 원/kWh. A 200 kWh battery (η = 1, 200 kW) starts at
    // 150 kWh: it covers 150 kW of step 1 → the peak stays at 150. Cost 100·(100 + 150) = 25,000.
    const p = emptyProblem(2, 1);
    p.fixedLoadKw.set([100, 300]);
    p.countsForDemand.fill(1);
    p.billingDemandKw = 150;
    p.peakCostKrwPerKw = 10_000;
    p.batteries = [
      {
        id: 'b',
        cfg: battery({
          capacity_kwh: 200,
          max_charge_kw: 200,
          max_discharge_kw: 200,
          round_trip_efficiency: 1,
        }),
        socKwh: 150,
      },
    ];
    const r = solveHorizon(p);
    expect(r.schedule!.peakKw).toBeCloseTo(150, 6);
    expect(r.result.objective).toBeCloseTo(25_000, 6);
    // Without the battery the peak is 300 and costs 150 kW × 10,000 more.
    const q = { ...p, batteries: [] };
    const s = solveHorizon(q);
    expect(s.schedule!.peakKw).toBeCloseTo(300, 6);
    expect(s.result.objective).toBeCloseTo(100 * 400 + 150 * 10_000, 6);
  });

  it('a peak above the billing demand already set is paid only for the excess and shaved by the EV moving', () => {
    // 2 steps, load 80 then 0; EV needs 40 kWh over both (≤ 40 kW). Peak cost 1,000/kW over 50.
    // Best: charge 0 in step 0 (peak 80 anyway, from the load) … both steps count; charging 40 in step 1
    // keeps the peak at 80: cost 100·120 + 1,000·30 = 42,000.
    const p = emptyProblem(2, 1);
    p.fixedLoadKw.set([80, 0]);
    p.countsForDemand.fill(1);
    p.billingDemandKw = 50;
    p.peakCostKrwPerKw = 1000;
    p.ev = [
      {
        id: 'car',
        startStep: 0,
        endStep: 2,
        remainingKwh: 40,
        requiredKwh: 40,
        dischargeRoomKwh: 40,
        maxPowerKw: 40,
        maxDischargeKw: 0,
      },
    ];
    const r = solveHorizon(p);
    expect(r.result.objective).toBeCloseTo(42_000, 6);
    expect(r.schedule!.evKw.get('car')![1]).toBeCloseTo(40, 6);
  });

  it('PV is curtailed at the export limit and exported up to it', () => {
    const p = emptyProblem(1, 1);
    p.pvAvailableKw = [Float64Array.of(500)];
    p.pvIds = ['pv'];
    p.fixedLoadKw.set([100]);
    p.exportLimitKw.fill(250);
    p.exportPriceKrwPerKwh.set([80]);
    const r = solveHorizon(p);
    expect(r.schedule!.exportKw[0]).toBeCloseTo(250, 6);
    expect(r.schedule!.pvKw[0]).toBeCloseTo(350, 6);
    expect(r.result.objective).toBeCloseTo(-250 * 80, 6);
  });

  it('a training job runs in the cheap hours at the cap that minimises energy per GPU-hour', () => {
    // 1 GPU-node job: 8 GPUs, 4 GPU-hours, window 4 h, prices 500 500 100 100. Throughput c^0.5 with
    // cap_min 0.64 (f = 0.8, interpolation exact at the ends): 2 cheap hours at c=1 give 16 GPU-h ≥ 4,
    // the cheapest way is the lowest cap in the cheap hours: at 0.64 a GPU does 0.8 GPU-h/h, so 4 GPU-h
    // needs 5 GPU-hours of running = cap-sum·h 3.2 → energy 3.2 × 1 kW/cap at 100 = 320.
    const r = solveHorizon(oneJobInFourHours(0.64, 4));
    expect(r.result.objective).toBeCloseTo(320, 4);
    expect(r.schedule!.lateGpuHours).toBeCloseTo(0, 9);
    const g = r.schedule!.jobGpus[0].get('j')!;
    expect(g[0] + g[1]).toBeCloseTo(0, 6);
  });

  it('a data center whose GPUs only run at full power (cap_min 1) runs its job in the cheap hours at cap 1', () => {
    // 8 GPUs, 8 GPU-hours, prices 500 500 100 100: one cheap hour at full power does it, 8 kWh at 100.
    const r = solveHorizon(oneJobInFourHours(1, 8));
    expect(r.result.ok).toBe(true);
    expect(r.result.objective).toBeCloseTo(800, 4);
    expect(r.schedule!.lateGpuHours).toBeCloseTo(0, 9);
    const g = r.schedule!.jobGpus[0].get('j')!;
    expect(g[0] + g[1]).toBeCloseTo(0, 6);
    expect(g[2] + g[3]).toBeCloseTo(8, 6);
  });

  it('when the pool cannot meet every deadline, missing any job costs the same: the nearly done one finishes', () => {
    // One whole-job hour, 8 GPUs at full power only (1 kW each), two 8-GPU jobs due at its end: A
    // has 2 GPU-hours left, B 14; one of them runs. Priced per GPU-hour short alone (late penalty L),
    // running B leaves 2 + 6 = 8 short (two misses) against 14 (one): B runs. With a miss priced as 2
    // GPU-hours short, A's hours cost L and B's L × 2/14: running A costs 14 × L/7 = 2 L, running B
    // 2 L + 6 × L/7 ≈ 2.9 L, so A runs and only B misses. Energy: 8 kWh at 100.
    const twoJobs = (deadlineMissGpuHours: number) => {
      const p = emptyProblem(1, 1);
      p.wholeJobSteps = 1;
      p.deadlineMissGpuHours = deadlineMissGpuHours;
      p.datacenters = [
        datacenterInput(trainingDatacenter(1, 8, 1), 1, [
          { id: 'a', gpus: 8, startStep: 0, endStep: 1, remainingGpuHours: 2, requiredGpuHours: 2 },
          { id: 'b', gpus: 8, startStep: 0, endStep: 1, remainingGpuHours: 14, requiredGpuHours: 14 },
        ]),
      ];
      return solveHorizon(p);
    };
    const perGpuHour = twoJobs(0);
    expect(perGpuHour.schedule!.jobGpus[0].get('b')![0]).toBeCloseTo(8, 6);
    expect(perGpuHour.schedule!.lateGpuHours).toBeCloseTo(8, 6);
    expect(perGpuHour.result.objective).toBeCloseTo(800 + 8e6, 2);
    const perMiss = twoJobs(2);
    expect(perMiss.schedule!.jobGpus[0].get('a')![0]).toBeCloseTo(8, 6);
    expect(perMiss.schedule!.jobGpus[0].get('b')![0]).toBeCloseTo(0, 6);
    expect(perMiss.schedule!.lateGpuHours).toBeCloseTo(14, 6);
    expect(perMiss.result.objective).toBeCloseTo(800 + 2e6, 2);
  });

  it('prices a GPU-hour short never above the late penalty, and a job already late at it', () => {
    const p = emptyProblem(1, 1);
    const L = p.latePenaltyKrwPerGpuHour;
    p.deadlineMissGpuHours = 500;
    const job = { id: 'a', gpus: 8, startStep: 0, endStep: 1, remainingGpuHours: 400, requiredGpuHours: 400 };
    expect(latePenaltyKrwPerGpuHour(p, job)).toBe(L);
    expect(latePenaltyKrwPerGpuHour(p, { ...job, remainingGpuHours: 2_000 })).toBe(L / 4);
    expect(latePenaltyKrwPerGpuHour(p, { ...job, remainingGpuHours: 1e6 })).toBe(L * MIN_DEADLINE_MISS_SHARE);
    expect(latePenaltyKrwPerGpuHour(p, { ...job, remainingGpuHours: 2_000, lateAlready: true })).toBe(L);
    p.deadlineMissGpuHours = 0;
    expect(latePenaltyKrwPerGpuHour(p, { ...job, remainingGpuHours: 2_000 })).toBe(L);
  });

  it('holds an import limit before a training deadline: the job is left short, not the limit broken', () => {
    // 8 GPUs at full power only (1 kW each), a job with 8 GPU-hours due in the hour, a 4 kW import
    // limit. Each kW over the limit for the hour costs the overload penalty (10,000,000), each GPU-hour
    // short the late penalty (2,000,000 at the defaults): the plan runs 4 GPUs and leaves 4 GPU-hours
    // short, with the deadline miss price on. A job's deadline priced above the overload would break
    // the limit: a DR capacity limit, a contract or a transformer (an earlier miss price, up to 20 ×
    // the late penalty for nearly finished jobs, did; the price now only ever lowers it).
    const p = emptyProblem(1, 1);
    p.latePenaltyKrwPerGpuHour = DEFAULT_PLAN_OPTIONS.latePenaltyKrwPerGpuHour;
    p.overloadPenaltyKrwPerKw = DEFAULT_PLAN_OPTIONS.overloadPenaltyKrwPerKw;
    p.deadlineMissGpuHours = DEFAULT_DEADLINE_MISS_GPU_HOURS;
    p.importLimitKw.fill(4);
    p.datacenters = [
      datacenterInput(trainingDatacenter(1, 8, 1), 1, [
        { id: 'j', gpus: 8, startStep: 0, endStep: 1, remainingGpuHours: 8, requiredGpuHours: 8 },
      ]),
    ];
    const r = solveHorizon(p);
    expect(r.schedule!.importKw[0]).toBeCloseTo(4, 6);
    expect(r.schedule!.importOverLimitKw[0]).toBeCloseTo(0, 6);
    expect(r.schedule!.lateGpuHours).toBeCloseTo(4, 6);
  });

  it('adds battery binaries when the relaxation would charge and discharge at once', () => {
    // Negative export price, a must-run source and a nearly full battery: charging 50 kW while
    // discharging 36 kW absorbs 14 kW through losses, more than the 5.6 kW the room allows. The LP
    // does that; with binaries it may only charge into the room.
    const p = emptyProblem(1, 1);
    p.fixedLoadKw.set([-100]);
    p.exportLimitKw.fill(1000);
    p.exportPriceKrwPerKwh.set([-100]);
    p.batteries = [{ id: 'b', cfg: battery({ soc_initial: 0.95 }), socKwh: 95 }];
    const r = solveHorizon(p);
    expect(r.built.withBinaries).toBe(true);
    expect(r.solves).toBe(2);
    const c = r.result.x[r.built.battery.chargeCol[0][0]];
    const d = r.result.x[r.built.battery.dischargeCol[0][0]];
    expect(Math.min(c, d)).toBeLessThan(1e-6);
    expect(c).toBeCloseTo(5 / 0.9, 6);
    expect(r.result.objective).toBeCloseTo(100 * (100 - 5 / 0.9), 6);
  });
});

describe('model builder and solver plumbing', () => {
  it('the LP text re-solves in HiGHS to the same optimum as the sparse arrays', () => {
    const p = emptyProblem(4, 1);
    p.importPriceKrwPerKwh.set([50, 200, 80, 300]);
    p.fixedLoadKw.set([10, 60, 20, 70]);
    p.batteries = [{ id: 'b', cfg: battery(), socKwh: 20 }];
    const built = buildModel(p, true);
    const a = solveSync(built.model.toModelData());
    const b = solveSync({ lp: built.model.toLp() });
    expect(a.status).toBe('optimal');
    expect(b.objective).toBeCloseTo(a.objective, 6);
  });

  it('reports infeasible models by status, and solves in a worker thread', async () => {
    const m = new LpModel();
    const x = m.addVar('x', 0, 1, 1);
    m.addRow('r', [{ col: x, coef: 1 }], 2, Infinity);
    expect(solveSync(m.toModelData()).status).toBe('infeasible');
    expect(solveSync(m.toModelData()).ok).toBe(false);
    const y = new LpModel();
    const v = y.addVar('v', 0, 10, -1, true);
    y.addRow('r', [{ col: v, coef: 2 }], -Infinity, 7);
    const w = await solveInWorker(y.toModelData(), { timeLimitS: 10 });
    expect(w.status).toBe('optimal');
    expect(w.objective).toBe(-3);
  });
});

/** One 8-GPU job of `gpuHours` due in 4 hours priced 500 500 100 100, on GPUs capped down to `capMin`. */
function oneJobInFourHours(capMin: number, gpuHours: number) {
  const p = emptyProblem(4, 1);
  p.importPriceKrwPerKwh.set([500, 500, 100, 100]);
  p.datacenters = [
    datacenterInput(trainingDatacenter(1, 8, capMin), 4, [
      { id: 'j', gpus: 8, startStep: 0, endStep: 4, remainingGpuHours: gpuHours, requiredGpuHours: gpuHours },
    ]),
  ];
  return p;
}
