import type { District } from '../sim/district.ts';
import type { EvSessionState, JobState, StepView } from '../sim/strategy-interface.ts';
import { solarPositionSeries } from '../weather/index.ts';
import { haurwitzGhiWPerM2 } from '../weather/clearsky.ts';
import { MS_PER_DAY } from '../model/time.ts';
import { dayKind } from '../model/calendar.ts';
import { TrainingArrivals } from './training-arrivals.ts';

// What the optimizer may know about the future. `optimal` uses the stand-in below until the
// forecasting module (src/forecast) is wired in; `oracle` uses the truth. Anything with this shape
// can be swapped in.

export interface Forecast {
  readonly name: string;
  /** Uncontrolled load for intervals [index, index + steps), kW; index itself is measured. */
  fixedLoadKw(view: StepView, steps: number): Float64Array;
  /** Per PV array, available power for the same intervals, kW. */
  pvAvailableKw(view: StepView, steps: number): Float64Array[];
  ppaKw(view: StepView, steps: number): Float64Array;
  /** Data center k's PUE over the horizon. */
  pue(view: StepView, k: number, steps: number): Float64Array;
  /** EV sessions the plan covers: state now, or (for sessions not yet plugged in) full request. */
  evSessions(view: StepView, endMs: number): EvSessionState[];
  /** Training jobs the plan covers per data center. */
  jobs(view: StepView, k: number, endMs: number): JobState[];
  /**
   * New training work data center k can expect per hour after `view`, GPU-hours per hour: room the
   * plan leaves after its horizon for jobs not yet submitted. Absent: none.
   */
  trainingArrivalGpuHoursPerHour?(view: StepView, k: number): number;
  /**
   * Import the forecast may be short by, per interval, kW (more load or less PV than its median):
   * the plan keeps this much headroom under the peak in demand-charge windows. Absent: none.
   */
  peakReserveKw?(view: StepView, steps: number): Float64Array;
}

/** Below this clear-sky GHI the sky ratio of an interval is not informative (dawn, dusk), W/m². */
const MIN_CLEAR_SKY_W_PER_M2 = 20;
/** kW of PV per W/m² of clear-sky GHI when nothing has been measured yet: a clear-sky guess. */
const DEFAULT_PV_KW_PER_KWP_PER_W_PER_M2 = 0.8 / 1000;

/**
 * Persistence stand-in:
 * - PV: clear-sky-index persistence — the same interval yesterday, as a ratio of measured power to
 *   clear-sky GHI (Haurwitz), times today's clear-sky GHI; before a day of history, the ratio
 *   measured now (or a clear-sky guess at night);
 * - loads: the same interval yesterday if it was the same kind of day (weekday, Saturday,
 *   Sunday/holiday), else a week ago, else yesterday; before any history, the value measured now;
 * - PPA: as PV; PUE: same time yesterday, else now;
 * - EV sessions only once plugged in (departure and energy then known), training jobs only once
 *   submitted, the bus timetable in full; new training work at the rate submitted over the past
 *   week (the district file's declared workload for the part of the week not yet seen).
 */
export function persistenceForecast(d: District): Forecast {
  const pos = solarPositionSeries(d.grid, {
    latitudeDeg: d.scenario.location.latitude_deg,
    longitudeDeg: d.scenario.location.longitude_deg,
    altitudeM: d.scenario.location.altitude_m,
  });
  const n = d.grid.count;
  const clearGhi = new Float64Array(n);
  for (let i = 0; i < n; i++) clearGhi[i] = haurwitzGhiWPerM2(pos.zenithDeg[i]);
  const perDay = Math.round(MS_PER_DAY / (d.grid.intervalMinutes * 60_000));
  const fixedLoad = new Float64Array(n);
  for (const l of d.loads) for (let i = 0; i < n; i++) fixedLoad[i] += l.kw[i];
  const kinds = d.local.map((lt) => dayKind(lt.date, lt.weekday, d.calendar));
  const arrivals = TrainingArrivals.declared(d.datacenters);

  const solar = (series: Float64Array, capacityKw: number, view: StepView, steps: number, nowKw: number) => {
    const out = new Float64Array(steps);
    const i0 = view.index;
    const ratioNow =
      clearGhi[i0] > MIN_CLEAR_SKY_W_PER_M2
        ? nowKw / clearGhi[i0]
        : capacityKw * DEFAULT_PV_KW_PER_KWP_PER_W_PER_M2;
    out[0] = nowKw;
    for (let k = 1; k < steps; k++) {
      const i = i0 + k;
      if (i >= n) break;
      // The newest same-time day that is already in the past.
      let j = i - perDay;
      while (j > i0) j -= perDay;
      const ratio = j >= 0 && clearGhi[j] > MIN_CLEAR_SKY_W_PER_M2 ? series[j] / clearGhi[j] : ratioNow;
      out[k] = Math.max(0, Math.min(capacityKw, ratio * clearGhi[i]));
    }
    return out;
  };
  const persist = (
    series: ArrayLike<number>,
    view: StepView,
    steps: number,
    nowValue: number,
    byDayKind: boolean,
  ) => {
    const out = new Float64Array(steps);
    const i0 = view.index;
    out[0] = nowValue;
    for (let k = 1; k < steps; k++) {
      const i = i0 + k;
      if (i >= n) break;
      let j = i - perDay;
      while (j > i0) j -= perDay;
      if (byDayKind && j >= 0 && kinds[j] !== kinds[i]) {
        let w = i - 7 * perDay;
        while (w > i0) w -= 7 * perDay;
        if (w >= 0) j = w;
      }
      out[k] = j >= 0 ? series[j] : nowValue;
    }
    return out;
  };
  return {
    name: 'persistence',
    fixedLoadKw: (view, steps) => persist(fixedLoad, view, steps, view.fixedLoadKw, true),
    pvAvailableKw: (view, steps) =>
      d.pv.map((u, k) =>
        solar(u.availableKw, u.cfg.inverter_kw ?? u.cfg.capacity_kwp, view, steps, view.pvAvailableKw[k]),
      ),
    ppaKw: (view, steps) =>
      solar(d.ppaKw, d.scenario.contracts.ppa?.capacity_kwp ?? 0, view, steps, d.ppaKw[view.index]),
    pue: (view, k, steps) => persist(d.datacenters[k].pue, view, steps, view.datacenters[k].pue, false),
    evSessions: (view) => view.ev,
    jobs: (view, k) => view.datacenters[k].pending,
    trainingArrivalGpuHoursPerHour: (view, k) => arrivals.gpuHoursPerHour(view, k),
  };
}

/** The truth: what the oracle plans with. Sessions and jobs are known before they arrive. */
export function perfectForecast(d: District): Forecast {
  const n = d.grid.count;
  const fixedLoad = new Float64Array(n);
  for (const l of d.loads) for (let i = 0; i < n; i++) fixedLoad[i] += l.kw[i];
  const slice = (a: Float64Array, view: StepView, steps: number) => {
    const out = new Float64Array(steps);
    out.set(a.subarray(view.index, Math.min(n, view.index + steps)));
    return out;
  };
  const sessions = d.ev.flatMap((u) => u.sessions).sort((a, b) => a.arrivalMs - b.arrivalMs);
  return {
    name: 'perfect',
    fixedLoadKw: (view, steps) => slice(fixedLoad, view, steps),
    pvAvailableKw: (view, steps) => d.pv.map((u) => slice(u.availableKw, view, steps)),
    ppaKw: (view, steps) => slice(d.ppaKw, view, steps),
    pue: (view, k, steps) => slice(d.datacenters[k].pue, view, steps),
    evSessions: (view, endMs) => {
      const out = view.ev.slice();
      const plugged = new Set(out.map((s) => s.session.id));
      for (const s of sessions) {
        if (s.arrivalMs >= endMs) break;
        if (s.arrivalMs > view.timeMs && !plugged.has(s.id))
          out.push({ session: s, deliveredKwh: 0, remainingKwh: s.energyKwh });
      }
      return out;
    },
    jobs: (view, k, endMs) => {
      const out = view.datacenters[k].pending.slice();
      for (const job of d.datacenters[k].jobs) {
        if (job.submitMs >= endMs) break;
        if (job.submitMs > view.timeMs) out.push({ job, remainingGpuHours: job.gpuHours });
      }
      return out;
    },
  };
}
