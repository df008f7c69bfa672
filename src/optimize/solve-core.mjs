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

export function runSolve(highs, input, o) {
  const t0 = performance.now();
  const log = [];
  let model;
  let isMip = false;
  try {
    if ('lp' in input) {
      model = highs.createModel({ format: 'lp', data: input.lp });
    } else {
      const hasInt = input.integrality.some((v) => v !== 0);
      isMip = hasInt;
      model = highs.createModel({
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
        ...(hasInt ? { integrality: input.integrality } : {}),
      });
    }
    model.options.set({
      output_flag: !!o.log,
      log_to_console: false,
      time_limit: o.timeLimitS,
      mip_rel_gap: o.mipRelGap,
    });
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
