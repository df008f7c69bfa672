import { resolve } from 'node:path';
import { loadScenarioFile } from '../../src/model/load.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import { rulesStrategy } from '../../src/strategy/rules.ts';
import {
  controllerSpec,
  controllerStrategy,
  DEFAULT_LIMITS,
  persistenceForecaster,
  type ControllerLimits,
} from '../../src/testbed/index.ts';

export const FIXTURES = resolve(import.meta.dirname, 'fixtures');
export const EXAMPLES = resolve(import.meta.dirname, '../../examples/controllers');

const loaded = loadScenarioFile();
let cached: District | undefined;
/** One day of the reference district, prepared once per test file. */
export function oneDay(): District {
  cached ??= prepareDistrict(loaded.scenario, { days: 1, baseDir: loaded.baseDir });
  return cached;
}

export function rulesCostKrw(d: District): number {
  return computeKpis(d, runSimulation(d, rulesStrategy(d))).kpis.totalCostKrw;
}

/** Runs a controller over the day; the simulation always finishes (rules take over after a failure). */
export async function runController(file: string, limits: Partial<ControllerLimits> = {}) {
  const d = oneDay();
  const s = controllerStrategy(d, controllerSpec(file), (dd) => ({ forecaster: persistenceForecaster(dd) }), {
    ...DEFAULT_LIMITS,
    ...limits,
  });
  const result = runSimulation(d, s);
  const stats = await s.close();
  return { d, result, stats, kpis: computeKpis(d, result).kpis };
}
