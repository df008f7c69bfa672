import type { BuildContext } from './context.ts';

// PV: one output variable per step for all arrays together, anywhere between zero and what the sun
// gives (curtailment). It is worth curtailing only at the export limit or at a negative export price;
// the dispatch shares a curtailment over the arrays in proportion to their availability.

export interface PvHandles {
  outputCol: number[];
  availableKw: Float64Array;
}

export function addPv(ctx: BuildContext): PvHandles {
  const { m, p } = ctx;
  const availableKw = new Float64Array(p.steps);
  for (const a of p.pvAvailableKw) for (let k = 0; k < p.steps; k++) availableKw[k] += Math.max(0, a[k]);
  const outputCol: number[] = [];
  if (p.pvAvailableKw.length === 0) return { outputCol, availableKw };
  for (let k = 0; k < p.steps; k++) {
    const c = m.addVar(`pv_${k}`, 0, availableKw[k], 0);
    ctx.balance.add(k, c, 1);
    outputCol.push(c);
  }
  return { outputCol, availableKw };
}
