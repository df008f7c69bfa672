// Challenge-set runs against the twin (GET /api/testbed/runs, docs/testbed.md) and the leaderboard
// the scenarios view draws from one of them. Pure functions, so they are tested without a browser.

import type { Contender } from '../../src/testbed/score-types.ts';

// A leaderboard row is the test bed's own declaration, imported rather than copied.
export type { Contender };

export interface ChallengeRun {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  step?: string;
  set: 'quick' | 'full';
  controller: string;
  requestedBy: string;
  created: string;
  finished?: string;
  error?: string;
  challengeSet?: { name: string; version: string };
  leaderboard?: Contender[];
}

export interface LeaderboardRow extends Contender {
  rank: number;
  /** Total cost against `rules` on the same cases, KRW: negative is a saving (absent without rules). */
  vsRulesKrw?: number;
}

/** The run to show: the one chosen if it is done, else the newest done one. */
export function shownRun(runs: readonly ChallengeRun[], chosenId?: string): ChallengeRun | undefined {
  const done = runs.filter((r) => r.state === 'done' && r.leaderboard);
  return done.find((r) => r.id === chosenId) ?? done[0];
}

/** Whether any run is still going, so the list is polled. */
export function anyActive(runs: readonly ChallengeRun[]): boolean {
  return runs.some((r) => r.state === 'queued' || r.state === 'running');
}

/**
 * Contenders ranked by total cost including the 12-month cost of new peaks (what the test bed ranks
 * on); a failed controller keeps its place by cost but is marked, since `rules` decided after it failed.
 */
export function leaderboardRows(run: ChallengeRun | undefined): LeaderboardRow[] {
  const list = [...(run?.leaderboard ?? [])].sort((a, b) => a.totalCostKrw - b.totalCostKrw);
  const rules = list.find((c) => c.strategy === 'rules');
  return list.map((c, k) => ({
    ...c,
    rank: k + 1,
    ...(rules ? { vsRulesKrw: c.totalCostKrw - rules.totalCostKrw } : {}),
  }));
}
