import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSchema, type OpenAdrComponent } from '../../drivers/openadr/schema.ts';

// A minimal OpenADR 3.0.1 VTN on node:http: client-credentials tokens, programs, events, vens,
// subscriptions with webhook delivery, and reports. Enough for a VEN to run against on loopback;
// no persistence, no role model beyond "has a valid token".

export interface VtnTwinOptions {
  /** client_id → client_secret. */
  clients: Record<string, string>;
  tokenTtlS?: number;
  /** Also serve GET /auth/server (token URL discovery, OpenADR 3.1). */
  discovery?: boolean;
  /** API prefix, e.g. /openadr3/3.0.1. */
  basePath?: string;
  now?: () => number;
}

export interface VtnExchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface Delivery {
  callbackUrl: string;
  status: number | 'error';
  notification: Obj;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenADR objects, checked against the OpenAPI schemas
type Obj = Record<string, any>;

/** One request to the VTN's API, past authentication. */
interface VtnCall {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** The path segment after the collection, if any. */
  id: string | undefined;
  q: URLSearchParams;
}

export type VtnFault = 'invalid-events' | 'invalid-programs' | 'not-json' | undefined;

export class VtnTwin {
  readonly programs = new Map<string, Obj>();
  readonly events = new Map<string, Obj>();
  readonly vens = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  private readonly reportStore = new Map<string, Obj>();
  /** Every response this VTN sent (tests validate them against the schema). */
  readonly exchanges: VtnExchange[] = [];
  readonly deliveries: Delivery[] = [];
  /** Reports refused: body not matching the schema, or not answering an event's reportDescriptors. */
  readonly rejectedReports: Array<{ body: unknown; errors: string[] }> = [];
  fault: VtnFault;

  private readonly tokens = new Map<string, number>();
  private server?: Server;
  private readonly basePath: string;
  private readonly now: () => number;
  private seq = 0;

  constructor(private readonly opts: VtnTwinOptions) {
    this.basePath = (opts.basePath ?? '').replace(/\/+$/, '');
    this.now = opts.now ?? (() => Date.now());
  }

  async start(port = 0, host = '127.0.0.1'): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.send(req, res, 500, { title: 'Internal Server Error', status: 500, detail: String(err) });
      });
    });
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Base URL a VEN is configured with. */
  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('VTN not started');
    return `http://127.0.0.1:${a.port}${this.basePath}`;
  }

  // ---- business-logic side (what a utility operator would do) ------------------------------------

  createProgram(p: Obj): Obj {
    const program = { ...this.stamp('PROGRAM'), ...p };
    assertSpecValid('program', program);
    this.programs.set(program.id, program);
    return program;
  }

  /** Reports received and accepted (schema-valid, answering an event's reportDescriptors), oldest first. */
  reports(): Obj[] {
    return [...this.reportStore.values()];
  }

  /**
   * Loses every VEN registration and subscription, as a VTN restarted without its database would;
   * with `tokens`, also the access tokens it issued. Programs, events and reports stay.
   */
  forgetVens(opts: { tokens?: boolean } = {}): void {
    this.vens.clear();
    this.subscriptions.clear();
    if (opts.tokens) this.tokens.clear();
  }

  async createEvent(e: Obj): Promise<Obj> {
    const event = { ...this.stamp('EVENT'), ...e };
    assertSpecValid('event', event);
    this.events.set(event.id, event);
    await this.notify('EVENT', 'CREATE', event);
    return event;
  }

  async updateEvent(id: string, patch: Obj): Promise<Obj> {
    const event = { ...this.events.get(id), ...patch, modificationDateTime: this.iso() };
    assertSpecValid('event', event);
    this.events.set(id, event);
    await this.notify('EVENT', 'UPDATE', event);
    return event;
  }

  async deleteEvent(id: string): Promise<void> {
    const event = this.events.get(id);
    if (!event) return;
    this.events.delete(id);
    await this.notify('EVENT', 'DELETE', event);
  }

  /** Hourly (or other) prices in KRW/kWh from startMs. */
  issuePriceEvent(a: {
    programID: string;
    startMs: number;
    intervalMinutes: number;
    pricesKrwPerKwh: number[];
    reportDescriptors?: Obj[];
    eventName?: string;
  }): Promise<Obj> {
    return this.createEvent({
      programID: a.programID,
      eventName: a.eventName ?? 'price',
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'KRW' },
      ],
      intervalPeriod: { start: new Date(a.startMs).toISOString(), duration: `PT${a.intervalMinutes}M` },
      intervals: a.pricesKrwPerKwh.map((p, i) => ({ id: i, payloads: [{ type: 'PRICE', values: [p] }] })),
      ...(a.reportDescriptors ? { reportDescriptors: a.reportDescriptors } : {}),
    });
  }

  /** A load-shed request: an import capacity limit (kW) and optionally a relative shed (kW). */
  issueLoadShedEvent(a: {
    programID: string;
    startMs: number;
    durationMinutes: number;
    importLimitKw: number;
    shedKw?: number;
    reportDescriptors?: Obj[];
  }): Promise<Obj> {
    const payloads = [{ type: 'IMPORT_CAPACITY_LIMIT', values: [a.importLimitKw] }];
    const descriptors = [
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' },
    ];
    if (a.shedKw !== undefined) {
      payloads.push({ type: 'DISPATCH_SETPOINT_RELATIVE', values: [-a.shedKw] });
      descriptors.push({
        objectType: 'EVENT_PAYLOAD_DESCRIPTOR',
        payloadType: 'DISPATCH_SETPOINT_RELATIVE',
        units: 'KW',
      });
    }
    return this.createEvent({
      programID: a.programID,
      eventName: 'load shed',
      priority: 0,
      payloadDescriptors: descriptors,
      intervalPeriod: { start: new Date(a.startMs).toISOString(), duration: `PT${a.durationMinutes}M` },
      intervals: [{ id: 0, payloads }],
      ...(a.reportDescriptors ? { reportDescriptors: a.reportDescriptors } : {}),
    });
  }

  /**
   * A capacity limit at the connection (OpenADR IMPORT_CAPACITY_LIMIT or EXPORT_CAPACITY_LIMIT, kW)
   * for one interval. By default it asks for the measured DEMAND (kW) and USAGE (kWh) per interval,
   * reported at its end, as a grid operator checking compliance would.
   */
  issueCapacityLimitEvent(a: {
    programID: string;
    startMs: number;
    durationMinutes: number;
    limitKw: number;
    direction: 'import' | 'export';
    reportDescriptors?: 'default' | Obj[];
    eventName?: string;
  }): Promise<Obj> {
    const payloadType = a.direction === 'import' ? 'IMPORT_CAPACITY_LIMIT' : 'EXPORT_CAPACITY_LIMIT';
    const reportDescriptors =
      a.reportDescriptors === undefined || a.reportDescriptors === 'default'
        ? MEASURED_REPORT_DESCRIPTORS
        : a.reportDescriptors;
    return this.createEvent({
      programID: a.programID,
      eventName: a.eventName ?? `${a.direction} limit`,
      priority: 0,
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType, units: 'KW' }],
      intervalPeriod: { start: new Date(a.startMs).toISOString(), duration: `PT${a.durationMinutes}M` },
      intervals: [{ id: 0, payloads: [{ type: payloadType, values: [a.limitKw] }] }],
      ...(reportDescriptors.length ? { reportDescriptors } : {}),
    });
  }

  /** Requested import at the connection per interval (DISPATCH_SETPOINT, kW, import positive). */
  issueDispatchSetpointEvent(a: {
    programID: string;
    startMs: number;
    intervalMinutes: number;
    setpointsKw: number[];
    reportDescriptors?: 'default' | Obj[];
    eventName?: string;
  }): Promise<Obj> {
    const reportDescriptors =
      a.reportDescriptors === 'default' ? MEASURED_REPORT_DESCRIPTORS : (a.reportDescriptors ?? []);
    return this.createEvent({
      programID: a.programID,
      eventName: a.eventName ?? 'dispatch setpoint',
      priority: 0,
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'DISPATCH_SETPOINT', units: 'KW' },
      ],
      intervalPeriod: { start: new Date(a.startMs).toISOString(), duration: `PT${a.intervalMinutes}M` },
      intervals: a.setpointsKw.map((kw, i) => ({
        id: i,
        payloads: [{ type: 'DISPATCH_SETPOINT', values: [kw] }],
      })),
      ...(reportDescriptors.length ? { reportDescriptors } : {}),
    });
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private stamp(objectType: string): Obj {
    const t = this.iso();
    return {
      id: `${objectType.toLowerCase()}-${++this.seq}`,
      createdDateTime: t,
      modificationDateTime: t,
      objectType,
    };
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, raw?: string): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.exchanges.push({ method: req.method ?? '?', path, status, body });
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(raw ?? JSON.stringify(body));
  }

  private problem(req: IncomingMessage, res: ServerResponse, status: number, title: string, detail?: string) {
    this.send(req, res, status, { title, status, ...(detail ? { detail } : {}) });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(this.basePath)) return this.problem(req, res, 404, 'Not Found');
    const path = url.pathname.slice(this.basePath.length) || '/';
    const method = req.method ?? 'GET';
    const q = url.searchParams;

    if (path === '/auth/server' && method === 'GET' && this.opts.discovery) {
      return this.send(req, res, 200, { tokenURL: `${this.url}/auth/token` });
    }
    if (path === '/auth/token' && method === 'POST') return this.token(req, res);

    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const exp = this.tokens.get(token);
    if (exp === undefined || exp < Date.now())
      return this.problem(req, res, 403, 'Forbidden', 'missing or expired token');

    const [, collection, id] = path.split('/');
    const call: VtnCall = { req, res, method, id, q };
    if (collection === 'programs' && method === 'GET') return this.programsRoute(call);
    if (collection === 'events' && method === 'GET') return this.eventsRoute(call);
    if (collection === 'vens') return this.vensRoute(call);
    if (collection === 'subscriptions') return this.subscriptionsRoute(call);
    if (collection === 'reports') return this.reportsRoute(call);
    return this.problem(req, res, 404, 'Not Found');
  }

  /** The `skip` / `limit` window of a list (at most 50). */
  private page<T>(list: T[], q: URLSearchParams): T[] {
    const skip = Number(q.get('skip') ?? 0);
    const limit = Math.min(50, Number(q.get('limit') ?? 50));
    return list.slice(skip, skip + limit);
  }

  private programsRoute({ req, res, id, q }: VtnCall): Promise<void> | void {
    if (id) return this.getOne(req, res, this.programs, id);
    if (this.fault === 'invalid-programs') return this.send(req, res, 200, [{ programLongName: 'no name' }]);
    return this.send(req, res, 200, this.page([...this.programs.values()], q));
  }

  private eventsRoute({ req, res, id, q }: VtnCall): Promise<void> | void {
    if (id) return this.getOne(req, res, this.events, id);
    if (this.fault === 'invalid-events') {
      return this.send(req, res, 200, [
        { id: 'broken', programID: q.get('programID'), intervals: [{ id: 'zero' }] },
      ]);
    }
    if (this.fault === 'not-json') return this.send(req, res, 200, '<html>', '<html>oops</html>');
    const programID = q.get('programID');
    return this.send(
      req,
      res,
      200,
      this.page(
        [...this.events.values()].filter((e) => !programID || e.programID === programID),
        q,
      ),
    );
  }

  private async vensRoute({ req, res, method, id, q }: VtnCall): Promise<void> {
    if (method === 'GET') {
      if (id) return this.getOne(req, res, this.vens, id);
      const name = q.get('venName');
      return this.send(
        req,
        res,
        200,
        this.page(
          [...this.vens.values()].filter((v) => !name || v.venName === name),
          q,
        ),
      );
    }
    if (method === 'POST') {
      const body = await this.body(req, res, 'ven');
      if (!body) return;
      if ([...this.vens.values()].some((v) => v.venName === body.venName)) {
        return this.problem(req, res, 409, 'Conflict', 'venName exists');
      }
      const ven = { ...body, ...this.stamp('VEN') };
      this.vens.set(ven.id, ven);
      return this.send(req, res, 201, ven);
    }
    return this.problem(req, res, 404, 'Not Found');
  }

  private async subscriptionsRoute({ req, res, method, id, q }: VtnCall): Promise<void> {
    if (method === 'GET') {
      if (id) return this.getOne(req, res, this.subscriptions, id);
      const programID = q.get('programID');
      const clientName = q.get('clientName');
      const list = [...this.subscriptions.values()].filter(
        (s) => (!programID || s.programID === programID) && (!clientName || s.clientName === clientName),
      );
      return this.send(req, res, 200, this.page(list, q));
    }
    if (method === 'POST') {
      const body = await this.body(req, res, 'subscription');
      if (!body) return;
      const sub = { ...body, ...this.stamp('SUBSCRIPTION') };
      this.subscriptions.set(sub.id, sub);
      return this.send(req, res, 201, sub);
    }
    if (method === 'DELETE' && id) {
      const sub = this.subscriptions.get(id);
      if (!sub) return this.problem(req, res, 404, 'Not Found');
      this.subscriptions.delete(id);
      return this.send(req, res, 200, sub);
    }
    return this.problem(req, res, 404, 'Not Found');
  }

  private async reportsRoute({ req, res, method, id, q }: VtnCall): Promise<void> {
    if (method === 'GET') {
      if (id) return this.getOne(req, res, this.reportStore, id);
      return this.send(req, res, 200, this.page(this.reports(), q));
    }
    if (method === 'POST') {
      const body = await this.body(req, res, 'report');
      if (!body) return;
      const problems = this.reportProblems(body);
      if (problems.length) {
        this.rejectedReports.push({ body, errors: problems });
        return this.problem(req, res, 400, 'Bad Request', problems.join('; '));
      }
      const report = { ...body, ...this.stamp('REPORT') };
      this.reportStore.set(report.id, report);
      return this.send(req, res, 201, report);
    }
    return this.problem(req, res, 404, 'Not Found');
  }

  /** Beyond the schema: the report must answer a known event, with payload types that event asked for. */
  private reportProblems(report: Obj): string[] {
    const event = this.events.get(report.eventID);
    if (!event) return [`eventID ${String(report.eventID)} is not an event of this VTN`];
    const problems: string[] = [];
    if (event.programID !== report.programID)
      problems.push(`programID ${String(report.programID)} is not the event's (${String(event.programID)})`);
    const asked = new Set(((event.reportDescriptors ?? []) as Obj[]).map((d) => d.payloadType));
    for (const r of report.resources as Obj[])
      for (const iv of r.intervals as Obj[])
        for (const p of iv.payloads as Obj[])
          if (!asked.has(p.type))
            problems.push(`payload type ${String(p.type)} was not asked for by the event`);
    return [...new Set(problems)];
  }

  private getOne(req: IncomingMessage, res: ServerResponse, map: Map<string, Obj>, id: string) {
    const o = map.get(id);
    if (!o) return this.problem(req, res, 404, 'Not Found');
    return this.send(req, res, 200, o);
  }

  private async body(
    req: IncomingMessage,
    res: ServerResponse,
    schema: OpenAdrComponent,
  ): Promise<Obj | undefined> {
    const text = await readAll(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      this.problem(req, res, 400, 'Bad Request', 'body is not JSON');
      return undefined;
    }
    const check = checkSchema(schema, body);
    if (!check.ok) {
      if (schema === 'report') this.rejectedReports.push({ body, errors: check.errors });
      this.problem(req, res, 400, 'Bad Request', check.errors.join('; '));
      return undefined;
    }
    return body as Obj;
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readAll(req));
    const grant = form.get('grant_type');
    const id = form.get('client_id');
    const secret = form.get('client_secret');
    if (grant !== 'client_credentials') {
      return this.send(req, res, 400, { error: 'unsupported_grant_type' });
    }
    if (!id || !secret) return this.send(req, res, 400, { error: 'invalid_request' });
    if (this.opts.clients[id] !== secret) return this.send(req, res, 401, { error: 'invalid_client' });
    const token = randomBytes(18).toString('base64url');
    const ttl = this.opts.tokenTtlS ?? 3600;
    this.tokens.set(token, Date.now() + ttl * 1000);
    return this.send(req, res, 200, { access_token: token, token_type: 'Bearer', expires_in: ttl });
  }

  /** Delivers a notification to each subscription that asked for this object and operation. */
  private async notify(objectType: string, op: 'CREATE' | 'UPDATE' | 'DELETE', object: Obj): Promise<void> {
    const operation = op === 'CREATE' ? 'POST' : op === 'UPDATE' ? 'PUT' : 'DELETE';
    const notification = { objectType, operation, object };
    const jobs: Promise<void>[] = [];
    for (const sub of this.subscriptions.values()) {
      if (object.programID !== undefined && sub.programID !== object.programID) continue;
      for (const oo of sub.objectOperations as Obj[]) {
        if (!oo.objects.includes(objectType) || !oo.operations.includes(op)) continue;
        jobs.push(this.deliver(oo.callbackUrl, oo.bearerToken, notification));
      }
    }
    await Promise.all(jobs);
  }

  private async deliver(callbackUrl: string, bearer: string | undefined, notification: Obj): Promise<void> {
    try {
      const res = await fetch(callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(5000),
      });
      await res.body?.cancel();
      this.deliveries.push({ callbackUrl, status: res.status, notification });
    } catch {
      this.deliveries.push({ callbackUrl, status: 'error', notification });
    }
  }

  /** Sends an arbitrary body to a callback URL (tests of a VEN's webhook validation). */
  async deliverRaw(callbackUrl: string, bearer: string | undefined, body: unknown): Promise<number> {
    const res = await fetch(callbackUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    return res.status;
  }
}

/**
 * What issueCapacityLimitEvent asks for by default: measured mean power and energy per interval,
 * for the whole site, once at the end of the event (startInterval -1 and the other fields are the
 * OpenADR 3.0.1 reportDescriptor defaults, written out for readers of the payload).
 */
const MEASURED_REPORT_DESCRIPTORS: Obj[] = [
  {
    payloadType: 'DEMAND',
    units: 'KW',
    aggregate: true,
    startInterval: -1,
    numIntervals: -1,
    historical: true,
  },
  {
    payloadType: 'USAGE',
    units: 'KWH',
    aggregate: true,
    startInterval: -1,
    numIntervals: -1,
    historical: true,
  },
];

/** The operator side builds objects as the spec defines them; a twin bug fails loudly here. */
function assertSpecValid(component: OpenAdrComponent, o: Obj): void {
  const check = checkSchema(component, o);
  if (!check.ok)
    throw new Error(`VTN twin: ${component} not valid per OpenADR 3.0.1: ${check.errors.join('; ')}`);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
