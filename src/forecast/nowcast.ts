import { gridCalendar } from './calendar-features.ts';
import { clearSkyCurve, type PvSiteSpec } from './pv-physics.ts';
import { indexOf, knownCount, stepMs } from './series.ts';
import type { PredictRequest, SiteSeries } from './types.ts';

// Intraday update of a PV forecast (nowcast): a re-plan during the day knows how bright the last hour
// was. The clear-sky index measured over that hour is carried onto the rest of the same local day,
// its weight fading with lead time, over the model's forecast. Tomorrow is left to the model: the sky
// an hour ago says little about it.

const MS_PER_HOUR = 3_600_000;
/**
 * E-folding time of the measured sky's weight, hours: the clear-sky index of an hour stops predicting
 * the next ones over a few hours (as the live planner's SKY_PERSISTENCE_HOURS, src/live/forecast.ts).
 */
export const NOWCAST_E_FOLDING_HOURS = 3;
/** Measured window the current clear-sky index is taken over, hours. */
const NOWCAST_WINDOW_HOURS = 1;
/** Below this share of the capacity's clear-sky power the measured ratio is dawn/dusk noise. */
const MIN_CLEAR_SKY_SHARE = 0.05;

/**
 * Blends the clear-sky index measured in the hour before `req.issueMs` into `p50` (a forecast of
 * `req`), in place, for intervals of the issue's own local day. Returns `p50`.
 */
export function blendNowcast(
  data: SiteSeries,
  site: PvSiteSpec,
  capKw: number,
  req: PredictRequest,
  p50: Float64Array,
): Float64Array {
  const step = stepMs(data);
  const known = knownCount(data, req.issueMs);
  const start = indexOf(data, req.startMs);
  const n = Math.max(data.count, start + req.count);
  const cs = clearSkyCurve(site, data.startMs, data.intervalMinutes, n).powerKw;
  const cal = gridCalendar(data.startMs, data.intervalMinutes, n, data.zone);
  const window = Math.max(1, Math.round((NOWCAST_WINDOW_HOURS * MS_PER_HOUR) / step));
  let sumY = 0;
  let sumCs = 0;
  for (let i = Math.max(0, known - window); i < known; i++) {
    const y = data.targetKw[i];
    if (!Number.isFinite(y) || !(cs[i] > MIN_CLEAR_SKY_SHARE * capKw)) continue;
    sumY += Math.max(0, y);
    sumCs += cs[i];
  }
  if (!(sumCs > 0) || known < 1) return p50;
  const kNow = sumY / sumCs;
  const today = cal.localDay[known - 1];
  for (let j = 0; j < req.count; j++) {
    const i = start + j;
    if (cal.localDay[i] !== today || !(cs[i] > 0)) continue;
    const leadH = (data.startMs + i * step - req.issueMs) / MS_PER_HOUR;
    const w = Math.exp(-Math.max(0, leadH) / NOWCAST_E_FOLDING_HOURS);
    p50[j] = Math.min(capKw, Math.max(0, w * kNow * cs[i] + (1 - w) * p50[j]));
  }
  return p50;
}
