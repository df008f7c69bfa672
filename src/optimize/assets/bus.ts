import type { BuildContext } from './context.ts';
import type { HorizonProblem } from '../problem.ts';
import type { Term } from '../lp.ts';
import { assetBlockBounds } from '../blocks.ts';

// E-bus depot: each bus's stored energy across its timetable blocks. At the depot it charges (and, on
// one of the depot's V2G chargers, discharges) with the depot's efficiency; away on a block it drains
// the block's energy spread over the block, as the simulator does. Leaving for a block needs the
// block's departure SoC (soft, high penalty per missing kWh).
//
// Far ahead, steps are grouped into move blocks (blocks.ts): a bus holds one charge (and V2G) power
// over a block's depot steps and its stored energy is a column only at the block's end; a departure
// inside a block is checked against the energy built up to that step. Near steps are blocks of one.
//
// Stored energy stays within [0, max(soc_max × battery, measured)] as a hard bound, and at or above
// soc_min × battery at the end of every block, away or not: a kWh below that floor costs
// `busBelowFloorPenaltyKrwPerKwh` per step of the block, so the plan only goes there where it cannot help it (a bus
// measured below the floor, or one that cannot get its departure energy in time). The simulator never
// lets a bus discharge below the floor, so a plan that did would count on energy that never comes.
// A block whose drain the bus cannot cover even from empty takes the missing energy from a shortfall
// column at the unmet penalty, so the model never needs negative energy to stay feasible.
//
// Chargers: the simulator gives one bus one charger, at most `chargers` at once, of which at most
// `v2g_chargers` may discharge. The model limits power in aggregate (Σ power ≤ chargers × kW, Σ
// discharge ≤ V2G chargers × kW), which alone lets a plan spread power thinly over more buses than
// there are chargers. Counting with a binary per bus and step is exact but does not solve in time
// (see docs/optimizer.md), so solveHorizon (build.ts) rounds instead: where a solution uses more
// chargers or V2G chargers than the depot has, the buses it gave the least power there lose the
// charger (or its V2G) at that step, and the LP is solved again.
// Energy left in the buses at the end of the horizon is valued like the battery's.

export interface BusHandles {
  /**
   * Per depot, per bus: charge and discharge column per step (−1 where away or without a charger). A
   * block's depot steps share one column (move blocking, blocks.ts).
   */
  chargeCol: number[][][];
  dischargeCol: number[][][];
  /** Per depot, per bus, per step: the stored energy at the step's end (−1 except at a block's last step). */
  socCol: number[][][];
  unmetCol: number[][][];
  /** Per depot, per bus, per step: kWh below the floor at the end of the step (−1 except at a block's last step). */
  belowFloorCol: number[][][];
  /** Per depot, per bus: kWh of block drain the bus could not cover even from empty. */
  drainShortCol: number[][][];
  /** Per depot, per bus: the step each of those shortfalls is taken at (first step away). */
  drainShortStep: number[][][];
}

/** Below this a bus's power is solver noise, not a charger in use (as the dispatch, mpc.ts). */
export const BUS_CHARGER_EPS_KW = 1e-3;

/**
 * Per depot, which bus may not discharge at which step (key: bus × steps + step). Filled by
 * `restrictV2g`.
 */
export interface ChargerRestrictions {
  noV2g: Set<number>;
}

export function noChargerRestrictions(p: HorizonProblem): ChargerRestrictions[] {
  return p.depots.map(() => ({ noV2g: new Set<number>() }));
}

/** One bus's columns, per step (−1 where it has none) or per row added. */
interface BusColumns {
  ch: number[];
  dis: number[];
  soc: number[];
  below: number[];
  unmet: number[];
  short: number[];
  shortStep: number[];
}

/** The depot's per-step charger rows collect each bus's charge and V2G columns here. */
interface DepotChargers {
  chargeByStep: Term[][];
  dischargeByStep: Term[][];
}

export function addBuses(
  ctx: BuildContext,
  restrictions: readonly ChargerRestrictions[] = noChargerRestrictions(ctx.p),
): BusHandles {
  const { m, p } = ctx;
  const bounds = assetBlockBounds(p, 'buses');
  const h: BusHandles = {
    chargeCol: [],
    dischargeCol: [],
    socCol: [],
    unmetCol: [],
    belowFloorCol: [],
    drainShortCol: [],
    drainShortStep: [],
  };
  p.depots.forEach((dep, di) => {
    const cfg = dep.cfg;
    const chargers: DepotChargers = {
      chargeByStep: Array.from({ length: p.steps }, () => []),
      dischargeByStep: Array.from({ length: p.steps }, () => []),
    };
    const cols = dep.buses.map((_, bi) => addBus(ctx, di, bi, bounds, restrictions[di], chargers));
    for (let k = 0; k < p.steps; k++) {
      if (chargers.chargeByStep[k].length === 0) continue;
      m.addRow(
        `d${di}_chg_${k}`,
        [...chargers.chargeByStep[k], ...chargers.dischargeByStep[k]],
        -Infinity,
        cfg.chargers * cfg.charger_kw,
      );
      if (chargers.dischargeByStep[k].length > 0)
        m.addRow(
          `d${di}_v2g_${k}`,
          chargers.dischargeByStep[k],
          -Infinity,
          cfg.v2g_chargers * cfg.charger_kw,
        );
    }
    h.chargeCol.push(cols.map((c) => c.ch));
    h.dischargeCol.push(cols.map((c) => c.dis));
    h.socCol.push(cols.map((c) => c.soc));
    h.unmetCol.push(cols.map((c) => c.unmet));
    h.belowFloorCol.push(cols.map((c) => c.below));
    h.drainShortCol.push(cols.map((c) => c.short));
    h.drainShortStep.push(cols.map((c) => c.shortStep));
  });
  return h;
}

/** One bus of depot `di`: its blocks' charge, V2G, state, floor, shortfall and departure rows. */
function addBus(
  ctx: BuildContext,
  di: number,
  bi: number,
  bounds: Int32Array,
  rules: ChargerRestrictions,
  chargers: DepotChargers,
): BusColumns {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const dep = p.depots[di];
  const bus = dep.buses[bi];
  const cfg = dep.cfg;
  const eta = cfg.charging_efficiency;
  const capKwh = cfg.battery_kwh;
  const floorKwh = cfg.soc_min * capKwh;
  const consumptionCost = p.weights.cost * p.consumptionCostKrwPerKwh * dt;
  const name = `d${di}b${bi}`;
  const out: BusColumns = {
    ch: new Array<number>(p.steps).fill(-1),
    dis: new Array<number>(p.steps).fill(-1),
    soc: new Array<number>(p.steps).fill(-1),
    below: new Array<number>(p.steps).fill(-1),
    unmet: [],
    short: [],
    shortStep: [],
  };
  const requiredAt = new Map<number, number>();
  for (const req of bus.requirements)
    if (req.step > 0 && req.step <= p.steps)
      requiredAt.set(req.step, Math.max(requiredAt.get(req.step) ?? 0, req.socKwh));
  const hiKwh = Math.max(cfg.soc_max * capKwh, bus.socKwh);
  // The stored energy at the start of the block: a column (the previous block's end) or, in the
  // first block, the measured value.
  let prev = -1;
  const requirement = (step: number, terms: () => Term[], knownKwh: number) => {
    const needKwh = requiredAt.get(step);
    if (needKwh === undefined) return;
    const u = m.addVar(`${name}_u_${step}`, 0, needKwh, p.unmetPenaltyKrwPerKwh);
    m.addRow(`${name}_req_${step}`, [...terms(), { col: u, coef: 1 }], needKwh - knownKwh, Infinity);
    out.unmet.push(u);
  };
  for (let b = 0; b + 1 < bounds.length; b++) {
    const s0 = bounds[b];
    const s1 = bounds[b + 1];
    // One charge (and V2G) power for the block's depot steps: its mean while at the depot.
    let hereSteps = 0;
    let v2gEverywhere = cfg.v2g_chargers > 0;
    for (let k = s0; k < s1; k++)
      if (bus.atDepot[k] === 1) {
        hereSteps++;
        if (rules.noV2g.has(bi * p.steps + k)) v2gEverywhere = false;
      }
    let c = -1;
    let d = -1;
    if (hereSteps > 0) {
      c = m.addVar(`${name}_c_${s0}`, 0, cfg.charger_kw, consumptionCost * hereSteps);
      if (v2gEverywhere) d = m.addVar(`${name}_d_${s0}`, 0, cfg.charger_kw, -consumptionCost * hereSteps);
      for (let k = s0; k < s1; k++) {
        if (bus.atDepot[k] !== 1) continue;
        ctx.balance.add(k, c, -1);
        chargers.chargeByStep[k].push({ col: c, coef: 1 });
        out.ch[k] = c;
        if (d >= 0) {
          ctx.balance.add(k, d, 1);
          chargers.dischargeByStep[k].push({ col: d, coef: 1 });
          out.dis[k] = d;
        }
      }
    }
    // Stored energy at the start of step k inside the block:
    //   prev + (η c − d / η) dt · (depot steps before k) − drain before k + shortfalls before k.
    let depotBefore = 0;
    let drainBeforeKwh = 0;
    const shortTerms: Term[] = [];
    const stateTerms = (): Term[] => {
      const t: Term[] = [...shortTerms];
      if (prev >= 0) t.push({ col: prev, coef: 1 });
      if (depotBefore > 0 && c >= 0) t.push({ col: c, coef: eta * dt * depotBefore });
      if (depotBefore > 0 && d >= 0) t.push({ col: d, coef: (-dt / eta) * depotBefore });
      return t;
    };
    const knownKwh = () => (prev >= 0 ? 0 : bus.socKwh) - drainBeforeKwh;
    for (let k = s0; k < s1; k++) {
      requirement(k, stateTerms, knownKwh());
      if (bus.atDepot[k] === 1) depotBefore++;
      else if (bus.drainKwh[k] > 0 && (k === 0 || bus.atDepot[k - 1] === 1)) {
        // First step away (of a block, or of the horizon): whatever of the block's remaining drain
        // the bus cannot cover from what it has. Taken up front so no state on the way is negative.
        let stretchKwh = 0;
        for (let j = k; j < p.steps && bus.atDepot[j] === 0; j++) stretchKwh += bus.drainKwh[j];
        // Each kWh it adds also lifts every later state, which the floor penalty would pay for; so
        // it costs more than that, or the plan would "buy" energy this way beyond what is missing.
        const shortCost = p.unmetPenaltyKrwPerKwh + p.busBelowFloorPenaltyKrwPerKwh * (p.steps - k);
        const sh = m.addVar(`${name}_short_${k}`, 0, stretchKwh, shortCost);
        shortTerms.push({ col: sh, coef: 1 });
        out.short.push(sh);
        out.shortStep.push(k);
      }
      drainBeforeKwh += bus.drainKwh[k];
    }
    // s(end) = the state after the block's last step; its floor is soft, paid per step of the block.
    const s = m.addVar(`${name}_s_${s1}`, 0, hiKwh, 0);
    const terms = stateTerms().map((t) => ({ col: t.col, coef: -t.coef }));
    terms.push({ col: s, coef: 1 });
    m.addRow(`${name}_soc_${s1 - 1}`, terms, knownKwh(), knownKwh());
    const u = m.addVar(`${name}_below_${s1}`, 0, floorKwh, p.busBelowFloorPenaltyKrwPerKwh * (s1 - s0));
    m.addRow(
      `${name}_floor_${s1}`,
      [
        { col: s, coef: 1 },
        { col: u, coef: 1 },
      ],
      floorKwh,
      Infinity,
    );
    out.soc[s1 - 1] = s;
    out.below[s1 - 1] = u;
    prev = s;
  }
  if (requiredAt.has(p.steps)) requirement(p.steps, () => [{ col: prev, coef: 1 }], 0);
  if (prev >= 0) m.addCost(prev, -p.weights.cost * p.terminalValueKrwPerKwh);
  return out;
}

/**
 * A bus's planned stored energy at the end of every step, kWh: the block-end states the model keeps,
 * and in between the same balance carried step by step (charge, V2G, drain and shortfall).
 */
export function busSocByStep(
  p: HorizonProblem,
  h: BusHandles,
  di: number,
  bi: number,
  x: ArrayLike<number>,
): Float64Array {
  const dep = p.depots[di];
  const bus = dep.buses[bi];
  const eta = dep.cfg.charging_efficiency;
  const dt = p.stepHours;
  const val = (c: number) => (c >= 0 ? x[c] : 0);
  const shortAt = new Map<number, number>();
  h.drainShortStep[di][bi].forEach((k, j) => shortAt.set(k, val(h.drainShortCol[di][bi][j])));
  const out = new Float64Array(p.steps);
  let socKwh = bus.socKwh;
  for (let k = 0; k < p.steps; k++) {
    const kept = h.socCol[di][bi][k];
    socKwh +=
      eta * dt * val(h.chargeCol[di][bi][k]) -
      (dt / eta) * val(h.dischargeCol[di][bi][k]) -
      bus.drainKwh[k] +
      (shortAt.get(k) ?? 0);
    // The model's own state where it has one (equal up to the solver's tolerance).
    if (kept >= 0) socKwh = x[kept];
    out[k] = socKwh;
  }
  return out;
}

/**
 * The depot's V2G chargers handed out before solving, so a plan never discharges more buses at once
 * than there are V2G chargers and the horizon solves once: at each step, the buses at the depot with
 * the longest stay still ahead (the most time to charge back before they leave) hold them. Every
 * other bus may charge there but not discharge.
 */
export function v2gAssignment(p: HorizonProblem): ChargerRestrictions[] {
  return p.depots.map((dep) => {
    const noV2g = new Set<number>();
    if (dep.cfg.v2g_chargers <= 0) return { noV2g };
    // Steps each bus still stays at the depot from step k on (0 where it is away).
    const stayAhead = dep.buses.map((bus) => {
      const a = new Int32Array(p.steps + 1);
      for (let k = p.steps - 1; k >= 0; k--) a[k] = bus.atDepot[k] === 1 ? a[k + 1] + 1 : 0;
      return a;
    });
    for (let k = 0; k < p.steps; k++) {
      const here = dep.buses.map((_, bi) => bi).filter((bi) => dep.buses[bi].atDepot[k] === 1);
      here.sort((a, b) => stayAhead[b][k] - stayAhead[a][k] || a - b);
      for (const bi of here.slice(dep.cfg.v2g_chargers)) noV2g.add(bi * p.steps + k);
    }
    return { noV2g };
  });
}

/**
 * Where a solution discharges more buses at once than the depot has V2G chargers, settles that step
 * for good: the buses it discharged hardest keep V2G there, every other bus loses it at that step (so
 * the step cannot break the count again and the rounds end). Only optional discharge is taken away;
 * charging, and so every departure, is left as it was. Returns whether anything was taken.
 */
export function restrictV2g(
  p: HorizonProblem,
  h: BusHandles,
  x: ArrayLike<number>,
  restrictions: readonly ChargerRestrictions[],
): boolean {
  const val = (c: number) => (c >= 0 ? x[c] : 0);
  let changed = false;
  p.depots.forEach((dep, di) => {
    const cfg = dep.cfg;
    const rules = restrictions[di];
    for (let k = 0; k < p.steps; k++) {
      const here: { bi: number; kw: number }[] = [];
      dep.buses.forEach((_, bi) => {
        if (h.dischargeCol[di][bi][k] < 0) return;
        here.push({ bi, kw: val(h.chargeCol[di][bi][k]) - val(h.dischargeCol[di][bi][k]) });
      });
      if (here.filter((w) => w.kw < -BUS_CHARGER_EPS_KW).length <= cfg.v2g_chargers) continue;
      changed = true;
      here.sort((a, b) => a.kw - b.kw);
      for (const w of here.slice(cfg.v2g_chargers)) rules.noV2g.add(w.bi * p.steps + k);
    }
  });
  return changed;
}
