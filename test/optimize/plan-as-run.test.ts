import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { solveHorizon } from '../../src/optimize/build.ts';
import { dispatchFromSchedule } from '../../src/optimize/mpc.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { busMustChargeKw, evMustChargeKw, shedFlexibleLoads } from '../../src/optimize/peak-hold.ts';
import {
  problemFromView,
  workThatCannotFitLater,
  DEFAULT_PLAN_OPTIONS,
  DEFAULT_QUEUE_WAIT_KRW_PER_GPU_HOUR_HOUR,
} from '../../src/optimize/horizon.ts';
import { initialView } from '../../src/optimize/view.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { emptyDispatch, plannedDatacenterKw } from '../../src/strategy/common.ts';
import { noneStrategy } from '../../src/strategy/none.ts';
import { computeKpis, peakCostAfterRun } from '../../src/report/kpis.ts';
import { MS_PER_HOUR } from '../../src/model/time.ts';
import { DEMAND_INTERVAL_MINUTES } from '../../src/tariff/index.ts';
import { datacenterInput, testBattery, trainingDatacenter, referenceWeekdayMorning } from './fixtures.ts';
import type { StepView } from '../../src/sim/strategy-interface.ts';
import type { BusBlock } from '../../src/sim/assets/bus.ts';

// What a plan promises is what the district does: training jobs run whole at one cap where the plan
// will be carried out, the peak keeps room for forecast error, the real-time layer holds the peak
// with every flexible load, the billing demand is the month's (not the run's), and a peak's cost
// past the end of the run is counted.

const TOL = 1e-6;

/** 12 GPUs in 3 nodes, cap down to 0.6. */
const datacenter = () => trainingDatacenter(3, 4, 0.6);

describe('training jobs planned as the data center runs them', () => {
  it('runs whole jobs at one shared cap in the steps the dispatch carries out', () => {
    // 12 GPUs, two 8-GPU jobs due in 4 h with 12 GPU-hours each: together they need more than the
    // pool gives at once, so a relaxation runs both on parts of their GPUs. In the first two steps
    // the plan may only run whole jobs: at most one at a time.
    const p = emptyProblem(4, 1);
    p.importPriceKrwPerKwh.set([100, 100, 300, 300]);
    p.wholeJobSteps = 2;
    p.datacenters = [
      datacenterInput(datacenter(), 4, [
        { id: 'a', gpus: 8, startStep: 0, endStep: 4, remainingGpuHours: 12, requiredGpuHours: 12 },
        { id: 'b', gpus: 8, startStep: 0, endStep: 4, remainingGpuHours: 12, requiredGpuHours: 12 },
      ]),
    ];
    const r = solveHorizon(p);
    expect(r.result.status).toBe('optimal');
    const s = r.schedule!;
    expect(s.wholeJobSteps).toBe(2);
    expect(s.lateGpuHours).toBeLessThan(TOL);
    for (let k = 0; k < 2; k++) {
      let running = 0;
      for (const id of ['a', 'b']) {
        const gpus = s.jobGpus[0].get(id)![k];
        // All or nothing, and a running job's caps sum to its GPUs × the one cap of the step.
        expect(Math.min(Math.abs(gpus), Math.abs(gpus - 8))).toBeLessThan(TOL);
        if (gpus > 4) {
          running++;
          expect(s.jobCapSum[0].get(id)![k]).toBeCloseTo(8 * s.dcPowerCap[0][k], 6);
        } else expect(s.jobCapSum[0].get(id)![k]).toBeCloseTo(0, 6);
      }
      expect(running).toBe(1);
    }
    // Past the whole-job steps GPUs stay continuous: both jobs share the pool there.
    const later = s.jobGpus[0].get('a')![2] + s.jobGpus[0].get('b')![2];
    expect(later).toBeLessThanOrEqual(12 + TOL);
    expect(Number.isNaN(s.dcPowerCap[0][2])).toBe(true);
  });

  it('the dispatch runs exactly the planned jobs at the planned cap on the reference district', () => {
    const { scenario, baseDir } = loadScenarioFile();
    const d = prepareDistrict(scenario, { days: 2, baseDir });
    // Midday of the first weekday: jobs are pending.
    const view = initialView(d, 52);
    const dc = view.datacenters[0];
    expect(dc.pending.length).toBeGreaterThan(1);
    const p = emptyProblem(8, d.intervalHours);
    p.startMs = view.timeMs;
    p.wholeJobSteps = 4;
    const unit = d.datacenters[0];
    p.datacenters = [
      {
        id: unit.id,
        cfg: unit.cfg,
        layout: unit.layout,
        inferenceItKw: new Float64Array(8),
        pue: new Float64Array(8).fill(1.2),
        jobs: dc.pending.map((js) => ({
          id: js.job.id,
          gpus: js.job.gpus,
          startStep: 0,
          endStep: 8,
          remainingGpuHours: js.remainingGpuHours,
          requiredGpuHours: Math.min(js.remainingGpuHours, js.job.gpus),
        })),
      },
    ];
    const r = solveHorizon(p);
    expect(r.result.ok).toBe(true);
    const s = r.schedule!;
    for (let k = 0; k < 4; k++) {
      const dp = dispatchFromSchedule({ ...view, index: view.index + k }, s, k);
      const planned = dc.pending.filter((js) => s.jobGpus[0].get(js.job.id)![k] > js.job.gpus / 2);
      expect(new Set(dp.datacenters[0].runJobIds)).toEqual(new Set(planned.map((js) => js.job.id)));
      expect(dp.datacenters[0].powerCap).toBeCloseTo(s.dcPowerCap[0][k], 9);
    }
  });
});

/** One 8-GPU job over 4 one-hour steps, due at the end: the work the plan does in each hour. */
function planOneJob(o: {
  gpuHours: number;
  lateAlready?: boolean;
  lateDelayKrwPerGpuHourHour?: number;
  queueWaitKrwPerGpuHourHour?: number;
  importPriceKrwPerKwh?: number[];
}): Float64Array {
  const p = emptyProblem(4, 1);
  if (o.importPriceKrwPerKwh) p.importPriceKrwPerKwh = Float64Array.from(o.importPriceKrwPerKwh);
  p.lateDelayKrwPerGpuHourHour = o.lateDelayKrwPerGpuHourHour ?? 0;
  p.queueWaitKrwPerGpuHourHour = o.queueWaitKrwPerGpuHourHour ?? 0;
  const job = {
    id: 'job',
    gpus: 8,
    startStep: 0,
    endStep: 4,
    remainingGpuHours: o.gpuHours,
    requiredGpuHours: o.gpuHours,
    lateAlready: o.lateAlready ?? false,
  };
  p.datacenters = [datacenterInput(datacenter(), 4, [job])];
  return solveHorizon(p).schedule!.jobWork[0].get('job')!;
}

describe('a late job', () => {
  it('runs now rather than at a lower cap later: its lateness grows with delay', () => {
    // Flat prices; 8 GPU-hours left, already past its deadline. Energy alone would spread it at the
    // lowest cap over 4 h (less energy per GPU-hour); the delay cost runs it flat out now.
    const plan = (lateDelayKrwPerGpuHourHour: number) =>
      planOneJob({ gpuHours: 8, lateAlready: true, lateDelayKrwPerGpuHourHour });
    expect(plan(1000)[0]).toBeCloseTo(8, 6);
    expect(plan(0)[0]).toBeLessThan(8 - 1);
  });
});

describe('work waiting in the queue', () => {
  // Energy alone spreads the work at the lowest cap (less energy per GPU-hour) over as many hours as
  // it needs.
  const plan = (queueWaitKrwPerGpuHourHour: number, importPriceKrwPerKwh: number[], gpuHours = 16) =>
    planOneJob({ gpuHours, queueWaitKrwPerGpuHourHour, importPriceKrwPerKwh });

  it('runs sooner when waiting has a cost, where the hours cost about the same', () => {
    const flat = [100, 100, 100, 100];
    const free = plan(0, flat);
    const waits = plan(DEFAULT_QUEUE_WAIT_KRW_PER_GPU_HOUR_HOUR, flat);
    // Work-weighted mean hour: later without the cost than with it.
    const meanHour = (w: ArrayLike<number>) => Array.from(w).reduce((s, v, k) => s + v * k, 0) / 16;
    expect(waits[0]).toBeGreaterThan(free[0] + 1);
    expect(meanHour(waits)).toBeLessThan(meanHour(free) - 0.25);
    expect(Array.from(waits).reduce((a, b) => a + b, 0)).toBeCloseTo(16, 6);
  });

  it('still waits for an hour that is cheaper by more than the wait costs', () => {
    // The first two hours at a winter peak price, the last two at light load; 8 GPU-hours fit in
    // the last two at the lowest cap.
    const w = plan(DEFAULT_QUEUE_WAIT_KRW_PER_GPU_HOUR_HOUR, [221.5, 221.5, 117.9, 117.9], 8);
    expect(w[0] + w[1]).toBeLessThan(1e-6);
    expect(w[2] + w[3]).toBeCloseTo(8, 6);
  });
});

describe('work due after the horizon that the pool cannot do after it', () => {
  it('is required inside the horizon, from the job due first', () => {
    // 10 GPUs. Due 1 h after the horizon: 8 GPU-h (fits). Due 2 h after: 16 GPU-h more, 24 in all
    // against 20 the pool gives by then: 4 GPU-h must be done inside, taken from the first job.
    const job = (id: string, gpus: number, remainingGpuHours: number) => ({
      id,
      gpus,
      startStep: 0,
      endStep: 4,
      remainingGpuHours,
      requiredGpuHours: 0,
    });
    const a = job('a', 8, 8);
    const b = job('b', 8, 16);
    const inside = workThatCannotFitLater(
      [
        { job: b, deadlineMs: 2 * MS_PER_HOUR },
        { job: a, deadlineMs: MS_PER_HOUR },
      ],
      [0, 0],
      10,
      0,
    );
    expect(inside[1]).toBeCloseTo(4, 9);
    expect(inside[0]).toBeCloseTo(0, 9);
    // At 7.7 GPU-hours per hour (the lowest cap's speed) the pool gives 15.4 by the second deadline:
    // 8.6 inside in all, 4.6 more than at full speed; the first job gives its other 4, the second 0.6.
    const slow = workThatCannotFitLater(
      [
        { job: b, deadlineMs: 2 * MS_PER_HOUR },
        { job: a, deadlineMs: MS_PER_HOUR },
      ],
      inside,
      7.7,
      0,
    );
    expect(slow[1]).toBeCloseTo(8, 9);
    expect(slow[0]).toBeCloseTo(0.6, 9);
  });
});

describe('work the pool fits after the horizon only at full speed', () => {
  /** 8 GPUs at 1 kW, one job over 2 hours: 4 GPU-h required, 12 wanted, 100 원/kWh. */
  const problem = (poolShortfallKrwPerGpuHour: number, peakCostKrwPerKw = 0) => {
    const p = emptyProblem(8, 0.25);
    p.importPriceKrwPerKwh.fill(100);
    p.poolShortfallKrwPerGpuHour = poolShortfallKrwPerGpuHour;
    p.countsForDemand.fill(1);
    p.peakCostKrwPerKw = peakCostKrwPerKw;
    p.datacenters = [
      datacenterInput(trainingDatacenter(1, 8, 0.6), 8, [
        {
          id: 'a',
          gpus: 8,
          startStep: 0,
          endStep: 8,
          remainingGpuHours: 100,
          requiredGpuHours: 4,
          preferredGpuHours: 12,
        },
      ]),
    ];
    return p;
  };
  const doneGpuHours = (p: ReturnType<typeof problem>) =>
    Array.from(solveHorizon(p).schedule!.jobWork[0].get('a')!).reduce((a, w) => a + w * 0.25, 0);

  it('is done inside the horizon when its shortfall has a cost, and only what is required without', () => {
    expect(doneGpuHours(problem(0))).toBeCloseTo(4, 6);
    expect(doneGpuHours(problem(10_000))).toBeCloseTo(12, 6);
  });

  it('is not worth a new peak: only the required work is done where more would raise it', () => {
    // Over two hours each GPU-hour adds at least 0.3 kW to the peak (at the lowest cap); at 1,000,000
    // 원 per kW of new peak the shortfall's 10,000 원 per GPU-hour is the cheaper, lateness's 2,000,000
    // is not.
    const done = doneGpuHours(problem(10_000, 1_000_000));
    expect(done).toBeCloseTo(4, 6);
  });
});

describe('room for forecast error under the peak', () => {
  it('keeps the reserve between planned import and the peak in demand-charge windows', () => {
    // Load 100 kW, a billing demand of 100 kW already set and a 30 kW reserve: the battery covers
    // the reserve, so planned import stays at 70 kW and no new peak is paid for. Stored energy is
    // worth more than the energy price, so without the reserve the battery would stay idle.
    const p = emptyProblem(2, 0.25);
    p.terminalValueKrwPerKwh = 1000;
    p.fixedLoadKw.fill(100);
    p.countsForDemand.fill(1);
    p.billingDemandKw = 100;
    p.peakCostKrwPerKw = 100_000;
    p.peakReserveKw.fill(30);
    p.batteries = [
      {
        id: 'b',
        cfg: testBattery({ round_trip_efficiency: 1, soc_initial: 0.5 }),
        socKwh: 50,
      },
    ];
    const s = solveHorizon(p).schedule!;
    for (let k = 0; k < 2; k++) expect(s.importKw[k]).toBeCloseTo(70, 6);
    expect(s.peakKw).toBeCloseTo(100, 6);
  });
});

describe('the real-time layer holds the peak with the flexible loads', () => {
  let d: District;
  let view: StepView;
  beforeAll(() => {
    ({ d, view } = referenceWeekdayMorning());
  });

  it('cuts EV charging only as far as every car can still finish by its departure', () => {
    expect(view.ev.length).toBeGreaterThan(0);
    const dp = emptyDispatch(view);
    for (const st of view.ev) dp.evKw.set(st.session.id, st.session.maxPowerKw);
    let before = 0;
    for (const v of dp.evKw.values()) before += v;
    const left = shedFlexibleLoads(view, dp, 1e9);
    let after = 0;
    for (const v of dp.evKw.values()) after += v;
    expect(after).toBeLessThan(before);
    expect(left).toBeGreaterThan(0);
    for (const st of view.ev) {
      const kw = dp.evKw.get(st.session.id)!;
      const hoursLeft = (st.session.departureMs - view.timeMs) / MS_PER_HOUR;
      const laterKwh = Math.max(0, hoursLeft - view.intervalHours) * st.session.maxPowerKw;
      expect(kw * view.intervalHours + laterKwh).toBeGreaterThanOrEqual(
        Math.min(st.remainingKwh, st.session.maxPowerKw * hoursLeft) - TOL,
      );
    }
  });

  it('lets a car it held back catch up before the next re-plan', () => {
    // The plan was made for the cars as they are; then the peak hold held one back, and it now
    // needs full power from here to its departure. The dispatch of the plan in force charges it
    // flat out, where the plan would have charged it as before.
    const s = solveHorizon(problemFromView(view, perfectForecast(d), DEFAULT_PLAN_OPTIONS)).schedule!;
    const dt = view.intervalHours;
    const st = view.ev.find((x) => (s.evKw.get(x.session.id)?.[0] ?? 0) < x.session.maxPowerKw - 1)!;
    expect(st).toBeDefined();
    const hoursLeft = (st.session.departureMs - view.timeMs) / MS_PER_HOUR;
    const behind = {
      ...view,
      ev: view.ev.map((x) => (x === st ? { ...x, remainingKwh: st.session.maxPowerKw * hoursLeft } : x)),
    };
    expect(
      evMustChargeKw(
        behind.ev.find((x) => x.session.id === st.session.id)!,
        view.timeMs,
        dt,
      ),
    ).toBeCloseTo(st.session.maxPowerKw, 9);
    expect(dispatchFromSchedule(behind, s, 0).evKw.get(st.session.id)).toBeCloseTo(st.session.maxPowerKw, 9);
    // A car on its plan keeps the plan's power.
    const other = view.ev.find(
      (x) => x !== st && evMustChargeKw(x, view.timeMs, dt) < (s.evKw.get(x.session.id)?.[0] ?? 0) - 1e-6,
    );
    expect(other).toBeDefined();
    expect(dispatchFromSchedule(view, s, 0).evKw.get(other!.session.id)).toBeCloseTo(
      s.evKw.get(other!.session.id)![0],
      9,
    );
    // Too far behind already: full power, no more.
    const late = {
      ...view,
      ev: view.ev.map((x) => (x === st ? { ...x, remainingKwh: 10 * st.session.maxPowerKw * hoursLeft } : x)),
    };
    expect(dispatchFromSchedule(late, s, 0).evKw.get(st.session.id)).toBeCloseTo(st.session.maxPowerKw, 9);
  });

  it('charges a bus behind its departure SoC flat out, whatever the plan in force says', () => {
    // The first interval of the day with a bus at its depot and its next block later than this
    // interval; the plan is made for the buses as they are. Then the bus falls behind (a plan
    // answered within its gap, a peak hold): it now needs its charger's full power until it leaves.
    const waiting = (v: StepView) =>
      v.buses.findIndex(
        (bus) =>
          bus.atDepot &&
          bus.nextBlock !== undefined &&
          bus.nextBlock.startMs > v.timeMs + v.intervalHours * MS_PER_HOUR,
      );
    const at = Array.from({ length: 96 }, (_, i) => initialView(d, i)).find((v) => waiting(v) >= 0)!;
    expect(at).toBeDefined();
    const b = waiting(at);
    const s = solveHorizon(problemFromView(at, perfectForecast(d), DEFAULT_PLAN_OPTIONS)).schedule!;
    const dt = at.intervalHours;
    const bus = at.buses[b];
    const cfg = d.depots[bus.depotIndex].cfg;
    const hoursLeft = (bus.nextBlock!.startMs - at.timeMs) / MS_PER_HOUR;
    expect(busMustChargeKw(bus, cfg, at.timeMs, dt)).toBeLessThan(cfg.charger_kw);
    const behind = {
      ...at,
      buses: at.buses.map((x, i) =>
        i === b
          ? { ...x, requiredSocKwh: x.socKwh + cfg.charger_kw * cfg.charging_efficiency * hoursLeft }
          : x,
      ),
    };
    expect(busMustChargeKw(behind.buses[b], cfg, at.timeMs, dt)).toBeCloseTo(cfg.charger_kw, 9);
    const dp = dispatchFromSchedule(behind, s, 0);
    expect(dp.busKw[b]).toBeCloseTo(cfg.charger_kw, 9);
    // The peak hold leaves it at that, however much it is asked to shed.
    shedFlexibleLoads(behind, dp, 1e9);
    expect(dp.busKw[b]).toBeCloseTo(cfg.charger_kw, 9);
  });

  it('gives a charger first to the bus that must charge now when more buses want one than there are', () => {
    // A bus needs 2.5 kWh before it leaves at the end of this interval; the other buses at its depot
    // are planned to charge flat out, each with more energy to get but hours to spare, and the depot
    // has a charger for each of them only.
    const at = Array.from({ length: 96 }, (_, i) => initialView(d, i)).find((v) => {
      const here = v.buses.filter((x) => x.atDepot);
      return here.some((x) => here.filter((y) => y.depotIndex === x.depotIndex).length >= 3);
    })!;
    expect(at).toBeDefined();
    const s = solveHorizon(problemFromView(at, perfectForecast(d), DEFAULT_PLAN_OPTIONS)).schedule!;
    const dt = at.intervalHours;
    const stepMs = dt * MS_PER_HOUR;
    const b = at.buses.findIndex(
      (x) => x.atDepot && at.buses.filter((y) => y.atDepot && y.depotIndex === x.depotIndex).length >= 3,
    );
    const di = at.buses[b].depotIndex;
    const cfg = d.depots[di].cfg;
    const block = (startMs: number): BusBlock => ({
      busIndex: at.buses[b].busIndex,
      startMs,
      endMs: startMs + 4 * stepMs,
      energyKwh: 0,
      isPullOut: false,
    });
    const others = at.buses.flatMap((x, i) => (i !== b && x.atDepot && x.depotIndex === di ? [i] : []));
    const busSocKwh = new Map(s.busSocKwh);
    const buses = at.buses.map((x, i) => {
      if (i === b) return { ...x, requiredSocKwh: x.socKwh + 2.5, nextBlock: block(at.timeMs + stepMs) };
      if (!others.includes(i)) return x;
      const plan = new Float64Array(s.steps).fill(x.socKwh);
      plan[0] = x.socKwh + cfg.charger_kw * cfg.charging_efficiency * dt;
      busSocKwh.set(i, plan);
      return { ...x, requiredSocKwh: x.socKwh + 150, nextBlock: block(at.timeMs + 40 * stepMs) };
    });
    const district = {
      ...d,
      depots: d.depots.map((dep, i) =>
        i === di ? { ...dep, cfg: { ...dep.cfg, chargers: others.length } } : dep,
      ),
    };
    const crowded = { ...at, district, buses } as StepView;
    const mustKw = busMustChargeKw(buses[b], cfg, at.timeMs, dt);
    expect(mustKw).toBeGreaterThan(0);
    const dp = dispatchFromSchedule(crowded, { ...s, busSocKwh }, 0);
    expect(dp.busKw[b]).toBeCloseTo(mustKw, 9);
    // The depot's chargers are all in use, and one of the others waits for the next interval.
    expect(others.filter((i) => dp.busKw[i] > 0).length).toBe(others.length - 1);
  });

  it('lowers the GPU cap, never below the minimum, by as much as was asked', () => {
    const dp = emptyDispatch(view);
    const dc = view.datacenters[0];
    const ids = dc.pending.map((js) => js.job.id);
    expect(ids.length).toBeGreaterThan(0);
    dp.datacenters[0] = { runJobIds: ids, powerCap: 1 };
    const fullKw = plannedDatacenterKw(view, dp);
    const left = shedFlexibleLoads(view, dp, 50);
    expect(left).toBeCloseTo(0, 3);
    expect(fullKw - plannedDatacenterKw(view, dp)).toBeCloseTo(50, 0);
    shedFlexibleLoads(view, dp, 1e9);
    expect(dp.datacenters[0].powerCap).toBeCloseTo(d.datacenters[0].cfg.gpu_power_cap_min, 9);
  });
});

describe('the billing demand a strategy sees, and what a peak costs after the run', () => {
  it("starts each month from what ratchet months carry: an ordinary month's peak is no headroom for the next", () => {
    const { scenario, baseDir } = loadScenarioFile();
    // March is no ratchet month; the run crosses into April.
    const d = prepareDistrict(scenario, { start: '2026-03-30', days: 4, baseDir });
    const carriedKw = Math.max(
      scenario.grid.tariff.ratchet_history_peak_kw,
      0.3 * scenario.grid.contract_demand_kw,
    );
    const seen: { month: number; billingKw: number; monthPeakKw: number }[] = [];
    const none = noneStrategy();
    runSimulation(d, {
      name: 'probe',
      decide(v) {
        seen.push({ month: v.local.month, billingKw: v.billingDemandKw, monthPeakKw: v.monthPeakImportKw });
        return none.decide(v);
      },
    });
    const march = seen.filter((x) => x.month === 3);
    const april = seen.filter((x) => x.month === 4);
    const marchPeakKw = march[march.length - 1].monthPeakKw;
    // `none` sets a March peak above what is carried; April starts again from the carried demand.
    expect(marchPeakKw).toBeGreaterThan(carriedKw);
    expect(april[0].billingKw).toBeCloseTo(carriedKw, 6);
    for (const x of april) expect(x.billingKw).toBeCloseTo(Math.max(carriedKw, x.monthPeakKw), 6);
  });

  it("hands strategies the month's highest 15-minute import at any hour, from the run's own import", () => {
    const { scenario, baseDir } = loadScenarioFile();
    const d = prepareDistrict(scenario, { start: '2026-03-30', days: 4, baseDir });
    const seen: { index: number; month: number; maxKw: number | undefined }[] = [];
    const none = noneStrategy();
    const r = runSimulation(d, {
      name: 'probe',
      decide(v) {
        seen.push({ index: v.index, month: v.local.month, maxKw: v.monthMaxImportKw });
        return none.decide(v);
      },
    });
    // By hand from the import series: 15-minute windows of this month closed before the interval.
    const perWindow = Math.round(DEMAND_INTERVAL_MINUTES / d.grid.intervalMinutes);
    for (const x of seen) {
      let maxKw = 0;
      for (let w = 0; w + perWindow <= x.index; w += perWindow) {
        if (d.local[w].month !== x.month) continue;
        let sumKw = 0;
        for (let i = w; i < w + perWindow; i++) sumKw += r.series.importKw[i];
        maxKw = Math.max(maxKw, sumKw / perWindow);
      }
      expect(x.maxKw).toBeCloseTo(maxKw, 6);
    }
    // It covers every hour, so it is at least the demand-hours peak; April starts again from 0.
    expect(seen.find((x) => x.month === 4)!.maxKw).toBe(0);
    expect(Math.max(...seen.map((x) => x.maxKw!))).toBeGreaterThan(0);
  });

  it('charges a ratchet-month peak for the 11 months after an August run, and nothing after an April one', () => {
    const { scenario, baseDir } = loadScenarioFile();
    const g = scenario.grid;
    const carriedKw = Math.max(g.tariff.ratchet_history_peak_kw, 0.3 * g.contract_demand_kw);
    const taxFactor = 1 + g.tariff.vat_fraction + g.tariff.power_fund_fraction;
    for (const [start, months] of [
      ['2026-08-03', 11],
      ['2026-04-13', 0],
    ] as const) {
      const d = prepareDistrict(scenario, { start, days: 2, baseDir });
      const r = runSimulation(d, noneStrategy());
      const k = computeKpis(d, r).kpis;
      expect(k.peakImportKw).toBeGreaterThan(carriedKw);
      const i = d.prices.countsForDemand.indexOf(1);
      const expected = months * (k.peakImportKw - carriedKw) * d.prices.basicChargeKrwPerKw[i] * taxFactor;
      expect(peakCostAfterRun(d, r.series.importKw)).toBeCloseTo(expected, 0);
      expect(k.totalCostWithPeakAfterRunKrw).toBeCloseTo(k.totalCostKrw + expected, 0);
    }
  });

  it('values the training work left at the end at the energy it still takes, on a line of its own', () => {
    const { scenario, baseDir } = loadScenarioFile();
    const t = scenario.grid.tariff;
    const d = prepareDistrict(scenario, { start: '2026-08-03', days: 1, baseDir });
    expect(d.datacenters).toHaveLength(1);
    const r = runSimulation(d, noneStrategy());
    const k = computeKpis(d, r).kpis;
    expect(k.trainingUnfinishedGpuHours).toBeGreaterThan(100);
    const dc = d.datacenters[0];
    const meanPue = dc.pue.reduce((a, b) => a + b, 0) / dc.pue.length;
    const kwh = k.trainingUnfinishedGpuHours * dc.layout.gpuDynamicKw * meanPue;
    const krwPerKwh = (k.energyCostKrw / k.importKwh) * (1 + t.vat_fraction + t.power_fund_fraction);
    expect(k.trainingUnfinishedCostKrw).toBeCloseTo(kwh * krwPerKwh, 0);
    expect(k.totalCostComparableKrw).toBeCloseTo(k.totalCostWithPeakAfterRunKrw + kwh * krwPerKwh, 0);
  });
});
