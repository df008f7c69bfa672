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

/** Longest spacing of readings taken as the data's own resolution (held, not reported), hours. */
export const MAX_HOLD_HOURS = 2;

export const PROFILE_COLUMNS = { timestamp: 'timestamp', power: 'power_kw' } as const;

export interface ProfileResult {
  kw: Float64Array;
  report: InputReport;
}

export function readProfileCsv(text: string, file: string, grid: TimeGrid): ProfileResult {
  const table = readCsv(text, file);
  const ti = table.require(PROFILE_COLUMNS.timestamp);
  const pi = table.require(PROFILE_COLUMNS.power);
  const issues = new Issues();
  const stepMs = intervalMs(grid);
  const endMs = timeAt(grid, grid.count);
  const holdMs = MAX_HOLD_HOURS * MS_PER_HOUR;
  const byTime = new Map<number, { line: number; kw: number }>();
  let lastMs = -Infinity;
  let outside = 0;
  for (const { line, cells } of table.rows) {
    const tMs = parseTime(cells[ti], file, line, PROFILE_COLUMNS.timestamp);
    let kw = parseNumber(cells[pi], file, line, PROFILE_COLUMNS.power);
    if (tMs < lastMs) issues.add('out-of-order', 'rows sorted by time', `line ${line}`);
    lastMs = Math.max(lastMs, tMs);
    if (kw === undefined) {
      issues.add('blank-value', 'left out; the interval is filled as a gap', `line ${line}`);
      continue;
    }
    if (kw < 0) {
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
