import { loadScenarioFile } from '../src/model/index.ts';
import { prepareDistrict } from '../src/sim/district.ts';
import { runSimulation } from '../src/sim/engine.ts';
import { getStrategy } from '../src/scenario/strategies.ts';
import { computeKpis } from '../src/report/kpis.ts';

/** A year of the reference district at 15 minutes under one strategy: preparation, stepping, KPIs. */
export async function benchSimulateYear(strategy = 'rules') {
  const { scenario, baseDir } = loadScenarioFile();
  const t0 = performance.now();
  const d = prepareDistrict(scenario, { start: '2026-01-01', days: 365, baseDir });
  const t1 = performance.now();
  const r = runSimulation(d, getStrategy(strategy)(d));
  const t2 = performance.now();
  computeKpis(d, r);
  const t3 = performance.now();
  return {
    strategy,
    intervals: d.grid.count,
    prepareMs: t1 - t0,
    simulateMs: t2 - t1,
    kpiMs: t3 - t2,
    totalMs: t3 - t0,
    intervalsPerSecond: d.grid.count / ((t2 - t1) / 1000),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchSimulateYear(process.argv[2]));
}
