import type { District } from '../sim/district.ts';
import { plannerStrategy, plannerDefaults, type PlannerStrategy } from './mpc.ts';
import { persistenceForecast, type Forecast } from '../forecast/planner-standin.ts';
import { learnedForecast } from '../forecast/planner-learned.ts';
import { DEFAULT_MOVE_BLOCKING } from './horizon.ts';

/** Re-plans every hour over this many hours ahead: covers tonight's charging and tomorrow's peak. */
export const OPTIMAL_HORIZON_HOURS = 24;
export const OPTIMAL_REPLAN_HOURS = 1;
/** Per-solve limit: an hourly re-plan that is not done in this long falls back (see mpc.ts). */
export const OPTIMAL_TIME_LIMIT_S = 20;
/**
 * What HiGHS's MIP solver gets when relax and branch hands a re-plan over. Of 36 hand-overs of
 * February 2026 it had the 20 s search's answer within 3 s in 31 and a plan 0.2–4.4·10⁻⁴ above it in
 * the rest; January to March took 36 % less time for +0.007 to +0.05 % on the comparable total
 * (docs/optimizer.md, "Why a year…").
 */
export const OPTIMAL_HANDOVER_TIME_LIMIT_S = 3;
/**
 * A re-plan whose relax and branch reaches its node limit takes a dive's whole plan when it is within
 * this relative gap of the search's bound, and goes to HiGHS's MIP only otherwise. February 2026:
 * 14 hand-overs instead of 153, the run in about half the time, the bill 0.22 % higher, the same
 * misses (0) and unfinished work; at 1e-3, 56 hand-overs and +0.07 % (docs/optimizer.md, "The
 * whole-job hour at the node limit").
 */
export const OPTIMAL_NODE_LIMIT_GAP = 1e-2;

/**
 * The forecast `optimal` plans on: the learned PV and load forecasters (src/forecast), trained on
 * the weeks before the run; the persistence stand-in where they cannot be built (say, a district
 * whose weather file does not reach back far enough), with the reason on stderr.
 */
export function optimalForecast(d: District): Forecast {
  try {
    return learnedForecast(d);
  } catch (e) {
    process.stderr.write(
      `optimal: learned forecasters unavailable (${(e as Error).message}); using persistence\n`,
    );
    return persistenceForecast(d);
  }
}

/**
 * Model-predictive control on forecasts. `finishWorkByRunEnd` (default true): the training pool works
 * until the run's end and no longer, so work is not left queued at the end (PlanOptions); false to
 * plan as if the run went on, as the live controller does.
 */
export function optimalStrategy(
  d: District,
  forecast: Forecast = optimalForecast(d),
  { finishWorkByRunEnd = true }: { finishWorkByRunEnd?: boolean } = {},
): PlannerStrategy {
  return plannerStrategy(d, {
    name: 'optimal',
    forecast,
    plan: {
      ...plannerDefaults(OPTIMAL_HORIZON_HOURS),
      moveBlocking: DEFAULT_MOVE_BLOCKING,
      finishWorkByRunEnd,
    },
    solve: {
      timeLimitS: OPTIMAL_TIME_LIMIT_S,
      handoverTimeLimitS: OPTIMAL_HANDOVER_TIME_LIMIT_S,
      nodeLimitGap: OPTIMAL_NODE_LIMIT_GAP,
      mipRelGap: 1e-4,
      relaxBranch: true,
    },
    replanEveryHours: OPTIMAL_REPLAN_HOURS,
    skipUnchanged: true,
  });
}
