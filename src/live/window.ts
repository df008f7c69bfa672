import { DateTime } from 'luxon';
import type { Scenario } from '../model/schema.ts';
import { MS_PER_DAY } from '../model/time.ts';
import { prepareDistrict, type District } from '../sim/district.ts';

// The live planner's calendar: a District over a few local days around the clock, re-prepared as
// the clock moves, so strategies index prices, demand-charge hours, the bus timetable and the data
// center's inference profile exactly as they do in a simulation. Everything that would be the
// district's future truth — PV potential, fixed loads, EV sessions, training jobs — is emptied: live,
// the planner knows only telemetry, its forecasts and what the API was told.

/** Local days kept before today (yesterday: history for persistence forecasts at midnight). */
const DAYS_BEFORE = 1;
/** Local days prepared from today on: today, and enough after it for a 48 h horizon. */
const DAYS_FROM_TODAY = 4;

export class PlanningCalendar {
  private current?: District;
  /** Set when the scenario's weather file does not cover the window and synthetic weather stands in. */
  weatherNote?: string;

  constructor(
    private readonly scenario: Scenario,
    private readonly baseDir: string,
  ) {}

  /** The District covering `nowMs` and at least `aheadMs` after it. */
  at(nowMs: number, aheadMs: number): District {
    const d = this.current;
    if (d) {
      const endMs = d.grid.startMs + d.grid.count * d.grid.intervalMinutes * 60_000;
      if (nowMs >= d.grid.startMs && nowMs + aheadMs <= endMs) return d;
    }
    const today = DateTime.fromMillis(nowMs, { zone: this.scenario.timezone }).startOf('day');
    const start = today.minus({ days: DAYS_BEFORE }).toISODate()!;
    const days = DAYS_BEFORE + Math.max(DAYS_FROM_TODAY, Math.ceil(aheadMs / MS_PER_DAY) + 1);
    this.current = withoutTruth(this.prepare(start, days));
    return this.current;
  }

  /** Index of the interval holding `timeMs` in the district `d`. */
  static indexAt(d: District, timeMs: number): number {
    return Math.floor((timeMs - d.grid.startMs) / (d.grid.intervalMinutes * 60_000));
  }

  private prepare(start: string, days: number): District {
    try {
      return prepareDistrict(this.scenario, { start, days, baseDir: this.baseDir });
    } catch (e) {
      if (this.scenario.weather.source === 'synthetic') throw e;
      // A measured weather file ends somewhere; the calendar needs prices and timetables, not weather.
      this.weatherNote = `weather file does not cover ${start} + ${days} days (${(e as Error).message}); synthetic weather stands in`;
      const synthetic: Scenario = { ...this.scenario, weather: { source: 'synthetic', seed: 1 } };
      return prepareDistrict(synthetic, { start, days, baseDir: this.baseDir });
    }
  }
}

/** Empties the prepared future that a live planner must not see. */
export function withoutTruth(d: District): District {
  for (const u of d.pv) u.availableKw.fill(0);
  for (const u of d.loads) u.kw.fill(0);
  for (const u of d.ev) {
    u.sessions = [];
    u.turnedAway = 0;
  }
  for (const u of d.datacenters) u.jobs = [];
  return d;
}
