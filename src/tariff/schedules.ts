import type { TariffConfig } from '../model/schema.ts';
import { GENERAL_B_2024_10_24 } from './data/kepco-general-b.ts';
import { INDUSTRIAL_B_2024_10_24, INDUSTRIAL_B_2026_04_16 } from './data/kepco-industrial-b.ts';
import { BANDS_2023, BANDS_2026 } from './data/kepco-tou-bands.ts';
import type { Band, HourBands, RateRow, RateTable, Season } from './data/types.ts';

export type ScheduleId = '2024-10-24' | '2026-04-16';
export const SCHEDULE_IDS: readonly ScheduleId[] = ['2024-10-24', '2026-04-16'];

export interface ScheduleDefinition {
  id: ScheduleId;
  /** First local date on which this schedule applies to the plan (YYYY-MM-DD). */
  effectiveFrom: string;
  bands: HourBands;
  rates: RateTable;
  /** Whether the 2026 spring/autumn weekend 11–14 h discount belongs to this schedule for this plan. */
  weekendMiddayDiscount: boolean;
}

export type Plan = TariffConfig['plan'];

/**
 * Schedules per plan in date order. 일반용(을) keeps its prices across the 2026 revision but takes the new hour
 * bands only from 2026-06-01; the 2026 weekend discount is 산업용(을) only.
 */
export const PLAN_SCHEDULES: Record<Plan, readonly ScheduleDefinition[]> = {
  industrial_b: [
    {
      id: '2024-10-24',
      effectiveFrom: '2024-10-24',
      bands: BANDS_2023,
      rates: INDUSTRIAL_B_2024_10_24,
      weekendMiddayDiscount: false,
    },
    {
      id: '2026-04-16',
      effectiveFrom: '2026-04-16',
      bands: BANDS_2026,
      rates: INDUSTRIAL_B_2026_04_16,
      weekendMiddayDiscount: true,
    },
  ],
  general_b: [
    {
      id: '2024-10-24',
      effectiveFrom: '2024-10-24',
      bands: BANDS_2023,
      rates: GENERAL_B_2024_10_24,
      weekendMiddayDiscount: false,
    },
    {
      id: '2026-04-16',
      effectiveFrom: '2026-06-01',
      bands: BANDS_2026,
      rates: GENERAL_B_2024_10_24,
      weekendMiddayDiscount: false,
    },
  ],
};

export const PLAN_NAMES: Record<Plan, string> = { industrial_b: '산업용(을)', general_b: '일반용(을)' };

const SEASON_COLUMN: Record<Season, number> = { summer: 1, spring_autumn: 4, winter: 7 };
const BAND_OFFSET: Record<Band, number> = { light: 0, mid: 1, peak: 2 };

export function energyRate(row: RateRow, season: Season, band: Band): number {
  return row[SEASON_COLUMN[season] + BAND_OFFSET[band]];
}

export function basicRate(row: RateRow): number {
  return row[0];
}

export function rateRow(schedule: ScheduleDefinition, plan: Plan, tariff: TariffConfig): RateRow {
  const row = schedule.rates[tariff.voltage]?.[tariff.option];
  if (!row) {
    throw new RangeError(
      `no ${PLAN_NAMES[plan]} price table for voltage ${tariff.voltage}, option ${tariff.option} ` +
        `in the ${schedule.id} schedule (grid.tariff)`,
    );
  }
  return row;
}
