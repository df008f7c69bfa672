import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Driver, DriverContext, DriverStatus, GridSignal, Measurement } from '../types.ts';
import type { OpenAdrVenConfig } from './config.ts';
import { SchemaError, checkSchema, checkSchemaArray, type OpenAdrComponent } from './schema.ts';
import { OPEN_END_MS, eventToSignals, intervalTimes, type OadrEvent, type OadrProgram } from './signals.ts';

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

interface KnownEvent {
  event: OadrEvent;
  version: string;
}

interface PowerSample {
  timeMs: number;
  powerKw: number;
}

const PAGE = 50;
const WEBHOOK_PATH = '/openadr/notify';
const MAX_BODY_BYTES = 1 << 20;
const MAX_SAMPLES = 100_000;

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
  private pending: GridSignal[] = [];
  private health: DriverStatus['health'] = 'starting';
  private everSynced = false;
  private lastError?: string;
  private lastReadMs?: number;
  private webhook?: Server;
  private readonly webhookToken = randomBytes(24).toString('base64url');
  private callbackUrl?: string;
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private readonly reported = new Set<string>();
  private readonly samples: PowerSample[] = [];
  private stopped = false;

  constructor(
    private readonly config: OpenAdrVenConfig,
    private readonly ctx: DriverContext,
  ) {
    this.id = config.id;
    this.base = config.vtn_url.replace(/\/+$/, '');
  }

  // ---- Driver ------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.stopped = false;
    if (this.config.subscribe) await this.startWebhook();
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.config.poll_interval_s * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.syncing?.catch(() => undefined);
    this.stopped = true;
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

  /** Signals of events that are new or changed since the last call. */
  signals(): GridSignal[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  // ---- extras beyond the Driver contract --------------------------------------------------------

  /** All signals of the events currently known (not drained). */
  activeSignals(): GridSignal[] {
    return [...this.events.values()].flatMap((k) => this.toSignals(k.event));
  }

  /** Site telemetry for reports: power_kw samples of `report_asset` (channel-less). */
  ingest(measurements: readonly Measurement[]): void {
    for (const m of measurements) {
      if (m.assetId !== this.config.report_asset || m.measurement !== 'power_kw' || m.channel !== undefined)
        continue;
      this.samples.push({ timeMs: m.timeMs, powerKw: m.value });
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

  private async syncOnce(): Promise<void> {
    try {
      if (!this.venId) await this.register();
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
          this.upsertEvent(e);
        }
      }
      for (const id of [...this.events.keys()]) if (!seen.has(id)) this.events.delete(id);
      await this.postDueReports();
      this.everSynced = true;
      this.health = 'online';
      this.lastError = undefined;
      this.lastReadMs = this.ctx.now();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.lastError = msg;
    if (err instanceof SchemaError) {
      this.health = 'degraded';
      this.ctx.log.error({ driver: this.id, errors: err.errors }, `openadr: ${err.what} rejected`);
    } else {
      this.health = this.everSynced ? 'degraded' : 'offline';
      this.ctx.log.error({ driver: this.id, err: msg }, 'openadr: exchange with the VTN failed');
    }
  }

  private async register(): Promise<void> {
    const found = (await this.request('GET', '/vens', {
      query: { venName: this.config.ven_name },
      expect: { schema: 'ven', array: true },
    })) as Array<{ id?: string; venName: string }>;
    const mine = found.find((v) => v.venName === this.config.ven_name && v.id);
    if (mine) {
      this.venId = mine.id;
      return;
    }
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

  private async ensureSubscriptions(programs: OadrProgram[]): Promise<void> {
    if (!this.callbackUrl) return;
    for (const p of programs) {
      if (!p.id || this.subscriptionIds.has(p.id)) continue;
      const existing = (await this.request('GET', '/subscriptions', {
        query: { programID: p.id, clientName: this.config.ven_name },
        expect: { schema: 'subscription', array: true },
      })) as Array<{ id?: string; objectOperations: Array<{ callbackUrl: string }> }>;
      const reuse = existing.find(
        (s) => s.id && s.objectOperations.some((o) => o.callbackUrl === this.callbackUrl),
      );
      if (reuse?.id) {
        this.subscriptionIds.set(p.id, reuse.id);
        continue;
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
    return eventToSignals(e, this.programs.get(e.programID), {
      source: this.id,
      simpleLevelShedKw: this.config.simple_level_shed_kw,
      warn: (msg, detail) => this.ctx.log.warn({ driver: this.id, ...detail }, msg),
    });
  }

  private upsertEvent(e: OadrEvent): void {
    if (!e.id) return;
    const version = e.modificationDateTime ?? JSON.stringify(e);
    const known = this.events.get(e.id);
    if (known && known.version === version) return;
    this.events.set(e.id, { event: e, version });
    try {
      this.pending.push(...this.toSignals(e));
    } catch (err) {
      this.ctx.log.error(
        { driver: this.id, eventID: e.id, err: (err as Error).message },
        'openadr: event not understood',
      );
    }
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
      await this.postDueReports();
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
      if (n.operation === 'DELETE') this.events.delete(e.id);
      else this.upsertEvent(e);
      this.ctx.log.info(
        { driver: this.id, eventID: e.id, operation: n.operation },
        'openadr: event notification',
      );
    } else if (n.objectType === 'PROGRAM') {
      const p = n.object as unknown as OadrProgram;
      if (!p.id) return;
      if (n.operation === 'DELETE') this.programs.delete(p.id);
      else if (!this.config.program_names || this.config.program_names.includes(p.programName))
        this.programs.set(p.id, p);
    }
  }

  // ---- reports -----------------------------------------------------------------------------------

  /** Posts, once per event, the reports its reportDescriptors ask for, after its last interval. */
  private async postDueReports(): Promise<void> {
    const now = this.ctx.now();
    for (const { event } of this.events.values()) {
      if (!event.id || !event.reportDescriptors?.length || this.reported.has(event.id)) continue;
      const intervals = intervalTimes(event);
      const last = intervals[intervals.length - 1];
      if (!last || last.endMs === OPEN_END_MS || now < last.endMs) continue;
      const report = this.buildReport(event, intervals);
      this.reported.add(event.id);
      if (!report) {
        this.ctx.log.warn(
          { driver: this.id, eventID: event.id },
          'openadr: report requested but no telemetry to report',
        );
        continue;
      }
      await this.request('POST', '/reports', {
        body: report,
        bodySchema: 'report',
        expect: { schema: 'report', statuses: [200, 201] },
      });
      this.ctx.log.info({ driver: this.id, eventID: event.id }, 'openadr: report posted');
    }
  }

  private buildReport(event: OadrEvent, intervals: ReturnType<typeof intervalTimes>) {
    const descriptors = (event.reportDescriptors ?? []).filter((d) =>
      ['USAGE', 'DEMAND'].includes(String(d.payloadType)),
    );
    if (!this.config.report_asset || descriptors.length === 0) return undefined;
    const reportIntervals = [];
    for (const iv of intervals) {
      const inside = this.samples.filter((s) => s.timeMs >= iv.startMs && s.timeMs < iv.endMs);
      if (inside.length === 0) continue;
      const meanKw = inside.reduce((a, s) => a + s.powerKw, 0) / inside.length;
      const hours = (iv.endMs - iv.startMs) / 3_600_000;
      reportIntervals.push({
        id: iv.id,
        intervalPeriod: {
          start: new Date(iv.startMs).toISOString(),
          duration: `PT${Math.round((iv.endMs - iv.startMs) / 1000)}S`,
        },
        payloads: descriptors.map((d) => ({
          type: String(d.payloadType),
          values: [round3(d.payloadType === 'USAGE' ? meanKw * hours : meanKw)],
        })),
      });
    }
    if (reportIntervals.length === 0) return undefined;
    return {
      objectType: 'REPORT',
      programID: event.programID,
      eventID: event.id,
      clientName: this.config.ven_name,
      reportName: `${this.config.ven_name} ${event.id}`,
      payloadDescriptors: descriptors.map((d) => ({
        objectType: 'REPORT_PAYLOAD_DESCRIPTOR',
        payloadType: String(d.payloadType),
        readingType: d.readingType ?? 'DIRECT_READ',
        units: d.payloadType === 'USAGE' ? 'KWH' : 'KW',
      })),
      resources: [{ resourceName: 'AGGREGATED_REPORT', intervals: reportIntervals }],
    };
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

const round3 = (x: number) => Math.round(x * 1000) / 1000;

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
