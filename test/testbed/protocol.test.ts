import { describe, expect, it } from 'vitest';
import type { Dispatch, StepView, Strategy } from '../../src/sim/strategy-interface.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import { noneStrategy } from '../../src/strategy/none.ts';
import {
  actionToDispatch,
  buildObservation,
  checkAction,
  checkObservation,
  controllerSpec,
  districtForecaster,
  persistenceForecaster,
  PROTOCOL_VERSION,
} from '../../src/testbed/index.ts';
import { caseSignals, QUICK_CHALLENGE_SET, unannouncedPicker } from '../../src/testbed/challenge.ts';
import { join } from 'node:path';
import { FIXTURES, oneDay, runController } from './helpers.ts';

/** Runs the day under `decide` and hands it every view, so the checks see real simulator states. */
function views(each: (v: StepView) => Dispatch | void): void {
  const d = oneDay();
  const s: Strategy = {
    name: 'probe',
    decide(v) {
      return (
        each(v) ?? {
          batteryKw: new Float64Array(d.batteries.length),
          evKw: new Map(),
          busKw: new Float64Array(v.buses.length),
          datacenters: d.datacenters.map(() => ({ runJobIds: [], powerCap: 1 })),
        }
      );
    },
  };
  runSimulation(d, s);
}

describe('the controller interface', () => {
  it('every observation of a simulated day matches the published schema', () => {
    const d = oneDay();
    const c = QUICK_CHALLENGE_SET.cases[0];
    const signals = caseSignals(d, c);
    const ctx = {
      forecaster: persistenceForecaster(d),
      signals: () => signals,
      unannounced: unannouncedPicker(c),
    };
    let checked = 0;
    let withEv = 0;
    let hidden = 0;
    views((v) => {
      const obs = buildObservation(v, ctx);
      const r = checkObservation(JSON.parse(JSON.stringify(obs)));
      if (!r.ok) throw new Error(`interval ${v.index}: ${r.error}`);
      expect(obs.protocol).toBe(PROTOCOL_VERSION);
      expect(obs.prices.importKrwPerKwh).toHaveLength(obs.prices.steps);
      expect(obs.forecasts.pv[0].p50Kw).toHaveLength(obs.prices.steps);
      if (obs.evSessions.length) withEv++;
      hidden += obs.evSessions.filter((s) => s.departure === null).length;
      // The DR event is announced from the start and dropped once it is over.
      if (v.timeMs < signals[0].endMs) expect(obs.signals[0]?.kind).toBe('import_limit_kw');
      else expect(obs.signals).toEqual([]);
      checked++;
    });
    expect(checked).toBe(d.grid.count);
    expect(withEv).toBeGreaterThan(0);
    // The quick case hides about a third of the sessions' departures.
    expect(hidden).toBeGreaterThan(0);
  });

  it('carries the learned forecasts with ordered quantiles and a band around P50', () => {
    const d = oneDay();
    const forecaster = districtForecaster(d);
    expect(forecaster.model).toBe('learned');
    let values = 0;
    let banded = 0;
    views((v) => {
      const o = buildObservation(v, { forecaster });
      for (const f of [...o.forecasts.pv, ...o.forecasts.loads])
        for (let k = 0; k < f.p50Kw.length; k++) {
          values++;
          expect(f.p10Kw[k]).toBeLessThanOrEqual(f.p50Kw[k] + 1e-6);
          expect(f.p50Kw[k]).toBeLessThanOrEqual(f.p90Kw[k] + 1e-6);
          if (f.p90Kw[k] - f.p10Kw[k] > 1) banded++;
        }
    });
    expect(values).toBeGreaterThan(0);
    // Night-time PV has no band (it is zero); loads and daytime PV do.
    expect(banded / values).toBeGreaterThan(0.2);
  });

  it('takes a module path or an http URL as a controller, and says what is wrong with anything else', () => {
    expect(controllerSpec('http://127.0.0.1:8765/')).toMatchObject({
      kind: 'http',
      target: 'http://127.0.0.1:8765/',
    });
    expect(controllerSpec(join(FIXTURES, 'greedy.mjs'))).toMatchObject({
      kind: 'module',
      label: 'greedy.mjs',
    });
    expect(() => controllerSpec('nowhere/ctl.mjs')).toThrow(/"nowhere\/ctl\.mjs": no such file/);
    expect(() => controllerSpec('controller.py')).toThrow(
      /give an ES module \(\.mjs or \.js\) or an http:\/\/ URL/,
    );
  });

  it('refuses NaN, infinities, wrong types and unknown keys, saying where', () => {
    expect(checkAction({ batteryKw: { b: Number.NaN } })).toEqual({
      ok: false,
      error: 'the action has a number that is not finite at /batteryKw/b',
    });
    const wrongType = checkAction({ evKw: { s1: '7' } });
    expect(wrongType.ok).toBe(false);
    expect(!wrongType.ok && wrongType.error).toMatch(/\/evKw\/s1 must be number/);
    const extra = checkAction({ batteries: {} });
    expect(!extra.ok && extra.error).toMatch(/must NOT have additional properties/);
    expect(checkAction([]).ok).toBe(false);
    expect(checkAction({}).ok).toBe(true);
  });

  it('narrows setpoints into the limits of the interval and counts each clamp', () => {
    let seen = 0;
    views((v) => {
      const d = v.district;
      const id = d.batteries[0].id;
      const m = actionToDispatch(v, { batteryKw: { [id]: 1e9 } });
      if (!m.ok) throw new Error(m.error);
      expect(m.dispatch.batteryKw[0]).toBe(v.batteryLimits[0].maxDischargeKw);
      expect(m.clamps).toHaveLength(1);
      expect(m.clamps[0]).toMatchObject({ where: `batteryKw/${id}`, requested: 1e9 });
      if (v.ev.length) {
        const s = v.ev[0].session;
        const e = actionToDispatch(v, { evKw: { [s.id]: -1e6 } });
        if (!e.ok) throw new Error(e.error);
        expect(e.dispatch.evKw.get(s.id)).toBe(-s.maxDischargeKw);
        expect(e.clamps).toHaveLength(1);
      }
      const unknown = actionToDispatch(v, { evKw: { 'no-such-session': 1 } });
      expect(unknown.ok).toBe(false);
      seen++;
      return m.dispatch;
    });
    expect(seen).toBe(oneDay().grid.count);
  });

  it('a controller answering what `none` does scores exactly what `none` scores', async () => {
    const d = oneDay();
    const none = computeKpis(d, runSimulation(d, noneStrategy())).kpis;
    const r = await runController(join(FIXTURES, 'full-power.mjs'));
    expect(r.stats.failure).toBeUndefined();
    expect(r.stats.clamps).toBe(0);
    expect(r.kpis.totalCostKrw).toBeCloseTo(none.totalCostKrw, 3);
    expect(r.kpis.peakImportKw).toBeCloseTo(none.peakImportKw, 6);
  });

  it('a controller answering exactly the limits it was told is never clamped', async () => {
    const r = await runController(join(FIXTURES, 'at-limits.mjs'));
    expect(r.stats.failure).toBeUndefined();
    expect(r.stats.clamps).toBe(0);
    // It did move the battery: charged in the morning, discharged after noon.
    expect(Math.min(...r.result.series.batteryKw)).toBeLessThan(0);
    expect(Math.max(...r.result.series.batteryKw)).toBeGreaterThan(0);
  });

  it('a controller asking for ten times the rating gets every setpoint clamped and counted', async () => {
    const r = await runController(join(FIXTURES, 'greedy.mjs'));
    expect(r.stats.failure).toBeUndefined();
    expect(r.stats.answered).toBe(oneDay().grid.count);
    expect(r.stats.clamps).toBe(oneDay().grid.count * oneDay().batteries.length);
    // The battery never went past what it can do.
    const b = oneDay().batteries[0].cfg;
    for (const kw of r.result.series.batteryKw) expect(kw).toBeLessThanOrEqual(b.max_discharge_kw + 1e-9);
  });
});
