import { DateTime } from 'luxon';
import { intervalMs, MS_PER_HOUR, timeAt, type TimeGrid } from '../../model/time.ts';
import { InputError, Issues, parseNumber, parseTime, readCsv, type InputReport } from './csv.ts';

// A measured power profile (a load's or a PV plant's meter): `timestamp,power_kw`, one reading a row,
// the timestamp in ISO 8601 with its offset. Resampling onto the run's grid (docs/simulation.md):
//   - readings stamped inside an interval [t, t + Δ) → their mean (finer data is averaged);
//   - none inside, and the readings either side are at most MAX_HOLD_HOURS apart → the earlier one
//     holds (coarser data: an hourly reading stands for its hour);
//   - a longer gap inside the data → linear interpolation between the readings either side (reported);
//   - before the first or after the last reading → that reading holds (reported).
// Reported, not refused: duplicate times (the later row wins), rows out of order (sorted), blank values
// (a gap), negative power (0 kW), rows outside the run (ignored). Refused with file and line: a time
// without an offset, a value that is not a number, no reading inside the run at all.
//
// The same reader takes a data series (a load, a PV plant or a price from the district file,
// docs/optimizer.md): columns `time,value`, the time in local time of the district's zone (an offset
// is allowed), the unit stated by the district-file field that names the file (`…_kw_csv`,
// `…_krw_per_kwh_csv`). Prices keep their sign.

/** Longest spacing of readings taken as the data's own resolution (held, not reported), hours. */
export const MAX_HOLD_HOURS = 2;

export const PROFILE_COLUMNS = { timestamp: 'timestamp', power: 'power_kw' } as const;
/** The data-series form: local time and a value whose unit the district file's field name gives. */
export const SERIES_COLUMNS = { time: 'time', value: 'value' } as const;

export interface ProfileOptions {
  /** The district's zone: with it, a file in the series form may give local times without offset. */
  zone?: string;
  /** What a value is, for messages (default `power_kw`). */
  valueName?: string;
  /** Keep negative values (a price); otherwise a negative reading is power and becomes 0 kW. */
  allowNegative?: boolean;
}

/** A local time in `zone` (ISO 8601, offset optional); an InputError naming the line otherwise. */
function parseLocalTime(cell: string | undefined, file: string, line: number, zone: string): number {
  const s = (cell ?? '').trim();
  // "2026-08-03 08:15" (a space, as spreadsheets and pandas write it) reads as the ISO form.
  const t = DateTime.fromISO(s.replace(' ', 'T'), { zone });
  if (!s || !t.isValid)
    throw new InputError(
      file,
      line,
      `${SERIES_COLUMNS.time}: "${s.slice(0, 40)}" is not an ISO 8601 local time (e.g. 2026-08-03T08:15 in ${zone})`,
    );
  return t.toMillis();
}

export interface ProfileResult {
  kw: Float64Array;
  report: InputReport;
}

export function readProfileCsv(
  text: string,
  file: string,
  grid: TimeGrid,
  opts: ProfileOptions = {},
): ProfileResult {
  const table = readCsv(text, file);
  const series =
    opts.zone !== undefined &&
    table.column(SERIES_COLUMNS.time) >= 0 &&
    table.column(SERIES_COLUMNS.value) >= 0;
  const ti = table.require(series ? SERIES_COLUMNS.time : PROFILE_COLUMNS.timestamp);
  const pi = table.require(series ? SERIES_COLUMNS.value : PROFILE_COLUMNS.power);
  const valueName = opts.valueName ?? PROFILE_COLUMNS.power;
  const issues = new Issues();
  const stepMs = intervalMs(grid);
  const endMs = timeAt(grid, grid.count);
  const holdMs = MAX_HOLD_HOURS * MS_PER_HOUR;
  const byTime = new Map<number, { line: number; kw: number }>();
  let lastMs = -Infinity;
  let outside = 0;
  for (const { line, cells } of table.rows) {
    const tMs =
      series && opts.zone !== undefined
        ? parseLocalTime(cells[ti], file, line, opts.zone)
        : parseTime(cells[ti], file, line, PROFILE_COLUMNS.timestamp);
    let kw = parseNumber(
      cells[pi],
      file,
      line,
      series ? `${SERIES_COLUMNS.value} (${valueName})` : valueName,
    );
    if (tMs < lastMs) issues.add('out-of-order', 'rows sorted by time', `line ${line}`);
    lastMs = Math.max(lastMs, tMs);
    if (kw === undefined) {
      issues.add('blank-value', 'left out; the interval is filled as a gap', `line ${line}`);
      continue;
    }
    if (kw < 0 && !opts.allowNegative) {
      issues.add('negative-power', 'set to 0 kW (consumption and production are ≥ 0)', `line ${line}: ${kw}`);
      kw = 0;
    }
    // Readings just outside the run still bound a gap at its edges; far ones are ignored.
    if (tMs < grid.startMs - holdMs || tMs >= endMs + holdMs) {
      outside++;
      continue;
    }
    if (byTime.has(tMs)) issues.add('duplicate-time', 'the later row is used', `line ${line}`);
    byTime.set(tMs, { line, kw });
  }
  if (outside > 0)
    issues.add('outside-run', `${outside} row(s) outside the simulated period ignored`, `${outside} rows`);
  const readings = [...byTime.entries()].sort((a, b) => a[0] - b[0]);
  if (!readings.some(([t]) => t >= grid.startMs && t < endMs))
    throw new InputError(file, undefined, 'no reading inside the simulated period');
  const times = readings.map((r) => r[0]);
  const kw = new Float64Array(grid.count);
  let j = 0;
  for (let i = 0; i < grid.count; i++) {
    const t = timeAt(grid, i);
    while (j < times.length && times[j] < t) j++;
    // Readings inside [t, t + Δ).
    let sum = 0;
    let n = 0;
    let k = j;
    while (k < times.length && times[k] < t + stepMs) {
      sum += readings[k++][1].kw;
      n++;
    }
    if (n > 0) {
      kw[i] = sum / n;
      continue;
    }
    const prev = j > 0 ? readings[j - 1] : undefined;
    const next = k < readings.length ? readings[k] : undefined;
    if (prev && next) {
      if (next[0] - prev[0] <= holdMs) kw[i] = prev[1].kw;
      else {
        const f = (t - prev[0]) / (next[0] - prev[0]);
        kw[i] = prev[1].kw + f * (next[1].kw - prev[1].kw);
        issues.add(
          'gap-interpolated',
          `linear interpolation between the readings either side (gap over ${MAX_HOLD_HOURS} h)`,
          `lines ${prev[1].line}–${next[1].line}`,
        );
      }
    } else if (prev) {
      kw[i] = prev[1].kw;
      if (t - prev[0] > holdMs)
        issues.add(
          'after-last-reading',
          'the last reading holds to the end of the run',
          `line ${prev[1].line}`,
        );
    } else if (next) {
      kw[i] = next[1].kw;
      if (next[0] - t > holdMs)
        issues.add(
          'before-first-reading',
          'the first reading holds from the start of the run',
          `line ${next[1].line}`,
        );
    }
  }
  return {
    kw,
    report: {
      file,
      rows: table.rows.length,
      result: `${grid.count} intervals of ${grid.intervalMinutes} min`,
      issues: issues.list(),
    },
  };
}
