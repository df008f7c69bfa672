import { registerStrategy, strategyNames } from '../strategy/index.ts';
import { controllerSpec, DEFAULT_LIMITS, looksLikeController, type ControllerLimits } from './host.ts';
import { persistenceForecaster } from './observation.ts';
import { controllerStrategy, type ControllerRunStats, type ControllerStrategy } from './strategy.ts';

// `simulate --strategies rules,./my-controller.mjs`: every entry that is a path or a URL becomes a
// strategy of that name, run through the test bed's worker (or HTTP) host with its limits. The
// simulator's own forecasts are not the controller's business here: its observations carry the
// persistence forecasts (`bitgrid testbed` scores on the learned ones).

export interface RegisteredControllers {
  /** Stops every controller started and returns what each did (failures, clamps). */
  close(): Promise<ControllerRunStats[]>;
}

export function registerControllerStrategies(
  names: readonly string[],
  limits: ControllerLimits = DEFAULT_LIMITS,
): RegisteredControllers {
  const started: ControllerStrategy[] = [];
  for (const name of names) {
    if (!looksLikeController(name) || strategyNames().includes(name)) continue;
    const spec = controllerSpec(name);
    registerStrategy(name, (d) => {
      const s = controllerStrategy(
        d,
        spec,
        (dd) => ({ forecaster: persistenceForecaster(dd) }),
        limits,
        name,
      );
      started.push(s);
      return s;
    });
  }
  return {
    async close() {
      const out: ControllerRunStats[] = [];
      for (const s of started) {
        const st = await s.close();
        out.push({ ...st, decisionMs: [], clampSamples: st.clampSamples.slice(0, 5) });
      }
      return out;
    },
  };
}
