import type { BuildContext } from './context.ts';
import type { DeferrableInput, DeferrableWindowInput, HorizonProblem } from '../problem.ts';
import type { StepView } from '../../sim/strategy-interface.ts';
import {
  DEFERRABLE_DONE_EPS_KWH,
  durationSteps,
  initialDeferrableState,
} from '../../sim/assets/deferrable.ts';
import type { Term } from '../lp.ts';

// Deferrable loads (docs/optimizer.md, Deferrable loads). Per load j and step k inside one of its
// windows (outside them it is off, and has no column):
//   power          p_k = P·u_k with u_k ∈ {0,1} (semi-continuous), or 0 ≤ p_k ≤ P (continuous; with
//                  p_k ≤ P·u_k and u_k binary when a start cost or a minimum on/off time needs the state);
//   energy         Σ_{k∈w} p_k·Δt + unmet_w ≥ required_w and Σ_{k∈w} p_k·Δt ≤ max_w, per window w;
//   start-up       y_k ≥ u_k − u_{k−1}, 0 ≤ y_k ≤ 1, at start_cost per start;
//   minimum on     Σ_{τ=k−U+1..k} y_τ ≤ u_k                 (a start keeps it on U steps);
//   minimum off    Σ_{τ=k−D+1..k} y_τ ≤ 1 − u_{k−D}         (a stop keeps it off D steps;
//                  from Σ z ≤ 1 − u_k with z the stops and u_k − u_{k−D} = Σ (y − z));
// the last two are the turn-on/turn-off inequalities of Rajan and Takriti (IBM RC23628, 2005), the
// convex hull of the min-up/min-down polytope, so the LP relaxation is tight and branch-and-bound
// short. y needs no upper rows: it only ever tightens a row or adds cost, so a solution never
// inflates it; starts are counted from u. u before step 0 comes from the measured state.

export interface DeferrableHandles {
  /** Per load, per step: the column of its power, kW (−1 where it is off by its windows). */
  powerCol: number[][];
  /** Per load, per step: the power column's coefficient in kW (P for a binary u, 1 for p). */
  powerCoef: number[][];
  /** Per load, per step: its on/off binary (−1 where none). */
  onCol: number[][];
  /** Per load, per window: the unmet-energy column (−1 where nothing is required). */
  unmetCol: number[][];
}

export function addDeferrables(ctx: BuildContext): DeferrableHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const h: DeferrableHandles = { powerCol: [], powerCoef: [], onCol: [], unmetCol: [] };
  (p.deferrables ?? []).forEach((j, ji) => {
    const n = p.steps;
    const powerCol = new Array<number>(n).fill(-1);
    const powerCoef = new Array<number>(n).fill(0);
    const onCol = new Array<number>(n).fill(-1);
    const unmetCol: number[] = [];
    const U = j.semiContinuous || j.startCostKrw > 0 || j.minOnSteps > 1 || j.minOffSteps > 1;
    // Steps it must stay on (a run in progress that has not lasted its minimum) or off (a rest).
    const mustStayOn = j.initiallyOn ? Math.max(0, j.minOnSteps - j.initialStateSteps) : 0;
    const mustStayOff = j.initiallyOn ? 0 : Math.max(0, j.minOffSteps - j.initialStateSteps);
    j.windows.forEach((w, wi) => {
      const energy: Term[] = [];
      let forced = 0;
      for (let k = w.startStep; k < w.endStep; k++) {
        // Forced on only as far as the window's energy allows (the device stops when it is done).
        const on = k < mustStayOn && (forced + 1) * j.nominalKw * dt <= w.maxKwh + DEFERRABLE_DONE_EPS_KWH;
        if (on) forced++;
        if (U) {
          const u = m.addVar(`d${ji}_u_${k}`, on ? 1 : 0, k < mustStayOff ? 0 : 1, 0, true);
          onCol[k] = u;
          if (j.semiContinuous) {
            powerCol[k] = u;
            powerCoef[k] = j.nominalKw;
          } else {
            const q = m.addVar(`d${ji}_p_${k}`, 0, j.nominalKw, 0);
            m.addRow(
              `d${ji}_pu_${k}`,
              [
                { col: q, coef: 1 },
                { col: u, coef: -j.nominalKw },
              ],
              -Infinity,
              0,
            );
            powerCol[k] = q;
            powerCoef[k] = 1;
          }
        } else {
          powerCol[k] = m.addVar(`d${ji}_p_${k}`, 0, j.nominalKw, 0);
          powerCoef[k] = 1;
        }
        ctx.balance.add(k, powerCol[k], -powerCoef[k]);
        energy.push({ col: powerCol[k], coef: powerCoef[k] * dt });
      }
      let unmet = -1;
      if (w.requiredKwh > DEFERRABLE_DONE_EPS_KWH) {
        unmet = m.addVar(`d${ji}_unm_${wi}`, 0, w.requiredKwh, p.unmetPenaltyKrwPerKwh);
        m.addRow(`d${ji}_emin_${wi}`, [...energy, { col: unmet, coef: 1 }], w.requiredKwh, Infinity);
      }
      m.addRow(`d${ji}_emax_${wi}`, energy, -Infinity, w.maxKwh);
      unmetCol.push(unmet);
    });
    if (U) {
      const startCol = addStartRows(ctx, j, ji, onCol);
      // At least one start in a window that owes energy, unless it is written off as unmet:
      //   Σ_{k∈w} y_k + unmet_w / required_w ≥ 1.
      // Valid because the load is off just before the window (no column there, and not running at
      // step 0), so running anywhere in it needs a start inside it. The LP relaxation otherwise spreads
      // a fraction of a run over the window and pays a fraction of one start; this cut made the
      // EMHASS week's root bound close most of its gap (docs/optimizer.md).
      j.windows.forEach((w, wi) => {
        const unmet = unmetCol[wi];
        if (unmet < 0) return;
        const k0 = w.startStep;
        if (k0 === 0 ? j.initiallyOn : onCol[k0 - 1] >= 0) return;
        const t: Term[] = [{ col: unmet, coef: 1 / w.requiredKwh }];
        for (let k = k0; k < w.endStep; k++) if (startCol[k] >= 0) t.push({ col: startCol[k], coef: 1 });
        m.addRow(`d${ji}_one_${wi}`, t, 1, Infinity);
      });
    }
    h.powerCol.push(powerCol);
    h.powerCoef.push(powerCoef);
    h.onCol.push(onCol);
    h.unmetCol.push(unmetCol);
  });
  return h;
}

/** Start-up columns, their cost, and the minimum on- and off-time rows. */
function addStartRows(ctx: BuildContext, j: DeferrableInput, ji: number, onCol: number[]): number[] {
  const { m, p } = ctx;
  const n = p.steps;
  const startCol = new Array<number>(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const u = onCol[k];
    if (u < 0) continue;
    const y = m.addVar(`d${ji}_y_${k}`, 0, 1, p.weights.cost * j.startCostKrw);
    startCol[k] = y;
    // y_k − u_k + u_{k−1} ≥ 0 (u_{k−1} a column, or a constant from the state or the window's edge).
    const terms: Term[] = [
      { col: y, coef: 1 },
      { col: u, coef: -1 },
    ];
    let rhs = 0;
    if (k === 0) rhs = j.initiallyOn ? -1 : 0;
    else if (onCol[k - 1] >= 0) terms.push({ col: onCol[k - 1], coef: 1 });
    m.addRow(`d${ji}_st_${k}`, terms, rhs, Infinity);
  }
  const startsIn = (from: number, to: number): Term[] => {
    const t: Term[] = [];
    for (let k = Math.max(0, from); k <= to; k++) if (startCol[k] >= 0) t.push({ col: startCol[k], coef: 1 });
    return t;
  };
  if (j.minOnSteps > 1) {
    const U = j.minOnSteps;
    // Up to U − 1 steps after a window's last step too: a start there would have to run past it.
    for (let k = 0; k < n; k++) {
      const t = startsIn(k - U + 1, k);
      if (!t.length) continue;
      if (onCol[k] >= 0) t.push({ col: onCol[k], coef: -1 });
      m.addRow(`d${ji}_up_${k}`, t, -Infinity, 0);
    }
  }
  if (j.minOffSteps > 1) {
    const D = j.minOffSteps;
    // Stops inside the horizon: a stop after step `before` (u_before = 1) allows no start until
    // before + D. A stop at step 0 of a load running now is the same with u_{−1} = 1: no start in
    // the first D steps (y's upper bound); a stop before step 0 is the u bound in addDeferrables.
    for (let k = 0; k < n; k++) {
      if (j.initiallyOn && k < D && startCol[k] >= 0) m.setBounds(startCol[k], 0, 0);
      const before = k - D;
      if (before < 0 || onCol[before] < 0) continue;
      const t = startsIn(before + 1, k);
      if (!t.length) continue;
      t.push({ col: onCol[before], coef: 1 });
      m.addRow(`d${ji}_dn_${k}`, t, -Infinity, 1);
    }
  }
  return startCol;
}

/** Per load: planned kW per step, kWh it leaves unmet, and the runs it starts. */
export function extractDeferrables(
  p: HorizonProblem,
  h: DeferrableHandles,
  x: ArrayLike<number>,
): { kw: Float64Array[]; unmetKwh: number; starts: number } {
  const out = { kw: [] as Float64Array[], unmetKwh: 0, starts: 0 };
  (p.deferrables ?? []).forEach((j, ji) => {
    const kw = new Float64Array(p.steps);
    let prevOn = j.initiallyOn;
    for (let k = 0; k < p.steps; k++) {
      const c = h.powerCol[ji][k];
      kw[k] = c >= 0 ? Math.max(0, x[c] * h.powerCoef[ji][k]) : 0;
      const on = kw[k] > DEFERRABLE_DONE_EPS_KWH;
      if (on && !prevOn) out.starts++;
      prevOn = on;
    }
    for (const u of h.unmetCol[ji]) if (u >= 0) out.unmetKwh += x[u];
    out.kw.push(kw);
  });
  return out;
}

/**
 * The district's deferrable loads as the optimizer sees them from `view`: their windows from the one
 * in force onwards, clipped to `steps`, what each still owes, and their on/off state.
 */
export function deferrableInputs(view: StepView, steps: number): DeferrableInput[] {
  const d = view.district;
  const dt = d.intervalHours;
  const i0 = view.index;
  return (d.deferrables ?? []).map((u, ui) => {
    const st = view.deferrables?.[ui] ?? initialDeferrableState();
    const P = u.cfg.nominal_kw;
    const windows: DeferrableWindowInput[] = [];
    for (let wi = st.window; wi < u.windows.length; wi++) {
      const w = u.windows[wi];
      if (w.startIndex >= i0 + steps) break;
      if (w.endIndex <= i0) continue;
      const remaining = Math.max(0, w.energyKwh - (wi === st.window ? st.deliveredKwh : 0));
      if (remaining <= DEFERRABLE_DONE_EPS_KWH) continue;
      // What it could still take after the horizon need not be done inside it.
      const afterHours = Math.max(0, w.endIndex - (i0 + steps)) * dt;
      const stepKwh = P * dt;
      windows.push({
        startStep: Math.max(0, w.startIndex - i0),
        endStep: Math.min(steps, w.endIndex - i0),
        requiredKwh: Math.max(0, remaining - P * afterHours),
        maxKwh: u.cfg.semi_continuous
          ? Math.ceil(remaining / stepKwh - DEFERRABLE_DONE_EPS_KWH) * stepKwh
          : remaining,
      });
    }
    return {
      id: u.id,
      nominalKw: P,
      semiContinuous: u.cfg.semi_continuous,
      startCostKrw: u.cfg.start_cost_krw,
      minOnSteps: durationSteps(u.cfg.min_on_hours, dt),
      minOffSteps: durationSteps(u.cfg.min_off_hours, dt),
      windows,
      initiallyOn: st.on,
      initialStateSteps: st.stateIntervals,
    };
  });
}

/** The dispatch of step `k` of a planned schedule: kW per deferrable load. */
export function deferrableDispatch(plannedKw: readonly Float64Array[], k: number): Float64Array {
  return Float64Array.from(plannedKw, (a) => (k < a.length ? a[k] : NaN));
}
