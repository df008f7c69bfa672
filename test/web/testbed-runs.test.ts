import { describe, expect, it } from 'vitest';
import {
  anyActive,
  leaderboardRows,
  shownRun,
  type ChallengeRun,
  type Contender,
} from '../../web/src/testbed-runs.ts';

// The scenarios view's leaderboard: which challenge run it shows and how it ranks the contenders.

const contender = (strategy: string, totalCostKrw: number, extra: Partial<Contender> = {}): Contender => ({
  strategy,
  kind: strategy.endsWith('.mjs') ? 'controller' : 'built-in',
  status: 'ok',
  failures: [],
  totalCostKrw,
  costKrw: totalCostKrw,
  newPeakCost12MonthsKrw: 0,
  re100HourlyMatching: 0.3,
  co2Kg: 1000,
  unmetKwh: 0,
  deadlineMisses: 0,
  drExcessKwh: 0,
  clamps: 0,
  failedDecisions: 0,
  decisions: 96,
  meanDecisionMs: 0.5,
  p95DecisionMs: 1,
  ...extra,
});

const run = (id: string, state: ChallengeRun['state'], leaderboard?: Contender[]): ChallengeRun => ({
  id,
  state,
  progress: state === 'done' ? 1 : 0.5,
  set: 'quick',
  controller: 'mine.mjs',
  requestedBy: 'tok_admin',
  created: '2026-08-03T09:00:00+09:00',
  ...(leaderboard ? { leaderboard } : {}),
});

describe('test bed leaderboard', () => {
  const board = [contender('none', 270), contender('mine.mjs', 90), contender('rules', 100)];

  it('ranks by total cost and gives each contender its difference to rules', () => {
    const rows = leaderboardRows(run('a', 'done', board));
    expect(rows.map((r) => [r.rank, r.strategy, r.vsRulesKrw])).toEqual([
      [1, 'mine.mjs', -10],
      [2, 'rules', 0],
      [3, 'none', 170],
    ]);
  });

  it('keeps a failed controller in its place by cost, with its failures', () => {
    const failed = contender('mine.mjs', 100.5, {
      status: 'failed',
      failures: [{ caseId: 'summer-day', reason: 'timeout', message: 'no answer', decision: 0 }],
    });
    const rows = leaderboardRows(run('a', 'done', [contender('rules', 100), failed]));
    expect(rows[1]).toMatchObject({ rank: 2, status: 'failed', vsRulesKrw: 0.5 });
    expect(rows[1].failures[0].reason).toBe('timeout');
  });

  it('has no difference to rules when rules did not run, and no rows without a run', () => {
    expect(leaderboardRows(run('a', 'done', [contender('mine.mjs', 5)]))[0].vsRulesKrw).toBeUndefined();
    expect(leaderboardRows(undefined)).toEqual([]);
  });

  it('shows the chosen run when it is done, else the newest done one', () => {
    const runs = [
      run('new', 'running'),
      run('b', 'done', board),
      run('c', 'failed'),
      run('d', 'done', board),
    ];
    expect(shownRun(runs)?.id).toBe('b');
    expect(shownRun(runs, 'd')?.id).toBe('d');
    expect(shownRun(runs, 'new')?.id).toBe('b');
    expect(shownRun([run('x', 'failed')])).toBeUndefined();
  });

  it('polls fast only while a run is queued or running', () => {
    expect(anyActive([run('a', 'done', board), run('b', 'queued')])).toBe(true);
    expect(anyActive([run('a', 'done', board), run('c', 'failed')])).toBe(false);
  });
});
