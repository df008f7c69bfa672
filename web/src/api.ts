// The HTTP API of `bitgrid serve` as the dashboard uses it: same origin, bearer token, errors as
// `{ error: { code, message, field? } }` (see src/server/errors.ts).

import type { AssetMode, LiveGrid, LiveToday } from '../../src/control/api-types.ts';
import type { MeasurementName, StreamKey } from '../../src/model/measurements.ts';
import type { Kpis } from '../../src/report/kpi-types.ts';
import type { Bill } from '../../src/tariff/bill-types.ts';

// Measurement names and stream keys are the server's own vocabulary, imported rather than copied.
export type { MeasurementName, StreamKey };
// The asset modes, and the live state's grid and today figures, which reach the wire as they are.
export type { AssetMode, LiveGrid, LiveToday };

export const TOKEN_KEY = 'bitgrid.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const token = init.token ?? getToken();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', (e as Error).message);
  }
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? res.statusText,
      err?.field,
    );
  }
  return data as T;
}

// ---- wire types (src/server/schemas.ts)

export interface Measured {
  value: number;
  time: string;
}
export interface AssetLive {
  id: string;
  siteId: string;
  type: string;
  mode: AssetMode;
  measurements: Partial<Record<StreamKey, Measured>>;
  setpoint?: { assetId: string; kind: string; value: number; channel?: string; validUntil?: string };
  reason?: string;
}
/**
 * src/control/types.ts LiveSnapshot as src/server/wire.ts sends it: `…Ms` times become ISO strings and
 * the site and asset lists objects keyed by id, so only its grid and today parts are the same type.
 */
export interface LiveState {
  time: string;
  districtName: string;
  sites: Record<string, { id: string; name: string }>;
  assets: Record<string, AssetLive>;
  grid: LiveGrid;
  today: LiveToday;
  strategy: string;
  cycle: number;
}
export interface District {
  name: string;
  timezone: string;
  intervalMinutes: number;
  grid: { contract_demand_kw: number; import_limit_kw: number; export_limit_kw: number };
  sites: { id: string; name: string; assets: { id: string; type: string; [k: string]: unknown }[] }[];
}
export interface EventRec {
  id: number;
  time: string;
  severity: 'info' | 'warning' | 'alarm' | 'critical';
  source: string;
  code: string;
  message: string;
  assetId?: string;
  acknowledged: boolean;
}
export interface AuditRec {
  id: number;
  time: string;
  actor: string;
  role: string;
  action: string;
  target: string;
  details: unknown;
  outcome: 'ok' | 'denied' | 'failed';
}
export interface OverrideRec {
  id: string;
  assetId: string;
  kind: string;
  value: number;
  channel?: string;
  start: string;
  expires: string;
  createdBy: string;
  reason: string;
}
export interface TelemetrySeries {
  points: { time: string; value: number; count: number }[];
  truncated: boolean;
  bucketMinutes?: number;
}
export interface ForecastRec {
  id: number;
  issued: string;
  assetId: string;
  target: string;
  start: string;
  intervalMinutes: number;
  quantiles: Record<string, number[]>;
  model?: string;
}
export interface ScheduleRec {
  id: number;
  created: string;
  start: string;
  end: string;
  strategy: string;
  status: string;
  payload: unknown;
}
/** A schedule version without its setpoints (GET /api/schedules). */
export interface ScheduleVersion extends Omit<ScheduleRec, 'payload'> {
  intervalMinutes?: number;
  solveMs?: number;
  objectiveKrw?: number;
  inputs?: unknown;
}
export type JobStatus = 'queued' | 'running' | 'done' | 'cancelled';
/** A data-center training job with its planned intervals (GET /api/jobs). */
export interface JobRec {
  id: string;
  datacenterId: string;
  name: string;
  gpus: number;
  gpuHours: number;
  earliestStart: string;
  deadline: string;
  priority: number;
  interruptible: boolean;
  status: JobStatus;
  doneGpuHours: number;
  submitted: string;
  submittedBy: string;
  finished?: string;
  updated: string;
  plannedIntervals: { start: string; end: string; gpus: number; powerCapFraction: number }[];
  expectedFinish?: string;
}
export interface JobList {
  plannedAt: string | null;
  jobs: JobRec[];
}
/** A charging session in progress as the planner plans it (GET /api/charging-sessions). */
export interface ChargingSession {
  key: string;
  assetId: string;
  /** `<charge point>/<connector>`, e.g. campus-ev-ac-016/2. */
  channel: string;
  arrival: string;
  departure: string;
  energyKwh: number;
  deliveredKwh: number;
}
/** The planner's status (GET /api/planner). */
export interface PlannerRec {
  strategy: string;
  mode: 'schedule' | 'rules' | 'direct';
  scheduleId: number | null;
  scheduleMadeAt: string | null;
  solving: boolean;
  lastSolve: { at: string; status: string; solveMs: number; reason: string } | null;
  counters: Record<string, number>;
}
/** Which forecast model serves an asset and why (GET /api/forecast/models; a server may not have it). */
export interface ForecastModelChoice {
  target: 'load' | 'pv';
  assetId: string;
  chosen: string;
  reason: string;
  /** Null when the choice was not validated (too little history). */
  validatedAt: string | null;
  candidates: { name: string; rmseKw: number; maeKw: number; skillRmse: number }[];
}
/** The API's code when the live system keeps no job book. */
export const JOBS_UNAVAILABLE = 'BITGRID_ERR_JOBS_UNAVAILABLE';
export interface PeriodKpis {
  from: string;
  to: string;
  coverage: number;
  importKwh: number;
  exportKwh: number;
  pvKwh: number;
  consumptionKwh: number;
  selfSufficiency: number;
  peakImportKw: number;
  billingDemandKw: number;
  co2Kg: number;
  netCostKrw: number;
  /** The bill as computeBill makes it, but `months`: their `startMs`/`endMs` go out as ISO `start`/`end`. */
  bill: Omit<Bill, 'months'>;
}
/**
 * One strategy's KPIs in a simulation result: every field of src/report/kpi-types.ts Kpis, which the
 * run sends whole; indexable by name for the comparison table's rows.
 */
export interface SimKpis extends Kpis {
  [k: string]: number;
}
export interface SimRun {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: number;
  params: { start?: string; days?: number; strategies?: string[] } | null;
  result?: {
    scenario: string;
    start: string;
    days: number;
    results: { strategy: string; kpis: SimKpis; runtimeMs: number }[];
  };
  error?: string;
  created: string;
}

/** Setpoint kinds the API accepts (src/server/routes/overrides.ts), by asset type. */
export const KIND_BY_TYPE: Record<string, string> = {
  battery: 'battery_power_kw',
  pv: 'pv_power_limit_kw',
  ev_chargers: 'charging_limit_kw',
  bus_depot: 'charging_limit_kw',
  load: 'load_limit_kw',
  datacenter: 'load_limit_kw',
};

/** The API's strategy names (src/strategy); there is no endpoint listing them. */
export const STRATEGIES = ['none', 'rules', 'optimal', 'oracle'] as const;
