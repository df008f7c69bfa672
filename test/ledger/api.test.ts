import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerJson } from '../../src/ledger/index.ts';
import { simLedger } from '../../src/report/ledger-sim.ts';
import { PPA_ASSET_ID } from '../../src/ledger/telemetry.ts';
import { GRID_ASSET_ID } from '../../src/model/schema.ts';
import { timeAt, toIsoLocal } from '../../src/model/time.ts';
import { computeKpis } from '../../src/report/kpis.ts';
import { runSimulation } from '../../src/sim/engine.ts';
import { getStrategy } from '../../src/scenario/strategies.ts';
import type { TelemetryPoint } from '../../src/store/index.ts';
import { call, startTestServer, type TestServer } from '../server/fixture.ts';
import { referenceDistrict } from '../sim/helpers.ts';

// A simulated day written to the store as the live system would meter it; the API's ledger over that
// day must be the ledger `simulate` reports, to the last hour.

const d = referenceDistrict(1);
const result = runSimulation(d, getStrategy('rules')(d));
const simulated = ledgerJson(simLedger(d, result));
/** SoC is read at the end of an interval: one second before the next one starts. */
const SOC_READ_BEFORE_END_MS = 1000;

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  const points: TelemetryPoint[] = [];
  const s = result.series;
  const stepMs = d.grid.intervalMinutes * 60_000;
  expect(d.batteries).toHaveLength(1);
  const battery = d.batteries[0];
  for (let i = 0; i < d.grid.count; i++) {
    const t = timeAt(d.grid, i);
    points.push({ assetId: GRID_ASSET_ID, measurement: 'power_kw', value: s.gridKw[i], timeMs: t });
    points.push({ assetId: PPA_ASSET_ID, measurement: 'power_kw', value: d.ppaKw[i], timeMs: t });
    for (const pv of d.pv)
      points.push({ assetId: pv.id, measurement: 'power_kw', value: s.byAsset.get(pv.id)![i], timeMs: t });
    points.push({ assetId: battery.id, measurement: 'power_kw', value: s.batteryKw[i], timeMs: t });
    points.push({
      assetId: battery.id,
      measurement: 'soc_fraction',
      value: s.batterySocKwh[i] / battery.cfg.capacity_kwh,
      timeMs: t + stepMs - SOC_READ_BEFORE_END_MS,
    });
  }
  // The reading before the day: the battery's initial state.
  points.push({
    assetId: battery.id,
    measurement: 'soc_fraction',
    value: battery.cfg.soc_initial,
    timeMs: d.grid.startMs - SOC_READ_BEFORE_END_MS,
  });
  await srv.store.appendTelemetry(points);
});
afterAll(async () => srv?.close());

const from = encodeURIComponent(toIsoLocal(d.grid.startMs, d.zone));
const to = encodeURIComponent(toIsoLocal(timeAt(d.grid, d.grid.count), d.zone));

describe('GET /api/ledger', () => {
  it('gives the ledger simulate gives for the same day, from stored telemetry', async () => {
    const r = await call(srv, 'GET', `/api/ledger?from=${from}&to=${to}`, { token: srv.tokens.viewer });
    expect(r.status).toBe(200);
    expect(r.body.from).toBe('2026-08-03T00:00:00+09:00');
    expect(r.body.to).toBe('2026-08-04T00:00:00+09:00');
    expect(r.body.hours).toHaveLength(24);
    for (let h = 0; h < 24; h++) {
      const api = r.body.hours[h];
      const sim = simulated.hours[h];
      expect(api.hourStart).toBe(sim.hourStart);
      for (const k of [
        'consumptionKwh',
        'pvUsedKwh',
        'ppaUsedKwh',
        'gridResidualKwh',
        'emissionsKg',
      ] as const)
        expect(api[k]).toBeCloseTo(sim[k], 3);
      expect(api.pvUsedKwh + api.ppaUsedKwh + api.gridResidualKwh).toBeCloseTo(api.consumptionKwh, 6);
    }
    const { kpis } = computeKpis(d, result);
    expect(r.body.totals.hourlyMatchingShare).toBeCloseTo(kpis.re100HourlyMatching, 9);
    expect(r.body.totals.annualMatchingShare).toBeCloseTo(kpis.re100AnnualShare, 9);
    // The battery shifts PV into the evening in this run, so the battery rule is exercised.
    expect(simulated.totals.pvUsedKwh).toBeGreaterThan(0);
  });

  it('returns the hours as CSV and the month as an HTML report with the same scores', async () => {
    const csv = await fetch(`${srv.url}/api/ledger?from=${from}&to=${to}&format=csv`, {
      headers: { authorization: `Bearer ${srv.tokens.viewer}` },
    });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines).toHaveLength(25);
    expect(lines[1]).toMatch(/^2026-08-03T00:00:00\+09:00,/);
    const html = await fetch(`${srv.url}/api/ledger/report?month=2026-08`, {
      headers: { authorization: `Bearer ${srv.tokens.viewer}` },
    });
    expect(html.status).toBe(200);
    const text = await html.text();
    // Only 2026-08-03 has data; the month's hourly score is that day's (no consumption elsewhere).
    expect(text).toContain(
      `hourly (24/7) matching <b>${(simulated.totals.hourlyMatchingShare * 100).toFixed(1)} %</b>`,
    );
  });

  it('refuses a bad period with what is wrong', async () => {
    const bad = await call(srv, 'GET', `/api/ledger?from=${to}&to=${from}`, { token: srv.tokens.viewer });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/to: must be after from/);
    const long = await call(srv, 'GET', `/api/ledger?from=2024-01-01T00:00:00%2B09:00&to=${to}`, {
      token: srv.tokens.viewer,
    });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toMatch(/at most 366 days/);
    const month = await call(srv, 'GET', `/api/ledger/report?month=2026-13`, { token: srv.tokens.viewer });
    expect(month.status).toBe(400);
    expect(JSON.stringify(month.body)).toMatch(/YYYY-MM/);
    expect((await call(srv, 'GET', `/api/ledger?from=${from}&to=${to}`)).status).toBe(401);
  });
});
