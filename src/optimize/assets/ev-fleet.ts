import type { BuildContext } from './context.ts';
import type { EvInput } from '../problem.ts';

// Large EV fleets, aggregated: one fleet power per step with cumulative energy envelopes instead of
// one variable per session and step. Upper envelope U_k: the most the fleet can have taken by the end
// of step k (each car at full power from arrival, up to what it wants); lower envelope L_k: the least
// it must have taken (each car's requirement, capped to what it can physically get, minus what it can
// still take after k). Fleet power ≤ Σ charger limits of cars present. The envelopes are necessary
// conditions, so the fleet plan may be slightly optimistic; it is disaggregated by least laxity
// first (disaggregateFleet). Cars with V2G stay individual.

export interface FleetHandles {
  powerCol: number[];
  sessions: EvInput[];
  /** Energy no schedule can deliver (requests beyond what the plug time allows), kWh. */
  impossibleKwh: number;
}

export function addEvFleet(ctx: BuildContext, sessions: EvInput[]): FleetHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const n = p.steps;
  const upStep = new Float64Array(n);
  const maxKw = new Float64Array(n);
  const lower = new Float64Array(n);
  let impossibleKwh = 0;
  for (const s of sessions) {
    const window = s.endStep - s.startStep;
    const feasibleKwh = Math.min(s.requiredKwh, s.maxPowerKw * window * dt);
    impossibleKwh += s.requiredKwh - feasibleKwh;
    // Upper: full power from arrival until it has what it wants.
    for (let k = s.startStep; k < s.endStep; k++) maxKw[k] += s.maxPowerKw;
    let got = 0;
    for (let k = s.startStep; k < s.endStep; k++) {
      const e = Math.min(s.maxPowerKw * dt, s.remainingKwh - got);
      if (e <= 0) break;
      upStep[k] += e;
      got += e;
    }
    // Lower: by the end of step k at least feasible − (steps left after k) × full power.
    for (let k = s.startStep; k < n; k++) {
      const after = Math.max(0, s.endStep - 1 - k);
      lower[k] += Math.max(0, feasibleKwh - after * s.maxPowerKw * dt);
    }
  }
  const cost = p.weights.cost * p.consumptionCostKrwPerKwh * dt;
  const powerCol: number[] = [];
  let upper = 0;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const c = m.addVar(`evf_p_${k}`, 0, maxKw[k], cost);
    ctx.balance.add(k, c, -1);
    powerCol.push(c);
    upper += upStep[k];
    // Energy taken by the end of step k, between the envelopes: E[k] = E[k−1] + P[k]·dt.
    const e = m.addVar(`evf_e_${k}`, Math.min(lower[k], upper), upper, 0);
    const terms = [
      { col: e, coef: 1 },
      { col: c, coef: -dt },
    ];
    if (prev >= 0) terms.push({ col: prev, coef: -1 });
    m.addRow(`evf_cum_${k}`, terms, 0, 0);
    prev = e;
  }
  return { powerCol, sessions, impossibleKwh };
}

/** Fleet power per step shared over its cars, least laxity first; per session power per step. */
export function disaggregateFleet(
  sessions: EvInput[],
  fleetKw: ArrayLike<number>,
  steps: number,
  stepHours: number,
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const left = sessions.map((s) => s.remainingKwh);
  for (const s of sessions) out.set(s.id, new Float64Array(steps));
  const byStart = sessions.map((_, i) => i).sort((a, b) => sessions[a].startStep - sessions[b].startStep);
  let next = 0;
  let active: number[] = [];
  for (let k = 0; k < steps; k++) {
    while (next < byStart.length && sessions[byStart[next]].startStep <= k) active.push(byStart[next++]);
    active = active.filter((i) => sessions[i].endStep > k && left[i] > 1e-9);
    // Laxity: hours to spare before the car must charge flat out to get what it needs.
    active.sort((a, b) => {
      const la = (sessions[a].endStep - k) * stepHours - left[a] / sessions[a].maxPowerKw;
      const lb = (sessions[b].endStep - k) * stepHours - left[b] / sessions[b].maxPowerKw;
      return la - lb;
    });
    let kw = fleetKw[k];
    for (const i of active) {
      if (kw <= 1e-9) break;
      const give = Math.min(kw, sessions[i].maxPowerKw, left[i] / stepHours);
      out.get(sessions[i].id)![k] = give;
      left[i] -= give * stepHours;
      kw -= give;
    }
  }
  return out;
}
