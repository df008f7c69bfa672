import type { LiveSystem } from '../control/types.ts';
import type { LoadedScenario } from '../model/load.ts';
import type { Store } from '../store/index.ts';
import type { Iso } from './records.ts';
import type { SimulationManager } from './simulations.ts';

/** What every route plugin gets as its options. */
export interface RouteDeps {
  live: LiveSystem;
  store: Store;
  scenario: LoadedScenario;
  /** The district's IANA zone: every time at the API carries its offset. */
  zone: string;
  iso: Iso;
  now: () => number;
  sims: SimulationManager;
  version: string;
  startedMs: number;
}

export interface RoutePluginOptions {
  deps: RouteDeps;
}
