import type { Scenario } from '../model/schema.ts';
import { prepareDistrict, type District } from '../sim/district.ts';
import { runSimulation, type SimResult } from '../sim/engine.ts';
import { computeKpis, type Kpis } from '../report/kpis.ts';
import { getStrategy } from '../scenario/strategies.ts';
import { toIsoLocal } from '../model/time.ts';
import { BILLING_DEMAND_FLOOR_FRACTION, DEMAND_INTERVAL_MINUTES } from '../tariff/index.ts';
import {
  caseScenario,
  caseSignals,
  unannouncedPicker,
  type ChallengeCase,
  type ChallengeSet,
} from './challenge.ts';
import { DEFAULT_LIMITS, type ControllerLimits, type ControllerSpec, type Failure } from './host.ts';
import { districtForecaster, persistenceForecaster } from './observation.ts';
import { controllerStrategy } from './strategy.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import type { Contender } from './score-types.ts';

export type { Contender };

// Scores a controller over a challenge set beside the built-in strategies: every case is prepared
// once and every contender runs on the same district, so their figures compare like for like.

export interface CaseScore {
  caseId: string;
  strategy: string;
  status: 'ok' | 'failed';
  failure?: Failure;
  /** The run's cost (bill with the demand charge prorated to its days, PPA, certificates, wear), KRW. */
  costKrw: number;
  /** What the run's new billing-demand peak costs over the 12-month ratchet, KRW (before VAT). */
  newPeakCost12MonthsKrw: number;
  /** costKrw + newPeakCost12MonthsKrw: the figure contenders are ranked on. */
  totalCostKrw: number;
  peakImportKw: number;
  re100HourlyMatching: number;
  co2Kg: number;
  consumptionKwh: number;
  unmetKwh: number;
  evUnmetKwh: number;
  busUnmetKwh: number;
  deadlineMisses: number;
  /** Energy imported above DR import limits while they held, kWh. */
  drExcessKwh: number;
  clamps: number;
  failedDecisions: number;
  decisions: number;
  meanDecisionMs: number;
  maxDecisionMs: number;
  /** For the report: import per interval, kW. */
  importKw?: number[];
}

export interface Scorecard {
  protocol: string;
  challengeSet: { name: string; version: string };
  scenario: string;
  controller: string;
  limits: ControllerLimits;
  cases: { id: string; description: string; start: string; days: number; seed: number; timesMs: number[] }[];
  /** Ranked by totalCostKrw; a failed controller is ranked but marked. */
  leaderboard: Contender[];
  results: CaseScore[];
}

export interface TestbedOptions {
  scenario: Scenario;
  baseDir: string;
  set: ChallengeSet;
  controller: ControllerSpec;
  limits?: ControllerLimits;
  /** Override the set's baselines (tests). */
  baselines?: string[];
  onProgress?: (what: string) => void;
  warn?: (m: string) => void;
}

function newPeakCost(d: District, r: SimResult): { peakKw: number; costKrw: number } {
  const g = d.scenario.grid;
  const before = Math.max(
    g.tariff.ratchet_history_peak_kw,
    BILLING_DEMAND_FLOOR_FRACTION * g.contract_demand_kw,
  );
  const w = Math.max(1, Math.round(DEMAND_INTERVAL_MINUTES / d.grid.intervalMinutes));
  let peakKw = 0;
  let peakAt = -1;
  for (let i = 0; i + w <= d.grid.count; i += w) {
    let sum = 0;
    for (let k = i; k < i + w; k++) sum += r.series.importKw[k];
    const avgKw = sum / w;
    if (d.prices.countsForDemand[i + w - 1] && avgKw > peakKw) {
      peakKw = avgKw;
      peakAt = i + w - 1;
    }
  }
  if (peakAt < 0 || peakKw <= before) return { peakKw, costKrw: 0 };
  return { peakKw, costKrw: (peakKw - before) * d.prices.peakCostKrwPerKw[peakAt] };
}

function drExcessKwh(d: District, r: SimResult, c: ChallengeCase): number {
  let kwh = 0;
  for (const s of caseSignals(d, c))
    for (let i = 0; i < d.grid.count; i++) {
      const t = d.grid.startMs + i * d.grid.intervalMinutes * 60_000;
      if (t >= s.startMs && t < s.endMs) kwh += Math.max(0, r.series.importKw[i] - s.value) * d.intervalHours;
    }
  return kwh;
}

function caseScore(
  d: District,
  c: ChallengeCase,
  strategy: string,
  r: SimResult,
  kpis: Kpis,
  extra: Pick<CaseScore, 'clamps' | 'failedDecisions' | 'decisions' | 'meanDecisionMs' | 'maxDecisionMs'> & {
    failure?: Failure;
  },
): CaseScore {
  const peak = newPeakCost(d, r);
  return {
    caseId: c.id,
    strategy,
    status: extra.failure ? 'failed' : 'ok',
    failure: extra.failure,
    costKrw: kpis.totalCostKrw,
    newPeakCost12MonthsKrw: peak.costKrw,
    totalCostKrw: kpis.totalCostKrw + peak.costKrw,
    peakImportKw: kpis.peakImportKw,
    re100HourlyMatching: kpis.re100HourlyMatching,
    co2Kg: kpis.co2Kg,
    consumptionKwh: kpis.consumptionKwh,
    unmetKwh: kpis.evUnmetKwh + kpis.busUnmetKwh,
    evUnmetKwh: kpis.evUnmetKwh,
    busUnmetKwh: kpis.busUnmetKwh,
    deadlineMisses: kpis.trainingDeadlineMisses,
    drExcessKwh: drExcessKwh(d, r, c),
    clamps: extra.clamps,
    failedDecisions: extra.failedDecisions,
    decisions: extra.decisions,
    meanDecisionMs: extra.meanDecisionMs,
    maxDecisionMs: extra.maxDecisionMs,
    importKw: Array.from(r.series.importKw, (x) => Math.round(x)),
  };
}

export async function runTestbed(o: TestbedOptions): Promise<Scorecard> {
  const limits = o.limits ?? DEFAULT_LIMITS;
  const baselines = o.baselines ?? o.set.baselines;
  const results: CaseScore[] = [];
  const decisionMsAll = new Map<string, number[]>();
  const cases: Scorecard['cases'] = [];
  for (const c of o.set.cases) {
    const scenario = caseScenario(o.scenario, c);
    const d = prepareDistrict(scenario, { start: c.start, days: c.days, seed: c.seed, baseDir: o.baseDir });
    cases.push({
      id: c.id,
      description: c.description,
      start: toIsoLocal(d.grid.startMs, d.zone),
      days: c.days,
      seed: c.seed,
      timesMs: Array.from(
        { length: d.grid.count },
        (_, i) => d.grid.startMs + i * d.grid.intervalMinutes * 60_000,
      ),
    });
    for (const name of baselines) {
      o.onProgress?.(`${c.id}: ${name}`);
      const r = runSimulation(d, getStrategy(name)(d));
      const { kpis } = computeKpis(d, r);
      const perMs = r.runtimeMs / Math.max(1, d.grid.count);
      const all = decisionMsAll.get(name) ?? [];
      for (let i = 0; i < d.grid.count; i++) all.push(perMs);
      decisionMsAll.set(name, all);
      results.push(
        caseScore(d, c, name, r, kpis, {
          clamps: 0,
          failedDecisions: 0,
          decisions: d.grid.count,
          meanDecisionMs: perMs,
          maxDecisionMs: perMs,
        }),
      );
    }
    o.onProgress?.(`${c.id}: ${o.controller.label}`);
    const signals = caseSignals(d, c);
    const forecaster = o.set.learnedForecasts ? districtForecaster(d, o.warn) : persistenceForecaster(d);
    const strategy = controllerStrategy(
      d,
      o.controller,
      () => ({
        forecaster,
        signals: (nowMs) => signals.filter((s) => s.announcedMs <= nowMs),
        unannounced: unannouncedPicker(c),
      }),
      limits,
    );
    let r: SimResult;
    try {
      r = runSimulation(d, strategy);
    } finally {
      await strategy.close();
    }
    const st = strategy.stats();
    const { kpis } = computeKpis(d, r);
    const ms = st.decisionMs;
    const all = decisionMsAll.get(o.controller.label) ?? [];
    all.push(...ms);
    decisionMsAll.set(o.controller.label, all);
    results.push(
      caseScore(d, c, o.controller.label, r, kpis, {
        clamps: st.clamps,
        failedDecisions: st.failedDecisions,
        decisions: st.decisions,
        meanDecisionMs: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0,
        maxDecisionMs: ms.length ? Math.max(...ms) : 0,
        failure: st.failure,
      }),
    );
  }
  const names = [...baselines, o.controller.label];
  const leaderboard = names.map((name) =>
    aggregate(name, name === o.controller.label, results, decisionMsAll.get(name) ?? []),
  );
  leaderboard.sort((a, b) => a.totalCostKrw - b.totalCostKrw);
  return {
    protocol: PROTOCOL_VERSION,
    challengeSet: { name: o.set.name, version: o.set.version },
    scenario: o.scenario.name,
    controller: o.controller.label,
    limits,
    cases,
    leaderboard,
    results,
  };
}

function aggregate(name: string, isController: boolean, results: CaseScore[], ms: number[]): Contender {
  const mine = results.filter((r) => r.strategy === name);
  const sum = (f: (r: CaseScore) => number) => mine.reduce((s, r) => s + f(r), 0);
  const consumption = sum((r) => r.consumptionKwh);
  const sorted = [...ms].sort((a, b) => a - b);
  const failures = mine.filter((r) => r.failure).map((r) => ({ ...r.failure!, caseId: r.caseId }));
  return {
    strategy: name,
    kind: isController ? 'controller' : 'built-in',
    status: failures.length ? 'failed' : 'ok',
    failures,
    totalCostKrw: sum((r) => r.totalCostKrw),
    costKrw: sum((r) => r.costKrw),
    newPeakCost12MonthsKrw: sum((r) => r.newPeakCost12MonthsKrw),
    // Consumption-weighted, as the KPI itself is a share of consumption.
    re100HourlyMatching:
      consumption > 0 ? sum((r) => r.re100HourlyMatching * r.consumptionKwh) / consumption : 0,
    co2Kg: sum((r) => r.co2Kg),
    unmetKwh: sum((r) => r.unmetKwh),
    deadlineMisses: sum((r) => r.deadlineMisses),
    drExcessKwh: sum((r) => r.drExcessKwh),
    clamps: sum((r) => r.clamps),
    failedDecisions: sum((r) => r.failedDecisions),
    decisions: sum((r) => r.decisions),
    meanDecisionMs: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0,
    p95DecisionMs: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] : 0,
  };
}
