import type { District } from '../sim/district.ts';
import type { Dispatch, StepView, Strategy } from '../sim/strategy-interface.ts';
import { rulesStrategy } from '../strategy/rules.ts';
import { noneStrategy } from '../strategy/none.ts';
import { actionToDispatch, type Clamp } from './action.ts';
import { checkAction } from './schema.ts';
import {
  DEFAULT_LIMITS,
  SyncHost,
  type ControllerLimits,
  type ControllerSpec,
  type Failure,
} from './host.ts';
import { buildObservation, type ObservationContext } from './observation.ts';

// An outside controller as a Strategy: the simulator calls decide(view) like any built-in. The view
// becomes an observation, the answer is checked against the schema and narrowed into the assets'
// limits (every narrowing counted), and the first failure — a throw, a hang, a heap overflow, an
// invalid answer — stops the controller: `rules` decides the rest of the run, so the run finishes
// and its figures stay comparable, and the controller is scored as failed with the reason.

/** Clamps kept with their details for the scorecard (the count is always complete). */
const MAX_CLAMP_SAMPLES = 20;

export interface ControllerRunStats {
  label: string;
  decisions: number;
  /** Decisions the controller's own answer was applied to. */
  answered: number;
  /** Decisions `rules` took because the controller had failed. */
  failedDecisions: number;
  clamps: number;
  clampSamples: Clamp[];
  decisionMs: number[];
  failure?: Failure;
}

export interface ControllerStrategy extends Strategy {
  /** Stops the controller (its process or worker); the stats are final after this. */
  close(): Promise<ControllerRunStats>;
  stats(): ControllerRunStats;
}

export function controllerStrategy(
  d: District,
  spec: ControllerSpec,
  ctx: (d: District) => ObservationContext,
  limits: ControllerLimits = DEFAULT_LIMITS,
  name = spec.label,
): ControllerStrategy {
  const host = new SyncHost(spec, limits);
  const fallback = d.scenario.strategies.rules ? rulesStrategy(d) : noneStrategy();
  const observationContext = ctx(d);
  const st: ControllerRunStats = {
    label: spec.label,
    decisions: 0,
    answered: 0,
    failedDecisions: 0,
    clamps: 0,
    clampSamples: [],
    decisionMs: host.decisionMs,
  };
  let started = false;
  const decideByController = (view: StepView): Dispatch | undefined => {
    if (!started) {
      started = true;
      if (!host.start()) return undefined;
    }
    if (host.failure) return undefined;
    let observation;
    try {
      observation = buildObservation(view, observationContext);
    } catch (e) {
      // Ours, not the controller's: say so rather than blame it.
      throw new Error(`testbed: observation not built at ${view.timeMs}: ${(e as Error).message}`);
    }
    const raw = host.decide(observation);
    if (host.failure) return undefined;
    const checked = checkAction(raw);
    if (!checked.ok) {
      host.reject('invalid-answer', checked.error);
      return undefined;
    }
    const mapped = actionToDispatch(view, checked.value);
    if (!mapped.ok) {
      host.reject('invalid-answer', mapped.error);
      return undefined;
    }
    st.clamps += mapped.clamps.length;
    for (const c of mapped.clamps) if (st.clampSamples.length < MAX_CLAMP_SAMPLES) st.clampSamples.push(c);
    return mapped.dispatch;
  };
  return {
    name,
    decide(view) {
      st.decisions++;
      const dp = decideByController(view);
      if (dp) {
        st.answered++;
        return dp;
      }
      st.failedDecisions++;
      return fallback.decide(view);
    },
    counters() {
      return { clamps: st.clamps, failedDecisions: st.failedDecisions };
    },
    stats() {
      return { ...st, failure: host.failure };
    },
    async close() {
      await host.close();
      return { ...st, failure: host.failure };
    },
  };
}
