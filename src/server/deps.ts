import type { LiveSystem } from '../control/types.ts';
import type { LoadedScenario } from '../model/load.ts';
import type { Store } from '../store/index.ts';
import type { LoopWatch } from './health.ts';
import type { ApiMetrics } from './metrics.ts';
import type { Iso } from './records.ts';
import type { SimulationManager } from './simulations.ts';
import type { TokenCache } from './token-cache.ts';

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
  /** Token checks remembered for a while (revoking through the API drops them). */
  tokens: TokenCache;
  /** How often an open stream re-checks its token (through `tokens`), wall ms. */
  streamTokenRecheckMs: number;
  /** The control loop's troubles over the recent past, for /api/health. */
  loopWatch: LoopWatch;
  metrics: ApiMetrics;
}

export interface RoutePluginOptions {
  deps: RouteDeps;
}
