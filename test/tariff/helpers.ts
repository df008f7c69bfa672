import { DateTime } from 'luxon';
import { koreanHolidayCalendar } from '../../src/model/calendar.ts';
import { gridSchema, type GridConfig } from '../../src/model/schema.ts';
import { createTariff, type TariffEngine } from '../../src/tariff/index.ts';

export const ZONE = 'Asia/Seoul';

type TariffOverrides = Partial<GridConfig['tariff']>;

/** A 고압A 선택Ⅱ 산업용(을) connection like the reference district's, with overrides. */
export function gridConfig(
  tariff: TariffOverrides = {},
  rest: Partial<Omit<GridConfig, 'tariff'>> = {},
): GridConfig {
  return gridSchema.parse({
    voltage_kv: 22.9,
    contract_demand_kw: 1000,
    import_limit_kw: 1000,
    export_limit_kw: 500,
    tariff: {
      plan: 'industrial_b',
      voltage: 'high_a',
      option: 'II',
      climate_environment_krw_per_kwh: 9.0,
      fuel_cost_adjustment_krw_per_kwh: 5.0,
      vat_fraction: 0.1,
      power_fund_fraction: 0.027,
      ratchet_history_peak_kw: 0,
      weekend_midday_discount: true,
      ...tariff,
    },
    export_price: { profile: 'smp_2025', scale: 1 },
    emission_factor_kg_per_kwh: 0.4173,
    emission_factor_year: 2023,
    ...rest,
  });
}

export function tariffFor(grid: GridConfig = gridConfig(), extraHolidays: string[] = []): TariffEngine {
  return createTariff(grid, ZONE, koreanHolidayCalendar(extraHolidays));
}

/** UTC ms of a local Seoul wall-clock time, e.g. kst('2026-07-15T15:00'). */
export function kst(local: string): number {
  const d = DateTime.fromISO(local, { zone: ZONE });
  if (!d.isValid) throw new Error(`bad test time ${local}`);
  return d.toMillis();
}
