import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { District } from '../sim/district.ts';
import type { StepView, JobState } from '../sim/strategy-interface.ts';
import type { Forecast } from '../forecast/planner-standin.ts';
import { solarPositionSeries } from '../weather/index.ts';
import { haurwitzGhiWPerM2 } from '../weather/clearsky.ts';
import { dayKind } from '../model/calendar.ts';
import { localTime, MS_PER_DAY, MS_PER_HOUR } from '../model/time.ts';
import {
  AutoForecaster,
  LoadForecaster,
  MIN_VALIDATION_DAYS,
  MIN_VALIDATION_TRAIN_DAYS,
  persistenceForecaster,
  seasonalNaiveForecaster,
  type Candidate,
  type ModelChoice,
} from '../forecast/index.ts';
import type { MeasuredHistory } from './history.ts';
import { TrainingArrivals } from '../forecast/training-arrivals.ts';

// What the live planner expects of the future, from the site's own measured history only:
// - PV per array: smart persistence of the clear-sky index — the ratio of measured power to clear-sky
//   irradiance now, fading over a few hours into the ratio the same interval had on the newest past day;
// - fixed loads: once the site has enough history, the model chosen by rolling-origin validation on
//   that history (src/forecast/select.ts: the learned hour × day-kind ridge only where it beats the best
//   baseline on RMSE and MAE, else that baseline), chosen and refitted daily; before that, the same
//   interval on the newest past day of the same kind (weekday, Saturday, Sunday/holiday), else the
//   newest past day, else the value measured now;
// - EV sessions as the chargers report them; training jobs the API was told about, later ones included;
//   new training work at the rate submitted over the past week (the district file's declared workload
//   for the part of the week not yet seen), as the simulator's planner expects it;
// - PPA output and PUE from the planning calendar's climatology.

/** Below this clear-sky GHI the sky ratio of an interval says nothing (dawn, dusk), W/m². */
const MIN_CLEAR_SKY_W_PER_M2 = 20;
/** kW per kWp per W/m² of clear-sky GHI before anything was measured: a clear-sky guess. */
const DEFAULT_PV_KW_PER_KWP_PER_W_PER_M2 = 0.8 / 1000;
/** How fast the sky measured now stops predicting the sky later (e-folding time), hours. */
const SKY_PERSISTENCE_HOURS = 3;
/**
 * History days before models are chosen by validation: a learned model's minimum training plus the
 * fewest validation days (src/forecast/select.ts); day-kind persistence until then.
 */
export const VALIDATED_LOAD_MIN_DAYS = MIN_VALIDATION_TRAIN_DAYS + MIN_VALIDATION_DAYS;
/** Days of history the learned load model trains on. */
const LEARNED_LOAD_TRAIN_DAYS = 28;
/** Days of history the choice looks at: the learned model's window plus the validation days. */
const LOAD_CHOICE_HISTORY_DAYS = 35;
/** The choice is made and the chosen model refitted this often, clock hours. */
const LOAD_REFIT_HOURS = 24;
/** Name of the day-kind persistence used before there is enough history to validate. */
const DAY_KIND_PERSISTENCE = 'persistence';
/** Name of the live PV forecast (the only one: no weather forecast reaches the live planner). */
const CLEAR_SKY_PERSISTENCE = 'clear-sky-persistence';
/** Past days searched for the same interval on a same-kind day. */
const LOOKBACK_DAYS = 7;

/** Which model forecasts a series live, and why: for the API (`GET /api/forecast/models`). */
export interface ForecastModelInfo {
  target: 'load' | 'pv';
  assetId: string;
  chosen: string;
  reason: string;
  /** Issue time of the first validation day, UTC ms; null when nothing was validated. */
  validatedAtMs: number | null;
  candidates: { name: string; rmseKw: number; maeKw: number; skillRmse: number }[];
}

/**
 * Names the channel's key in the environment. It is drawn when this module loads — in the control
 * process before the API's worker thread starts, which inherits it with the environment — while
 * shadow controllers' workers start with an empty environment, so an uploaded module can neither read
 * the channel nor answer the API in the forecaster's place.
 */
const CHANNEL_KEY_ENV = 'BITGRID_FORECAST_CHANNEL_KEY';
process.env[CHANNEL_KEY_ENV] ??= randomUUID();

/**
 * The channel the API asks for the choices on when it runs in a worker thread of its own (the mirror
 * the control thread pushes does not carry them): named after the district, so the API of the same
 * district file finds it, and keyed per process.
 */
export function forecastModelsChannelName(districtName: string): string {
  return `bitgrid-forecast-models:${districtName}:${process.env[CHANNEL_KEY_ENV]}`;
}

export interface LiveForecastOptions {
  history: MeasuredHistory;
  horizonHours: number;
  log?: (message: string) => void;
}

export class LiveForecast implements Forecast {
  readonly name = 'live';
  private futureJobs: JobState[][] = [];
  /** Training work submitted per hour, seen from the jobs the views show (created at the first plan). */
  private arrivals?: TrainingArrivals;
  private readonly loadModels = new Map<string, { model: AutoForecaster; fittedMs: number }>();
  /** Which model each series is forecast with now, for the API and the schedule's inputs. */
  readonly models = new Map<string, string>();
  private readonly choiceById = new Map<string, ForecastModelInfo>();
  private channel?: BroadcastChannel;

  constructor(private readonly o: LiveForecastOptions) {}

  /** Answers the API's requests for the choices (`{ t: 'req', id }` → `{ t: 'res', id, models }`). */
  private listen(d: District): void {
    if (this.channel) return;
    const ch = new BroadcastChannel(forecastModelsChannelName(d.scenario.name));
    // Never what keeps the process alive.
    ch.unref();
    ch.onmessage = (ev) => {
      const m = (ev as MessageEvent).data as { t?: string; id?: unknown };
      if (m?.t === 'req' && typeof m.id === 'string')
        ch.postMessage({ t: 'res', id: m.id, models: this.choices() });
    };
    this.channel = ch;
  }

  /** Stops answering the API. */
  close(): void {
    this.channel?.close();
    this.channel = undefined;
  }

  /** Jobs submitted for later (earliest start after now), per data center, for the next plan. */
  setFutureJobs(jobs: JobState[][]): void {
    this.futureJobs = jobs;
  }

  /** The model of every series forecast so far, with the validation behind the choice. */
  choices(): ForecastModelInfo[] {
    return [...this.choiceById.values()];
  }

  fixedLoadKw(view: StepView, steps: number): Float64Array {
    const d = view.district;
    const out = new Float64Array(steps);
    for (const u of d.loads) {
      const f = this.loadSeries(d, u.id, view, steps);
      for (let k = 0; k < steps; k++) out[k] += f[k];
    }
    out[0] = view.fixedLoadKw;
    return out;
  }

  /** One load's forecast over the horizon, kW (index 0: the interval in progress). */
  loadSeries(d: District, id: string, view: StepView, steps: number): Float64Array {
    this.listen(d);
    const chosen = this.chosenLoad(d, id, view, steps);
    if (chosen) return chosen;
    this.models.set(id, DAY_KIND_PERSISTENCE);
    const h = this.o.history;
    const stepMs = h.stepMs;
    const nowKw = h.mean(id, view.timeMs - stepMs) ?? 0;
    const out = new Float64Array(steps);
    for (let k = 0; k < steps; k++) {
      const t = view.timeMs + k * stepMs;
      const kind = kindAt(d, t);
      let v: number | undefined;
      let any: number | undefined;
      for (let back = 1; back <= LOOKBACK_DAYS && v === undefined; back++) {
        const past = t - back * MS_PER_DAY;
        if (past >= view.timeMs) continue;
        const m = h.mean(id, past);
        if (m === undefined) continue;
        any ??= m;
        if (kindAt(d, past) === kind) v = m;
      }
      out[k] = v ?? any ?? nowKw;
    }
    return out;
  }

  /** The validated choice's forecast, or undefined while the history is too short (or the choice failed). */
  private chosenLoad(d: District, id: string, view: StepView, steps: number): Float64Array | undefined {
    const h = this.o.history;
    const daysHeld = h.daysHeld(id, view.timeMs);
    if (daysHeld < VALIDATED_LOAD_MIN_DAYS) {
      this.setChoice('load', id, {
        chosen: DAY_KIND_PERSISTENCE,
        reason: `${Math.floor(daysHeld)} day(s) of history: the same interval on the newest past day of the same kind until ${VALIDATED_LOAD_MIN_DAYS} days allow validating models`,
        validatedAtMs: null,
        candidates: [],
      });
      return undefined;
    }
    const stepMs = h.stepMs;
    const fromMs = view.timeMs - Math.min(Math.floor(daysHeld), LOAD_CHOICE_HISTORY_DAYS) * MS_PER_DAY;
    const known = Math.round((view.timeMs - fromMs) / stepMs);
    const target = new Float64Array(known + steps).fill(NaN);
    target.set(h.range(id, fromMs, known));
    const data = {
      startMs: fromMs,
      intervalMinutes: stepMs / 60_000,
      count: known + steps,
      zone: d.zone,
      targetKw: target,
    };
    try {
      let entry = this.loadModels.get(id);
      if (!entry || view.timeMs - entry.fittedMs >= LOAD_REFIT_HOURS * MS_PER_HOUR) {
        const model = new AutoForecaster(this.loadCandidates(), {
          horizonHours: this.o.horizonHours,
          score: 'horizon',
        });
        model.fit(data, view.timeMs);
        entry = { model, fittedMs: view.timeMs };
        this.loadModels.set(id, entry);
        this.setChoice('load', id, model.choice!);
      }
      const f = entry.model.predict(data, { issueMs: view.timeMs, startMs: view.timeMs, count: steps });
      this.models.set(id, entry.model.choice!.chosen);
      return Float64Array.from(f.p50, (x) => (Number.isFinite(x) ? Math.max(0, x) : 0));
    } catch (e) {
      const message = (e as Error).message;
      this.o.log?.(`load model choice for ${id} failed (${message}); persistence instead`);
      this.setChoice('load', id, {
        chosen: DAY_KIND_PERSISTENCE,
        reason: `model choice failed (${message}): day-kind persistence`,
        validatedAtMs: null,
        candidates: [],
      });
      return undefined;
    }
  }

  /** The learned load model and the baselines it has to beat. */
  private loadCandidates(): Candidate[] {
    const base = { horizonHours: this.o.horizonHours };
    return [
      {
        learned: true,
        make: () =>
          new LoadForecaster({ horizonHours: this.o.horizonHours, trainDays: LEARNED_LOAD_TRAIN_DAYS }),
      },
      { learned: false, make: () => seasonalNaiveForecaster(7, base) },
      { learned: false, make: () => seasonalNaiveForecaster(1, base) },
      { learned: false, make: () => persistenceForecaster(base) },
    ];
  }

  private setChoice(
    target: ForecastModelInfo['target'],
    assetId: string,
    c: Pick<ModelChoice, 'chosen' | 'reason' | 'validatedAtMs'> & { candidates: ModelChoice['candidates'] },
  ): void {
    this.choiceById.set(assetId, {
      target,
      assetId,
      chosen: c.chosen,
      reason: c.reason,
      validatedAtMs: c.validatedAtMs,
      // Only candidates that could be scored: one that failed to fit is named in the reason.
      candidates: c.candidates
        .filter((x) => Number.isFinite(x.rmseKw))
        .map((x) => ({ name: x.name, rmseKw: x.rmseKw, maeKw: x.maeKw, skillRmse: x.skillRmse })),
    });
  }

  pvAvailableKw(view: StepView, steps: number): Float64Array[] {
    const d = view.district;
    this.listen(d);
    const h = this.o.history;
    const stepMs = h.stepMs;
    const ghi = clearSkyGhi(d);
    const i0 = view.index;
    return d.pv.map((u, a) => {
      const capKw = u.cfg.inverter_kw ?? u.cfg.capacity_kwp;
      const out = new Float64Array(steps);
      const nowKw = view.pvAvailableKw[a];
      const ratioNow =
        ghi[i0] > MIN_CLEAR_SKY_W_PER_M2
          ? nowKw / ghi[i0]
          : u.cfg.capacity_kwp * DEFAULT_PV_KW_PER_KWP_PER_W_PER_M2;
      out[0] = nowKw;
      for (let k = 1; k < steps; k++) {
        const i = i0 + k;
        if (i >= ghi.length) {
          out[k] = out[k - 1];
          continue;
        }
        const t = view.timeMs + k * stepMs;
        let past = t - MS_PER_DAY;
        while (past >= view.timeMs) past -= MS_PER_DAY;
        const j = i - Math.round((t - past) / stepMs);
        const m = h.mean(u.id, past);
        const ratioPast =
          m !== undefined && j >= 0 && ghi[j] > MIN_CLEAR_SKY_W_PER_M2 ? m / ghi[j] : ratioNow;
        const w = Math.exp(-(k * stepMs) / (SKY_PERSISTENCE_HOURS * MS_PER_HOUR));
        out[k] = Math.max(0, Math.min(capKw, (w * ratioNow + (1 - w) * ratioPast) * ghi[i]));
      }
      this.models.set(u.id, CLEAR_SKY_PERSISTENCE);
      this.setChoice('pv', u.id, {
        chosen: CLEAR_SKY_PERSISTENCE,
        reason:
          'no issued weather forecast reaches the live planner: the clear-sky index measured now, fading into that of the past day (not validated)',
        validatedAtMs: null,
        candidates: [],
      });
      return out;
    });
  }

  ppaKw(view: StepView, steps: number): Float64Array {
    return slice(view.district.ppaKw, view.index, steps);
  }

  pue(view: StepView, k: number, steps: number): Float64Array {
    const out = slice(view.district.datacenters[k].pue, view.index, steps);
    out[0] = view.datacenters[k].pue;
    return out;
  }

  evSessions(view: StepView): StepView['ev'] {
    return view.ev;
  }

  jobs(view: StepView, k: number, endMs: number): JobState[] {
    const later = (this.futureJobs[k] ?? []).filter((js) => js.job.submitMs < endMs);
    return [...view.datacenters[k].pending, ...later];
  }

  trainingArrivalGpuHoursPerHour(view: StepView, k: number): number {
    this.arrivals ??= TrainingArrivals.declared(view.district.datacenters);
    return this.arrivals.gpuHoursPerHour(view, k);
  }
}

function slice(a: Float64Array, from: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  for (let k = 0; k < steps; k++) out[k] = a[Math.min(a.length - 1, from + k)] ?? 0;
  return out;
}

const ghiCache = new WeakMap<District, Float64Array>();

/** Clear-sky GHI (Haurwitz) at every interval of the planning calendar, W/m². */
function clearSkyGhi(d: District): Float64Array {
  let g = ghiCache.get(d);
  if (g) return g;
  const pos = solarPositionSeries(d.grid, {
    latitudeDeg: d.scenario.location.latitude_deg,
    longitudeDeg: d.scenario.location.longitude_deg,
    altitudeM: d.scenario.location.altitude_m,
  });
  g = Float64Array.from(pos.zenithDeg, (z) => haurwitzGhiWPerM2(z));
  ghiCache.set(d, g);
  return g;
}

function kindAt(d: District, timeMs: number): string {
  const lt = localTime(timeMs, d.zone);
  return dayKind(lt.date, lt.weekday, d.calendar);
}
