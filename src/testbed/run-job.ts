import { parentPort, workerData } from 'node:worker_threads';
import type { LoadedScenario } from '../model/load.ts';
import { DEFAULT_CHALLENGE_SET, QUICK_CHALLENGE_SET } from './challenge.ts';
import type { ControllerLimits, ControllerSpec } from './host.ts';
import { runTestbed, type Contender } from './score.ts';

// One challenge-set run in a worker thread (runs.ts starts it): scores the controller beside the
// set's built-ins, posts what it is running as it goes, and the leaderboard at the end. The API's
// thread stays free; the controller itself runs confined in a process of its own (host.ts).

export type ChallengeSetName = 'quick' | 'full';

export interface RunJobInput {
  loaded: LoadedScenario;
  set: ChallengeSetName;
  controller: ControllerSpec;
  limits: ControllerLimits;
}

export interface RunSummary {
  challengeSet: { name: string; version: string };
  scenario: string;
  cases: { id: string; description: string; start: string; days: number; seed: number }[];
  leaderboard: Contender[];
}

export type RunJobMessage =
  | { type: 'progress'; fraction: number; step: string }
  | { type: 'done'; summary: RunSummary }
  | { type: 'error'; message: string };

const input = workerData as RunJobInput;
const post = (m: RunJobMessage) => parentPort!.postMessage(m);
const set = input.set === 'full' ? DEFAULT_CHALLENGE_SET : QUICK_CHALLENGE_SET;
// runTestbed reports the start of each contender's run on each case: the built-ins, then the controller.
const steps = set.cases.length * (set.baselines.length + 1);
let started = 0;

try {
  const sc = await runTestbed({
    scenario: input.loaded.scenario,
    baseDir: input.loaded.baseDir,
    set,
    controller: input.controller,
    limits: input.limits,
    onProgress: (step) => post({ type: 'progress', fraction: Math.min(1, started++ / steps), step }),
  });
  post({
    type: 'done',
    summary: {
      challengeSet: sc.challengeSet,
      scenario: sc.scenario,
      cases: sc.cases.map(({ id, description, start, days, seed }) => ({
        id,
        description,
        start,
        days,
        seed,
      })),
      leaderboard: sc.leaderboard,
    },
  });
} catch (e) {
  post({ type: 'error', message: (e as Error).message ?? String(e) });
}
