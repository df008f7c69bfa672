import type { KpiMessage, ScheduleMessage, SiteReportMessage } from '../../src/fleet/messages.ts';

// What a fleet test's edges send upstream, made the same way in the API and dashboard tests: site i's
// KPI summary of a day, its report to the feeder coordinator, and a plan in force.

/** Site i's KPI summary at `timeMs` for the local `day` (figures grow with i, so sums are checkable). */
export function siteKpi(i: number, timeMs: number, day: string): KpiMessage {
  return {
    timeMs,
    day,
    importKwh: 1000 * (i + 1),
    consumptionKwh: 2000 * (i + 1),
    pvKwh: 500,
    costKrw: 100_000 * (i + 1),
    selfSufficiency: 0.5,
    re100HourlyMatching: 0.25 * (i + 1),
    monthPeakKw: 5000,
    billingDemandKw: 6000,
  };
}

/** Site i's report to the coordinator: the same wants and limits, a value per kWh growing with i. */
export function siteReport(i: number, timeMs: number): SiteReportMessage {
  return {
    timeMs,
    wantKw: 5000,
    inflexibleKw: 1000,
    ownLimitKw: 16000,
    valueKrwPerKwh: 100 * (i + 1),
    importKw: 5000,
    limitKw: 16000,
  };
}

/** A 15-minute `optimal` plan from `startMs` importing `importKw`, exporting nothing. */
export function sitePlan(startMs: number, importKw: number[]): ScheduleMessage {
  return {
    timeMs: startMs,
    scheduleId: 7,
    strategy: 'optimal',
    madeMs: startMs,
    startMs,
    stepMinutes: 15,
    importKw,
    exportKw: importKw.map(() => 0),
  };
}
