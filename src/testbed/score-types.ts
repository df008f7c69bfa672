// A contender on the leaderboard of a challenge-set run (score.ts) and why a controller failed
// (host.ts), as the test bed's API sends them. This file imports nothing, so the dashboard
// (web/src/testbed-runs.ts) imports these types instead of copying them; host.ts and score.ts
// re-export them.

export type FailureReason =
  'load-failed' | 'threw' | 'timeout' | 'out-of-memory' | 'invalid-answer' | 'unreachable' | 'run-budget';

export interface Failure {
  reason: FailureReason;
  message: string;
  /** Decision (0-based) at which it failed; absent when it failed to start. */
  decision?: number;
}

/** One row of a challenge-set run's leaderboard (GET /api/testbed/runs). */
export interface Contender {
  strategy: string;
  kind: 'controller' | 'built-in';
  status: 'ok' | 'failed';
  failures: (Failure & { caseId: string })[];
  totalCostKrw: number;
  costKrw: number;
  newPeakCost12MonthsKrw: number;
  re100HourlyMatching: number;
  co2Kg: number;
  unmetKwh: number;
  deadlineMisses: number;
  drExcessKwh: number;
  clamps: number;
  failedDecisions: number;
  decisions: number;
  meanDecisionMs: number;
  p95DecisionMs: number;
}
