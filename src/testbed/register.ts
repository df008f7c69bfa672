import { registerStrategy, strategyNames } from '../scenario/strategies.ts';
import { controllerSpec, DEFAULT_LIMITS, looksLikeController, type ControllerLimits } from './host.ts';
import { persistenceForecaster } from './observation.ts';
import { controllerStrategy, type ControllerRunStats, type ControllerStrategy } from './strategy.ts';

// `simulate --strategies rules,./my-controller.mjs`: every entry that is a path or a URL becomes a
// strategy of that name, run through the test bed's host (a confined process, or HTTP) with its limits. The
// simulator's own forecasts are not the controller's business here: its observations carry the
// persistence forecasts (`bitgrid testbed` scores on the learned ones).

export interface RegisteredControllers {
  /** The strategies asked for, each controller by the name it was registered under. */
  names: string[];
  /** Stops every controller started and returns what each did (failures, clamps). */
  close(): Promise<ControllerRunStats[]>;
}

/** A strategy name that is safe in file names (reports write `ledger-<strategy>.csv`). */
function safeName(label: string): string {
  const base = label
    .replace(/^https?:\/\//i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  let name = base || 'controller';
  for (let k = 2; strategyNames().includes(name); k++) name = `${base}-${k}`;
  return name;
}

export function registerControllerStrategies(
  asked: readonly string[],
  limits: ControllerLimits = DEFAULT_LIMITS,
): RegisteredControllers {
  const started: ControllerStrategy[] = [];
  const names = asked.map((arg) => {
    if (!looksLikeController(arg) || strategyNames().includes(arg)) return arg;
    const spec = controllerSpec(arg);
    const name = safeName(spec.label);
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
    return name;
  });
  return {
    names,
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
