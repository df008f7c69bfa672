import { MS_PER_HOUR } from '../model/time.ts';
import type { HorizonProblem } from './problem.ts';
import type { BuiltModel } from './build.ts';
import type { LpBasis } from './highs.ts';
import type { ModelData } from './lp.ts';

// The previous re-plan's simplex basis as the next one's start. Consecutive re-plans solve nearly
// the same model an hour apart: the same assets and jobs, the same clock steps but the first hour's
// gone and one more at the end. Columns and rows are matched by what they are, not by their index:
// the step in a name becomes a clock step, and an EV's or a training job's index in this problem its
// id (both shift as cars arrive and jobs finish). What does not match (the new last hour, a new car
// or job) starts nonbasic at a bound (columns) or basic (rows), and the count of basic entries is
// made right, which HiGHS requires; it repairs a singular start itself.

/** HiGHS's basis status codes (highs.constants.basisStatus). */
const LOWER = 0;
const BASIC = 1;
const UPPER = 2;
const ZERO = 3;

const CODE_0 = 48;
const CODE_9 = 57;
const isDigit = (c: number) => c >= CODE_0 && c <= CODE_9;

/** Where the digits that start at `from` end. */
function digitsEnd(name: string, from: number): number {
  let i = from;
  while (i < name.length && isDigit(name.charCodeAt(i))) i++;
  return i;
}

/** What a column or row is: its stem's number (`WarmBasis`'s interned stems) and its clock step. */
interface Keys {
  stem: Int32Array;
  /** The clock step, in steps of the horizon since 1970; 0 for a name without a step. */
  clock: Float64Array;
}

/**
 * Per column and per row of `b`, what names the same thing in the next re-plan's model: a name's
 * step suffix (`bal_12`) as a clock step, an EV's index (`ev4_p_12`) and a training job's
 * (`dc0j3_g_12`) as its id, the rest (the stem) as its number in `stems`, which grows as new stems
 * appear. Hand-parsed: a re-plan's model has about 12,000 names.
 */
export function basisKeys(
  p: HorizonProblem,
  b: BuiltModel,
  stems: Map<string, number>,
): { cols: Keys; rows: Keys } {
  const clock0 = Math.round(p.startMs / (p.stepHours * MS_PER_HOUR));
  const evIds = b.ev.sessions.map((s) => s.id);
  const keysOf = (names: readonly string[]): Keys => {
    const out: Keys = { stem: new Int32Array(names.length), clock: new Float64Array(names.length) };
    names.forEach((name, i) => {
      let end = name.length;
      const underscore = name.lastIndexOf('_');
      if (underscore > 0 && underscore < end - 1 && digitsEnd(name, underscore + 1) === end) {
        out.clock[i] = clock0 + Number(name.slice(underscore + 1));
        end = underscore;
      }
      let stem: string | undefined;
      if (name.startsWith('ev') && isDigit(name.charCodeAt(2))) {
        const e = digitsEnd(name, 2);
        stem = `ev[${evIds[Number(name.slice(2, e))]}]${name.slice(e, end)}`;
      } else if (name.startsWith('dc') && isDigit(name.charCodeAt(2))) {
        const d = digitsEnd(name, 2);
        if (name.charCodeAt(d) === 106 /* j */ && isDigit(name.charCodeAt(d + 1))) {
          const j = digitsEnd(name, d + 1);
          const id = p.datacenters[Number(name.slice(2, d))]?.jobs[Number(name.slice(d + 1, j))]?.id;
          stem = `${name.slice(0, d)}j[${id}]${name.slice(j, end)}`;
        }
      }
      stem ??= name.slice(0, end);
      let n = stems.get(stem);
      if (n === undefined) stems.set(stem, (n = stems.size));
      out.stem[i] = n;
    });
    return out;
  };
  return { cols: keysOf(b.model.colNames), rows: keysOf(b.model.rowNames) };
}

/**
 * `statuses` (by `from`'s keys) looked up for `to`'s keys; -1 where `to` has a key `from` lacks. A
 * table indexed by stem and clock step (both small ranges) instead of a hash map: faster by far.
 */
function carryOver(from: Keys, statuses: Int32Array, to: Keys, stemCount: number): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const keys of [from, to])
    for (const c of keys.clock)
      if (c > 0) {
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
      }
  // Slot 0 of each stem holds the name without a step; slots 1… the clock steps lo…hi.
  const span = hi >= lo ? hi - lo + 2 : 1;
  const base = 1 - lo;
  const table = new Int8Array(stemCount * span).fill(-1);
  for (let i = 0; i < from.stem.length; i++) {
    const c = from.clock[i];
    table[from.stem[i] * span + (c > 0 ? c + base : 0)] = statuses[i];
  }
  const out = new Int32Array(to.stem.length);
  for (let i = 0; i < to.stem.length; i++) {
    const c = to.clock[i];
    out[i] = table[to.stem[i] * span + (c > 0 ? c + base : 0)];
  }
  return out;
}

/** A nonbasic status that `lower ≤ · ≤ upper` allows, keeping `status` where it can. */
function nonbasicWithin(status: number, lower: number, upper: number): number {
  if (status === UPPER && upper < Infinity) return UPPER;
  if (lower > -Infinity) return LOWER;
  if (upper < Infinity) return UPPER;
  return ZERO;
}

/** The basis of the last re-plan, by what its columns and rows are, and its mapping onto the next model. */
export class WarmBasis {
  private last?: { cols: Keys; rows: Keys; basis: LpBasis };
  private stems = new Map<string, number>();
  private keptStems = 0;
  /** The keys of the model last mapped onto, which is usually the one remembered next. */
  private lastKeys?: { b: BuiltModel; keys: ReturnType<typeof basisKeys> };

  private keysOf(p: HorizonProblem, b: BuiltModel) {
    if (this.lastKeys?.b !== b) this.lastKeys = { b, keys: basisKeys(p, b, this.stems) };
    return this.lastKeys.keys;
  }

  /** Keeps `basis`, the optimum's basis of the model `b` built for `p`. */
  remember(p: HorizonProblem, b: BuiltModel, basis: LpBasis): void {
    this.last = { ...this.keysOf(p, b), basis };
    // Every car and job brings new stems, and the lookup table is as long as there are stems: once
    // they are twice what the last compaction kept, only the kept model's stay, numbered afresh.
    if (this.stems.size <= 2 * this.keptStems) return;
    const used = new Map<number, number>();
    for (const keys of [this.last.cols, this.last.rows])
      for (const n of keys.stem) if (!used.has(n)) used.set(n, used.size);
    this.keptStems = used.size;
    const names = new Array<string>(this.stems.size);
    for (const [stem, n] of this.stems) names[n] = stem;
    this.stems = new Map([...used].map(([n, renumbered]) => [names[n], renumbered]));
    for (const keys of [this.last.cols, this.last.rows])
      keys.stem.forEach((n, i) => (keys.stem[i] = used.get(n)!));
    this.lastKeys = undefined;
  }

  /** The remembered basis on the columns and rows of `b` (whose data is `data`), or undefined before any. */
  basisFor(p: HorizonProblem, b: BuiltModel, data: ModelData): LpBasis | undefined {
    if (!this.last) return undefined;
    const keys = this.keysOf(p, b);
    const colStatus = carryOver(this.last.cols, this.last.basis.colStatus, keys.cols, this.stems.size);
    const rowStatus = carryOver(this.last.rows, this.last.basis.rowStatus, keys.rows, this.stems.size);
    let basic = 0;
    for (let j = 0; j < data.numCols; j++) {
      const s = colStatus[j];
      colStatus[j] =
        s === BASIC ? BASIC : nonbasicWithin(s < 0 ? LOWER : s, data.colLower[j], data.colUpper[j]);
      if (colStatus[j] === BASIC) basic++;
    }
    for (let i = 0; i < data.numRows; i++) {
      const s = rowStatus[i];
      rowStatus[i] = s === BASIC || s < 0 ? BASIC : nonbasicWithin(s, data.rowLower[i], data.rowUpper[i]);
      if (rowStatus[i] === BASIC) basic++;
    }
    // A basis has one basic entry per row: too many, the latest columns (the far end of the
    // horizon) leave it; too few, the latest rows' slacks join it.
    for (let j = data.numCols - 1; j >= 0 && basic > data.numRows; j--)
      if (colStatus[j] === BASIC) {
        colStatus[j] = nonbasicWithin(LOWER, data.colLower[j], data.colUpper[j]);
        basic--;
      }
    for (let i = data.numRows - 1; i >= 0 && basic < data.numRows; i--)
      if (rowStatus[i] !== BASIC) {
        rowStatus[i] = BASIC;
        basic++;
      }
    return { colStatus, rowStatus };
  }
}
