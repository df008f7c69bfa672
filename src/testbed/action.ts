import type { Dispatch, StepView } from '../sim/strategy-interface.ts';
import type { Action } from './protocol.ts';
import { busId } from './observation.ts';

// A controller's action as the Dispatch every built-in strategy returns, narrowed into what each
// asset can do this interval (the limits the simulator's physics and the live guards apply), with
// every narrowing counted. Ids the observation did not list make the whole action invalid: a
// controller that confuses its assets must not have part of its answer applied.

/**
 * The observation gives figures to the watt; a controller that answers a limit it was told is not
 * clamped for the rounding (the value applied is still the exact limit).
 */
const CLAMP_TOLERANCE_KW = 0.001;

export interface Clamp {
  /** `batteryKw/bess-1`, `evKw/<session>`, … */
  where: string;
  requested: number;
  applied: number;
  limit: string;
}

export type Mapped = { ok: true; dispatch: Dispatch; clamps: Clamp[] } | { ok: false; error: string };

function clampInto(
  clamps: Clamp[],
  where: string,
  x: number,
  lo: number,
  hi: number,
  loBy: string,
  hiBy: string,
): number {
  if (x < lo) {
    if (lo - x > CLAMP_TOLERANCE_KW) clamps.push({ where, requested: x, applied: lo, limit: loBy });
    return lo;
  }
  if (x > hi) {
    if (x - hi > CLAMP_TOLERANCE_KW) clamps.push({ where, requested: x, applied: hi, limit: hiBy });
    return hi;
  }
  return x;
}

function unknownIds(part: string, given: Record<string, unknown> | undefined, known: Set<string>) {
  for (const id of Object.keys(given ?? {}))
    if (!known.has(id))
      return `${part}: "${id}" is not in this observation (known: ${[...known].join(', ') || 'none'})`;
  return undefined;
}

export function actionToDispatch(view: StepView, a: Action): Mapped {
  const d = view.district;
  const clamps: Clamp[] = [];
  const unknown =
    unknownIds('batteryKw', a.batteryKw, new Set(d.batteries.map((b) => b.id))) ??
    unknownIds('pvLimitKw', a.pvLimitKw, new Set(d.pv.map((p) => p.id))) ??
    unknownIds('evKw', a.evKw, new Set(view.ev.map((e) => e.session.id))) ??
    unknownIds(
      'busKw',
      a.busKw,
      new Set(view.buses.map((b) => busId(d.depots[b.depotIndex].id, b.busIndex))),
    ) ??
    unknownIds('datacenters', a.datacenters, new Set(d.datacenters.map((u) => u.id)));
  if (unknown) return { ok: false, error: unknown };

  const batteryKw = new Float64Array(d.batteries.length);
  d.batteries.forEach((b, k) => {
    const req = a.batteryKw?.[b.id];
    if (req === undefined) return;
    const lim = view.batteryLimits[k];
    batteryKw[k] = clampInto(
      clamps,
      `batteryKw/${b.id}`,
      req,
      -lim.maxChargeKw,
      lim.maxDischargeKw,
      'max charge (rating and soc_max)',
      'max discharge (rating and soc_min)',
    );
  });

  let pvLimitKw: Float64Array | undefined;
  if (a.pvLimitKw) {
    pvLimitKw = new Float64Array(d.pv.length).fill(NaN);
    d.pv.forEach((p, k) => {
      const req = a.pvLimitKw?.[p.id];
      if (req === undefined || req === null) return;
      const ratingKw = p.cfg.inverter_kw ?? p.cfg.capacity_kwp;
      pvLimitKw![k] = clampInto(clamps, `pvLimitKw/${p.id}`, req, 0, ratingKw, 'zero', 'inverter_kw');
    });
  }

  const evKw = new Map<string, number>();
  for (const st of view.ev) {
    const s = st.session;
    const req = a.evKw?.[s.id];
    if (req === undefined) continue;
    evKw.set(
      s.id,
      clampInto(
        clamps,
        `evKw/${s.id}`,
        req,
        -s.maxDischargeKw,
        s.maxPowerKw,
        s.maxDischargeKw > 0 ? 'max V2G discharge' : 'no V2G',
        'max charging power',
      ),
    );
  }

  const busKw = new Float64Array(view.buses.length);
  view.buses.forEach((bus, b) => {
    const dep = d.depots[bus.depotIndex];
    const id = busId(dep.id, bus.busIndex);
    const req = a.busKw?.[id];
    if (req === undefined) return;
    if (!bus.atDepot) {
      if (req !== 0) clamps.push({ where: `busKw/${id}`, requested: req, applied: 0, limit: 'bus away' });
      return;
    }
    const v2g = dep.cfg.v2g_chargers > 0;
    busKw[b] = clampInto(
      clamps,
      `busKw/${id}`,
      req,
      v2g ? -dep.cfg.charger_kw : 0,
      dep.cfg.charger_kw,
      v2g ? 'charger_kw (V2G)' : 'no V2G',
      'charger_kw',
    );
  });

  const datacenters = view.datacenters.map((dc, k) => {
    const u = d.datacenters[k];
    const cmd = a.datacenters?.[u.id];
    if (!cmd) return { runJobIds: [] as string[], powerCap: 1 };
    const powerCap = clampInto(
      clamps,
      `datacenters/${u.id}/powerCapFraction`,
      cmd.powerCapFraction,
      u.cfg.gpu_power_cap_min,
      1,
      'gpu_power_cap_min',
      'full power',
    );
    // Jobs that are not pending are dropped; jobs beyond the training pool's GPUs are dropped in
    // the order given (the data center could not start them).
    const pending = new Map(dc.pending.map((js) => [js.job.id, js.job.gpus]));
    let freeGpus = dc.trainingGpus;
    const runJobIds: string[] = [];
    for (const id of cmd.runJobIds) {
      const gpus = pending.get(id);
      if (gpus === undefined) {
        clamps.push({
          where: `datacenters/${u.id}/runJobIds/${id}`,
          requested: 1,
          applied: 0,
          limit: 'no such pending job',
        });
        continue;
      }
      if (gpus > freeGpus) {
        clamps.push({
          where: `datacenters/${u.id}/runJobIds/${id}`,
          requested: gpus,
          applied: 0,
          limit: 'training GPUs',
        });
        continue;
      }
      freeGpus -= gpus;
      runJobIds.push(id);
    }
    return { runJobIds, powerCap };
  });

  return { ok: true, dispatch: { batteryKw, pvLimitKw, evKw, busKw, datacenters }, clamps };
}
