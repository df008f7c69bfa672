import {
  DAYS_PER_MONTH_REFERENCE_YEAR,
  SMP_2025_ANNUAL_MEAN_KRW_PER_KWH,
  SMP_2025_HOURLY_SHAPE_HOUR_ENDING,
  SMP_2025_MONTHLY_MEAN_KRW_PER_KWH,
  SMP_SPRING_AUTUMN_WEEKEND_FACTOR_HOUR_ENDING,
  SMP_SUMMER_WINTER_WEEKEND_EFFECT,
} from './data/smp-2025.ts';
import { SEASON_OF_MONTH } from './data/kepco-tou-bands.ts';

// The deterministic `smp_2025` profile: month level × hour-of-day shape × weekday/weekend factor.
//  - Month level: the given 2025 monthly means; missing months linearly interpolated between their
//    neighbours, then all interpolated months lifted by one constant so the day-weighted annual mean is the
//    source's 111.8 (the given months stay exact).
//  - Hour shape: the 2025 hourly means (hour-ending → start hour h = hour-ending − 1), divided by their mean.
//  - Day factor: weekend/holiday factor w(h) from the spring/autumn weekend figures (half the effect in summer
//    and winter); weekdays get (7 − 2·w)/5 so a 5+2-day week keeps the month's mean.

export interface SmpProfile {
  /** 원/kWh for a local month 1–12, local start hour 0–23 and whether the day is a Saturday, Sunday or holiday. */
  priceKrwPerKwh(month: number, hour: number, weekendOrHoliday: boolean): number;
  /** The month levels (index 0 = January) after interpolation, 원/kWh. */
  readonly monthlyMeanKrwPerKwh: readonly number[];
}

function monthLevels(): number[] {
  const known = SMP_2025_MONTHLY_MEAN_KRW_PER_KWH;
  const knownMonths = Object.keys(known)
    .map(Number)
    .sort((a, b) => a - b);
  const levels = new Array<number>(12);
  const interpolated: number[] = [];
  for (let m = 1; m <= 12; m++) {
    if (known[m] !== undefined) {
      levels[m - 1] = known[m];
      continue;
    }
    // Neighbours on the circular year.
    const prev = [...knownMonths].reverse().find((k) => k < m) ?? knownMonths[knownMonths.length - 1] - 12;
    const next = knownMonths.find((k) => k > m) ?? knownMonths[0] + 12;
    const vPrev = known[((prev - 1 + 12) % 12) + 1];
    const vNext = known[((next - 1) % 12) + 1];
    levels[m - 1] = vPrev + ((vNext - vPrev) * (m - prev)) / (next - prev);
    interpolated.push(m - 1);
  }
  const days = DAYS_PER_MONTH_REFERENCE_YEAR;
  const totalDays = days.reduce((a, b) => a + b, 0);
  const weighted = levels.reduce((s, v, i) => s + v * days[i], 0);
  const interpolatedDays = interpolated.reduce((s, i) => s + days[i], 0);
  const lift =
    interpolatedDays > 0 ? (SMP_2025_ANNUAL_MEAN_KRW_PER_KWH * totalDays - weighted) / interpolatedDays : 0;
  for (const i of interpolated) levels[i] += lift;
  return levels;
}

function buildSmp2025(): SmpProfile {
  const levels = monthLevels();
  const shapeHe = SMP_2025_HOURLY_SHAPE_HOUR_ENDING;
  const shapeMean = shapeHe.reduce((a, b) => a + b, 0) / shapeHe.length;
  // Index by start hour: hour-ending k covers (k−1):00–k:00.
  const shape = Array.from({ length: 24 }, (_, h) => shapeHe[h] / shapeMean);
  const weekendSf = Array.from({ length: 24 }, (_, h) => SMP_SPRING_AUTUMN_WEEKEND_FACTOR_HOUR_ENDING[h]);
  const table = new Float64Array(12 * 24 * 2);
  for (let m = 0; m < 12; m++) {
    const effect = SEASON_OF_MONTH[m] === 'spring_autumn' ? 1 : SMP_SUMMER_WINTER_WEEKEND_EFFECT;
    for (let h = 0; h < 24; h++) {
      const w = 1 + effect * (weekendSf[h] - 1);
      const wd = (7 - 2 * w) / 5;
      const base = levels[m] * shape[h];
      table[(m * 24 + h) * 2] = base * wd;
      table[(m * 24 + h) * 2 + 1] = base * w;
    }
  }
  return {
    monthlyMeanKrwPerKwh: levels,
    priceKrwPerKwh(month, hour, weekendOrHoliday) {
      return table[((month - 1) * 24 + Math.floor(hour)) * 2 + (weekendOrHoliday ? 1 : 0)];
    },
  };
}

export const SMP_PROFILES = { smp_2025: buildSmp2025() } as const;
export type SmpProfileName = keyof typeof SMP_PROFILES;
