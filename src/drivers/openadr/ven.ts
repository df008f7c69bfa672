import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Driver, DriverContext, DriverStatus, GridSignal, Measurement } from '../types.ts';
import type { OpenAdrVenConfig } from './config.ts';
import { SchemaError, checkSchema, checkSchemaArray, type OpenAdrComponent } from './schema.ts';
import { buildReport, type PowerSample } from './reports.ts';
import { OPEN_END_MS, eventToSignals, intervalTimes, type OadrEvent, type OadrProgram } from './signals.ts';
import { Backoff } from '../backoff.ts';

// OpenADR 3.0.1 VEN: client-credentials token, VEN registration, programs and events by polling
// and by webhook subscription, GridSignals from event payloads, reports the events ask for.
// Every VTN response and every request body is checked against the OpenAPI component schemas;
// a VTN that sends something else makes the driver degraded, never crashes it.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

interface Expect {
  schema?: OpenAdrComponent;
  array?: boolean;
  statuses?: number[];
}

interface Subscription {
  id?: string;
  programID?: string | null;
  objectOperations: Array<{ callbackUrl: string; bearerToken?: string | null }>;
}

interface KnownEvent {
  event: OadrEvent;
  version: string;
  /** Its signals, computed once per version (so a warning about it is logged once). */
  signals: GridSignal[];
}

const PAGE = 50;
const WEBHOOK_PATH = '/openadr/notify';
const MAX_BODY_BYTES = 1 << 20;
/** Power samples kept for reports: a day of one-second samples covers any event we report on. */
const MAX_SAMPLES = 100_000;
/**
 * How long after an event's end the VEN keeps trying to report it: telemetry for the last interval
 * may still arrive (meter cadence, a slow loop cycle) and the VTN may be briefly unreachable. After
 * this the report is abandoned with one log line rather than kept forever.
 */
const REPORT_WINDOW_MS = 3_600_000;
/** 4xx answers worth retrying a report after: auth renewed, our records re-created, throttling. */
const RETRYABLE_4XX = new Set([401, 403, 404, 408, 429]);

export class OpenAdrVenDriver implements Driver {
  readonly type = 'openadr_ven';
  readonly id: string;
  private readonly base: string;
  private token?: { value: string; expiresMs: number };
  private tokenUrl?: string;
  private venId?: string;
  private readonly programs = new Map<string, OadrProgram>();
  private readonly events = new Map<string, KnownEvent>();
  private readonly subscriptionIds = new Map<string, string>();
  private health: DriverStatus['health'] = 'starting';
  private everSynced = false;
  private lastError?: string;
  private lastReadMs?: number;
  private webhook?: Server;
  private readonly webhookToken = randomBytes(24).toString('base64url');
  private callbackUrl?: string;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private readonly retryBackoff: Backoff;
  /** The failure streak in progress: logged at its first failure and when the cause changes. */
  private failing?: { message: string; attempts: number };
  /** The VTN lost our VEN or subscriptions and we are re-creating them. */
  private recovery?: { reason: string; attempts: number };
  private syncing?: Promise<void>;
  /** Events a notification created, changed or deleted while a poll was running: newer than its list. */
  private readonly notifiedDuringSync = new Set<string>();
  private readonly reported = new Set<string>();
  private readonly reportWarned = new Set<string>();
  private readonly samples: PowerSample[] = [];
  private stopped = false;

  constructor(
    private readonly config: OpenAdrVenConfig,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.base = config.vtn_url.replace(/\/+$/, '');
    // Never slower than the poll: a retry later than the next poll would be no retry at all.
    const capMs = Math.min(config.reconnect_max_ms, config.poll_interval_s * 1000);
    this.retryBackoff = new Backoff(Math.min(config.reconnect_min_ms, capMs), capMs);
  }

  // ---- Driver ------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.stopped = false;
    if (this.config.subscribe) await this.startWebhook();
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.clearRetry();
    await this.syncing?.catch(() => undefined);
    this.stopped = true;
    this.clearRetry(); // a failure of that last run may have scheduled one
    for (const id of this.subscriptionIds.values()) {
      await this.request('DELETE', `/subscriptions/${encodeURIComponent(id)}`).catch(() => undefined);
    }
    this.subscriptionIds.clear();
    const hook = this.webhook;
    if (hook) {
      hook.closeAllConnections();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
    this.health = 'stopped';
  }

  status(): DriverStatus {
    return { health: this.health, lastReadMs: this.lastReadMs, lastError: this.lastError };
  }

  /** A VEN has no telemetry of its own. */
  async read(): Promise<Measurement[]> {
    return [];
  }

  /**
   * Every signal in force or announced, complete on each call: the intervals of the events the VTN
   * currently lists that have not ended yet. A deleted event is gone, an updated one replaced.
   */
  signals(): GridSignal[] {
    const nowMs = this.ctx.now();
    return [...this.events.values()].flatMap((k) => k.signals.filter((s) => s.endMs > nowMs));
  }

  // ---- extras beyond the Driver contract --------------------------------------------------------

  /**
   * Site telemetry for reports: power_kw samples of `report_asset` (channel-less, import positive).
   * The same sample handed over again (same time) is kept once.
   */
  ingest(measurements: readonly Measurement[]): void {
    for (const m of measurements) {
      if (m.assetId !== this.config.report_asset || m.measurement !== 'power_kw' || m.channel !== undefined)
        continue;
      if (!Number.isFinite(m.value) || !Number.isFinite(m.timeMs)) continue;
      const last = this.samples[this.samples.length - 1];
      if (!last || last.timeMs < m.timeMs) {
        this.samples.push({ timeMs: m.timeMs, powerKw: m.value });
      } else if (!this.samples.some((s) => s.timeMs === m.timeMs)) {
        // Late sample (batched delivery): keep time order for the interval means.
        this.samples.push({ timeMs: m.timeMs, powerKw: m.value });
        this.samples.sort((a, b) => a.timeMs - b.timeMs);
      }
    }
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
  }

  get venID(): string | undefined {
    return this.venId;
  }

  webhookAddress(): AddressInfo | undefined {
    const a = this.webhook?.address();
    return a && typeof a !== 'string' ? a : undefined;
  }

  knownEvents(): OadrEvent[] {
    return [...this.events.values()].map((k) => k.event);
  }

  /** One full exchange with the VTN (what the poll timer runs); concurrent calls share one run. */
  sync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  // ---- exchange with the VTN -------------------------------------------------------------------

  private get pollMs(): number {
    return this.config.poll_interval_s * 1000;
  }

  private async syncOnce(): Promise<void> {
    this.notifiedDuringSync.clear();
    try {
      await this.ensureRegistered();
      const programs = await this.fetchPrograms();
      this.programs.clear();
      for (const p of programs) if (p.id) this.programs.set(p.id, p);
      if (this.config.subscribe) await this.ensureSubscriptions(programs);
      const seen = new Set<string>();
      for (const p of programs) {
        if (!p.id) continue;
        for (const e of await this.fetchEvents(p.id)) {
          if (!e.id) continue;
          seen.add(e.id);
          if (!this.notifiedDuringSync.has(e.id)) this.upsertEvent(e);
        }
      }
      for (const id of [...this.events.keys()])
        if (!seen.has(id) && !this.notifiedDuringSync.has(id)) this.forgetEvent(id);
      const reportProblem = await this.postDueReports();
      this.succeeded();
      if (reportProblem) {
        this.health = 'degraded';
        this.lastError = reportProblem;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private succeeded(): void {
    if (this.recovery) {
      this.ctx.log.info(
        {
          driver: this.id,
          venID: this.venId,
          reason: this.recovery.reason,
          attempts: this.recovery.attempts + 1,
        },
        'openadr: re-registered and re-subscribed at the VTN',
      );
      this.recovery = undefined;
    } else if (this.failing) {
      this.ctx.log.info(
        { driver: this.id, failedAttempts: this.failing.attempts },
        'openadr: exchange with the VTN recovered',
      );
    }
    this.failing = undefined;
    this.clearRetry();
    this.retryBackoff.reset();
    this.everSynced = true;
    this.health = 'online';
    this.lastError = undefined;
    this.lastReadMs = this.ctx.now();
  }

  private fail(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.lastError = msg;
    if (this.recovery) this.recovery.attempts++;
    // One log line per cause: a VTN that stays down is not logged again at every retry.
    const repeated = this.failing?.message === msg;
    this.failing = { message: msg, attempts: (this.failing?.attempts ?? 0) + 1 };
    if (err instanceof SchemaError) {
      this.health = 'degraded';
      if (!repeated)
        this.ctx.log.error({ driver: this.id, errors: err.errors }, `openadr: ${err.what} rejected`);
    } else {
      this.health = this.everSynced ? 'degraded' : 'offline';
      if (!repeated)
        this.ctx.log.error({ driver: this.id, err: msg }, 'openadr: exchange with the VTN failed');
    }
    this.scheduleRetry();
  }

  /** Next attempt after a failure: doubling from reconnect_min_ms, capped by reconnect_max_ms and the poll. */
  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sync();
    }, this.retryBackoff.next());
    this.retryTimer.unref();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Logged once: the VTN no longer knows our VEN or subscriptions (restart, lost database). */
  private beginRecovery(reason: string, detail: object): void {
    if (this.recovery) return;
    this.recovery = { reason, attempts: 0 };
    this.ctx.log.warn(
      { driver: this.id, reason, ...detail },
      "openadr: the VTN lost this VEN's records; registering and subscribing again",
    );
  }

  /**
   * Registers (or adopts the VEN object of our venName), and at every later exchange checks that the
   * VTN still lists it: one lost with a VTN restart is registered again. The list query is what
   * registration needs anyway, so no permission beyond it is assumed.
   */
  private async ensureRegistered(): Promise<void> {
    const found = (await this.request('GET', '/vens', {
      query: { venName: this.config.ven_name },
      expect: { schema: 'ven', array: true },
    })) as Array<{ id?: string; venName: string }>;
    const mine = found.find((v) => v.venName === this.config.ven_name && v.id);
    if (this.venId && mine?.id !== this.venId)
      this.beginRecovery(mine ? 'VEN object replaced' : 'VEN object gone', { venID: this.venId });
    if (mine?.id) {
      this.venId = mine.id;
      return;
    }
    this.venId = undefined;
    const created = (await this.request('POST', '/vens', {
      body: { objectType: 'VEN', venName: this.config.ven_name },
      bodySchema: 'ven',
      expect: { schema: 'ven', statuses: [200, 201] },
    })) as { id?: string };
    if (!created.id) throw new SchemaError('ven response', ['id missing']);
    this.venId = created.id;
    this.ctx.log.info({ driver: this.id, venID: this.venId }, 'openadr: VEN registered');
  }

  private async fetchPages<T>(
    path: string,
    query: Record<string, string>,
    schema: OpenAdrComponent,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let skip = 0; ; skip += PAGE) {
      const page = (await this.request('GET', path, {
        query: { ...query, skip: String(skip), limit: String(PAGE) },
        expect: { schema, array: true },
      })) as T[];
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  private async fetchPrograms(): Promise<OadrProgram[]> {
    const all = await this.fetchPages<OadrProgram>('/programs', {}, 'program');
    const names = this.config.program_names;
    return names ? all.filter((p) => names.includes(p.programName)) : all;
  }

  private fetchEvents(programId: string): Promise<OadrEvent[]> {
    return this.fetchPages<OadrEvent>('/events', { programID: programId }, 'event');
  }

  /**
   * One subscription per followed program. The VTN's list of our subscriptions is read at every
   * exchange, so one that disappeared (VTN restarted, records lost) is created again.
   */
  private async ensureSubscriptions(programs: OadrProgram[]): Promise<void> {
    if (!this.callbackUrl) return;
    const mine = await this.fetchPages<Subscription>(
      '/subscriptions',
      { clientName: this.config.ven_name },
      'subscription',
    );
    const listed = new Set(mine.map((s) => s.id));
    const gone = [...this.subscriptionIds].filter(([, subId]) => !listed.has(subId));
    if (gone.length) {
      this.beginRecovery('subscriptions gone', { subscriptionIDs: gone.map(([, s]) => s) });
      for (const [programId] of gone) this.subscriptionIds.delete(programId);
    }
    for (const p of programs) {
      if (!p.id || this.subscriptionIds.has(p.id)) continue;
      const atOurUrl = mine.filter(
        (s) =>
          s.id && s.programID === p.id && s.objectOperations.some((o) => o.callbackUrl === this.callbackUrl),
      );
      // Reusable only with our webhook token: one left by an earlier run would be refused (403).
      const reuse = atOurUrl.find((s) =>
        s.objectOperations.some(
          (o) => o.callbackUrl === this.callbackUrl && o.bearerToken === this.webhookToken,
        ),
      );
      if (reuse?.id) {
        this.subscriptionIds.set(p.id, reuse.id);
        continue;
      }
      for (const stale of atOurUrl) {
        await this.request('DELETE', `/subscriptions/${encodeURIComponent(stale.id!)}`).catch(
          () => undefined,
        );
      }
      const created = (await this.request('POST', '/subscriptions', {
        body: {
          objectType: 'SUBSCRIPTION',
          clientName: this.config.ven_name,
          programID: p.id,
          objectOperations: [
            {
              objects: ['EVENT', 'PROGRAM'],
              operations: ['CREATE', 'UPDATE', 'DELETE'],
              callbackUrl: this.callbackUrl,
              bearerToken: this.webhookToken,
            },
          ],
        },
        bodySchema: 'subscription',
        expect: { schema: 'subscription', statuses: [200, 201] },
      })) as { id?: string };
      if (created.id) this.subscriptionIds.set(p.id, created.id);
      this.ctx.log.info(
        { driver: this.id, programID: p.id, subscriptionID: created.id },
        'openadr: subscribed',
      );
    }
  }

  // ---- events and signals ------------------------------------------------------------------------

  private toSignals(e: OadrEvent): GridSignal[] {
    try {
      return eventToSignals(e, this.programs.get(e.programID), {
        source: this.id,
        simpleLevelShedKw: this.config.simple_level_shed_kw,
        warn: (msg, detail) => this.ctx.log.warn({ driver: this.id, ...detail }, msg),
      });
    } catch (err) {
      this.ctx.log.error(
        { driver: this.id, eventID: e.id, err: (err as Error).message },
        'openadr: event not understood, no signals from it',
      );
      return [];
    }
  }

  private upsertEvent(e: OadrEvent): void {
    if (!e.id) return;
    const version = e.modificationDateTime ?? JSON.stringify(e);
    const known = this.events.get(e.id);
    if (known && known.version === version) return;
    this.events.set(e.id, { event: e, version, signals: this.toSignals(e) });
  }

  private forgetEvent(id: string): void {
    this.events.delete(id);
    this.reported.delete(id);
    for (const key of this.reportWarned) if (key.startsWith(`${id}\n`)) this.reportWarned.delete(key);
  }

  // ---- webhook -----------------------------------------------------------------------------------

  private async startWebhook(): Promise<void> {
    const server = createServer((req, res) => void this.onWebhook(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.webhook_port, this.config.webhook_host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) =>
      this.ctx.log.error({ driver: this.id, err }, 'openadr: webhook listener error'),
    );
    this.webhook = server;
    const { port } = server.address() as AddressInfo;
    const host = this.config.webhook_host.includes(':')
      ? `[${this.config.webhook_host}]`
      : this.config.webhook_host;
    this.callbackUrl = this.config.webhook_url ?? `http://${host}:${port}${WEBHOOK_PATH}`;
  }

  private async onWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body?: object) => {
      res.statusCode = status;
      if (body) res.setHeader('content-type', 'application/json');
      res.end(body ? JSON.stringify(body) : undefined);
    };
    try {
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== WEBHOOK_PATH)
        return reply(404);
      const expected = Buffer.from(`Bearer ${this.webhookToken}`);
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return reply(403, { title: 'Forbidden', status: 403, detail: 'bad bearer token' });
      }
      const raw = await readBody(req, MAX_BODY_BYTES);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new SchemaError('notification', ['not JSON']);
      }
      const check = checkSchema('notification', body);
      if (!check.ok) throw new SchemaError('notification', check.errors);
      const n = body as { objectType: string; operation: string; object: Record<string, unknown> };
      reply(200);
      this.onNotification(n);
    } catch (err) {
      if (err instanceof SchemaError) {
        this.fail(err);
        if (!res.headersSent)
          reply(400, { title: 'Bad Request', status: 400, detail: err.message.slice(0, 500) });
        return;
      }
      this.ctx.log.error({ driver: this.id, err: (err as Error).message }, 'openadr: webhook failed');
      if (!res.headersSent) reply(500, { title: 'Internal Server Error', status: 500 });
    }
  }

  private onNotification(n: {
    objectType: string;
    operation: string;
    object: Record<string, unknown>;
  }): void {
    this.lastReadMs = this.ctx.now();
    if (n.objectType === 'EVENT') {
      const e = n.object as unknown as OadrEvent;
      if (!e.id) return;
      if (this.config.program_names && !this.programs.has(e.programID)) return;
      if (this.syncing) this.notifiedDuringSync.add(e.id);
      if (n.operation === 'DELETE') this.forgetEvent(e.id);
      else this.upsertEvent(e);
      this.ctx.log.info(
        { driver: this.id, eventID: e.id, operation: n.operation },
        'openadr: event notification',
      );
    } else if (n.objectType === 'PROGRAM') {
      const p = n.object as unknown as OadrProgram;
      if (!p.id) return;
      if (n.operation === 'DELETE') {
        this.programs.delete(p.id);
        for (const [id, k] of [...this.events]) if (k.event.programID === p.id) this.forgetEvent(id);
      } else if (!this.config.program_names || this.config.program_names.includes(p.programName))
        this.programs.set(p.id, p);
    }
  }

  // ---- reports -----------------------------------------------------------------------------------

  /**
   * Posts, once per event, the reports its reportDescriptors ask for, after its last interval has
   * ended. Returns the problem to show in status() when a report could not be delivered.
   */
  private async postDueReports(): Promise<string | undefined> {
    const nowMs = this.ctx.now();
    let problem: string | undefined;
    for (const { event } of [...this.events.values()]) {
      const id = event.id;
      if (!id || !event.reportDescriptors?.length || this.reported.has(id)) continue;
      const intervals = intervalTimes(event);
      const endMs = intervals[intervals.length - 1]?.endMs;
      if (endMs === undefined || endMs === OPEN_END_MS || nowMs < endMs) continue;
      const windowOver = nowMs - endMs > REPORT_WINDOW_MS;
      const built = buildReport({ ...event, id }, intervals, this.samples, {
        clientName: this.config.ven_name,
      });
      for (const w of built.warnings) this.warnReportOnce(id, w);
      if (!built.report) {
        // Telemetry for the last interval may still be on its way: wait, within the window.
        if (built.reason === 'no-samples' && !windowOver) continue;
        this.reported.add(id);
        if (built.reason === 'no-samples')
          this.ctx.log.warn(
            { driver: this.id, eventID: id, reportAsset: this.config.report_asset },
            'openadr: report abandoned, no power_kw samples of the report asset during the event',
          );
        continue;
      }
      try {
        await this.request('POST', '/reports', {
          body: built.report,
          bodySchema: 'report',
          expect: { schema: 'report', statuses: [200, 201] },
        });
        this.reported.add(id);
        this.ctx.log.info({ driver: this.id, eventID: id }, 'openadr: report posted');
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        const final =
          windowOver ||
          err instanceof SchemaError ||
          (err instanceof HttpError && err.status < 500 && !RETRYABLE_4XX.has(err.status));
        if (final) this.reported.add(id);
        problem = `report for ${id}: ${msg}`;
        this.warnReportOnce(
          id,
          final
            ? 'openadr: report refused, not retried'
            : 'openadr: report not delivered, retried at the next poll',
          msg,
        );
      }
    }
    return problem;
  }

  private warnReportOnce(eventId: string, msg: string, err?: string): void {
    const key = `${eventId}\n${msg}`;
    if (this.reportWarned.has(key)) return;
    this.reportWarned.add(key);
    this.ctx.log.warn({ driver: this.id, eventID: eventId, ...(err ? { err } : {}) }, msg);
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  private async discoverTokenUrl(): Promise<string> {
    if (this.config.token_url) return this.config.token_url;
    try {
      const res = await fetch(`${this.base}/auth/server`, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (res.ok) {
        const body = (await res.json()) as { tokenURL?: unknown };
        if (typeof body.tokenURL === 'string') return new URL(body.tokenURL, `${this.base}/`).toString();
      }
    } catch {
      // no discovery endpoint: fall back to the 3.0.1 securitySchemes tokenUrl
    }
    return `${this.base}/auth/token`;
  }

  private get timeoutMs(): number {
    return this.config.request_timeout_s * 1000;
  }

  private async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresMs) return this.token.value;
    this.tokenUrl ??= await this.discoverTokenUrl();
    const form = {
      grant_type: 'client_credentials',
      client_id: this.config.client_id,
      client_secret: this.config.client_secret,
    };
    const ownCheck = checkSchema('clientCredentialRequest', form);
    if (!ownCheck.ok) throw new SchemaError('token request', ownCheck.errors);
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 200)
      throw new HttpError(res.status, `token request refused: HTTP ${res.status} ${await safeText(res)}`);
    const body = await parseJson(res, 'token response');
    const check = checkSchema('clientCredentialResponse', body);
    if (!check.ok) throw new SchemaError('token response', check.errors);
    const { access_token, expires_in } = body as { access_token: string; expires_in?: number };
    const lifetimeS = expires_in ?? 3600;
    this.token = { value: access_token, expiresMs: Date.now() + Math.max(1, lifetimeS - 30) * 1000 };
    return access_token;
  }

  private async request(
    method: string,
    path: string,
    opts: {
      query?: Record<string, string>;
      body?: unknown;
      bodySchema?: OpenAdrComponent;
      expect?: Expect;
    } = {},
  ): Promise<unknown> {
    if (opts.body !== undefined && opts.bodySchema) {
      const own = checkSchema(opts.bodySchema, opts.body);
      if (!own.ok) throw new SchemaError(`own ${opts.bodySchema} request`, own.errors);
    }
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    let res: Response | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.accessToken();
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if ((res.status === 401 || res.status === 403) && attempt === 0) {
        this.token = undefined;
        await res.body?.cancel();
        continue;
      }
      break;
    }
    if (!res) throw new Error('no response');
    const statuses = opts.expect?.statuses ?? [200];
    if (!statuses.includes(res.status)) {
      throw new HttpError(res.status, `${method} ${path}: HTTP ${res.status} ${await safeText(res)}`);
    }
    if (!opts.expect?.schema) {
      await res.body?.cancel();
      return undefined;
    }
    const body = await parseJson(res, `${method} ${path} response`);
    const check = opts.expect.array
      ? checkSchemaArray(opts.expect.schema, body)
      : checkSchema(opts.expect.schema, body);
    if (!check.ok) throw new SchemaError(`${method} ${path} response`, check.errors);
    return body;
  }
}

async function safeText(res: Response): Promise<string> {
  try {
    return (await res.text()).slice(0, 300);
  } catch {
    return '';
  }
}

async function parseJson(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new SchemaError(what, ['body is not JSON']);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new SchemaError('notification', ['body too large']));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
