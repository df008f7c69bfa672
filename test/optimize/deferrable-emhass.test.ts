import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../src/model/index.ts';
import { prepareDistrict } from '../../src/sim/district.ts';
import { initialView } from '../../src/optimize/view.ts';
import { perfectForecast } from '../../src/optimize/forecast-standin.ts';
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
