import type { BuildContext } from './context.ts';

// Stationary battery: SoC dynamics with the round-trip efficiency split evenly over charge and
// discharge (as the simulator's battery), power and SoC limits, degradation cost per kWh through
// the terminals, the stored energy left at the end valued at `terminalValueKrwPerKwh`, and an optional
// end-of-horizon SoC target (`soc_target_end`).
// Charging and discharging at once only burns energy; with positive prices and no other sink that
// is never optimal, so by default the LP relaxation is solved and binaries are added only if a
// solution does it anyway (possible when energy has negative value: negative export prices with
// curtailment exhausted, or a penalty that pays for wasting energy).

export interface BatteryHandles {
  chargeCol: number[][];
  dischargeCol: number[][];
  socCol: number[][];
  binaryCol: number[][];
}

/** Below this both directions at once is solver noise, not a decision. */
const EPS_KW = 1e-3;

export function addBatteries(ctx: BuildContext, withBinaries: boolean): BatteryHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const h: BatteryHandles = { chargeCol: [], dischargeCol: [], socCol: [], binaryCol: [] };
  p.batteries.forEach((b, bi) => {
    const cfg = b.cfg;
    const eta = Math.sqrt(cfg.round_trip_efficiency);
    const lo = cfg.soc_min * cfg.capacity_kwh;
    const hi = cfg.soc_max * cfg.capacity_kwh;
    const s0 = Math.min(hi, Math.max(lo, b.socKwh));
    const ch: number[] = [];
    const dis: number[] = [];
    const soc: number[] = [];
    const bin: number[] = [];
    const deg = ctx.p.weights.cost * cfg.degradation_cost_krw_per_kwh * dt;
    let prev = -1;
    for (let k = 0; k < p.steps; k++) {
      const c = m.addVar(`b${bi}_c_${k}`, 0, cfg.max_charge_kw, deg);
      const d = m.addVar(`b${bi}_d_${k}`, 0, cfg.max_discharge_kw, deg);
      const s = m.addVar(`b${bi}_s_${k + 1}`, lo, hi, 0);
      // s[k+1] − s[k] − η c dt + d dt / η = 0, with s[0] the measured SoC.
      const terms = [
        { col: s, coef: 1 },
        { col: c, coef: -eta * dt },
        { col: d, coef: dt / eta },
      ];
      if (prev >= 0) terms.push({ col: prev, coef: -1 });
      m.addRow(`b${bi}_soc_${k}`, terms, prev >= 0 ? 0 : s0, prev >= 0 ? 0 : s0);
      if (withBinaries) {
        const z = m.addVar(`b${bi}_z_${k}`, 0, 1, 0, true);
        m.addRow(
          `b${bi}_zc_${k}`,
          [
            { col: c, coef: 1 },
            { col: z, coef: -cfg.max_charge_kw },
          ],
          -Infinity,
          0,
        );
        m.addRow(
          `b${bi}_zd_${k}`,
          [
            { col: d, coef: 1 },
            { col: z, coef: cfg.max_discharge_kw },
          ],
          -Infinity,
          cfg.max_discharge_kw,
        );
        bin.push(z);
      }
      ctx.balance.add(k, d, 1);
      ctx.balance.add(k, c, -1);
      ch.push(c);
      dis.push(d);
      soc.push(s);
      prev = s;
    }
    if (prev >= 0) m.addCost(prev, -p.weights.cost * p.terminalValueKrwPerKwh);
    // End-of-horizon target: s[N] + short ≥ target, the shortfall (from a start too low to reach it)
    // paid as energy not delivered, so the target holds whenever it can.
    if (prev >= 0 && cfg.soc_target_end !== undefined) {
      const targetKwh = Math.min(hi, Math.max(lo, cfg.soc_target_end * cfg.capacity_kwh));
      const short = m.addVar(`b${bi}_short`, 0, targetKwh, p.unmetPenaltyKrwPerKwh);
      m.addRow(
        `b${bi}_target`,
        [
          { col: prev, coef: 1 },
          { col: short, coef: 1 },
        ],
        targetKwh,
        Infinity,
      );
    }
    h.chargeCol.push(ch);
    h.dischargeCol.push(dis);
    h.socCol.push(soc);
    h.binaryCol.push(bin);
  });
  return h;
}

/** Whether a solution charges and discharges some battery in the same step. */
export function simultaneousChargeDischarge(h: BatteryHandles, x: ArrayLike<number>): boolean {
  for (let b = 0; b < h.chargeCol.length; b++)
    for (let k = 0; k < h.chargeCol[b].length; k++)
      if (x[h.chargeCol[b][k]] > EPS_KW && x[h.dischargeCol[b][k]] > EPS_KW) return true;
  return false;
}
