import { day, hourMinute, time, zoneOffsetMinutes } from './format.ts';

// Pieces shared by the charts: a time axis on the district's clock, value axes with their unit, and
// a tooltip in the chosen language. ECharts formats time axes in the browser's zone or in UTC only,
// so times are drawn as "wall-clock UTC" (the district's local time written as if it were UTC) with
// `useUTC: true`: ticks then fall on the district's midnights and hours whatever the browser's zone.

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const UTC = 'UTC';

/**
 * One asset's values in the plan in force (GET /api/schedule's payload) between two instants, as
 * chart points on the district's wall clock.
 */
export function planPoints(
  schedule: { start: string; payload: unknown } | null | undefined,
  assetId: string,
  fromMs: number,
  toMs: number,
  wall: (ms: number) => number,
): number[][] {
  const p = schedule?.payload as { intervalMinutes?: number; assets?: Record<string, number[]> } | undefined;
  const values = p?.intervalMinutes && p.assets?.[assetId] ? p.assets[assetId] : [];
  const startMs = Date.parse(schedule?.start ?? '');
  return values.flatMap((v, i) => {
    const ms = startMs + i * p!.intervalMinutes! * MS_PER_MINUTE;
    return ms >= fromMs && ms <= toMs ? [[wall(ms), v]] : [];
  });
}

/** UTC ms → the district's wall clock as UTC ms (offsets cached per hour: zones change on the hour). */
export function wallClock(zone: string): (ms: number) => number {
  const cache = new Map<number, number>();
  return (ms) => {
    const h = Math.floor(ms / MS_PER_HOUR);
    let off = cache.get(h);
    if (off === undefined) {
      off = zoneOffsetMinutes(ms, zone) * MS_PER_MINUTE;
      cache.set(h, off);
    }
    return ms + off;
  };
}

/** A wall-clock-UTC value as the district's date and time in the chosen language. */
export const wallTime = (wallMs: number) => time(wallMs, UTC, true);

export function timeAxis(minWall?: number, maxWall?: number) {
  return {
    type: 'time' as const,
    min: minWall,
    max: maxWall,
    axisLabel: {
      hideOverlap: true,
      // Midnight shows the date, other ticks the time of day.
      formatter: (v: number) => (hourMinute(v, UTC) === '00:00' ? day(v, UTC) : hourMinute(v, UTC)),
    },
    splitLine: { show: false },
  };
}

export function valueAxis(unit: string, format: (v: number) => string, extra: Record<string, unknown> = {}) {
  return {
    type: 'value' as const,
    name: unit,
    nameLocation: 'end' as const,
    nameGap: 12,
    axisLabel: { formatter: format, hideOverlap: true },
    ...extra,
  };
}

interface TooltipParam {
  marker: string;
  seriesName: string;
  seriesId?: string;
  value: [number, number | null] | number;
  axisValue?: number;
}

/** An axis tooltip: the district time, then each series with its value in its unit. */
export function timeTooltip(formatBySeries: (seriesId: string | undefined, v: number) => string) {
  return {
    trigger: 'axis' as const,
    formatter: (params: TooltipParam[] | TooltipParam) => {
      const list = Array.isArray(params) ? params : [params];
      if (!list.length) return '';
      const first = list[0];
      const x = Array.isArray(first.value) ? first.value[0] : (first.axisValue ?? 0);
      const rows = list
        .filter((p) => Array.isArray(p.value) && p.value[1] !== null && p.value[1] !== undefined)
        .map(
          (p) =>
            `${p.marker}${p.seriesName} <b>${formatBySeries(p.seriesId, (p.value as [number, number])[1])}</b>`,
        );
      return [wallTime(x), ...rows].join('<br/>');
    },
  };
}

/** A vertical "now" line for a time series. */
export function nowLine(wallNow: number, label: string) {
  return {
    symbol: 'none',
    silent: true,
    lineStyle: { type: 'dashed' as const, color: '#888', width: 1 },
    label: { formatter: label, position: 'end' as const, color: '#888', textBorderWidth: 0 },
    data: [{ xAxis: wallNow }],
  };
}
