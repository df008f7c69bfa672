import type { AssetOf } from '../../model/schema.ts';
import { intervalMs, MS_PER_HOUR, timeAt, type TimeGrid } from '../../model/time.ts';
import { chargerSlots, type EvSession } from '../assets/ev.ts';
import { InputError, Issues, parseNumber, parseTime, readCsv, type InputReport } from './csv.ts';

// An EV session log: one charging session a row, the format `bitgrid export` writes from the store's
// OCPP transactions (docs/simulation.md, Measured inputs):
//   session_id, charger, connector, arrival, departure, energy_kwh, max_power_kw
// `connector` and `max_power_kw` may be blank; times are ISO 8601 with their offset.
//
// Sessions are placed on the asset's chargers in order of arrival, as the generator places its own: on a
// free charger of the kind the session's maximum power asks for (DC when it is above the largest AC
// rating), else on any free charger; when all are busy the car waits for the first to free up. Arrival is
// rounded up and departure down to the interval; a car left with less than one interval is dropped, and
// energy above what its charger could deliver while there is capped (both reported). The log's charger
// names are kept only in the session id: a replayed district has its own chargers.

export const SESSION_COLUMNS = {
  id: 'session_id',
  charger: 'charger',
  connector: 'connector',
  arrival: 'arrival',
  departure: 'departure',
  energy: 'energy_kwh',
  maxPower: 'max_power_kw',
} as const;

export interface SessionLogResult {
  sessions: EvSession[];
  turnedAway: number;
  report: InputReport;
}

interface Row {
  line: number;
  id: string;
  arrivalMs: number;
  departureMs: number;
  energyKwh: number;
  maxPowerKw?: number;
}

export function readSessionLog(
  text: string,
  file: string,
  cfg: AssetOf<'ev_chargers'>,
  grid: TimeGrid,
): SessionLogResult {
  const table = readCsv(text, file);
  const col = {
    id: table.column(SESSION_COLUMNS.id),
    charger: table.require(SESSION_COLUMNS.charger),
    connector: table.column(SESSION_COLUMNS.connector),
    arrival: table.require(SESSION_COLUMNS.arrival),
    departure: table.require(SESSION_COLUMNS.departure),
    energy: table.require(SESSION_COLUMNS.energy),
    maxPower: table.column(SESSION_COLUMNS.maxPower),
  };
  const issues = new Issues();
  const stepMs = intervalMs(grid);
  const endMs = timeAt(grid, grid.count);
  const rows: Row[] = [];
  let outside = 0;
  for (const { line, cells } of table.rows) {
    const arrivalMs = parseTime(cells[col.arrival], file, line, SESSION_COLUMNS.arrival);
    const departureMs = parseTime(cells[col.departure], file, line, SESSION_COLUMNS.departure);
    if (departureMs <= arrivalMs)
      throw new InputError(
        file,
        line,
        `${SESSION_COLUMNS.departure} is not after ${SESSION_COLUMNS.arrival}`,
      );
    const energyKwh = parseNumber(cells[col.energy], file, line, SESSION_COLUMNS.energy);
    if (energyKwh === undefined || energyKwh < 0)
      throw new InputError(file, line, `${SESSION_COLUMNS.energy}: a number ≥ 0 is needed`);
    const maxPowerKw =
      col.maxPower >= 0 ? parseNumber(cells[col.maxPower], file, line, SESSION_COLUMNS.maxPower) : undefined;
    if (maxPowerKw !== undefined && !(maxPowerKw > 0))
      throw new InputError(file, line, `${SESSION_COLUMNS.maxPower}: must be above 0 kW or blank`);
    if (energyKwh === 0) {
      issues.add('zero-energy', 'left out: the car took no energy', `line ${line}`);
      continue;
    }
    if (arrivalMs >= endMs || departureMs <= grid.startMs) {
      outside++;
      continue;
    }
    const name = [cells[col.charger], col.connector >= 0 ? cells[col.connector] : '']
      .map((c) => (c ?? '').trim())
      .filter(Boolean)
      .join('/');
    const sid = col.id >= 0 && cells[col.id]?.trim() ? cells[col.id].trim() : `line-${line}`;
    rows.push({ line, id: `${cfg.id}#${sid}@${name}`, arrivalMs, departureMs, energyKwh, maxPowerKw });
  }
  if (outside > 0)
    issues.add('outside-run', 'sessions outside the simulated period ignored', `${outside} sessions`);

  const slots = chargerSlots(cfg);
  const largestAcKw = Math.max(0, ...slots.filter((s) => s.kind === 'ac').map((s) => s.maxPowerKw));
  const freeAtMs = new Array<number>(slots.length).fill(-Infinity);
  rows.sort((a, b) => a.arrivalMs - b.arrivalMs);
  const sessions: EvSession[] = [];
  let turnedAway = 0;
  const alignUp = (ms: number) => grid.startMs + Math.ceil((ms - grid.startMs) / stepMs) * stepMs;
  const alignDown = (ms: number) => grid.startMs + Math.floor((ms - grid.startMs) / stepMs) * stepMs;
  for (const r of rows) {
    const wantsDc = r.maxPowerKw !== undefined && r.maxPowerKw > largestAcKw;
    const pick = (kind: 'ac' | 'dc' | undefined) => {
      let best = -1;
      for (let j = 0; j < slots.length; j++) {
        if (kind && slots[j].kind !== kind) continue;
        if (best < 0 || freeAtMs[j] < freeAtMs[best]) best = j;
      }
      return best;
    };
    let best = pick(wantsDc ? 'dc' : 'ac');
    const startOf = (j: number) => alignUp(Math.max(r.arrivalMs, freeAtMs[j], grid.startMs));
    const any = pick(undefined);
    if (best < 0 || (any >= 0 && startOf(any) < startOf(best))) best = any;
    const plugMs = startOf(best);
    const departureMs = alignDown(Math.min(r.departureMs, endMs));
    if (plugMs > alignUp(r.arrivalMs))
      issues.add(
        'waited',
        'every charger was busy: the car waits for the first to free up',
        `line ${r.line}`,
      );
    if (departureMs - plugMs < stepMs) {
      turnedAway++;
      issues.add('too-short', 'dropped: less than one interval on the plug after rounding', `line ${r.line}`);
      continue;
    }
    freeAtMs[best] = departureMs;
    const slot = slots[best];
    const maxPowerKw = Math.min(slot.maxPowerKw, r.maxPowerKw ?? slot.maxPowerKw);
    const deliverableKwh = (maxPowerKw * (departureMs - plugMs)) / MS_PER_HOUR;
    if (r.energyKwh > deliverableKwh + 1e-9)
      issues.add(
        'energy-capped',
        'capped at what the charger can deliver while the car is plugged in',
        `line ${r.line}: ${r.energyKwh} kWh`,
      );
    sessions.push({
      id: r.id,
      assetId: cfg.id,
      chargerIndex: best,
      arrivalMs: plugMs,
      departureMs,
      energyKwh: Math.min(r.energyKwh, deliverableKwh),
      maxPowerKw,
      maxDischargeKw: 0,
    });
  }
  return {
    sessions,
    turnedAway,
    report: { file, rows: table.rows.length, result: `${sessions.length} sessions`, issues: issues.list() },
  };
}
