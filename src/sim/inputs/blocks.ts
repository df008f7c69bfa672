import { DateTime } from 'luxon';
import type { AssetOf } from '../../model/schema.ts';
import { intervalMs, timeAt, type TimeGrid } from '../../model/time.ts';
import type { BusBlock, BusPlan } from '../assets/bus.ts';
import { InputError, Issues, parseNumber, parseTime, readCsv, type InputReport } from './csv.ts';

// A bus depot's blocks (its real timetable): one stretch of service away from the depot a row,
//   bus, block_id, pull_out, pull_in, km   (or energy_kwh instead of km)
// Times are ISO 8601 with their offset and land on the nearest interval boundary, as the modelled
// timetable's do. Buses are numbered in order of first appearance (at most the depot's `buses`); a
// bus's first block of a local day is its pull-out (it must leave with `pull_out_soc_min`). Energy is
// km × `consumption_kwh_per_km` unless given. Refused with file and line: overlapping blocks of one bus,
// a pull-in not after the pull-out, more buses than the depot has. Blocks outside the run: ignored.

export const BLOCK_COLUMNS = {
  bus: 'bus',
  id: 'block_id',
  pullOut: 'pull_out',
  pullIn: 'pull_in',
  km: 'km',
  energy: 'energy_kwh',
} as const;

export interface BlocksResult {
  plan: BusPlan;
  report: InputReport;
}

export function readBusBlocks(
  text: string,
  file: string,
  cfg: AssetOf<'bus_depot'>,
  grid: TimeGrid,
  zone: string,
): BlocksResult {
  const table = readCsv(text, file);
  const col = {
    bus: table.require(BLOCK_COLUMNS.bus),
    pullOut: table.require(BLOCK_COLUMNS.pullOut),
    pullIn: table.require(BLOCK_COLUMNS.pullIn),
    km: table.column(BLOCK_COLUMNS.km),
    energy: table.column(BLOCK_COLUMNS.energy),
  };
  if (col.km < 0 && col.energy < 0)
    throw new InputError(file, 1, `a "${BLOCK_COLUMNS.km}" or an "${BLOCK_COLUMNS.energy}" column is needed`);
  const issues = new Issues();
  const stepMs = intervalMs(grid);
  const endMs = timeAt(grid, grid.count);
  const align = (ms: number) => grid.startMs + Math.round((ms - grid.startMs) / stepMs) * stepMs;
  const busIndex = new Map<string, number>();
  const rows: (BusBlock & { line: number; day: string })[] = [];
  let outside = 0;
  for (const { line, cells } of table.rows) {
    const name = (cells[col.bus] ?? '').trim();
    if (!name) throw new InputError(file, line, `${BLOCK_COLUMNS.bus}: a bus name is needed`);
    const outMs = parseTime(cells[col.pullOut], file, line, BLOCK_COLUMNS.pullOut);
    const inMs = parseTime(cells[col.pullIn], file, line, BLOCK_COLUMNS.pullIn);
    if (inMs <= outMs)
      throw new InputError(file, line, `${BLOCK_COLUMNS.pullIn} is not after ${BLOCK_COLUMNS.pullOut}`);
    const km = col.km >= 0 ? parseNumber(cells[col.km], file, line, BLOCK_COLUMNS.km) : undefined;
    const energy =
      col.energy >= 0 ? parseNumber(cells[col.energy], file, line, BLOCK_COLUMNS.energy) : undefined;
    const energyKwh = energy ?? (km !== undefined ? km * cfg.consumption_kwh_per_km : undefined);
    if (energyKwh === undefined || energyKwh < 0)
      throw new InputError(
        file,
        line,
        `${BLOCK_COLUMNS.km} or ${BLOCK_COLUMNS.energy}: a number ≥ 0 is needed`,
      );
    if (energyKwh > cfg.battery_kwh)
      throw new InputError(
        file,
        line,
        `a block of ${energyKwh} kWh is more than the ${cfg.battery_kwh} kWh battery`,
      );
    if (outMs >= endMs || inMs <= grid.startMs) {
      outside++;
      continue;
    }
    let b = busIndex.get(name);
    if (b === undefined) {
      if (busIndex.size >= cfg.buses)
        throw new InputError(
          file,
          line,
          `bus "${name}" is one more than the ${cfg.buses} buses of ${cfg.id}`,
        );
      busIndex.set(name, (b = busIndex.size));
    }
    const startMs = align(outMs);
    const blockEndMs = Math.max(startMs + stepMs, align(inMs));
    if (startMs !== outMs || blockEndMs !== inMs)
      issues.add('rounded', 'pull-out and pull-in moved to the nearest interval boundary', `line ${line}`);
    const day = DateTime.fromMillis(outMs, { zone }).toISODate()!;
    rows.push({ line, busIndex: b, startMs, endMs: blockEndMs, energyKwh, isPullOut: false, day });
  }
  if (outside > 0)
    issues.add('outside-run', 'blocks outside the simulated period ignored', `${outside} blocks`);
  const blocksByBus: BusBlock[][] = Array.from({ length: cfg.buses }, () => []);
  rows.sort((a, b) => a.startMs - b.startMs);
  const lastDay = new Map<number, string>();
  for (const r of rows) {
    const list = blocksByBus[r.busIndex];
    const prev = list[list.length - 1];
    if (prev && r.startMs < prev.endMs)
      throw new InputError(file, r.line, `this block of bus ${r.busIndex + 1} overlaps its previous one`);
    const { line: _line, day, ...block } = r;
    block.isPullOut = lastDay.get(r.busIndex) !== day;
    lastDay.set(r.busIndex, day);
    list.push(block);
  }
  return {
    plan: { depotId: cfg.id, buses: cfg.buses, blocksByBus },
    report: {
      file,
      rows: table.rows.length,
      result: `${rows.length} blocks on ${busIndex.size} buses`,
      issues: issues.list(),
    },
  };
}
