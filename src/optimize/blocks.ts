import { MS_PER_HOUR } from '../model/time.ts';
import type { HorizonProblem } from './problem.ts';

// Move blocking: far-ahead steps grouped into blocks over which a slow decision holds one value and
// its state is tracked only at the block's end (HorizonProblem.blockStarts). The near steps, which
// the dispatch carries out before the next re-plan, stay one step per block; the balance, prices and
// demand windows stay per step everywhere, so only the model's size changes, not what a step means.
// Which assets' decisions are blocked: HorizonProblem.blockedAssets (all of them when absent).

/** The assets whose far-ahead decisions move blocking can hold per block. */
export const BLOCKABLE_ASSETS = ['buses', 'ev', 'jobs'] as const;
export type BlockableAsset = (typeof BLOCKABLE_ASSETS)[number];

/** Whether `asset`'s decisions are blocked in `p` (it has blocks, and the asset is among those blocked). */
export function blocksAsset(
  p: Pick<HorizonProblem, 'blockStarts' | 'blockedAssets'>,
  asset: BlockableAsset,
): boolean {
  return !!p.blockStarts && p.blockStarts.length > 0 && (!p.blockedAssets || p.blockedAssets.includes(asset));
}

/** One step per block: the bounds of a horizon without move blocking. */
export function stepBounds(steps: number): Int32Array {
  return Int32Array.from({ length: steps + 1 }, (_, k) => k);
}

/** Block b covers steps [bounds[b], bounds[b + 1]); the last entry is the horizon's step count. */
export function blockBounds(p: Pick<HorizonProblem, 'steps' | 'blockStarts'>): Int32Array {
  const starts = p.blockStarts;
  if (!starts || starts.length === 0) return stepBounds(p.steps);
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
  if (!(Number.isFinite(fineHours) && fineHours >= 0))
    throw new RangeError(`moveBlocking.fineHours must be a number of hours ≥ 0, not ${fineHours}`);
  if (!(Number.isInteger(blockHours) && blockHours >= 1))
    throw new RangeError(`moveBlocking.blockHours must be a whole number of hours ≥ 1, not ${blockHours}`);
  const starts: number[] = [];
  const fineEndMs = startMs + fineHours * MS_PER_HOUR;
  const blockMs = blockHours * MS_PER_HOUR;
  for (let k = 0; k < steps; k++) {
    const t = startMs + k * stepMs;
    if (k === 0 || t < fineEndMs || t % blockMs === 0) starts.push(k);
  }
  return Int32Array.from(starts);
}

/**
 * The pieces of blocks that steps [from, to) cover, in step order: [start, end) of each, so an asset
 * present for part of a block (a car that plugs in or leaves inside it) holds one value over its part.
 */
export function blockPieces(bounds: Int32Array, from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  if (to <= from) return out;
  // The block holding `from`: bounds rise, so a binary search finds it.
  let lo = 0;
  let hi = bounds.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid] <= from) lo = mid;
    else hi = mid - 1;
  }
  for (let b = lo; b + 1 < bounds.length && bounds[b] < to; b++)
    out.push([Math.max(from, bounds[b]), Math.min(to, bounds[b + 1])]);
  return out;
}

/** The block bounds `asset` is planned on in `p` (checked): its blocks, or one step per block. */
export function assetBlockBounds(
  p: Pick<HorizonProblem, 'steps' | 'blockStarts' | 'blockedAssets'>,
  asset: BlockableAsset,
): Int32Array {
  const bounds = blockBounds(p);
  return blocksAsset(p, asset) ? bounds : stepBounds(p.steps);
}
