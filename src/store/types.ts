import type { Measurement } from '../drivers/types.ts';
import type { MeasurementName } from '../model/measurements.ts';

// The store contract: everything Bitgrid keeps between restarts. Two implementations (SQLite, the
// embedded default, and PostgreSQL) pass one shared test suite (test/store/contract.ts). Times are
// UTC epoch ms; every method validates its input and writes nothing when any of it is bad.

/** JSON-safe data: what payload, params, details and result columns hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type StoreDialect = 'sqlite' | 'postgres';

/** One telemetry point: the driver contract's Measurement (channel optional). */
export type TelemetryPoint = Measurement;

export type TelemetryAggregate = 'mean' | 'min' | 'max' | 'last';

export interface TelemetryQuery {
  assetId: string;
  measurement: MeasurementName;
  /** The series of this channel; omitted: the series without a channel. */
  channel?: string;
  /** Range start, inclusive, UTC ms. */
  fromMs: number;
  /** Range end, exclusive, UTC ms. */
  toMs: number;
  /** Downsample into buckets of this width, aligned to `fromMs`; omitted: raw points. */
  bucketMs?: number;
  /** How a bucket's points become one value (default `mean`). `last` is the value at the latest time. */
  aggregate?: TelemetryAggregate;
  /** Most rows returned (default and ceiling: TELEMETRY_READ_MAX_ROWS). */
  limit?: number;
}

export interface TelemetrySample {
  /** The point's time, or the bucket's start when downsampled, UTC ms. */
  timeMs: number;
  value: number;
  /** Points in the bucket (1 for raw points). */
  count: number;
}

export interface LatestQuery {
  assetId?: string;
  measurement?: MeasurementName;
}

/** The newest point of one series. */
export interface LatestValue {
  assetId: string;
  measurement: MeasurementName;
  channel?: string;
  timeMs: number;
  value: number;
}

export interface NewForecast {
  /** When the forecast was made, UTC ms. */
  issuedMs: number;
  assetId: string;
  /** What is forecast, named with its unit, e.g. `pv_power_kw`, `load_power_kw`. */
  target: string;
  /** Forecaster name, e.g. `ridge`, `persistence`. */
  model: string;
  /** Start of the first interval, UTC ms. */
  startMs: number;
  intervalMs: number;
  /**
   * Values per quantile, keyed `p10`, `p50`, `p90` …; every array has one value per interval and
   * all have the same length. `p50` is required (it is the point forecast).
   */
  quantiles: Record<string, ArrayLike<number>>;
}

export interface ForecastRecord extends Omit<NewForecast, 'quantiles'> {
  id: number;
  /** End of the last interval, UTC ms (startMs + intervals × intervalMs). */
  endMs: number;
  quantiles: Record<string, number[]>;
}

export interface ForecastQuery {
  assetId?: string;
  target?: string;
  model?: string;
  issuedFromMs?: number;
  /** Exclusive. */
  issuedToMs?: number;
  limit?: number;
}

export type ScheduleStatus = 'proposed' | 'active' | 'superseded' | 'completed' | 'failed' | 'cancelled';

export interface NewSchedule {
  createdMs: number;
  /** Horizon start, inclusive, UTC ms. */
  startMs: number;
  /** Horizon end, exclusive, UTC ms. */
  endMs: number;
  strategy: string;
  /** Setpoints per interval in whatever JSON shape the optimizer writes. */
  payload: JsonValue;
  status?: ScheduleStatus;
}

export interface ScheduleRecord extends Required<NewSchedule> {
  id: number;
}

export interface ScheduleQuery {
  /** Schedules whose horizon overlaps [fromMs, toMs). */
  fromMs?: number;
  toMs?: number;
  status?: ScheduleStatus;
  strategy?: string;
  limit?: number;
}

export type EventSeverity = 'info' | 'warning' | 'alarm' | 'critical';

export interface NewEvent {
  timeMs: number;
  severity: EventSeverity;
  /** What raised it: a driver id, `control`, `optimizer`, `server` … */
  source: string;
  /** Stable machine-readable code, e.g. `BATTERY_SOC_LOW`. */
  code: string;
  message: string;
  assetId?: string;
}

export interface EventRecord extends NewEvent {
  id: number;
  acknowledged: boolean;
  acknowledgedBy?: string;
  acknowledgedMs?: number;
}

export interface EventQuery {
  fromMs?: number;
  /** Exclusive. */
  toMs?: number;
  /** Only events at least this severe. */
  minSeverity?: EventSeverity;
  assetId?: string;
  source?: string;
  unacknowledgedOnly?: boolean;
  limit?: number;
}

export type TokenRole = 'viewer' | 'operator' | 'admin';

/** Who acted: an API token's role, or `system` for automatic actions. */
export type ActorRole = TokenRole | 'system';

export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface NewAuditEntry {
  timeMs: number;
  /** A token id, or `system`. */
  actor: string;
  role: ActorRole;
  /** Verb, e.g. `override.create`, `token.revoke`, `schedule.apply`. */
  action: string;
  /** What it acted on, e.g. an asset id, `token:tok_…`, `schedule:42`. */
  target: string;
  details?: JsonValue;
  outcome: AuditOutcome;
}

export interface AuditEntry extends Omit<NewAuditEntry, 'details'> {
  id: number;
  details: JsonValue;
}

export interface AuditQuery {
  fromMs?: number;
  toMs?: number;
  actor?: string;
  action?: string;
  target?: string;
  /** Entries with id greater than this (paging forward). */
  afterId?: number;
  /** Entries with id less than this (paging back). */
  beforeId?: number;
  /** By id: `desc` (newest first, the default) or `asc`. */
  order?: 'asc' | 'desc';
  limit?: number;
}

export interface TokenRecord {
  /** Public id, part of the token string; safe to log and show. */
  id: string;
  name: string;
  role: TokenRole;
  createdMs: number;
  lastUsedMs?: number;
  revokedMs?: number;
}

export interface CreatedToken {
  record: TokenRecord;
  /** The secret token string: shown once, never stored (only its SHA-256 is). */
  token: string;
}

/** Usually a driver SetpointKind; other kinds (e.g. `mode`) are allowed. */
export type OverrideKind = string;

export interface NewOverride {
  assetId: string;
  kind: OverrideKind;
  value: number;
  /**
   * The part of the asset it holds, as the setpoint's channel (`<charger id>` or
   * `<charger id>/<connector>` for chargers); absent = the whole asset.
   */
  channel?: string;
  startMs: number;
  /** Overrides always expire (exclusive), so a forgotten one cannot hold an asset for ever. */
  expiryMs: number;
  /** Token id or `system`. */
  createdBy: string;
  reason: string;
  createdMs: number;
}

export interface OverrideRecord extends NewOverride {
  id: number;
  cleared: boolean;
  clearedMs?: number;
  clearedBy?: string;
}

export interface OverrideQuery {
  assetId?: string;
  /** Only overrides in force at this time (started, not expired, not cleared). */
  activeAtMs?: number;
  limit?: number;
}

export type SimRunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface NewSimRun {
  /** Chosen by the caller, or a random UUID. */
  id?: string;
  createdMs: number;
  params: JsonValue;
}

export interface SimRunRecord {
  id: string;
  status: SimRunStatus;
  /** Fraction done, 0–1. */
  progress: number;
  params: JsonValue;
  result?: JsonValue;
  error?: string;
  createdMs: number;
  updatedMs: number;
}

export interface SimRunUpdate {
  updatedMs: number;
  status?: SimRunStatus;
  progress?: number;
  result?: JsonValue;
  error?: string;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'cancelled';

/** A deferrable training job for a data center: `gpus` GPUs for `gpuHours` of full-speed work. */
export interface NewJob {
  /** Chosen by the caller, or a random UUID. */
  id?: string;
  /** The data center asset that runs it. */
  datacenterId: string;
  name: string;
  gpus: number;
  /** Work at full GPU speed, GPU-hours. */
  gpuHours: number;
  /** Not before this time, UTC ms. */
  earliestStartMs: number;
  /** Done by this time, UTC ms; after earliestStartMs. */
  deadlineMs: number;
  /** Higher goes first when not everything fits (default 0). */
  priority?: number;
  /** May be paused and resumed (default true). */
  interruptible?: boolean;
  submittedMs: number;
  /** Token id or `system`. */
  submittedBy: string;
}

export interface DatacenterJob extends Required<NewJob> {
  status: JobStatus;
  /** Work done so far, GPU-hours at full speed (0 … gpuHours). */
  doneGpuHours: number;
  submittedMs: number;
  submittedBy: string;
  /** When it became done or cancelled. */
  finishedMs?: number;
  updatedMs: number;
}

export interface JobUpdate {
  updatedMs: number;
  status?: JobStatus;
  doneGpuHours?: number;
  finishedMs?: number;
}

export interface JobQuery {
  datacenterId?: string;
  /** One status or any of several. */
  status?: JobStatus | readonly JobStatus[];
  /** By submission: `desc` (newest first, the default) or `asc`. */
  order?: 'asc' | 'desc';
  limit?: number;
}

export interface Store {
  readonly dialect: StoreDialect;
  /** Highest applied migration version. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;

  /** Stores every point in one transaction, or none (bad input, database error). A point already
   * stored for the same series and time is replaced, so a retried batch is harmless. */
  appendTelemetry(points: readonly TelemetryPoint[]): Promise<void>;
  readTelemetry(query: TelemetryQuery): Promise<TelemetrySample[]>;
  /** The newest point of every series matching the filter, sorted by asset, measurement, channel. */
  latestTelemetry(query?: LatestQuery): Promise<LatestValue[]>;
  /** Deletes points older than `beforeMs`; returns how many. */
  deleteTelemetryBefore(beforeMs: number): Promise<number>;

  addForecast(forecast: NewForecast): Promise<ForecastRecord>;
  /** The most recently issued forecast for asset and target issued at or before `atMs` (default: any). */
  latestForecast(assetId: string, target: string, atMs?: number): Promise<ForecastRecord | undefined>;
  listForecasts(query?: ForecastQuery): Promise<ForecastRecord[]>;

  addSchedule(schedule: NewSchedule): Promise<ScheduleRecord>;
  getSchedule(id: number): Promise<ScheduleRecord | undefined>;
  listSchedules(query?: ScheduleQuery): Promise<ScheduleRecord[]>;
  setScheduleStatus(id: number, status: ScheduleStatus): Promise<ScheduleRecord>;

  addEvent(event: NewEvent): Promise<EventRecord>;
  listEvents(query?: EventQuery): Promise<EventRecord[]>;
  /** Marks an event acknowledged; acknowledging twice keeps the first acknowledgement. */
  acknowledgeEvent(id: number, by: string, atMs: number): Promise<EventRecord>;

  /** Appends to the audit log; entries can never be changed or deleted (the database refuses). */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;

  createToken(input: { name: string; role: TokenRole; createdMs: number }): Promise<CreatedToken>;
  /** The token's record when the string is a live (not revoked) token; records its use. */
  verifyToken(token: string, atMs: number): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, atMs: number): Promise<TokenRecord>;

  addOverride(override: NewOverride): Promise<OverrideRecord>;
  listOverrides(query?: OverrideQuery): Promise<OverrideRecord[]>;
  clearOverride(id: number, by: string, atMs: number): Promise<OverrideRecord>;

  createSimRun(run: NewSimRun): Promise<SimRunRecord>;
  updateSimRun(id: string, update: SimRunUpdate): Promise<SimRunRecord>;
  getSimRun(id: string): Promise<SimRunRecord | undefined>;
  listSimRuns(query?: { status?: SimRunStatus; limit?: number }): Promise<SimRunRecord[]>;

  /** Stores a new job as `queued` with no work done. */
  addJob(job: NewJob): Promise<DatacenterJob>;
  getJob(id: string): Promise<DatacenterJob | undefined>;
  listJobs(query?: JobQuery): Promise<DatacenterJob[]>;
  /** Changes status, work done or finish time; `doneGpuHours` may not exceed the job's gpuHours. */
  updateJob(id: string, patch: JobUpdate): Promise<DatacenterJob>;
}
