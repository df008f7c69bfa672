import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { initialView } from '../../src/optimize/view.ts';
import { perfectForecast } from '../../src/forecast/planner-standin.ts';
import { DEFAULT_PLAN_OPTIONS, problemFromView } from '../../src/optimize/horizon.ts';
import { solveHorizon } from '../../src/optimize/build.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The week is planned in one horizon, as `bitgrid optimize --horizon 7d` does. */
const WEEK_HOURS = 7 * 24;
const MIP_GAP = 1e-4;
/** Generous: it solves in seconds on a quiet machine; the limit only stops a run that went wrong. */
const TIME_LIMIT_S = 300;

describe('the EMHASS-shaped week', () => {
  it(
    'solves to a 1e-4 MIP gap with every window served and the battery back at its end target',
    () => {
      const { scenario, baseDir } = loadScenarioFile(join(here, '../../scenarios/emhass-week/district.yaml'));
      const d = prepareDistrict(scenario, { days: 8, baseDir });
      const p = problemFromView(initialView(d, 0), perfectForecast(d), {
        ...DEFAULT_PLAN_OPTIONS,
        horizonHours: WEEK_HOURS,
      });
      expect(p.steps).toBe(672);
      expect(p.deferrables!.length).toBe(4);
      const r = solveHorizon(p, { mipRelGap: MIP_GAP, timeLimitS: TIME_LIMIT_S });
      expect(r.result.status).toBe('optimal');
      expect(r.result.mipGap).toBeLessThanOrEqual(MIP_GAP);
      const s = r.schedule!;
      expect(s.deferrableUnmetKwh).toBeLessThan(1e-6);
      // Every window inside the week gets exactly what it owes (semi-continuous loads in whole steps).
      p.deferrables!.forEach((j, ji) => {
        for (const w of j.windows) {
          let kwh = 0;
          for (let k = w.startStep; k < w.endStep; k++) kwh += s.deferrableKw[ji][k] * p.stepHours;
          expect(kwh).toBeGreaterThanOrEqual(w.requiredKwh - 1e-6);
          expect(kwh).toBeLessThanOrEqual(w.maxKwh + 1e-6);
        }
      });
      const bat = scenario.sites[0].assets.find((a) => a.type === 'battery')!;
      if (bat.type !== 'battery') throw new Error('no battery');
      expect(s.batterySocKwh[0][p.steps - 1]).toBeGreaterThanOrEqual(
        bat.soc_target_end! * bat.capacity_kwh - 1e-6,
      );
    },
    (TIME_LIMIT_S + 60) * 1000,
  );
});

describe('deferrable loads under a planner', () => {
  it('run as the plan says, not as early as allowed', async () => {
    const { oracleStrategy } = await import('../../src/optimize/oracle.ts');
    const { noneStrategy } = await import('../../src/strategy/none.ts');
    const { runSimulation } = await import('../../src/sim/engine.ts');
    const { scenario, baseDir } = loadScenarioFile(join(here, '../../scenarios/emhass-week/district.yaml'));
    const d = prepareDistrict(scenario, { days: 1, baseDir });
    const ids = d.scenario.sites
      .flatMap((s) => s.assets)
      .filter((a) => a.type === 'deferrable_load')
      .map((a) => a.id);
    expect(ids.length).toBe(4);
    const oracle = oracleStrategy(d);
    const planned = new Map<string, number[]>(ids.map((id) => [id, []]));
    const r = runSimulation(d, {
      name: 'probe',
      decide(view) {
        const dp = oracle.decide(view);
        ids.forEach((id, j) => planned.get(id)!.push(dp.deferrableKw?.[j] ?? NaN));
        return dp;
      },
    });
    const early = runSimulation(prepareDistrict(scenario, { days: 1, baseDir }), noneStrategy());
    let differsFromEarly = 0;
    for (const id of ids) {
      const ran = r.series.byAsset.get(id)!;
      const plan = planned.get(id)!;
      for (let i = 0; i < ran.length; i++) {
        // The simulator never draws more than planned (it may draw less in a window's last step,
        // where only what is still owed is left).
        expect(Number.isFinite(plan[i])).toBe(true);
        expect(ran[i]).toBeLessThanOrEqual(plan[i] + 1e-6);
        if (Math.abs(ran[i] - early.series.byAsset.get(id)![i]) > 1e-6) differsFromEarly++;
      }
    }
    // The plan moves the loads to other hours than "as early as allowed".
    expect(differsFromEarly).toBeGreaterThan(0);
  }, 300_000);
});
