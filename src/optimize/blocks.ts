import { MS_PER_HOUR } from '../model/time.ts';
import type { HorizonProblem } from './problem.ts';

// Move blocking: far-ahead steps grouped into blocks over which a slow decision holds one value and
// its state is tracked only at the block's end (HorizonProblem.blockStarts). The near steps, which
// the dispatch carries out before the next re-plan, stay one step per block; the balance, prices and
// demand windows stay per step everywhere, so only the model's size changes, not what a step means.

/** Block b covers steps [bounds[b], bounds[b + 1]); the last entry is the horizon's step count. */
export function blockBounds(p: Pick<HorizonProblem, 'steps' | 'blockStarts'>): Int32Array {
  const starts = p.blockStarts;
  if (!starts || starts.length === 0) return Int32Array.from({ length: p.steps + 1 }, (_, k) => k);
  if (starts[0] !== 0) throw new RangeError(`blockStarts must begin at step 0, not ${starts[0]}`);
  for (let b = 1; b < starts.length; b++)
    if (!(starts[b] > starts[b - 1] && starts[b] < p.steps))
      throw new RangeError(
        `blockStarts must rise strictly inside the horizon's ${p.steps} steps; entry ${b} is ${starts[b]} after ${starts[b - 1]}`,
      );
  const bounds = new Int32Array(starts.length + 1);
  bounds.set(starts);
  bounds[starts.length] = p.steps;
  return bounds;
}

/**
 * Block starts for a horizon from `startMs` of `steps` steps of `stepMs`: one step per block for the
 * first `fineHours`, then blocks ending on multiples of `blockHours` in clock time (UTC hours; a whole
 * number of hours keeps them on the hourly RE100 accounts), so consecutive re-plans share boundaries.
 */
export function moveBlockStarts(
  startMs: number,
  steps: number,
  stepMs: number,
  fineHours: number,
  blockHours: number,
): Int32Array {
  const starts: number[] = [];
  const fineEndMs = startMs + fineHours * MS_PER_HOUR;
  const blockMs = blockHours * MS_PER_HOUR;
  for (let k = 0; k < steps; k++) {
    const t = startMs + k * stepMs;
    if (k === 0 || t < fineEndMs || t % blockMs === 0) starts.push(k);
  }
  return Int32Array.from(starts);
}
