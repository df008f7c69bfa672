import type { Setpoint, SetpointKind } from '../drivers/types.ts';
import type { DatacenterJob, JobPlan, JobSubmission } from './jobs.ts';
import type { StreamKey } from '../model/measurements.ts';
import type { AssetMode, LiveGrid, LiveToday } from './api-types.ts';

export type { AssetMode, LiveGrid, LiveToday };

// What the live system shows and accepts: the control loop implements it, the HTTP API and the
// dashboard use it. All times UTC epoch ms; powers in kW with the sign conventions of
// docs/conventions.md.

export interface MeasuredValue {
  value: number;
  timeMs: number;
}

export interface AssetLiveState {
  id: string;
  siteId: string;
  type: string;
  mode: AssetMode;
  /** Latest value per stream key (`power_kw`, `soc_fraction`, `power_kw@<channel>`). */
  measurements: Partial<Record<StreamKey, MeasuredValue>>;
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
  grid: LiveGrid;
  /** Running figures for the current local day. */
  today: LiveToday;
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

/** The live planner as the API shows it (src/live/controller.ts implements it). */
export interface LivePlanner {
  status(): {
    strategy: string;
    /** `schedule`: following the newest plan; `rules`: no valid plan covers now; `direct`: a strategy without plans. */
    mode: 'schedule' | 'rules' | 'direct';
    scheduleId?: number;
    scheduleMadeMs?: number;
    solving: boolean;
    lastSolve?: { atMs: number; status: string; solveMs: number; reason: string };
    counters: Record<string, number>;
  };
  /** Charging sessions as the planner sees them: departure and energy as told, reported or assumed. */
  sessions(): {
    key: string;
    assetId: string;
    channel: string;
    arrivalMs: number;
    departureMs: number;
    energyKwh: number;
    deliveredKwh: number;
  }[];
  /** Departure and energy of a session whose charger cannot tell them; false when no such session. */
  setSessionNeeds(
    assetId: string,
    channel: string,
    needs: { departureMs?: number; energyKwh?: number },
  ): boolean | Promise<boolean>;
}

/**
 * The data center's job book as the API uses it: JobBook implements it in the control process, and
 * the API worker holds a copy that forwards writes to it (src/server/remote-live.ts).
 */
export interface JobDesk {
  list(): DatacenterJob[];
  get(id: string): DatacenterJob | undefined;
  /** The jobs part of the plan in force, if any. */
  plan(): JobPlan | undefined;
  /** Checks (known data center, GPUs, feasible by the deadline), keeps, audits; JobError when refused. */
  submit(input: JobSubmission, actor: Actor): Promise<DatacenterJob>;
  cancel(id: string, actor: Actor): Promise<DatacenterJob>;
}

/** How the live system itself is doing: for /api/health and /metrics. */
export interface LiveHealth {
  /** Control cycles run since start. */
  cycles: number;
  /** Wall-clock time (Date.now()) the last cycle ended, ms; undefined before the first. */
  lastCycleEndWallMs?: number;
  /** The loop's period, wall ms (a cycle later than 1.5 periods counts as late). */
  cyclePeriodWallMs: number;
  /** Durations of the recent cycles (last few hundred), wall ms. */
  cycleDurationMs: { last: number; p50: number; p99: number; max: number };
  /** Cycles that started more than half a period late, and cycles that failed, since start. */
  cyclesLate: number;
  cyclesFailed: number;
  store: {
    /** False while writes fail (telemetry stays buffered, events and audit retried). */
    ok: boolean;
    lastError?: string;
    /** Telemetry points waiting to be written, and points dropped because the buffer was full. */
    bufferedPoints: number;
    droppedPoints: number;
  };
  telemetry: {
    accepted: number;
    /** Measurements refused by the plausibility checks, by reason. */
    rejected: Record<string, number>;
  };
  drivers: { id: string; type: string; health: string; lastError?: string }[];
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
  readonly jobs?: JobDesk;
  /** The planner that decides live, when there is one. */
  readonly planner?: LivePlanner;
  /** Cycle timing, store, telemetry and driver health. */
  health?(): LiveHealth;
}
