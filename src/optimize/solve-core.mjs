// The one solve routine shared by the in-process path (highs.ts) and the worker thread
// (solve-worker.mjs). Plain JavaScript so the worker runs without a TypeScript loader.

/** @param {number} code @param {Record<string, number>} MS */
function statusOf(code, MS) {
  if (code === MS.optimal) return 'optimal';
  if (code === MS.infeasible) return 'infeasible';
  if (code === MS.unbounded || code === MS.unboundedOrInfeasible) return 'unbounded';
  if (code === MS.timeLimit || code === MS.iterationLimit || code === MS.solutionLimit) return 'time_limit';
  if (code === MS.interrupted) return 'interrupted';
  return 'error';
}

/** primal_solution_status value meaning "a feasible primal solution is stored". */
const PRIMAL_FEASIBLE = 2;

/** A binary within this of 0 or 1 in the LP relaxation counts as integral. */
const INTEGRALITY_TOLERANCE = 1e-6;

/** @param {any} input */
function createFromData(highs, input, integrality) {
  return highs.createModel({
    numCols: input.numCols,
    numRows: input.numRows,
    offset: input.offset,
    colCost: input.colCost,
    colLower: input.colLower,
    colUpper: input.colUpper,
    rowLower: input.rowLower,
    rowUpper: input.rowUpper,
    matrix: {
      format: 'csr',
      numRows: input.numRows,
      numCols: input.numCols,
      starts: input.starts,
      indices: input.indices,
      values: input.values,
    },
    ...(integrality ? { integrality } : {}),
  });
}

/** Branch-and-bound nodes `relaxAndBranch` solves before it hands the MIP to HiGHS's own search. */
const RELAX_BRANCH_MAX_NODES = 48;

/**
 * A small branch and bound over LP hot starts, for MIPs whose binaries the LP relaxation mostly sets
 * by itself (the planner's whole-job binaries: of the 22 re-plans of 2026-08-03 that had any, 6
 * relaxations were integral at the root and the rest closed in 2–15 nodes). If the relaxation is
 * integral, its optimum is the MIP's. Otherwise it branches on the fractional binary with the most at
 * stake (`branchOn`), best bound first but plunging into the nearer child after each branching,
 * re-solving the same HiGHS model after a bounds change (the dual simplex starts from the last
 * basis: tens of iterations, where HiGHS's MIP solver would start its root over), until the
 * incumbent is within `mipRelGap` (or `mipAbsGap`) of the lowest open bound, as HiGHS's MIP stops.
 * More than RELAX_BRANCH_MAX_NODES nodes: with `nodeLimitGap`, the best whole plan (the search's or a
 * dive's) if it is within that gap of the lowest open bound; otherwise, or when a relaxation does not
 * solve, `undefined`, and the caller runs HiGHS's MIP solver.
 */
function relaxAndBranch(highs, input, o, t0, log, out) {
  const MS = highs.constants.modelStatus;
  const model = createFromData(highs, input, undefined);
  try {
    model.options.set({ output_flag: false, log_to_console: false });
    if (startFromBasis(model, o.basis, log)) out.startedFromBasis = true;
    const ints = [];
    for (let j = 0; j < input.numCols; j++) if (input.integrality[j] !== 0) ints.push(j);
    const sel = { kind: 'set', indices: Int32Array.from(ints) };
    const lo0 = Float64Array.from(ints, (j) => input.colLower[j]);
    const up0 = Float64Array.from(ints, (j) => input.colUpper[j]);
    /** Solves the relaxation with `fix` (index into ints → value); its objective and solution, or null if infeasible. */
    const solveNode = (fix) => {
      const lo = Float64Array.from(lo0);
      const up = Float64Array.from(up0);
      for (const [i, v] of fix) lo[i] = up[i] = v;
      model.changeColsBounds(sel, lo, up);
      const left = o.timeLimitS - (performance.now() - t0) / 1000;
      if (left <= 0) throw new Error('time limit');
      model.options.set({ time_limit: left });
      model.run();
      const st = model.getModelStatus();
      if (st === MS.infeasible) return null;
      if (st !== MS.optimal) throw new Error(`node status ${st}`);
      return { objective: model.getObjectiveValue(), x: Float64Array.from(model.getSolution().colValue) };
    };
    const weight = columnWeights(input, ints);
    /**
     * The binary to branch on (index into ints), or -1 when all are whole: the one with the most of
     * the model at stake, its distance from whole times its column's weight (a job's binary weighs
     * about its GPUs). Against the most fractional binary, on the re-plans of the weeks of
     * 2026-02-02 and 2026-08-03: 2,496 and 3,205 LPs instead of 2,975 and 3,637, 12 and 20
     * node-limit answers instead of 19 and 26 (docs/optimizer.md, "Branching").
     */
    const branchOn = (x) => {
      let branch = -1;
      let score = 0;
      for (let i = 0; i < ints.length; i++) {
        const v = x[ints[i]];
        const f = Math.abs(v - Math.round(v));
        if (f > INTEGRALITY_TOLERANCE && f * weight[i] > score) {
          score = f * weight[i];
          branch = i;
        }
      }
      return branch;
    };
    /**
     * A whole plan by diving from the fixings `fix0`: solve both sides of the binary `branchOn`
     * picks, keep the cheaper (the feasible one), until the relaxation is whole; two LPs per binary.
     * Rounding to the nearer side instead, or always up, missed deadlines that the cheaper side
     * keeps (docs/optimizer.md, "The whole-job hour at the node limit"). Undefined when both sides of
     * a binary are infeasible.
     */
    const dive = (fix0) => {
      const fix = new Map(fix0);
      let r = solveNode(fix);
      diveNodes += 1;
      while (r !== null) {
        const branch = branchOn(r.x);
        if (branch < 0) return r;
        const up = solveNode(new Map(fix).set(branch, 1));
        const down = solveNode(new Map(fix).set(branch, 0));
        diveNodes += 2;
        const takeUp = up !== null && (down === null || up.objective <= down.objective);
        fix.set(branch, takeUp ? 1 : 0);
        r = takeUp ? up : down;
      }
      return undefined;
    };
    let best;
    let rootBound = NaN;
    let nodes = 0;
    let diveNodes = 0;
    let stoppedAtLimit = false;
    // Open nodes: fixings and the bound their parent's relaxation gave them.
    const open = [{ fix: new Map(), bound: -Infinity }];
    /** The last node branched: its nearer child, last in `open`, goes next. */
    let plunging = false;
    const gapOk = (bound) =>
      best !== undefined &&
      best.objective - bound <=
        Math.max(o.mipRelGap * Math.max(1, Math.abs(best.objective)), o.mipAbsGap ?? 0);
    const withinNodeLimitGap = (bound) =>
      best.objective - bound <= o.nodeLimitGap * Math.max(1, Math.abs(best.objective));
    while (open.length > 0) {
      const lowest = open.reduce((m, n) => Math.min(m, n.bound), Infinity);
      if (gapOk(lowest)) break;
      if (nodes >= RELAX_BRANCH_MAX_NODES) {
        if (o.nodeLimitGap !== undefined) {
          // A dive from the root, the search's own best kept if better. (From the lowest open
          // node, it often found only plans that miss a deadline: that node's bound is its parent's,
          // and its own fixings can cost a deadline.)
          const r = dive(new Map());
          if (r && (best === undefined || r.objective < best.objective)) best = r;
          if (best !== undefined && withinNodeLimitGap(lowest)) {
            log.push(
              `relax and branch: ${nodes} nodes without closing the gap: answering with the best whole plan`,
            );
            stoppedAtLimit = true;
            break;
          }
        }
        log.push(`relax and branch: ${nodes} nodes without closing the gap: HiGHS's MIP solver takes over`);
        return undefined;
      }
      // Best first (lowest bound; the deeper on a tie): a rounding that costs a deadline is left
      // for last instead of searched through. Except right after a branching, when the nearer child
      // goes next (a plunge, until a node is pruned, infeasible or whole): it is one bound away from
      // the basis HiGHS holds, so its dual simplex takes a few iterations where a jump across the
      // tree takes many, and each LP costs HiGHS a fixed few ms besides. On the 166 re-plans of the
      // week of 2026-02-02: 2,975 LPs instead of 3,104, 19.5 iterations per node instead of 24.8,
      // the solve time 0.80 of before (docs/optimizer.md, "Plunging").
      let at = open.length - 1;
      if (!plunging) {
        at = 0;
        for (let i = 1; i < open.length; i++)
          if (
            open[i].bound < open[at].bound ||
            (open[i].bound === open[at].bound && open[i].fix.size >= open[at].fix.size)
          )
            at = i;
      }
      plunging = false;
      const node = open.splice(at, 1)[0];
      if (best !== undefined && gapOk(node.bound)) continue;
      nodes++;
      const r = solveNode(node.fix);
      if (nodes === 1) {
        rootBound = r ? r.objective : NaN;
        out.rootIterations = iterationsOf(model);
        if (r) out.rootBasis = basisOf(model);
      }
      if (r === null || (best !== undefined && gapOk(r.objective))) continue;
      const branch = branchOn(r.x);
      if (branch < 0) {
        if (best === undefined || r.objective < best.objective) best = r;
        continue;
      }
      const v = r.x[ints[branch]];
      const near = Math.round(v);
      const far = near === 1 ? 0 : 1;
      // Pushed last, the nearer side wins a tie of bounds and depth.
      open.push({ fix: new Map(node.fix).set(branch, far), bound: r.objective });
      open.push({ fix: new Map(node.fix).set(branch, near), bound: r.objective });
      plunging = true;
    }
    if (best === undefined) return undefined;
    const lowest = open.reduce((m, n) => Math.min(m, n.bound), best.objective);
    const x = best.x;
    for (const j of ints) x[j] = Math.round(x[j]) || 0; // || 0: no -0 for a binary
    // Stopped by the node limit, the answer is a whole plan with a known gap, as HiGHS's MIP
    // reports an incumbent its time limit stopped.
    return {
      status: stoppedAtLimit ? 'time_limit' : 'optimal',
      ok: true,
      objective: best.objective,
      x,
      mipGap: (best.objective - lowest) / Math.max(1, Math.abs(best.objective)),
      solveMs: performance.now() - t0,
      modelStatus: stoppedAtLimit ? MS.solutionLimit : MS.optimal,
      log,
      relaxBranch: { nodes, rootBound, diveNodes, stoppedAtNodeLimit: stoppedAtLimit },
    };
  } finally {
    model.dispose();
  }
}

/**
 * Per binary `ints[i]`, its column's weight in the model: the sum of its coefficients' magnitudes
 * (at least 1, so a binary in no row still counts by its fractionality).
 */
function columnWeights(input, ints) {
  const byCol = new Float64Array(input.numCols);
  for (let e = 0; e < input.indices.length; e++) byCol[input.indices[e]] += Math.abs(input.values[e]);
  return Float64Array.from(ints, (j) => Math.max(1, byCol[j]));
}

export function runSolve(highs, input, o) {
  const t0 = performance.now();
  const log = [];
  if (o.relaxBranch && !('lp' in input) && input.integrality.some((v) => v !== 0)) {
    // The root relaxation's basis, kept for the next re-plan whoever answers this one.
    const out = {};
    try {
      const r = relaxAndBranch(highs, input, o, t0, log, out);
      if (r) return withRoot(r, out);
    } catch (e) {
      log.push(
        `relax and branch stopped (${e instanceof Error ? e.message : String(e)}): HiGHS's MIP solver takes over`,
      );
    }
    return withRoot({ ...handedOverSolve(highs, input, o, t0, log), handedOver: true }, out);
  }
  return highsSolve(highs, input, o, t0, log);
}

/** `r` with the root relaxation's basis and iterations, where relax and branch got that far. */
function withRoot(r, root) {
  return {
    ...r,
    ...(root.startedFromBasis ? { startedFromBasis: true } : {}),
    ...(root.rootBasis ? { rootBasis: root.rootBasis } : {}),
    ...(root.rootIterations !== undefined ? { rootIterations: root.rootIterations } : {}),
  };
}

/** Simplex iterations of the model's last run (undefined where HiGHS does not say). */
function iterationsOf(model) {
  try {
    const n = Number(model.info.get('simplex_iteration_count'));
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts an LP's simplex from `basis` (SolveOptions.basis): one HiGHS refuses is logged and the
 * solve starts cold, as without it. Whether it was taken.
 */
function startFromBasis(model, basis, log) {
  if (!basis) return false;
  try {
    model.setBasis({ colStatus: basis.colStatus, rowStatus: basis.rowStatus });
    return true;
  } catch (e) {
    log.push(`starting basis refused: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

/** The model's current simplex basis as copies (posted from a worker, kept across solves). */
function basisOf(model) {
  try {
    const b = model.getBasis();
    return { colStatus: Int32Array.from(b.colStatus), rowStatus: Int32Array.from(b.rowStatus) };
  } catch {
    return undefined;
  }
}

/**
 * HiGHS's MIP solver after relax and branch gave up: within `handoverTimeLimitS` where set, and
 * without an incumbent by then, over again with the time left of `timeLimitS`.
 */
function handedOverSolve(highs, input, o, t0, log) {
  if (o.handoverTimeLimitS === undefined || o.handoverTimeLimitS >= o.timeLimitS)
    return highsSolve(highs, input, o, t0, log);
  const capped = highsSolve(highs, input, { ...o, timeLimitS: o.handoverTimeLimitS }, t0, log);
  if (capped.ok || capped.status !== 'time_limit') return capped;
  log.push(`no whole plan after ${o.handoverTimeLimitS} s of HiGHS's MIP: solving again without that limit`);
  return highsSolve(highs, input, { ...o, timeLimitS: o.timeLimitS - o.handoverTimeLimitS }, t0, log);
}

/** HiGHS's own solve (simplex, or its MIP solver) within `o.timeLimitS`; `solveMs` counts from `t0`. */
function highsSolve(highs, input, o, t0, log) {
  let model;
  let isMip = false;
  try {
    if ('lp' in input) {
      model = highs.createModel({ format: 'lp', data: input.lp });
    } else {
      const hasInt = input.integrality.some((v) => v !== 0);
      isMip = hasInt;
      model = createFromData(highs, input, hasInt ? input.integrality : undefined);
    }
    model.options.set({
      output_flag: !!o.log,
      log_to_console: false,
      time_limit: o.timeLimitS,
      mip_rel_gap: o.mipRelGap,
      ...(o.mipAbsGap !== undefined ? { mip_abs_gap: o.mipAbsGap } : {}),
    });
    const startedFromBasis = !isMip && startFromBasis(model, o.basis, log);
    // A MIP start (some columns' values, say the integers of the previous plan): HiGHS completes it
    // and keeps it as the first incumbent if it is feasible, and ignores it otherwise.
    let startAccepted;
    if (o.start && o.start.indices.length > 0 && isMip) {
      try {
        model.setSolution({ indices: o.start.indices, values: o.start.values });
        startAccepted = true;
      } catch (e) {
        startAccepted = false;
        log.push(`MIP start refused: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const callbacks = o.log
      ? {
          [highs.constants.callbackType.logging]: (e) => {
            const m = e.message ?? e.data?.message;
            if (m) log.push(String(m).replace(/\n$/, ''));
          },
        }
      : undefined;
    model.run(callbacks);
    const code = model.getModelStatus();
    const status = statusOf(code, highs.constants.modelStatus);
    const primal = Number(model.info.get('primal_solution_status'));
    // A MIP stopped by its time limit still has a usable incumbent.
    const ok = status === 'optimal' || (status === 'time_limit' && primal === PRIMAL_FEASIBLE);
    const x = ok ? Float64Array.from(model.getSolution().colValue) : new Float64Array(0);
    const objective = ok ? model.getObjectiveValue() : NaN;
    let mipGap = 0;
    try {
      const g = Number(model.info.get('mip_gap'));
      mipGap = Number.isFinite(g) && g >= 0 && g < 1e30 ? g : 0;
    } catch {
      mipGap = 0;
    }
    const rootBasis = ok && !isMip ? basisOf(model) : undefined;
    const rootIterations = isMip ? undefined : iterationsOf(model);
    return {
      status,
      ok,
      objective,
      x,
      mipGap,
      solveMs: performance.now() - t0,
      modelStatus: code,
      log,
      ...(startAccepted === undefined ? {} : { startAccepted }),
      ...(startedFromBasis ? { startedFromBasis } : {}),
      ...(rootBasis ? { rootBasis } : {}),
      ...(rootIterations !== undefined ? { rootIterations } : {}),
    };
  } catch (e) {
    return errorResult(e instanceof Error ? e.message : String(e), performance.now() - t0, log);
  } finally {
    model?.dispose();
  }
}

/**
 * A solve that gave no answer (the solver threw, or its worker died or overran): never a primal
 * solution, so callers that check `ok` fall back.
 * @param {string} message
 * @param {number} solveMs
 * @param {string[]} [log]
 * @returns {import('./highs.ts').SolveResult}
 */
export function errorResult(message, solveMs, log = []) {
  return {
    status: 'error',
    ok: false,
    objective: NaN,
    x: new Float64Array(0),
    mipGap: NaN,
    solveMs,
    modelStatus: -1,
    message,
    log,
  };
}
