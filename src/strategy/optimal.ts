import type { District } from '../sim/district.ts';
import { plannerStrategy, plannerDefaults, type PlannerStrategy } from '../optimize/mpc.ts';
import { persistenceForecast } from '../optimize/forecast-standin.ts';

/** Re-plans every hour over this many hours ahead: covers tonight's charging and tomorrow's peak. */
export const OPTIMAL_HORIZON_HOURS = 24;
export const OPTIMAL_REPLAN_HOURS = 1;
/** Per-solve limit: an hourly re-plan that is not done in this long falls back (see mpc.ts). */
export const OPTIMAL_TIME_LIMIT_S = 20;

/** Model-predictive control on the persistence stand-in forecast. */
export function optimalStrategy(d: District): PlannerStrategy {
  return plannerStrategy(d, {
    name: 'optimal',
    forecast: persistenceForecast(d),
    plan: plannerDefaults(OPTIMAL_HORIZON_HOURS),
    solve: { timeLimitS: OPTIMAL_TIME_LIMIT_S, mipRelGap: 1e-4 },
    replanEveryHours: OPTIMAL_REPLAN_HOURS,
  });
}
