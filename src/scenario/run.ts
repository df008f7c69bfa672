import { loadScenarioFile, type LoadedScenario } from '../model/load.ts';
import { toIsoLocal } from '../model/time.ts';
import { getStrategy, strategyNames } from './strategies.ts';
import { computeKpis } from '../report/kpis.ts';
import type { ScenarioRun, StrategyRun } from '../report/scenario-run.ts';
import { prepareDistrict } from '../sim/district.ts';
import { runSimulation } from '../sim/engine.ts';

export type { ScenarioRun, StrategyRun };

export interface SimulateOptions {
  scenarioFile?: string;
  loaded?: LoadedScenario;
  start?: string;
  days: number;
  strategies?: string[];
  seed?: number;
  /** Progress of the whole run: strategy name, intervals done and total. */
  onProgress?: (strategy: string, done: number, total: number) => void;
}

/** Prepares the district once and runs each strategy on it. */
export function simulateScenario(opts: SimulateOptions): ScenarioRun {
  const loaded = opts.loaded ?? loadScenarioFile(opts.scenarioFile);
  const names = opts.strategies ?? strategyNames();
  const factories = names.map((n) => ({ name: n, factory: getStrategy(n) }));
  const district = prepareDistrict(loaded.scenario, {
    start: opts.start,
    days: opts.days,
    seed: opts.seed,
    baseDir: loaded.baseDir,
  });
  const runs: StrategyRun[] = [];
  for (const { name, factory } of factories) {
    const strategy = factory(district);
    const result = runSimulation(district, strategy, {
      onProgress: opts.onProgress ? (done, total) => opts.onProgress!(name, done, total) : undefined,
    });
    const { kpis, bill } = computeKpis(district, result);
    runs.push({ strategy: name, kpis, bill, result, runtimeMs: result.runtimeMs });
  }
  const schedules = new Set<string>();
  for (let i = 0; i < district.grid.count; i += Math.max(1, Math.round(1440 / district.grid.intervalMinutes)))
    schedules.add(
      district.tariff.scheduleAt(district.grid.startMs + i * district.grid.intervalMinutes * 60_000),
    );
  return {
    scenarioName: loaded.scenario.name,
    scenarioFile: loaded.file,
    start: toIsoLocal(district.grid.startMs, district.zone),
    days: opts.days,
    intervalMinutes: district.grid.intervalMinutes,
    seed: opts.seed,
    tariffSchedules: [...schedules],
    district,
    runs,
  };
}

/** The `--json` document and kpis.json. */
export function runSummary(run: ScenarioRun) {
  return {
    scenario: run.scenarioName,
    start: run.start,
    days: run.days,
    intervalMinutes: run.intervalMinutes,
    results: run.runs.map((r) => ({
      strategy: r.strategy,
      kpis: r.kpis,
      runtimeMs: Math.round(r.runtimeMs),
    })),
  };
}
