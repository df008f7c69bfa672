import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict, type District } from '../../src/sim/district.ts';
import { buildModel, solveHorizon } from '../../src/optimize/build.ts';
import { referenceHourlyPlan } from './fixtures.ts';
import { solveSync } from '../../src/optimize/highs.ts';
import { basisKeys, WarmBasis } from '../../src/optimize/warm-basis.ts';

// The previous re-plan's basis as the next one's start (warm-basis.ts): columns and rows matched by
// what they are an hour later, the count of basic entries made right, and the same optimum reached
// in fewer simplex iterations.

/** HiGHS's basis codes: basic, nonbasic at upper. */
const BASIC = 1;
const UPPER = 2;

describe('the last re-plan’s basis as the next one’s start (reference district, 10:00 and 11:00)', () => {
  let d: District;
  const plan = (index: number) => referenceHourlyPlan(d, index);

  beforeAll(() => {
    const { scenario, baseDir } = loadScenarioFile();
    d = prepareDistrict(scenario, { days: 2, baseDir });
  });

  it('names a column by its clock step and an EV by its session, not by their indices', () => {
    const p10 = plan(40);
    const p11 = plan(44);
    // The same cars in the other order: their indices change, their keys must not.
    const p11r = { ...p11, ev: [...p11.ev].reverse() };
    expect(p11.ev.length).toBeGreaterThan(1);
    const stems = new Map<string, number>();
    const b10 = buildModel(p10);
    const b11 = buildModel(p11r);
    const k10 = basisKeys(p10, b10, stems);
    const k11 = basisKeys(p11r, b11, stems);
    const at = (keys: typeof k10.cols, j: number) => `${keys.stem[j]}@${keys.clock[j]}`;
    const col = (b: typeof b10, name: string) => b.model.colNames.indexOf(name);
    // 11:00's step 0 is 10:00's step 4.
    expect(at(k11.cols, col(b11, 'g_imp_0'))).toBe(at(k10.cols, col(b10, 'g_imp_4')));
    expect(at(k11.cols, col(b11, 'g_imp_0'))).not.toBe(at(k10.cols, col(b10, 'g_imp_0')));
    // Each car's unmet-energy column: matched by session id across the reversed order.
    let cars = 0;
    p11r.ev.forEach((s, i) => {
      const j10 = p10.ev.findIndex((e) => e.id === s.id);
      if (j10 < 0 || j10 === i) return;
      cars++;
      expect(at(k11.cols, col(b11, `ev${i}_u`))).toBe(at(k10.cols, col(b10, `ev${j10}_u`)));
    });
    expect(cars).toBeGreaterThan(0);
  });

  it('gives the next hour a basis HiGHS takes: one basic entry per row, nonbasic only at finite bounds', () => {
    const warm = new WarmBasis();
    solveHorizon(plan(40), { relaxBranch: true }, undefined, warm);
    const p = plan(44);
    const b = buildModel(p);
    const data = b.model.toModelData();
    const basis = warm.basisFor(p, b, data)!;
    expect(basis.colStatus.length).toBe(data.numCols);
    expect(basis.rowStatus.length).toBe(data.numRows);
    const basic =
      basis.colStatus.filter((s) => s === BASIC).length + basis.rowStatus.filter((s) => s === BASIC).length;
    expect(basic).toBe(data.numRows);
    basis.colStatus.forEach((s, j) => {
      if (s === UPPER) expect(data.colUpper[j]).toBeLessThan(Infinity);
      if (s === 0) expect(data.colLower[j]).toBeGreaterThan(-Infinity);
    });
    const r = solveSync(data, { relaxBranch: true, basis });
    expect(r.status).toBe('optimal');
    expect(r.log.join('\n')).not.toMatch(/refused/);
  });

  it('reaches the same optimum an hour later in fewer simplex iterations than a cold start', () => {
    const warm = new WarmBasis();
    solveHorizon(plan(40), { relaxBranch: true }, undefined, warm);
    const p = plan(44);
    const cold = solveHorizon(p, { relaxBranch: true });
    const warmed = solveHorizon(p, { relaxBranch: true }, undefined, warm);
    expect(cold.result.status).toBe('optimal');
    expect(warmed.result.status).toBe('optimal');
    expect(Math.abs(warmed.result.objective - cold.result.objective)).toBeLessThanOrEqual(
      1e-4 * Math.abs(cold.result.objective),
    );
    expect(warmed.result.rootIterations).toBeGreaterThanOrEqual(0);
    expect(warmed.result.rootIterations!).toBeLessThan(cold.result.rootIterations!);
  });

  it('solves cold, with the refusal in the log, when HiGHS will not take the basis', () => {
    const p = plan(44);
    const data = buildModel(p).model.toModelData();
    const cold = solveSync(data, { relaxBranch: true });
    // Statuses for a model of another size: HiGHS refuses them.
    const wrong = { colStatus: new Int32Array(3), rowStatus: new Int32Array(2) };
    const r = solveSync(data, { relaxBranch: true, basis: wrong });
    expect(r.status).toBe('optimal');
    expect(r.log.join('\n')).toMatch(/starting basis refused/);
    expect(Math.abs(r.objective - cold.objective)).toBeLessThanOrEqual(1e-6 * Math.abs(cold.objective));
  });
});
