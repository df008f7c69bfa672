// Reference SMP (계통한계가격, system marginal price, mainland) figures for 2025, the basis of the `smp_2025`
// export-price profile built in src/tariff/smp.ts.
//
// Source: project reference notes "korea-energy-facts.md" § 3.1 — figures computed from a 5-year hourly
// extract of KPX EPSIS data (epsis.kpx.or.kr), mainland, simple hourly means (KPX's published averages are
// demand-weighted and run ≈ 1–3 % higher). 2025 covers 2025-01-01 → 2025-12-18. Prices in 원/kWh.
// KPX numbers hours 1–24 "hour-ending": hour 4 is 03:00–04:00 local time.

/** 2025 annual mean of hourly SMP. */
export const SMP_2025_ANNUAL_MEAN_KRW_PER_KWH = 111.8;

/** 2025 monthly means that the source gives (month 1–12 → 원/kWh); the other months are interpolated. */
export const SMP_2025_MONTHLY_MEAN_KRW_PER_KWH: Readonly<Record<number, number>> = {
  1: 114.4,
  4: 123.3,
  7: 118.6,
  10: 98.8,
  11: 93.4,
  12: 91.9,
};

/**
 * 2025 mean SMP by hour-ending 1–24 (index 0 = hour-ending 1 = 00:00–01:00). The source gives the anchors:
 * trough at hour 4 ≈ 88, morning peak at 11 ≈ 126, midday dip at 13 ≈ 114, evening plateau 16–20 ≈ 121–123.
 * The other hours are a smooth fill drawn between them (an assumption, not data); the result's mean (111.0)
 * is within 1 % of the annual mean, a check that the anchors and the fill agree.
 */
export const SMP_2025_HOURLY_SHAPE_HOUR_ENDING: readonly number[] = [
  104, 97, 91, 88 /* anchor */, 89, 93, 100, 108, 116, 122, 126 /* anchor */, 121, 114 /* anchor */, 115, 118,
  121 /* anchor */, 122 /* anchor */, 123 /* anchor */, 123 /* anchor */, 122 /* anchor */, 119, 115, 110,
  107,
];

/**
 * Spring/autumn weekend and holiday SMP relative to the all-days mean at the same hour (hour-ending 1–24).
 * Source anchors (spring/autumn weekends 2025): hours 08–09 ≈ 96–98, 13 ≈ 96, evening ≈ 116 원/kWh; against the
 * spring/autumn all-days level (≈ 113.9 × shape) these are ≈ 0.875 (08), 0.815 (09), 0.82 (13), 0.93 (16–20).
 * Night hours (≈ 0.97) and the hours between the anchors are an assumption.
 */
export const SMP_SPRING_AUTUMN_WEEKEND_FACTOR_HOUR_ENDING: readonly number[] = [
  0.97, 0.97, 0.97, 0.97, 0.97, 0.95, 0.92, 0.875, 0.815, 0.8, 0.79, 0.8, 0.82, 0.82, 0.86, 0.91, 0.93, 0.93,
  0.93, 0.93, 0.94, 0.95, 0.96, 0.97,
];

/**
 * Summer and winter weekends: the source gives no figures. Assumed to deviate from the all-days mean by this
 * share of the spring/autumn deviation (less midday solar surplus against higher cooling/heating load).
 */
export const SMP_SUMMER_WINTER_WEEKEND_EFFECT = 0.5;

/** Days per month of the non-leap reference year used to weight monthly means into the annual mean. */
export const DAYS_PER_MONTH_REFERENCE_YEAR: readonly number[] = [
  31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
];
