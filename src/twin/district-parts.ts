import type { Asset, AssetOf, Scenario } from '../model/schema.ts';
import type { ScaledClock } from './ocpp/index.ts';
import type { TwinWorld } from './world.ts';

// What the twin district's devices share while they start (./district.ts assembles them): the world
// and clock they live in, and one place to leave what each adds to the district — the driver
// configurations that reach it, how to stop it, and how a watchdog test kills and revives it.

/** Shortest real-time period of the twin's timers, ms (below it the event loop only spins). */
export const MIN_TIMER_MS = 20;

/** Kills a device (its socket goes away) and brings it back on the same port. */
export interface DeviceSwitch {
  kill(): Promise<void>;
  revive(): Promise<void>;
}

export interface DistrictParts {
  /** Driver configurations, in the order Bitgrid is to start them. */
  readonly devices: Record<string, unknown>[];
  /** Run last first at stop: what started later may depend on what started earlier. */
  readonly stoppers: (() => Promise<void>)[];
  /** By asset id. */
  readonly killers: Map<string, DeviceSwitch>;
}

export interface DistrictContext {
  scenario: Scenario;
  world: TwinWorld;
  clock: ScaledClock;
  now: () => number;
  /** Simulated ms per real ms. */
  speed: number;
  log: (msg: string, detail?: object) => void;
  parts: DistrictParts;
}

export interface SiteAsset<T extends Asset['type']> {
  siteId: string;
  a: AssetOf<T>;
}

/** The scenario's assets of one type, site by site. */
export function assetsOf<T extends Asset['type']>(scenario: Scenario, type: T): SiteAsset<T>[] {
  return scenario.sites.flatMap((site) =>
    site.assets.filter((a): a is AssetOf<T> => a.type === type).map((a) => ({ siteId: site.id, a })),
  );
}
