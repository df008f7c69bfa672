import { describe, expect, it } from 'vitest';
import { solveHorizon } from '../../src/optimize/build.ts';
import { emptyProblem } from '../../src/optimize/testing.ts';

describe('EV fleet aggregation', () => {
  it('gives the per-session optimum when the envelopes are exact, and disaggregates to meet every car', () => {
    // Three cars with the same stay and limits: aggregation loses nothing.
    const build = () => {
      const p = emptyProblem(6, 1);
      p.importPriceKrwPerKwh.set([300, 200, 100, 150, 50, 250]);
      for (const [id, kwh] of [
        ['a', 10],
        ['b', 14],
        ['c', 5],
      ] as const)
        p.ev.push({
          id,
          startStep: 0,
          endStep: 5,
          remainingKwh: kwh,
          requiredKwh: kwh,
          dischargeRoomKwh: kwh,
          maxPowerKw: 7,
          maxDischargeKw: 0,
        });
      return p;
    };
    const single = solveHorizon(build());
    const p = build();
    p.evFleetThreshold = 0;
    const fleet = solveHorizon(p);
    expect(fleet.built.fleet).toBeDefined();
    expect(fleet.result.objective).toBeCloseTo(single.result.objective, 6);
    for (const [id, kwh] of [
      ['a', 10],
      ['b', 14],
      ['c', 5],
    ] as const) {
      const got = fleet.schedule!.evKw.get(id)!.reduce((x, y) => x + y, 0);
      expect(got).toBeCloseTo(kwh, 6);
    }
  });
});
