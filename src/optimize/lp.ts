// A small builder for linear and mixed-integer models: columns with bounds, integrality and an
// objective coefficient, rows as sparse linear combinations with lower and upper bounds. It hands the
// model to HiGHS as sparse arrays (fast, no parsing) and writes the same model as CPLEX LP text for
// inspection and for other solvers (glpsol reads it too).

export interface Term {
  col: number;
  coef: number;
}

export const INF = Infinity;

export interface ModelData {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  integrality: Int32Array;
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  offset: number;
}

/** Values below this are dropped from rows: HiGHS treats |a| ≤ 1e-9 as zero anyway. */
const ZERO_COEF = 1e-12;

export class LpModel {
  readonly colNames: string[] = [];
  readonly rowNames: string[] = [];
  private lo: number[] = [];
  private hi: number[] = [];
  private cost: number[] = [];
  private integer: boolean[] = [];
  private rowLo: number[] = [];
  private rowHi: number[] = [];
  private starts: number[] = [0];
  private idx: number[] = [];
  private val: number[] = [];
  /** Constant added to the objective (costs already sunk into the horizon). */
  objectiveOffset = 0;
  private names = new Set<string>();
  // Merging a row's duplicate columns without a Map per row (a horizon has tens of thousands of
  // rows): rowOfCol[c] is the row that last saw column c, slotOfCol[c] where its entry is.
  private rowOfCol = new Int32Array(0);
  private slotOfCol = new Int32Array(0);

  get numCols(): number {
    return this.lo.length;
  }
  get numRows(): number {
    return this.rowLo.length;
  }
  get numNonzeros(): number {
    return this.idx.length;
  }
  get numIntegers(): number {
    return this.integer.reduce((n, b) => n + (b ? 1 : 0), 0);
  }

  /** Adds a column; returns its index. Names must be unique and LP-safe (letters, digits, _ . [ ]). */
  addVar(name: string, lower = 0, upper = INF, cost = 0, integer = false): number {
    if (this.names.has(name)) throw new Error(`LpModel: duplicate column name "${name}"`);
    if (!(lower <= upper)) throw new Error(`LpModel: column "${name}" has lower ${lower} > upper ${upper}`);
    if (!Number.isFinite(cost)) throw new Error(`LpModel: column "${name}" has cost ${cost}`);
    this.names.add(name);
    this.colNames.push(name);
    this.lo.push(lower);
    this.hi.push(upper);
    this.cost.push(cost);
    this.integer.push(integer);
    return this.lo.length - 1;
  }

  addCost(col: number, cost: number): void {
    this.cost[col] += cost;
  }

  setBounds(col: number, lower: number, upper: number): void {
    this.lo[col] = lower;
    this.hi[col] = upper;
  }

  bounds(col: number): [number, number] {
    return [this.lo[col], this.hi[col]];
  }

  costOf(col: number): number {
    return this.cost[col];
  }

  /** Adds `lower ≤ Σ coef·x ≤ upper`; duplicate columns in `terms` are summed. Returns the row index. */
  addRow(name: string, terms: readonly Term[], lower: number, upper: number): number {
    if (!(lower <= upper)) throw new Error(`LpModel: row "${name}" has lower ${lower} > upper ${upper}`);
    if (this.rowOfCol.length < this.numCols) {
      const size = Math.max(this.numCols, 2 * this.rowOfCol.length);
      const rows = new Int32Array(size).fill(-1);
      rows.set(this.rowOfCol);
      this.rowOfCol = rows;
      const slots = new Int32Array(size);
      slots.set(this.slotOfCol);
      this.slotOfCol = slots;
    }
    const row = this.rowLo.length;
    const start = this.idx.length;
    for (const t of terms) {
      if (!Number.isFinite(t.coef)) throw new Error(`LpModel: row "${name}" has coefficient ${t.coef}`);
      if (this.rowOfCol[t.col] === row) this.val[this.slotOfCol[t.col]] += t.coef;
      else {
        this.rowOfCol[t.col] = row;
        this.slotOfCol[t.col] = this.idx.length;
        this.idx.push(t.col);
        this.val.push(t.coef);
      }
    }
    // Entries that summed to (near) zero are dropped, keeping first-seen order.
    let w = start;
    for (let r = start; r < this.idx.length; r++) {
      if (Math.abs(this.val[r]) <= ZERO_COEF) continue;
      this.idx[w] = this.idx[r];
      this.val[w] = this.val[r];
      w++;
    }
    this.idx.length = w;
    this.val.length = w;
    this.starts.push(this.idx.length);
    this.rowNames.push(name);
    this.rowLo.push(lower);
    this.rowHi.push(upper);
    return this.rowLo.length - 1;
  }

  toModelData(): ModelData {
    return {
      numCols: this.numCols,
      numRows: this.numRows,
      colCost: Float64Array.from(this.cost),
      colLower: Float64Array.from(this.lo),
      colUpper: Float64Array.from(this.hi),
      rowLower: Float64Array.from(this.rowLo),
      rowUpper: Float64Array.from(this.rowHi),
      integrality: Int32Array.from(this.integer, (b) => (b ? 1 : 0)),
      starts: Int32Array.from(this.starts),
      indices: Int32Array.from(this.idx),
      values: Float64Array.from(this.val),
      offset: this.objectiveOffset,
    };
  }

  /** Objective of a given column vector (including the offset). */
  objectiveAt(x: ArrayLike<number>): number {
    let z = this.objectiveOffset;
    for (let j = 0; j < this.cost.length; j++) z += this.cost[j] * x[j];
    return z;
  }

  /** CPLEX LP text, one term per line (HiGHS's and glpsol's readers both take it). */
  toLp(title = 'bitgrid'): string {
    const out: string[] = [`\\ ${title}`, 'Minimize'];
    out.push(' obj:');
    let any = false;
    for (let j = 0; j < this.cost.length; j++) {
      if (this.cost[j] === 0) continue;
      out.push(`  ${num(this.cost[j], true)} ${this.colNames[j]}`);
      any = true;
    }
    // An LP objective needs at least one term; a zero-cost first column keeps the file valid.
    if (!any && this.cost.length > 0) out.push(`  0 ${this.colNames[0]}`);
    if (this.objectiveOffset !== 0) out.push(`  ${num(this.objectiveOffset, true)} __offset`);
    out.push('Subject To');
    for (let r = 0; r < this.rowLo.length; r++) {
      const lo = this.rowLo[r];
      const hi = this.rowHi[r];
      const s = this.starts[r];
      const e = this.starts[r + 1];
      if (e === s) continue;
      const body: string[] = [];
      for (let k = s; k < e; k++) body.push(`  ${num(this.val[k], true)} ${this.colNames[this.idx[k]]}`);
      const name = this.rowNames[r];
      const emit = (suffix: string, sense: string, rhs: number) => {
        out.push(` ${name}${suffix}:`);
        out.push(...body);
        out.push(`  ${sense} ${num(rhs)}`);
      };
      if (lo === hi) emit('', '=', lo);
      else {
        if (lo > -INF) emit(hi < INF ? '_lo' : '', '>=', lo);
        if (hi < INF) emit(lo > -INF ? '_hi' : '', '<=', hi);
      }
    }
    out.push('Bounds');
    for (let j = 0; j < this.lo.length; j++) {
      const lo = this.lo[j];
      const hi = this.hi[j];
      const n = this.colNames[j];
      if (lo === hi) out.push(` ${n} = ${num(lo)}`);
      else if (lo === -INF && hi === INF) out.push(` ${n} free`);
      else if (lo === -INF) out.push(` -inf <= ${n} <= ${num(hi)}`);
      else if (hi === INF) {
        if (lo !== 0) out.push(` ${n} >= ${num(lo)}`);
      } else out.push(` ${num(lo)} <= ${n} <= ${num(hi)}`);
    }
    if (this.objectiveOffset !== 0) out.push(' __offset = 1');
    const ints = this.colNames.filter((_, j) => this.integer[j]);
    if (ints.length) {
      out.push('General');
      for (const n of ints) out.push(` ${n}`);
    }
    out.push('End', '');
    return out.join('\n');
  }
}

/** Shortest exact decimal (round-trip), with an explicit sign when it leads a term. */
function num(v: number, signed = false): string {
  // String() is the shortest round-trip form; exponents read as 1e-7 / 1.5e+21 in LP files.
  const t = String(v);
  return signed && v >= 0 ? `+${t}` : t;
}

/** Accumulates linear terms per time step, e.g. every asset's power into the bus balance. */
export class StepTerms {
  readonly terms: Term[][];
  constructor(steps: number) {
    this.terms = Array.from({ length: steps }, () => []);
  }
  add(t: number, col: number, coef: number): void {
    this.terms[t].push({ col, coef });
  }
}
