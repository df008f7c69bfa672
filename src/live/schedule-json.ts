import type { JobPlan } from '../control/jobs.ts';
import type { JsonValue } from '../store/index.ts';
import type { Schedule } from '../optimize/build.ts';
import type { District } from '../sim/district.ts';
import { GRID_ASSET_ID } from '../model/schema.ts';
import { MS_PER_HOUR } from '../model/time.ts';

// A schedule as the store keeps it: per-asset power per interval (natural signs, what the API and the
// dashboard draw) and the planner's whole Schedule, so that a restart resumes the schedule in force.

/** Decimal places kept for stored powers and energies (0.001 kW is below any meter's resolution). */
const DECIMALS = 3;
const SCALE = 10 ** DECIMALS;

export function scheduleToJson(s: Schedule, d: District): { [k: string]: JsonValue } {
  const round = (a: ArrayLike<number>) => Array.from(a, (v) => Math.round(v * 10) / 10);
  const assets: Record<string, number[]> = {};
  d.batteries.forEach((b, k) => (assets[b.id] = round(s.batteryKw[k])));
  // PV is planned in total; shared over the arrays by what each is forecast to give.
  const pvTotal = s.pvAvailableKw;
  d.pv.forEach((p) => {
    const rating = p.cfg.inverter_kw ?? p.cfg.capacity_kwp;
    const share = rating / d.pv.reduce((x, q) => x + (q.cfg.inverter_kw ?? q.cfg.capacity_kwp), 0);
    assets[p.id] = round(Array.from(s.pvKw, (v, k) => (pvTotal[k] > 0 ? v * share : 0)));
  });
  for (const u of d.ev) assets[u.id] = new Array<number>(s.steps).fill(0);
  for (const [id, kw] of s.evKw) {
    const asset = id.split('|')[0];
    const a = assets[asset] ?? (assets[asset] = new Array<number>(s.steps).fill(0));
    for (let k = 0; k < s.steps; k++) a[k] += kw[k];
  }
  for (const u of d.depots) assets[u.id] = new Array<number>(s.steps).fill(0);
  let b = 0;
  for (const u of d.depots)
    for (let i = 0; i < u.cfg.buses; i++, b++) {
      const kw = s.busKw.get(b);
      if (kw) for (let k = 0; k < s.steps; k++) assets[u.id][k] += kw[k];
    }
  d.datacenters.forEach((u) => (assets[u.id] = round(s.datacenterKw)));
  for (const u of [...d.ev, ...d.depots]) assets[u.id] = round(assets[u.id]);
  assets[GRID_ASSET_ID] = round(Array.from(s.importKw, (v, k) => v - s.exportKw[k]));
  return {
    intervalMinutes: Math.round(s.stepHours * 60),
    assets,
    plan: encode(s as unknown as Record<string, unknown>),
  };
}

export function scheduleFromJson(json: JsonValue | undefined): Schedule | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  try {
    const s = decode(json) as Schedule;
    if (!Number.isFinite(s.startMs) || !Number.isInteger(s.steps) || !(s.importKw instanceof Float64Array))
      return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/** Per job: when it runs and at which power cap, merged into intervals; and when it should finish. */
export function jobPlanFromSchedule(s: Schedule, d: District, madeMs: number): JobPlan {
  const stepMs = s.stepHours * MS_PER_HOUR;
  const jobs: JobPlan['jobs'] = [];
  d.datacenters.forEach((_, k) => {
    for (const [id, gpus] of s.jobGpus[k] ?? new Map<string, Float64Array>()) {
      const caps = s.jobCapSum[k]?.get(id);
      const intervals: JobPlan['jobs'][number]['intervals'] = [];
      let lastBusy = -1;
      for (let i = 0; i < s.steps; i++) {
        // The plan may share GPUs fractionally; the data center runs whole GPUs.
        const n = Math.round(gpus[i]);
        if (n < 1) continue;
        lastBusy = i;
        const cap = caps && gpus[i] > 0 ? caps[i] / gpus[i] : 1;
        const startMs = s.startMs + i * stepMs;
        const prev = intervals[intervals.length - 1];
        if (
          prev &&
          prev.endMs === startMs &&
          Math.abs(prev.gpus - n) < 0.5 &&
          Math.abs(prev.powerCapFraction - cap) < 0.01
        )
          prev.endMs = startMs + stepMs;
        else
          intervals.push({
            startMs,
            endMs: startMs + stepMs,
            gpus: n,
            powerCapFraction: Math.round(cap * 100) / 100,
          });
      }
      // Work left after the horizon means the finish lies beyond it.
      const work = s.jobWork[k]?.get(id);
      const remaining = s.jobRemainingGpuHours[k]?.get(id) ?? 0;
      let planned = 0;
      if (work) for (let i = 0; i < s.steps; i++) planned += work[i] * s.stepHours;
      jobs.push({
        id,
        intervals,
        expectedFinishMs:
          lastBusy >= 0 && planned >= remaining - 1e-6 ? s.startMs + (lastBusy + 1) * stepMs : undefined,
      });
    }
  });
  return { madeMs, jobs };
}

// Generic, tagged encoding of the Schedule's typed arrays and maps, so fields the optimizer adds are
// kept without this file knowing them.
function encode(v: unknown): JsonValue {
  if (v instanceof Float64Array)
    return { f64: Array.from(v, (x) => (Number.isFinite(x) ? Math.round(x * SCALE) / SCALE : null)) };
  if (v instanceof Uint8Array) return { u8: Array.from(v) };
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [k as JsonValue, encode(x)]) };
  if (Array.isArray(v)) return v.map(encode);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'object') {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) o[k] = encode(x);
    return o;
  }
  return null;
}

function decode(v: JsonValue): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === 'object') {
    if ('f64' in v && Array.isArray(v.f64))
      return Float64Array.from(v.f64, (x) => (x === null ? NaN : Number(x)));
    if ('u8' in v && Array.isArray(v.u8)) return Uint8Array.from(v.u8 as number[]);
    if ('map' in v && Array.isArray(v.map))
      return new Map((v.map as JsonValue[][]).map(([k, x]) => [k, decode(x)]));
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = decode(x);
    return o;
  }
  return v;
}
