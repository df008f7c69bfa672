import { afterEach, beforeEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  GuardRejection,
  type Actor,
  type AssetLiveState,
  type LiveSnapshot,
  type LiveSystem,
  type NewOverride,
  type Override,
} from '../../src/control/types.ts';
import { loadScenarioFile, type LoadedScenario } from '../../src/model/load.ts';
import { createServer, type ServerOptions } from '../../src/server/index.ts';
import { openStore, type Store, type TokenRole } from '../../src/store/index.ts';
import type { StreamKey } from '../../src/model/measurements.ts';

// A small LiveSystem for API tests only (the real control loop has its own tests): the reference
// district's assets with settable measurements, overrides checked against the battery's limits and
// audited as the LiveSystem contract asks, and deltas published on demand.

export const T0_MS = Date.parse('2026-08-03T00:00:00+09:00');

/** An override every guard lets through: half an hour of 500 kW from the shared battery. */
export const goodOverride = {
  assetId: 'shared-battery',
  kind: 'battery_power_kw',
  value: 500,
  durationMinutes: 30,
  reason: 'test',
};

function flatten(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj === null || typeof obj !== 'object') {
    out[prefix] = obj;
    return out;
  }
  if (Array.isArray(obj)) {
    obj.forEach((v, i) =>
      flatten(
        v,
        `${prefix ? prefix + '.' : ''}${v && typeof v === 'object' && 'id' in v ? String(v.id) : i}`,
        out,
      ),
    );
    return out;
  }
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

export class TestLive implements LiveSystem {
  timeMs = T0_MS;
  cycle = 0;
  readonly assets: AssetLiveState[];
  private readonly listeners = new Set<(d: Record<string, unknown>) => void>();
  private readonly active = new Map<string, Override>();
  private last: Record<string, unknown>;
  private nextId = 1;

  constructor(
    private readonly loaded: LoadedScenario,
    private readonly store: Store,
  ) {
    this.assets = loaded.scenario.sites.flatMap((s) =>
      s.assets.map((a) => ({
        id: a.id,
        siteId: s.id,
        type: a.type,
        mode: 'auto' as const,
        measurements: {},
      })),
    );
    this.last = flatten(this.snapshot());
  }

  get listenerCount() {
    return this.listeners.size;
  }

  snapshot(): LiveSnapshot {
    const s = this.loaded.scenario;
    return structuredClone({
      timeMs: this.timeMs,
      districtName: s.name,
      sites: s.sites.map((x) => ({ id: x.id, name: x.name })),
      assets: this.assets,
      grid: { importKw: 1000, exportKw: 0, monthPeakKw: 1200, billingDemandKw: 1500 },
      today: {
        costKrw: 1,
        importKwh: 2,
        pvKwh: 3,
        consumptionKwh: 4,
        selfSufficiency: 0.5,
        re100HourlyMatching: 0.25,
      },
      strategy: 'test',
      cycle: this.cycle,
    });
  }

  subscribe(listener: (delta: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One control cycle: set a measurement, advance the clock, publish what changed. */
  step(assetId: string, measurement: StreamKey, value: number, dtMs = 60_000): Record<string, unknown> {
    this.timeMs += dtMs;
    this.cycle++;
    const a = this.assets.find((x) => x.id === assetId)!;
    a.measurements[measurement] = { value, timeMs: this.timeMs };
    const flat = flatten(this.snapshot());
    const delta: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(flat)) if (this.last[k] !== v) delta[k] = v;
    this.last = flat;
    for (const l of this.listeners) l(delta);
    return delta;
  }

  async setOverride(o: NewOverride, actor: Actor): Promise<Override> {
    const cfg = this.loaded.scenario.sites.flatMap((s) => s.assets).find((a) => a.id === o.assetId);
    const deny = async (message: string, field: string): Promise<never> => {
      await this.audit(actor, 'override.set', o.assetId, 'denied', { refused: message });
      throw new GuardRejection(message, field);
    };
    if (!cfg) return deny(`unknown asset "${o.assetId}"`, 'assetId');
    if (cfg.type !== 'battery' || o.kind !== 'battery_power_kw')
      return deny(`asset "${o.assetId}" takes no ${o.kind} setpoint`, 'kind');
    if (o.value > cfg.max_discharge_kw || o.value < -cfg.max_charge_kw)
      return deny(`value ${o.value} kW is outside ${-cfg.max_charge_kw}…${cfg.max_discharge_kw} kW`, 'value');
    const ov: Override = {
      id: String(this.nextId++),
      assetId: o.assetId,
      kind: o.kind,
      value: o.value,
      channel: o.channel,
      startMs: this.timeMs,
      expiresMs: this.timeMs + o.durationMinutes * 60_000,
      createdBy: actor.id,
      reason: o.reason,
    };
    this.active.set(ov.id, ov);
    await this.audit(actor, 'override.set', o.assetId, 'ok', { overrideId: ov.id });
    return ov;
  }

  async clearOverride(id: string, actor: Actor): Promise<void> {
    const o = this.active.get(id);
    if (!o) {
      await this.audit(actor, 'override.clear', id, 'denied', { refused: 'no such override' });
      throw new GuardRejection(`no active override "${id}"`, 'id');
    }
    this.active.delete(id);
    await this.audit(actor, 'override.clear', o.assetId, 'ok', { overrideId: id });
  }

  overrides(): Override[] {
    return [...this.active.values()];
  }

  private async audit(
    actor: Actor,
    action: string,
    target: string,
    outcome: 'ok' | 'denied',
    details: Record<string, string>,
  ) {
    await this.store.appendAudit({
      timeMs: this.timeMs,
      actor: actor.id,
      role: actor.role,
      action,
      target,
      details,
      outcome,
    });
  }
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  store: Store;
  live: TestLive;
  scenario: LoadedScenario;
  tokens: Record<TokenRole, string>;
  tokenIds: Record<TokenRole, string>;
  close(): Promise<void>;
}

let reference: LoadedScenario | undefined;
export function referenceScenario(): LoadedScenario {
  return (reference ??= loadScenarioFile());
}

export interface TestServerSetup {
  logger?: Logger;
  /** The store the server sees, built around the real one (e.g. one that can be made unreachable). */
  wrapStore?: (store: Store) => Store;
  /** A live system of the test's own (a TestLive subclass). */
  makeLive?: (scenario: LoadedScenario, store: Store) => TestLive;
}

export async function startTestServer(
  extra: Partial<Omit<ServerOptions, 'live' | 'store' | 'scenario'>> & TestServerSetup = {},
): Promise<TestServer> {
  const { wrapStore, makeLive, ...serverOptions } = extra;
  const dir = mkdtempSync(join(tmpdir(), 'bitgrid-server-'));
  const store = await openStore(`sqlite:${join(dir, 'test.db')}`);
  const scenario = referenceScenario();
  const live = makeLive ? makeLive(scenario, store) : new TestLive(scenario, store);
  const tokens = {} as Record<TokenRole, string>;
  const tokenIds = {} as Record<TokenRole, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const t = await store.createToken({ name: `test-${role}`, role, createdMs: T0_MS });
    tokens[role] = t.token;
    tokenIds[role] = t.record.id;
  }
  // Load shedding is off unless a test asks for it: test files run side by side on shared cores, and
  // a server that sheds because a neighbour is busy would fail tests that are about something else.
  const app = await createServer({
    live,
    store: wrapStore ? wrapStore(store) : store,
    scenario,
    now: () => live.timeMs,
    shedding: false,
    ...serverOptions,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    store,
    live,
    scenario,
    tokens,
    tokenIds,
    async close() {
      if (app.server.listening) await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch with a bearer token and JSON body; returns status, headers and the parsed body. */
export async function call(
  srv: TestServer,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  // Replies are JSON the tests assert on field by field; typing each one would only restate the schemas.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.rawBody !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = opts.rawBody;
  }
  const res = await fetch(srv.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A fresh server from `start` for each test of the calling describe block, closed after it. */
export function serverPerTest(start: () => Promise<{ close(): Promise<unknown> }>): void {
  let current: { close(): Promise<unknown> } | undefined;
  beforeEach(async () => {
    current = await start();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}
