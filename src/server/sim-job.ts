import { parentPort, workerData } from 'node:worker_threads';
import type { LoadedScenario } from '../model/load.ts';
import { runSummary, simulateScenario } from '../scenario/run.ts';
import { jsonSafe } from './json.ts';

// One simulation in a worker thread (see simulations.ts): runs the scenario, posts progress now and
// then and the runSummary document at the end.

export interface SimJobInput {
  loaded: LoadedScenario;
  start?: string;
  days: number;
  strategies: string[];
  seed?: number;
  /** Least time between two progress messages, ms. */
  progressEveryMs: number;
}

export type SimJobMessage =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string };

const input = workerData as SimJobInput;
const post = (m: SimJobMessage) => parentPort!.postMessage(m);

try {
  let lastMs = 0;
  const n = input.strategies.length;
  const run = simulateScenario({
    loaded: input.loaded,
    start: input.start,
    days: input.days,
    strategies: input.strategies,
    seed: input.seed,
    onProgress: (strategy, done, total) => {
      const now = Date.now();
      if (now - lastMs < input.progressEveryMs) return;
      lastMs = now;
      const k = input.strategies.indexOf(strategy);
      post({ type: 'progress', fraction: Math.min(1, (Math.max(0, k) + done / Math.max(1, total)) / n) });
    },
  });
  post({ type: 'done', result: jsonSafe(runSummary(run)) });
} catch (e) {
  post({ type: 'error', message: (e as Error).message ?? String(e) });
}
