import { randomUUID } from 'node:crypto';
import { inputError, notFound } from './errors.ts';
import type { Param, Sql, SqlQueryable } from './sql.ts';
import { hashToken, newToken, sameHash, tokenId } from './tokens.ts';
import type {
  ActorRole,
  AuditEntry,
  AuditOutcome,
  AuditQuery,
  CreatedToken,
  DatacenterJob,
  EventQuery,
  EventRecord,
  EventSeverity,
  ForecastQuery,
  ForecastRecord,
  JobQuery,
  JobStatus,
  JobUpdate,
  LatestQuery,
  LatestValue,
  NewAuditEntry,
  NewEvent,
  NewForecast,
  NewJob,
  NewOverride,
  NewSchedule,
  NewSimRun,
  OverrideQuery,
  OverrideRecord,
  ScheduleQuery,
  ScheduleRecord,
  ScheduleStatus,
  SimRunRecord,
  SimRunStatus,
  SimRunUpdate,
  Store,
  TelemetryAggregate,
  TelemetryPoint,
  TelemetryQuery,
  TelemetrySample,
  TokenRecord,
  TokenRole,
} from './types.ts';
import {
  limitOf,
  optionalId,
  optionalOneOf,
  optionalTimeMs,
  requireFinite,
  requireId,
  requireObject,
  requireOneOf,
  requirePositiveInt,
  requireText,
  requireBoolean,
  requireSafeInt,
  requireTimeMs,
  requireMeasurementName,
  optionalMeasurementName,
  requireTelemetryPoint,
  toJson,
} from './validate.ts';
import type { MeasurementName } from '../model/measurements.ts';

// The store written once against the Sql layer; both dialects run this code.

/** Most samples one telemetry read returns: more than a day of 1-s points; charts need fewer (downsample). */
export const TELEMETRY_READ_MAX_ROWS = 100_000;
/** Rows a list call returns when no limit is given, and the most it returns with one. */
export const LIST_DEFAULT_ROWS = 1_000;
export const LIST_MAX_ROWS = 10_000;
/** A token's last_used is rewritten at most this often, so verifying a token is not a write per request. */
export const TOKEN_LAST_USED_RESOLUTION_MS = 60_000;

export const TOKEN_ROLES: readonly TokenRole[] = ['viewer', 'operator', 'admin'];
export const ACTOR_ROLES: readonly ActorRole[] = [...TOKEN_ROLES, 'system'];
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['ok', 'denied', 'failed'];
/** In increasing severity. */
export const EVENT_SEVERITIES: readonly EventSeverity[] = ['info', 'warning', 'alarm', 'critical'];
export const SCHEDULE_STATUSES: readonly ScheduleStatus[] = [
  'proposed',
  'active',
  'superseded',
  'completed',
  'failed',
  'cancelled',
];
export const SIM_RUN_STATUSES: readonly SimRunStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled'];
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'done', 'cancelled'];
export const TELEMETRY_AGGREGATES: readonly TelemetryAggregate[] = ['mean', 'min', 'max', 'last'];

const QUANTILE_KEY = /^p[0-9]{1,2}$/;

/** Builds `WHERE a = ? AND b >= ?` from the filters that are present. */
class Where {
  private readonly parts: string[] = [];
  readonly params: Param[] = [];
  add(cond: string, ...params: Param[]) {
    this.parts.push(cond);
    this.params.push(...params);
    return this;
  }
  addIf(v: Param | undefined, cond: string) {
    return v === undefined ? this : this.add(cond, v);
  }
  toString() {
    return this.parts.length ? ` WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** The `a = ?, b = ?` of an UPDATE from the columns that change, with their parameters. */
class Assignments {
  private readonly columns: string[] = [];
  readonly params: Param[] = [];
  set(column: string, v: Param) {
    this.columns.push(column);
    this.params.push(v);
    return this;
  }
  toString() {
    return this.columns.map((c) => `${c} = ?`).join(', ');
  }
}

/** A time after `start`; `at` names the field, `startName` the one it must follow. */
function requireTimeAfter(v: unknown, start: number, at: string, startName: string): number {
  const end = requireTimeMs(v, at);
  if (end <= start) throw inputError(at, `must be after ${startName} (${end} <= ${start})`);
  return end;
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const seriesKey = (assetId: string, measurement: string, channel: string) =>
  `${assetId}\u0000${measurement}\u0000${channel}`;

type SeriesRow = { id: number; asset_id: string; measurement: string; channel: string };

export class SqlStore implements Store {
  readonly dialect;
  /** Series ids by key; filled only with committed rows (ids never change once committed). */
  private readonly seriesIds = new Map<string, number>();

  constructor(private readonly sql: Sql) {
    this.dialect = sql.dialect;
  }

  async schemaVersion(): Promise<number> {
    const r = await this.sql.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return r?.v ?? 0;
  }

  close() {
    return this.sql.close();
  }

  // ---- telemetry

  async appendTelemetry(points: readonly TelemetryPoint[]): Promise<void> {
    const where = 'appendTelemetry';
    if (!Array.isArray(points)) throw inputError(`${where}: points`, 'must be an array of measurements');
    // Validate everything first; last point wins for a repeated series and time.
    const rows = new Map<string, Map<number, number>>();
    const series = new Map<string, [string, string, string]>();
    points.forEach((p, i) => {
      const { assetId, measurement, channel, timeMs, value } = requireTelemetryPoint(
        p,
        `${where}: points[${i}]`,
      );
      const key = seriesKey(assetId, measurement, channel);
      let byTime = rows.get(key);
      if (!byTime) {
        rows.set(key, (byTime = new Map()));
        series.set(key, [assetId, measurement, channel]);
      }
      byTime.set(timeMs, value);
    });
    if (rows.size === 0) return;

    const created = new Map<string, number>();
    await this.sql.tx(async (q) => {
      const ids: number[] = [];
      const times: number[] = [];
      const values: number[] = [];
      for (const [key, byTime] of rows) {
        let id = this.seriesIds.get(key) ?? created.get(key);
        if (id === undefined) {
          const [a, m, c] = series.get(key)!;
          id = await this.seriesId(q, a, m, c, true);
          created.set(key, id!);
        }
        for (const [t, v] of byTime) {
          ids.push(id!);
          times.push(t);
          values.push(v);
        }
      }
      await q.upsertTelemetry(ids, times, values);
    });
    for (const [k, id] of created) this.seriesIds.set(k, id);
  }

  private async seriesId(
    q: SqlQueryable,
    assetId: string,
    measurement: string,
    channel: string,
    create: boolean,
  ): Promise<number | undefined> {
    const select = 'SELECT id FROM telemetry_series WHERE asset_id = ? AND measurement = ? AND channel = ?';
    let row = await q.get<{ id: number }>(select, [assetId, measurement, channel]);
    if (!row && create) {
      await q.run(
        'INSERT INTO telemetry_series (asset_id, measurement, channel) VALUES (?, ?, ?) ON CONFLICT (asset_id, measurement, channel) DO NOTHING',
        [assetId, measurement, channel],
      );
      row = await q.get<{ id: number }>(select, [assetId, measurement, channel]);
    }
    return row?.id;
  }

  async readTelemetry(query: TelemetryQuery): Promise<TelemetrySample[]> {
    const where = 'readTelemetry';
    requireObject(query, `${where}: query`);
    const assetId = requireId(query.assetId, `${where}: query.assetId`);
    const measurement = requireMeasurementName(query.measurement, `${where}: query.measurement`);
    const channel = optionalId(query.channel, `${where}: query.channel`) ?? '';
    const fromMs = requireTimeMs(query.fromMs, `${where}: query.fromMs`);
    const toMs = requireTimeMs(query.toMs, `${where}: query.toMs`);
    if (toMs < fromMs)
      throw inputError(`${where}: query.toMs`, `must not be before fromMs (${toMs} < ${fromMs})`);
    const bucketMs =
      query.bucketMs === undefined
        ? undefined
        : requirePositiveInt(query.bucketMs, `${where}: query.bucketMs`);
    const aggregate =
      optionalOneOf(query.aggregate, TELEMETRY_AGGREGATES, `${where}: query.aggregate`) ?? 'mean';
    const limit =
      query.limit === undefined
        ? TELEMETRY_READ_MAX_ROWS
        : Math.min(requirePositiveInt(query.limit, `${where}: query.limit`), TELEMETRY_READ_MAX_ROWS);

    const key = seriesKey(assetId, measurement, channel);
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      id = await this.seriesId(this.sql, assetId, measurement, channel, false);
      if (id === undefined) return [];
      this.seriesIds.set(key, id);
    }
    const range = 'series_id = ? AND time_ms >= ? AND time_ms < ?';
    if (bucketMs === undefined) {
      const rows = await this.sql.all<{ time_ms: number; value: number }>(
        `SELECT time_ms, value FROM telemetry WHERE ${range} ORDER BY time_ms LIMIT ?`,
        [id, fromMs, toMs, limit],
      );
      return rows.map((r) => ({ timeMs: r.time_ms, value: r.value, count: 1 }));
    }
    // Bucket index from the range start; integer division in both dialects (see sql.ts on CAST).
    const bucket = '(time_ms - CAST(? AS BIGINT)) / CAST(? AS BIGINT)';
    let rows: { b: number; value: number; n: number }[];
    if (aggregate === 'last') {
      rows = await this.sql.all(
        `SELECT g.b AS b, t.value AS value, g.n AS n
         FROM (SELECT ${bucket} AS b, MAX(time_ms) AS last_ms, COUNT(*) AS n FROM telemetry WHERE ${range} GROUP BY 1) g
         JOIN telemetry t ON t.series_id = ? AND t.time_ms = g.last_ms
         ORDER BY g.b LIMIT ?`,
        [fromMs, bucketMs, id, fromMs, toMs, id, limit],
      );
    } else {
      const fn = { mean: 'AVG', min: 'MIN', max: 'MAX' }[aggregate];
      rows = await this.sql.all(
        `SELECT ${bucket} AS b, ${fn}(value) AS value, COUNT(*) AS n FROM telemetry WHERE ${range} GROUP BY 1 ORDER BY 1 LIMIT ?`,
        [fromMs, bucketMs, id, fromMs, toMs, limit],
      );
    }
    return rows.map((r) => ({ timeMs: fromMs + r.b * bucketMs, value: r.value, count: r.n }));
  }

  async latestTelemetry(query: LatestQuery = {}): Promise<LatestValue[]> {
    requireObject(query, 'latestTelemetry: query');
    const w = new Where()
      .addIf(optionalId(query.assetId, 'latestTelemetry: query.assetId'), 's.asset_id = ?')
      .addIf(
        optionalMeasurementName(query.measurement, 'latestTelemetry: query.measurement'),
        's.measurement = ?',
      );
    const rows = await this.sql.all<SeriesRow & { time_ms: number; value: number }>(
      `SELECT s.asset_id, s.measurement, s.channel, t.time_ms, t.value
       FROM telemetry_series s
       JOIN telemetry t ON t.series_id = s.id AND t.time_ms = (SELECT MAX(time_ms) FROM telemetry WHERE series_id = s.id)${w}`,
      w.params,
    );
    const key = (r: SeriesRow) => seriesKey(r.asset_id, r.measurement, r.channel);
    // Sorted here, not in SQL: text ordering in PostgreSQL follows the database collation.
    rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return rows.map((r) => ({
      assetId: r.asset_id,
      // Only vocabulary names are ever written (appendTelemetry checks each point).
      measurement: r.measurement as MeasurementName,
      ...(r.channel ? { channel: r.channel } : {}),
      timeMs: r.time_ms,
      value: r.value,
    }));
  }

  async deleteTelemetryBefore(beforeMs: number): Promise<number> {
    const t = requireTimeMs(beforeMs, 'deleteTelemetryBefore: beforeMs');
    return this.sql.tx(async (q) => {
      // Per series, so each delete is a range on the primary key rather than a scan of the table.
      const series = await q.all<{ id: number }>('SELECT id FROM telemetry_series');
      let n = 0;
      for (const s of series)
        n += await q.run('DELETE FROM telemetry WHERE series_id = ? AND time_ms < ?', [s.id, t]);
      return n;
    });
  }

  // ---- forecasts

  async addForecast(f: NewForecast): Promise<ForecastRecord> {
    const w = 'addForecast: forecast';
    requireObject(f, w);
    const issuedMs = requireTimeMs(f.issuedMs, `${w}.issuedMs`);
    const assetId = requireId(f.assetId, `${w}.assetId`);
    const target = requireId(f.target, `${w}.target`);
    const model = requireId(f.model, `${w}.model`);
    const startMs = requireTimeMs(f.startMs, `${w}.startMs`);
    const intervalMs = requirePositiveInt(f.intervalMs, `${w}.intervalMs`);
    const qs = requireObject(f.quantiles, `${w}.quantiles`);
    const quantiles: Record<string, number[]> = {};
    let length: number | undefined;
    for (const [k, arr] of Object.entries(qs)) {
      const at = `${w}.quantiles.${k}`;
      if (!QUANTILE_KEY.test(k)) throw inputError(at, 'quantile keys are p1 … p99 (e.g. p10, p50, p90)');
      if (typeof arr !== 'object' || arr === null || typeof (arr as ArrayLike<number>).length !== 'number')
        throw inputError(at, 'must be an array of numbers');
      const values = Array.from(arr as ArrayLike<number>, (v, i) => requireFinite(v, `${at}[${i}]`));
      if (length !== undefined && values.length !== length)
        throw inputError(at, `has ${values.length} values, other quantiles have ${length}`);
      length = values.length;
      quantiles[k] = values;
    }
    if (!quantiles.p50) throw inputError(`${w}.quantiles`, 'must include p50 (the point forecast)');
    if (!length) throw inputError(`${w}.quantiles.p50`, 'must have at least one value');
    const endMs = startMs + length * intervalMs;
    const row = await this.sql.tx((q) =>
      q.get<{ id: number }>(
        'INSERT INTO forecasts (issued_ms, asset_id, target, model, start_ms, interval_ms, end_ms, quantiles) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [issuedMs, assetId, target, model, startMs, intervalMs, endMs, JSON.stringify(quantiles)],
      ),
    );
    return { id: row!.id, issuedMs, assetId, target, model, startMs, intervalMs, endMs, quantiles };
  }

  private forecastOf(r: Record<string, unknown>): ForecastRecord {
    return {
      id: r.id as number,
      issuedMs: r.issued_ms as number,
      assetId: r.asset_id as string,
      target: r.target as string,
      model: r.model as string,
      startMs: r.start_ms as number,
      intervalMs: r.interval_ms as number,
      endMs: r.end_ms as number,
      quantiles: this.sql.json(r.quantiles) as Record<string, number[]>,
    };
  }

  async latestForecast(assetId: string, target: string, atMs?: number): Promise<ForecastRecord | undefined> {
    const w = new Where()
      .add('asset_id = ?', requireId(assetId, 'latestForecast: assetId'))
      .add('target = ?', requireId(target, 'latestForecast: target'))
      .addIf(optionalTimeMs(atMs, 'latestForecast: atMs'), 'issued_ms <= ?');
    const r = await this.sql.get(
      `SELECT * FROM forecasts${w} ORDER BY issued_ms DESC, id DESC LIMIT 1`,
      w.params,
    );
    return r && this.forecastOf(r);
  }

  async listForecasts(query: ForecastQuery = {}): Promise<ForecastRecord[]> {
    const at = 'listForecasts: query';
    requireObject(query, at);
    const w = new Where()
      .addIf(optionalId(query.assetId, `${at}.assetId`), 'asset_id = ?')
      .addIf(optionalId(query.target, `${at}.target`), 'target = ?')
      .addIf(optionalId(query.model, `${at}.model`), 'model = ?')
      .addIf(optionalTimeMs(query.issuedFromMs, `${at}.issuedFromMs`), 'issued_ms >= ?')
      .addIf(optionalTimeMs(query.issuedToMs, `${at}.issuedToMs`), 'issued_ms < ?');
    const rows = await this.listRows('forecasts', w, 'issued_ms DESC, id DESC', query.limit, at);
    return rows.map((r) => this.forecastOf(r));
  }

  private limit(v: unknown, at: string) {
    return v === undefined ? LIST_DEFAULT_ROWS : limitOf(v, `${at}.limit`, LIST_MAX_ROWS);
  }

  /** The rows of `table` that `w` selects, in `order`, at most the query's limit (`at` names the query). */
  private listRows(table: string, w: Where, order: string, limit: unknown, at: string) {
    return this.sql.all(`SELECT * FROM ${table}${w} ORDER BY ${order} LIMIT ?`, [
      ...w.params,
      this.limit(limit, at),
    ]);
  }

  private rowById(q: SqlQueryable, table: string, id: Param) {
    return q.get(`SELECT * FROM ${table} WHERE id = ?`, [id]);
  }

  /** Updates the row `id` of `table` and returns it as it now is; `what` names it when there is none. */
  private async updateRow(q: SqlQueryable, table: string, id: Param, sets: Assignments, what: string) {
    if (!(await q.run(`UPDATE ${table} SET ${sets} WHERE id = ?`, [...sets.params, id])))
      throw notFound(what);
    return (await this.rowById(q, table, id))!;
  }

  /**
   * Stamps the row `id` of `table` (when, and by whom, it was acknowledged, cleared or revoked) and returns
   * it; a row whose first stamp column is already set keeps its first stamp.
   */
  private stampOnce(table: string, id: Param, stamp: Record<string, Param>, what: string) {
    const sets = new Assignments();
    for (const [column, v] of Object.entries(stamp)) sets.set(column, v);
    return this.sql.tx(async (q) => {
      const first = Object.keys(stamp)[0];
      await q.run(`UPDATE ${table} SET ${sets} WHERE id = ? AND ${first} IS NULL`, [...sets.params, id]);
      const row = await this.rowById(q, table, id);
      if (!row) throw notFound(what);
      return row;
    });
  }

  // ---- schedules

  async addSchedule(s: NewSchedule): Promise<ScheduleRecord> {
    const w = 'addSchedule: schedule';
    requireObject(s, w);
    const createdMs = requireTimeMs(s.createdMs, `${w}.createdMs`);
    const startMs = requireTimeMs(s.startMs, `${w}.startMs`);
    const endMs = requireTimeAfter(s.endMs, startMs, `${w}.endMs`, 'startMs');
    const strategy = requireId(s.strategy, `${w}.strategy`);
    const status = optionalOneOf(s.status, SCHEDULE_STATUSES, `${w}.status`) ?? 'proposed';
    if (s.payload === undefined) throw inputError(`${w}.payload`, 'is required (JSON)');
    const payload = toJson(s.payload, `${w}.payload`);
    const row = await this.sql.tx((q) =>
      q.get<{ id: number }>(
        'INSERT INTO schedules (created_ms, start_ms, end_ms, strategy, status, payload) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
        [createdMs, startMs, endMs, strategy, status, payload],
      ),
    );
    return { id: row!.id, createdMs, startMs, endMs, strategy, status, payload: JSON.parse(payload) };
  }

  private scheduleOf(r: Record<string, unknown>): ScheduleRecord {
    return {
      id: r.id as number,
      createdMs: r.created_ms as number,
      startMs: r.start_ms as number,
      endMs: r.end_ms as number,
      strategy: r.strategy as string,
      status: r.status as ScheduleStatus,
      payload: this.sql.json(r.payload),
    };
  }

  async getSchedule(id: number): Promise<ScheduleRecord | undefined> {
    const r = await this.rowById(this.sql, 'schedules', requirePositiveInt(id, 'getSchedule: id'));
    return r && this.scheduleOf(r);
  }

  async listSchedules(query: ScheduleQuery = {}): Promise<ScheduleRecord[]> {
    const at = 'listSchedules: query';
    requireObject(query, at);
    const w = new Where()
      .addIf(optionalTimeMs(query.fromMs, `${at}.fromMs`), 'end_ms > ?')
      .addIf(optionalTimeMs(query.toMs, `${at}.toMs`), 'start_ms < ?')
      .addIf(optionalOneOf(query.status, SCHEDULE_STATUSES, `${at}.status`), 'status = ?')
      .addIf(optionalId(query.strategy, `${at}.strategy`), 'strategy = ?');
    const rows = await this.listRows('schedules', w, 'start_ms DESC, id DESC', query.limit, at);
    return rows.map((r) => this.scheduleOf(r));
  }

  async setScheduleStatus(id: number, status: ScheduleStatus): Promise<ScheduleRecord> {
    const i = requirePositiveInt(id, 'setScheduleStatus: id');
    const s = requireOneOf(status, SCHEDULE_STATUSES, 'setScheduleStatus: status');
    const r = await this.sql.tx((q) =>
      this.updateRow(q, 'schedules', i, new Assignments().set('status', s), `schedule ${i}`),
    );
    return this.scheduleOf(r);
  }

  // ---- events

  async addEvent(e: NewEvent): Promise<EventRecord> {
    const w = 'addEvent: event';
    requireObject(e, w);
    const ev: NewEvent = {
      timeMs: requireTimeMs(e.timeMs, `${w}.timeMs`),
      severity: requireOneOf(e.severity, EVENT_SEVERITIES, `${w}.severity`),
      source: requireId(e.source, `${w}.source`),
      code: requireId(e.code, `${w}.code`),
      message: requireText(e.message, `${w}.message`),
      ...(e.assetId !== undefined ? { assetId: requireId(e.assetId, `${w}.assetId`) } : {}),
    };
    const row = await this.sql.tx((q) =>
      q.get<{ id: number }>(
        'INSERT INTO events (time_ms, severity, source, code, message, asset_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
        [ev.timeMs, ev.severity, ev.source, ev.code, ev.message, ev.assetId ?? null],
      ),
    );
    return { id: row!.id, ...ev, acknowledged: false };
  }

  private eventOf(r: Record<string, unknown>): EventRecord {
    const ackMs = opt(r.acknowledged_ms as number | null);
    return {
      id: r.id as number,
      timeMs: r.time_ms as number,
      severity: r.severity as EventSeverity,
      source: r.source as string,
      code: r.code as string,
      message: r.message as string,
      ...(r.asset_id !== null ? { assetId: r.asset_id as string } : {}),
      acknowledged: ackMs !== undefined,
      ...(ackMs !== undefined ? { acknowledgedMs: ackMs, acknowledgedBy: r.acknowledged_by as string } : {}),
    };
  }

  async listEvents(query: EventQuery = {}): Promise<EventRecord[]> {
    const at = 'listEvents: query';
    requireObject(query, at);
    const w = new Where()
      .addIf(optionalTimeMs(query.fromMs, `${at}.fromMs`), 'time_ms >= ?')
      .addIf(optionalTimeMs(query.toMs, `${at}.toMs`), 'time_ms < ?')
      .addIf(optionalId(query.assetId, `${at}.assetId`), 'asset_id = ?')
      .addIf(optionalId(query.source, `${at}.source`), 'source = ?');
    const min = optionalOneOf(query.minSeverity, EVENT_SEVERITIES, `${at}.minSeverity`);
    if (min) {
      const levels = EVENT_SEVERITIES.slice(EVENT_SEVERITIES.indexOf(min));
      w.add(`severity IN (${levels.map(() => '?').join(', ')})`, ...levels);
    }
    if (query.unacknowledgedOnly !== undefined && typeof query.unacknowledgedOnly !== 'boolean')
      throw inputError(`${at}.unacknowledgedOnly`, 'must be true or false');
    if (query.unacknowledgedOnly) w.add('acknowledged_ms IS NULL');
    const rows = await this.listRows('events', w, 'time_ms DESC, id DESC', query.limit, at);
    return rows.map((r) => this.eventOf(r));
  }

  async acknowledgeEvent(id: number, by: string, atMs: number): Promise<EventRecord> {
    const i = requirePositiveInt(id, 'acknowledgeEvent: id');
    const who = requireId(by, 'acknowledgeEvent: by');
    const t = requireTimeMs(atMs, 'acknowledgeEvent: atMs');
    const r = await this.stampOnce('events', i, { acknowledged_ms: t, acknowledged_by: who }, `event ${i}`);
    return this.eventOf(r);
  }

  // ---- audit

  async appendAudit(a: NewAuditEntry): Promise<AuditEntry> {
    const w = 'appendAudit: entry';
    requireObject(a, w);
    const entry = {
      timeMs: requireTimeMs(a.timeMs, `${w}.timeMs`),
      actor: requireId(a.actor, `${w}.actor`),
      role: requireOneOf(a.role, ACTOR_ROLES, `${w}.role`),
      action: requireId(a.action, `${w}.action`),
      target: requireId(a.target, `${w}.target`),
      outcome: requireOneOf(a.outcome, AUDIT_OUTCOMES, `${w}.outcome`),
    };
    if (entry.actor === 'system' && entry.role !== 'system')
      throw inputError(`${w}.role`, 'must be "system" when the actor is "system"');
    if (entry.role === 'system' && entry.actor !== 'system')
      throw inputError(`${w}.actor`, 'must be "system" when the role is "system"');
    const details = toJson(a.details ?? null, `${w}.details`);
    const row = await this.sql.tx((q) =>
      q.get<{ id: number }>(
        'INSERT INTO audit_log (time_ms, actor, role, action, target, details, outcome) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [entry.timeMs, entry.actor, entry.role, entry.action, entry.target, details, entry.outcome],
      ),
    );
    return { id: row!.id, ...entry, details: JSON.parse(details) };
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const at = 'listAudit: query';
    requireObject(query, at);
    const w = new Where()
      .addIf(optionalTimeMs(query.fromMs, `${at}.fromMs`), 'time_ms >= ?')
      .addIf(optionalTimeMs(query.toMs, `${at}.toMs`), 'time_ms < ?')
      .addIf(optionalId(query.actor, `${at}.actor`), 'actor = ?')
      .addIf(optionalId(query.action, `${at}.action`), 'action = ?')
      .addIf(optionalId(query.target, `${at}.target`), 'target = ?')
      .addIf(
        query.afterId === undefined ? undefined : requirePositiveInt(query.afterId, `${at}.afterId`),
        'id > ?',
      )
      .addIf(
        query.beforeId === undefined ? undefined : requirePositiveInt(query.beforeId, `${at}.beforeId`),
        'id < ?',
      );
    const order = optionalOneOf(query.order, ['asc', 'desc'] as const, `${at}.order`) ?? 'desc';
    const rows = await this.listRows('audit_log', w, `id ${order.toUpperCase()}`, query.limit, at);
    return rows.map((r) => ({
      id: r.id as number,
      timeMs: r.time_ms as number,
      actor: r.actor as string,
      role: r.role as ActorRole,
      action: r.action as string,
      target: r.target as string,
      details: this.sql.json(r.details),
      outcome: r.outcome as AuditOutcome,
    }));
  }

  // ---- tokens

  async createToken(input: { name: string; role: TokenRole; createdMs: number }): Promise<CreatedToken> {
    const w = 'createToken: input';
    requireObject(input, w);
    const name = requireId(input.name, `${w}.name`);
    const role = requireOneOf(input.role, TOKEN_ROLES, `${w}.role`);
    const createdMs = requireTimeMs(input.createdMs, `${w}.createdMs`);
    const { id, token } = newToken();
    await this.sql.tx((q) =>
      q.run('INSERT INTO api_tokens (id, name, role, hash, created_ms) VALUES (?, ?, ?, ?, ?)', [
        id,
        name,
        role,
        hashToken(token),
        createdMs,
      ]),
    );
    return { token, record: { id, name, role, createdMs } };
  }

  private tokenOf(r: Record<string, unknown>): TokenRecord {
    const lastUsedMs = opt(r.last_used_ms as number | null);
    const revokedMs = opt(r.revoked_ms as number | null);
    return {
      id: r.id as string,
      name: r.name as string,
      role: r.role as TokenRole,
      createdMs: r.created_ms as number,
      ...(lastUsedMs !== undefined ? { lastUsedMs } : {}),
      ...(revokedMs !== undefined ? { revokedMs } : {}),
    };
  }

  async verifyToken(token: string, atMs: number): Promise<TokenRecord | undefined> {
    const t = requireTimeMs(atMs, 'verifyToken: atMs');
    if (typeof token !== 'string') return undefined;
    const id = tokenId(token);
    if (!id) return undefined;
    const r = await this.sql.get('SELECT * FROM api_tokens WHERE id = ?', [id]);
    if (!r || r.revoked_ms !== null || !sameHash(r.hash as string, hashToken(token))) return undefined;
    const rec = this.tokenOf(r);
    if (rec.lastUsedMs === undefined || t - rec.lastUsedMs >= TOKEN_LAST_USED_RESOLUTION_MS) {
      await this.sql.tx((q) => q.run('UPDATE api_tokens SET last_used_ms = ? WHERE id = ?', [t, id]));
      rec.lastUsedMs = t;
    }
    return rec;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.sql.all('SELECT * FROM api_tokens ORDER BY created_ms, id');
    return rows.map((r) => this.tokenOf(r));
  }

  async revokeToken(id: string, atMs: number): Promise<TokenRecord> {
    const i = requireId(id, 'revokeToken: id');
    const t = requireTimeMs(atMs, 'revokeToken: atMs');
    const r = await this.stampOnce('api_tokens', i, { revoked_ms: t }, `token ${i}`);
    return this.tokenOf(r);
  }

  // ---- overrides

  async addOverride(o: NewOverride): Promise<OverrideRecord> {
    const w = 'addOverride: override';
    requireObject(o, w);
    const channel = optionalId(o.channel, `${w}.channel`);
    const rec: NewOverride = {
      assetId: requireId(o.assetId, `${w}.assetId`),
      kind: requireId(o.kind, `${w}.kind`),
      value: requireFinite(o.value, `${w}.value`),
      ...(channel !== undefined ? { channel } : {}),
      startMs: requireTimeMs(o.startMs, `${w}.startMs`),
      expiryMs: requireTimeMs(o.expiryMs, `${w}.expiryMs`),
      createdBy: requireId(o.createdBy, `${w}.createdBy`),
      reason: requireText(o.reason, `${w}.reason`),
      createdMs: requireTimeMs(o.createdMs, `${w}.createdMs`),
    };
    requireTimeAfter(rec.expiryMs, rec.startMs, `${w}.expiryMs`, 'startMs');
    const row = await this.sql.tx((q) =>
      q.get<{ id: number }>(
        'INSERT INTO overrides (asset_id, kind, value, channel, start_ms, expiry_ms, created_by, reason, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [
          rec.assetId,
          rec.kind,
          rec.value,
          rec.channel ?? null,
          rec.startMs,
          rec.expiryMs,
          rec.createdBy,
          rec.reason,
          rec.createdMs,
        ],
      ),
    );
    return { id: row!.id, ...rec, cleared: false };
  }

  private overrideOf(r: Record<string, unknown>): OverrideRecord {
    const clearedMs = opt(r.cleared_ms as number | null);
    const channel = opt(r.channel as string | null);
    return {
      id: r.id as number,
      assetId: r.asset_id as string,
      kind: r.kind as string,
      value: r.value as number,
      ...(channel !== undefined ? { channel } : {}),
      startMs: r.start_ms as number,
      expiryMs: r.expiry_ms as number,
      createdBy: r.created_by as string,
      reason: r.reason as string,
      createdMs: r.created_ms as number,
      cleared: clearedMs !== undefined,
      ...(clearedMs !== undefined ? { clearedMs, clearedBy: r.cleared_by as string } : {}),
    };
  }

  async listOverrides(query: OverrideQuery = {}): Promise<OverrideRecord[]> {
    const at = 'listOverrides: query';
    requireObject(query, at);
    const w = new Where().addIf(optionalId(query.assetId, `${at}.assetId`), 'asset_id = ?');
    const active = optionalTimeMs(query.activeAtMs, `${at}.activeAtMs`);
    if (active !== undefined) w.add('start_ms <= ? AND expiry_ms > ? AND cleared_ms IS NULL', active, active);
    const rows = await this.listRows('overrides', w, 'start_ms DESC, id DESC', query.limit, at);
    return rows.map((r) => this.overrideOf(r));
  }

  async clearOverride(id: number, by: string, atMs: number): Promise<OverrideRecord> {
    const i = requirePositiveInt(id, 'clearOverride: id');
    const who = requireId(by, 'clearOverride: by');
    const t = requireTimeMs(atMs, 'clearOverride: atMs');
    const r = await this.stampOnce('overrides', i, { cleared_ms: t, cleared_by: who }, `override ${i}`);
    return this.overrideOf(r);
  }

  // ---- simulation runs

  async createSimRun(run: NewSimRun): Promise<SimRunRecord> {
    const w = 'createSimRun: run';
    requireObject(run, w);
    const id = optionalId(run.id, `${w}.id`) ?? randomUUID();
    const createdMs = requireTimeMs(run.createdMs, `${w}.createdMs`);
    if (run.params === undefined) throw inputError(`${w}.params`, 'is required (JSON)');
    const params = toJson(run.params, `${w}.params`);
    await this.sql.tx(async (q) => {
      if (await q.get('SELECT id FROM sim_runs WHERE id = ?', [id]))
        throw inputError(`${w}.id`, `a run "${id}" already exists`);
      await q.run(
        "INSERT INTO sim_runs (id, status, progress, params, created_ms, updated_ms) VALUES (?, 'queued', 0, ?, ?, ?)",
        [id, params, createdMs, createdMs],
      );
    });
    return { id, status: 'queued', progress: 0, params: JSON.parse(params), createdMs, updatedMs: createdMs };
  }

  private simRunOf(r: Record<string, unknown>): SimRunRecord {
    return {
      id: r.id as string,
      status: r.status as SimRunStatus,
      progress: r.progress as number,
      params: this.sql.json(r.params),
      ...(r.result !== null ? { result: this.sql.json(r.result) } : {}),
      ...(r.error !== null ? { error: r.error as string } : {}),
      createdMs: r.created_ms as number,
      updatedMs: r.updated_ms as number,
    };
  }

  async updateSimRun(id: string, u: SimRunUpdate): Promise<SimRunRecord> {
    const i = requireId(id, 'updateSimRun: id');
    const w = 'updateSimRun: update';
    requireObject(u, w);
    const sets = new Assignments().set('updated_ms', requireTimeMs(u.updatedMs, `${w}.updatedMs`));
    if (u.status !== undefined) sets.set('status', requireOneOf(u.status, SIM_RUN_STATUSES, `${w}.status`));
    if (u.progress !== undefined) {
      const p = requireFinite(u.progress, `${w}.progress`);
      if (p < 0 || p > 1) throw inputError(`${w}.progress`, `must be a fraction from 0 to 1 (got ${p})`);
      sets.set('progress', p);
    }
    if (u.result !== undefined) sets.set('result', toJson(u.result, `${w}.result`));
    if (u.error !== undefined) sets.set('error', requireText(u.error, `${w}.error`));
    const r = await this.sql.tx((q) => this.updateRow(q, 'sim_runs', i, sets, `simulation run ${i}`));
    return this.simRunOf(r);
  }

  async getSimRun(id: string): Promise<SimRunRecord | undefined> {
    const r = await this.rowById(this.sql, 'sim_runs', requireId(id, 'getSimRun: id'));
    return r && this.simRunOf(r);
  }

  async listSimRuns(query: { status?: SimRunStatus; limit?: number } = {}): Promise<SimRunRecord[]> {
    const at = 'listSimRuns: query';
    requireObject(query, at);
    const w = new Where().addIf(optionalOneOf(query.status, SIM_RUN_STATUSES, `${at}.status`), 'status = ?');
    const rows = await this.listRows('sim_runs', w, 'created_ms DESC, id DESC', query.limit, at);
    return rows.map((r) => this.simRunOf(r));
  }

  // ---- data-center jobs

  async addJob(j: NewJob): Promise<DatacenterJob> {
    const w = 'addJob: job';
    requireObject(j, w);
    const id = optionalId(j.id, `${w}.id`) ?? randomUUID();
    const earliestStartMs = requireTimeMs(j.earliestStartMs, `${w}.earliestStartMs`);
    const deadlineMs = requireTimeAfter(j.deadlineMs, earliestStartMs, `${w}.deadlineMs`, 'earliestStartMs');
    const gpuHours = requireFinite(j.gpuHours, `${w}.gpuHours`);
    if (gpuHours <= 0) throw inputError(`${w}.gpuHours`, `must be positive (got ${gpuHours})`);
    const submittedMs = requireTimeMs(j.submittedMs, `${w}.submittedMs`);
    const job: DatacenterJob = {
      id,
      datacenterId: requireId(j.datacenterId, `${w}.datacenterId`),
      name: requireId(j.name, `${w}.name`),
      gpus: requirePositiveInt(j.gpus, `${w}.gpus`),
      gpuHours,
      earliestStartMs,
      deadlineMs,
      priority: j.priority === undefined ? 0 : requireSafeInt(j.priority, `${w}.priority`),
      interruptible:
        j.interruptible === undefined ? true : requireBoolean(j.interruptible, `${w}.interruptible`),
      status: 'queued',
      doneGpuHours: 0,
      submittedMs,
      submittedBy: requireId(j.submittedBy, `${w}.submittedBy`),
      updatedMs: submittedMs,
    };
    await this.sql.tx(async (q) => {
      if (await q.get('SELECT id FROM datacenter_jobs WHERE id = ?', [id]))
        throw inputError(`${w}.id`, `a job "${id}" already exists`);
      await q.run(
        `INSERT INTO datacenter_jobs (id, datacenter_id, name, gpus, gpu_hours, earliest_start_ms, deadline_ms,
           priority, interruptible, status, done_gpu_hours, submitted_ms, submitted_by, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          job.id,
          job.datacenterId,
          job.name,
          job.gpus,
          job.gpuHours,
          job.earliestStartMs,
          job.deadlineMs,
          job.priority,
          // 1/0 is what SQLite stores and what PostgreSQL reads as a boolean literal.
          job.interruptible ? 1 : 0,
          job.status,
          job.doneGpuHours,
          job.submittedMs,
          job.submittedBy,
          job.updatedMs,
        ],
      );
    });
    return job;
  }

  private jobOf(r: Record<string, unknown>): DatacenterJob {
    const finishedMs = opt(r.finished_ms as number | null);
    return {
      id: r.id as string,
      datacenterId: r.datacenter_id as string,
      name: r.name as string,
      gpus: r.gpus as number,
      gpuHours: r.gpu_hours as number,
      earliestStartMs: r.earliest_start_ms as number,
      deadlineMs: r.deadline_ms as number,
      priority: r.priority as number,
      // SQLite returns 0/1, PostgreSQL a boolean.
      interruptible: r.interruptible === true || r.interruptible === 1,
      status: r.status as JobStatus,
      doneGpuHours: r.done_gpu_hours as number,
      submittedMs: r.submitted_ms as number,
      submittedBy: r.submitted_by as string,
      ...(finishedMs !== undefined ? { finishedMs } : {}),
      updatedMs: r.updated_ms as number,
    };
  }

  async getJob(id: string): Promise<DatacenterJob | undefined> {
    const r = await this.rowById(this.sql, 'datacenter_jobs', requireId(id, 'getJob: id'));
    return r && this.jobOf(r);
  }

  async listJobs(query: JobQuery = {}): Promise<DatacenterJob[]> {
    const at = 'listJobs: query';
    requireObject(query, at);
    const w = new Where().addIf(optionalId(query.datacenterId, `${at}.datacenterId`), 'datacenter_id = ?');
    if (query.status !== undefined) {
      const statuses = Array.isArray(query.status)
        ? query.status.map((s, i) => requireOneOf(s, JOB_STATUSES, `${at}.status[${i}]`))
        : [requireOneOf(query.status, JOB_STATUSES, `${at}.status`)];
      if (statuses.length === 0) throw inputError(`${at}.status`, 'must name at least one status');
      w.add(`status IN (${statuses.map(() => '?').join(', ')})`, ...statuses);
    }
    const order = optionalOneOf(query.order, ['asc', 'desc'] as const, `${at}.order`) ?? 'desc';
    const rows = await this.listRows('datacenter_jobs', w, `seq ${order.toUpperCase()}`, query.limit, at);
    return rows.map((r) => this.jobOf(r));
  }

  async updateJob(id: string, u: JobUpdate): Promise<DatacenterJob> {
    const i = requireId(id, 'updateJob: id');
    const w = 'updateJob: patch';
    requireObject(u, w);
    const sets = new Assignments().set('updated_ms', requireTimeMs(u.updatedMs, `${w}.updatedMs`));
    if (u.status !== undefined) sets.set('status', requireOneOf(u.status, JOB_STATUSES, `${w}.status`));
    let done: number | undefined;
    if (u.doneGpuHours !== undefined) {
      done = requireFinite(u.doneGpuHours, `${w}.doneGpuHours`);
      if (done < 0) throw inputError(`${w}.doneGpuHours`, `must not be negative (got ${done})`);
      sets.set('done_gpu_hours', done);
    }
    if (u.finishedMs !== undefined) sets.set('finished_ms', requireTimeMs(u.finishedMs, `${w}.finishedMs`));
    const r = await this.sql.tx(async (q) => {
      const row = await q.get<{ gpu_hours: number }>('SELECT gpu_hours FROM datacenter_jobs WHERE id = ?', [
        i,
      ]);
      if (!row) throw notFound(`job ${i}`);
      if (done !== undefined && done > row.gpu_hours)
        throw inputError(
          `${w}.doneGpuHours`,
          `must not exceed the job's ${row.gpu_hours} GPU-hours (got ${done})`,
        );
      return this.updateRow(q, 'datacenter_jobs', i, sets, `job ${i}`);
    });
    return this.jobOf(r);
  }
}
