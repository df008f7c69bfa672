import { dayKind, type DayKind, type HolidayCalendar } from '../model/calendar.ts';
import type { GridConfig, TariffConfig } from '../model/schema.ts';
import { MS_PER_MINUTE, type TimeGrid } from '../model/time.ts';
import { RATCHET_MONTHS, SEASON_OF_MONTH, WEEKEND_MIDDAY_DISCOUNT } from './data/kepco-tou-bands.ts';
import type { Band, RateRow, Season } from './data/types.ts';
import { LocalClock, type LocalDay } from './local-clock.ts';
import {
  basicRate,
  energyRate,
  PLAN_NAMES,
  PLAN_SCHEDULES,
  rateRow,
  type Plan,
  type ScheduleDefinition,
  type ScheduleId,
} from './schedules.ts';
import type { TariffSeries } from './series.ts';
import { SMP_PROFILES, type SmpProfile } from './smp.ts';

/** Numeric band codes used in the per-interval series. */
export const BAND_CODE: Readonly<Record<Band, number>> = { light: 0, mid: 1, peak: 2 };
export const BAND_OF_CODE: readonly Band[] = ['light', 'mid', 'peak'];

export interface BillingMonth {
  /** YYYY-MM (local). */
  key: string;
  year: number;
  month: number;
  /** year × 12 + month − 1: consecutive months differ by 1. */
  index: number;
  /** UTC bounds of the whole local month. */
  startMs: number;
  endMs: number;
}

export interface TariffEngine {
  readonly zone: string;
  readonly plan: Plan;
  readonly config: TariffConfig;
  /** Schedules this plan knows, oldest first. */
  readonly scheduleIds: string[];
  /** The schedule in force at an instant (by its local date, unless pinned). Throws before the first table. */
  scheduleAt(timeMs: number): ScheduleId;
  seasonAt(timeMs: number): Season;
  dayKindAt(timeMs: number): DayKind;
  /** Billed band after the day rules (Sundays/holidays light; Saturday peak billed as mid). */
  bandAt(timeMs: number): Band;
  /** Band price including the weekend midday discount, excluding adders, 원/kWh before VAT. */
  energyChargeKrwPerKwh(timeMs: number): number;
  /** 기후환경요금 + 연료비조정요금, 원/kWh. */
  adderKrwPerKwh(timeMs: number): number;
  /** Marginal import price to a controller before VAT and fund: energy charge + adders. */
  importPriceKrwPerKwh(timeMs: number): number;
  /** SMP profile × scale, 원/kWh. */
  exportPriceKrwPerKwh(timeMs: number): number;
  /** Whether import at this instant can set the month's maximum demand (mid/peak band, not Sunday/holiday). */
  countsForDemand(timeMs: number): boolean;
  /** Basic (demand) charge unit price, 원/kW/month. */
  basicChargeKrwPerKw(timeMs: number): number;
  /** Whether a month's maximum demand stays in the 12-month ratchet (Dec, Jan, Feb, Jul, Aug, Sep). */
  isRatchetMonth(month: number): boolean;
  /** The local calendar month an instant is billed in. */
  monthAt(timeMs: number): BillingMonth;
}

interface DayTariff {
  day: LocalDay;
  kind: DayKind;
  season: Season;
  scheduleId: ScheduleId;
  month: BillingMonth;
  basicKrwPerKw: number;
  ratchetMonth: boolean;
  band: Uint8Array;
  energyKrwPerKwh: Float64Array;
  exportKrwPerKwh: Float64Array;
}

export class KepcoTariff implements TariffEngine {
  readonly scheduleIds: string[];
  private readonly clock: LocalClock;
  private readonly schedules: readonly ScheduleDefinition[];
  private readonly pinned: ScheduleDefinition | undefined;
  private readonly rows = new Map<ScheduleId, RateRow>();
  private readonly days = new Map<number, DayTariff>();
  private readonly adder: number;
  private readonly smp: SmpProfile;
  private readonly exportScale: number;

  constructor(
    readonly config: TariffConfig,
    exportPrice: GridConfig['export_price'],
    readonly zone: string,
    private readonly calendar: HolidayCalendar,
  ) {
    this.clock = new LocalClock(zone);
    this.schedules = PLAN_SCHEDULES[config.plan];
    this.scheduleIds = this.schedules.map((s) => s.id);
    for (const s of this.schedules) this.rows.set(s.id, rateRow(s, config.plan, config));
    if (config.schedule !== undefined) {
      this.pinned = this.schedules.find((s) => s.id === config.schedule);
      if (!this.pinned) throw new RangeError(`grid.tariff.schedule: unknown schedule "${config.schedule}"`);
    }
    this.adder = config.climate_environment_krw_per_kwh + config.fuel_cost_adjustment_krw_per_kwh;
    const profile = SMP_PROFILES[exportPrice.profile];
    if (!profile) throw new RangeError(`grid.export_price.profile: unknown profile "${exportPrice.profile}"`);
    this.smp = profile;
    this.exportScale = exportPrice.scale;
  }

  get plan(): Plan {
    return this.config.plan;
  }

  scheduleAt(timeMs: number): ScheduleId {
    return this.dayAt(timeMs).scheduleId;
  }
  seasonAt(timeMs: number): Season {
    return this.dayAt(timeMs).season;
  }
  dayKindAt(timeMs: number): DayKind {
    return this.dayAt(timeMs).kind;
  }
  bandAt(timeMs: number): Band {
    const { day, hour } = this.at(timeMs);
    return BAND_OF_CODE[day.band[hour]];
  }
  energyChargeKrwPerKwh(timeMs: number): number {
    const { day, hour } = this.at(timeMs);
    return day.energyKrwPerKwh[hour];
  }
  adderKrwPerKwh(_timeMs: number): number {
    return this.adder;
  }
  importPriceKrwPerKwh(timeMs: number): number {
    return this.energyChargeKrwPerKwh(timeMs) + this.adderKrwPerKwh(timeMs);
  }
  exportPriceKrwPerKwh(timeMs: number): number {
    const { day, hour } = this.at(timeMs);
    return day.exportKrwPerKwh[hour];
  }
  countsForDemand(timeMs: number): boolean {
    const { day, hour } = this.at(timeMs);
    return day.band[hour] !== BAND_CODE.light;
  }
  basicChargeKrwPerKw(timeMs: number): number {
    return this.dayAt(timeMs).basicKrwPerKw;
  }
  isRatchetMonth(month: number): boolean {
    return RATCHET_MONTHS.includes(month);
  }
  monthAt(timeMs: number): BillingMonth {
    return this.dayAt(timeMs).month;
  }

  /** Fills the per-interval arrays of a series in one pass (tariffSeries' fast path). */
  fillSeries(grid: TimeGrid, out: TariffSeries, ratchetMonths: number): void {
    const stepMs = grid.intervalMinutes * MS_PER_MINUTE;
    for (let i = 0; i < grid.count; i++) {
      const t = grid.startMs + i * stepMs;
      const { dayIndex, hour } = this.clock.split(t);
      const day = this.dayByIndex(dayIndex, t);
      const energy = day.energyKrwPerKwh[hour];
      const band = day.band[hour];
      const counts = band !== BAND_CODE.light;
      out.energyChargeKrwPerKwh[i] = energy;
      out.adderKrwPerKwh[i] = this.adder;
      out.importPriceKrwPerKwh[i] = energy + this.adder;
      out.exportPriceKrwPerKwh[i] = day.exportKrwPerKwh[hour];
      out.basicChargeKrwPerKw[i] = day.basicKrwPerKw;
      out.countsForDemand[i] = counts ? 1 : 0;
      out.band[i] = band;
      out.monthIndex[i] = day.month.index;
      out.peakCostKrwPerKw[i] = counts ? day.basicKrwPerKw * (day.ratchetMonth ? ratchetMonths : 1) : 0;
    }
  }

  private at(timeMs: number): { day: DayTariff; hour: number } {
    const { dayIndex, hour } = this.clock.split(timeMs);
    return { day: this.dayByIndex(dayIndex, timeMs), hour };
  }

  private dayAt(timeMs: number): DayTariff {
    return this.dayByIndex(this.clock.split(timeMs).dayIndex, timeMs);
  }

  private dayByIndex(dayIndex: number, timeMs: number): DayTariff {
    let d = this.days.get(dayIndex);
    if (!d) {
      d = this.buildDay(LocalClock.day(dayIndex), timeMs);
      this.days.set(dayIndex, d);
    }
    return d;
  }

  private scheduleForDate(date: string, timeMs: number): ScheduleDefinition {
    if (this.pinned) return this.pinned;
    for (let i = this.schedules.length - 1; i >= 0; i--) {
      if (this.schedules[i].effectiveFrom <= date) return this.schedules[i];
    }
    throw new RangeError(
      `no KEPCO ${PLAN_NAMES[this.config.plan]} tariff table for ${new Date(timeMs).toISOString()} ` +
        `(local date ${date} in ${this.zone}): the tables start ${this.schedules[0].effectiveFrom}; ` +
        `pin grid.tariff.schedule to price earlier dates as a what-if`,
    );
  }

  private buildDay(day: LocalDay, timeMs: number): DayTariff {
    const kind = dayKind(day.date, day.weekday, this.calendar);
    const season = SEASON_OF_MONTH[day.month - 1];
    const schedule = this.scheduleForDate(day.date, timeMs);
    const row = this.rows.get(schedule.id)!;
    const discount =
      this.config.weekend_midday_discount &&
      schedule.weekendMiddayDiscount &&
      kind !== 'weekday' &&
      WEEKEND_MIDDAY_DISCOUNT.seasons.includes(season) &&
      day.date <= WEEKEND_MIDDAY_DISCOUNT.lastDate;
    const band = new Uint8Array(24);
    const energy = new Float64Array(24);
    const exportPrice = new Float64Array(24);
    const touBands = schedule.bands[season];
    for (let h = 0; h < 24; h++) {
      let b: Band = touBands[h];
      if (kind === 'sunday_holiday') b = 'light';
      else if (kind === 'saturday' && b === 'peak') b = 'mid';
      band[h] = BAND_CODE[b];
      const inDiscount =
        discount && h >= WEEKEND_MIDDAY_DISCOUNT.fromHour && h < WEEKEND_MIDDAY_DISCOUNT.toHour;
      energy[h] = energyRate(row, season, b) * (inDiscount ? WEEKEND_MIDDAY_DISCOUNT.energyChargeFactor : 1);
      exportPrice[h] = this.smp.priceKrwPerKwh(day.month, h, kind !== 'weekday') * this.exportScale;
    }
    const bounds = this.clock.month(day.year, day.month);
    return {
      day,
      kind,
      season,
      scheduleId: schedule.id,
      month: {
        key: day.date.slice(0, 7),
        year: day.year,
        month: day.month,
        index: day.year * 12 + day.month - 1,
        startMs: bounds.startMs,
        endMs: bounds.endMs,
      },
      basicKrwPerKw: basicRate(row),
      ratchetMonth: this.isRatchetMonth(day.month),
      band,
      energyKrwPerKwh: energy,
      exportKrwPerKwh: exportPrice,
    };
  }
}

/** The tariff of a district's grid connection, evaluated in `zone` with `calendar`'s holidays. */
export function createTariff(grid: GridConfig, zone: string, calendar: HolidayCalendar): TariffEngine {
  return new KepcoTariff(grid.tariff, grid.export_price, zone, calendar);
}
