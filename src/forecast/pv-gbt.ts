import { DateTime } from 'luxon';
import { applyBand, learnBand } from './band.ts';
import { gridCalendar } from './calendar-features.ts';
import { fitGbt, predictGbt, GBT_DEFAULTS, type GbtData, type GbtModel } from './gbt.ts';
import { blendNowcast } from './nowcast.ts';
import {
  clearSkyIndexAt,
  dayAheadClearSkyIndex,
  forecastCloud,
  pvBandOptions,
  type PvModelOptions,
} from './pv-model.ts';
import { clearSkyCurve, totalCapacityKw } from './pv-physics.ts';
import type { QuantileTable } from './quantiles.ts';
import { indexOf, stepMs, trainingWindow } from './series.ts';
import type { Forecaster, PredictRequest, QuantileForecast, SiteSeries } from './types.ts';

// PV forecaster on the forecast sky by boosted trees: the clear-sky index (measured ÷ clear-sky power
// of the arrays, pv-physics) is learned from the forecast cloud cover and the clear-sky index it implies,
// that index's mean over the day, SKY, POP, REH, the precipitation type (KMA PTY: rain, snow…), forecast
// temperature, the local hour, the sun's height
// (clear-sky power ÷ capacity) and the clear-sky index of the last known daylight; rows are weighted by
// the clear-sky power squared, so the trees minimise the squared error in kW. Trees find what the linear
// pv-ridge cannot — thresholds and interactions such as "overcast forecast, but bright yesterday" —
// and the automatic choice (select.ts) uses them only where they win in validation.

/** Kasten & Czeplak (1980): clear-sky index k = 1 − 0.75·C^3.4 of a cloud cover C (as src/weather/synthetic.ts). */
const KC_A = 0.75;
const KC_B = 3.4;
/** Highest clear-sky index trained on: cloud-edge enhancement rarely lifts an hourly mean above 1.3. */
const MAX_TRAIN_INDEX = 1.5;
const N_FEATURES = 11;

export type PvGbtOptions = PvModelOptions;

function clearSkyIndexOfCover(c: number): number {
  return Number.isFinite(c) ? 1 - KC_A * Math.pow(Math.min(1, Math.max(0, c)), KC_B) : NaN;
}

export class PvGbtForecaster implements Forecaster {
  readonly name = 'pv-gbt';
  private model: GbtModel | null = null;
  private band: QuantileTable | null = null;
  private readonly capKw: number;
  constructor(private readonly opts: PvGbtOptions) {
    this.capKw = totalCapacityKw(opts.site);
  }

  /**
   * Feature rows of [from, to) for forecasts known at `limitMs`; `kOf(i)` is the recent clear-sky index
   * known at the row's issue. Rows without clear-sky power are null.
   */
  private rows(
    data: SiteSeries,
    from: number,
    to: number,
    limitMs: number,
    kOf: (i: number) => number,
  ): (Float64Array | null)[] {
    const n = Math.max(data.count, to);
    const cal = gridCalendar(data.startMs, data.intervalMinutes, n, data.zone);
    const cs = clearSkyCurve(this.opts.site, data.startMs, data.intervalMinutes, n).powerKw;
    // Mean forecast clear-sky index of each local day's daylight, weighted by clear-sky power.
    const day = new Map<number, [number, number]>();
    for (let i = from; i < to; i++) {
      const kf = clearSkyIndexOfCover(forecastCloud(data, i, limitMs));
      if (!(cs[i] > 0) || !Number.isFinite(kf)) continue;
      const s = day.get(cal.localDay[i]) ?? [0, 0];
      s[0] += cs[i] * kf;
      s[1] += cs[i];
      day.set(cal.localDay[i], s);
    }
    const f = data.forecast;
    const out: (Float64Array | null)[] = [];
    for (let i = from; i < to; i++) {
      if (!(cs[i] > 0)) {
        out.push(null);
        continue;
      }
      const c = forecastCloud(data, i, limitMs);
      const has = Number.isFinite(c);
      const d = day.get(cal.localDay[i]);
      const x = new Float64Array(N_FEATURES).fill(NaN);
      x[0] = c;
      x[1] = clearSkyIndexOfCover(c);
      x[2] = d && d[1] > 0 ? d[0] / d[1] : NaN;
      if (has && f) {
        x[3] = f.sky[i];
        x[4] = f.popPercent[i];
        x[5] = f.rehPercent[i];
        x[6] = f.temperatureC[i];
        x[10] = f.ptyCode[i];
      }
      x[7] = cal.hour[i];
      x[8] = cs[i] / this.capKw;
      x[9] = kOf(i);
      out.push(x);
    }
    return out;
  }

  /** Training rows of [from, to): target clear-sky index, weight clear-sky power². */
  private trainingData(
    data: SiteSeries,
    from: number,
    to: number,
    untilMs: number,
    issueHour: number,
  ): GbtData {
    const cal = gridCalendar(data.startMs, data.intervalMinutes, data.count, data.zone);
    const cs = clearSkyCurve(this.opts.site, data.startMs, data.intervalMinutes, data.count).powerKw;
    const kOf = dayAheadClearSkyIndex(data, this.opts.site, cal.localDay, issueHour);
    const rows = this.rows(data, from, to, untilMs, kOf);
    const x: Float64Array[] = [];
    const y: number[] = [];
    const w: number[] = [];
    rows.forEach((r, j) => {
      const i = from + j;
      const v = data.targetKw[i];
      if (!r || !Number.isFinite(v)) return;
      x.push(r);
      y.push(Math.min(MAX_TRAIN_INDEX, Math.max(0, v / cs[i])));
      w.push(cs[i] * cs[i]);
    });
    return { x, y: Float64Array.from(y), w: Float64Array.from(w) };
  }

  fit(data: SiteSeries, untilMs: number): void {
    const { first, split, known, holdoutDays } = trainingWindow(
      data,
      untilMs,
      this.opts.trainDays,
      'PV trees',
    );
    const issueHour = DateTime.fromMillis(untilMs, { zone: data.zone }).hour;
    // Trees on the window before the holdout, as many as keep lowering the holdout error; the band
    // from their errors on the holdout; then the same number of trees on everything.
    const train = this.trainingData(data, first, split, untilMs, issueHour);
    const hold = this.trainingData(data, split, known, untilMs, issueHour);
    this.model = fitGbt(train, hold);
    const trees = this.model.trees.length;
    const splitMs = data.startMs + split * stepMs(data);
    const band = pvBandOptions(this.opts, this.capKw, holdoutDays);
    this.band = learnBand(data, untilMs, (d, r) => this.point(d, r), band, splitMs);
    this.model = fitGbt(this.trainingData(data, first, known, untilMs, issueHour), undefined, {
      ...GBT_DEFAULTS,
      maxTrees: trees,
    });
  }

  private point(data: SiteSeries, req: PredictRequest): Float64Array {
    const start = indexOf(data, req.startMs);
    const n = Math.max(data.count, start + req.count);
    const cs = clearSkyCurve(this.opts.site, data.startMs, data.intervalMinutes, n).powerKw;
    const k = clearSkyIndexAt(data, this.opts.site, req.issueMs);
    const rows = this.rows(data, start, start + req.count, req.issueMs, () => k);
    const out = new Float64Array(req.count);
    rows.forEach((r, j) => {
      if (r) out[j] = Math.min(this.capKw, Math.max(0, cs[start + j] * predictGbt(this.model!, r)));
    });
    return blendNowcast(data, this.opts.site, this.capKw, req, out);
  }

  predict(data: SiteSeries, req: PredictRequest): QuantileForecast {
    if (!this.model || !this.band) throw new Error('pv-gbt: predict before fit');
    return applyBand(data, req, this.point(data, req), this.band, pvBandOptions(this.opts, this.capKw, 0));
  }
}
