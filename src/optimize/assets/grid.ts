import type { BuildContext } from './context.ts';
import type { ContractExcessInput } from '../problem.ts';

// Grid connection: import and export within their per-step limits (the connection's, tightened by
// DR signals) at the time-of-use and SMP prices (or a signal's), a soft DR import target, the
// demand charge on a peak variable that starts from the billing demand already set, and the hourly
// RE100 account. Simultaneous import and export is never chosen while import costs more than export
// pays (always so under KEPCO rates and SMP), so no binary is needed.

export interface GridHandles {
  importCol: number[];
  exportCol: number[];
  overloadCol: number[];
  /** Per step, import above the DR target (−1 where no target applies). */
  aboveTargetCol: number[];
  peakCol: number;
  /** Import above the contract demand in the worst 15-minute window, kW (−1 without the term). */
  excessCol: number;
}

export function addGrid(ctx: BuildContext): GridHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const w = p.weights;
  const h: GridHandles = {
    importCol: [],
    exportCol: [],
    overloadCol: [],
    aboveTargetCol: [],
    peakCol: -1,
    excessCol: -1,
  };
  for (let k = 0; k < p.steps; k++) {
    const imp = m.addVar(`g_imp_${k}`, 0, Math.max(0, p.importLimitKw[k]), ctx.importCostKrwPerKwh[k] * dt);
    const exp = m.addVar(
      `g_exp_${k}`,
      0,
      Math.max(0, p.exportLimitKw[k]),
      -w.cost * p.exportPriceKrwPerKwh[k] * dt,
    );
    // Import above the limit only when nothing else balances the bus, at a prohibitive price.
    const over = m.addVar(`g_over_${k}`, 0, Infinity, p.overloadPenaltyKrwPerKw * dt);
    ctx.balance.add(k, imp, 1);
    ctx.balance.add(k, over, 1);
    ctx.balance.add(k, exp, -1);
    h.importCol.push(imp);
    h.exportCol.push(exp);
    h.overloadCol.push(over);
    // DR import target: a soft cap, imp + over − above ≤ target, the excess paid at the target
    // penalty. Only steps with a target get the column and row.
    let above = -1;
    if (Number.isFinite(p.importTargetKw[k])) {
      above = m.addVar(`g_abv_${k}`, 0, Infinity, p.importTargetPenaltyKrwPerKwh * dt);
      m.addRow(
        `g_tgt_${k}`,
        [
          { col: imp, coef: 1 },
          { col: over, coef: 1 },
          { col: above, coef: -1 },
        ],
        -Infinity,
        Math.max(0, p.importTargetKw[k]),
      );
    }
    h.aboveTargetCol.push(above);
  }
  // Demand charge: every 15-minute window that counts sets a lower bound on the peak. Only the part
  // above the billing demand already in force costs anything (the constant is the offset).
  const peakCost = w.cost * p.peakCostKrwPerKw * p.taxFactor;
  h.peakCol = m.addVar('g_peak', p.billingDemandKw, Infinity, peakCost);
  m.objectiveOffset -= peakCost * p.billingDemandKw;
  const win = Math.max(1, p.demandWindowSteps);
  for (let k0 = 0; k0 + win <= p.steps; k0 += win) {
    const last = k0 + win - 1;
    if (!p.countsForDemand[last]) continue;
    const terms = [{ col: h.peakCol, coef: -1 }];
    let reserveKw = 0;
    for (let k = k0; k <= last; k++) {
      terms.push({ col: h.importCol[k], coef: 1 / win });
      terms.push({ col: h.overloadCol[k], coef: 1 / win });
      reserveKw += p.peakReserveKw[k] / win;
    }
    // The window's mean import plus the reserve against forecast error stays under the peak.
    m.addRow(`g_peak_${k0}`, terms, -Infinity, -reserveKw);
  }
  if (p.contractExcess) h.excessCol = addContractExcess(ctx, h, p.contractExcess);
  // Hourly RE100: unmatched energy of an hour ≥ its import minus PPA delivery (on-site PV consumed
  // on site is clean by construction, so import is what clean supply failed to cover).
  if (w.re100KrwPerKwh > 0) {
    let k = 0;
    while (k < p.steps) {
      const key = p.hourKey[k];
      const u = m.addVar(`g_unm_${k}`, 0, Infinity, w.re100KrwPerKwh);
      const terms = [{ col: u, coef: 1 }];
      let ppaKwh = 0;
      for (; k < p.steps && p.hourKey[k] === key; k++) {
        terms.push({ col: h.importCol[k], coef: -dt });
        ppaKwh += p.ppaKw[k] * dt;
      }
      m.addRow(`g_unmr_${k}`, terms, -ppaKwh, Infinity);
    }
  }
  return h;
}

/**
 * The contract-excess penalty: every 15-minute window, at any hour, bounds one excess column from
 * below, and only the part above what this month's import has already exceeded by costs anything
 * (as with the peak). The penalty is linear at the first tier's multiplier: exact up to the second
 * tier's ratio (20 % over the contract), an underestimate beyond it.
 */
function addContractExcess(ctx: BuildContext, h: GridHandles, c: ContractExcessInput): number {
  const { m, p } = ctx;
  const cost = p.weights.cost * c.costKrwPerKw * p.taxFactor;
  const alreadyKw = Math.max(0, c.monthMaxImportKw - c.contractKw);
  const col = m.addVar('g_excess', alreadyKw, Infinity, cost);
  m.objectiveOffset -= cost * alreadyKw;
  const win = Math.max(1, p.demandWindowSteps);
  for (let k0 = 0; k0 + win <= p.steps; k0 += win) {
    const terms = [{ col, coef: -1 }];
    for (let k = k0; k < k0 + win; k++) {
      terms.push({ col: h.importCol[k], coef: 1 / win });
      terms.push({ col: h.overloadCol[k], coef: 1 / win });
    }
    m.addRow(`g_excess_${k0}`, terms, -Infinity, c.contractKw);
  }
  return col;
}
