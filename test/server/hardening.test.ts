import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LiveHealth, LivePlanner } from '../../src/control/types.ts';
import type { LoadedScenario } from '../../src/model/load.ts';
import { createServer } from '../../src/server/index.ts';
import { openStore, StoreError, type Store } from '../../src/store/index.ts';
import {
  call,
  goodOverride,
  referenceScenario,
  startTestServer,
  TestLive,
  T0_MS,
  type TestServer,
} from './fixture.ts';

// What keeps the API answering and honest when things go wrong: a store outage (cached token
// checks), a control loop in trouble (/api/health), API load (shedding), hostile browsers (headers),
// malformed requests (one error envelope), malformed writes (audited with a sanitised target), and
// what a monitoring system scrapes (/metrics). Every server here is real, on a loopback port.

/** A store that can be made unreachable: every call fails as a lost connection does. */
function switchableStore(inner: Store): { store: Store; setDown(down: boolean): void } {
  let down = false;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return v;
      return (...args: unknown[]) => {
        if (down)
          return Promise.reject(new StoreError('BITGRID_ERR_STORE_OPEN', 'connection refused (test)'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, setDown: (d) => (down = d) };
}

function healthy(overrides: Partial<LiveHealth> = {}): LiveHealth {
  return {
    cycles: 120,
    lastCycleEndWallMs: Date.now(),
    cyclePeriodWallMs: 1_000,
    cycleDurationMs: { last: 18, p50: 17, p99: 250, max: 400 },
    cyclesLate: 0,
    cyclesFailed: 0,
    store: { ok: true, bufferedPoints: 12, droppedPoints: 0 },
    telemetry: { accepted: 5_000, rejected: { out_of_range: 3, non_finite: 1 } },
    drivers: [
      { id: 'shared-battery-bms', type: 'sunspec_modbus', health: 'online' },
      { id: 'csms', type: 'ocpp', health: 'degraded', lastError: 'charger campus-ev-ac-016 not answering' },
    ],
    ...overrides,
  };
}

/** The test live system with a health report and a planner whose answers the test chooses. */
class ReportingLive extends TestLive {
  report: LiveHealth = healthy();
  health(): LiveHealth {
    return structuredClone(this.report);
  }
  readonly planner: LivePlanner = {
    status: () => ({
      strategy: 'optimal',
      mode: 'schedule',
      solving: false,
      lastSolve: { atMs: T0_MS, status: 'optimal', solveMs: 2_345, reason: 'scheduled' },
      counters: { solves: 7, solveFailures: 1, solveTimeouts: 2, rulesCycles: 3, scheduleCycles: 100 },
    }),
    sessions: () => [],
    setSessionNeeds: () => false,
  };
}
const reporting = (s: LoadedScenario, st: Store) => new ReportingLive(s, st);

/** Shedding that trips at 20 ms of event-loop delay or 50 % utilisation, once it has lasted `sustainedMs`. */
const shedding = (sustainedMs: number) => ({
  maxEventLoopDelayMs: 20,
  maxEventLoopUtilization: 0.5,
  sampleIntervalMs: 50,
  retryAfterS: 2,
  sustainedMs,
});

describe('token checks through a store outage', () => {
  let srv: TestServer;
  let outage: ReturnType<typeof switchableStore>;
  afterEach(async () => {
    outage?.setDown(false);
    await srv?.close();
  });

  it('keeps reads working with a recently checked token; unseen tokens and writes get the 503 envelope', async () => {
    srv = await startTestServer({
      wrapStore: (s) => (outage = switchableStore(s)).store,
    });
    expect((await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer })).status).toBe(200);
    expect((await call(srv, 'GET', '/api/overrides', { token: srv.tokens.operator })).status).toBe(200);
    outage.setDown(true);
    const state = await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer });
    expect(state.status).toBe(200);
    expect(state.body.districtName).toBe(srv.scenario.scenario.name);
    expect((await call(srv, 'GET', '/api/overrides', { token: srv.tokens.operator })).status).toBe(200);
    // Never checked before the outage: it cannot be verified.
    const unseen = await call(srv, 'GET', '/api/state', { token: srv.tokens.admin });
    expect(unseen.status).toBe(503);
    expect(unseen.body).toEqual({ error: { code: 'BITGRID_ERR_STORE', message: expect.any(String) } });
    // A write that needs the store fails cleanly.
    const ack = await call(srv, 'POST', '/api/events/1/ack', { token: srv.tokens.operator });
    expect(ack.status).toBe(503);
    expect(ack.body.error.code).toBe('BITGRID_ERR_STORE');
    const health = await call(srv, 'GET', '/api/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('degraded');
    expect(health.body.problems[0]).toMatch(/store cannot be read/);
  });

  it('honours a revocation made while the store was unreachable once it answers again', async () => {
    srv = await startTestServer({
      wrapStore: (s) => (outage = switchableStore(s)).store,
      tokenCache: { freshMs: 200, maxStaleMs: 60_000 },
    });
    const t = await srv.store.createToken({ name: 'ops-laptop', role: 'viewer', createdMs: T0_MS });
    expect((await call(srv, 'GET', '/api/state', { token: t.token })).status).toBe(200);
    outage.setDown(true);
    // Revoked elsewhere (the CLI reaching the database) while this server cannot reach it.
    await srv.store.revokeToken(t.record.id, T0_MS);
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(srv, 'GET', '/api/state', { token: t.token })).status).toBe(200);
    outage.setDown(false);
    const r = await call(srv, 'GET', '/api/state', { token: t.token });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/revoked/);
  });

  it('ends an open stream when its token is revoked, and when the store has been gone past the cache bound', async () => {
    srv = await startTestServer({
      wrapStore: (s) => (outage = switchableStore(s)).store,
      tokenCache: { freshMs: 100, maxStaleMs: 1_500 },
      streamTokenRecheckMs: 100,
    });
    const open = async (token: string) => {
      const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/api/stream?token=${token}`);
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      await new Promise((r) => ws.once('open', r));
      return { ws, closed };
    };
    const revokedOne = await srv.store.createToken({ name: 'leaving', role: 'viewer', createdMs: T0_MS });
    const a = await open(revokedOne.token);
    const rev = await call(srv, 'DELETE', `/api/tokens/${revokedOne.record.id}`, { token: srv.tokens.admin });
    expect(rev.status).toBe(200);
    expect(await a.closed).toBe(4001);

    // Through a store outage the stream stays, on the cached check, until the cache's stale bound.
    const b = await open(srv.tokens.viewer);
    let closedAtMs: number | undefined;
    void b.closed.then(() => (closedAtMs = Date.now()));
    const downAtMs = Date.now();
    outage.setDown(true);
    await new Promise((r) => setTimeout(r, 700));
    expect(closedAtMs, 'open well inside the stale bound').toBeUndefined();
    expect(await b.closed).toBe(4001);
    expect(closedAtMs! - downAtMs).toBeGreaterThanOrEqual(1_000);
  });

  it('refuses a token revoked through the API at once, though its check was cached a moment ago', async () => {
    srv = await startTestServer();
    const t = await srv.store.createToken({ name: 'short-lived', role: 'viewer', createdMs: T0_MS });
    expect((await call(srv, 'GET', '/api/state', { token: t.token })).status).toBe(200);
    const rev = await call(srv, 'DELETE', `/api/tokens/${t.record.id}`, { token: srv.tokens.admin });
    expect(rev.status).toBe(200);
    expect((await call(srv, 'GET', '/api/state', { token: t.token })).status).toBe(401);
  });
});

describe('/api/health', () => {
  let srv: TestServer;
  let live: ReportingLive;
  beforeAll(async () => {
    srv = await startTestServer({
      makeLive: (s, st) => (live = new ReportingLive(s, st)),
      rateLimit: { max: 2, timeWindowMs: 60_000 },
    });
  });
  afterAll(async () => srv?.close());

  it('is ok with the live system report in the body', async () => {
    live.report = healthy();
    const r = await call(srv, 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', problems: [], store: { ok: true, dialect: 'sqlite' } });
    expect(r.body.live).toMatchObject({
      cycles: 120,
      cyclePeriodWallMs: 1000,
      cycleDurationMs: { p99: 250 },
      telemetry: { accepted: 5000, rejected: { out_of_range: 3 } },
      drivers: [
        { id: 'shared-battery-bms', health: 'online' },
        { id: 'csms', health: 'degraded' },
      ],
    });
    expect(r.body.live.lastCycleEnd).toMatch(/^\d{4}-\d\d-\d\dT.*\+09:00$/);
  });

  it('is degraded (503) while the store refuses writes, though it answers reads', async () => {
    live.report = healthy({
      store: {
        ok: false,
        lastError: 'SQLITE_FULL: database or disk is full',
        bufferedPoints: 9000,
        droppedPoints: 120,
      },
    });
    const r = await call(srv, 'GET', '/api/health');
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('degraded');
    expect(r.body.store).toMatchObject({ ok: false, error: expect.stringMatching(/SQLITE_FULL/) });
    expect(r.body.problems.join(' ')).toMatch(/refuses writes.*120 dropped/);
  });

  it('is degraded while cycles are late or failing, and when the loop has stopped', async () => {
    live.report = healthy();
    expect((await call(srv, 'GET', '/api/health')).status).toBe(200);
    live.report = healthy({ cyclesLate: 4, cyclesFailed: 1 });
    let r = await call(srv, 'GET', '/api/health');
    expect(r.status).toBe(503);
    expect(r.body.problems.join(' ')).toMatch(/4 control cycles late and 1 failed/);
    live.report = healthy({ cyclesLate: 4, cyclesFailed: 1, lastCycleEndWallMs: Date.now() - 10_000 });
    r = await call(srv, 'GET', '/api/health');
    expect(r.body.problems.join(' ')).toMatch(/no control cycle has ended for 10\.\d s \(period 1 s\)/);
  });

  it('is outside the rate limit: a probe is never 429', async () => {
    live.report = healthy();
    for (let i = 0; i < 3; i++) await call(srv, 'GET', '/api/state');
    expect((await call(srv, 'GET', '/api/state')).status).toBe(429);
    for (let i = 0; i < 5; i++) {
      const r = await call(srv, 'GET', '/api/health');
      expect(r.headers.get('x-ratelimit-limit')).toBeNull();
      expect(r.status).not.toBe(429);
    }
  });
});

describe('load shedding', () => {
  let srv: TestServer;
  afterEach(async () => srv?.close());

  /** Holds this process's event loop (which the server shares) busy, as a flood of requests would. */
  function busy(ms: number) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      /* spin */
    }
  }

  it('sheds reads with 503 and Retry-After while the event loop is saturated; health, writes and open streams go on', async () => {
    srv = await startTestServer({ shedding: shedding(0) });
    const ac = new AbortController();
    // Opened once the server is not shedding: on a machine shared with other work, the start-up of
    // this very file can hold the event loop past the tight limits above for a moment.
    let sse = await fetch(`${srv.url}/api/stream/sse`, {
      headers: { authorization: `Bearer ${srv.tokens.viewer}` },
      signal: ac.signal,
    });
    for (let tries = 0; sse.status === 503 && tries < 50; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      sse = await fetch(`${srv.url}/api/stream/sse`, {
        headers: { authorization: `Bearer ${srv.tokens.viewer}` },
        signal: ac.signal,
      });
    }
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value);
      }
    };
    await readUntil('event: snapshot');

    busy(400);
    // The sampler runs before the request is handled, so it has seen the busy spell.
    await new Promise((r) => setImmediate(r));
    const [state, health, write] = await Promise.all([
      call(srv, 'GET', '/api/state', { token: srv.tokens.viewer }),
      call(srv, 'GET', '/api/health'),
      call(srv, 'POST', '/api/overrides', { token: srv.tokens.operator, body: goodOverride }),
    ]);
    expect(state.status).toBe(503);
    expect(state.body.error.code).toBe('BITGRID_ERR_OVERLOADED');
    expect(state.headers.get('retry-after')).toBe('2');
    expect(health.status).toBe(200);
    expect(write.status).toBe(201);
    // The open stream still gets the cycle's delta.
    srv.live.step('shared-battery', 'power_kw', 321);
    await readUntil('321');
    ac.abort();

    // Once the pressure is gone, reads are answered again.
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer })).status;
    }
    expect(status).toBe(200);
  });
});

describe('load shedding of a passing spike', () => {
  it('does not shed for one long turn of the event loop when pressure must last', async () => {
    const srv = await startTestServer({ shedding: shedding(10_000) });
    try {
      const end = Date.now() + 400;
      while (Date.now() < end) {
        /* one long turn, as a garbage collection or a synchronous preparation */
      }
      await new Promise((r) => setImmediate(r));
      expect((await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer })).status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});

describe('security headers, one error envelope, audited refusals, metrics', () => {
  let srv: TestServer;
  let live: ReportingLive;
  beforeAll(async () => {
    srv = await startTestServer({ makeLive: (s, st) => (live = reporting(s, st) as ReportingLive) });
  });
  afterAll(async () => srv?.close());

  it('sends CSP, nosniff, frame-ancestors and no-referrer on replies and errors, and no HSTS over HTTP', async () => {
    for (const r of [
      await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer }),
      await call(srv, 'GET', '/api/state'),
      await call(srv, 'GET', '/api/health'),
    ]) {
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('answers Fastify-level errors in the envelope: bad URL, bad JSON, no route, wrong method, unparseable request', async () => {
    const badUrl = await call(srv, 'GET', '/api/%zz', { token: srv.tokens.viewer });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body).toEqual({ error: { code: 'BITGRID_ERR_BAD_REQUEST', message: expect.any(String) } });

    const badJson = await call(srv, 'POST', '/api/overrides', {
      token: srv.tokens.operator,
      rawBody: '{"a":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatchObject({ code: 'BITGRID_ERR_BAD_REQUEST', field: 'body' });

    const none = await call(srv, 'GET', '/api/nothing-here', { token: srv.tokens.viewer });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('BITGRID_ERR_NOT_FOUND');

    const wrong = await call(srv, 'PUT', '/api/state', { token: srv.tokens.viewer });
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.code).toBe('BITGRID_ERR_METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    const wrongParam = await call(srv, 'PATCH', '/api/tokens/abc', { token: srv.tokens.admin });
    expect(wrongParam.status).toBe(405);
    expect(wrongParam.headers.get('allow')).toBe('DELETE');

    // A request line Node's parser refuses never reaches Fastify's routing.
    const raw = await new Promise<string>((resolve, reject) => {
      const u = new URL(srv.url);
      const sock = connect(Number(u.port), u.hostname, () =>
        sock.write('GET /api/state HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
      );
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'BITGRID_ERR_BAD_REQUEST', message: expect.any(String) },
    });
  });

  it('audits refused writes with a sanitised target: a non-string assetId as its JSON type, a long one cut', async () => {
    const before = (await srv.store.listAudit({ action: 'override.set', limit: 1000 })).length;
    for (const assetId of [12345, { id: 'x' }, ['a'], null]) {
      const r = await call(srv, 'POST', '/api/overrides', {
        token: srv.tokens.operator,
        body: { ...goodOverride, assetId },
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'assetId' });
    }
    const long = 'b'.repeat(500);
    const r = await call(srv, 'POST', '/api/overrides', {
      token: srv.tokens.operator,
      body: { ...goodOverride, assetId: long },
    });
    expect(r.status).toBe(400);
    const entries = await srv.store.listAudit({ action: 'override.set', order: 'asc', limit: 1000 });
    const mine = entries.slice(before);
    expect(mine.map((e) => e.target)).toEqual([
      '<number>',
      '<object>',
      '<array>',
      '<null>',
      'b'.repeat(199) + '…',
    ]);
    for (const e of mine) {
      expect(e.outcome).toBe('denied');
      expect(e.actor).toBe(srv.tokenIds.operator);
      expect(e.details).toMatchObject({ status: 400, error: 'BITGRID_ERR_VALIDATION', field: 'assetId' });
    }
  });

  it('serves /metrics in the Prometheus format to a viewer token, from the live report and the planner', async () => {
    expect((await call(srv, 'GET', '/metrics')).status).toBe(401);
    await call(srv, 'GET', '/api/state', { token: srv.tokens.viewer });
    live.report = healthy({
      cyclesLate: 6,
      cyclesFailed: 2,
      store: { ok: false, bufferedPoints: 40, droppedPoints: 7 },
    });
    const r = await call(srv, 'GET', '/metrics', { token: srv.tokens.viewer });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = r.body as string;
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('bitgrid_control_cycle_duration_seconds{stat="p99"}')).toBeCloseTo(0.25);
    expect(value('bitgrid_control_cycle_duration_seconds{stat="max"}')).toBeCloseTo(0.4);
    expect(value('bitgrid_control_cycles_total')).toBe(120);
    expect(value('bitgrid_control_cycles_late_total')).toBe(6);
    expect(value('bitgrid_control_cycles_failed_total')).toBe(2);
    expect(value('bitgrid_store_ok')).toBe(0);
    expect(value('bitgrid_telemetry_buffered_points')).toBe(40);
    expect(value('bitgrid_telemetry_dropped_points_total')).toBe(7);
    expect(value('bitgrid_telemetry_accepted_total')).toBe(5000);
    expect(value('bitgrid_telemetry_rejected_total{reason="out_of_range"}')).toBe(3);
    expect(value('bitgrid_driver_health{driver="csms",type="ocpp",health="degraded"}')).toBe(1);
    expect(value('bitgrid_driver_up{driver="shared-battery-bms",type="sunspec_modbus"}')).toBe(1);
    expect(value('bitgrid_driver_up{driver="csms",type="ocpp"}')).toBe(0);
    expect(value('bitgrid_planner_solves_total')).toBe(7);
    expect(value('bitgrid_planner_solve_failures_total')).toBe(1);
    expect(value('bitgrid_planner_solve_timeouts_total')).toBe(2);
    expect(value('bitgrid_planner_last_solve_seconds')).toBeCloseTo(2.345);
    expect(
      value('bitgrid_http_requests_total{method="GET",route="/api/state",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(value('bitgrid_http_requests_total{method="GET",route="/metrics",status="401"}')).toBe(1);
  });
});

describe('behind a proxy and over TLS', () => {
  it('counts unauthenticated callers per forwarded address when the proxy is trusted', async () => {
    const srv = await startTestServer({
      trustProxy: '127.0.0.1',
      rateLimit: { max: 1, timeWindowMs: 60_000 },
    });
    try {
      const from = (ip: string) => call(srv, 'GET', '/api/state', { headers: { 'x-forwarded-for': ip } });
      expect((await from('203.0.113.7')).status).toBe(401);
      expect((await from('203.0.113.7')).status).toBe(429);
      expect((await from('198.51.100.9')).status).toBe(401);
    } finally {
      await srv.close();
    }
  });

  it('serves HTTPS with the given certificate and key, with HSTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitgrid-tls-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-days',
          '1',
          '-keyout',
          keyFile,
          '-out',
          certFile,
        ],
        { stdio: 'ignore' },
      );
    } catch {
      rmSync(dir, { recursive: true, force: true });
      console.warn('openssl not available: the TLS test is skipped');
      return;
    }
    const store = await openStore('sqlite::memory:');
    const scenario = referenceScenario();
    const app = await createServer({
      live: new TestLive(scenario, store),
      store,
      scenario,
      shedding: false,
      tls: { certFile, keyFile },
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
        (resolve, reject) => {
          const req = httpsRequest(
            { host: '127.0.0.1', port, path: '/api/health', ca: readFileSync(certFile) },
            (r) => {
              let body = '';
              r.on('data', (d) => (body += d));
              r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).status).toBe('ok');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a certificate without a key', async () => {
    const store = await openStore('sqlite::memory:');
    const scenario = referenceScenario();
    await expect(
      createServer({
        live: new TestLive(scenario, store),
        store,
        scenario,
        tls: { certFile: 'cert.pem', keyFile: '' },
      }),
    ).rejects.toThrow(/both a certificate file and a key file/);
    await store.close();
  });
});
