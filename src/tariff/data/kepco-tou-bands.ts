// KEPCO time-of-use hour bands, day rules and demand-charge rules (기본공급약관 별표3, 제68조, 초과사용부가금).
// Bands are listed per local hour h (the hour h:00–h+1:00). Mainland bands; Jeju differs and is not modelled.

import type { Band, HourBands, Season } from './types.ts';

function hours(spec: Partial<Record<Band, ReadonlyArray<readonly [number, number]>>>): Band[] {
  const out = new Array<Band>(24).fill('light');
  for (const band of ['mid', 'peak'] as const) {
    for (const [from, to] of spec[band] ?? []) for (let h = from; h < to; h++) out[h] = band;
  }
  return out;
}

const WINTER_BANDS = hours({
  mid: [
    [8, 9],
    [12, 16],
    [19, 22],
  ],
  peak: [
    [9, 12],
    [16, 19],
  ],
});

/**
 * Bands valid 2023-01-01 → 2026-04-15 for 산업용(을) (→ 2026-05-31 for 일반용). Light 22–08 in every season.
 * Source: 기본공급약관 (2024-10-24) 별표3, text copy at GitHub `bakjeucar-boop/kwise`
 * `data/source/기본공급약관.txt` (부칙 2022.10).
 */
export const BANDS_2023: HourBands = (() => {
  const summerLike = hours({
    mid: [
      [8, 11],
      [12, 13],
      [18, 22],
    ],
    peak: [
      [11, 12],
      [13, 18],
    ],
  });
  return { summer: summerLike, spring_autumn: summerLike, winter: WINTER_BANDS };
})();

/**
 * Bands from 2026-04-16 for 산업용(을) (from 2026-06-01 for 일반용): weekday 11–12 h and 13–15 h move from
 * peak to mid, 18–21 h from mid to peak; winter unchanged. Source: GitHub `bakjeucar-boop/kwise`
 * `data/tariff_kr_20260601.json` (`tou_definition.mainland`), consistent with the press releases of
 * 2026-03-13 (newspim.com, segye.com).
 */
export const BANDS_2026: HourBands = (() => {
  const summerLike = hours({
    mid: [
      [8, 15],
      [21, 22],
    ],
    peak: [[15, 21]],
  });
  return { summer: summerLike, spring_autumn: summerLike, winter: WINTER_BANDS };
})();

/** Season of a local month 1–12 (S Jun–Aug, SF Mar–May & Sep–Oct, W Nov–Feb). */
export const SEASON_OF_MONTH: readonly Season[] = [
  'winter', // Jan
  'winter',
  'spring_autumn',
  'spring_autumn',
  'spring_autumn',
  'summer',
  'summer',
  'summer',
  'spring_autumn',
  'spring_autumn',
  'winter',
  'winter', // Dec
];

/**
 * 산업용(을) 2026 special rule: energy charge × 0.5 on spring/autumn Saturdays, Sundays and holidays,
 * 11:00–14:00, through 2030-12-31. Source: press releases of 2026-03-13 (newspim.com, segye.com, kmib.co.kr)
 * and kwise `SPECIAL_RULES.industrial_b_weekend_discount`.
 */
export const WEEKEND_MIDDAY_DISCOUNT = {
  seasons: ['spring_autumn'] as readonly Season[],
  fromHour: 11,
  toHour: 14,
  energyChargeFactor: 0.5,
  lastDate: '2030-12-31',
} as const;

/**
 * 제68조 ①: 요금적용전력 = the largest monthly maximum demand of the December, January, February, July,
 * August and September bills and the current month, within the 12 months including the current month.
 */
export const RATCHET_MONTHS: readonly number[] = [12, 1, 2, 7, 8, 9];
export const RATCHET_WINDOW_MONTHS = 12;
/** 제68조 ①: billing demand is at least 30 % of contract demand. */
export const BILLING_DEMAND_FLOOR_FRACTION = 0.3;
/** 제6조 10호: maximum demand is the largest 15-minute cumulative (average) power. */
export const DEMAND_INTERVAL_MINUTES = 15;

/**
 * 초과사용부가금 (contract-excess penalty, 기본공급약관 제67조의3 ③): (monthly max demand − contract) kW ×
 * basic unit price × multiplier, chosen by the excess ratio (excess ÷ contract). Each entry is
 * [lowest ratio, multiplier]. The first exceeding month is only a warning (④) — not modelled: Bitgrid bills
 * from the first month, which is the conservative choice for planning.
 */
export const EXCESS_PENALTY_TIERS: ReadonlyArray<readonly [number, number]> = [
  [0, 1.5],
  [0.2, 2.0],
  [0.3, 2.5],
  [0.4, 3.0],
  [0.5, 3.5],
  [0.6, 4.0],
];
