import type { District } from '../sim/district.ts';
import type { StepView } from '../sim/strategy-interface.ts';
import { createDistrictForecaster, type DistrictForecast, type DistrictForecaster } from './index.ts';
import { persistenceForecast, type Forecast } from './planner-standin.ts';

// The optimizer's view of the future from the learned forecasters (src/forecast): PV per array and
// the fixed loads, P50, issued at each re-plan from what was known then, on forecast weather with
// realistic errors. The interval in progress is the measured value. PPA output, PUE, EV sessions
// and training jobs come from the persistence stand-in (not forecast by src/forecast).

export function learnedForecast(
  d: District,
  forecaster: DistrictForecaster = createDistrictForecaster(d),
): Forecast {
  const fallback = persistenceForecast(d);
  let cached: { issueMs: number; steps: number; f: DistrictForecast } | undefined;
  const stepMs = d.grid.intervalMinutes * 60_000;
  const issue = (view: StepView, steps: number): DistrictForecast => {
    if (!cached || cached.issueMs !== view.timeMs || cached.steps < steps) {
      const hours = Math.ceil((steps * stepMs) / 3_600_000);
      cached = { issueMs: view.timeMs, steps, f: forecaster.forecast(view.timeMs, hours) };
    }
    return cached.f;
  };
  const fromForecast = (
    p50: Float64Array,
    f: DistrictForecast,
    view: StepView,
    steps: number,
    nowKw: number,
  ) => {
    const out = new Float64Array(steps);
    const offset = Math.round((view.timeMs - f.startMs) / stepMs);
    out[0] = nowKw;
    for (let k = 1; k < steps; k++) {
      const j = offset + k;
      out[k] = j >= 0 && j < p50.length ? Math.max(0, p50[j]) : out[k - 1];
    }
    return out;
  };
  return {
    name: 'learned',
    fixedLoadKw: (view, steps) => {
      const f = issue(view, steps);
      const total = new Float64Array(f.count);
      for (const u of f.loads) for (let i = 0; i < f.count; i++) total[i] += u.p50[i];
      return fromForecast(total, f, view, steps, view.fixedLoadKw);
    },
    pvAvailableKw: (view, steps) => {
      const f = issue(view, steps);
      return f.pv.map((u, k) => fromForecast(u.p50, f, view, steps, view.pvAvailableKw[k]));
    },
    ppaKw: fallback.ppaKw,
    pue: fallback.pue,
    evSessions: fallback.evSessions,
    jobs: fallback.jobs,
    trainingArrivalGpuHoursPerHour: fallback.trainingArrivalGpuHoursPerHour,
    // Load above its P90 or PV below its P10 is a 1-in-10 surprise each; taken as independent, the
    // import the plan may be short by is their root sum of squares (the interval in progress is
    // measured, so it needs none).
    peakReserveKw: (view, steps) => {
      const f = issue(view, steps);
      const offset = Math.round((view.timeMs - f.startMs) / stepMs);
      const out = new Float64Array(steps);
      for (let k = 1; k < steps; k++) {
        const j = offset + k;
        if (j < 0 || j >= f.count) continue;
        let loadUpKw = 0;
        for (const u of f.loads) loadUpKw += Math.max(0, u.p90[j] - u.p50[j]);
        let pvDownKw = 0;
        for (const u of f.pv) pvDownKw += Math.max(0, u.p50[j] - u.p10[j]);
        out[k] = Math.hypot(loadUpKw, pvDownKw);
      }
      return out;
    },
  };
}
