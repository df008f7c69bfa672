// Worker thread: one HiGHS solve, result posted back. See highs.ts (solveInWorker).
import { parentPort, workerData } from 'node:worker_threads';
import loadHighs from 'highs';
import { runSolve } from './solve-core.mjs';

const highs = await loadHighs();
const result = runSolve(highs, workerData.input, workerData.options);
parentPort.postMessage(result);
