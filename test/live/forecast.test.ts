import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { localTime } from '../../src/model/time.ts';
import { MeasuredHistory } from '../../src/live/history.ts';
import { VALIDATED_LOAD_MIN_DAYS, LiveForecast } from '../../src/live/forecast.ts';
import { liveViewAt } from './helpers.ts';
import { declaredTrainingGpuHoursPerHour } from '../../src/forecast/training-arrivals.ts';

// The live planner's forecasts come from the site's own measured history: persistence while the
// history is short, then the model chosen by validation on that history (the learned hour × day-kind
// load model only where it beats the best baseline); PV by the clear-sky index measured now and on the
// past day.

const loaded = loadScenarioFile();
const { scenario } = loaded;
const STEP_MS = 15 * 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-08-04T09:00:00+09:00'); // a Tuesday

/** A factory that runs 08–18 on weekdays at 5 MW and idles at 1 MW otherwise. */
function factoryKw(t: number): number {
  const lt = localTime(t, scenario.timezone);
  const working = lt.weekday <= 5 && lt.hour >= 8 && lt.hour < 18;
  return working ? 5000 : 1000;
}

/** Deterministic noise per 15-minute interval, ±`amplitudeKw` (a hash of the interval number). */
function noiseKw(t: number, amplitudeKw: number): number {
  const n = Math.floor(t / STEP_MS);
  const h = Math.sin(n * 12.9898) * 43758.5453;
  return amplitudeKw * 2 * (h - Math.floor(h) - 0.5);
}

function viewAt(history: MeasuredHistory, nowMs: number, measured: Record<string, number>) {
  const values = new Map(
    Object.entries(measured).map(([id, v]) => [
      id,
      new Map([['power_kw' as const, { value: v, timeMs: nowMs, measurement: 'power_kw' as const }]]),
    ]),
  );
  return liveViewAt(loaded, nowMs, { horizonMs: 2 * DAY, values }).view;
}

function feed(history: MeasuredHistory, id: string, fromMs: number, toMs: number, kw: (t: number) => number) {
  for (let t = fromMs; t <= toMs; t += STEP_MS / 3) history.observe(id, t, kw(t));
}

describe('live forecasts from measured history', () => {
  it('uses persistence by day kind while the history is short', () => {
    const history = new MeasuredHistory(STEP_MS, 35);
    feed(history, 'factory-load', NOW - 3 * DAY, NOW, factoryKw);
    const f = new LiveForecast({ history, horizonHours: 24 });
    const view = viewAt(history, NOW, { 'factory-load': 5000 });
    const out = f.loadSeries(view.district, 'factory-load', view, 96);
    expect(f.models.get('factory-load')).toBe('persistence');
    expect(f.choices().find((x) => x.assetId === 'factory-load')).toMatchObject({
      chosen: 'persistence',
      validatedAtMs: null,
      candidates: [],
    });
    // 12:00 today is a working hour (yesterday, a weekday, says 5 MW); 22:00 is idle.
    expect(out[12]).toBe(5000);
    expect(out[52]).toBe(1000);
  });

  it('once the history allows validation, uses the learned model where it beats the best baseline', () => {
    const history = new MeasuredHistory(STEP_MS, 35);
    // Meter noise: a week-old copy carries it twice over, the learned profile averages it out.
    const noisy = (t: number) => factoryKw(t) + noiseKw(t, 600);
    feed(history, 'factory-load', NOW - (VALIDATED_LOAD_MIN_DAYS + 7) * DAY, NOW, noisy);
    const f = new LiveForecast({ history, horizonHours: 24 });
    const view = viewAt(history, NOW, { 'factory-load': 5000 });
    const out = f.loadSeries(view.district, 'factory-load', view, 96);
    expect(f.models.get('factory-load')).toBe('load-ridge');
    const c = f.choices().find((x) => x.assetId === 'factory-load')!;
    expect(c).toMatchObject({ target: 'load', chosen: 'load-ridge' });
    expect(c.validatedAtMs).toBeLessThan(NOW);
    expect(c.reason).toMatch(/beats the best baseline/);
    const ridge = c.candidates.find((x) => x.name === 'load-ridge')!;
    const baselines = c.candidates.filter((x) => x.name !== 'load-ridge');
    expect(baselines.map((x) => x.name).sort()).toEqual(
      ['persistence', 'seasonal-naive-day', 'seasonal-naive-week'].sort(),
    );
    for (const b of baselines) {
      expect(ridge.rmseKw).toBeLessThanOrEqual(b.rmseKw);
      expect(ridge.maeKw).toBeLessThanOrEqual(b.maeKw);
    }
    expect(ridge.skillRmse).toBeGreaterThan(0);
    let absErr = 0;
    for (let k = 0; k < 96; k++) absErr += Math.abs(out[k] - factoryKw(view.timeMs + k * STEP_MS));
    // Within a few percent of the 4 MW swing on average (the noise itself averages 300 kW).
    expect(absErr / 96).toBeLessThan(250);
  });

  it('keeps the best baseline when the learned model is no better on validation', () => {
    const history = new MeasuredHistory(STEP_MS, 35);
    // An exact weekly repeat: the week-old copy has no error at all, so nothing learned can beat it.
    feed(history, 'factory-load', NOW - (VALIDATED_LOAD_MIN_DAYS + 7) * DAY, NOW, factoryKw);
    const f = new LiveForecast({ history, horizonHours: 24 });
    const view = viewAt(history, NOW, { 'factory-load': 5000 });
    const out = f.loadSeries(view.district, 'factory-load', view, 96);
    const c = f.choices().find((x) => x.assetId === 'factory-load')!;
    expect(c.chosen).toBe('seasonal-naive-week');
    expect(f.models.get('factory-load')).toBe('seasonal-naive-week');
    expect(c.reason).toMatch(/load-ridge is not better/);
    for (let k = 1; k < 96; k++) expect(out[k]).toBe(factoryKw(view.timeMs + k * STEP_MS));
  });

  it('forecasts PV from the clear-sky index measured now and on the past day, zero at night', () => {
    const history = new MeasuredHistory(STEP_MS, 35);
    const f = new LiveForecast({ history, horizonHours: 24 });
    const view = viewAt(history, NOW, { 'factory-pv': 1500 });
    const pv = f.pvAvailableKw(view, 96)[view.district.pv.findIndex((u) => u.id === 'factory-pv')];
    expect(pv[0]).toBe(1500);
    // Noon brighter than 9:00, midnight dark, never above the inverter.
    expect(pv[12]).toBeGreaterThan(pv[0]);
    expect(pv[60]).toBe(0);
    expect(Math.max(...pv)).toBeLessThanOrEqual(2600 + 1e-9);
  });

  it('expects new training work at the declared rate before a week of jobs is seen, as the simulator does', () => {
    const history = new MeasuredHistory(STEP_MS, 35);
    const f = new LiveForecast({ history, horizonHours: 24 });
    const view = viewAt(history, NOW, {});
    const u = view.district.datacenters[0];
    const declared = declaredTrainingGpuHoursPerHour(u.cfg, u.layout);
    expect(declared).toBeGreaterThan(0);
    // Nothing observed yet: the whole week stands at the declared rate.
    expect(f.trainingArrivalGpuHoursPerHour(view, 0)).toBeCloseTo(declared, 6);
  });
});
