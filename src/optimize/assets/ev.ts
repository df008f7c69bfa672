import type { BuildContext } from './context.ts';
import type { EvInput } from '../problem.ts';
import { assetBlockBounds, blockPieces } from '../blocks.ts';

// EV sessions, one power variable per plugged-in step: charging up to the charger's limit, V2G
// discharge where car and charger allow it (the simulator's V2G is lossless and may only give back
// what the car has received plus what it asked for). The energy a car must have by departure is a
// soft constraint with a high penalty per missing kWh, so an impossible request (too little time on
// the plug) never makes the model infeasible; no car is charged beyond its request.
// Far ahead, under move blocking (blocks.ts), a car holds one power over each block (or over the
// part of it it is plugged in for).

export interface EvHandles {
  /**
   * Per session (problem order): power column per step from its startStep. Under move blocking
   * (blocks.ts) the steps of one block share a column: the car holds one power through it.
   */
  powerCol: number[][];
  unmetCol: number[];
  sessions: EvInput[];
}

export function addEv(ctx: BuildContext, sessions: EvInput[] = ctx.p.ev): EvHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const bounds = assetBlockBounds(p, 'ev');
  const h: EvHandles = { powerCol: [], unmetCol: [], sessions };
  const consumptionCost = p.weights.cost * p.consumptionCostKrwPerKwh * dt;
  sessions.forEach((s, si) => {
    const cols: number[] = [];
    const v2g = s.maxDischargeKw > 0;
    const total: { col: number; coef: number }[] = [];
    for (const [k0, k1] of blockPieces(bounds, s.startStep, s.endStep)) {
      const n = k1 - k0;
      const c = m.addVar(`ev${si}_p_${k0}`, v2g ? -s.maxDischargeKw : 0, s.maxPowerKw, consumptionCost * n);
      for (let k = k0; k < k1; k++) {
        ctx.balance.add(k, c, -1);
        cols.push(c);
      }
      total.push({ col: c, coef: dt * n });
      // V2G: the running total stays between −(delivered + asked) and what is still wanted. Within a
      // block it moves linearly, so the block's end (and the previous block's) bound every step of it.
      if (v2g) m.addRow(`ev${si}_cum_${k1 - 1}`, total.slice(), -s.dischargeRoomKwh, s.remainingKwh);
    }
    const u = m.addVar(`ev${si}_u`, 0, s.requiredKwh, p.unmetPenaltyKrwPerKwh);
    if (cols.length > 0) {
      if (!v2g) m.addRow(`ev${si}_max`, total, -Infinity, s.remainingKwh);
      m.addRow(`ev${si}_req`, [...total, { col: u, coef: 1 }], s.requiredKwh, Infinity);
    }
    h.powerCol.push(cols);
    h.unmetCol.push(u);
  });
  return h;
}
