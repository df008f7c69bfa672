import type { BuildContext } from './context.ts';

// E-bus depot: each bus's SoC across its timetable blocks. At the depot it charges (and, on the
// depot's V2G chargers, discharges) through a charger with the depot's efficiency; away on a block
// it drains the block's energy spread over the block, as the simulator does. Leaving for a block
// needs the block's departure SoC (soft, high penalty per missing kWh). Chargers are limited in
// aggregate — total charging power ≤ chargers × charger_kw, V2G power ≤ v2g_chargers × charger_kw —
// rather than with a binary per bus and step; the dispatch hands chargers to the most urgent buses.
// Energy left in the buses at the end of the horizon is valued like the battery's.

export interface BusHandles {
  /** Per depot, per bus: charge and discharge column per step (−1 where away). */
  chargeCol: number[][][];
  dischargeCol: number[][][];
  socCol: number[][][];
  unmetCol: number[][][];
}

export function addBuses(ctx: BuildContext): BusHandles {
  const { m, p } = ctx;
  const dt = p.stepHours;
  const h: BusHandles = { chargeCol: [], dischargeCol: [], socCol: [], unmetCol: [] };
  const consumptionCost = p.weights.cost * p.consumptionCostKrwPerKwh * dt;
  p.depots.forEach((dep, di) => {
    const cfg = dep.cfg;
    const eta = cfg.charging_efficiency;
    const capKwh = cfg.battery_kwh;
    const v2g = cfg.v2g_chargers > 0;
    const chargeByStep: { col: number; coef: number }[][] = Array.from({ length: p.steps }, () => []);
    const dischargeByStep: { col: number; coef: number }[][] = Array.from({ length: p.steps }, () => []);
    const depCh: number[][] = [];
    const depDis: number[][] = [];
    const depSoc: number[][] = [];
    const depUnmet: number[][] = [];
    dep.buses.forEach((bus, bi) => {
      const name = `d${di}b${bi}`;
      const ch: number[] = [];
      const dis: number[] = [];
      const soc: number[] = [];
      const hiKwh = Math.max(cfg.soc_max * capKwh, bus.socKwh);
      let prev = -1;
      for (let k = 0; k < p.steps; k++) {
        const here = bus.atDepot[k] === 1;
        // Before its first departure a bus keeps soc_min (or what it has); after a block the arrival
        // SoC is whatever the block left, so no lower bound there (the simulator clamps V2G).
        const loKwh = k < bus.firstDepartureStep ? Math.min(cfg.soc_min * capKwh, bus.socKwh) : -Infinity;
        const s = m.addVar(`${name}_s_${k + 1}`, loKwh, hiKwh, 0);
        const terms = [{ col: s, coef: 1 }];
        if (prev >= 0) terms.push({ col: prev, coef: -1 });
        let c = -1;
        let d = -1;
        if (here) {
          c = m.addVar(`${name}_c_${k}`, 0, cfg.charger_kw, consumptionCost);
          terms.push({ col: c, coef: -eta * dt });
          ctx.balance.add(k, c, -1);
          chargeByStep[k].push({ col: c, coef: 1 });
          if (v2g) {
            d = m.addVar(`${name}_d_${k}`, 0, cfg.charger_kw, -consumptionCost);
            terms.push({ col: d, coef: dt / eta });
            ctx.balance.add(k, d, 1);
            dischargeByStep[k].push({ col: d, coef: 1 });
          }
        }
        // s[k+1] = s[k] + η c dt − d dt / η − drain[k]
        const rhs = -bus.drainKwh[k] + (prev >= 0 ? 0 : bus.socKwh);
        m.addRow(`${name}_soc_${k}`, terms, rhs, rhs);
        ch.push(c);
        dis.push(d);
        soc.push(s);
        prev = s;
      }
      const unmet: number[] = [];
      for (const req of bus.requirements) {
        if (req.step <= 0 || req.step > p.steps) continue;
        const u = m.addVar(`${name}_u_${req.step}`, 0, req.socKwh, p.unmetPenaltyKrwPerKwh);
        m.addRow(
          `${name}_req_${req.step}`,
          [
            { col: soc[req.step - 1], coef: 1 },
            { col: u, coef: 1 },
          ],
          req.socKwh,
          Infinity,
        );
        unmet.push(u);
      }
      if (prev >= 0) m.addCost(prev, -p.weights.cost * p.terminalValueKrwPerKwh);
      depCh.push(ch);
      depDis.push(dis);
      depSoc.push(soc);
      depUnmet.push(unmet);
    });
    for (let k = 0; k < p.steps; k++) {
      if (chargeByStep[k].length === 0) continue;
      m.addRow(
        `d${di}_chg_${k}`,
        [...chargeByStep[k], ...dischargeByStep[k]],
        -Infinity,
        cfg.chargers * cfg.charger_kw,
      );
      if (dischargeByStep[k].length > 0)
        m.addRow(`d${di}_v2g_${k}`, dischargeByStep[k], -Infinity, cfg.v2g_chargers * cfg.charger_kw);
    }
    h.chargeCol.push(depCh);
    h.dischargeCol.push(depDis);
    h.socCol.push(depSoc);
    h.unmetCol.push(depUnmet);
  });
  return h;
}
