// The parts of the live state (types.ts LiveSnapshot) that reach the API as they are: no `…Ms` field
// to turn into an ISO time, no list to key by id (src/server/wire.ts). This file imports nothing, so
// the dashboard (web/src/api.ts, LiveState) imports these types instead of copying them; types.ts
// re-exports them.

/**
 * - auto: following the schedule within the guards;
 * - override: an operator's value (with expiry) within the guards;
 * - safe: telemetry stale or device fault — the asset's safe setpoint is applied;
 * - offline: no driver connection at all.
 */
export type AssetMode = 'auto' | 'override' | 'safe' | 'offline';

/** The grid connection now (LiveSnapshot.grid), kW. */
export interface LiveGrid {
  importKw: number;
  exportKw: number;
  /** Highest 15-minute mean import in demand-charge hours this month so far, kW. */
  monthPeakKw: number;
  billingDemandKw: number;
  /** The import limit in force now: the connection's, or a grid operator's (OpenADR) tighter one. */
  importLimitKw?: number;
}

/** Running figures for the current local day (LiveSnapshot.today). */
export interface LiveToday {
  costKrw: number;
  importKwh: number;
  pvKwh: number;
  consumptionKwh: number;
  selfSufficiency: number;
  re100HourlyMatching: number;
}
