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

/** A typed array that doubles when full (the model's columns, rows and entries). */
class Grow<T extends Float64Array | Int32Array | Uint8Array> {
  a: T;
  n = 0;
  constructor(private readonly make: (size: number) => T) {
    this.a = make(1024);
  }
  push(v: number): void {
    if (this.n === this.a.length) this.reserve(this.n + 1);
    this.a[this.n++] = v;
  }
  reserve(size: number): void {
    if (size <= this.a.length) return;
    const b = this.make(Math.max(size, 2 * this.a.length));
    b.set(this.a);
    this.a = b;
  }
  /** A copy of the first n entries, as HiGHS takes them. */
  copy(): T {
    return this.a.slice(0, this.n) as T;
  }
}

const f64 = (n: number) => new Float64Array(n);
const i32 = (n: number) => new Int32Array(n);

export class LpModel {
  readonly colNames: string[] = [];
  readonly rowNames: string[] = [];
  // Columns, rows and the row-wise matrix in growable typed arrays: a horizon adds tens of thousands
  // of each, and plain arrays of numbers cost the build more in allocation than the entries are worth.
  private lo = new Grow(f64);
  private hi = new Grow(f64);
  private cost = new Grow(f64);
  private integer = new Grow((n) => new Uint8Array(n));
  private rowLo = new Grow(f64);
  private rowHi = new Grow(f64);
  private starts = new Grow(i32);
  private idx = new Grow(i32);
  private val = new Grow(f64);
  /** Constant added to the objective (costs already sunk into the horizon). */
  objectiveOffset = 0;
  private names = new Set<string>();
  // Merging a row's duplicate columns without a Map per row (a horizon has tens of thousands of
  // rows): rowOfCol[c] is the row that last saw column c, slotOfCol[c] where its entry is.
  private rowOfCol = new Int32Array(0);
  private slotOfCol = new Int32Array(0);

  constructor() {
    this.starts.push(0);
  }

  get numCols(): number {
    return this.lo.n;
  }
  get numRows(): number {
    return this.rowLo.n;
  }
  get numNonzeros(): number {
    return this.idx.n;
  }
  get numIntegers(): number {
    let n = 0;
    for (let j = 0; j < this.integer.n; j++) n += this.integer.a[j];
    return n;
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
    this.integer.push(integer ? 1 : 0);
    return this.lo.n - 1;
  }

  addCost(col: number, cost: number): void {
    this.cost.a[col] += cost;
  }

  setBounds(col: number, lower: number, upper: number): void {
    this.lo.a[col] = lower;
    this.hi.a[col] = upper;
  }

  bounds(col: number): [number, number] {
    return [this.lo.a[col], this.hi.a[col]];
  }

  costOf(col: number): number {
    return this.cost.a[col];
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
    const row = this.rowLo.n;
    const start = this.idx.n;
    this.idx.reserve(start + terms.length);
    this.val.reserve(start + terms.length);
    const idx = this.idx.a;
    const val = this.val.a;
    let end = start;
    for (const t of terms) {
      if (!Number.isFinite(t.coef)) throw new Error(`LpModel: row "${name}" has coefficient ${t.coef}`);
      if (this.rowOfCol[t.col] === row) val[this.slotOfCol[t.col]] += t.coef;
      else {
        this.rowOfCol[t.col] = row;
        this.slotOfCol[t.col] = end;
        idx[end] = t.col;
        val[end] = t.coef;
        end++;
      }
    }
    // Entries that summed to (near) zero are dropped, keeping first-seen order.
    let w = start;
    for (let r = start; r < end; r++) {
      if (Math.abs(val[r]) <= ZERO_COEF) continue;
      idx[w] = idx[r];
      val[w] = val[r];
      w++;
    }
    this.idx.n = w;
    this.val.n = w;
    this.starts.push(w);
    this.rowNames.push(name);
    this.rowLo.push(lower);
    this.rowHi.push(upper);
    return row;
  }

  toModelData(): ModelData {
    return {
      numCols: this.numCols,
      numRows: this.numRows,
      colCost: this.cost.copy(),
      colLower: this.lo.copy(),
      colUpper: this.hi.copy(),
      rowLower: this.rowLo.copy(),
      rowUpper: this.rowHi.copy(),
      integrality: Int32Array.from(this.integer.copy()),
      starts: this.starts.copy(),
      indices: this.idx.copy(),
      values: this.val.copy(),
      offset: this.objectiveOffset,
    };
  }

  /** Objective of a given column vector (including the offset). */
  objectiveAt(x: ArrayLike<number>): number {
    let z = this.objectiveOffset;
    for (let j = 0; j < this.cost.n; j++) z += this.cost.a[j] * x[j];
    return z;
  }

  /** CPLEX LP text, one term per line (HiGHS's and glpsol's readers both take it). */
  toLp(title = 'bitgrid'): string {
    const out: string[] = [`\\ ${title}`, 'Minimize'];
    out.push(' obj:');
    let any = false;
    for (let j = 0; j < this.cost.n; j++) {
      if (this.cost.a[j] === 0) continue;
      out.push(`  ${num(this.cost.a[j], true)} ${this.colNames[j]}`);
      any = true;
    }
    // An LP objective needs at least one term; a zero-cost first column keeps the file valid.
    if (!any && this.cost.n > 0) out.push(`  0 ${this.colNames[0]}`);
    if (this.objectiveOffset !== 0) out.push(`  ${num(this.objectiveOffset, true)} __offset`);
    out.push('Subject To');
    for (let r = 0; r < this.rowLo.n; r++) {
      const lo = this.rowLo.a[r];
      const hi = this.rowHi.a[r];
      const s = this.starts.a[r];
      const e = this.starts.a[r + 1];
      if (e === s) continue;
      const body: string[] = [];
      for (let k = s; k < e; k++) body.push(`  ${num(this.val.a[k], true)} ${this.colNames[this.idx.a[k]]}`);
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
    for (let j = 0; j < this.lo.n; j++) {
      const lo = this.lo.a[j];
      const hi = this.hi.a[j];
      const n = this.colNames[j];
      if (lo === hi) out.push(` ${n} = ${num(lo)}`);
      else if (lo === -INF && hi === INF) out.push(` ${n} free`);
      else if (lo === -INF) out.push(` -inf <= ${n} <= ${num(hi)}`);
      else if (hi === INF) {
        if (lo !== 0) out.push(` ${n} >= ${num(lo)}`);
      } else out.push(` ${num(lo)} <= ${n} <= ${num(hi)}`);
    }
    if (this.objectiveOffset !== 0) out.push(' __offset = 1');
    const ints = this.colNames.filter((_, j) => this.integer.a[j]);
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
