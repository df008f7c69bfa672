import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { koreanHolidayCalendar } from '../../src/model/calendar.ts';
import { computeBill, createTariff } from '../../src/tariff/index.ts';
import type { TelemetryPoint } from '../../src/store/index.ts';
import { call, startTestServer, T0_MS, type TestServer } from './fixture.ts';

// The read endpoints and event acknowledgement, over real HTTP against a real SQLite store.

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => srv?.close());

const get = (path: string) => call(srv, 'GET', path, { token: srv.tokens.viewer });

const H = 3_600_000;

describe('district and live state', () => {
  it('lists sites and assets from the scenario', async () => {
    const r = await get('/api/district');
    expect(r.status).toBe(200);
    const s = srv.scenario.scenario;
    expect(r.body.name).toBe(s.name);
    expect(r.body.timezone).toBe('Asia/Seoul');
    expect(r.body.sites.map((x: { id: string }) => x.id)).toEqual(s.sites.map((x) => x.id));
    expect(r.body.sites.flatMap((x: { assets: { id: string }[] }) => x.assets.map((a) => a.id))).toEqual(
      s.sites.flatMap((x) => x.assets.map((a) => a.id)),
    );
  });

  it('gives one asset with its config and live state, ISO times with the district offset', async () => {
    srv.live.step('shared-battery', 'soc_fraction', 0.42);
    const r = await get('/api/assets/shared-battery');
    expect(r.status).toBe(200);
    expect(r.body.config).toMatchObject({ id: 'shared-battery', type: 'battery' });
    expect(r.body.config.capacity_kwh).toBeGreaterThan(0);
    expect(r.body.live.measurements.soc_fraction).toEqual({ value: 0.42, time: '2026-08-03T00:01:00+09:00' });
  });

  it('serves the snapshot keyed by id with …Ms fields as ISO times', async () => {
    const r = await get('/api/state');
    expect(r.status).toBe(200);
    expect(r.body.time).toBe('2026-08-03T00:01:00+09:00');
    expect(r.body).not.toHaveProperty('timeMs');
    expect(Object.keys(r.body.assets)).toContain('shared-battery');
    expect(r.body.assets['shared-battery'].measurements.soc_fraction.value).toBe(0.42);
    expect(r.body.grid).toEqual({ importKw: 1000, exportKw: 0, monthPeakKw: 1200, billingDemandKw: 1500 });
    expect(r.body.sites.factory.name).toBeTruthy();
  });
});

describe('telemetry', () => {
  beforeAll(async () => {
    // Grid import 1,000 kW for the first 12 h of 3 Aug, then export 200 kW for 12 h, one point a minute.
    const points: TelemetryPoint[] = [];
    for (let m = 0; m < 24 * 60; m++)
      points.push({
        assetId: 'grid',
        measurement: 'power_kw',
        value: m < 720 ? 1000 : -200,
        timeMs: T0_MS + m * 60_000,
      });
    await srv.store.appendTelemetry(points);
  });

  it('returns raw points in range with ISO times', async () => {
    const r = await get(
      '/api/telemetry?asset=grid&measurement=power_kw&from=2026-08-03T00:00:00%2B09:00&to=2026-08-03T00:05:00%2B09:00',
    );
    expect(r.status).toBe(200);
    expect(r.body.points).toHaveLength(5);
    expect(r.body.points[0]).toEqual({ time: '2026-08-03T00:00:00+09:00', value: 1000, count: 1 });
    expect(r.body.truncated).toBe(false);
  });

  it('downsamples into buckets, accepting Z times', async () => {
    const r = await get(
      '/api/telemetry?asset=grid&measurement=power_kw&from=2026-08-02T15:00:00Z&to=2026-08-03T15:00:00Z&bucket=PT6H',
    );
    expect(r.status).toBe(200);
    expect(r.body.bucketMinutes).toBe(360);
    expect(r.body.points.map((p: { value: number; count: number }) => [p.value, p.count])).toEqual([
      [1000, 360],
      [1000, 360],
      [-200, 360],
      [-200, 360],
    ]);
    expect(r.body.points[0].time).toBe('2026-08-03T00:00:00+09:00');
  });

  it('refuses a reversed range, a bad bucket and reports truncation', async () => {
    const base = '/api/telemetry?asset=grid&measurement=power_kw';
    const rev = await get(`${base}&from=2026-08-04T00:00:00Z&to=2026-08-03T00:00:00Z`);
    expect(rev.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'to' });
    const bucket = await get(`${base}&from=2026-08-03T00:00:00Z&to=2026-08-04T00:00:00Z&bucket=P1M`);
    expect(bucket.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'bucket' });
    const cut = await get(`${base}&from=2026-08-02T15:00:00Z&to=2026-08-03T15:00:00Z&limit=10`);
    expect(cut.body.points).toHaveLength(10);
    expect(cut.body.truncated).toBe(true);
  });
});

describe('measurement names at the API', () => {
  it('refuses a name outside the vocabulary with a 400 that names it and where', async () => {
    const r = await get(
      '/api/telemetry?asset=grid&measurement=power_kwh&from=2026-08-03T00:00:00Z&to=2026-08-04T00:00:00Z',
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'measurement' });
    expect(r.body.error.message).toMatch(
      /^querystring\.measurement: unknown measurement "power_kwh": not in the measurement vocabulary.*did you mean "power_kw"/,
    );
  });
});

describe('KPIs from stored telemetry', () => {
  it('bills the stored grid series exactly as computeBill does', async () => {
    const r = await get('/api/kpis?from=2026-08-03T00:00:00%2B09:00&to=2026-08-04T00:00:00%2B09:00');
    expect(r.status).toBe(200);
    expect(r.body.coverage).toBe(1);
    expect(r.body.intervals).toBe(96);
    expect(r.body.importKwh).toBeCloseTo(12_000, 6);
    expect(r.body.exportKwh).toBeCloseTo(2_400, 6);
    expect(r.body.peakImportKw).toBeCloseTo(1000, 6);
    expect(r.body.from).toBe('2026-08-03T00:00:00+09:00');
    const s = srv.scenario.scenario;
    const grid = { startMs: T0_MS, intervalMinutes: 15, count: 96 };
    const importKw = Array.from({ length: 96 }, (_, i) => (i < 48 ? 1000 : 0));
    const exportKw = Array.from({ length: 96 }, (_, i) => (i < 48 ? 0 : 200));
    const bill = computeBill(
      { grid, importKw, exportKw },
      createTariff(s.grid, s.timezone, koreanHolidayCalendar(s.extra_holidays)),
      s.grid,
      s.timezone,
    );
    expect(r.body.bill.importBillKrw).toBe(bill.importBillKrw);
    expect(r.body.bill.energyChargeKrw).toBe(bill.energyChargeKrw);
    expect(r.body.netCostKrw).toBeCloseTo(bill.importBillKrw - bill.exportRevenueKrw, 6);
    expect(r.body.bill.months[0]).toMatchObject({ month: '2026-08', start: '2026-08-01T00:00:00+09:00' });
  });

  it('shows gaps as coverage below 1', async () => {
    const r = await get('/api/kpis?from=2026-08-03T00:00:00%2B09:00&to=2026-08-05T00:00:00%2B09:00');
    expect(r.body.coverage).toBeCloseTo(0.5, 9);
    expect(r.body.importKwh).toBeCloseTo(12_000, 6);
  });

  it('refuses a period longer than a year', async () => {
    const r = await get('/api/kpis?from=2025-01-01T00:00:00Z&to=2026-08-03T00:00:00Z');
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('to');
  });
});

describe('forecasts and schedule', () => {
  it('lists forecasts newest first and the latest per asset and target', async () => {
    for (const [issuedMs, target] of [
      [T0_MS, 'pv_power_kw'],
      [T0_MS + H, 'pv_power_kw'],
      [T0_MS, 'load_power_kw'],
    ] as const)
      await srv.store.addForecast({
        issuedMs,
        assetId: 'factory-pv',
        target,
        model: 'ridge',
        startMs: issuedMs,
        intervalMs: 15 * 60_000,
        quantiles: { p50: [1, 2, 3] },
      });
    const all = await get('/api/forecasts?asset=factory-pv');
    expect(all.body.forecasts).toHaveLength(3);
    expect(all.body.forecasts[0]).toMatchObject({
      issued: '2026-08-03T01:00:00+09:00',
      intervalMinutes: 15,
      quantiles: { p50: [1, 2, 3] },
    });
    expect(all.body.forecasts[0].end).toBe('2026-08-03T01:45:00+09:00');
    const latest = await get('/api/forecasts?asset=factory-pv&latest=true');
    expect(
      latest.body.forecasts.map((f: { target: string; issued: string }) => [f.target, f.issued]),
    ).toEqual([
      ['pv_power_kw', '2026-08-03T01:00:00+09:00'],
      ['load_power_kw', '2026-08-03T00:00:00+09:00'],
    ]);
  });

  it('returns null without an active schedule, then the one covering now', async () => {
    const none = await get('/api/schedule');
    expect(none.body).toEqual({ schedule: null });
    await srv.store.addSchedule({
      createdMs: T0_MS,
      startMs: T0_MS - 24 * H,
      endMs: T0_MS - H,
      strategy: 'optimal',
      payload: { old: true },
      status: 'active',
    });
    await srv.store.addSchedule({
      createdMs: T0_MS,
      startMs: T0_MS,
      endMs: T0_MS + 24 * H,
      strategy: 'optimal',
      payload: { setpoints: [1, 2] },
      status: 'active',
    });
    const r = await get('/api/schedule');
    expect(r.body.schedule).toMatchObject({
      strategy: 'optimal',
      status: 'active',
      payload: { setpoints: [1, 2] },
      start: '2026-08-03T00:00:00+09:00',
    });
  });
});

describe('events', () => {
  it('lists, filters and acknowledges events, auditing the acknowledgement', async () => {
    const a = await srv.store.addEvent({
      timeMs: T0_MS,
      severity: 'alarm',
      source: 'control',
      code: 'SOC_LOW',
      message: 'battery low',
      assetId: 'shared-battery',
    });
    await srv.store.addEvent({
      timeMs: T0_MS + 1,
      severity: 'info',
      source: 'control',
      code: 'NOTE',
      message: 'note',
    });
    const alarms = await get('/api/events?minSeverity=alarm');
    expect(alarms.body.events.map((e: { id: number }) => e.id)).toEqual([a.id]);
    const ack = await call(srv, 'POST', `/api/events/${a.id}/ack`, { token: srv.tokens.operator });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: a.id, acknowledged: true, acknowledgedBy: srv.tokenIds.operator });
    expect(ack.body.acknowledgedAt).toMatch(/\+09:00$/);
    const open = await get('/api/events?unacknowledged=true');
    expect(open.body.events.map((e: { id: number }) => e.id)).not.toContain(a.id);
    const audit = await call(srv, 'GET', `/api/audit?target=event:${a.id}`, { token: srv.tokens.operator });
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({
      action: 'event.ack',
      outcome: 'ok',
      actor: srv.tokenIds.operator,
      role: 'operator',
    });
    const missing = await call(srv, 'POST', '/api/events/999999/ack', { token: srv.tokens.operator });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('BITGRID_ERR_NOT_FOUND');
    const [last] = await srv.store.listAudit({ limit: 1 });
    expect(last).toMatchObject({ action: 'event.ack', target: 'event:999999', outcome: 'denied' });
    const badId = await call(srv, 'POST', '/api/events/abc/ack', { token: srv.tokens.operator });
    expect(badId.body.error).toMatchObject({ code: 'BITGRID_ERR_VALIDATION', field: 'id' });
  });
});

describe('unknown routes', () => {
  it('answer 404 in the error shape', async () => {
    const r = await get('/api/nowhere');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('BITGRID_ERR_NOT_FOUND');
  });

  it('a plain GET on the WebSocket endpoint is told to upgrade', async () => {
    const r = await get('/api/stream');
    expect(r.status).toBe(426);
    expect(r.body.error.code).toBe('BITGRID_ERR_UPGRADE_REQUIRED');
  });
});
