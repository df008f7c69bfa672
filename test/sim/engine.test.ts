import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../src/sim/engine.ts';
import { getStrategy, strategyNames } from '../../src/scenario/strategies.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import { referenceDistrict } from './helpers.ts';

// Strategies that answer in milliseconds run the reference week; the optimizing ones (a MILP every
// hour) run its first day, which already covers every asset's behaviour.
const FAST = ['none', 'rules'];
const week = referenceDistrict(7);
const day = referenceDistrict(1);
const districtFor = (name: string) => (FAST.includes(name) ? week : day);
const results = Object.fromEntries(
  strategyNames().map((name) => [
    name,
    runSimulation(districtFor(name), getStrategy(name)(districtFor(name))),
  ]),
);
const d = week;

describe.each(strategyNames())('strategy %s on the reference district', (name) => {
  const r = results[name];
  const s = r.series;
  const d = districtFor(name);

  it('balances energy at every interval: grid + pv + battery = load + ev + bus + datacenter', () => {
    let worst = 0;
    for (let i = 0; i < d.grid.count; i++) {
      const supply = s.gridKw[i] + s.pvKw[i] + s.batteryKw[i];
      const demand = s.loadKw[i] + s.evKw[i] + s.busKw[i] + s.datacenterKw[i];
      worst = Math.max(worst, Math.abs(supply - demand));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('keeps every asset within its limits', () => {
    const b = d.batteries[0].cfg;
    for (let i = 0; i < d.grid.count; i++) {
      expect(s.batterySocKwh[i]).toBeGreaterThanOrEqual(b.soc_min * b.capacity_kwh - 1e-6);
      expect(s.batterySocKwh[i]).toBeLessThanOrEqual(b.soc_max * b.capacity_kwh + 1e-6);
      expect(s.batteryKw[i]).toBeLessThanOrEqual(b.max_discharge_kw + 1e-6);
      expect(s.batteryKw[i]).toBeGreaterThanOrEqual(-b.max_charge_kw - 1e-6);
      expect(s.pvKw[i]).toBeLessThanOrEqual(s.pvAvailableKw[i] + 1e-6);
      expect(s.exportKw[i]).toBeLessThanOrEqual(d.scenario.grid.export_limit_kw + 1e-6);
      expect(s.pvKw[i]).toBeGreaterThanOrEqual(0);
    }
    for (const dep of d.depots) {
      const chargingBuses = s.byAsset.get(dep.id)!;
      for (let i = 0; i < d.grid.count; i++)
        expect(chargingBuses[i]).toBeLessThanOrEqual(dep.cfg.chargers * dep.cfg.charger_kw + 1e-6);
    }
  });

  it('serves the fleets: buses leave charged and EVs get their energy', () => {
    expect(r.totals.busUnmetKwh).toBeLessThan(1);
    const asked = d.ev.flatMap((u) => u.sessions).reduce((x, ses) => x + ses.energyKwh, 0);
    expect(r.totals.evUnmetKwh / asked).toBeLessThan(0.01);
  });
});

describe('rules against none', () => {
  const none = computeKpis(d, results.none).kpis;
  const rules = computeKpis(d, results.rules).kpis;

  it('costs less and consumes more of its own PV', () => {
    expect(rules.totalCostKrw).toBeLessThan(none.totalCostKrw);
    expect(rules.selfConsumption).toBeGreaterThanOrEqual(none.selfConsumption);
  });

  it('does not raise the peak', () => {
    expect(rules.peakImportKw).toBeLessThanOrEqual(none.peakImportKw);
  });

  it('leaves the battery idle under none', () => {
    expect(none.batteryCycles).toBe(0);
    expect(rules.batteryCycles).toBeGreaterThan(0);
  });
});
