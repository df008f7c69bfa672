import type { GridSignal } from '../drivers/types.ts';
import type { HorizonProblem } from './problem.ts';
import { MS_PER_HOUR } from '../model/time.ts';

// Grid signals (OpenADR events, src/drivers/types.ts) applied to one horizon's problem, step by step:
// - import_limit_kw / export_limit_kw: the tighter of the connection's limit and the signal's;
// - price_krw_per_kwh / export_price_krw_per_kwh: replace the tariff's import price (before VAT and
//   fund, as `importPriceKrwPerKwh`) / the SMP;
// - import_target_kw: import above it costs the target penalty (a soft cap);
// - shed_kw: a target of the forecast baseline import minus the shed;
// - ghg_kg_per_kwh: replaces the grid emission factor (it weighs only with an emissions weight).
// A step takes every signal that overlaps it, even in part: a limit or a target that starts or ends
// inside an interval binds the whole interval (the conservative reading, since the meter averages
// over the interval). Where signals of one kind overlap, the most demanding wins: the lowest limit
// or target, the largest shed, the highest import price and emission factor, the lowest export price.

/** What `applyGridSignals` applied, for logs and the live status. */
export interface AppliedSignals {
  /** Signals that touched at least one step. */
  applied: GridSignal[];
  /** Signals left out, with the reason. */
  ignored: { signal: GridSignal; reason: string }[];
}

/** Steps [first, last) of a horizon that a [startMs, endMs) window overlaps. */
export function stepsCovered(
  p: Pick<HorizonProblem, 'startMs' | 'steps' | 'stepHours'>,
  startMs: number,
  endMs: number,
): [number, number] {
  const stepMs = p.stepHours * MS_PER_HOUR;
  const first = Math.max(0, Math.floor((startMs - p.startMs) / stepMs));
  const last = Math.min(p.steps, Math.ceil((endMs - p.startMs) / stepMs));
  return [first, Math.max(first, last)];
}

/**
 * The import the district would draw with every flexible asset idle, kW per step: the fixed loads
 * and the data centers' inference and idle nodes (× PUE), less the PV available, never below 0. A shed
 * is measured from here. Flexible load (EVs, buses, training, battery charging) is left out, so the
 * target it gives is at or below one measured from any baseline that includes them: the shed is
 * delivered whatever the flexible assets would have done.
 */
export function baselineImportKw(p: HorizonProblem): Float64Array {
  const out = Float64Array.from(p.fixedLoadKw);
  for (const dc of p.datacenters)
    for (let k = 0; k < p.steps; k++)
      out[k] += dc.pue[k] * (dc.inferenceItKw[k] + dc.layout.trainingNodes * dc.cfg.node_idle_kw);
  for (const pv of p.pvAvailableKw) for (let k = 0; k < p.steps; k++) out[k] -= pv[k];
  for (let k = 0; k < p.steps; k++) out[k] = Math.max(0, out[k]);
  return out;
}

/**
 * A copy of `p` with the signals applied (the arrays they change are new; the rest is shared).
 * Signals outside the horizon, with an empty window or a non-finite value are ignored and reported.
 */
export function applyGridSignals(
  p: HorizonProblem,
  signals: readonly GridSignal[],
): { problem: HorizonProblem } & AppliedSignals {
  const importLimitKw = Float64Array.from(p.importLimitKw);
  const exportLimitKw = Float64Array.from(p.exportLimitKw);
  const importTargetKw = Float64Array.from(p.importTargetKw);
  const importPrice = Float64Array.from(p.importPriceKrwPerKwh);
  const exportPrice = Float64Array.from(p.exportPriceKrwPerKwh);
  const emission = Float64Array.from(p.emissionFactorKgPerKwh);
  // Per step, the signal price that applies (NaN = none yet), so overlapping price signals combine
  // among themselves rather than with the tariff.
  const signalImportPrice = new Float64Array(p.steps).fill(NaN);
  const signalExportPrice = new Float64Array(p.steps).fill(NaN);
  const signalEmission = new Float64Array(p.steps).fill(NaN);
  const shedKw = new Float64Array(p.steps);
  const out: AppliedSignals = { applied: [], ignored: [] };

  for (const sig of signals) {
    if (!Number.isFinite(sig.value)) {
      out.ignored.push({ signal: sig, reason: 'value is not a finite number' });
      continue;
    }
    if (!(sig.endMs > sig.startMs)) {
      out.ignored.push({ signal: sig, reason: 'empty window' });
      continue;
    }
    const [a, b] = stepsCovered(p, sig.startMs, sig.endMs);
    if (b <= a) {
      out.ignored.push({ signal: sig, reason: 'outside the horizon' });
      continue;
    }
    const v = sig.value;
    switch (sig.kind) {
      case 'import_limit_kw':
        for (let k = a; k < b; k++) importLimitKw[k] = Math.min(importLimitKw[k], Math.max(0, v));
        break;
      case 'export_limit_kw':
        for (let k = a; k < b; k++) exportLimitKw[k] = Math.min(exportLimitKw[k], Math.max(0, v));
        break;
      case 'import_target_kw':
        for (let k = a; k < b; k++) importTargetKw[k] = Math.min(importTargetKw[k], Math.max(0, v));
        break;
      case 'shed_kw':
        for (let k = a; k < b; k++) shedKw[k] = Math.max(shedKw[k], v);
        break;
      case 'price_krw_per_kwh':
        for (let k = a; k < b; k++)
          signalImportPrice[k] = Number.isNaN(signalImportPrice[k]) ? v : Math.max(signalImportPrice[k], v);
        break;
      case 'export_price_krw_per_kwh':
        for (let k = a; k < b; k++)
          signalExportPrice[k] = Number.isNaN(signalExportPrice[k]) ? v : Math.min(signalExportPrice[k], v);
        break;
      case 'ghg_kg_per_kwh':
        for (let k = a; k < b; k++)
          signalEmission[k] = Number.isNaN(signalEmission[k]) ? v : Math.max(signalEmission[k], v);
        break;
      default:
        out.ignored.push({ signal: sig, reason: `${String(sig.kind)} is not planned on` });
        continue;
    }
    out.applied.push(sig);
  }

  let baseline: Float64Array | undefined;
  for (let k = 0; k < p.steps; k++) {
    if (!Number.isNaN(signalImportPrice[k])) importPrice[k] = signalImportPrice[k];
    if (!Number.isNaN(signalExportPrice[k])) exportPrice[k] = signalExportPrice[k];
    if (!Number.isNaN(signalEmission[k])) emission[k] = signalEmission[k];
    if (shedKw[k] > 0) {
      baseline ??= baselineImportKw(p);
      importTargetKw[k] = Math.min(importTargetKw[k], Math.max(0, baseline[k] - shedKw[k]));
    }
  }

  return {
    problem: {
      ...p,
      importLimitKw,
      exportLimitKw,
      importTargetKw,
      importPriceKrwPerKwh: importPrice,
      exportPriceKrwPerKwh: exportPrice,
      emissionFactorKgPerKwh: emission,
    },
    ...out,
  };
}
