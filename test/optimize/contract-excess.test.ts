import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { solveHorizon } from '../../src/optimize/build.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';
import { DEFAULT_PLAN_OPTIONS, problemFromView } from '../../src/optimize/horizon.ts';
import { initialView } from '../../src/optimize/view.ts';
import { persistenceForecast } from '../../src/forecast/planner-standin.ts';
import { EXCESS_PENALTY_TIERS } from '../../src/tariff/index.ts';
import { testBattery as battery } from './fixtures.ts';

// The contract-excess penalty (초과사용부가금) as a model term: where the connection lets import pass
// the contract demand, the plan pays for the worst 15-minute window above it, counting only what this
// month has not already exceeded by, and prefers any cheaper way to stay under it.

const PENALTY_KRW_PER_KW = 10_000;
/** Two 1-hour steps at 100 원/kWh, 120 kW of load then none, a 200 kW connection on a 100 kW contract. */
function overContract(monthMaxImportKw = 0) {
  const p = emptyProblem(2, 1);
  p.fixedLoadKw.set([120, 0]);
  p.importLimitKw.fill(200);
  p.contractExcess = { contractKw: 100, monthMaxImportKw, costKrwPerKw: PENALTY_KRW_PER_KW };
  return p;
}

describe('contract excess in the horizon model', () => {
  it('pays the penalty on the worst window when nothing can avoid it', () => {
    const r = solveHorizon(overContract());
    expect(r.result.status).toBe('optimal');
    expect(r.schedule!.contractExcessKw).toBeCloseTo(20, 6);
    expect(r.result.objective).toBeCloseTo(120 * 100 + 20 * PENALTY_KRW_PER_KW, 4);
  });

  it('counts only excess beyond what the month has already been billed for', () => {
    const r = solveHorizon(overContract(130));
    expect(r.schedule!.contractExcessKw).toBeCloseTo(30, 6);
    expect(r.result.objective).toBeCloseTo(120 * 100, 4);
  });

  it('discharges a battery it would rather keep full to stay under the contract', () => {
    // Stored energy is worth 150 원/kWh at the end, more than the 100 원 import: without the term the
    // battery keeps its 50 kWh (or tops it up) and imports at least the 120 kW; with it, 20 kW from the
    // battery beats 20 × 10,000 원.
    const p = overContract();
    p.terminalValueKrwPerKwh = 150;
    p.batteries = [{ id: 'b', cfg: battery(), socKwh: 50 }];
    const withTerm = solveHorizon(p).schedule!;
    expect(withTerm.importKw[0]).toBeLessThanOrEqual(100 + 1e-6);
    expect(withTerm.contractExcessKw).toBeCloseTo(0, 6);
    const without = solveHorizon({ ...p, contractExcess: undefined }).schedule!;
    expect(without.importKw[0]).toBeGreaterThanOrEqual(120 - 1e-6);
    expect(without.batteryKw[0][0]).toBeLessThanOrEqual(1e-6);
  });
});

describe('contract excess from a district', () => {
  const { scenario, baseDir } = loadScenarioFile();
  const problemFor = (importLimitKw: number) => {
    const s = structuredClone(scenario);
    s.grid.import_limit_kw = importLimitKw;
    const d = prepareDistrict(s, { start: '2026-08-03', days: 1, baseDir });
    const view = initialView(d, 40);
    const p = problemFromView(view, persistenceForecast(d), {
      ...DEFAULT_PLAN_OPTIONS,
      horizonHours: 4,
    });
    return { d, p, view };
  };

  it('adds no term where the import limit already holds import to the contract', () => {
    const { p } = problemFor(scenario.grid.contract_demand_kw);
    expect(p.contractExcess).toBeUndefined();
  });

  it('adds the term at the first tier over the horizon’s highest basic charge where import can pass it', () => {
    const { d, p, view } = problemFor(scenario.grid.contract_demand_kw + 2_000);
    const basic = Math.max(...d.prices.basicChargeKrwPerKw.slice(40, 40 + p.steps));
    // The month's highest import so far comes from the 10 hours the view was run to.
    expect(view.monthMaxImportKw).toBeGreaterThan(0);
    expect(p.contractExcess).toEqual({
      contractKw: scenario.grid.contract_demand_kw,
      monthMaxImportKw: view.monthMaxImportKw,
      costKrwPerKw: basic * EXCESS_PENALTY_TIERS[0][1],
    });
    expect(basic).toBeGreaterThan(0);
  });
});
