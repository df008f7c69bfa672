import type { Setpoint, SetpointKind } from '../drivers/types.ts';
import type { JobBook } from './jobs.ts';

// What the live system shows and accepts: the control loop implements it, the HTTP API and the
// dashboard use it. All times UTC epoch ms; powers in kW with the sign conventions of
// docs/conventions.md.

/**
 * - auto: following the schedule within the guards;
 * - override: an operator's value (with expiry) within the guards;
 * - safe: telemetry stale or device fault — the asset's safe setpoint is applied;
 * - offline: no driver connection at all.
 */
export type AssetMode = 'auto' | 'override' | 'safe' | 'offline';

export interface MeasuredValue {
  value: number;
  timeMs: number;
}

export interface AssetLiveState {
  id: string;
  siteId: string;
  type: string;
  mode: AssetMode;
  /** Latest value per measurement name (e.g. `power_kw`, `soc_fraction`). */
  measurements: Record<string, MeasuredValue>;
  /** Setpoint last commanded, after the guards (written unless the device is unreachable). */
  setpoint?: Setpoint;
  /** Why the asset is in safe or offline mode. */
  reason?: string;
}

export interface LiveSnapshot {
  timeMs: number;
  districtName: string;
  sites: { id: string; name: string }[];
  assets: AssetLiveState[];
  grid: {
    importKw: number;
    exportKw: number;
    /** Highest 15-minute import in demand hours this month so far, kW. */
    monthPeakKw: number;
    billingDemandKw: number;
  };
  /** Running figures for the current local day. */
  today: {
    costKrw: number;
    importKwh: number;
    pvKwh: number;
    consumptionKwh: number;
    selfSufficiency: number;
    re100HourlyMatching: number;
  };
  strategy: string;
  /** Control cycles run since start. */
  cycle: number;
}

export interface Override {
  id: string;
  assetId: string;
  kind: SetpointKind;
  value: number;
  channel?: string;
  startMs: number;
  expiresMs: number;
  createdBy: string;
  reason: string;
}

export interface NewOverride {
  assetId: string;
  kind: SetpointKind;
  value: number;
  channel?: string;
  /** How long it holds; the loop returns the asset to auto afterwards. */
  durationMinutes: number;
  reason: string;
}

export interface Actor {
  /** Token id, or `system`. */
  id: string;
  role: 'viewer' | 'operator' | 'admin' | 'system';
}

/** A value a guard refused: says which limit and by how much. Becomes a 400/409 at the API. */
export class GuardRejection extends Error {
  readonly code = 'BITGRID_ERR_GUARD';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface LiveSystem {
  snapshot(): LiveSnapshot;
  /**
   * Called with flat key deltas (`assets.factory-pv.measurements.power_kw.value` → 1234.5) after
   * every control cycle; returns the unsubscribe function.
   */
  subscribe(listener: (delta: Record<string, unknown>) => void): () => void;
  /** Validates against the asset's limits (GuardRejection when outside), applies, audits. */
  setOverride(o: NewOverride, actor: Actor): Promise<Override>;
  clearOverride(id: string, actor: Actor): Promise<void>;
  overrides(): Override[];
  /** The data center's training jobs; absent when the live system plans none (the API answers 503). */
  readonly jobs?: JobBook;
}
