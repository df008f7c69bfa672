import { describe, expect, it } from 'vitest';
import { BusStepper } from '../../src/sim/assets/bus.ts';
import { DatacenterStepper, throughputAtCap } from '../../src/sim/assets/datacenter.ts';
import type { RunContext } from '../../src/sim/assets/context.ts';
import { PvStepper } from '../../src/sim/assets/pv.ts';
import { emptyTotals } from '../../src/sim/results.ts';
import type { Dispatch } from '../../src/sim/strategy-interface.ts';
import { MS_PER_HOUR, MS_PER_MINUTE } from '../../src/model/time.ts';
import { referenceDistrict } from './helpers.ts';

// Each asset kind's stepper runs on its own, given the district's units of that kind and a run
// context, so the rules the engine composes can be checked kind by kind.
const d = referenceDistrict(1);
const n = d.grid.count;

function runContext(): RunContext {
  const byAsset = new Map<string, Float64Array>();
  return {
    intervalHours: d.intervalHours,
    totals: emptyTotals(),
    assetKw: (id) => {
      if (!byAsset.has(id)) byAsset.set(id, new Float64Array(n));
      return byAsset.get(id)!;
    },
  };
}

function dispatch(busKw: Float64Array): Dispatch {
  return { batteryKw: new Float64Array(d.batteries.length), evKw: new Map(), busKw, datacenters: [] };
}

describe('BusStepper', () => {
  const dep = d.depots[0];
  const cfg = dep.cfg;

  function atMidnight() {
    const run = runContext();
    const stepper = new BusStepper(d.depots, run);
    stepper.move(d.grid.startMs, d.grid.startMs + d.grid.intervalMinutes * MS_PER_MINUTE);
    const before = stepper.buses.map((b) => b.socKwh);
    return { run, stepper, before };
  }

  it('gives the shared chargers to the first buses that ask, and records the depot series', () => {
    const { run, stepper, before } = atMidnight();
    const withRoom = stepper.buses.filter((b) => b.atDepot && b.socKwh < cfg.soc_max * cfg.battery_kwh);
    expect(withRoom.length).toBeGreaterThan(cfg.chargers);
    const kw = stepper.apply(dispatch(new Float64Array(stepper.buses.length).fill(1e4)), 0);
    const charging = stepper.buses.flatMap((b, k) => (b.socKwh > before[k] ? [k] : []));
    expect(charging).toEqual(
      stepper.buses.flatMap((b, k) => (withRoom.includes(b) ? [k] : [])).slice(0, cfg.chargers),
    );
    expect(kw).toBeGreaterThan(0);
    expect(kw).toBeLessThanOrEqual(cfg.chargers * cfg.charger_kw + 1e-9);
    expect(run.assetKw(dep.id)[0]).toBe(kw);
  });

  it('discharges through the V2G chargers only', () => {
    const { stepper, before } = atMidnight();
    const kw = stepper.apply(dispatch(new Float64Array(stepper.buses.length).fill(-1e4)), 0);
    const discharging = stepper.buses.filter((b, k) => b.socKwh < before[k]).length;
    expect(discharging).toBe(cfg.v2g_chargers);
    expect(kw).toBeLessThan(0);
    expect(kw).toBeGreaterThanOrEqual(-cfg.v2g_chargers * cfg.charger_kw - 1e-9);
  });
});

describe('PvStepper', () => {
  it('gives what is available unless capped, and curtails the first array first', () => {
    const i = d.pv[0].availableKw.reduce((best, v, k, a) => (v > a[best] ? k : best), 0);
    expect(d.pv.length).toBeGreaterThan(1);
    const run = runContext();
    const pv = new PvStepper(d.pv, run);
    pv.observe(i);
    pv.apply(dispatch(new Float64Array(0)));
    const avail = d.pv.reduce((x, u) => x + u.availableKw[i], 0);
    expect(pv.totalKw).toBeCloseTo(avail, 9);
    expect(pv.curtail(pv.availableKw[0] + 1)).toBe(0);
    pv.record(i);
    expect(run.assetKw(d.pv[0].id)[i]).toBe(0);
    expect(run.assetKw(d.pv[1].id)[i]).toBeCloseTo(pv.availableKw[1] - 1, 9);
    expect(pv.totalKw).toBeCloseTo(avail - pv.availableKw[0] - 1, 9);
  });
});

describe('DatacenterStepper', () => {
  it('records when each job started and finished, and which missed its deadline', () => {
    const unit = d.datacenters[0];
    const t0 = d.grid.startMs;
    const stepMs = d.grid.intervalMinutes * MS_PER_MINUTE;
    const stepH = stepMs / MS_PER_HOUR;
    const job = (id: string, gpuHours: number, submitStep: number, deadlineH: number) => ({
      id,
      gpus: 64,
      gpuHours,
      submitMs: t0 + submitStep * stepMs,
      deadlineMs: t0 + deadlineH * MS_PER_HOUR,
    });
    const jobs = [
      job('on-time', 64 * 2 * stepH, 0, 4), // two steps at full cap
      job('never-run', 64, 0, 2), // its deadline passes inside the run
      job('run-late', 64 * stepH, 0, 1), // run only from step 8 (2 h), one step of work
      job('after-run', 64, 10, 48), // due after the run ends
    ];
    const run = runContext();
    const stepper = new DatacenterStepper([{ ...unit, jobs }], run);
    const runJobIds = (i: number) => [...(i < 2 ? ['on-time'] : []), ...(i >= 8 ? ['run-late'] : [])];
    for (let i = 0; i < n; i++) {
      const timeMs = t0 + i * stepMs;
      stepper.submit(i, timeMs);
      stepper.apply(
        { ...dispatch(new Float64Array(0)), datacenters: [{ runJobIds: runJobIds(i), powerCap: 1 }] },
        i,
        timeMs + stepMs,
      );
    }
    const endMs = t0 + n * stepMs;
    stepper.finish(endMs, n);
    expect(throughputAtCap(unit.cfg, 1)).toBe(1);
    const byId = new Map(stepper.outcomes().map((o) => [o.jobId, o]));
    expect([...byId.keys()]).toEqual(['on-time', 'never-run', 'run-late', 'after-run']);
    expect(byId.get('on-time')).toMatchObject({
      startedMs: t0,
      finishedMs: t0 + 2 * stepMs,
      remainingGpuHours: 0,
      missed: false,
    });
    expect(byId.get('never-run')).toMatchObject({
      startedMs: null,
      finishedMs: null,
      remainingGpuHours: 64,
      missed: true,
    });
    expect(byId.get('run-late')).toMatchObject({
      startedMs: t0 + 8 * stepMs,
      finishedMs: t0 + 9 * stepMs,
      missed: true,
    });
    expect(byId.get('after-run')).toMatchObject({
      submitMs: t0 + 10 * stepMs,
      finishedMs: null,
      missed: false,
    });
    // The records and the totals count the same misses and the same unfinished work.
    const outcomes = [...byId.values()];
    expect(outcomes.filter((o) => o.missed)).toHaveLength(run.totals.trainingDeadlineMisses);
    expect(outcomes.reduce((s, o) => s + o.remainingGpuHours, 0)).toBeCloseTo(
      run.totals.trainingUnfinishedGpuHours,
      9,
    );
    expect(run.totals.trainingDeadlineMisses).toBe(2);
    expect(run.totals.trainingUnfinishedGpuHours).toBeCloseTo(128, 9);
  });
});
