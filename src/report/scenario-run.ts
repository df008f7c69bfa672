import type { Bill } from '../tariff/index.ts';
import type { District } from '../sim/district.ts';
import type { SimResult } from '../sim/engine.ts';
import type { Kpis } from './kpis.ts';

// What a scenario run hands to the reports: each strategy's result on one prepared district. The
// runner (src/scenario/run.ts) fills it; the reports only read it, so the type lives here, below both.

export interface StrategyRun {
  strategy: string;
  kpis: Kpis;
  bill: Bill;
  result: SimResult;
  runtimeMs: number;
}

export interface ScenarioRun {
  scenarioName: string;
  scenarioFile: string;
  /** First interval start, ISO 8601 with the district's offset. */
  start: string;
  days: number;
  intervalMinutes: number;
  seed?: number;
  tariffSchedules: string[];
  district: District;
  runs: StrategyRun[];
}
