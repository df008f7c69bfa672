import type { District } from '../sim/district.ts';
import { runSimulation } from '../sim/engine.ts';
import type { StepView, Strategy } from '../sim/strategy-interface.ts';
import { rulesStrategy } from '../strategy/rules.ts';
import { noneStrategy } from '../strategy/none.ts';

// The district's state at one interval, for planning a single horizon offline (CLI, tests, bench):
// the simulator runs the baseline strategy up to that interval and hands over the view it would
// give any strategy there.

class Captured extends Error {
  constructor(readonly view: StepView) {
    super('captured');
  }
}

/** The StepView at interval `index`, the district having been run by `rules` (or `none`) until then. */
export function initialView(d: District, index: number): StepView {
  if (!(index >= 0 && index < d.grid.count))
    throw new RangeError(`interval ${index} is outside the district's ${d.grid.count} intervals`);
  const base = d.scenario.strategies.rules ? rulesStrategy(d) : noneStrategy();
  const probe: Strategy = {
    name: 'probe',
    decide(view) {
      if (view.index === index) throw new Captured(view);
      return base.decide(view);
    },
  };
  try {
    runSimulation(d, probe);
  } catch (e) {
    if (e instanceof Captured) return e.view;
    throw e;
  }
  throw new Error('the simulation ended before reaching the interval');
}
